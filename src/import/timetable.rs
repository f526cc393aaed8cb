//! Departures per stop and hour from a GTFS timetable (`trips.txt`, `calendar.txt`,
//! `calendar_dates.txt`, `stop_times.txt`), on one reference weekday: what "near public transport"
//! means to someone waiting at the stop.
//!
//! The reference day is the weekday (Monday to Friday) within the feed's dates on which the most
//! trips run, the earliest of equals: a holiday or a day of reduced service (a `calendar_dates`
//! removal) is never chosen over an ordinary weekday. A stop's departures are the times of the
//! trips running that day whose `departure_time` (else `arrival_time`) falls in a window,
//! counted per hour of the window: daytime 07-19 and evening 19-23. A stop where a trip only
//! sets down (`pickup_type` 1) is not a departure. Times past 24:00 belong to the next morning
//! and fall in no window.
//!
//! ```
//! use bomiljo::import::timetable::{Timetable, Window};
//! let trips = "trip_id,service_id,route_id\nt1,weekday,r\nt2,weekday,r\nt3,sunday,r\n";
//! let calendar = "service_id,monday,tuesday,wednesday,thursday,friday,saturday,sunday,start_date,end_date\n\
//!                 weekday,1,1,1,1,1,0,0,20261207,20261211\nsunday,0,0,0,0,0,0,1,20261207,20261213\n";
//! let stop_times = "trip_id,arrival_time,departure_time,stop_id,stop_sequence\n\
//!                   t1,08:00:00,08:00:00,A,1\nt2,20:15:00,20:15:00,A,1\nt3,09:00:00,09:00:00,A,1\n";
//! let table = Timetable::read(trips.as_bytes(), Some(calendar.as_bytes()), None::<&[u8]>, stop_times.as_bytes()).unwrap();
//! assert_eq!(table.day.to_string(), "2026-12-07");
//! assert_eq!(table.per_hour("A", Window::Day), 1.0 / 12.0);
//! assert_eq!(table.per_hour("A", Window::Evening), 1.0 / 4.0);
//! ```

use std::collections::HashMap;
use std::io::Read;

use chrono::{Datelike, NaiveDate, Weekday};

/// A window of the day departures are counted in.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Window {
    /// 07:00-19:00.
    Day,
    /// 19:00-23:00.
    Evening,
}

impl Window {
    pub const ALL: [Window; 2] = [Window::Day, Window::Evening];

    /// The window's hours, [from, to).
    pub fn hours(self) -> (u32, u32) {
        match self {
            Window::Day => (7, 19),
            Window::Evening => (19, 23),
        }
    }

    /// The column (and tag) a stop's departures per hour in the window are kept in.
    pub fn column(self) -> &'static str {
        match self {
            Window::Day => "departures_day",
            Window::Evening => "departures_evening",
        }
    }

    fn of_hour(hour: u32) -> Option<Window> {
        Window::ALL.into_iter().find(|w| (w.hours().0..w.hours().1).contains(&hour))
    }
}

/// Days a feed's reference day is looked for in, at most (a year and a little).
const MAX_DAYS: i64 = 400;

/// Departures per stop on the reference day.
#[derive(Clone, Debug)]
pub struct Timetable {
    /// The reference weekday.
    pub day: NaiveDate,
    /// Trips running that day.
    pub trips: usize,
    departures: HashMap<(String, Window), u32>,
}

impl Timetable {
    /// Reads the feed's files (`calendar` and `calendar_dates` may be absent, not both).
    pub fn read(trips: impl Read, calendar: Option<impl Read>, calendar_dates: Option<impl Read>, stop_times: impl Read) -> Result<Timetable, String> {
        let service_of = trip_services(trips)?;
        let services = Services::read(calendar, calendar_dates)?;
        let mut trips_per_service: HashMap<&str, usize> = HashMap::new();
        for service in service_of.values() {
            *trips_per_service.entry(service.as_str()).or_insert(0) += 1;
        }
        let (day, running) =
            services.busiest_weekday(&trips_per_service).ok_or("the timetable runs no trip on any weekday (calendar.txt, calendar_dates.txt)")?;
        let running_trips: std::collections::HashSet<&str> =
            service_of.iter().filter(|(_, service)| running.contains(service.as_str())).map(|(trip, _)| trip.as_str()).collect();
        let departures = count_departures(stop_times, &running_trips)?;
        Ok(Timetable { day, trips: running_trips.len(), departures })
    }

    /// Departures per hour from `stop` in `window` on the reference day.
    pub fn per_hour(&self, stop: &str, window: Window) -> f64 {
        let (from, to) = window.hours();
        f64::from(self.departures.get(&(stop.to_string(), window)).copied().unwrap_or(0)) / f64::from(to - from)
    }
}

