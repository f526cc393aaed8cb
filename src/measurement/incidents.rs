//! Where a measurement's incident figures come from: the raw rows in the store (analysts), or
//! the public release (everyone else). Every measurement is written once against [`Incidents`],
//! so the public and the analyst see the same method on different inputs.

use super::MeasureError;
use crate::analysis::indicators::Tallies;
use crate::analysis::kde::{Support, WeightedPoint};
use crate::figure::Figure;
use crate::release::Release;
use crate::spatial::SsbProjection;
use crate::store::{Database, Handle, IncidentFilter};

/// The incident data a measurement reads.
#[derive(Clone, Copy)]
pub enum Incidents<'a> {
    /// Raw (snapped) incidents: exact counts, for the analyst role.
    Raw(Handle<'a>),
    /// The public release: noisy counts for fixed units only.
    Released(&'a Release),
}

impl Incidents<'_> {
    /// The first and last year with data (of one source, or of all): the source's coverage.
    /// Before and after it a count is missing, not zero.
    pub fn years(&self, source: Option<&str>) -> Result<Option<(i32, i32)>, MeasureError> {
        Ok(match (self, source) {
            (Incidents::Raw(db), None) => db.incident_years()?,
            (Incidents::Raw(db), Some(source)) => db.years_by_source()?.get(source).copied(),
            (Incidents::Released(release), _) => release.years(source),
        })
    }

    /// The years every one of several sources covers (all sources with data when none is named):
    /// a sum over sources before one of them began would count its missing years as zeros.
    fn coverage(&self, sources: &[String]) -> Result<Option<(i32, i32)>, MeasureError> {
        let all = match self {
            Incidents::Raw(db) => db.years_by_source()?.into_keys().collect(),
            Incidents::Released(release) => release.sources(),
        };
        let mut span: Option<(i32, i32)> = None;
        for source in if sources.is_empty() { &all } else { sources } {
            let Some((a, b)) = self.years(Some(source))? else { continue };
            span = Some(span.map_or((a, b), |(x, y)| (x.max(a), y.min(b))));
        }
        Ok(span.filter(|(a, b)| a <= b))
    }

    /// One point per incident (raw: its snapped position and weight); for the release one point
    /// per 250 m cell at its centre, weighted by the cell's estimate, which may be below 0 (a
    /// density of these is counted with [`Incidents::support`]).
    pub fn points(&self, filter: &IncidentFilter, weighted: bool) -> Result<Vec<WeightedPoint>, MeasureError> {
        match self {
            Incidents::Raw(db) => {
                Ok(db.incident_points(filter)?.into_iter().map(|(x, y, w)| WeightedPoint { x, y, weight: if weighted { w } else { 1.0 } }).collect())
            }
            Incidents::Released(release) => {
                refuse_unreleased(filter, weighted)?;
                let projection = SsbProjection::new();
                let years = filter.years.or_else(|| release.years(None)).unwrap_or((0, -1));
                // One point per cell at its centre, weighted by its estimate (possibly below 0:
                // a kernel sum of unbiased estimates is unbiased; see `Support::Weights`).
                Ok(release
                    .cell_counts(&filter.sources, years)
                    .into_iter()
                    .filter(|(_, n)| *n != 0.0)
                    .filter_map(|(cell, n)| projection.centre(cell).map(|(x, y)| WeightedPoint { x, y, weight: n }))
                    .collect())
            }
        }
    }

    /// What a density's support counts: raw points are incidents; released points stand for the
    /// estimated incidents of their cell.
    pub fn support(&self) -> Support {
        match self {
            Incidents::Raw(_) => Support::Points,
            Incidents::Released(_) => Support::Weights,
        }
    }

    /// Counts per (delbydel, source, year) in total and per category, for `from..=to`.
    pub fn tallies(&self, from: i32, to: i32) -> Result<Tallies, MeasureError> {
        let mut tallies = Tallies::new();
        match self {
            Incidents::Raw(db) => {
                for (code, source, y, category, n) in db.incident_tallies(from, to)? {
                    let t = tallies.entry((code, source, y)).or_default();
                    t.total += Figure::exact(n);
                    *t.categories.entry(category).or_default() += Figure::exact(n);
                }
            }
            Incidents::Released(release) => {
                for source in release.sources() {
                    for year in from..=to {
                        let Some(table) = release.table(&source, year) else {
                            continue;
                        };
                        for (code, n) in table.delbydeler() {
                            let t = tallies.entry((code.to_string(), source.clone(), year)).or_default();
                            t.total = n;
                            t.categories = table.categories(code);
                        }
                    }
                }
            }
        }
        Ok(tallies)
    }

    /// Counts per period (year, or year and month) of a delbydel, a bydel or the city.
    /// Every year (or month) that every included source covers is there: a period without
    /// incidents is a zero, not a gap a trend would silently step over, and a year before a source
    /// began is left out, not counted as its zero.
    pub fn series(&self, code: Option<&str>, filter: &IncidentFilter, monthly: bool) -> Result<Vec<(i32, u32, Figure)>, MeasureError> {
        match self {
            Incidents::Raw(db) => {
                let counted = db.incident_series(code, filter, monthly)?;
                Ok(zero_filled(&counted, self.coverage(&filter.sources)?, monthly).into_iter().map(|(y, m, n)| (y, m, Figure::exact(n))).collect())
            }
            Incidents::Released(release) => released_series(release, code, filter, monthly, self.coverage(&filter.sources)?),
        }
    }
}

