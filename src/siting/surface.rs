//! The suitability surface: every cell of a grid over an area scored for one group; cells that
//! fail a constraint are marked excluded.

use serde::Deserialize;

use super::{Candidate, SitingContext, SitingError, quick_score_group};
use crate::analysis::grid::Grid;
use crate::analysis::siting::{Along, Basis, Metric};
use crate::privacy::Policy;
use crate::spatial::Metres;

#[derive(Clone, Debug, Deserialize, serde::Serialize, PartialEq, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SurfaceParams {
    /// Matrix group 1-8.
    pub group: u8,
    /// A delbydel or bydel code; the whole city when absent.
    pub area: Option<String>,
    /// Cell size, 25-500 m (default 50).
    #[serde(default = "default_cell")]
    pub cell_m: f64,
    /// Proposed units.
    pub units: Option<u32>,
    /// Staff: only the bydeler still lacking homes for the group (the newest survey's need is
    /// more than the homes in place and those opened or planned since).
    #[serde(default)]
    pub need_gap: bool,
    /// The bydeler `need_gap` leaves, resolved by the caller from the need surveys.
    #[serde(skip)]
    #[schemars(skip)]
    pub within_bydeler: Option<std::collections::BTreeSet<String>>,
}

fn default_cell() -> f64 {
    50.0
}

/// Scores per cell: `None` outside the area, `Some(None)` excluded by a constraint.
#[derive(Clone, Debug)]
pub struct Surface {
    pub grid: Grid,
    pub cells: Vec<Option<Option<f64>>>,
    /// Per cell: whether every distance the group's rules ask to walk was measured along the
    /// streets (else some fell back to a straight line); `None` when the rules ask for none.
    pub along_streets: Vec<Option<bool>>,
}

/// The cells of the grid a surface is scored on (before scoring any), to bound a request.
pub fn grid_cells(ctx: &SitingContext, params: &SurfaceParams) -> Result<usize, SitingError> {
    Ok(study_grid(ctx, params)?.1.len())
}

/// The areas a surface covers and the grid over them (the areas are indexed only when scored, so
/// counting a request's cells costs no index).
fn study_grid(ctx: &SitingContext, params: &SurfaceParams) -> Result<(Vec<crate::index::Area>, Grid), SitingError> {
    if !(25.0..=500.0).contains(&params.cell_m) {
        return Err(SitingError::BadParameter(format!("cell_m = {} is outside 25-500 m", params.cell_m)));
    }
    let in_bydeler = |a: &crate::index::Area| params.within_bydeler.as_ref().is_none_or(|set| a.parent_code.as_ref().is_some_and(|p| set.contains(p)));
    let polygons: Vec<_> =
        ctx.areas().filter(|a| params.area.as_ref().is_none_or(|c| &a.code == c || a.parent_code.as_ref() == Some(c)) && in_bydeler(a)).cloned().collect();
    if polygons.is_empty() && params.within_bydeler.is_some() {
        return Err(SitingError::BadParameter(format!(
            "no bydel{} has a gap between need and homes in place for group {}",
            params.area.as_ref().map(|a| format!(" in {a}")).unwrap_or_default(),
            params.group
        )));
    }
    if polygons.is_empty() {
        return Err(SitingError::BadParameter(format!("no delbydel or bydel with code '{}'", params.area.clone().unwrap_or_default())));
    }
    let bbox = crate::spatial::bounds_of(polygons.iter().filter_map(|a| geo::BoundingRect::bounding_rect(&a.polygon)));
    let grid = Grid::covering(bbox, Metres(params.cell_m));
    if grid.len() > 2_000_000 {
        return Err(SitingError::BadParameter(format!("{} cells is too many; use a larger cell_m or an area", grid.len())));
    }
    Ok((polygons, grid))
}

pub fn surface(ctx: &SitingContext, params: &SurfaceParams, policy: &Policy) -> Result<Surface, SitingError> {
    surface_within(ctx, params, policy, None)
}

/// The surface on the same grid as [`surface`], scored only in `window` (`[x0, y0, x1, y1]`,
/// EPSG:25832; cells outside are `None`): a map tile costs its own cells, not the city's.
pub fn surface_within(ctx: &SitingContext, params: &SurfaceParams, policy: &Policy, window: Option<[f64; 4]>) -> Result<Surface, SitingError> {
    let group = ctx.group(params.group)?;
    let (areas, grid) = study_grid(ctx, params)?;
    let index = crate::index::AreaIndex::new(areas);
    let walked: Vec<&Metric> = group
        .factors
        .iter()
        .map(|f| &f.metric)
        .chain(group.constraints.iter().map(|c| &c.metric))
        .filter(|m| matches!(m, Metric::DistanceTo { along: Along::Walk, .. }))
        .collect();
    let (cells, along_streets) = (0..grid.len())
        .map(|i| {
            let (x, y) = grid.centre(i);
            let outside_window = window.is_some_and(|[x0, y0, x1, y1]| x < x0 || x > x1 || y < y0 || y > y1);
            if outside_window || index.locate(x, y).is_none() {
                return (None, None);
            }
            let site = Candidate { label: None, x, y, units: params.units, staff_base_on_site: None };
            let metrics = ctx.measure(x, y, policy);
            let (passed, score) = quick_score_group(group, &site, &metrics, policy);
            let on_streets = (!walked.is_empty()).then(|| walked.iter().all(|m| metrics.route(m).is_some_and(|r| r.basis == Basis::Walk)));
            (Some(passed.then_some(score)), on_streets)
        })
        .unzip();
    Ok(Surface { grid, cells, along_streets })
}
