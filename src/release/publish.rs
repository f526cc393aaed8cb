//! Building a release from the store and keeping it current.

use std::collections::BTreeMap;

use super::build::{BuildInput, ReleaseArea, build};
use super::ledger::{Decision, Entry, decide};
use super::{Release, Spent, source_year_key};
use crate::config::{Config, LayerKind};
use crate::store::{Database, Store, StoreError, release as stored};

#[derive(Debug, thiserror::Error)]
pub enum ReleaseError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("the stored release is unreadable ({0}); build a new one with `bomiljo release build`")]
    Corrupt(#[from] serde_json::Error),
    #[error("the stored release is from an older bomiljo ({0}); build a new one with `bomiljo release build` (or start the server)")]
    Outdated(String),
    #[error("no public release yet: build one with `bomiljo release build` (or start the server)")]
    None,
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
pub fn latest(db: &dyn Database) -> Result<Option<Release>, ReleaseError> {
    db.release(None)?.map(Release::from_stored).transpose()
}

/// The newest stored release for a reading command, which never publishes: with whether the data
/// or the budget changed since it was built (the caller says so). Without delbydeler the release
/// is empty, as the server's is.
pub fn for_reading(db: &dyn Database, config: &Config) -> Result<(Release, bool), ReleaseError> {
    let Some(release) = latest(db)? else {
        return match input(db, config, None) {
            Err(ReleaseError::NoAreas) => Ok((empty(config), false)),
            Err(e) => Err(e),
            Ok(_) => Err(ReleaseError::None),
        };
    };
    let stale = is_stale(db, config, &release)?;
    Ok((release, stale))
}

/// For a reading command on a database that has never had a release: the first one, published by
/// `reader` and said so (the first measurement of every source-year, as a server's first start
/// would make). Once one exists, reading never publishes again ([`for_reading`]).
pub fn first_or_newest(db: &mut Store, config: &Config, reader: &str) -> Result<(Release, bool), ReleaseError> {
    match for_reading(db, config) {
        Err(ReleaseError::None) => {
            let published = publish(db, config, reader, "publish (first release)")?;
            eprintln!(
                "note: the database had no public release; published release {} (the first measurement of every source-year).",
                published.release.version
            );
            Ok((published.release, false))
        }
        other => other,
    }
}

/// The ledger by source-year key; a source-year the ledger does not hold yet starts from what the
/// newest release says it spent (releases built before the ledger existed).
fn ledger(db: &dyn Database, spent_before: &BTreeMap<String, Spent>) -> Result<BTreeMap<String, Vec<Entry>>, StoreError> {
    let mut out: BTreeMap<String, Vec<Entry>> = BTreeMap::new();
    for row in db.release_ledger()? {
        out.entry(source_year_key(&row.source, row.year)).or_default().push(Entry { round: row.round, rho: row.rho, hash: row.hash });
    }
    for (key, spent) in spent_before {
        if !out.contains_key(key) && spent.rounds > 0 {
            let rho = spent.rho / f64::from(spent.rounds);
            let rounds = (1..=spent.rounds).map(|round| Entry { round, rho, hash: if round == spent.rounds { spent.hash.clone() } else { String::new() } });
            out.insert(key.clone(), rounds.collect());
        }
    }
    Ok(out)
}

/// Reads everything a build needs.
pub fn input(db: &dyn Database, config: &Config, previous: Option<Release>) -> Result<BuildInput, ReleaseError> {
    let areas: Vec<ReleaseArea> = db
        .areas(&config.project.assign_layer)?
        .into_iter()
        .map(|a| ReleaseArea { code: a.code, bydel: a.parent_code.unwrap_or_default(), polygon: a.polygon })
        .collect();
    if areas.is_empty() {
        return Err(ReleaseError::NoAreas);
    }
    let categories: BTreeMap<String, Vec<String>> =
        config.layers_of(LayerKind::Incidents).filter_map(|l| Some((l.source.clone()?, l.categories.clone().unwrap_or_default()))).collect();
    let keyed = db.keyed_sources()?;
    let spent_before = match db.release(None)? {
        Some(newest) => serde_json::from_str(&newest.spent)?,
        None => BTreeMap::new(),
    };
    Ok(BuildInput {
        areas,
        tallies: db.release_tallies(config.project.release_max_per_key)?,
        years: db.years_by_source()?,
        categories,
        housing: db.housing_sites()?,
        secret: db.release_secret()?,
        budget: config.project.release,
        cap: config.project.release_cap,
        keyed,
        max_per_key: config.project.release_max_per_key,
        ledger: ledger(db, &spent_before)?,
        previous,
        k: config.project.min_count,
    })
}

/// The newest release if it can still be read (one from an older bomiljo cannot: it is rebuilt).
fn readable_latest(db: &dyn Database) -> Result<Option<Release>, ReleaseError> {
    match latest(db) {
        Err(ReleaseError::Outdated(why)) => {
            tracing::warn!("the stored release is from an older bomiljo ({why}): rebuilding it");
            Ok(None)
        }
        other => other,
    }
}

/// Builds and stores a new release version; `built_by` is the person or process that publishes.
pub fn publish(db: &mut Store, config: &Config, built_by: &str, role: &str) -> Result<Published, ReleaseError> {
    let started = std::time::Instant::now();
    let previous = readable_latest(db)?;
    let input = input(db, config, previous)?;
    publish_from(db, (built_by, role), &input, started)
}

/// Builds and stores a release from input already read.
fn publish_from(db: &mut Store, (built_by, role): (&str, &str), input: &BuildInput, started: std::time::Instant) -> Result<Published, ReleaseError> {
    let read = started.elapsed();
    let report = build(input);
    let built = started.elapsed();
    let settings = serde_json::to_string(&report.settings)?;
    let spent = serde_json::to_string(&report.spent)?;
    let mut release = Release { version: 0, built_at: String::new(), settings: report.settings, spent: report.spent, tables: report.tables };
    let ledger: Vec<stored::LedgerRow> = report
        .measured
        .iter()
        .map(|(source, year, e)| stored::LedgerRow { source: source.clone(), year: *year, round: e.round, rho: e.rho, hash: e.hash.clone() })
        .collect();
    (release.version, release.built_at) = db.save_release(built_by, &settings, &spent, &release.rows(), &ledger)?;
    tracing::info!(
        version = release.version,
        read_ms = read.as_millis(),
        build_ms = (built - read).as_millis(),
        store_ms = (started.elapsed() - built).as_millis(),
        "built the public release"
    );
    let remeasured: Vec<String> = report.measured.iter().map(|(s, y, _)| source_year_key(s, *y)).collect();
    db.audit(built_by, role, "release", &format!("version {}", release.version), Some(remeasured.len() as i64))?;
    Ok(Published { release, remeasured, seconds: started.elapsed().as_secs_f64() })
}

/// The newest release if it matches the data and the budget; otherwise `built_by` (in `role`) publishes a new
/// one. Servers call this at start and after an import, so that public figures never lag behind
/// the data. Reading commands call [`for_reading`] instead: only publishing publishes.
///
/// Without delbydeler there is nothing to count incidents in: the release is then empty (version
/// 0, not stored), and every public figure says "ingen data" until the areas are imported.
pub fn current(db: &mut Store, config: &Config, built_by: &str, role: &str) -> Result<Release, ReleaseError> {
    let started = std::time::Instant::now();
    let previous = readable_latest(db)?;
    let up_to_date = match &previous {
        Some(release) => !is_stale(db, config, release).or_else(|e| if matches!(e, ReleaseError::NoAreas) { Ok(true) } else { Err(e) })?,
        None => false,
    };
    if up_to_date {
        return Ok(previous.expect("checked above"));
    }
    let input = match input(db, config, previous) {
        Ok(input) => input,
        Err(ReleaseError::NoAreas) => {
            tracing::warn!("no delbydeler imported: the public release is empty until they are");
            return Ok(empty(config));
        }
        Err(e) => return Err(e),
    };
    Ok(publish_from(db, (built_by, role), &input, started)?.release)
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
        cap: config.project.release_cap,
        keyed: Vec::new(),
        max_per_key: config.project.release_max_per_key,
        ledger: BTreeMap::new(),
        previous: None,
        k: config.project.min_count,
    };
    let report = build(&input);
    Release { version: 0, built_at: String::new(), settings: report.settings, spent: report.spent, tables: report.tables }
}

