//! Reads the stops of a GTFS feed (a `.zip` with `stops.txt`, as Entur publishes for Norway):
//! stops and platforms (`location_type` 0 or empty), not stations, entrances or nodes, which
//! would count one stop place several times. Rows have the columns `id` (`stop_id`), `name`,
//! `category` (`stop`, or `platform` when the stop belongs to a station), `lon` and `lat`.

use std::io::Read;
use std::path::Path;
use std::sync::Arc;

use super::source::ColumnIndex;
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
    let columns: Vec<String> = ["id", "name", "category", "lon", "lat"].map(String::from).to_vec();
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
        let values = vec![cell(Some(id)), cell(name), category.to_string(), cell(Some(lon)), cell(Some(lat))];
        rows.push(Ok::<_, Rejection>(RawRow { line, feature: None, cells: Cells::Tabular { columns: Arc::clone(&index), values }, geometry: None }));
    }
    Ok(Source::in_memory("gtfs", columns, rows, vec!["GTFS stops.txt".into()]))
}
