//! Emerging hot and cold spots of incidents: a space-time cube of counts per grid cell and
//! year ([`crate::analysis::emerging`]), for analysts from the raw incidents and for the public
//! from the release (post-processing of released cell counts, so it reveals nothing more).
//!
//! A year in which a counted source has no data is not a year of zeros: the cube spans only the
//! years every counted source has data, and says which sources and years it used.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::hotspots::{cell_size, count_cells};
use super::{Geography, Incidents, MeasureError, StudyArea, bounded};
use crate::analysis::emerging::{Cube, Params, Pattern, State, emerging_hot_spots};
use crate::config::Config;
use crate::spatial::Metres;
use crate::store::queries::IncidentFilter;

/// What to analyse: a source (all when absent), the neighbourhood and an area to clip to.
#[derive(Clone, Debug, Deserialize, PartialEq, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct EmergingParams {
    /// One source, or every source with data when absent.
    pub source: Option<String>,
    /// One category of the source (analysts: the release has categories per delbydel only).
    pub category: Option<String>,
    /// Cell size, metres (the release: 250, SSB's cells).
    pub cell_m: Option<f64>,
    /// Distance band for spatial neighbours, metres.
    #[serde(default = "default_band")]
    pub band_m: f64,
    /// A delbydel or bydel code to clip to.
    pub area: Option<String>,
}

fn default_band() -> f64 {
    500.0
}

impl Default for EmergingParams {
    fn default() -> Self {
        EmergingParams { source: None, category: None, cell_m: None, band_m: default_band(), area: None }
    }
}

/// A cell with a pattern (cells without one are counted in the summary only).
#[derive(Clone, Debug, Serialize)]
pub struct EmergingCell {
    /// The cell's outline in EPSG:25832 (a closed ring), and its centre.
    pub ring: Vec<[f64; 2]>,
    pub centre: [f64; 2],
    pub pattern: Pattern,
    /// The pattern in bokmål ("tiltagende varm sone").
    pub label: String,
    /// The delbydel the cell's centre lies in.
    pub delbydel: Option<String>,
    /// The cell's state per year, oldest first.
    pub states: Vec<State>,
    /// Gi* per year.
    pub z: Vec<f64>,
    /// Mann-Kendall on the z-scores, when testable.
    pub trend_z: Option<f64>,
    pub trend_p: Option<f64>,
}

/// The analysis: the years and sources in the cube, every cell with a pattern, and how many
/// cells each pattern has (no pattern included).
#[derive(Clone, Debug, Serialize)]
pub struct Emerging {
    pub years: (i32, i32),
    pub sources: Vec<String>,
    pub cells: Vec<EmergingCell>,
    pub summary: BTreeMap<String, usize>,
}

/// Fewest years Mann-Kendall and the 90 % rules can say anything about.
const MIN_YEARS: i32 = 3;

pub fn emerging(geography: &Geography, incidents: Incidents, config: &Config, params: &EmergingParams) -> Result<Emerging, MeasureError> {
    let cell = cell_size(incidents, config, params.cell_m)?;
    let band = Metres(bounded("band_m", params.band_m, (cell.0, 5000.0), "m")?);
    super::public_choice(incidents, "band_m", band.0, super::PUBLIC_BANDS_M)?;
    let (sources, (from, to)) = years_with_data(incidents, config, params.source.as_deref())?;
    let study = StudyArea::load(geography, params.area.as_deref())?;
    let mut counted = Vec::new();
    for year in from..=to {
        let filter = IncidentFilter { sources: sources.clone(), category: params.category.clone(), years: Some((year, year)) };
        counted.push(count_cells(incidents, &study, cell, &filter)?);
    }
    let first = &counted[0];
    let steps: Vec<Vec<f64>> = counted.iter().map(|c| c.counts.clone()).collect();
    let noise_var = counted.iter().map(|c| c.noise_var).sum::<f64>() / counted.len() as f64;
    let located = emerging_hot_spots(&Cube { grid: &first.grid, steps: &steps, study: &first.mask, noise_var }, &Params::new(band));
    let areas = crate::index::AreaIndex::new(geography.areas.clone());
    let mut summary = BTreeMap::new();
    let mut cells = Vec::new();
    for location in located {
        *summary.entry(location.pattern.label(true)).or_insert(0) += 1;
        if location.pattern == Pattern::NoPattern {
            continue;
        }
        let Some(ring) = (first.ring)(location.cell) else { continue };
        let centre = super::ring_centre(&ring);
        cells.push(EmergingCell {
            delbydel: areas.locate(centre[0], centre[1]).map(|a| a.code.clone()),
            ring,
            centre,
            pattern: location.pattern,
            label: location.pattern.label(true),
            states: location.states,
            z: location.z,
            trend_z: location.trend.map(|t| t.z),
            trend_p: location.trend.map(|t| t.p),
        });
    }
    Ok(Emerging { years: (from, to), sources, cells, summary })
}

/// The sources counted (the one asked for, or every source with data) and the years all of them
/// have data; an error with fewer than [`MIN_YEARS`].
fn years_with_data(incidents: Incidents, config: &Config, source: Option<&str>) -> Result<(Vec<String>, (i32, i32)), MeasureError> {
    let asked: Vec<String> = match source {
        Some(s) => vec![s.to_string()],
        None => super::sources(config),
    };
    let mut sources = Vec::new();
    let mut span: Option<(i32, i32)> = None;
    for source in asked {
        if let Some((a, b)) = incidents.years(Some(&source))? {
            span = Some(span.map_or((a, b), |(x, y)| (x.max(a), y.min(b))));
            sources.push(source);
        }
    }
    match span {
        Some((from, to)) if to - from + 1 >= MIN_YEARS => Ok((sources, (from, to))),
        Some((from, to)) => Err(MeasureError::BadParameter(format!(
            "emerging hot spots need at least {MIN_YEARS} years in which every counted source ({}) has data; they share {}",
            sources.join(", "),
            if to >= from { format!("{from}-{to}") } else { "none".into() }
        ))),
        None => Err(MeasureError::BadParameter(format!("no incident data{}", source.map(|s| format!(" for source '{s}'")).unwrap_or_default()))),
    }
}
