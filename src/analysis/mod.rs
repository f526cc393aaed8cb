//! Pure algorithms: projected geometry (EPSG:25832 metres) and plain numbers in, plain structs
//! out. Nothing here touches DuckDB or HTTP.

/// Areal weighting of counts from one set of polygons onto another (population onto delbydeler).
pub mod areal;
/// The Benjamini-Hochberg false-discovery-rate correction.
pub mod csr_tails;
/// Before/after comparison around a site: difference in differences of Poisson rates.
pub mod did;
/// Emerging hot and cold spots: space-time Gi*, Mann-Kendall and Esri's 17 patterns.
pub mod emerging;
pub mod fdr;
/// A regular raster of square cells in metres.
pub mod grid;
/// Getis-Ord Gi* hot- and cold-spots with a false-discovery-rate correction.
pub mod hotspot;
/// Indicators per area and year: counts, rates, change, rank, ratio to the city.
pub mod indicators;
/// Kernel density estimation (the quartic kernel of QGIS's heatmap tool).
pub mod kde;
/// Local Moran's I (LISA) with conditional permutations and FDR.
pub mod lisa;
/// The Mann-Kendall trend test with the tie correction.
pub mod mann_kendall;
/// Travel along the street network: multi-source Dijkstra, nearest features, isochrones.
pub mod network;
/// The outline of a raster's filled cells as polygons with holes.
pub mod outline;
/// Exact tests for Poisson counts (change between two years).
pub mod poisson;
/// Siting: explained scores of candidate sites against the matrix rules.
pub mod siting;
/// Log-linear (Poisson) trend of a yearly series.
pub mod trend;
