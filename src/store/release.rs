//! Storage of the public release: its noise key, the raw tallies it is built from, and the
//! released counts by version. See [`crate::release`] for what a release is.

use std::collections::BTreeMap;

use duckdb::{Connection, params};

use super::StoreError;

/// Incidents counted by everything the release splits on (only incidents inside a delbydel).
#[derive(Clone, Debug, PartialEq)]
pub struct Tally {
    pub source: String,
    pub year: i32,
    pub month: u8,
    pub category: String,
    pub delbydel: String,
    /// Snapped position, EPSG:25832.
    pub x: f64,
    pub y: f64,
    /// The SSB cell of the position as delivered (None for incidents imported before it was kept).
    pub ssb_cell: Option<i64>,
    pub count: u64,
}

/// Raw tallies for building a release: of the incidents that carry a person key, at most
/// `max_per_key` of one key per source and year count (the first by a hash of their ids, so the
/// choice follows no date, place or category).
pub fn tallies(conn: &Connection, max_per_key: u32) -> Result<Vec<Tally>, StoreError> {
    let what = "tallying incidents for the release";
    let mut stmt = conn
        .prepare(
            "SELECT source, year, month, category, delbydel, x, y, ssb_cell, count(*) FROM (
                 SELECT *, row_number() OVER (PARTITION BY source, year, person_key ORDER BY md5(id), id) AS nth
                 FROM incidents WHERE delbydel IS NOT NULL
             ) WHERE person_key IS NULL OR nth <= ?
             GROUP BY source, year, month, category, delbydel, x, y, ssb_cell ORDER BY ALL",
        )
        .map_err(StoreError::query(what))?;
    let rows = stmt
        .query_map(params![max_per_key], |r| {
            Ok(Tally {
                source: r.get(0)?,
                year: r.get(1)?,
                month: r.get::<_, i32>(2)? as u8,
                category: r.get(3)?,
                delbydel: r.get(4)?,
                x: r.get(5)?,
                y: r.get(6)?,
                ssb_cell: r.get(7)?,
                count: r.get::<_, i64>(8)? as u64,
            })
        })
        .map_err(StoreError::query(what))?;
    rows.collect::<Result<_, _>>().map_err(StoreError::query(what))
}

/// Sources whose every stored incident carries a person key: the release protects their keys,
/// not only their incidents.
pub fn keyed_sources(conn: &Connection) -> Result<Vec<String>, StoreError> {
    let what = "reading which sources carry person keys";
    let mut stmt =
        conn.prepare("SELECT source FROM incidents GROUP BY source HAVING count(person_key) = count(*) ORDER BY source").map_err(StoreError::query(what))?;
    let rows = stmt.query_map([], |r| r.get(0)).map_err(StoreError::query(what))?;
    rows.collect::<Result<_, _>>().map_err(StoreError::query(what))
}

/// The first and last year with data, per source.
pub fn years_by_source(conn: &Connection) -> Result<BTreeMap<String, (i32, i32)>, StoreError> {
    let what = "reading the years of each source";
    let mut stmt = conn.prepare("SELECT source, min(year), max(year) FROM incidents GROUP BY source").map_err(StoreError::query(what))?;
    let rows = stmt.query_map([], |r| Ok((r.get::<_, String>(0)?, (r.get(1)?, r.get(2)?)))).map_err(StoreError::query(what))?;
    rows.collect::<Result<_, _>>().map_err(StoreError::query(what))
}

/// The database's noise key, created on first use (32 random bytes).
pub fn secret(conn: &Connection) -> Result<[u8; 32], StoreError> {
    let what = "reading the release key";
    let stored: Option<String> = conn.query_row("SELECT max(secret) FROM release_secret", [], |r| r.get(0)).map_err(StoreError::query(what))?;
    if let Some(hex) = stored.as_deref().and_then(decode_hex) {
        return Ok(hex);
    }
    let mut key = [0u8; 32];
    getrandom::fill(&mut key).map_err(|e| StoreError::Invalid { what: "drawing the release key".into(), reason: e.to_string() })?;
    let hex: String = key.iter().map(|b| format!("{b:02x}")).collect();
    conn.execute("INSERT INTO release_secret VALUES (?)", params![hex]).map_err(StoreError::query("writing the release key"))?;
    Ok(key)
}

