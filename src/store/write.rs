//! Writes one import as a single transaction: features are appended to a staging table with
//! DuckDB's Appender, the rows the import supersedes (the whole layer in [`ImportMode::Replace`],
//! rows with the same (layer, id) in [`ImportMode::Append`]) move to the table's history, the
//! import is logged, and nothing is visible until [`PendingImport::commit`]. Dropping a pending
//! import rolls it back, and so does a crash: DuckDB's WAL never replays an uncommitted
//! transaction. [`undo_last`] reverses the newest import of a layer from that history.

use chrono::NaiveDate;
use duckdb::arrow::array::{
    Array, ArrayRef, BooleanBuilder, Date32Builder, Float64Builder, Int8Builder, Int16Builder, Int32Builder, Int64Array, Int64Builder, StringArray,
    StringBuilder,
};
use duckdb::arrow::datatypes::{DataType, Field, Schema};
use duckdb::arrow::record_batch::RecordBatch;
use duckdb::{Connection, Transaction, params};
use geo::Area;
use std::sync::Arc;

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
    Need,
}

impl Table {
    pub fn for_kind(kind: LayerKind) -> Table {
        match kind {
            LayerKind::Areas => Table::Areas,
            LayerKind::Population | LayerKind::Poi => Table::Features,
            LayerKind::Housing => Table::Housing,
            LayerKind::Incidents => Table::Incidents,
            LayerKind::Need => Table::Need,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Table::Areas => "areas",
            Table::Features => "features",
            Table::Housing => "housing",
            Table::Incidents => "incidents",
            Table::Need => "need",
        }
    }

    /// One row of this table, in the column order of `schema/0001_init.sql`, borrowing from
    /// the feature (`geometry` is the polygon as GeoJSON text, made by the caller).
    fn row<'f>(self, layer: &'f Layer, f: &'f Feature, geometry: Option<&'f str>, import_id: i64) -> Vec<Cell<'f>> {
        let text = |s: &'f Option<String>| s.as_deref().map_or(Cell::Null, Cell::Text);
        let mut row = vec![Cell::Text(&layer.name)];
        match self {
            Table::Areas => row.extend([
                Cell::Text(&f.id),
                Cell::of(f.get("name")),
                Cell::of(f.get("parent")),
                Cell::of(f.get("population")),
                Cell::Double(f.polygon.as_ref().map_or(0.0, |p| p.unsigned_area())),
                Cell::Double(f.x),
                Cell::Double(f.y),
                geometry.map_or(Cell::Null, Cell::Text),
            ]),
            Table::Features => row.extend([
                Cell::Text(&f.id),
                Cell::of(f.get("name")),
                Cell::of(f.get("category")),
                Cell::of(f.get("population")),
                Cell::Double(f.x),
                Cell::Double(f.y),
                geometry.map_or(Cell::Null, Cell::Text),
                text(&f.delbydel),
                text(&f.bydel),
            ]),
            Table::Housing => row.extend([
                Cell::Text(&f.id),
                Cell::of(f.get("units")),
                Cell::of(f.get("group")),
                Cell::Boolean(matches!(f.get("has_staff_base"), FieldValue::Boolean(true))),
                Cell::of(f.get("opened")),
                Cell::of(f.get("closed")),
                Cell::Double(f.x),
                Cell::Double(f.y),
                text(&f.delbydel),
                text(&f.bydel),
            ]),
            Table::Need => row.extend([
                Cell::Text(&f.id),
                Cell::of(f.get("year")),
                text(&f.bydel),
                // The group is a category ("1"-"8"), checked on import; stored as its number.
                match f.get("group") {
                    FieldValue::Text(group) => group.parse().map_or(Cell::Null, Cell::Integer),
                    _ => Cell::Null,
                },
                Cell::of(f.get("housing_type")),
                Cell::of(f.get("units")),
            ]),
            Table::Incidents => {
                let FieldValue::Date(date) = f.get("date") else { unreachable!("incident dates are required and validated before they reach the store") };
                use chrono::Datelike;
                row.extend([
                    Cell::Text(layer.source.as_deref().unwrap_or_default()),
                    Cell::Text(&f.id),
                    Cell::date(*date),
                    Cell::Integer(i64::from(date.year())),
                    Cell::Integer(i64::from(date.month())),
                    Cell::of(f.get("category")),
                    match f.get("weight") {
                        FieldValue::Number(w) => Cell::Double(*w),
                        _ => Cell::Double(1.0),
                    },
                    Cell::Double(f.x),
                    Cell::Double(f.y),
                    text(&f.delbydel),
                    text(&f.bydel),
                ]);
            }
        }
        row.push(Cell::Integer(import_id));
        if self == Table::Features {
            row.push(text(&f.tags));
        }
        if matches!(self, Table::Areas | Table::Features) {
            let envelope = envelope_of(f);
            row.extend((0..4).map(|i| envelope.map_or(Cell::Null, |e| Cell::Double(e[i]))));
        }
        if self == Table::Incidents {
            row.push(f.ssb_cell.map_or(Cell::Null, |c| Cell::Integer(c.id())));
            row.push(Cell::of(f.get("person_key")));
            let (dx, dy) = f.delivered.unzip();
            row.extend([dx.map_or(Cell::Null, Cell::Double), dy.map_or(Cell::Null, Cell::Double)]);
        }
        row
    }
}

