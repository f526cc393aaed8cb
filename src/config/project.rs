//! Project-wide settings from `bomiljo.toml`: the municipality's extent, the area layer points
//! are assigned to, and the privacy threshold.

use std::path::{Path, PathBuf};

use super::{ConfigError, raw::RawProject};
use crate::spatial::Extent;

#[derive(Debug, Clone)]
pub struct Project {
    pub path: PathBuf,
    pub municipality: String,
    /// Every imported feature must fall inside this rectangle (analysis CRS).
    pub extent: Extent,
    /// The lon/lat box `extent` was derived from.
    pub extent_wgs84: [f64; 4],
    /// Name of the areas layer every point is assigned to (delbydeler).
    pub assign_layer: String,
    /// Water polygons subtracted from the areas for per-km² figures (land area), when imported.
    pub water_layer: Option<String>,
    /// Smallest count shown outside the analyst role (k).
    pub min_count: u32,
    /// The siting rule file.
    pub rules: PathBuf,
    pub limits: Limits,
    /// The privacy budget of the public release.
    pub release: super::budget::Budget,
    /// The ρ every measurement of one source-year may spend together ([`crate::release::ledger`]).
    pub release_cap: f64,
    /// Incidents of one person key counted per source-year in the release.
    pub release_max_per_key: u32,
    /// The base map under the data on the map page.
    pub basemap: Basemap,
    /// The raster tile service `basemap = "kartverket"` names: tile URL template, attribution.
    pub raster: (String, String),
    /// The streets drawn on the local base and on the neighbour sheet's map.
    pub streets: Option<Streets>,
    /// The point layer of addresses searched by street address and gnr/bnr (`[map] addresses`).
    pub addresses: Option<String>,
    /// The address in absolute links (`[server] public_url`, without a trailing slash); `None`:
    /// from the request.
    pub public_url: Option<String>,
    /// Whether `X-Forwarded-Proto`/`X-Forwarded-Host` name the address (a trusted proxy in front).
    pub trust_forwarded_headers: bool,
}

/// A line layer drawn as streets (`[map] streets`), and the credit its data needs.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, schemars::JsonSchema)]
pub struct Streets {
    pub layer: String,
    pub attribution: String,
}

/// The base map under the data (`[map]` in bomiljo.toml, or `serve --basemap`).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, schemars::JsonSchema)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum Basemap {
    /// Raster tiles from a tile service (Kartverket's open WMTS by default), with attribution.
    Raster { tiles: String, attribution: String },
    /// Built from the data on hand (Marka, water, streets, bydel borders and names): no request
    /// leaves the server.
    Local { streets: Option<Streets> },
    /// No base: the data on a plain background.
    None,
}

impl Basemap {
    /// `kartverket` (the raster service of `[map]`), `local` or `none`.
    pub fn parse(name: &str, tiles: &str, attribution: &str, streets: Option<&Streets>) -> Result<Basemap, String> {
        match name {
            "kartverket" => Ok(Basemap::Raster { tiles: tiles.to_string(), attribution: attribution.to_string() }),
            "local" => Ok(Basemap::Local { streets: streets.cloned() }),
            "none" => Ok(Basemap::None),
            other => Err(format!(
                "basemap = \"{other}\" is unknown; use \"kartverket\" (Kartverket's open WMTS, needs the internet), \"local\" (from the data on hand, offline) or \"none\""
            )),
        }
    }
}

/// Request limits of the server.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    pub public_per_minute: u32,
    pub token_per_minute: u32,
    pub request_timeout: std::time::Duration,
    pub max_body_bytes: usize,
    /// A connection that has not sent its request headers within this is closed.
    pub header_read_timeout: std::time::Duration,
    /// Requests with an unknown, revoked or expired token per minute per client address.
    pub failed_auth_per_minute: u32,
    /// Open connections in total, and per client (an IPv4 address or an IPv6 /64).
    pub max_connections: usize,
    pub max_connections_per_client: usize,
    /// What one import may hold in memory, MB ([`crate::import::limits::Budget`]).
    pub import_memory_mb: u64,
}

impl Project {
    /// A site given in degrees (WGS84) as EPSG:25832 metres, refused outside the municipality:
    /// the one conversion of a user's site for the CLI, the API and the reports.
    pub fn site_from_lonlat(&self, crate::spatial::LonLat { lon, lat }: crate::spatial::LonLat) -> Result<(f64, f64), String> {
        let (x, y) = crate::spatial::Transformer::new(crate::spatial::Crs::Wgs84, crate::spatial::ANALYSIS_CRS).apply(lon, lat).map_err(|e| e.to_string())?;
        if self.extent.contains(x, y) { Ok((x, y)) } else { Err(format!("({lon}, {lat}) is outside {}; give lon, lat in degrees (WGS84)", self.municipality)) }
    }