fn decode_hex(s: &str) -> Option<[u8; 32]> {
    let mut out = [0u8; 32];
    if s.len() != 64 {
        return None;
    }
    for (i, byte) in out.iter_mut().enumerate() {
        *byte = u8::from_str_radix(s.get(2 * i..2 * i + 2)?, 16).ok()?;
    }
    Some(out)
}

/// One released unit: its noisy measurement and its estimate.
#[derive(Clone, Debug, PartialEq)]
pub struct ReleasedRow {
    pub source: String,
    pub year: i32,
    pub level: &'static str,
    pub unit: String,
    pub detail: String,
    pub measured: f64,
    pub estimate: f64,
}

/// One measurement in the ledger.
#[derive(Clone, Debug, PartialEq)]
pub struct LedgerRow {
    pub source: String,
    pub year: i32,
    pub round: u32,
    pub rho: f64,
    pub hash: String,
}

/// A stored release: its version, metadata (JSON) and counts.
#[derive(Clone, Debug)]
pub struct StoredRelease {
    pub version: i64,
    pub built_at: String,
    pub settings: String,
    pub spent: String,
    pub rows: Vec<ReleasedRow>,
}

/// Levels as stored (the `level` column).
pub const LEVELS: [&str; 6] = ["city", "bydel", "delbydel", "category", "month", "cell"];

/// Writes a new release version in one transaction; returns its version number and build time.
/// The ledger entries are written with it.
pub fn save(
    conn: &mut Connection,
    built_by: &str,
    settings: &str,
    spent: &str,
    rows: &[ReleasedRow],
    ledger: &[LedgerRow],
) -> Result<(i64, String), StoreError> {
    let what = || "writing the release";
    let tx = conn.transaction().map_err(StoreError::query(what()))?;
    let version: i64 = tx.query_row("SELECT coalesce(max(version), 0) + 1 FROM release_meta", [], |r| r.get(0)).map_err(StoreError::query(what()))?;
    tx.execute("INSERT INTO release_meta VALUES (?, now(), ?, ?, ?)", params![version, built_by, settings, spent]).map_err(StoreError::query(what()))?;
    {
        let mut appender = tx.appender("release_counts").map_err(StoreError::query(what()))?;
        for r in rows {
            let shown = r.estimate.round().max(0.0) as i64;
            appender
                .append_row(params![version, r.source, r.year, r.level, r.unit, r.detail, shown, r.measured, r.estimate])
                .map_err(StoreError::query(what()))?;
        }
        appender.flush().map_err(StoreError::query(what()))?;
    }
    for e in ledger {
        tx.execute("INSERT INTO release_ledger VALUES (?, ?, ?, ?, ?, ?, now())", params![e.source, e.year, e.round, e.rho, e.hash, version])
            .map_err(StoreError::query("writing the privacy ledger"))?;
    }
    let built_at: String = tx
        .query_row("SELECT CAST(built_at AS VARCHAR) FROM release_meta WHERE version = ?", params![version], |r| r.get(0))
        .map_err(StoreError::query(what()))?;
    tx.commit().map_err(StoreError::query(what()))?;
    Ok((version, built_at))
}

/// The newest release, if one was built.
pub fn latest(conn: &Connection) -> Result<Option<StoredRelease>, StoreError> {
    load(conn, None)
}