/// Gives every stored polygon and line (and those in the histories) that has no envelope yet
/// its envelope: rows stored before schema version 11. Returns how many were filled.
pub fn fill_envelopes(conn: &Connection) -> Result<u64, StoreError> {
    use geo::BoundingRect;
    let mut filled = 0;
    for table in ["areas", "features", "areas_history", "features_history"] {
        let what = || format!("computing the envelopes of {table}");
        let rows: Vec<(i64, String)> = {
            let mut stmt =
                conn.prepare(&format!("SELECT rowid, geometry FROM {table} WHERE geometry IS NOT NULL AND xmin IS NULL")).map_err(StoreError::query(what()))?;
            let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?))).map_err(StoreError::query(what()))?;
            rows.collect::<Result<_, _>>().map_err(StoreError::query(what()))?
        };
        if rows.is_empty() {
            continue;
        }
        let tx = conn.unchecked_transaction().map_err(StoreError::query(what()))?;
        tx.execute_batch("CREATE TEMP TABLE envelopes (rid BIGINT, xmin DOUBLE, ymin DOUBLE, xmax DOUBLE, ymax DOUBLE)").map_err(StoreError::query(what()))?;
        {
            let mut appender = tx.appender("envelopes").map_err(StoreError::query(what()))?;
            for (rid, geometry) in rows {
                let rect = match super::queries::parse_shape(&geometry) {
                    Ok(super::queries::Shape::Polygon(p)) => p.bounding_rect(),
                    Ok(super::queries::Shape::Lines(l)) => l.bounding_rect(),
                    Err(_) => None,
                };
                if let Some(r) = rect {
                    appender.append_row(params![rid, r.min().x, r.min().y, r.max().x, r.max().y]).map_err(StoreError::query(what()))?;
                    filled += 1;
                }
            }
        }
        tx.execute_batch(&format!(
            "UPDATE {table} SET xmin = e.xmin, ymin = e.ymin, xmax = e.xmax, ymax = e.ymax FROM envelopes e WHERE {table}.rowid = e.rid; DROP TABLE envelopes;"
        ))
        .map_err(StoreError::query(what()))?;
        tx.commit().map_err(StoreError::query(what()))?;
    }
    Ok(filled)
}

/// The envelope (min x, min y, max x, max y) of a feature's polygon or lines; `None` for a point.
fn envelope_of(f: &Feature) -> Option<[f64; 4]> {
    use geo::BoundingRect;
    let rect = match (&f.polygon, &f.lines) {
        (Some(polygon), _) => polygon.bounding_rect(),
        (None, Some(lines)) => lines.bounding_rect(),
        (None, None) => None,
    }?;
    Some([rect.min().x, rect.min().y, rect.max().x, rect.max().y])
}

/// One value of a row on its way to a table, borrowed from the feature: valid rows (the hot
/// path of a million-row import) allocate nothing per value.
#[derive(Clone, Copy, Debug)]
enum Cell<'a> {
    Null,
    Text(&'a str),
    Integer(i64),
    Double(f64),
    /// Days since 1970-01-01.
    Date(i32),
    Boolean(bool),
}

