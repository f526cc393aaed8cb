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

pub use bbox::BoxQuery;
pub use crs::{Crs, CrsError, Transformer, ANALYSIS_CRS};
pub use extent::{bounds_of, envelope_in, Extent};
pub use ssb::{SsbCell, SsbProjection, SSB_CELL_M};
pub use units::{LonLat, Metres};
