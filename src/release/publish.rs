//! Building a release from the store and keeping it current.

use std::collections::BTreeMap;

use duckdb::Connection;

use super::build::{build, BuildInput, ReleaseArea};
use super::Release;
use crate::config::{Config, LayerKind};
use crate::store::{queries, release as stored, StoreError};

#[derive(Debug, thiserror::Error)]
pub enum ReleaseError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("the stored release is unreadable ({0}); build a new one with `bomiljo release build`")]
    Corrupt(#[from] serde_json::Error),
    #[error("no delbydeler imported: a release counts incidents per delbydel; import the areas first")]
    NoAreas,
}

/// What a build did.
#[derive(Debug)]
pub struct Published {
    pub release: Release,
    /// Source-years measured afresh (each charged one more round of its budget).
    pub remeasured: Vec<String>,
    pub seconds: f64,
}

/// The newest stored release.
pub fn latest(conn: &Connection) -> Result<Option<Release>, ReleaseError> {
    Ok(stored::latest(conn)?.map(Release::from_stored).transpose()?)
}

/// Reads everything a build needs.
pub fn input(conn: &Connection, config: &Config, previous: Option<&Release>) -> Result<BuildInput, ReleaseError> {
    let areas: Vec<ReleaseArea> = queries::areas(conn, &config.project.assign_layer)?
        .into_iter()
        .map(|a| ReleaseArea { code: a.code, bydel: a.parent_code.unwrap_or_default(), polygon: a.polygon })
        .collect();
    if areas.is_empty() {
        return Err(ReleaseError::NoAreas);
    }
    let categories: BTreeMap<String, Vec<String>> =
        config.layers_of(LayerKind::Incidents).filter_map(|l| Some((l.source.clone()?, l.categories.clone().unwrap_or_default()))).collect();
    Ok(BuildInput {
        areas,
        tallies: stored::tallies(conn)?,
        years: stored::years_by_source(conn)?,
        categories,
        housing: queries::housing_sites(conn)?,
        secret: stored::secret(conn)?,
        budget: config.project.release,
        previous: previous.map(|r| r.spent.clone()).unwrap_or_default(),
        k: config.project.min_count,
    })
}

/// Builds and stores a new release version.
pub fn publish(conn: &mut Connection, config: &Config, built_by: &str) -> Result<Published, ReleaseError> {
    let started = std::time::Instant::now();
    let previous = latest(conn)?;
    let input = input(conn, config, previous.as_ref())?;
    publish_from(conn, built_by, &input, started)
}

/// Builds and stores a release from input already read.
fn publish_from(conn: &mut Connection, built_by: &str, input: &BuildInput, started: std::time::Instant) -> Result<Published, ReleaseError> {
    let read = started.elapsed();
    let report = build(input);
    let built = started.elapsed();
    let settings = serde_json::to_string(&report.settings)?;
    let spent = serde_json::to_string(&report.spent)?;
    let mut release = Release { version: 0, built_at: String::new(), settings: report.settings, spent: report.spent, tables: report.tables };
    (release.version, release.built_at) = stored::save(conn, built_by, &settings, &spent, &release.rows())?;
    tracing::info!(
        version = release.version,
        read_ms = read.as_millis(),
        build_ms = (built - read).as_millis(),
        store_ms = (started.elapsed() - built).as_millis(),
        "built the public release"
    );
    crate::store::audit::record(conn, built_by, "admin", "release", &format!("version {}", release.version), Some(report.remeasured.len() as i64))?;
    Ok(Published { release, remeasured: report.remeasured, seconds: started.elapsed().as_secs_f64() })
}

/// The newest release if it matches the data and the budget; otherwise a new one is built.
/// Servers call this at start so that public figures never lag behind an import. The data are
/// read once, for both the check and the build.
///
/// Without delbydeler there is nothing to count incidents in: the release is then empty (version
/// 0, not stored), and every public figure says "ingen data" until the areas are imported.
pub fn current(conn: &mut Connection, config: &Config) -> Result<Release, ReleaseError> {
    let started = std::time::Instant::now();
    let previous = latest(conn)?;
    let input = match input(conn, config, previous.as_ref()) {
        Ok(input) => input,
        Err(ReleaseError::NoAreas) => {
            tracing::warn!("no delbydeler imported: the public release is empty until they are");
            return Ok(empty(config));
        }
        Err(e) => return Err(e),
    };
    match previous {
        Some(release) if !stale(&release, &input) => Ok(release),
        _ => Ok(publish_from(conn, "bomiljo serve", &input, started)?.release),
    }
}

/// A release with no counts: what the public sees before any delbydel is imported.
fn empty(config: &Config) -> Release {
    let input = BuildInput {
        areas: Vec::new(),
        tallies: Vec::new(),
        years: BTreeMap::new(),
        categories: BTreeMap::new(),
        housing: Vec::new(),
        secret: [0; 32],
        budget: config.project.release,
        previous: BTreeMap::new(),
        k: config.project.min_count,
    };
    let report = build(&input);
    Release { version: 0, built_at: String::new(), settings: report.settings, spent: report.spent, tables: report.tables }
}

/// Whether the data or the budget changed since the release was built.
pub fn is_stale(conn: &Connection, config: &Config, release: &Release) -> Result<bool, ReleaseError> {
    Ok(stale(release, &input(conn, config, Some(release))?))
}

fn stale(release: &Release, input: &BuildInput) -> bool {
    if release.settings.budget != input.budget || release.settings.years != input.years {
        return true;
    }
    let hashes: BTreeMap<String, String> =
        super::build::tallies_by_key(&input.tallies).into_iter().map(|(key, tallies)| (key, super::build::tally_hash(&tallies, &input.budget))).collect();
    release.spent.iter().any(|(key, spent)| hashes.get(key).map_or_else(|| super::build::tally_hash(&[], &input.budget), Clone::clone) != spent.hash)
}