/// Reads a GTFS table, calling `row` with a lookup of each record's cells by column name.
fn each_row(file: impl Read, name: &str, mut row: impl for<'r> FnMut(&'r dyn Fn(&str) -> Option<&'r str>) -> Result<(), String>) -> Result<(), String> {
    let mut reader = csv::ReaderBuilder::new().trim(csv::Trim::All).flexible(true).from_reader(file);
    let header: Vec<String> = reader.headers().map_err(|e| format!("{name}: {e}"))?.iter().map(|h| h.trim_start_matches('\u{feff}').to_string()).collect();
    let mut record = csv::StringRecord::new();
    while reader.read_record(&mut record).map_err(|e| format!("{name}: {e}"))? {
        let cell = |column: &str| header.iter().position(|h| h == column).and_then(|i| record.get(i));
        row(&cell)?;
    }
    Ok(())
}

fn trip_services(trips: impl Read) -> Result<HashMap<String, String>, String> {
    let mut out = HashMap::new();
    each_row(trips, "trips.txt", |cell| {
        let (Some(trip), Some(service)) = (cell("trip_id"), cell("service_id")) else { return Err("trips.txt lacks trip_id or service_id".into()) };
        out.insert(trip.to_string(), service.to_string());
        Ok(())
    })?;
    Ok(out)
}

/// When each service runs.
struct Services {
    /// Service, weekdays (Monday first), first and last day.
    weekly: Vec<(String, [bool; 7], NaiveDate, NaiveDate)>,
    /// (service, day) -> added (true) or removed (false).
    exceptions: HashMap<(String, NaiveDate), bool>,
}

fn gtfs_date(text: &str) -> Result<NaiveDate, String> {
    NaiveDate::parse_from_str(text, "%Y%m%d").map_err(|_| format!("'{text}' is not a GTFS date (YYYYMMDD)"))
}

impl Services {
    fn read(calendar: Option<impl Read>, calendar_dates: Option<impl Read>) -> Result<Services, String> {
        if calendar.is_none() && calendar_dates.is_none() {
            return Err("the feed has neither calendar.txt nor calendar_dates.txt: no day has service".into());
        }
        let mut weekly = Vec::new();
        if let Some(file) = calendar {
            each_row(file, "calendar.txt", |cell| {
                let days = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"].map(|d| cell(d) == Some("1"));
                let (Some(service), Some(start), Some(end)) = (cell("service_id"), cell("start_date"), cell("end_date")) else {
                    return Err("calendar.txt lacks service_id, start_date or end_date".into());
                };
                weekly.push((service.to_string(), days, gtfs_date(start)?, gtfs_date(end)?));
                Ok(())
            })?;
        }
        let mut exceptions = HashMap::new();
        if let Some(file) = calendar_dates {
            each_row(file, "calendar_dates.txt", |cell| {
                let (Some(service), Some(date), Some(kind)) = (cell("service_id"), cell("date"), cell("exception_type")) else {
                    return Err("calendar_dates.txt lacks service_id, date or exception_type".into());
                };
                exceptions.insert((service.to_string(), gtfs_date(date)?), kind == "1");
                Ok(())
            })?;
        }
        Ok(Services { weekly, exceptions })
    }

    fn runs_on(&self, service: &str, day: NaiveDate) -> bool {
        if let Some(&added) = self.exceptions.get(&(service.to_string(), day)) {
            return added;
        }
        let weekday = day.weekday().num_days_from_monday() as usize;
        self.weekly.iter().any(|(s, days, start, end)| s == service && days[weekday] && (*start..=*end).contains(&day))
    }

    /// The weekday with the most trips running, the earliest of equals, and its services.
    fn busiest_weekday(&self, trips_per_service: &HashMap<&str, usize>) -> Option<(NaiveDate, std::collections::HashSet<String>)> {
        let days = self.weekly.iter().flat_map(|(_, _, start, end)| [*start, *end]).chain(self.exceptions.keys().map(|(_, day)| *day));
        let (first, last) = days.fold(None, |span: Option<(NaiveDate, NaiveDate)>, d| Some(span.map_or((d, d), |(a, b)| (a.min(d), b.max(d)))))?;
        let last = last.min(first + chrono::Duration::days(MAX_DAYS));
        let mut best: Option<(usize, NaiveDate)> = None;
        for day in first.iter_days().take_while(|d| *d <= last).filter(|d| !matches!(d.weekday(), Weekday::Sat | Weekday::Sun)) {
            let trips: usize = trips_per_service.iter().filter(|(service, _)| self.runs_on(service, day)).map(|(_, n)| n).sum();
            if trips > 0 && best.is_none_or(|(most, _)| trips > most) {
                best = Some((trips, day));
            }
        }
        let (_, day) = best?;
        Some((day, trips_per_service.keys().filter(|s| self.runs_on(s, day)).map(|s| s.to_string()).collect()))
    }
}

