//! Reads Excel workbooks (`.xlsx`, `.xls`, `.ods`) through `calamine`: the first sheet (or the
//! one named with `--source-layer`), its first row the header, like a CSV. Date cells become
//! ISO dates; numbers keep their full precision (no decimal-comma question arises).

use std::path::Path;
use std::sync::Arc;

use calamine::{open_workbook_auto, Data, Reader};

use super::source::ColumnIndex;
use super::{
    source::{Cells, RawRow, Source},
    ImportError,
};

pub fn read(path: &Path, sheet: Option<&str>) -> Result<Source, ImportError> {
    let fail = |reason: String| ImportError::file(path, reason);
    let mut workbook = open_workbook_auto(path).map_err(|e| fail(format!("not a readable Excel workbook: {e}")))?;
    let names = workbook.sheet_names();
    let name = match sheet {
        Some(wanted) => {
            names.iter().find(|n| n.as_str() == wanted).cloned().ok_or_else(|| fail(format!("no sheet '{wanted}'; it has {}", names.join(", "))))?
        }
        None => names.first().cloned().ok_or_else(|| fail("the workbook has no sheets".into()))?,
    };
    let range = workbook.worksheet_range(&name).map_err(|e| fail(format!("sheet {name}: {e}")))?;
    let mut rows = range.rows();
    let header: Vec<String> = rows.next().ok_or_else(|| fail(format!("sheet {name} is empty")))?.iter().map(cell_text).collect();
    let index: Arc<ColumnIndex> = Arc::new(header.iter().enumerate().map(|(i, c)| (c.clone(), i)).collect());
    // Row numbers as Excel shows them: the header is row 1 (plus the sheet's first used row).
    let first = range.start().map_or(0, |(row, _)| row as usize);
    let data: Vec<_> = rows
        .enumerate()
        .filter(|(_, cells)| cells.iter().any(|c| !matches!(c, Data::Empty)))
        .map(|(i, cells)| {
            Ok(RawRow {
                line: first + i + 2,
                feature: None,
                cells: Cells::Tabular { columns: Arc::clone(&index), values: cells.iter().map(cell_text).collect() },
                geometry: None,
            })
        })
        .collect();
    let notes = vec![format!("sheet {name}")];
    Ok(Source::in_memory("xlsx", header, data, notes))
}

/// A cell as text; dates as YYYY-MM-DD (with the time when it has one).
fn cell_text(cell: &Data) -> String {
    match cell {
        Data::Empty | Data::Error(_) => String::new(),
        Data::String(s) | Data::DateTimeIso(s) | Data::DurationIso(s) => s.trim().to_string(),
        Data::Int(i) => i.to_string(),
        Data::Float(f) => f.to_string(),
        Data::Bool(b) => b.to_string(),
        Data::DateTime(d) => excel_date(d.as_f64()),
    }
}

/// An Excel serial date (days since 1899-12-30, the 1900 leap-year bug included) as ISO text.
///
/// ```
/// assert_eq!(bomiljo::import::xlsx::excel_date(44940.0), "2023-01-14");
/// assert_eq!(bomiljo::import::xlsx::excel_date(44940.5), "2023-01-14 12:00:00");
/// ```
pub fn excel_date(serial: f64) -> String {
    let epoch = chrono::NaiveDate::from_ymd_opt(1899, 12, 30).expect("valid date").and_hms_opt(0, 0, 0).expect("valid time");
    let seconds = (serial * 86_400.0).round() as i64;
    let at = epoch + chrono::Duration::seconds(seconds);
    if seconds % 86_400 == 0 {
        at.format("%Y-%m-%d").to_string()
    } else {
        at.format("%Y-%m-%d %H:%M:%S").to_string()
    }
}
