//! Yearly and monthly series per area and source, with the trend over the last N years.

use serde::{Deserialize, Serialize};

use super::{Incidents, MeasureError};
use crate::analysis::trend::{Trend, trend};
use crate::config::{Config, LayerKind};
use crate::privacy::{Count, Policy, Redact};
use crate::store::queries::IncidentFilter;

#[derive(Clone, Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SeriesParams {
    /// A delbydel or bydel code; the whole city when absent.
    pub code: Option<String>,
    /// One source, or all when absent.
    pub source: Option<String>,
    /// One category of the source.
    pub category: Option<String>,
    /// `year` (default) or `month`.
    #[serde(default)]
    pub monthly: bool,
    /// Years the trend is fitted over (default 5).
    pub trend_years: Option<usize>,
}

#[derive(Clone, Debug, Serialize, schemars::JsonSchema)]
pub struct SeriesPoint {
    pub year: i32,
    /// 1-12 for monthly series.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub month: Option<u32>,
    pub count: Count,
}

#[derive(Clone, Debug, Serialize, schemars::JsonSchema)]
pub struct Series {
    pub code: Option<String>,
    pub source: Option<String>,
    pub points: Vec<SeriesPoint>,
    /// Trend of the yearly counts over the last `trend_years` years.
    pub trend: Option<Trend>,
    /// What the counts cover, said where a reader would take them for everything: the whole
    /// city's series counts the incidents inside the delbydeler only.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub covers: Option<&'static str>,
}

/// What the whole city's counts leave out.
pub const CITY_COVERS: &str = "Incidents inside the delbydeler; those outside every delbydel (at sea, beyond the municipal border) are not counted";

impl Redact for Series {
    /// Small counts become "<k"; the trend is dropped if any year it rests on was suppressed.
    fn redact(&mut self, policy: &Policy) {
        for p in &mut self.points {
            p.count = policy.shown(p.count);
        }
        if self.points.iter().any(|p| p.count.is_suppressed()) {
            self.trend = None;
        }
    }
}

pub fn series(geography: &super::Geography, config: &Config, incidents: Incidents, params: &SeriesParams) -> Result<Series, MeasureError> {
    if let Some(code) = params.code.as_deref() {
        geography.check_code(code)?;
    }
    let category = params.category.as_deref().map(|asked| category_id(config, params.source.as_deref(), asked)).transpose()?;
    let filter = IncidentFilter { sources: params.source.iter().cloned().collect(), category, years: None };
    let yearly = incidents.series(params.code.as_deref(), &filter, false)?;
    let n = params.trend_years.unwrap_or(5).clamp(3, 30);
    let last: Vec<(i32, u64)> = yearly.iter().rev().take(n).rev().map(|(y, _, c)| (*y, c.shown())).collect();
    let rows = if params.monthly { incidents.series(params.code.as_deref(), &filter, true)? } else { yearly };
    Ok(Series {
        code: params.code.clone(),
        source: params.source.clone(),
        points: rows.into_iter().map(|(year, month, count)| SeriesPoint { year, month: params.monthly.then_some(month), count: Count::of(count) }).collect(),
        trend: trend(&last),
        covers: params.code.is_none().then_some(CITY_COVERS),
    })
}

/// The category a caller named, as the layer's id (a label from the layer file is accepted, as an
/// import accepts it); an unknown source or category is an error that lists what exists, never a
/// series of zeros.
fn category_id(config: &Config, source: Option<&str>, asked: &str) -> Result<String, MeasureError> {
    super::check_source(config, source)?;
    let layers: Vec<_> = config.layers_of(LayerKind::Incidents).filter(|l| source.is_none_or(|s| l.source.as_deref() == Some(s))).collect();
    if let Some(id) = layers.iter().find_map(|l| l.category_labels.category_of(asked)) {
        return Ok(id.to_string());
    }
    let known: Vec<&str> = layers.iter().flat_map(|l| l.category_labels.categories()).map(String::as_str).collect();
    Err(MeasureError::BadParameter(format!(
        "no category '{asked}'{}{} (categories: {})",
        source.map(|s| format!(" in source '{s}'")).unwrap_or_default(),
        crate::config::suggest(asked, layers.iter().flat_map(|l| l.category_labels.known())),
        known.join(", ")
    )))
}
