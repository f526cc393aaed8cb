//! Serde structs exactly as written in the TOML files; [`super::layer`] and [`super::project`]
//! check and resolve them.

use std::collections::BTreeMap;

use serde::Deserialize;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawProject {
    pub municipality: RawMunicipality,
    pub areas: RawAreasSettings,
    pub privacy: RawPrivacy,
    pub siting: RawSiting,
    pub limits: RawLimits,
    pub release: RawRelease,
    pub map: RawMap,
    #[serde(default)]
    pub server: RawServer,
}

/// How the server names itself in the links of its answers.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawServer {
    /// The address clients reach the service at (`https://bomiljo.oslo.kommune.no/`).
    #[serde(default)]
    pub public_url: Option<String>,
    /// Take scheme and host from `X-Forwarded-Proto`/`X-Forwarded-Host` (behind a trusted proxy only).
    #[serde(default)]
    pub trust_forwarded_headers: bool,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawMap {
    /// `kartverket`, `local` or `none`.
    pub basemap: String,
    pub raster_tiles: String,
    pub raster_attribution: String,
    /// A line layer drawn as streets on the local base and the neighbour sheet's map.
    #[serde(default)]
    pub streets: Option<String>,
    /// Credit for the streets' data, shown wherever they are drawn.
    #[serde(default)]
    pub streets_attribution: Option<String>,
    /// A point layer of addresses (Kartverket's), searched by street address and gnr/bnr.
    #[serde(default)]
    pub addresses: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawRelease {
    pub rho_per_source_year: f64,
    pub max_rho_per_source_year: f64,
    #[serde(default = "one")]
    pub max_incidents_per_key: u32,
    pub shares: super::budget::Shares,
    pub before_after_radius_m: f64,
    pub before_after_years: i32,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawLimits {
    pub public_per_minute: u32,
    pub token_per_minute: u32,
    pub request_timeout_s: u64,
    pub max_body_bytes: usize,
    pub header_read_timeout_s: u64,
    pub failed_auth_per_minute: u32,
    #[serde(default = "default_max_connections")]
    pub max_connections: usize,
    #[serde(default = "default_max_connections_per_client")]
    pub max_connections_per_client: usize,
    #[serde(default = "default_import_memory_mb")]
    pub import_memory_mb: u64,
}

fn default_import_memory_mb() -> u64 {
    512
}

fn default_max_connections() -> usize {
    512
}

fn default_max_connections_per_client() -> usize {
    128
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawSiting {
    /// Rule file, relative to the configuration folder.
    pub rules: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawMunicipality {
    pub name: String,
    pub extent_wgs84: [f64; 4],
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawAreasSettings {
    pub assign_layer: String,
    /// A polygon layer of water (sea, lakes) taken out of the areas for per-km² figures.
    pub water_layer: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawPrivacy {
    pub min_count: u32,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawLayer {
    pub name: String,
    pub title: RawTitle,
    #[serde(default)]
    pub description: String,
    pub kind: String,
    pub geometry: String,
    pub visibility: String,
    /// Incident source name (incident layers only).
    pub source: Option<String>,
    /// CRS of x/y coordinate columns when neither the file nor `--crs` says.
    pub crs: Option<String>,
    #[serde(default)]
    pub fields: BTreeMap<String, RawField>,
    #[serde(default)]
    pub coordinates: RawCoordinates,
    pub categories: Option<Vec<String>>,
    /// Labels in source files, per category: `violence = ["vold", "legemsbeskadigelse"]`.
    #[serde(default)]
    pub category_labels: BTreeMap<String, Vec<String>>,
    /// Dates before this (YYYY-MM-DD) are refused.
    pub earliest_date: Option<String>,
    pub anonymise: Option<RawAnonymise>,
    /// Areas layers: how many leading digits of `code` give the parent (bydel) code.
    pub parent_code_digits: Option<usize>,
    /// Areas layers: a prefix removed from `code` values (e.g. the municipality number).
    pub code_strip_prefix: Option<String>,
    /// Areas layers: the number of digits of a code (leading zeros restored, longer codes cut).
    pub code_digits: Option<usize>,
    /// Areas layers: the layer whose codes `parent` must name.
    pub parent_layer: Option<String>,
    /// Points of interest: OpenStreetMap `key=value` tags selecting features from `.osm.pbf`.
    #[serde(default)]
    pub osm_tags: Vec<String>,
    /// Line layers: source columns kept as the feature's tags (OpenStreetMap `oneway`,
    /// `maxspeed`, `foot`, ...), which the street network reads.
    #[serde(default)]
    pub keep_tags: Vec<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawTitle {
    pub nb: String,
    pub en: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawField {
    pub column: Option<String>,
    pub required: Option<bool>,
    pub default: Option<toml::Value>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawCoordinates {
    #[serde(default = "lon")]
    pub lon: String,
    #[serde(default = "lat")]
    pub lat: String,
    #[serde(default = "x")]
    pub x: String,
    #[serde(default = "y")]
    pub y: String,
}

impl Default for RawCoordinates {
    fn default() -> Self {
        RawCoordinates { lon: lon(), lat: lat(), x: x(), y: y() }
    }
}

fn lon() -> String {
    "lon".into()
}
fn lat() -> String {
    "lat".into()
}
fn x() -> String {
    "x".into()
}
fn y() -> String {
    "y".into()
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawAnonymise {
    pub grid_m: Option<f64>,
    #[serde(default = "yes")]
    pub reject_identifiers: bool,
}

fn yes() -> bool {
    true
}

fn one() -> u32 {
    1
}