impl<'a> Cell<'a> {
    fn of(v: &'a FieldValue) -> Cell<'a> {
        match v {
            FieldValue::Null => Cell::Null,
            FieldValue::Text(s) => Cell::Text(s),
            FieldValue::Integer(i) => Cell::Integer(*i),
            FieldValue::Number(n) => Cell::Double(*n),
            FieldValue::Date(d) => Cell::date(*d),
            FieldValue::Boolean(b) => Cell::Boolean(*b),
        }
    }

    fn date(d: NaiveDate) -> Cell<'a> {
        let epoch = NaiveDate::from_ymd_opt(1970, 1, 1).expect("valid date");
        Cell::Date((d - epoch).num_days() as i32)
    }
}

/// What an import does to the rows already in its layer.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum ImportMode {
    /// The file is the whole layer: every earlier row is superseded (kept for undo).
    Replace,
    /// The file adds rows; a row with an id already stored replaces that row. For need layers,
    /// every survey year the file holds replaces that year's stored rows.
    Append,
}

impl ImportMode {
    /// Reference layers (areas, population, points of interest, housing) arrive as whole
    /// files, so a second file must not pile onto the first; incident exports and need surveys
    /// arrive year by year and are appended.
    pub fn default_for(kind: LayerKind) -> ImportMode {
        match kind {
            LayerKind::Incidents | LayerKind::Need => ImportMode::Append,
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

impl super::sealed::Sealed for PendingImport<'_> {}

impl super::Database for PendingImport<'_> {
    /// The transaction's view of the database (it sees the staged rows).
    fn sql(&self, _: super::sealed::Token) -> &Connection {
        &self.tx
    }
}

impl PendingImport<'_> {
    /// Gives every stored point a new delbydel and bydel from `locate`, inside this import's
    /// transaction: used when the areas themselves are (re-)imported. Returns the points updated.
    pub fn reassign_points(&self, locate: impl Fn(f64, f64) -> Option<(String, Option<String>)>) -> Result<u64, StoreError> {
        let mut updated = 0;
        for table in [Table::Features, Table::Housing, Table::Incidents].map(Table::name) {
            let what = || format!("re-assigning delbydeler in {table}");
            self.tx.execute_batch("CREATE TABLE reassigned (rid BIGINT, delbydel VARCHAR, bydel VARCHAR)").map_err(StoreError::query(what()))?;
            {
                // Incidents are placed where they were delivered, as at import, not at their
                // snapped cell centre (which can lie across a boundary).
                let (x, y) = if table == Table::Incidents.name() { ("coalesce(delivered_x, x)", "coalesce(delivered_y, y)") } else { ("x", "y") };
                let mut stmt = self.tx.prepare(&format!("SELECT rowid, {x}, {y} FROM {table}")).map_err(StoreError::query(what()))?;
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

/// Writes the batches of rows `batches` (made by a [`RowEncoder`] for `layer`), moves the rows they supersede to the history,
/// and logs the import, all inside one transaction that the caller commits or drops.
///
/// Rows go straight into the layer's table: in [`ImportMode::Replace`] the layer moves to the
/// history first; in [`ImportMode::Append`] earlier rows with an id the import brought move
/// after it. Only the areas table, whose key forbids two rows with one id even for a moment,
/// is staged first when appending.
pub fn stage<'c>(
    store: &'c mut super::Store,
    layer: &Layer,
    meta: &ImportMeta,
    batches: &mut dyn Iterator<Item = Result<EncodedRows, StoreError>>,
) -> Result<PendingImport<'c>, StoreError> {
    let table = Table::for_kind(layer.kind);
    let t = table.name();
    let tx = store.conn.transaction().map_err(StoreError::query("starting the import transaction"))?;
    let import_id: i64 =
        tx.query_row("SELECT coalesce(max(id), 0) + 1 FROM import_log", [], |r| r.get(0)).map_err(StoreError::query("reading the import log"))?;
    let mut written = Written { import_id, ..Written::default() };
    let staged = meta.mode == ImportMode::Append && table == Table::Areas;
    let layer_had_rows: bool = tx
        .query_row(&format!("SELECT EXISTS (SELECT 1 FROM {t} WHERE layer = ?)"), params![layer.name], |r| r.get(0))
        .map_err(StoreError::query(format!("reading {t}")))?;
    if meta.mode == ImportMode::Replace && layer_had_rows {
        written.replaced = move_to_history(&tx, table, &layer.name, "layer = ?", import_id)?;
    }
    let target = if staged {
        tx.execute_batch(&format!("CREATE TABLE {STAGING} AS SELECT * FROM {t} LIMIT 0"))
            .map_err(StoreError::query(format!("creating the staging table for {t}")))?;
        STAGING
    } else {
        t
    };
    {
        let mut appender = tx.appender(target).map_err(StoreError::query(format!("opening the appender of {target}")))?;
        for rows in batches {
            let rows = rows?;
            written.rows += rows.batch.num_rows() as u64;
            written.unassigned += rows.unassigned;
            let batch = rows.with_import_id(import_id)?;
            appender.append_record_batch(batch).map_err(StoreError::query(format!("appending rows to {target}")))?;
        }
        appender.flush().map_err(StoreError::query(format!("flushing the appender of {target}")))?;
    }
    // Appending to an empty layer supersedes nothing: no need to join a million ids.
    if meta.mode == ImportMode::Append && layer_had_rows {
        let same_id = if table == Table::Need {
            // A survey year arrives whole: the file's years replace the stored ones, row by row.
            format!("layer = ? AND import_id <> {import_id} AND year IN (SELECT year FROM {t} WHERE import_id = {import_id})")
        } else if staged {
            format!("layer = ? AND id IN (SELECT id FROM {STAGING})")
        } else {
            format!("layer = ? AND import_id <> {import_id} AND id IN (SELECT id FROM {t} WHERE import_id = {import_id})")
        };
        written.replaced = move_to_history(&tx, table, &layer.name, &same_id, import_id)?;
    }
    if staged {
        tx.execute_batch(&format!("INSERT INTO {t} SELECT * FROM {STAGING}; DROP TABLE {STAGING};"))
            .map_err(StoreError::query(format!("moving staged rows into {t}")))?;
    }
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

/// Turns a layer's features into Arrow batches of its table's columns. Made once per import
/// and used on every thread that checks rows (see `import::pipeline`), so that the thread
/// holding the transaction only hands finished batches to DuckDB (which takes a batch of
/// columns in one call instead of binding every value of every row).
pub struct RowEncoder<'l> {
    table: Table,
    layer: &'l Layer,
    schema: Arc<Schema>,
    /// DuckDB's type of each column, in the table's order.
    types: Vec<String>,
}

/// A batch of rows encoded for a table, and how many of them lie in no delbydel.
pub struct EncodedRows {
    batch: RecordBatch,
    unassigned: u64,
}

impl<'l> RowEncoder<'l> {
    /// The encoder for `layer`'s table, with the columns the database has.
    pub fn new(store: &super::Store, layer: &'l Layer) -> Result<RowEncoder<'l>, StoreError> {
        let table = Table::for_kind(layer.kind);
        let name = table.name();
        let what = || format!("reading the columns of {name}");
        let mut stmt = store.conn.prepare(&format!("SELECT column_name, column_type FROM (DESCRIBE {name})")).map_err(StoreError::query(what()))?;
        let described: Vec<(String, String)> = stmt
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
            .map_err(StoreError::query(what()))?
            .collect::<Result<_, _>>()
            .map_err(StoreError::query(what()))?;
        let mut fields = Vec::new();
        let mut types = Vec::new();
        for (column, ty) in described {
            let builder = ColumnBuilder::for_type(&ty)
                .ok_or_else(|| StoreError::Invalid { what: what(), reason: format!("column {column} has type {ty}, which imports do not write") })?;
            fields.push(Field::new(column, builder.data_type(), true));
            types.push(ty);
        }
        Ok(RowEncoder { table, layer, schema: Arc::new(Schema::new(fields)), types })
    }

    /// The features as one batch. The import's id is not known yet (it is given inside the
    /// import's transaction), so its column holds 0 until `EncodedRows::with_import_id`.
    pub fn encode(&self, features: &[Feature]) -> Result<EncodedRows, StoreError> {
        let mut columns: Vec<ColumnBuilder> = self.types.iter().filter_map(|ty| ColumnBuilder::for_type(ty)).collect();
        let mut unassigned = 0;
        for feature in features {
            unassigned += u64::from(feature.delbydel.is_none() && !matches!(self.table, Table::Areas | Table::Need));
            let geometry = match (&feature.polygon, &feature.lines) {
                (Some(polygon), _) => Some(geojson::Geometry::from(polygon).to_string()),
                (None, Some(lines)) => Some(geojson::Geometry::from(lines).to_string()),
                (None, None) => None,
            };
            let row = self.table.row(self.layer, feature, geometry.as_deref(), 0);
            if row.len() != columns.len() {
                return Err(self.invalid(format!("a row of {} values for {} columns", row.len(), columns.len())));
            }
            for (j, cell) in row.into_iter().enumerate() {
                if !columns[j].push(cell) {
                    let field = self.schema.field(j);
                    return Err(self.invalid(format!("column {} ({}) cannot hold {cell:?}", field.name(), field.data_type())));
                }
            }
        }
        let arrays = columns.iter_mut().map(ColumnBuilder::finish).collect();
        let batch = RecordBatch::try_new(self.schema.clone(), arrays).map_err(|e| self.invalid(e.to_string()))?;
        Ok(EncodedRows { batch, unassigned })
    }

    fn invalid(&self, reason: String) -> StoreError {
        StoreError::Invalid { what: format!("appending rows to {}", self.table.name()), reason }
    }
}

impl EncodedRows {
    /// The id of the row at `index` (for naming a repeated id).
    pub fn id(&self, index: usize) -> Option<&str> {
        let column = self.batch.column_by_name("id")?.as_any().downcast_ref::<StringArray>()?;
        (index < column.len()).then(|| column.value(index))
    }

    fn with_import_id(self, import_id: i64) -> Result<RecordBatch, StoreError> {
        let schema = self.batch.schema();
        let at = schema.index_of("import_id").map_err(|e| StoreError::Invalid { what: "appending an import's rows".into(), reason: e.to_string() })?;
        let mut columns = self.batch.columns().to_vec();
        columns[at] = Arc::new(Int64Array::from(vec![import_id; self.batch.num_rows()]));
        RecordBatch::try_new(schema, columns).map_err(|e| StoreError::Invalid { what: "appending an import's rows".into(), reason: e.to_string() })
    }
}

/// An Arrow column being filled, one per DuckDB column type the feature tables use.
enum ColumnBuilder {
    Text(StringBuilder),
    Double(Float64Builder),
    Date(Date32Builder),
    Boolean(BooleanBuilder),
    TinyInt(Int8Builder),
    SmallInt(Int16Builder),
    Integer(Int32Builder),
    BigInt(Int64Builder),
}

impl ColumnBuilder {
    fn for_type(duckdb_type: &str) -> Option<ColumnBuilder> {
        Some(match duckdb_type {
            "VARCHAR" => ColumnBuilder::Text(StringBuilder::new()),
            "DOUBLE" => ColumnBuilder::Double(Float64Builder::new()),
            "DATE" => ColumnBuilder::Date(Date32Builder::new()),
            "BOOLEAN" => ColumnBuilder::Boolean(BooleanBuilder::new()),
            "TINYINT" => ColumnBuilder::TinyInt(Int8Builder::new()),
            "SMALLINT" => ColumnBuilder::SmallInt(Int16Builder::new()),
            "INTEGER" => ColumnBuilder::Integer(Int32Builder::new()),
            "BIGINT" => ColumnBuilder::BigInt(Int64Builder::new()),
            _ => return None,
        })
    }

    fn data_type(&self) -> DataType {
        match self {
            ColumnBuilder::Text(_) => DataType::Utf8,
            ColumnBuilder::Double(_) => DataType::Float64,
            ColumnBuilder::Date(_) => DataType::Date32,
            ColumnBuilder::Boolean(_) => DataType::Boolean,
            ColumnBuilder::TinyInt(_) => DataType::Int8,
            ColumnBuilder::SmallInt(_) => DataType::Int16,
            ColumnBuilder::Integer(_) => DataType::Int32,
            ColumnBuilder::BigInt(_) => DataType::Int64,
        }
    }

    /// Appends a cell; `false` when the column cannot hold it (a wrong type, an integer out of
    /// the column's range).
    fn push(&mut self, cell: Cell<'_>) -> bool {
        match (self, cell) {
            (ColumnBuilder::Text(b), Cell::Null) => b.append_null(),
            (ColumnBuilder::Double(b), Cell::Null) => b.append_null(),
            (ColumnBuilder::Date(b), Cell::Null) => b.append_null(),
            (ColumnBuilder::Boolean(b), Cell::Null) => b.append_null(),
            (ColumnBuilder::TinyInt(b), Cell::Null) => b.append_null(),
            (ColumnBuilder::SmallInt(b), Cell::Null) => b.append_null(),
            (ColumnBuilder::Integer(b), Cell::Null) => b.append_null(),
            (ColumnBuilder::BigInt(b), Cell::Null) => b.append_null(),
            (ColumnBuilder::Text(b), Cell::Text(s)) => b.append_value(s),
            (ColumnBuilder::Double(b), Cell::Double(d)) => b.append_value(d),
            (ColumnBuilder::Double(b), Cell::Integer(i)) => b.append_value(i as f64),
            (ColumnBuilder::Date(b), Cell::Date(d)) => b.append_value(d),
            (ColumnBuilder::Boolean(b), Cell::Boolean(v)) => b.append_value(v),
            (ColumnBuilder::TinyInt(b), Cell::Integer(i)) => return i8::try_from(i).map(|i| b.append_value(i)).is_ok(),
            (ColumnBuilder::SmallInt(b), Cell::Integer(i)) => return i16::try_from(i).map(|i| b.append_value(i)).is_ok(),
            (ColumnBuilder::Integer(b), Cell::Integer(i)) => return i32::try_from(i).map(|i| b.append_value(i)).is_ok(),
            (ColumnBuilder::BigInt(b), Cell::Integer(i)) => b.append_value(i),
            _ => return false,
        }
        true
    }

    fn finish(&mut self) -> ArrayRef {
        match self {
            ColumnBuilder::Text(b) => Arc::new(b.finish()),
            ColumnBuilder::Double(b) => Arc::new(b.finish()),
            ColumnBuilder::Date(b) => Arc::new(b.finish()),
            ColumnBuilder::Boolean(b) => Arc::new(b.finish()),
            ColumnBuilder::TinyInt(b) => Arc::new(b.finish()),
            ColumnBuilder::SmallInt(b) => Arc::new(b.finish()),
            ColumnBuilder::Integer(b) => Arc::new(b.finish()),
            ColumnBuilder::BigInt(b) => Arc::new(b.finish()),
        }
    }
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
pub fn undo_last<'c>(store: &'c mut super::Store, layer: &Layer) -> Result<Option<PendingImport<'c>>, StoreError> {
    let t = Table::for_kind(layer.kind).name();
    let what = || format!("undoing the last import of {}", layer.name);
    let tx = store.conn.transaction().map_err(StoreError::query(what()))?;
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_stored_without_an_envelope_get_theirs() {
        let store = crate::store::Store::open_in_memory().unwrap();
        let conn = &store.conn;
        let square = r#"{"type": "Polygon", "coordinates": [[[10, 20], [30, 20], [30, 50], [10, 50], [10, 20]]]}"#;
        conn.execute("INSERT INTO areas (layer, id, area_m2, x, y, geometry, import_id) VALUES ('delbydeler', '0101', 600, 20, 30, ?, 1)", params![square])
            .unwrap();
        conn.execute("INSERT INTO features (layer, id, x, y, import_id) VALUES ('transit_stops', 's1', 1, 2, 1)", []).unwrap();
        assert_eq!(fill_envelopes(conn).unwrap(), 1);
        let envelope: (f64, f64, f64, f64) =
            conn.query_row("SELECT xmin, ymin, xmax, ymax FROM areas", [], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?))).unwrap();
        assert_eq!(envelope, (10.0, 20.0, 30.0, 50.0));
        // A point keeps none, and nothing is left to fill.
        assert!(conn.query_row("SELECT xmin FROM features", [], |r| r.get::<_, Option<f64>>(0)).unwrap().is_none());
        assert_eq!(fill_envelopes(conn).unwrap(), 0);
    }
}
