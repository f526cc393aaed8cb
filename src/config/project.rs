//! Project-wide settings from `bomiljo.toml`: the municipality's extent, the area layer points
//! are assigned to, and the privacy threshold.

use std::path::{Path, PathBuf};

use super::{raw::RawProject, ConfigError};
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
    /// Smallest count shown outside the analyst role (k).
    pub min_count: u32,
    /// The siting rule file.
    pub rules: PathBuf,
    pub limits: Limits,
}

/// Request limits of the server.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    pub public_per_minute: u32,
    pub token_per_minute: u32,
    pub request_timeout: std::time::Duration,
    pub max_body_bytes: usize,
}

impl Project {
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
        Ok(Project {
            path: path.to_path_buf(),
            municipality: raw.municipality.name,
            extent,
            extent_wgs84: raw.municipality.extent_wgs84,
            assign_layer: raw.areas.assign_layer,
            min_count: raw.privacy.min_count,
            rules: path.parent().unwrap_or(Path::new(".")).join(raw.siting.rules),
            limits: Limits {
                public_per_minute: raw.limits.public_per_minute.max(1),
                token_per_minute: raw.limits.token_per_minute.max(1),
                request_timeout: std::time::Duration::from_secs(raw.limits.request_timeout_s.clamp(1, 3600)),
                max_body_bytes: raw.limits.max_body_bytes.clamp(1024, 64 << 20),
            },
        })
    }
}
