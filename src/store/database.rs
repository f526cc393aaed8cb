//! What the rest of bomiljo asks of the database, through one trait: [`Database`]. The store,
//! a request's [`Handle`] and an import's pending transaction all answer it, and none hands out
//! its connection, so SQL stays inside `store`: the trait is sealed (nothing outside `store` can
//! implement it) and its `sql` method takes a token only `store` can make.
//!
//! ```no_run
//! use bomiljo::store::{Database, OpenMode, Store};
//! let store = Store::open("bomiljo.duckdb".as_ref(), OpenMode::MustExist)?;
//! let sites = store.housing_sites()?;
//! # Ok::<(), bomiljo::store::StoreError>(())
//! ```

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use duckdb::Connection;

use super::queries::{self, AreaRow, IncidentFilter, PointRow, TallyRow};
use super::{StoreError, audit, geoparquet, ops, release, scenarios, tokens, write};
use crate::config;
use crate::privacy::Role;

/// A connection lent for one piece of work (a request's queries, an import's consequences).
#[derive(Clone, Copy)]
pub struct Handle<'a>(pub(super) &'a Connection);

impl super::sealed::Sealed for Handle<'_> {}

impl Database for Handle<'_> {
    fn sql(&self, _: super::sealed::Token) -> &Connection {
        self.0
    }
}

/// The queries and small writes (audit, tokens, scenarios) of every view of the database. Sealed:
/// implemented by the store's types only. Outside `store` no connection can be had through it:
///
/// ```compile_fail
/// // A type of one's own cannot be a database (the trait is sealed) ...
/// struct Mine;
/// impl bomiljo::store::Database for Mine {}
/// ```
///
/// ```compile_fail
/// // ... and the store's connection is out of reach (the token cannot be named or made).
/// fn connection(store: &bomiljo::store::Store) -> &duckdb::Connection {
///     use bomiljo::store::Database;
///     store.sql(bomiljo::store::sealed::token())
/// }
/// ```
pub trait Database: super::sealed::Sealed {
    /// The connection, for the store's own modules (the token is theirs alone).
    #[doc(hidden)]
    fn sql(&self, _: super::sealed::Token) -> &Connection;

    /// The schema version of the database.
    fn schema_version(&self) -> Result<i64, StoreError> {
        super::schema_version(self.sql(super::sealed::token()))
    }

    /// Every area of an areas layer, ordered by code.
    fn areas(&self, layer: &str) -> Result<Vec<AreaRow>, StoreError> {
        queries::areas(self.sql(super::sealed::token()), layer)
    }

    /// The points of a point layer (points of interest, population, housing), with weights.
    fn points(&self, layer: &config::Layer) -> Result<Vec<PointRow>, StoreError> {
        queries::points(self.sql(super::sealed::token()), write::Table::for_kind(layer.kind).name(), &layer.name)
    }

    /// Residents per delbydel from population layers of points (grid cells are weighted by area
    /// by the caller).
    fn population_by_area(&self) -> Result<std::collections::BTreeMap<String, f64>, StoreError> {
        queries::population_by_area(self.sql(super::sealed::token()))
    }

    /// The polygons of a layer of features (commercial land, water, population cells).
    fn feature_polygons(&self, layer: &str) -> Result<Vec<AreaRow>, StoreError> {
        queries::feature_polygons(self.sql(super::sealed::token()), layer)
    }

    /// The points of a layer of features, by its name.
    fn feature_points(&self, layer: &str) -> Result<Vec<PointRow>, StoreError> {
        queries::points(self.sql(super::sealed::token()), "features", layer)
    }

    /// The lines of a street layer with their kept tags.
    fn streets(&self, layer: &str) -> Result<Vec<queries::StreetRow>, StoreError> {
        queries::streets(self.sql(super::sealed::token()), layer)
    }

    /// Records an action in the audit log.
    fn audit(&self, actor: &str, role: &str, action: &str, target: &str, amount: Option<i64>) -> Result<(), StoreError> {
        audit::record(self.sql(super::sealed::token()), actor, role, action, target, amount)
    }

