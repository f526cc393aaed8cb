//! Hot- and cold-spots of incidents: counts on a grid over the study area, then Gi*.

use duckdb::Connection;
use serde::{Deserialize, Serialize};

use super::{bounded, MeasureError};
use crate::analysis::grid::Grid;
use crate::analysis::hotspot::{gi_star, SpotClass};
use crate::config::Config;
use crate::privacy::{Policy, Redact};
use crate::spatial::Metres;
use crate::store::queries::{self, IncidentFilter};

/// Defaults: all sources, the latest year, 250 m cells, neighbours within 500 m.
#[derive(Clone, Debug, Deserialize, PartialEq)]
pub struct HotspotParams {
    pub source: Option<String>,
    pub category: Option<String>,
    pub year: Option<i32>,
    pub to_year: Option<i32>,
    #[serde(default = "default_cell")]
    pub cell_m: f64,
    /// Distance band for neighbours, metres.
    #[serde(default = "default_band")]
    pub band_m: f64,
    pub area: Option<String>,
}

fn default_cell() -> f64 {
    250.0
}
fn default_band() -> f64 {
    500.0
}

impl Default for HotspotParams {
    fn default() -> Self {
        HotspotParams { source: None, category: None, year: None, to_year: None, cell_m: default_cell(), band_m: default_band(), area: None }
    }
}

/// A significant cell (not-significant cells are not returned).
#[derive(Clone, Debug, Serialize)]
pub struct HotspotCell {
    /// Cell bounds in EPSG:25832: [min_x, min_y, max_x, max_y].
    pub bounds: [f64; 4],
    pub class: SpotClass,
    /// Confidence in per cent (90, 95, 99).
    pub confidence: u8,
    pub z: f64,
    pub q: f64,
    /// Incidents in the cell; `None` once suppressed.
    pub count: Option<u64>,
}

impl Redact for HotspotCell {
    /// The class and confidence are about the neighbourhood (band), not the cell; the cell's own
    /// count is shown only when at least k.
    fn redact(&mut self, policy: &Policy) {
        if let Some(n) = self.count {
            if policy.count(n).exact().is_none() {
                self.count = None;
            }
        }
    }
}

pub fn hotspots(conn: &Connection, config: &Config, params: &HotspotParams) -> Result<Vec<HotspotCell>, MeasureError> {
    let cell = Metres(bounded("cell_m", params.cell_m, (50.0, 1000.0), "m")?);
    let band = Metres(bounded("band_m", params.band_m, (cell.0, 5000.0), "m")?);
    let (from, to) = super::year_span(conn, params.year, params.to_year)?;
    let study = super::StudyArea::load(conn, config, params.area.as_deref())?;
    let grid = Grid::covering(study.bbox, cell);
    let mask = study.mask(&grid);
    let filter = IncidentFilter { sources: params.source.iter().cloned().collect(), category: params.category.clone(), years: Some((from, to)) };
    let mut counts = vec![0.0; grid.len()];
    for (x, y, _) in queries::incident_points(conn, &filter)? {
        if let Some(i) = grid.index_of(x, y) {
            counts[i] += 1.0;
        }
    }
    let spots = gi_star(&grid, &counts, &mask, band);
    Ok(spots
        .into_iter()
        .enumerate()
        .filter_map(|(i, s)| {
            let s = s.filter(|s| s.class != SpotClass::NotSignificant)?;
            Some(HotspotCell {
                bounds: grid.bounds(i),
                class: s.class,
                confidence: match s.class.level().abs() {
                    3 => 99,
                    2 => 95,
                    _ => 90,
                },
                z: s.z,
                q: s.q,
                count: Some(counts[i] as u64),
            })
        })
        .collect())
}
