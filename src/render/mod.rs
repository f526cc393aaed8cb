//! Raster output: colour ramps and map tiles (Web Mercator XYZ, PNG) drawn from metre grids.

pub mod geotiff;
pub mod ramp;
pub mod tile;
pub mod tile_polygons;

/// The largest "round" length (1, 2 or 5 × 10ⁿ metres) not above `max_m`, for scale bars.
///
/// ```
/// assert_eq!(bomiljo::render::round_length(740.0), 500.0);
/// assert_eq!(bomiljo::render::round_length(250.0), 200.0);
/// ```
pub fn round_length(max_m: f64) -> f64 {
    let magnitude = 10f64.powf(max_m.log10().floor());
    [1.0, 2.0, 5.0, 10.0].into_iter().map(|f| f * magnitude).rfind(|v| *v <= max_m).unwrap_or(magnitude)
}
