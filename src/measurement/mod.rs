//! The annual bomiljø measurement: reads what the analysis needs from the store, runs the pure
//! algorithms in [`crate::analysis`], and returns plain results that every output (CLI, API,
//! tiles, reports) renders after the privacy checkpoint.

mod before_after;
mod emerging;
mod heat;
mod hotspots;
mod incidents;
mod lisa;
mod series;

pub use crate::release::before_after::{Effect, Unit, opening_window, public_conclusion, units};
pub use before_after::{BeforeAfter, BeforeAfterParams, SiteResult, before_after};
pub use emerging::{Emerging, EmergingCell, EmergingParams, emerging};
pub use heat::{HeatParams, HeatSurface, heat};
pub use hotspots::{HotspotCell, HotspotParams, Hotspots, hotspots};
pub use incidents::Incidents;
pub use lisa::{LisaCell, LisaParams, PERMUTATIONS as LISA_PERMUTATIONS, lisa};
pub use series::{Series, SeriesParams, series};

use crate::analysis::indicators::{self, AreaBasis, AreaInfo, Indicator};
use crate::analysis::kde::WeightedPoint;
use crate::config::{Config, LayerKind};
use crate::store::Database;
use crate::store::{StoreError, queries};

#[derive(Debug, thiserror::Error)]
pub enum MeasureError {
    #[error("{0}")]
    BadParameter(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// The public reference geography every measurement needs: the delbydeler (with bydel,
/// population and size) and the population points. Loaded once; it never holds incidents.
#[derive(Clone, Debug, Default)]
pub struct Geography {
    pub areas: Vec<queries::AreaRow>,
    pub infos: Vec<AreaInfo>,
    pub population: Vec<WeightedPoint>,
    /// Bydel names by code, from the delbydeler's parent layer (empty when not imported).
    pub bydel_names: std::collections::BTreeMap<String, String>,
    /// The streets of `[map] streets` (empty when not configured or not imported).
    pub streets: Vec<queries::StreetRow>,
}

impl Geography {
    /// A delbydel or bydel code that exists, or an error naming what would: never an answer of
    /// zeros for a code that is not there.
    pub fn check_code(&self, code: &str) -> Result<(), MeasureError> {
        if self.areas.iter().any(|a| a.code == code || a.parent_code.as_deref() == Some(code)) {
            return Ok(());
        }
        let codes = self.areas.iter().map(|a| a.code.as_str()).chain(self.areas.iter().filter_map(|a| a.parent_code.as_deref()));
        Err(MeasureError::BadParameter(format!(
            "no delbydel or bydel with code '{code}'{} (delbydeler have four digits, bydeler two; see /api/areas)",
            crate::config::suggest(code, codes)
        )))
    }

    pub fn load(store: &crate::store::Store, config: &Config) -> Result<Geography, StoreError> {
        let areas = store.areas(&config.project.assign_layer)?;
        let index = crate::index::AreaIndex::new(areas.clone());
        let by_area = population_by_area(store, config, &index)?;
        let water = water_by_area(store, config, &index)?;
        let infos = areas
            .iter()
            .map(|a| AreaInfo {
                population: a.population.map(|p| p as f64).or_else(|| by_area.get(&a.code).copied()),
                code: a.code.clone(),
                name: a.name.clone(),
                bydel: a.parent_code.clone(),
                area_km2: (a.area_m2 - water.as_ref().and_then(|w| w.get(&a.code)).copied().unwrap_or(0.0)).max(0.0) / 1e6,
                km2_basis: if water.is_some() { AreaBasis::Land } else { AreaBasis::Total },
            })
            .collect();
        let mut population = Vec::new();
        for layer in config.population_layers() {
            population.extend(store.feature_points(layer)?.into_iter().map(|p| WeightedPoint { x: p.x, y: p.y, weight: p.weight }));
        }
        let bydel_names = match config.layer(&config.project.assign_layer).ok().and_then(|l| l.parent_layer.clone()) {
            Some(parent) => store.areas(&parent)?.into_iter().filter_map(|a| Some((a.code, a.name?))).collect(),
            None => Default::default(),
        };
        let streets = match &config.project.streets {
            Some(streets) => store.streets(&streets.layer)?,
            None => Vec::new(),
        };
        Ok(Geography { areas, infos, population, bydel_names, streets })
    }
}

/// Residents per delbydel: population polygons (SSB grid cells) by areal weighting
/// ([`crate::analysis::areal`]), population points by the delbydel they fall in.
fn population_by_area(
    store: &crate::store::Store,
    config: &Config,
    index: &crate::index::AreaIndex,
) -> Result<std::collections::BTreeMap<String, f64>, StoreError> {
    let mut by_area = store.population_by_area()?;
    for layer in config.population_layers() {
        let cells: Vec<_> = store.feature_polygons(layer)?.into_iter().filter_map(|c| Some((c.polygon, c.population? as f64))).collect();
        for (code, residents) in crate::analysis::areal::area_weighted(&cells, index) {
            *by_area.entry(code).or_insert(0.0) += residents;
        }
    }
    Ok(by_area)
}

/// Water (m²) inside each area, from the configured water layer; `None` when there is none, so
/// figures per km² say they use the whole area.
fn water_by_area(
    store: &crate::store::Store,
    config: &Config,
    index: &crate::index::AreaIndex,
) -> Result<Option<std::collections::BTreeMap<String, f64>>, StoreError> {
    use geo::Area;
    let Some(layer) = config.project.water_layer.as_deref().filter(|l| config.layer(l).is_ok()) else { return Ok(None) };
    // Weighting each water polygon by its own area gives the area it shares with each target.
    let water: Vec<_> = store
        .feature_polygons(layer)?
        .into_iter()
        .map(|w| {
            let m2 = w.polygon.unsigned_area();
            (w.polygon, m2)
        })
        .collect();
    Ok((!water.is_empty()).then(|| crate::analysis::areal::area_weighted(&water, index)))
}

/// The coarsest anonymisation grid of the incident layers (where incidents are snapped to).
pub(crate) fn snap_grid(config: &Config) -> Option<crate::spatial::Metres> {
    config.layers_of(LayerKind::Incidents).filter_map(|l| l.anonymise.and_then(|a| a.grid)).max_by(|a, b| a.0.total_cmp(&b.0))
}

/// Every configured incident source.
pub fn sources(config: &Config) -> Vec<String> {
    config.layers_of(LayerKind::Incidents).filter_map(|l| l.source.clone()).collect()
}

/// Whether indicators are per delbydel or summed per bydel.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Level {
    Delbydel,
    Bydel,
}

/// Indicators for `year` at a level (before the privacy checkpoint). On the release, the
/// change's p-value is left out: an exact Poisson test of noisy counts would overstate what is
/// known.
pub fn measure(geography: &Geography, incidents: Incidents, config: &Config, year: i32, level: Level) -> Result<Vec<Indicator>, MeasureError> {
    let year = year.clamp(1, 9999);
    let tallies = incidents.tallies(year - 1, year)?;
    let sources = sources(config);
    let mut rows = match level {
        Level::Delbydel => indicators::indicators(&geography.infos, &tallies, &sources, year),
        Level::Bydel => indicators::bydel_totals(&geography.infos, &geography.bydel_names, &tallies, &sources, year),
    };
    let released = matches!(incidents, Incidents::Released(_));
    let coverage = coverage(incidents, config)?;
    if !coverage.values().flatten().any(|(first, last)| (first..=last).contains(&&year)) {
        let spans: Vec<String> = coverage.iter().filter_map(|(source, span)| span.map(|(first, last)| format!("{source} {first}-{last}"))).collect();
        let held = if spans.is_empty() { "no incidents are imported".to_string() } else { format!("data cover {}", spans.join(", ")) };
        return Err(MeasureError::BadParameter(format!("no incident data in {year}: {held}")));
    }
    // A source without data in `year` has no row ("ingen data", not a row of zeros ranked 1), and
    // in its first year there is no year before to compare with.
    rows.retain(|r| coverage[&r.source].is_some_and(|(first, last)| (first..=last).contains(&year)));
    for row in &mut rows {
        if coverage[&row.source].is_some_and(|(first, _)| year - 1 < first) {
            (row.previous, row.change, row.change_pct, row.p_value) = (None, None, None, None);
        }
        if released {
            row.p_value = None;
        }
    }
    indicators::adjust_for_many_tests(&mut rows);
    Ok(rows)
}

/// The years each configured incident source has data for (`None`: never imported). Outputs
/// say "ingen data" for a source-year outside it instead of showing zero.
pub fn coverage(incidents: Incidents, config: &Config) -> Result<std::collections::BTreeMap<String, Option<(i32, i32)>>, MeasureError> {
    sources(config).into_iter().map(|source| Ok((source.clone(), incidents.years(Some(&source))?))).collect()
}

/// The sentence an output shows for a source without data in `year`; `None` when it has data.
pub fn no_data_note(source: &str, years: Option<(i32, i32)>, year: i32) -> Option<String> {
    match years {
        None => Some(format!("{source}: ingen data (ikke importert)")),
        Some((first, last)) if !(first..=last).contains(&year) => Some(format!("{source}: ingen data for {year} (data finnes for {first}-{last})")),
        Some(_) => None,
    }
}

/// The polygons analysed: every delbydel, or those of one delbydel or bydel code.
pub(crate) struct StudyArea {
    pub polygons: Vec<geo::MultiPolygon<f64>>,
    /// Envelope of the polygons: [min_x, min_y, max_x, max_y].
    pub bbox: [f64; 4],
    /// The polygons indexed, built on first use.
    index: std::sync::OnceLock<crate::index::AreaIndex>,
    /// The last mask, by its grid and the grid's CRS: the years of a space-time cube share one
    /// grid, so the cells are located once, not once a year.
    last_mask: std::sync::Mutex<Option<(crate::analysis::grid::Grid, crate::spatial::Crs, Vec<bool>)>>,
}

impl StudyArea {
    pub fn load(geography: &Geography, code: Option<&str>) -> Result<StudyArea, MeasureError> {
        use geo::BoundingRect;
        let polygons: Vec<_> =
            geography.areas.iter().filter(|a| code.is_none_or(|c| a.code == c || a.parent_code.as_deref() == Some(c))).map(|a| a.polygon.clone()).collect();
        if let Some(code) = code {
            geography.check_code(code)?;
        }
        if polygons.is_empty() {
            return Err(MeasureError::BadParameter("no areas imported; import delbydeler first".into()));
        }
        let bbox = crate::spatial::bounds_of(polygons.iter().filter_map(|p| p.bounding_rect()));
        Ok(StudyArea { polygons, bbox, index: std::sync::OnceLock::new(), last_mask: std::sync::Mutex::new(None) })
    }

