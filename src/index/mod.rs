//! In-memory spatial indexes, built once from the store and queried many times.
//!
//! All coordinates are EPSG:25832 metres. [`AreaIndex`] answers "which delbydel contains this
//! point"; [`PointIndex`] answers nearest-k, count/sum within a radius and bounding-box queries
//! for one point layer. [`network::Network`] routes along the streets. [`SpatialIndex`] holds one of each per layer in the store.

pub mod addresses;
mod areas;
pub mod banded;
pub mod cells;
mod coverage;
pub mod network;
mod overlaps;
mod points;
mod polygons;

use std::collections::HashMap;

pub use areas::{Area, AreaIndex};
pub use coverage::Coverage;
pub use overlaps::{Overlap, overlapping};
pub use points::{Nearest, PointIndex, RadiusSummary};
pub use polygons::PolygonIndex;

use crate::config::{Config, LayerKind};
use crate::store::Database;
use crate::store::{Store, StoreError};

/// Every layer of the store that is queried point by point, indexed. Build steps:
/// 1. each areas layer: its polygons into an [`AreaIndex`];
/// 2. each point layer (points of interest, population anchors, housing): its points into a
///    [`PointIndex`], bulk-loaded.
///
/// Incident layers are left out: they are counted and aggregated in DuckDB (and by the kernel
/// density), never queried one point at a time, and may hold millions of rows.
pub struct SpatialIndex {
    pub areas: HashMap<String, AreaIndex>,
    pub points: HashMap<String, PointIndex>,
}

impl SpatialIndex {
    pub fn build(store: &Store, config: &Config) -> Result<SpatialIndex, StoreError> {
        SpatialIndex::build_of(store, config, |_| true)
    }

    /// Public reference layers only (areas, population, points of interest marked public): what
    /// public outputs may measure distances and residents against. Housing is never in it.
    pub fn build_public(store: &Store, config: &Config) -> Result<SpatialIndex, StoreError> {
        SpatialIndex::build_of(store, config, crate::config::Layer::is_public_reference)
    }

    fn build_of(store: &Store, config: &Config, keep: impl Fn(&crate::config::Layer) -> bool) -> Result<SpatialIndex, StoreError> {
        let mut index = SpatialIndex { areas: HashMap::new(), points: HashMap::new() };
        for layer in config.layers.iter().filter(|l| keep(l)) {
            match layer.kind {
                LayerKind::Areas => {
                    index.areas.insert(layer.name.clone(), AreaIndex::from_rows(store.areas(&layer.name)?));
                }
                LayerKind::Incidents | LayerKind::Need => {}
                _ => {
                    let rows = store.points(layer)?;
                    index.points.insert(layer.name.clone(), PointIndex::new(rows));
                }
            }
        }
        Ok(index)
    }

    /// The areas layer points are assigned to (delbydeler).
    pub fn assignment_areas<'a>(&'a self, config: &Config) -> Option<&'a AreaIndex> {
        self.areas.get(&config.project.assign_layer)
    }
}