fn count_departures(stop_times: impl Read, running: &std::collections::HashSet<&str>) -> Result<HashMap<(String, Window), u32>, String> {
    let mut departures: HashMap<(String, Window), u32> = HashMap::new();
    each_row(stop_times, "stop_times.txt", |cell| {
        let (Some(trip), Some(stop)) = (cell("trip_id"), cell("stop_id")) else { return Err("stop_times.txt lacks trip_id or stop_id".into()) };
        if !running.contains(trip) || cell("pickup_type") == Some("1") {
            return Ok(());
        }
        let time = cell("departure_time").filter(|t| !t.is_empty()).or_else(|| cell("arrival_time")).unwrap_or_default();
        let Some(hour) = time.split(':').next().and_then(|h| h.parse::<u32>().ok()) else { return Ok(()) };
        if let Some(window) = Window::of_hour(hour) {
            *departures.entry((stop.to_string(), window)).or_insert(0) += 1;
        }
        Ok(())
    })?;
    Ok(departures)
}

#[cfg(test)]
mod tests {
    use super::*;

    const TRIPS: &str = "trip_id,service_id\nw1,weekday\nw2,weekday\nx1,extra\n";
    const CALENDAR: &str = "service_id,monday,tuesday,wednesday,thursday,friday,saturday,sunday,start_date,end_date\nweekday,1,1,1,1,1,0,0,20261207,20261211\n";
    const STOP_TIMES: &str =
        "trip_id,arrival_time,departure_time,stop_id\nw1,07:30:00,07:30:00,A\nw2,18:59:00,,A\nx1,12:00:00,12:00:00,A\nx1,24:30:00,24:30:00,B\n";

    #[test]
    fn an_added_service_makes_its_day_the_reference_and_a_removal_keeps_a_day_out() {
        // Thursday 10 December gets an extra trip; Monday 7 December loses the weekday service.
        let dates = "service_id,date,exception_type\nextra,20261210,1\nweekday,20261207,2\n";
        let table = Timetable::read(TRIPS.as_bytes(), Some(CALENDAR.as_bytes()), Some(dates.as_bytes()), STOP_TIMES.as_bytes()).unwrap();
        assert_eq!(table.day.to_string(), "2026-12-10");
        assert_eq!(table.trips, 3);
        // 07:30, 18:59 (an arrival time where the departure is blank) and 12:00; 24:30 is next morning.
        assert_eq!(table.per_hour("A", Window::Day), 3.0 / 12.0);
        assert_eq!(table.per_hour("B", Window::Day) + table.per_hour("B", Window::Evening), 0.0);
    }

    #[test]
    fn without_exceptions_the_earliest_of_equal_weekdays_is_the_reference() {
        let table = Timetable::read(TRIPS.as_bytes(), Some(CALENDAR.as_bytes()), None::<&[u8]>, STOP_TIMES.as_bytes()).unwrap();
        assert_eq!((table.day.to_string(), table.trips), ("2026-12-07".to_string(), 2));
        assert_eq!(table.per_hour("A", Window::Day), 2.0 / 12.0);
    }

    #[test]
    fn a_hostile_calendar_is_bounded_and_a_bad_date_named() {
        // A service from year 1 to 9999: the reference day is looked for in 400 days, not 3.6 million.
        let forever = "service_id,monday,tuesday,wednesday,thursday,friday,saturday,sunday,start_date,end_date\nweekday,1,1,1,1,1,0,0,00010101,99991231\n";
        let started = std::time::Instant::now();
        let table = Timetable::read(TRIPS.as_bytes(), Some(forever.as_bytes()), None::<&[u8]>, STOP_TIMES.as_bytes()).unwrap();
        assert_eq!(table.day.to_string(), "0001-01-01");
        assert!(started.elapsed() < std::time::Duration::from_secs(1));
        let bad = "service_id,monday,tuesday,wednesday,thursday,friday,saturday,sunday,start_date,end_date\nweekday,1,1,1,1,1,0,0,2026-12-07,20261211\n";
        let err = Timetable::read(TRIPS.as_bytes(), Some(bad.as_bytes()), None::<&[u8]>, STOP_TIMES.as_bytes()).unwrap_err();
        assert!(err.contains("'2026-12-07' is not a GTFS date"), "{err}");
        // Times that are no hour, or an hour past any window, count nowhere and break nothing.
        let odd = "trip_id,arrival_time,departure_time,stop_id\nw1,,99999999999:00:00,A\nw2,,x,A\nw1,,48:00:00,A\n";
        let table = Timetable::read(TRIPS.as_bytes(), Some(CALENDAR.as_bytes()), None::<&[u8]>, odd.as_bytes()).unwrap();
        assert_eq!(table.per_hour("A", Window::Day) + table.per_hour("A", Window::Evening), 0.0);
    }

    #[test]
    fn the_tags_the_import_writes_are_the_ones_the_siting_rule_reads() {
        use crate::analysis::siting::ServiceWindow;
        assert_eq!(Window::Day.column(), ServiceWindow::Day.tag());
        assert_eq!(Window::Evening.column(), ServiceWindow::Evening.tag());
    }
}
