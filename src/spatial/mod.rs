//! Coordinate reference systems, units and transforms.
//!
//! All analysis happens in [`ANALYSIS_CRS`] (EPSG:25832, ETRS89 / UTM zone 32N, metres), the CRS
//! Oslo kommune uses locally. Other CRSs appear only at the edges: when a file is imported and
//! when the API hands geometry to a web map (WGS84). Distances in metres are [`Metres`], never a
//! bare `f64` that might be degrees.

mod bbox;
mod crs;
mod extent;
mod ssb;
mod units;
pub mod wkb;

pub use bbox::BoxQuery;
pub use crs::{ANALYSIS_CRS, Crs, CrsError, Transformer};
pub use extent::{Extent, bounds_of, envelope_in};
pub use ssb::{SSB_CELL_M, SsbCell, SsbProjection};
pub use units::{LonLat, Metres};