/// Counted periods completed with zeros over a coverage of years (months 1-12 when monthly).
fn zero_filled(counted: &[(i32, u32, u64)], coverage: Option<(i32, i32)>, monthly: bool) -> Vec<(i32, u32, u64)> {
    let Some((first, last)) = coverage else { return Vec::new() };
    let months: Vec<u32> = if monthly { (1..=12).collect() } else { vec![0] };
    (first..=last)
        .flat_map(|year| months.iter().map(move |&m| (year, m)))
        .map(|(year, m)| (year, m, counted.iter().find(|(y, mm, _)| *y == year && *mm == m).map_or(0, |c| c.2)))
        .collect()
}

/// The release holds no weights and no categories per cell: say so instead of answering wrongly.
fn refuse_unreleased(filter: &IncidentFilter, weighted: bool) -> Result<(), MeasureError> {
    if filter.category.is_some() {
        return Err(MeasureError::BadParameter(
            "category maps are not public: the public release has categories per delbydel only (see /api/series?code=…&category=…)".into(),
        ));
    }
    if weighted {
        return Err(MeasureError::BadParameter("weighted maps are not public: the public release counts incidents".into()));
    }
    Ok(())
}

/// A series from the release: each period's figure is the estimate of that very sum (a bydel, a
/// category over a bydel's delbydeler, a month) with its own variance; sources add up as
/// independent measurements.
fn released_series(
    release: &Release,
    code: Option<&str>,
    filter: &IncidentFilter,
    monthly: bool,
    coverage: Option<(i32, i32)>,
) -> Result<Vec<(i32, u32, Figure)>, MeasureError> {
    let sources: Vec<String> = if filter.sources.is_empty() { release.sources() } else { filter.sources.clone() };
    let areas = &release.settings.areas;
    if let Some(c) = code.filter(|c| !areas.contains_key(*c) && !areas.values().any(|b| b == c)) {
        return Err(MeasureError::BadParameter(format!("no delbydel or bydel with code '{c}'")));
    }
    let Some((first, last)) = coverage else {
        return Ok(Vec::new());
    };
    let mut out = Vec::new();
    for year in first..=last {
        let tables: Vec<_> = sources.iter().filter_map(|s| release.table(s, year)).collect();
        if tables.is_empty() {
            continue;
        }
        let in_scope = |delbydel: &str| code.is_none_or(|c| c == delbydel || areas.get(delbydel).is_some_and(|b| b == c));
        let months: Vec<u32> = if monthly { (1..=12).collect() } else { vec![0] };
        for month in months {
            let mut total = Figure::default();
            for table in &tables {
                total += match (&filter.category, monthly, code) {
                    (None, false, None) => table.city(),
                    (None, false, Some(c)) => table.area(c).unwrap_or_default(),
                    (Some(cat), false, _) => table.category_in(cat, in_scope),
                    (None, true, _) => table.month_in(month as u8, in_scope),
                    (Some(_), true, _) => {
                        return Err(MeasureError::BadParameter(
                            "monthly series per category are not public: the release has months and categories per delbydel separately".into(),
                        ));
                    }
                };
            }
            out.push((year, month, total));
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::zero_filled;

    #[test]
    fn empty_years_and_months_are_zeros_within_the_coverage_only() {
        assert_eq!(zero_filled(&[(2021, 0, 4), (2023, 0, 2)], Some((2021, 2023)), false), [(2021, 0, 4), (2022, 0, 0), (2023, 0, 2)]);
        let monthly = zero_filled(&[(2024, 3, 7)], Some((2024, 2024)), true);
        assert_eq!(monthly.len(), 12);
        assert_eq!((monthly[0], monthly[2]), ((2024, 1, 0), (2024, 3, 7)));
        assert!(zero_filled(&[(2020, 0, 1)], None, false).is_empty());
    }
}
