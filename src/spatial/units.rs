//! Unit-carrying newtypes: metres and WGS84 degrees.

use serde::{Deserialize, Serialize};

/// A distance or length in metres (in [`super::ANALYSIS_CRS`]).
#[derive(Clone, Copy, Debug, PartialEq, PartialOrd, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Metres(pub f64);

impl std::fmt::Display for Metres {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:.0} m", self.0)
    }
}

/// A WGS84 position in degrees: longitude (east) then latitude (north).
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct LonLat {
    pub lon: f64,
    pub lat: f64,
}