/// Whether the data or the budget changed since the release was built.
pub fn is_stale(db: &dyn Database, config: &Config, release: &Release) -> Result<bool, ReleaseError> {
    if release.settings.budget != config.project.release
        || release.settings.cap != config.project.release_cap
        || release.settings.years != db.years_by_source()?
    {
        return Ok(true);
    }
    let tallies = db.release_tallies(config.project.release_max_per_key)?;
    let hashes: BTreeMap<String, String> =
        super::build::tallies_by_key(&tallies).into_iter().map(|(key, tallies)| (key, super::build::tally_hash(&tallies, &config.project.release))).collect();
    let empty = super::build::tally_hash(&[], &config.project.release);
    // A frozen source-year differs from its data by design: it stays as it is until the cap is
    // raised.
    Ok(release.spent.iter().filter(|(_, s)| !s.frozen).any(|(key, spent)| hashes.get(key).unwrap_or(&empty) != &spent.hash))
}

/// What publishing the data as it now stands would spend, for one source-year that changed.
#[derive(Clone, Debug, PartialEq)]
pub struct Cost {
    pub key: String,
    pub decision: Decision,
    /// The ρ spent on it in all after the next release.
    pub rho_after: f64,
}

/// The cost of the next release on the data `db` sees (an import's transaction, say): every
/// source-year it would measure afresh or find frozen; source-years it repeats cost nothing.
pub fn pending(db: &dyn Database, config: &Config) -> Result<Vec<Cost>, ReleaseError> {
    let spent_before: BTreeMap<String, Spent> = match db.release(None)? {
        Some(newest) => serde_json::from_str(&newest.spent)?,
        None => BTreeMap::new(),
    };
    let ledger = ledger(db, &spent_before)?;
    let budget = &config.project.release;
    let tallies = super::build::tallies_by_key(&db.release_tallies(config.project.release_max_per_key)?);
    let mut out = Vec::new();
    for (source, (first, last)) in db.years_by_source()? {
        for year in first..=last {
            let key = source_year_key(&source, year);
            let hash = super::build::tally_hash(tallies.get(&key).map_or(&[][..], Vec::as_slice), budget);
            let (decision, rho_after) = decide(ledger.get(&key).map_or(&[][..], Vec::as_slice), &hash, budget.rho_per_source_year, config.project.release_cap);
            if !matches!(decision, Decision::Repeat(_)) {
                out.push(Cost { key, decision, rho_after });
            }
        }
    }
    Ok(out)
}

/// The privacy cost of the next release in words, for an import's report
/// ([`crate::import::Consequences`]).
pub fn cost_lines(db: &dyn Database, config: &Config) -> Vec<String> {
    let costs = match pending(db, config) {
        Ok(costs) => costs,
        Err(e) => return vec![format!("privacy: the cost of the next public release could not be worked out ({e})")],
    };
    if costs.is_empty() {
        return vec!["privacy: the next public release repeats every earlier measurement and spends nothing".into()];
    }
    let cap = config.project.release_cap;
    costs
        .iter()
        .map(|c| match c.decision {
            Decision::Frozen => format!("privacy: {} has spent its cap (rho {cap}): the public release keeps its last published figures", c.key),
            _ => format!(
                "privacy: the next public release measures {} afresh: rho {:.2} of its cap {cap} spent after it (epsilon {:.1})",
                c.key,
                c.rho_after,
                super::ledger::epsilon(c.rho_after, super::ledger::DELTA)
            ),
        })
        .collect()
}