    /// The newest `limit` audit events.
    fn audit_events(&self, limit: usize) -> Result<Vec<audit::Event>, StoreError> {
        audit::list(self.sql(super::sealed::token()), limit)
    }

    /// Creates a token for `role` and returns its secret (shown once).
    fn create_token(&self, name: &str, role: Role, valid_days: Option<u32>) -> Result<String, StoreError> {
        tokens::create(self.sql(super::sealed::token()), name, role, valid_days)
    }

    /// Every token (never a secret).
    fn tokens(&self) -> Result<Vec<tokens::TokenInfo>, StoreError> {
        tokens::list(self.sql(super::sealed::token()))
    }

    /// Revokes every active token named `name`; how many.
    fn revoke_token(&self, name: &str) -> Result<usize, StoreError> {
        tokens::revoke(self.sql(super::sealed::token()), name)
    }

    /// A layer's imports, newest first.
    fn history(&self, layer: &str) -> Result<Vec<write::HistoryEntry>, StoreError> {
        write::history(self.sql(super::sealed::token()), layer)
    }

    /// Problems of the database against the configuration (`bomiljo check`).
    fn check(&self, config: &config::Config) -> Result<Vec<String>, StoreError> {
        ops::check(self.sql(super::sealed::token()), config)
    }

    /// What each layer's stored features cover (the collections' extents).
    fn layer_extents(&self) -> Result<std::collections::BTreeMap<String, queries::LayerExtent>, StoreError> {
        queries::layer_extents(self.sql(super::sealed::token()))
    }

    /// Rows per layer.
    fn layer_counts(&self) -> Result<std::collections::BTreeMap<String, i64>, StoreError> {
        queries::layer_counts(self.sql(super::sealed::token()))
    }

    /// Stored points outside every area, per layer: (layer, outside, total).
    fn unassigned_points(&self) -> Result<Vec<(String, u64, u64)>, StoreError> {
        queries::unassigned_points(self.sql(super::sealed::token()))
    }

    /// Every layer and the logs as Parquet files in `dir` (see [`ops::export_parquet`]).
    fn export_parquet(&self, config: &config::Config, dir: &Path) -> Result<Vec<(PathBuf, i64)>, StoreError> {
        ops::export_parquet(self.sql(super::sealed::token()), config, dir)
    }

    /// Every layer as GeoParquet in `dir` (see [`geoparquet::export`]).
    fn export_geoparquet(
        &self,
        config: &config::Config,
        dir: &Path,
        with_housing: bool,
        measures: &[geoparquet::AreaMeasures],
    ) -> Result<Vec<geoparquet::Exported>, StoreError> {
        geoparquet::export(self.sql(super::sealed::token()), config, dir, with_housing, measures)
    }

    /// Every row of the configured need layers, by year, bydel and group.
    fn need_survey(&self, config: &config::Config) -> Result<Vec<queries::NeedRow>, StoreError> {
        let layers: Vec<&str> = config.layers_of(config::LayerKind::Need).map(|l| l.name.as_str()).collect();
        queries::need_survey(self.sql(super::sealed::token()), &layers)
    }

    /// Every housing site, open or closed.
    fn housing_sites(&self) -> Result<Vec<queries::HousingSite>, StoreError> {
        queries::housing_sites(self.sql(super::sealed::token()))
    }

    /// Every point of a layer with its name and kept source columns.
    fn tagged_points(&self, layer: &str) -> Result<Vec<queries::TaggedPoint>, StoreError> {
        queries::tagged_points(self.sql(super::sealed::token()), layer)
    }

    /// Every saved siting scenario, newest first.
    fn scenarios(&self) -> Result<Vec<scenarios::Scenario>, StoreError> {
        scenarios::list(self.sql(super::sealed::token()))
    }

    /// The first and last year with incidents.
    fn incident_years(&self) -> Result<Option<(i32, i32)>, StoreError> {
        queries::incident_years(self.sql(super::sealed::token()))
    }

