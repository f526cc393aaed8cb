//! Reads CSV files with a header row and coordinate columns (lon/lat or x/y).

use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;

use super::{
    source::{Cells, RawRow, Source},
    ImportError, Rejection,
};

pub fn read(path: &Path) -> Result<Source, ImportError> {
    let mut reader = csv::ReaderBuilder::new().flexible(true).trim(csv::Trim::All).from_path(path).map_err(|e| ImportError::file(path, e.to_string()))?;
    let headers: Vec<String> =
        reader.headers().map_err(|e| ImportError::file(path, format!("cannot read the header row: {e}")))?.iter().map(str::to_string).collect();
    let columns: Arc<HashMap<String, usize>> = Arc::new(headers.iter().enumerate().map(|(i, h)| (h.clone(), i)).collect());
    let width = headers.len();
    let len_hint = count_data_lines(path);
    let rows = reader.into_records().map(move |record| {
        let record = record.map_err(|e| {
            let line = e.position().map_or(0, |p| p.line() as usize);
            Rejection::new(line, format!("unreadable CSV row: {e}"))
        })?;
        let line = record.position().map_or(0, |p| p.line() as usize);
        if record.len() != width {
            return Err(Rejection::new(line, format!("has {} fields but the header has {width}; is the row truncated?", record.len())));
        }
        Ok(RawRow { line, cells: Cells::Tabular { columns: Arc::clone(&columns), values: record.iter().map(str::to_string).collect() }, geometry: None })
    });
    Ok(Source { format: "csv", columns: headers, declared_crs: None, wgs84_by_default: false, rows: Box::new(rows), len_hint })
}

/// Lines after the header, for the progress bar (quoted newlines make it an estimate).
fn count_data_lines(path: &Path) -> Option<u64> {
    let bytes = std::fs::read(path).ok()?;
    Some(bytes.iter().filter(|&&b| b == b'\n').count().saturating_sub(1) as u64)
}
