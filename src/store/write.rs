//! Writes one import as a single transaction: features are appended to a staging table with
//! DuckDB's Appender, the rows the import supersedes (the whole layer in [`ImportMode::Replace`],
//! rows with the same (layer, id) in [`ImportMode::Append`]) move to the table's history, the
//! import is logged, and nothing is visible until [`PendingImport::commit`]. Dropping a pending
//! import rolls it back, and so does a crash: DuckDB's WAL never replays an uncommitted
//! transaction. [`undo_last`] reverses the newest import of a layer from that history.

use chrono::NaiveDate;
use duckdb::{params, types::Value, Connection, Transaction};
use geo::Area;

use super::StoreError;
use crate::config::{Layer, LayerKind};
use crate::feature::{Feature, FieldValue};

const STAGING: &str = "staging_import";

/// The table a kind of layer is stored in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Table {
    Areas,
    Features,
    Housing,
    Incidents,
}

impl Table {
    pub fn for_kind(kind: LayerKind) -> Table {
        match kind {
            LayerKind::Areas => Table::Areas,
            LayerKind::Population | LayerKind::Poi => Table::Features,
            LayerKind::Housing => Table::Housing,
            LayerKind::Incidents => Table::Incidents,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Table::Areas => "areas",
            Table::Features => "features",
            Table::Housing => "housing",
            Table::Incidents => "incidents",
        }
    }

    /// One row of this table, in the column order of `schema/0001_init.sql`.
    fn row(self, layer: &Layer, f: &Feature, import_id: i64) -> Vec<Value> {
        let text = |s: &Option<String>| s.clone().map_or(Value::Null, Value::Text);
        let geometry = || f.polygon.as_ref().map_or(Value::Null, |p| Value::Text(geojson::Geometry::from(p).to_string()));
        let head = [Value::Text(layer.name.clone())];
        let cells: Vec<Value> = match self {
            Table::Areas => vec![
                Value::Text(f.id.clone()),
                value(f.get("name")),
                value(f.get("parent")),
                value(f.get("population")),
                Value::Double(f.polygon.as_ref().map_or(0.0, |p| p.unsigned_area())),
                Value::Double(f.x),
                Value::Double(f.y),
                geometry(),
            ],
            Table::Features => vec![
                Value::Text(f.id.clone()),
                value(f.get("name")),
                value(f.get("category")),
                value(f.get("population")),
                Value::Double(f.x),
                Value::Double(f.y),
                geometry(),
                text(&f.delbydel),
                text(&f.bydel),
            ],
            Table::Housing => vec![
                Value::Text(f.id.clone()),
                value(f.get("units")),
                value(f.get("group")),
                Value::Boolean(matches!(f.get("has_staff_base"), FieldValue::Boolean(true))),
                value(f.get("opened")),
                value(f.get("closed")),
                Value::Double(f.x),
                Value::Double(f.y),
                text(&f.delbydel),
                text(&f.bydel),
            ],
            Table::Incidents => {
                let FieldValue::Date(date) = f.get("date") else { unreachable!("incident dates are required and validated before they reach the store") };
                use chrono::Datelike;
                vec![
                    Value::Text(layer.source.clone().unwrap_or_default()),
                    Value::Text(f.id.clone()),
                    date_value(*date),
                    Value::SmallInt(date.year() as i16),
                    Value::TinyInt(date.month() as i8),
                    value(f.get("category")),
                    match f.get("weight") {
                        FieldValue::Number(w) => Value::Double(*w),
                        _ => Value::Double(1.0),
                    },
                    Value::Double(f.x),
                    Value::Double(f.y),
                    text(&f.delbydel),
                    text(&f.bydel),
                ]
            }
        };
        let mut row: Vec<Value> = head.into_iter().chain(cells).chain([Value::BigInt(import_id)]).collect();
        if self == Table::Incidents {
            row.push(f.ssb_cell.map_or(Value::Null, |c| Value::BigInt(c.id())));
        }
        row
    }
}