    /// The first and last year of each incident source.
    fn years_by_source(&self) -> Result<BTreeMap<String, (i32, i32)>, StoreError> {
        release::years_by_source(self.sql(super::sealed::token()))
    }

    /// One row per incident position matching `filter`: (x, y, summed weight).
    fn incident_points(&self, filter: &IncidentFilter) -> Result<Vec<(f64, f64, f64)>, StoreError> {
        queries::incident_points(self.sql(super::sealed::token()), filter)
    }

    /// Incidents per year (and month) in one area or the city: (year, month, count).
    fn incident_series(&self, code: Option<&str>, filter: &IncidentFilter, monthly: bool) -> Result<Vec<(i32, u32, u64)>, StoreError> {
        queries::incident_series(self.sql(super::sealed::token()), code, filter, monthly)
    }

    /// Incidents per delbydel, source, year and category in the years `from..=to`.
    fn incident_tallies(&self, from: i32, to: i32) -> Result<Vec<TallyRow>, StoreError> {
        queries::incident_tallies(self.sql(super::sealed::token()), from, to)
    }

    /// Incidents of one layer per delbydel.
    fn incident_counts_by_delbydel(&self, layer: &str) -> Result<BTreeMap<String, u64>, StoreError> {
        queries::incident_counts_by_delbydel(self.sql(super::sealed::token()), layer)
    }

    /// Incidents per year near `centres` (within `radius_m`) and in the rest of a delbydel:
    /// (year, near, rest).
    fn counts_near_sites_and_rest(
        &self,
        centres: &[(f64, f64)],
        radius_m: f64,
        delbydel: &str,
        source: Option<&str>,
        years: (i32, i32),
    ) -> Result<Vec<(i32, u64, u64)>, StoreError> {
        queries::counts_near_sites_and_rest(self.sql(super::sealed::token()), centres, radius_m, delbydel, source, years)
    }

    /// The role and name of a token's secret, if it is valid.
    fn role_of(&self, secret: &str) -> Result<Option<(Role, String)>, StoreError> {
        tokens::role_of(self.sql(super::sealed::token()), secret)
    }

    /// A stored release (the newest without a version).
    fn release(&self, version: Option<i64>) -> Result<Option<release::StoredRelease>, StoreError> {
        release::load(self.sql(super::sealed::token()), version)
    }

    /// Every published release version.
    fn published_releases(&self) -> Result<Vec<release::Published>, StoreError> {
        release::published(self.sql(super::sealed::token()))
    }

    /// What the next release is built from: the tallies (at most `max_per_key` per person key),
    /// the sources with person keys, the secret and the privacy ledger.
    fn release_tallies(&self, max_per_key: u32) -> Result<Vec<release::Tally>, StoreError> {
        release::tallies(self.sql(super::sealed::token()), max_per_key)
    }

    /// Sources whose incidents carry a person key.
    fn keyed_sources(&self) -> Result<Vec<String>, StoreError> {
        release::keyed_sources(self.sql(super::sealed::token()))
    }

    /// The database's release secret (made on first use).
    fn release_secret(&self) -> Result<[u8; 32], StoreError> {
        release::secret(self.sql(super::sealed::token()))
    }

    /// Every entry of the privacy ledger.
    fn release_ledger(&self) -> Result<Vec<release::LedgerRow>, StoreError> {
        release::ledger(self.sql(super::sealed::token()))
    }

    /// A saved scenario.
    fn scenario(&self, id: i64) -> Result<Option<scenarios::Scenario>, StoreError> {
        scenarios::get(self.sql(super::sealed::token()), id)
    }

    /// Saves a scenario; its id.
    fn save_scenario(&self, name: &str, group: u8, sites: &[scenarios::PlannedSite], adopted: bool, created_by: &str) -> Result<i64, StoreError> {
        scenarios::save(self.sql(super::sealed::token()), name, group, sites, adopted, created_by)
    }

    /// Deletes a scenario; whether it existed.
    fn delete_scenario(&self, id: i64) -> Result<bool, StoreError> {
        scenarios::delete(self.sql(super::sealed::token()), id)
    }
}
