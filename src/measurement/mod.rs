//! The annual bomiljø measurement: reads what the analysis needs from the store, runs the pure
//! algorithms in [`crate::analysis`], and returns plain results that every output (CLI, API,
//! tiles, reports) renders after the privacy checkpoint.

mod before_after;
mod heat;
mod hotspots;
mod series;

use duckdb::Connection;

pub use before_after::{before_after, BeforeAfter, BeforeAfterParams, SiteResult};
pub use heat::{heat, HeatParams, HeatSurface};
pub use hotspots::{hotspots, HotspotCell, HotspotParams};
pub use series::{series, Series, SeriesParams};

use crate::analysis::indicators::{self, AreaInfo, Indicator, Tallies};
use crate::config::{Config, LayerKind};
use crate::store::{queries, StoreError};

#[derive(Debug, thiserror::Error)]
pub enum MeasureError {
    #[error("{0}")]
    BadParameter(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// The areas of the assignment layer with their population and size.
pub fn area_infos(conn: &Connection, config: &Config) -> Result<Vec<AreaInfo>, StoreError> {
    let population = queries::population_by_area(conn)?;
    Ok(queries::areas(conn, &config.project.assign_layer)?
        .into_iter()
        .map(|a| AreaInfo {
            population: a.population.map(|p| p as f64).or_else(|| population.get(&a.code).copied()),
            code: a.code,
            name: a.name,
            bydel: a.parent_code,
            area_km2: a.area_m2 / 1e6,
        })
        .collect())
}

/// Every configured incident source.
pub fn sources(config: &Config) -> Vec<String> {
    config.layers_of(LayerKind::Incidents).filter_map(|l| l.source.clone()).collect()
}

/// Whether indicators are per delbydel or summed per bydel.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Level {
    Delbydel,
    Bydel,
}

/// Indicators for `year` at a level, raw (before the privacy checkpoint).
pub fn measure(conn: &Connection, config: &Config, year: i32, level: Level) -> Result<Vec<Indicator>, MeasureError> {
    let areas = area_infos(conn, config)?;
    let mut tallies = Tallies::new();
    for (code, source, y, category, n) in queries::incident_tallies(conn, year - 1, year)? {
        let t = tallies.entry((code, source, y)).or_default();
        t.total += n;
        *t.categories.entry(category).or_default() += n;
    }
    let sources = sources(config);
    Ok(match level {
        Level::Delbydel => indicators::indicators(&areas, &tallies, &sources, year),
        Level::Bydel => indicators::bydel_totals(&areas, &tallies, &sources, year),
    })
}

/// The polygons analysed: every delbydel, or those of one delbydel or bydel code.
pub(crate) struct StudyArea {
    pub polygons: Vec<geo::MultiPolygon<f64>>,
    /// Envelope of the polygons: [min_x, min_y, max_x, max_y].
    pub bbox: [f64; 4],
}

impl StudyArea {
    pub fn load(conn: &Connection, config: &Config, code: Option<&str>) -> Result<StudyArea, MeasureError> {
        use geo::BoundingRect;
        let polygons: Vec<_> = queries::areas(conn, &config.project.assign_layer)?
            .into_iter()
            .filter(|a| code.is_none_or(|c| a.code == c || a.parent_code.as_deref() == Some(c)))
            .map(|a| a.polygon)
            .collect();
        if polygons.is_empty() {
            return Err(MeasureError::BadParameter(match code {
                Some(code) => format!("no delbydel or bydel with code '{code}'"),
                None => "no areas imported; import delbydeler first".into(),
            }));
        }
        let bbox = polygons
            .iter()
            .filter_map(|p| p.bounding_rect())
            .fold([f64::MAX, f64::MAX, f64::MIN, f64::MIN], |[a, b, c, d], r| [a.min(r.min().x), b.min(r.min().y), c.max(r.max().x), d.max(r.max().y)]);
        Ok(StudyArea { polygons, bbox })
    }

    /// Which cell centres of `grid` fall inside the polygons (R-tree, then exact test).
    pub fn mask(&self, grid: &crate::analysis::grid::Grid) -> Vec<bool> {
        let index = crate::index::AreaIndex::new(
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
        );
        (0..grid.len())
            .map(|i| {
                let (x, y) = grid.centre(i);
                index.locate(x, y).is_some()
            })
            .collect()
    }
}

/// The years asked for: `year` (default: the latest in the store) to `to_year` (default: `year`).
pub(crate) fn year_span(conn: &Connection, year: Option<i32>, to_year: Option<i32>) -> Result<(i32, i32), MeasureError> {
    let latest = queries::incident_years(conn)?.map_or(0, |(_, last)| last);
    let from = year.unwrap_or(latest);
    let to = to_year.unwrap_or(from);
    if to < from || to - from > 30 {
        return Err(MeasureError::BadParameter(format!("years {from}-{to} are not a range of at most 30 years")));
    }
    Ok((from, to))
}

/// Checks a number against its allowed range, naming the parameter.
pub(crate) fn bounded(name: &str, value: f64, (lo, hi): (f64, f64), unit: &str) -> Result<f64, MeasureError> {
    if value.is_finite() && (lo..=hi).contains(&value) {
        Ok(value)
    } else {
        Err(MeasureError::BadParameter(format!("{name} = {value} is outside {lo}-{hi} {unit}")))
    }
}

/// Writes indicators as CSV (counts as shown after the checkpoint, e.g. "<5").
pub fn indicators_csv(rows: &[Indicator]) -> String {
    let mut out =
        String::from("code,name,bydel,source,year,count,population,rate_per_1000,per_km2,previous,change,change_pct,p_value,ratio_to_city,rank,ranked\n");
    let opt = |v: Option<f64>| v.map_or(String::new(), |v| format!("{v:.4}"));
    for r in rows {
        let name = r.name.clone().unwrap_or_default().replace('"', "\"\"");
        out.push_str(&format!(
            "{},\"{}\",{},{},{},{},{},{},{},{},{},{},{},{},{},{}\n",
            r.code,
            name,
            r.bydel.clone().unwrap_or_default(),
            r.source,
            r.year,
            r.count,
            r.population.map_or(String::new(), |p| format!("{p:.0}")),
            opt(r.rate_per_1000),
            opt(r.per_km2),
            r.previous.map_or(String::new(), |p| p.to_string()),
            r.change.map_or(String::new(), |c| c.to_string()),
            opt(r.change_pct),
            opt(r.p_value),
            opt(r.ratio_to_city),
            r.rank.map_or(String::new(), |r| r.to_string()),
            r.ranked
        ));
    }
    out
}
