//! bomiljo: geospatial neighbourhood monitoring for Oslo kommune's drug and mental-health
//! housing field.
//!
//! Data flows one way through the modules:
//!
//! ```text
//! config (layers/*.toml, bomiljo.toml)
//!    │
//! import ──► store (DuckDB) ──► index (R-trees) ──► analysis ──► outputs (api, web, reports)
//! ```
//!
//! - [`spatial`]: CRSs, units and transforms; analysis geometry is EPSG:25832 metres.
//! - [`config`]: layer definitions and project settings, as data.
//! - [`import`]: reads GeoJSON, CSV and Parquet into validated, anonymised features.
//! - [`store`]: the DuckDB file, its schema, migrations and queries.
//! - [`index`]: in-memory spatial indexes built from the store.
//! - [`demo`]: a deterministic generator of demo data.
//! - [`api`]: the HTTP server.

pub mod analysis;
pub mod api;
pub mod bench;
pub mod config;
pub mod demo;
mod error;
pub mod feature;
pub mod figure;
pub mod import;
pub mod index;
pub mod measurement;
pub mod parallel;
pub mod privacy;
pub mod release;
pub mod render;
pub mod report;
pub mod siting;
pub mod spatial;
pub mod store;

pub use error::Error;