fn value(v: &FieldValue) -> Value {
    match v {
        FieldValue::Null => Value::Null,
        FieldValue::Text(s) => Value::Text(s.clone()),
        FieldValue::Integer(i) => Value::BigInt(*i),
        FieldValue::Number(n) => Value::Double(*n),
        FieldValue::Date(d) => date_value(*d),
        FieldValue::Boolean(b) => Value::Boolean(*b),
    }
}

fn date_value(d: NaiveDate) -> Value {
    let epoch = NaiveDate::from_ymd_opt(1970, 1, 1).expect("valid date");
    Value::Date32((d - epoch).num_days() as i32)
}

/// What an import does to the rows already in its layer.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ImportMode {
    /// The file is the whole layer: every earlier row is superseded (kept for undo).
    Replace,
    /// The file adds rows; a row with an id already stored replaces that row.
    Append,
}

impl ImportMode {
    /// Reference layers (areas, population, points of interest, housing) arrive as whole
    /// files, so a second file must not pile onto the first; incident exports arrive year by
    /// year and are appended.
    pub fn default_for(kind: LayerKind) -> ImportMode {
        match kind {
            LayerKind::Incidents => ImportMode::Append,
            LayerKind::Areas | LayerKind::Population | LayerKind::Poi | LayerKind::Housing => ImportMode::Replace,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            ImportMode::Replace => "replace",
            ImportMode::Append => "append",
        }
    }
}

impl std::str::FromStr for ImportMode {
    type Err = String;

    fn from_str(s: &str) -> Result<ImportMode, String> {
        match s {
            "replace" => Ok(ImportMode::Replace),
            "append" => Ok(ImportMode::Append),
            other => Err(format!("unknown mode '{other}': replace (the file is the whole layer) or append (add rows, replace by id)")),
        }
    }
}

/// Who imported what, for the import log.
#[derive(Clone, Debug)]
pub struct ImportMeta {
    pub file: String,
    pub format: &'static str,
    pub crs: String,
    pub imported_by: String,
    pub started_at: chrono::DateTime<chrono::Utc>,
    pub mode: ImportMode,
}

/// What an import wrote.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Written {
    pub import_id: i64,
    pub rows: u64,
    /// Earlier rows this import superseded (moved to the history, restored by undo).
    pub replaced: u64,
    pub unassigned: u64,
}

/// An import written inside an open transaction: commit it, or drop it to roll back.
pub struct PendingImport<'c> {
    tx: Transaction<'c>,
    pub written: Written,
}

impl PendingImport<'_> {
    /// The transaction's view of the database (it sees the staged rows).
    pub fn conn(&self) -> &Connection {
        &self.tx
    }

    /// Gives every stored point a new delbydel and bydel from `locate`, inside this import's
    /// transaction: used when the areas themselves are (re-)imported. Returns the points updated.
    pub fn reassign_points(&self, locate: impl Fn(f64, f64) -> Option<(String, Option<String>)>) -> Result<u64, StoreError> {
        let mut updated = 0;
        for table in [Table::Features, Table::Housing, Table::Incidents].map(Table::name) {
            let what = || format!("re-assigning delbydeler in {table}");
            self.tx.execute_batch("CREATE TABLE reassigned (rid BIGINT, delbydel VARCHAR, bydel VARCHAR)").map_err(StoreError::query(what()))?;
            {
                let mut stmt = self.tx.prepare(&format!("SELECT rowid, x, y FROM {table}")).map_err(StoreError::query(what()))?;
                let rows = stmt.query_map([], |r| Ok((r.get::<_, i64>(0)?, r.get::<_, f64>(1)?, r.get::<_, f64>(2)?))).map_err(StoreError::query(what()))?;
                let mut appender = self.tx.appender("reassigned").map_err(StoreError::query(what()))?;
                for row in rows {
                    let (rid, x, y) = row.map_err(StoreError::query(what()))?;
                    let (delbydel, bydel) = locate(x, y).map_or((None, None), |(d, b)| (Some(d), b));
                    appender.append_row(params![rid, delbydel, bydel]).map_err(StoreError::query(what()))?;
                    updated += 1;
                }
                appender.flush().map_err(StoreError::query(what()))?;
            }
            self.tx
                .execute_batch(&format!(
                    "UPDATE {table} SET delbydel = r.delbydel, bydel = r.bydel FROM reassigned r WHERE {table}.rowid = r.rid;
                     DROP TABLE reassigned;"
                ))
                .map_err(StoreError::query(what()))?;
        }
        Ok(updated)
    }

    pub fn commit(self) -> Result<Written, StoreError> {
        self.tx.commit().map_err(StoreError::query("committing the import"))?;
        Ok(self.written)
    }
}

