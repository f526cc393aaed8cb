//! Reads the stops of a GTFS feed (a `.zip` with `stops.txt`, as Entur publishes for Norway):
//! stops and platforms (`location_type` 0 or empty), not stations, entrances or nodes, which
//! would count one stop place several times. Rows have the columns `id` (`stop_id`), `name`,
//! `category` (`stop`, or `platform` when the stop belongs to a station), `lon` and `lat`; when the
//! feed has its timetable (`trips.txt`, `stop_times.txt` and a calendar), also each stop's
//! departures per hour on a reference weekday (`departures_day`, `departures_evening`: see
//! [`super::timetable`]).

use std::io::Read;
use std::path::Path;
use std::sync::Arc;

use super::source::ColumnIndex;
use super::timetable::{Timetable, Window};
use super::{
    ImportError, Rejection,
    source::{Cells, RawRow, Source},
};

pub fn read(path: &Path, budget: &super::limits::Budget) -> Result<Source, ImportError> {
    let fail = |reason: String| ImportError::file(path, reason);
    super::limits::check_zip(path, budget)?;
    let file = std::fs::File::open(path).map_err(|e| fail(e.to_string()))?;
    let mut archive = zip::ZipArchive::new(file).map_err(|e| fail(format!("not a zip file: {e}")))?;
    let mut text = String::new();
    archive
        .by_name("stops.txt")
        .map_err(|_| fail("the zip has no stops.txt; bomiljo reads stops from GTFS feeds".into()))?
        .read_to_string(&mut text)
        .map_err(|e| fail(format!("stops.txt: {e}")))?;
    let text = text.trim_start_matches('\u{feff}').replace("\r\n", "\n");
    let mut reader = csv::ReaderBuilder::new().trim(csv::Trim::All).from_reader(text.as_bytes());
    let header: Vec<String> = reader.headers().map_err(|e| fail(format!("stops.txt header: {e}")))?.iter().map(str::to_string).collect();
    let at = |name: &str| header.iter().position(|h| h == name);
    let (Some(id), Some(lat), Some(lon)) = (at("stop_id"), at("stop_lat"), at("stop_lon")) else {
        return Err(fail("stops.txt lacks stop_id, stop_lat or stop_lon".into()));
    };
    let (name, kind, parent) = (at("stop_name"), at("location_type"), at("parent_station"));
    let timetable = timetable(&mut archive).map_err(|e| fail(format!("the timetable: {e}")))?;
    let mut columns: Vec<String> = ["id", "name", "category", "lon", "lat"].map(String::from).to_vec();
    if timetable.is_some() {
        columns.extend(Window::ALL.map(|w| w.column().to_string()));
    }
    let index: Arc<ColumnIndex> = Arc::new(columns.iter().enumerate().map(|(i, c)| (c.clone(), i)).collect());
    let mut rows = Vec::new();
    for record in reader.records() {
        let record = record.map_err(|e| fail(format!("stops.txt: {e}")))?;
        let line = record.position().map_or(0, |p| p.line() as usize);
        let cell = |i: Option<usize>| i.and_then(|i| record.get(i)).unwrap_or_default().to_string();
        if !matches!(cell(kind).as_str(), "" | "0") {
            continue;
        }
        if rows.len() * columns.len() >= budget.cells {
            return Err(fail(format!("stops.txt holds more than {} stops; an import reads at most {} cells ({})", rows.len(), budget.cells, budget.advice())));
        }
        let category = if cell(parent).is_empty() { "stop" } else { "platform" };
        let mut values = vec![cell(Some(id)), cell(name), category.to_string(), cell(Some(lon)), cell(Some(lat))];
        if let Some(table) = &timetable {
            values.extend(Window::ALL.map(|w| format!("{:.2}", table.per_hour(&cell(Some(id)), w))));
        }
        rows.push(Ok::<_, Rejection>(RawRow { line, feature: None, cells: Cells::Tabular { columns: Arc::clone(&index), values }, geometry: None }));
    }
    let mut notes = vec!["GTFS stops.txt".to_string()];
    if let Some(table) = &timetable {
        notes.push(format!("departures on {} {} ({} trips)", table.day.format("%A"), table.day, table.trips));
    }
    Ok(Source::in_memory("gtfs", columns, rows, notes))
}

/// The feed's timetable, when it has one (`trips.txt`, `stop_times.txt` and a calendar).
fn timetable(archive: &mut zip::ZipArchive<std::fs::File>) -> Result<Option<Timetable>, String> {
    let has = |archive: &zip::ZipArchive<std::fs::File>, name: &str| archive.file_names().any(|n| n == name);
    if !has(archive, "trips.txt") || !has(archive, "stop_times.txt") || !(has(archive, "calendar.txt") || has(archive, "calendar_dates.txt")) {
        return Ok(None);
    }
    // The small files are read whole; stop_times.txt, the large one, streams from the archive.
    let mut whole = |name: &str| -> Result<Option<Vec<u8>>, String> {
        match archive.by_name(name) {
            Ok(mut file) => {
                let mut bytes = Vec::new();
                file.read_to_end(&mut bytes).map_err(|e| format!("{name}: {e}"))?;
                Ok(Some(bytes))
            }
            Err(_) => Ok(None),
        }
    };
    let (trips, calendar, calendar_dates) = (whole("trips.txt")?.unwrap_or_default(), whole("calendar.txt")?, whole("calendar_dates.txt")?);
    let stop_times = archive.by_name("stop_times.txt").map_err(|e| format!("stop_times.txt: {e}"))?;
    Timetable::read(trips.as_slice(), calendar.as_deref(), calendar_dates.as_deref(), stop_times).map(Some)
}
