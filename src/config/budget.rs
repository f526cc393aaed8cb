//! The privacy budget as configured (`[release]` in bomiljo.toml): ρ per source-year and its
//! split between the levels of the release ([`crate::release`] spends it).

use serde::{Deserialize, Serialize};

/// How the budget of a source-year is shared between the levels an incident is counted in.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Shares {
    pub city: f64,
    pub bydel: f64,
    pub delbydel: f64,
    pub cell: f64,
    pub category: f64,
    pub month: f64,
}

impl Shares {
    pub fn total(&self) -> f64 {
        self.city + self.bydel + self.delbydel + self.cell + self.category + self.month
    }
}

/// The privacy budget: ρ (zCDP) per source and year, and its split between levels.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Budget {
    pub rho_per_source_year: f64,
    pub shares: Shares,
    /// The fixed parameters of the one public before/after result.
    pub before_after_radius_m: f64,
    pub before_after_years: i32,
}