/// Stages every feature of `features` for `layer`, replaces rows with the same ids, and logs the
/// import, all inside one transaction that the caller commits or drops.
pub fn stage<'c>(
    conn: &'c mut Connection,
    layer: &Layer,
    meta: &ImportMeta,
    features: &mut dyn Iterator<Item = Feature>,
) -> Result<PendingImport<'c>, StoreError> {
    let table = Table::for_kind(layer.kind);
    let tx = conn.transaction().map_err(StoreError::query("starting the import transaction"))?;
    let import_id: i64 =
        tx.query_row("SELECT coalesce(max(id), 0) + 1 FROM import_log", [], |r| r.get(0)).map_err(StoreError::query("reading the import log"))?;
    tx.execute_batch(&format!("CREATE TABLE {STAGING} AS SELECT * FROM {} LIMIT 0", table.name()))
        .map_err(StoreError::query(format!("creating the staging table for {}", table.name())))?;
    let mut written = Written { import_id, ..Written::default() };
    {
        let mut appender = tx.appender(STAGING).map_err(StoreError::query("opening the appender"))?;
        for feature in features {
            written.rows += 1;
            written.unassigned += u64::from(feature.delbydel.is_none() && table != Table::Areas);
            appender.append_row(duckdb::appender_params_from_iter(table.row(layer, &feature, import_id))).map_err(StoreError::query(format!(
                "appending feature '{}' to {}",
                feature.id,
                table.name()
            )))?;
        }
        appender.flush().map_err(StoreError::query("flushing the appender"))?;
    }
    let superseded = match meta.mode {
        ImportMode::Replace => "layer = ?".to_string(),
        ImportMode::Append => format!("layer = ? AND id IN (SELECT id FROM {STAGING})"),
    };
    written.replaced = move_to_history(&tx, table, &layer.name, &superseded, import_id)?;
    tx.execute_batch(&format!("INSERT INTO {0} SELECT * FROM {STAGING}; DROP TABLE {STAGING};", table.name()))
        .map_err(StoreError::query(format!("moving staged rows into {}", table.name())))?;
    tx.execute(
        "INSERT INTO import_log (id, layer, file, format, crs, imported_by, started_at, finished_at, rows, replaced, unassigned, mode)
         VALUES (?, ?, ?, ?, ?, ?, CAST(? AS TIMESTAMP), now(), ?, ?, ?, ?)",
        params![
            import_id,
            layer.name,
            meta.file,
            meta.format,
            meta.crs,
            meta.imported_by,
            meta.started_at.format("%Y-%m-%d %H:%M:%S%.6f").to_string(),
            written.rows as i64,
            written.replaced as i64,
            written.unassigned as i64,
            meta.mode.as_str()
        ],
    )
    .map_err(StoreError::query("writing the import log"))?;
    Ok(PendingImport { tx, written })
}

