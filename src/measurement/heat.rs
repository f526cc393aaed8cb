//! Heatmaps: the quartic kernel density of incidents on a metre grid, per source, category and
//! years, for the whole city or one area, optionally per 1,000 inhabitants.

use serde::Deserialize;

use super::{Geography, Incidents, MeasureError, bounded};
use crate::analysis::grid::Grid;
use crate::analysis::kde::{Density, Quartic, kde, kde_with};
use crate::config::Config;
use crate::privacy::{Policy, Redact};
use crate::spatial::Metres;
use crate::store::queries::IncidentFilter;

/// What to compute. Defaults: all sources, all categories, the latest year, 50 m cells, 300 m
/// bandwidth, the whole city, counts (not weights), per km².
#[derive(Clone, Debug, Deserialize, serde::Serialize, PartialEq, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct HeatParams {
    /// One source (`police`), or all when absent.
    pub source: Option<String>,
    /// One category of the source.
    pub category: Option<String>,
    /// First year (the latest year in the store when absent).
    pub year: Option<i32>,
    /// Last year of a range (same as `year` when absent).
    pub to_year: Option<i32>,
    /// Cell size in metres, 25-250.
    #[serde(default = "default_cell")]
    pub cell_m: f64,
    /// Kernel bandwidth in metres, 100-1000.
    #[serde(default = "default_bandwidth")]
    pub bandwidth_m: f64,
    /// A delbydel or bydel code to clip to.
    pub area: Option<String>,
    /// Use incident weights instead of counting each incident once.
    #[serde(default)]
    pub weighted: bool,
    /// Divide by the population density: incidents per 1,000 inhabitants.
    #[serde(default)]
    pub per_1000: bool,
}

fn default_cell() -> f64 {
    50.0
}
fn default_bandwidth() -> f64 {
    300.0
}

impl Default for HeatParams {
    fn default() -> Self {
        HeatParams {
            source: None,
            category: None,
            year: None,
            to_year: None,
            cell_m: default_cell(),
            bandwidth_m: default_bandwidth(),
            area: None,
            weighted: false,
            per_1000: false,
        }
    }
}

/// A computed heat surface: values per cell (per km², or per 1,000 inhabitants), the support
/// (incidents within the bandwidth) and which cells are inside the study area.
#[derive(Clone, Debug)]
pub struct HeatSurface {
    pub params: HeatParams,
    pub years: (i32, i32),
    pub density: Density,
    /// The shown value per cell; `None` outside the study area or where suppressed.
    pub values: Vec<Option<f64>>,
    /// Unit of `values`, in English.
    pub unit: &'static str,
    /// The unit's id, for outputs that word it in their own language (`per_km2`, `per_1000_per_year`).
    pub unit_id: &'static str,
}

impl HeatSurface {
    pub fn grid(&self) -> &Grid {
        &self.density.grid
    }

    /// The largest shown value (for colour scales).
    pub fn max(&self) -> f64 {
        self.values.iter().flatten().copied().fold(0.0, f64::max)
    }
}

impl Redact for HeatSurface {
    /// Cells resting on fewer than k incidents (estimated, for the release) are blanked for the
    /// public.
    fn redact(&mut self, policy: &Policy) {
        for (v, support) in self.values.iter_mut().zip(&self.density.support) {
            if !policy.shows_value_resting_on(*support) {
                *v = None;
            }
        }
    }
}

/// Population density below this (residents per km²) gives no per-1,000 value: dividing by
/// nearly nobody produces meaningless spikes at the city's edges.
const MIN_RESIDENTS_PER_KM2: f64 = 200.0;

pub fn heat(geography: &Geography, incidents: Incidents, config: &Config, params: &HeatParams) -> Result<HeatSurface, MeasureError> {
    let cell = Metres(bounded("cell_m", params.cell_m, (25.0, 250.0), "m")?);
    let bandwidth = Metres(bounded("bandwidth_m", params.bandwidth_m, (100.0, 1000.0), "m")?);
    super::public_choice(incidents, "cell_m", cell.0, super::PUBLIC_HEAT_CELLS_M)?;
    super::public_choice(incidents, "bandwidth_m", bandwidth.0, super::PUBLIC_BANDWIDTHS_M)?;
    let (from, to) = super::data_span(incidents, config, params.source.as_deref(), params.year, params.to_year)?;
    let study = super::StudyArea::load(geography, params.area.as_deref())?;
    let grid = Grid::covering(study.bbox, cell);
    let filter = IncidentFilter { sources: params.source.iter().cloned().collect(), category: params.category.clone(), years: Some((from, to)) };
    let points = incidents.points(&filter, params.weighted)?;
    let density = kde_with(&points, &grid, bandwidth, &Quartic, incidents.support());
    let inside = study.mask(&grid);
    let (values, unit, unit_id) = if params.per_1000 {
        let people = kde(&geography.population, &grid, bandwidth, &Quartic);
        let years = f64::from(to - from + 1);
        let values = (0..grid.len())
            .map(|i| (inside[i] && people.per_km2[i] >= MIN_RESIDENTS_PER_KM2).then(|| density.per_km2[i].max(0.0) / people.per_km2[i] * 1000.0 / years))
            .collect();
        (values, "incidents per 1,000 inhabitants per year", "per_1000_per_year")
    } else {
        // A surface of released estimates dips below 0 where nothing happened: shown as 0.
        let values = (0..grid.len()).map(|i| inside[i].then_some(density.per_km2[i].max(0.0))).collect();
        (values, "incidents per km²", "per_km2")
    };
    Ok(HeatSurface { params: params.clone(), years: (from, to), density, values, unit, unit_id })
}
