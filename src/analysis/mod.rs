//! Pure algorithms: projected geometry (EPSG:25832 metres) and plain numbers in, plain structs
//! out. Nothing here touches DuckDB or HTTP.

/// A regular raster of square cells in metres.
pub mod grid;
/// Kernel density estimation (the quartic kernel of QGIS's heatmap tool).
pub mod kde;
/// Getis-Ord Gi* hot- and cold-spots with a false-discovery-rate correction.
pub mod hotspot;
/// Exact tests for Poisson counts (change between two years).
pub mod poisson;
/// Log-linear (Poisson) trend of a yearly series.
pub mod trend;
/// Indicators per area and year: counts, rates, change, rank, ratio to the city.
pub mod indicators;
/// Siting: explained scores of candidate sites against the matrix rules.
pub mod siting;
/// Before/after comparison around a site: difference in differences of Poisson rates.
pub mod did;
