//! Hot- and cold-spots of incidents: counts on a grid over the study area, then Gi*. Raw
//! incidents can be counted on any cell size; the public release only on SSB's 250 m cells.

use serde::{Deserialize, Serialize};

use super::{Geography, Incidents, MeasureError, StudyArea, bounded};
use crate::analysis::grid::Grid;
use crate::analysis::hotspot::{SpotClass, gi_star};
use crate::config::Config;
use crate::privacy::{Policy, Redact};
use crate::spatial::{Metres, SSB_CELL_M, SsbCell, SsbProjection};
use crate::store::queries::IncidentFilter;

/// Defaults: all sources, the latest year, neighbours within 500 m, and cells of 250 m on the
/// release (SSB's cells) or 200 m on raw incidents (a multiple of the 100 m snapping grid).
#[derive(Clone, Debug, Deserialize, PartialEq, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct HotspotParams {
    /// One source, or all when absent.
    pub source: Option<String>,
    /// One category of the source.
    pub category: Option<String>,
    /// First year (the latest when absent).
    pub year: Option<i32>,
    /// Last year of a range.
    pub to_year: Option<i32>,
    /// Cell size, metres; on raw incidents a multiple of the snapping grid.
    pub cell_m: Option<f64>,
    /// Distance band for neighbours, metres.
    #[serde(default = "default_band")]
    pub band_m: f64,
    /// A delbydel or bydel code to clip to.
    pub area: Option<String>,
}

/// Raw incidents sit on the snapping grid's cell centres: a hot-spot cell that is not a multiple
/// of it holds 4, 6 or 9 of them, and the grid, not the city, decides which cells are hot.
const RAW_DEFAULT_CELL_M: f64 = 200.0;

fn default_band() -> f64 {
    500.0
}

impl Default for HotspotParams {
    fn default() -> Self {
        HotspotParams { source: None, category: None, year: None, to_year: None, cell_m: None, band_m: default_band(), area: None }
    }
}

/// A significant cell (not-significant cells are not returned).
#[derive(Clone, Debug, Serialize)]
pub struct HotspotCell {
    /// The cell's outline in EPSG:25832 (a closed ring).
    pub ring: Vec<[f64; 2]>,
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
        self.count = policy.exact(self.count);
    }
}

/// The significant cells, and whether cold spots could be found at all on these counts.
#[derive(Clone, Debug, Serialize)]
pub struct Hotspots {
    pub cells: Vec<HotspotCell>,
    /// False on skewed, mostly-zero counts where even an empty neighbourhood is not unusually low:
    /// "no cold spots" then means "cold spots cannot be detected here", not "there are none".
    pub cold_spots_detectable: bool,
}

impl Redact for Hotspots {
    fn redact(&mut self, policy: &Policy) {
        self.cells.redact(policy);
    }
}

pub fn hotspots(geography: &Geography, incidents: Incidents, config: &Config, params: &HotspotParams) -> Result<Hotspots, MeasureError> {
    let cell = cell_size(incidents, config, params.cell_m)?;
    let band = Metres(bounded("band_m", params.band_m, (cell.0, 5000.0), "m")?);
    super::public_choice(incidents, "band_m", band.0, super::PUBLIC_BANDS_M)?;
    let (from, to) = super::data_span(incidents, config, params.source.as_deref(), params.year, params.to_year)?;
    let study = super::StudyArea::load(geography, params.area.as_deref())?;
    let filter = IncidentFilter { sources: params.source.iter().cloned().collect(), category: params.category.clone(), years: Some((from, to)) };
    let counted = count_cells(incidents, &study, cell, &filter)?;
    let gi = gi_star(&counted.grid, &counted.counts, &counted.mask, band, counted.noise_var);
    let cold_spots_detectable = gi.cold_spots_detectable();
    let cells = gi
        .spots
        .into_iter()
        .enumerate()
        .filter_map(|(i, s)| {
            let s = s.filter(|s| s.class != SpotClass::NotSignificant)?;
            Some(HotspotCell {
                ring: (counted.ring)(i)?,
                class: s.class,
                confidence: match s.class.level().abs() {
                    3 => 99,
                    2 => 95,
                    _ => 90,
                },
                z: s.z,
                q: s.q,
                count: Some(whole(counted.counts[i])),
            })
        })
        .collect();
    Ok(Hotspots { cells, cold_spots_detectable })
}

/// The grid's cell size: asked for, or 250 m on the release (SSB's cells) and 200 m on raw
/// incidents; on raw incidents a multiple of the snapping grid.
pub(super) fn cell_size(incidents: Incidents, config: &Config, asked: Option<f64>) -> Result<Metres, MeasureError> {
    let cell_m = asked.unwrap_or(if matches!(incidents, Incidents::Raw(_)) { RAW_DEFAULT_CELL_M } else { SSB_CELL_M });
    let cell = Metres(bounded("cell_m", cell_m, (50.0, 1000.0), "m")?);
    if let (Incidents::Raw(_), Some(snap)) = (incidents, super::snap_grid(config)) {
        if (cell.0 / snap.0).fract().abs() > 1e-9 {
            return Err(MeasureError::BadParameter(format!(
                "cell_m = {}: on raw incidents use a multiple of the {} anonymisation grid (e.g. 200 or 300); other sizes hold unequal numbers of snapped positions",
                cell.0, snap
            )));
        }
    }
    Ok(cell)
}

