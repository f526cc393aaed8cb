//! Reads Parquet files through DuckDB's own reader in the store (no extra Parquet crate), with coordinate
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
    let (columns, rows) = crate::store::ops::read_parquet_text(path).map_err(|e| ImportError::file(path, e.to_string()))?;
    let index: Arc<ColumnIndex> = Arc::new(columns.iter().enumerate().map(|(i, c)| (c.clone(), i)).collect());
    let rows = rows
        .into_iter()
        .enumerate()
        .map(|(i, values)| Ok(RawRow { line: i + 1, feature: None, cells: Cells::Tabular { columns: Arc::clone(&index), values }, geometry: None }))
        .collect();
    Ok(Source::in_memory("parquet", columns, rows, Vec::new()))
}
