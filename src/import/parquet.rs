//! Reads Parquet files through DuckDB's own reader (no extra Parquet crate), with coordinate
//! columns like CSV. Rows are numbered from 1 in place of lines.

use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;

use duckdb::types::ValueRef;

use super::{source::{Cells, RawRow, Source}, ImportError};

pub fn read(path: &Path) -> Result<Source, ImportError> {
    let fail = |e: duckdb::Error| ImportError::file(path, format!("cannot read as Parquet: {e}"));
    let conn = duckdb::Connection::open_in_memory().map_err(fail)?;
    let mut stmt = conn.prepare("SELECT * FROM read_parquet(?)").map_err(fail)?;
    let mut rows = stmt.query([path.to_string_lossy().to_string()]).map_err(fail)?;
    let columns: Vec<String> = rows.as_ref().map(|s| s.column_names()).unwrap_or_default();
    let index: Arc<HashMap<String, usize>> = Arc::new(columns.iter().enumerate().map(|(i, c)| (c.clone(), i)).collect());
    let mut out = Vec::new();
    while let Some(row) = rows.next().map_err(fail)? {
        let values = (0..columns.len())
            .map(|i| row.get_ref(i).map(cell_text))
            .collect::<Result<Vec<_>, _>>()
            .map_err(fail)?;
        out.push(Ok(RawRow { line: out.len() + 1, cells: Cells::Tabular { columns: Arc::clone(&index), values }, geometry: None }));
    }
    let len = out.len() as u64;
    Ok(Source { format: "parquet", columns, declared_crs: None, wgs84_by_default: false, rows: Box::new(out.into_iter()), len_hint: Some(len) })
}

fn cell_text(value: ValueRef<'_>) -> String {
    match value {
        ValueRef::Null => String::new(),
        ValueRef::Text(bytes) => String::from_utf8_lossy(bytes).into_owned(),
        ValueRef::Date32(days) => {
            let epoch = chrono::NaiveDate::from_ymd_opt(1970, 1, 1).expect("valid date");
            (epoch + chrono::Duration::days(days.into())).format("%Y-%m-%d").to_string()
        }
        other => match other.to_owned() {
            duckdb::types::Value::Boolean(b) => b.to_string(),
            duckdb::types::Value::TinyInt(i) => i.to_string(),
            duckdb::types::Value::SmallInt(i) => i.to_string(),
            duckdb::types::Value::Int(i) => i.to_string(),
            duckdb::types::Value::BigInt(i) => i.to_string(),
            duckdb::types::Value::UInt(i) => i.to_string(),
            duckdb::types::Value::UBigInt(i) => i.to_string(),
            duckdb::types::Value::Float(f) => f.to_string(),
            duckdb::types::Value::Double(f) => f.to_string(),
            v => format!("{v:?}"),
        },
    }
}
