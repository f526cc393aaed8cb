//! Reads Parquet files through DuckDB's own reader (no extra Parquet crate), with coordinate
//! columns like CSV. DuckDB casts every cell to text (dates as YYYY-MM-DD, decimals in full), so
//! validation treats Parquet exactly as CSV. Rows are numbered from 1 in place of lines.

use std::path::Path;
use std::sync::Arc;

use super::source::ColumnIndex;
use super::{
    ImportError,
    source::{Cells, RawRow, Source},
};

pub fn read(path: &Path) -> Result<Source, ImportError> {
    let fail = |e: duckdb::Error| ImportError::file(path, format!("cannot read as Parquet: {e}"));
    let conn = duckdb::Connection::open_in_memory().map_err(fail)?;
    let mut stmt = conn.prepare("SELECT COLUMNS(*)::VARCHAR FROM read_parquet(?)").map_err(fail)?;
    let mut rows = stmt.query([path.to_string_lossy().to_string()]).map_err(fail)?;
    let columns: Vec<String> = rows.as_ref().map(|s| s.column_names()).unwrap_or_default();
    let index: Arc<ColumnIndex> = Arc::new(columns.iter().enumerate().map(|(i, c)| (c.clone(), i)).collect());
    let mut out = Vec::new();
    while let Some(row) = rows.next().map_err(fail)? {
        let values = (0..columns.len()).map(|i| row.get::<_, Option<String>>(i).map(Option::unwrap_or_default)).collect::<Result<Vec<_>, _>>().map_err(fail)?;
        out.push(Ok(RawRow { line: out.len() + 1, feature: None, cells: Cells::Tabular { columns: Arc::clone(&index), values }, geometry: None }));
    }
    Ok(Source::in_memory("parquet", columns, out, Vec::new()))
}