    pub fn load(path: &Path) -> Result<Project, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read { path: path.to_path_buf(), source })?;
        let raw: RawProject = toml::from_str(&text).map_err(|e| ConfigError::Parse { path: path.to_path_buf(), message: e.to_string() })?;
        let invalid = |message: String| ConfigError::Invalid { path: path.to_path_buf(), message };
        let [w, s, e, n] = raw.municipality.extent_wgs84;
        if !(w < e && s < n && (-180.0..=180.0).contains(&w) && (-90.0..=90.0).contains(&s)) {
            return Err(invalid(format!(
                "[municipality] extent_wgs84 = {:?} is not [min_lon, min_lat, max_lon, max_lat] in degrees",
                raw.municipality.extent_wgs84
            )));
        }
        let extent = Extent::from_wgs84(raw.municipality.extent_wgs84).map_err(|e| invalid(e.to_string()))?;
        if raw.privacy.min_count < 2 {
            return Err(invalid("[privacy] min_count must be at least 2".into()));
        }
        let r = &raw.release;
        let shares = [r.shares.city, r.shares.bydel, r.shares.delbydel, r.shares.cell, r.shares.category, r.shares.month];
        if !(r.rho_per_source_year.is_finite() && (0.0..=10.0).contains(&r.rho_per_source_year) && r.rho_per_source_year > 0.0) {
            return Err(invalid(format!(
                "[release] rho_per_source_year = {} must be above 0 (and at most 10: beyond that the noise is nearly always 0)",
                r.rho_per_source_year
            )));
        }
        if !(r.max_rho_per_source_year.is_finite() && r.max_rho_per_source_year >= r.rho_per_source_year) {
            return Err(invalid(format!(
                "[release] max_rho_per_source_year = {} must be at least rho_per_source_year ({}): it caps the ρ all measurements of a source-year may spend together",
                r.max_rho_per_source_year, r.rho_per_source_year
            )));
        }
        if !(1..=100).contains(&r.max_incidents_per_key) {
            return Err(invalid(format!("[release] max_incidents_per_key = {} must be 1-100", r.max_incidents_per_key)));
        }
        if shares.iter().any(|s| s.is_nan() || *s <= 0.0) || r.shares.total() > 1.0 + 1e-9 {
            return Err(invalid(format!("[release] shares must each be above 0 and add up to at most 1 (they add up to {:.3})", r.shares.total())));
        }
        if !(50.0..=2000.0).contains(&r.before_after_radius_m) || !(1..=10).contains(&r.before_after_years) {
            return Err(invalid("[release] before_after_radius_m must be 50-2000 and before_after_years 1-10".into()));
        }
        let streets = match (raw.map.streets, raw.map.streets_attribution) {
            (Some(layer), Some(attribution)) => Some(Streets { layer, attribution }),
            (None, None) => None,
            _ => return Err(invalid("[map] streets and streets_attribution go together: the layer drawn as streets and the credit its data needs".into())),
        };
        Ok(Project {
            release: super::budget::Budget {
                rho_per_source_year: r.rho_per_source_year,
                shares: r.shares,
                before_after_radius_m: r.before_after_radius_m,
                before_after_years: r.before_after_years,
            },
            release_cap: r.max_rho_per_source_year,
            release_max_per_key: r.max_incidents_per_key,
            path: path.to_path_buf(),
            municipality: raw.municipality.name,
            extent,
            extent_wgs84: raw.municipality.extent_wgs84,
            assign_layer: raw.areas.assign_layer,
            water_layer: raw.areas.water_layer,
            min_count: raw.privacy.min_count,
            rules: path.parent().unwrap_or(Path::new(".")).join(raw.siting.rules),
            limits: Limits {
                public_per_minute: raw.limits.public_per_minute.max(1),
                token_per_minute: raw.limits.token_per_minute.max(1),
                request_timeout: std::time::Duration::from_secs(raw.limits.request_timeout_s.clamp(1, 3600)),
                max_body_bytes: raw.limits.max_body_bytes.clamp(1024, 64 << 20),
                header_read_timeout: std::time::Duration::from_secs(raw.limits.header_read_timeout_s.clamp(1, 300)),
                failed_auth_per_minute: raw.limits.failed_auth_per_minute.max(1),
                max_connections: raw.limits.max_connections.clamp(16, 100_000),
                max_connections_per_client: raw.limits.max_connections_per_client.clamp(1, 100_000),
                import_memory_mb: raw.limits.import_memory_mb.clamp(16, 1 << 20),
            },
            basemap: Basemap::parse(&raw.map.basemap, &raw.map.raster_tiles, &raw.map.raster_attribution, streets.as_ref())
                .map_err(|e| invalid(format!("[map] {e}")))?,
            raster: (raw.map.raster_tiles, raw.map.raster_attribution),
            streets,
            addresses: raw.map.addresses,
            public_url: raw.server.public_url.map(|url| check_public_url(&url).map_err(invalid)).transpose()?,
            trust_forwarded_headers: raw.server.trust_forwarded_headers,
        })
    }
}

/// `[server] public_url` without its trailing slashes; an http(s) URL with a host.
fn check_public_url(url: &str) -> Result<String, String> {
    let trimmed = url.trim().trim_end_matches('/');
    let host = trimmed.strip_prefix("https://").or_else(|| trimmed.strip_prefix("http://")).unwrap_or_default();
    if host.is_empty() || host.contains(char::is_whitespace) {
        return Err(format!("[server] public_url = \"{url}\" is not an http(s) address such as https://bomiljo.oslo.kommune.no/"));
    }
    Ok(trimmed.to_string())
}
