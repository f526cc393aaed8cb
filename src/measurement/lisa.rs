//! Local clusters and outliers of incidents: Local Moran's I ([`crate::analysis::lisa`]) on the
//! counts of a span of years, on the same cells as the hot spots (raw incidents for analysts,
//! the release's 250 m cells for the public).

use serde::{Deserialize, Serialize};

use super::hotspots::{cell_size, count_cells};
use super::{Geography, Incidents, MeasureError, StudyArea, bounded};
use crate::analysis::lisa::{Quadrant, local_moran};
use crate::config::Config;
use crate::privacy::{Policy, Redact};
use crate::spatial::Metres;
use crate::store::queries::IncidentFilter;

/// Permutations of the conditional randomisation, and their seed (fixed, so answers repeat).
pub const PERMUTATIONS: usize = 999;
const SEED: u64 = 2026;

/// What to analyse: a source (all when absent), years, cells, the neighbourhood, an area.
#[derive(Clone, Debug, Default, Deserialize, PartialEq, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct LisaParams {
    pub source: Option<String>,
    /// First year (the latest when absent).
    pub year: Option<i32>,
    /// Last year of a range.
    pub to_year: Option<i32>,
    /// Cell size, metres (the release: 250).
    pub cell_m: Option<f64>,
    /// Distance band for neighbours, metres (default 500).
    pub band_m: Option<f64>,
    /// A delbydel or bydel code to clip to.
    pub area: Option<String>,
}

/// A study cell: its quadrant, Local Moran's I, pseudo p and FDR-adjusted q.
#[derive(Clone, Debug, Serialize)]
pub struct LisaCell {
    /// The cell's outline in EPSG:25832 (a closed ring), and its centre.
    pub ring: Vec<[f64; 2]>,
    pub centre: [f64; 2],
    pub quadrant: Quadrant,
    pub i: f64,
    pub p: f64,
    pub q: f64,
    /// Incidents in the cell; `None` once suppressed.
    pub count: Option<u64>,
}

impl Redact for LisaCell {
    /// The statistic is about the neighbourhood; the cell's own count only when at least k.
    fn redact(&mut self, policy: &Policy) {
        self.count = policy.exact(self.count);
    }
}

/// Every study cell with its local statistic (significant or not: `q` says).
pub fn lisa(geography: &Geography, incidents: Incidents, config: &Config, params: &LisaParams) -> Result<Vec<LisaCell>, MeasureError> {
    let cell = cell_size(incidents, config, params.cell_m)?;
    let band = Metres(bounded("band_m", params.band_m.unwrap_or(500.0), (cell.0, 5000.0), "m")?);
    super::public_choice(incidents, "band_m", band.0, super::PUBLIC_BANDS_M)?;
    let years = super::data_span(incidents, config, params.source.as_deref(), params.year, params.to_year)?;
    let study = StudyArea::load(geography, params.area.as_deref())?;
    let filter = IncidentFilter { sources: params.source.iter().cloned().collect(), category: None, years: Some(years) };
    let counted = count_cells(incidents, &study, cell, &filter)?;
    let local = local_moran(&counted.grid, &counted.counts, &counted.mask, band, PERMUTATIONS, SEED);
    Ok(local
        .into_iter()
        .enumerate()
        .filter_map(|(i, l)| {
            let l = l?;
            let ring = (counted.ring)(i)?;
            Some(LisaCell {
                centre: super::ring_centre(&ring),
                ring,
                quadrant: l.quadrant,
                i: l.i,
                p: l.p,
                q: l.q,
                count: Some(super::hotspots::whole(counted.counts[i])),
            })
        })
        .collect())
}
