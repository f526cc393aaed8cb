//! What every file format reader yields: raw rows with a line number, their cells as text, and
//! (GeoJSON only) a geometry. Validation turns them into [`crate::feature::Feature`]s.

use std::borrow::Cow;
use std::sync::Arc;

use super::Rejection;
use crate::spatial::Crs;

/// Column name to position in a row. Looked up several times for every row of a file, so with
/// a fast hash (foldhash) instead of the DoS-resistant default: the keys are the file's header.
pub type ColumnIndex = foldhash::HashMap<String, usize>;

/// One row as read, before validation.
pub struct RawRow {
    /// 1-based line in the file (GeoJSON: the line the feature starts on; Parquet: the row number).
    pub line: usize,
    /// The feature's number in the file (1-based) for feature formats, whose rejections name
    /// the feature as well as the line.
    pub feature: Option<usize>,
    pub cells: Cells,
    /// The feature's geometry (GeoJSON). Tabular rows carry coordinates in their cells.
    pub geometry: Option<geojson::Geometry>,
}

/// A row's cells, by column name.
pub enum Cells {
    Tabular {
        columns: Arc<ColumnIndex>,
        values: Vec<String>,
    },
    /// A CSV record as read (one allocation per row, not one per cell).
    Record {
        columns: Arc<ColumnIndex>,
        record: csv::StringRecord,
    },
    Json(serde_json::Map<String, serde_json::Value>),
}

impl Cells {
    /// The cell's text; `None` when the column is absent, empty or null.
    pub fn get(&self, column: &str) -> Option<Cow<'_, str>> {
        let text = match self {
            Cells::Tabular { columns, values } => Cow::Borrowed(values.get(*columns.get(column)?)?.as_str()),
            Cells::Record { columns, record } => Cow::Borrowed(record.get(*columns.get(column)?)?),
            Cells::Json(map) => match map.get(column)? {
                serde_json::Value::Null => return None,
                serde_json::Value::String(s) => Cow::Borrowed(s.as_str()),
                other => Cow::Owned(other.to_string()),
            },
        };
        let trimmed = text.trim();
        (!trimmed.is_empty()).then(|| match text {
            Cow::Borrowed(s) => Cow::Borrowed(s.trim()),
            Cow::Owned(s) => Cow::Owned(s.trim().to_string()),
        })
    }

    /// The columns, in file order, whose cell satisfies `test` (the personal-identifier scan:
    /// run on every cell of every row, so a name is looked up only for a cell that matches).
    pub fn columns_where(&self, test: impl Fn(&str) -> bool) -> Vec<String> {
        let name_of =
            |columns: &ColumnIndex, i: usize| columns.iter().find(|&(_, &at)| at == i).map_or_else(|| format!("#{}", i + 1), |(name, _)| name.clone());
        match self {
            Cells::Tabular { columns, values } => values.iter().enumerate().filter(|(_, v)| test(v)).map(|(i, _)| name_of(columns, i)).collect(),
            Cells::Record { columns, record } => record.iter().enumerate().filter(|(_, v)| test(v)).map(|(i, _)| name_of(columns, i)).collect(),
            Cells::Json(map) => map
                .iter()
                .filter(|(_, v)| match v {
                    serde_json::Value::String(s) => test(s),
                    other => test(&other.to_string()),
                })
                .map(|(k, _)| k.clone())
                .collect(),
        }
    }
}

impl Source {
    /// A table read whole into memory (Excel, GTFS, OpenStreetMap, Parquet): coordinates in
    /// columns, no declared CRS, numbers with a decimal point.
    pub fn in_memory(format: &'static str, columns: Vec<String>, rows: Vec<Result<RawRow, Rejection>>, notes: Vec<String>) -> Source {
        let len_hint = Some(rows.len() as u64);
        Source { format, columns, declared_crs: None, wgs84_by_default: false, rows: Box::new(rows.into_iter()), len_hint, decimal_comma: false, notes }
    }
}

/// A file opened by one of the format readers.
pub struct Source {
    pub format: &'static str,
    /// Column names (GeoJSON: every property name in the file).
    pub columns: Vec<String>,
    /// The CRS the file declares, if any (GeoJSON `crs` member).
    pub declared_crs: Option<Crs>,
    /// Whether a file without a declared CRS is WGS84 by definition (GeoJSON, RFC 7946).
    pub wgs84_by_default: bool,
    /// Rows in file order; a row that cannot even be read is a rejection.
    pub rows: Box<dyn Iterator<Item = Result<RawRow, Rejection>> + Send>,
    /// Total rows when known up front (for the progress bar).
    pub len_hint: Option<u64>,
    /// Numbers are written with a decimal comma.
    pub decimal_comma: bool,
    /// What was detected about the file (separator, encoding), for the summary.
    pub notes: Vec<String>,
}