/// A cell's count as shown: a released cell is an unbiased estimate, shown as a whole number and
/// never below 0 (raw counts are whole already).
pub(super) fn whole(count: f64) -> u64 {
    count.round().max(0.0) as u64
}

/// The incidents of `filter` (its years set) counted on a grid of `cell` over the study area.
pub(super) fn count_cells<'a>(incidents: Incidents<'a>, study: &StudyArea, cell: Metres, filter: &IncidentFilter) -> Result<Counted<'a>, MeasureError> {
    let years = filter.years.ok_or_else(|| MeasureError::BadParameter("counting cells needs a span of years".into()))?;
    Ok(match incidents {
        Incidents::Raw(_) => raw_grid(study, cell, &incidents.points(filter, false)?),
        Incidents::Released(release) => released_grid(study, cell, release, filter, years)?,
    })
}

/// Counts on a grid, which cells are studied, and each cell's ring in EPSG:25832.
pub(super) struct Counted<'a> {
    pub grid: Grid,
    pub counts: Vec<f64>,
    pub mask: Vec<bool>,
    pub ring: Box<dyn Fn(usize) -> Option<Vec<[f64; 2]>> + 'a>,
    /// The noise variance of a cell's value: 0 for raw counts, the release's for estimates.
    pub noise_var: f64,
}

/// Raw incidents on a grid of any cell size in the analysis CRS.
fn raw_grid<'a>(study: &StudyArea, cell: Metres, points: &[crate::analysis::kde::WeightedPoint]) -> Counted<'a> {
    let grid = Grid::covering(study.bbox, cell);
    let mut counts = vec![0.0; grid.len()];
    for p in points {
        if let Some(i) = grid.index_of(p.x, p.y) {
            counts[i] += 1.0;
        }
    }
    let mask = study.mask(&grid);
    let ring_grid = grid.clone();
    let ring = Box::new(move |i: usize| {
        let [x0, y0, x1, y1] = ring_grid.bounds(i);
        Some(vec![[x0, y0], [x1, y0], [x1, y1], [x0, y1], [x0, y0]])
    });
    Counted { grid, counts, mask, ring, noise_var: 0.0 }
}

/// Released counts on SSB's 250 m grid (EPSG:25833): the release has no other cells.
fn released_grid<'a>(
    study: &StudyArea,
    cell: Metres,
    release: &crate::release::Release,
    filter: &IncidentFilter,
    years: (i32, i32),
) -> Result<Counted<'a>, MeasureError> {
    if (cell.0 - SSB_CELL_M).abs() > f64::EPSILON {
        return Err(MeasureError::BadParameter(format!("cell_m = {} : the public release has SSB's 250 m cells; use cell_m=250", cell.0)));
    }
    if filter.category.is_some() {
        return Err(MeasureError::BadParameter("hot spots per category are not public: the public release has categories per delbydel only".into()));
    }
    let projection = SsbProjection::new();
    let [x0, y0, x1, y1] = study.bbox;
    let corners: Vec<(f64, f64)> = [(x0, y0), (x1, y0), (x0, y1), (x1, y1)].into_iter().filter_map(|(x, y)| projection.to_grid().apply(x, y).ok()).collect();
    let bbox = corners.iter().fold([f64::MAX, f64::MAX, f64::MIN, f64::MIN], |[a, b, c, d], (x, y)| [a.min(*x), b.min(*y), c.max(*x), d.max(*y)]);
    let grid = Grid::covering(bbox, Metres(SSB_CELL_M));
    let released = release.cell_counts(&filter.sources, years);
    let cell_at = |i: usize| {
        let (x, y) = grid.centre(i);
        SsbCell::containing_utm33(x, y)
    };
    let counts = (0..grid.len()).map(|i| released.get(&cell_at(i)).copied().unwrap_or(0.0)).collect();
    // The noise of a cell's estimate, on average over the grid's cells.
    let cells: std::collections::BTreeSet<SsbCell> = (0..grid.len()).map(cell_at).collect();
    let figures = release.cell_figures(&filter.sources, years, |c| cells.contains(&c));
    let noise_var = figures.values().map(|f| f.variance).sum::<f64>() / figures.len().max(1) as f64;
    let from_grid = crate::spatial::Transformer::new(crate::spatial::Crs::Utm33, crate::spatial::ANALYSIS_CRS);
    let mask = study.mask_in(&grid, crate::spatial::Crs::Utm33);
    let ring_grid = grid.clone();
    let ring = Box::new(move |i: usize| {
        let (x, y) = ring_grid.centre(i);
        SsbCell::containing_utm33(x, y).ring(&from_grid)
    });
    Ok(Counted { grid, counts, mask, ring, noise_var })
}