/// Moves the rows of `layer` matching `condition` (its one parameter is the layer name) to the
/// table's history, tagged with the import that superseded them; returns how many moved.
fn move_to_history(tx: &Transaction<'_>, table: Table, layer: &str, condition: &str, import_id: i64) -> Result<u64, StoreError> {
    let t = table.name();
    let what = || format!("moving superseded rows of {layer} to {t}_history");
    tx.execute(&format!("INSERT INTO {t}_history SELECT *, {import_id} FROM {t} WHERE {condition}"), params![layer]).map_err(StoreError::query(what()))?;
    let moved = tx.execute(&format!("DELETE FROM {t} WHERE {condition}"), params![layer]).map_err(StoreError::query(what()))?;
    Ok(moved as u64)
}

/// One entry of a layer's import history, newest first in [`history`].
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct HistoryEntry {
    pub import_id: i64,
    pub finished_at: String,
    pub mode: String,
    pub file: String,
    pub imported_by: String,
    pub rows: i64,
    pub replaced: i64,
    /// When the import was undone; `None` while it is in effect.
    pub undone_at: Option<String>,
}

/// Every import of `layer`, newest first.
pub fn history(conn: &Connection, layer: &str) -> Result<Vec<HistoryEntry>, StoreError> {
    let what = format!("reading the import history of {layer}");
    let mut stmt = conn
        .prepare(
            "SELECT id, strftime(finished_at, '%Y-%m-%d %H:%M:%S'), coalesce(mode, 'append'), file, imported_by, rows, replaced,
                    strftime(undone_at, '%Y-%m-%d %H:%M:%S')
             FROM import_log WHERE layer = ? ORDER BY id DESC",
        )
        .map_err(StoreError::query(what.clone()))?;
    let rows = stmt
        .query_map(params![layer], |r| {
            Ok(HistoryEntry {
                import_id: r.get(0)?,
                finished_at: r.get(1)?,
                mode: r.get(2)?,
                file: r.get(3)?,
                imported_by: r.get(4)?,
                rows: r.get(5)?,
                replaced: r.get(6)?,
                undone_at: r.get(7)?,
            })
        })
        .map_err(StoreError::query(what.clone()))?;
    rows.collect::<Result<_, _>>().map_err(StoreError::query(what))
}

/// Reverses the newest import of `layer` that is still in effect: its rows are removed and the
/// rows it superseded come back from the history, in one transaction the caller commits.
/// `written.rows` counts the rows restored and `written.replaced` the rows removed. `Ok(None)`
/// when the layer has no import left to undo.
pub fn undo_last<'c>(conn: &'c mut Connection, layer: &Layer) -> Result<Option<PendingImport<'c>>, StoreError> {
    let t = Table::for_kind(layer.kind).name();
    let what = || format!("undoing the last import of {}", layer.name);
    let tx = conn.transaction().map_err(StoreError::query(what()))?;
    let last: Option<i64> = tx
        .query_row("SELECT max(id) FROM import_log WHERE layer = ? AND undone_at IS NULL", params![layer.name], |r| r.get(0))
        .map_err(StoreError::query(what()))?;
    let Some(import_id) = last else { return Ok(None) };
    let removed =
        tx.execute(&format!("DELETE FROM {t} WHERE layer = ? AND import_id = ?"), params![layer.name, import_id]).map_err(StoreError::query(what()))?;
    let restored = tx
        .execute(
            &format!("INSERT INTO {t} SELECT * EXCLUDE (superseded_by) FROM {t}_history WHERE layer = ? AND superseded_by = ?"),
            params![layer.name, import_id],
        )
        .map_err(StoreError::query(what()))?;
    tx.execute(&format!("DELETE FROM {t}_history WHERE layer = ? AND superseded_by = ?"), params![layer.name, import_id]).map_err(StoreError::query(what()))?;
    tx.execute("UPDATE import_log SET undone_at = now() WHERE id = ?", params![import_id]).map_err(StoreError::query(what()))?;
    let written = Written { import_id, rows: restored as u64, replaced: removed as u64, unassigned: 0 };
    Ok(Some(PendingImport { tx, written }))
}
