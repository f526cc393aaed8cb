//! Reads Excel workbooks (`.xlsx`, `.xls`, `.ods`) through `calamine`: the first sheet (or the
//! one named with `--source-layer`), its first row the header, like a CSV. Date cells become
//! ISO dates; numbers keep their full precision (no decimal-comma question arises).

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;

use calamine::{Data, Reader, Xlsx, open_workbook, open_workbook_auto};

use super::limits::{self, Budget, MAX_COLUMNS};
use super::source::ColumnIndex;
use super::{
    ImportError,
    source::{Cells, RawRow, Source},
};

pub fn read(path: &Path, sheet: Option<&str>, budget: &Budget) -> Result<Source, ImportError> {
    let fail = |reason: String| ImportError::file(path, reason);
    let extension = path.extension().and_then(|e| e.to_str()).map(str::to_lowercase);
    if matches!(extension.as_deref(), Some("xlsx" | "xlsm" | "ods")) {
        limits::check_zip(path, budget)?;
    }
    if extension.as_deref() != Some("xlsx") {
        return read_range(path, sheet, budget);
    }
    let mut workbook: Xlsx<_> = open_workbook(path).map_err(|e| fail(format!("not a readable Excel workbook: {e}")))?;
    let name = sheet_name(path, &workbook.sheet_names(), sheet)?;
    // Cells one by one, never the sheet's declared dimension (a cell in A1 and one in XFD1048576
    // once made a 17-billion-cell range): only cells that hold something, bounded in number and
    // column.
    let mut cells = workbook.worksheet_cells_reader(&name).map_err(|e| fail(format!("sheet {name}: {e}")))?;
    let mut rows: BTreeMap<u32, Vec<(usize, String)>> = BTreeMap::new();
    let mut held = 0usize;
    while let Some(cell) = cells.next_cell().map_err(|e| fail(format!("sheet {name}: {e}")))? {
        let value = Data::from(cell.get_value().clone());
        if matches!(value, Data::Empty) {
            continue;
        }
        let (row, column) = cell.get_position();
        let column = column as usize;
        if column >= MAX_COLUMNS {
            return Err(fail(format!("sheet {name}: a cell in column {} (row {}); an import reads at most {MAX_COLUMNS} columns", column + 1, row + 1)));
        }
        held += 1;
        if held > budget.cells {
            return Err(fail(format!("sheet {name} holds more than {} cells; {}", budget.cells, budget.advice())));
        }
        rows.entry(row).or_default().push((column, cell_text(&value)));
    }
    let filled: Vec<(u32, Vec<(usize, String)>)> = rows.into_iter().filter(|(_, cells)| cells.iter().any(|(_, v)| !v.is_empty())).collect();
    let titles = title_rows(&filled.iter().map(|(_, cells)| cells.iter().filter(|(_, v)| !v.is_empty()).count()).collect::<Vec<_>>());
    let mut notes = vec![format!("sheet {name}")];
    if titles > 0 {
        notes.push(format!("header on row {} below {titles} title row(s)", filled[titles].0 + 1));
    }
    let mut rows = filled.into_iter().skip(titles);
    let (_, header_cells) = rows.next().ok_or_else(|| fail(format!("sheet {name} is empty")))?;
    let width = header_cells.iter().map(|(c, _)| c + 1).max().unwrap_or(0);
    let widen = |cells: Vec<(usize, String)>| {
        let mut values = vec![String::new(); width];
        for (column, value) in cells.into_iter().filter(|(c, _)| *c < width) {
            values[column] = value;
        }
        values
    };
    let header = widen(header_cells);
    let index: Arc<ColumnIndex> = Arc::new(header.iter().enumerate().map(|(i, c)| (c.clone(), i)).collect());
    // Row numbers as Excel shows them.
    let data: Vec<_> = rows
        .map(|(row, cells)| {
            Ok(RawRow { line: row as usize + 1, feature: None, cells: Cells::Tabular { columns: Arc::clone(&index), values: widen(cells) }, geometry: None })
        })
        .collect();
    Ok(Source::in_memory("xlsx", header, data, notes))
}

