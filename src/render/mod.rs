//! Raster output: colour ramps and map tiles (Web Mercator XYZ, PNG) drawn from metre grids.

pub mod ramp;
pub mod tile;
