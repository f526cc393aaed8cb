//! bomiljo: geospatial neighbourhood monitoring for Oslo kommune's drug and mental-health
//! housing field.
//!
//! Data flows one way through the modules, and each depends only on the ones before it (the
//! integration test `architecture` checks the source for cycles and upward imports):
//!
//! ```text
//! spatial, figure, privacy ─► config ─► store (DuckDB) ─► import, index ─► analysis
//!   ─► release ─► measurement ─► siting ─► snapshot ─► render, report ─► api
//! (the binary's CLI and benchmarks sit on top)
//! ```
//!
//! - [`spatial`]: CRSs, units and transforms; analysis geometry is EPSG:25832 metres.
//! - [`figure`], [`privacy`]: an estimate with its variance; roles and the small-count policy.
//! - [`config`]: layer definitions, project settings and the privacy budget, as data.
//! - [`store`]: the DuckDB file, its schema, migrations and queries; the only module with SQL (the
//!   rest asks through [`store::Database`] and never holds a connection).
//! - [`import`]: reads GeoJSON, CSV, Excel, GeoPackage, Shapefile, GML, GTFS, OSM and Parquet into
//!   validated, anonymised features, all or nothing.
//! - [`index`]: in-memory spatial indexes and the street network, built from the store.
//! - [`analysis`]: pure algorithms (KDE, Gi*, emerging hot spots, Local Moran's I, trends,
//!   difference-in-differences, siting criteria, routing).
//! - [`release`]: the public release: noisy measurements, least-squares estimates, the ledger.
//! - [`measurement`]: indicators, heat, hot spots and series from the raw incidents or the release.
//! - [`siting`]: the rules and the siting context: explained scores and suitability surfaces;
//!   housing need against supply.
//! - [`snapshot`]: the served world, built once per data version from the store and read by the
//!   server, the CLI, the reports and the benches.
//! - [`render`], [`report`]: tiles, GeoTIFF, the neighbour sheet and the annual report.
//! - [`api`]: the HTTP server: the snapshot with the caches of answers cut from it.
//! - [`demo`], [`load`]: demo data, and the load generator of the load test and `bomiljo bench serve`
//!   (the benchmarks themselves live in the binary, under `cli/bench`).

pub mod analysis;
pub mod api;
pub mod config;
pub mod demo;
mod error;
pub mod feature;
pub mod figure;
pub mod import;
pub mod index;
pub mod load;
pub mod measurement;
pub mod parallel;
pub mod privacy;
pub mod release;
pub mod render;
pub mod report;
pub mod siting;
pub mod snapshot;
pub mod spatial;
pub mod store;

pub use error::Error;