/// How many rows above the header are titles ("Politiets hendelser 2024", "Kilde: ..."): the
/// leading rows of fewer than two filled cells, when a row of two or more follows. `filled`
/// holds each non-empty row's count of filled cells, in order.
fn title_rows(filled: &[usize]) -> usize {
    let titles = filled.iter().take_while(|&&n| n < 2).count();
    if titles < filled.len() { titles } else { 0 }
}

/// The sheet asked for, or the first.
fn sheet_name(path: &Path, names: &[String], sheet: Option<&str>) -> Result<String, ImportError> {
    let fail = |reason: String| ImportError::file(path, reason);
    match sheet {
        Some(wanted) => names.iter().find(|n| n.as_str() == wanted).cloned().ok_or_else(|| fail(format!("no sheet '{wanted}'; it has {}", names.join(", ")))),
        None => names.first().cloned().ok_or_else(|| fail("the workbook has no sheets".into())),
    }
}

/// `.xls` and `.ods` through calamine's whole-sheet range, refused when the range is too large.
fn read_range(path: &Path, sheet: Option<&str>, budget: &Budget) -> Result<Source, ImportError> {
    let fail = |reason: String| ImportError::file(path, reason);
    let mut workbook = open_workbook_auto(path).map_err(|e| fail(format!("not a readable Excel workbook: {e}")))?;
    let name = sheet_name(path, &workbook.sheet_names(), sheet)?;
    let range = workbook.worksheet_range(&name).map_err(|e| fail(format!("sheet {name}: {e}")))?;
    let (height, width) = range.get_size();
    if width > MAX_COLUMNS || height.saturating_mul(width) > budget.cells {
        return Err(fail(format!(
            "sheet {name} spans {height} rows x {width} columns; an import reads at most {MAX_COLUMNS} columns and {} cells ({})",
            budget.cells,
            budget.advice()
        )));
    }
    let counts: Vec<usize> = range.rows().map(|cells| cells.iter().filter(|c| !matches!(c, Data::Empty)).count()).collect();
    // Empty rows above the header count as neither titles nor data.
    let leading_empty = counts.iter().take_while(|&&n| n == 0).count();
    let titles = leading_empty + title_rows(&counts[leading_empty..].iter().copied().filter(|&n| n > 0).collect::<Vec<_>>());
    let mut notes = vec![format!("sheet {name}")];
    let mut rows = range.rows().enumerate().skip(titles).skip_while(|(_, cells)| cells.iter().all(|c| matches!(c, Data::Empty)));
    let (header_at, header) =
        rows.next().map(|(i, cells)| (i, cells.iter().map(cell_text).collect::<Vec<String>>())).ok_or_else(|| fail(format!("sheet {name} is empty")))?;
    let index: Arc<ColumnIndex> = Arc::new(header.iter().enumerate().map(|(i, c)| (c.clone(), i)).collect());
    // Row numbers as Excel shows them (plus the sheet's first used row).
    let first = range.start().map_or(0, |(row, _)| row as usize);
    if header_at > 0 {
        notes.push(format!("header on row {} below title row(s)", first + header_at + 1));
    }
    let data: Vec<_> = rows
        .filter(|(_, cells)| cells.iter().any(|c| !matches!(c, Data::Empty)))
        .map(|(i, cells)| {
            Ok(RawRow {
                line: first + i + 1,
                feature: None,
                cells: Cells::Tabular { columns: Arc::clone(&index), values: cells.iter().map(cell_text).collect() },
                geometry: None,
            })
        })
        .collect();
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
    if seconds % 86_400 == 0 { at.format("%Y-%m-%d").to_string() } else { at.format("%Y-%m-%d %H:%M:%S").to_string() }
}

#[cfg(test)]
mod tests {
    use super::title_rows;

    #[test]
    fn leading_rows_of_one_cell_above_a_wider_row_are_titles() {
        assert_eq!(title_rows(&[1, 1, 5, 5]), 2);
        assert_eq!(title_rows(&[5, 5]), 0);
        // A one-column sheet has no titles to skip: every row has one cell.
        assert_eq!(title_rows(&[1, 1, 1]), 0);
    }
}