    /// Which cell centres of `grid` (in EPSG:25832) fall inside the polygons.
    pub fn mask(&self, grid: &crate::analysis::grid::Grid) -> Vec<bool> {
        self.mask_in(grid, crate::spatial::ANALYSIS_CRS)
    }

    /// Which cell centres of `grid`, in `crs`, fall inside the polygons (R-tree, then exact test).
    pub fn mask_in(&self, grid: &crate::analysis::grid::Grid, crs: crate::spatial::Crs) -> Vec<bool> {
        let mut last = self.last_mask.lock().unwrap_or_else(|p| p.into_inner());
        if let Some((_, _, mask)) = last.as_ref().filter(|(g, c, _)| g == grid && *c == crs) {
            return mask.clone();
        }
        let index = self.index.get_or_init(|| {
            crate::index::AreaIndex::new(
                self.polygons
                    .iter()
                    .enumerate()
                    .map(|(i, polygon)| crate::index::Area {
                        code: i.to_string(),
                        name: None,
                        parent_code: None,
                        population: None,
                        area_m2: 0.0,
                        polygon: polygon.clone(),
                    })
                    .collect(),
            )
        });
        let to_analysis = crate::spatial::Transformer::new(crs, crate::spatial::ANALYSIS_CRS);
        let mask: Vec<bool> = (0..grid.len())
            .map(|i| {
                let (x, y) = grid.centre(i);
                let at = if crs == crate::spatial::ANALYSIS_CRS { Some((x, y)) } else { to_analysis.apply(x, y).ok() };
                at.is_some_and(|(x, y)| index.locate(x, y).is_some())
            })
            .collect();
        *last = Some((grid.clone(), crs, mask.clone()));
        mask
    }
}

/// The years asked for: `year` (default: the latest with data) to `to_year` (default: `year`).
pub(crate) fn year_span(data: Option<(i32, i32)>, year: Option<i32>, to_year: Option<i32>) -> Result<(i32, i32), MeasureError> {
    let latest = data.map_or(0, |(_, last)| last);
    let from = year.unwrap_or(latest);
    let to = to_year.unwrap_or(from);
    // In i64: a span from i32::MIN to i32::MAX must not wrap into a small one.
    if to < from || i64::from(to) - i64::from(from) > 30 {
        return Err(MeasureError::BadParameter(format!("years {from}-{to} are not a range of at most 30 years")));
    }
    Ok((from, to))
}

/// The years asked for (the latest with data when none), checked against the data: an unknown
/// source, or a span without any data for it, is an error that says what exists, never an empty
/// answer that reads as "no incidents".
pub(crate) fn data_span(
    incidents: Incidents,
    config: &Config,
    source: Option<&str>,
    year: Option<i32>,
    to_year: Option<i32>,
) -> Result<(i32, i32), MeasureError> {
    check_source(config, source)?;
    let data = incidents.years(source)?;
    let (from, to) = year_span(data, year, to_year)?;
    let of_source = source.map(|s| format!(" for source '{s}'")).unwrap_or_default();
    match data {
        None => Err(MeasureError::BadParameter(format!("no incident data{of_source} has been imported"))),
        Some((first, last)) if to < first || from > last => {
            let asked = if from == to { from.to_string() } else { format!("{from}-{to}") };
            Err(MeasureError::BadParameter(format!("no incident data{of_source} in {asked}: the data cover {first}-{last}")))
        }
        Some(_) => Ok((from, to)),
    }
}

/// An unknown incident source is an error listing the configured ones, with "did you mean".
pub fn check_source(config: &Config, source: Option<&str>) -> Result<(), MeasureError> {
    let known = sources(config);
    match source {
        Some(s) if !known.iter().any(|k| k == s) => Err(MeasureError::BadParameter(format!(
            "unknown source '{s}'{} (sources: {})",
            crate::config::suggest(s, known.iter().map(String::as_str)),
            known.join(", ")
        ))),
        _ => Ok(()),
    }
}

/// Checks a number against its allowed range, naming the parameter.
/// The centre of a cell's closed ring (the mean of its corners; the closing point repeats the first).
pub(crate) fn ring_centre(ring: &[[f64; 2]]) -> [f64; 2] {
    let corners = ring.len().saturating_sub(1).max(1) as f64;
    ring.iter().skip(1).fold([0.0, 0.0], |[a, b], p| [a + p[0] / corners, b + p[1] / corners])
}

pub(crate) fn bounded(name: &str, value: f64, (lo, hi): (f64, f64), unit: &str) -> Result<f64, MeasureError> {
    if value.is_finite() && (lo..=hi).contains(&value) {
        Ok(value)
    } else {
        Err(MeasureError::BadParameter(format!("{name} = {value} is outside {lo}-{hi} {unit}")))
    }
}

/// Neighbourhood bands the public may ask for on the release: multiples of its 250 m cells.
pub const PUBLIC_BANDS_M: &[f64] = &[250.0, 500.0, 750.0, 1000.0];
/// Heat-map cells and bandwidths the public may ask for.
pub const PUBLIC_HEAT_CELLS_M: &[f64] = &[25.0, 50.0, 100.0, 250.0];
pub const PUBLIC_BANDWIDTHS_M: &[f64] = &[100.0, 200.0, 300.0, 400.0, 500.0, 750.0, 1000.0];

/// On the release, a parameter is one of a few values: every public answer then comes from a
/// small set, each computed once per release and cached, so no choice of parameters is costly.
/// Analysts (raw incidents) choose freely within [`bounded`].
pub(crate) fn public_choice(incidents: Incidents, name: &str, value: f64, allowed: &[f64]) -> Result<(), MeasureError> {
    if matches!(incidents, Incidents::Raw(_)) || allowed.contains(&value) {
        return Ok(());
    }
    let listed: Vec<String> = allowed.iter().map(|v| v.to_string()).collect();
    Err(MeasureError::BadParameter(format!("{name} = {value}: the public release answers {name} = {} (m)", listed.join(", "))))
}

/// Writes indicators as CSV (counts as shown after the checkpoint, e.g. "<5").
pub fn indicators_csv(rows: &[Indicator]) -> String {
    let mut out = String::from(
        "code,name,bydel,source,year,count,population,rate_per_1000,per_km2,km2_basis,previous,change,change_pct,p_value,q_value,ratio_to_city,rank,ranked\n",
    );
    let opt = |v: Option<f64>| v.map_or(String::new(), |v| format!("{v:.4}"));
    for r in rows {
        let name = r.name.clone().unwrap_or_default().replace('"', "\"\"");
        out.push_str(&format!(
            "{},\"{}\",{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{}\n",
            r.code,
            name,
            r.bydel.clone().unwrap_or_default(),
            r.source,
            r.year,
            r.count,
            r.population.map_or(String::new(), |p| format!("{p:.0}")),
            opt(r.rate_per_1000),
            opt(r.per_km2),
            r.km2_basis.as_str(),
            r.previous.map_or(String::new(), |p| p.to_string()),
            r.change.map_or(String::new(), |c| c.to_string()),
            opt(r.change_pct),
            opt(r.p_value),
            opt(r.q_value),
            opt(r.ratio_to_city),
            r.rank.map_or(String::new(), |r| r.to_string()),
            r.ranked
        ));
    }
    out
}