/// A release by its version (the newest with `None`); `None` when there is no such release.
pub fn load(conn: &Connection, version: Option<i64>) -> Result<Option<StoredRelease>, StoreError> {
    let what = "reading the release";
    let mut stmt = conn
        .prepare(
            "SELECT version, CAST(built_at AS VARCHAR), settings, spent FROM release_meta WHERE version = coalesce(?, version) ORDER BY version DESC LIMIT 1",
        )
        .map_err(StoreError::query(what))?;
    let newest = stmt
        .query_map(params![version], |r| Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?, r.get::<_, String>(2)?, r.get::<_, String>(3)?)))
        .map_err(StoreError::query(what))?
        .next()
        .transpose()
        .map_err(StoreError::query(what))?;
    let Some((version, built_at, settings, spent)) = newest else {
        return Ok(None);
    };
    let mut stmt = conn
        .prepare("SELECT source, year, level, unit, detail, coalesce(measured, 'NaN'::DOUBLE), coalesce(estimate, 'NaN'::DOUBLE) FROM release_counts WHERE version = ?")
        .map_err(StoreError::query(what))?;
    let rows = stmt
        .query_map(params![version], |r| {
            let level: String = r.get(2)?;
            Ok(ReleasedRow {
                source: r.get(0)?,
                year: r.get(1)?,
                level: LEVELS.iter().find(|l| **l == level).copied().unwrap_or("unknown"),
                unit: r.get(3)?,
                detail: r.get(4)?,
                measured: r.get(5)?,
                estimate: r.get(6)?,
            })
        })
        .map_err(StoreError::query(what))?;
    let rows = rows.collect::<Result<_, _>>().map_err(StoreError::query(what))?;
    Ok(Some(StoredRelease { version, built_at, settings, spent, rows }))
}

/// The whole ledger, oldest first.
pub fn ledger(conn: &Connection) -> Result<Vec<LedgerRow>, StoreError> {
    let what = "reading the privacy ledger";
    let mut stmt = conn.prepare("SELECT source, year, round, rho, hash FROM release_ledger ORDER BY source, year, round").map_err(StoreError::query(what))?;
    let rows = stmt
        .query_map([], |r| Ok(LedgerRow { source: r.get(0)?, year: r.get(1)?, round: r.get::<_, i64>(2)? as u32, rho: r.get(3)?, hash: r.get(4)? }))
        .map_err(StoreError::query(what))?;
    rows.collect::<Result<_, _>>().map_err(StoreError::query(what))
}

/// One published release as the feed lists it: its version, when it was built, and the
/// source-years it measured anew (source, year, round).
#[derive(Clone, Debug, serde::Serialize, schemars::JsonSchema)]
pub struct Published {
    pub version: i64,
    pub built_at: String,
    pub measured: Vec<(String, i32, u32)>,
}

/// Every release, newest first, with the source-years each measured anew.
pub fn published(conn: &Connection) -> Result<Vec<Published>, StoreError> {
    let what = "listing the releases";
    let mut stmt = conn
        .prepare(
            "SELECT m.version, CAST(m.built_at AS VARCHAR), l.source, l.year, l.round FROM release_meta m \
             LEFT JOIN release_ledger l ON l.version = m.version ORDER BY m.version DESC, l.source, l.year",
        )
        .map_err(StoreError::query(what))?;
    let rows = stmt
        .query_map([], |r| {
            Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?, r.get::<_, Option<String>>(2)?, r.get::<_, Option<i32>>(3)?, r.get::<_, Option<i64>>(4)?))
        })
        .map_err(StoreError::query(what))?;
    let mut out: Vec<Published> = Vec::new();
    for row in rows {
        let (version, built_at, source, year, round) = row.map_err(StoreError::query(what))?;
        if out.last().is_none_or(|p| p.version != version) {
            out.push(Published { version, built_at, measured: Vec::new() });
        }
        if let (Some(source), Some(year), Some(round), Some(last)) = (source, year, round, out.last_mut()) {
            last.measured.push((source, year, round as u32));
        }
    }
    Ok(out)
}
