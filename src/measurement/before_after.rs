//! Before/after around housing sites (nullpunktsmåling and yearly follow-up): incidents within
//! a radius for N years before and after each site opened, against the rest of its delbydel.
//!
//! Near and control are both inside the site's delbydel (the near area does not reach across a
//! border the control stops at). Sites whose circles overlap share their incidents, so they are
//! not independent: overlapping sites that opened the same year form one unit (the union of
//! their circles), and a site overlapping one that opened in another year is left out, since its
//! "before" would hold the other's "after".

use serde::{Deserialize, Serialize};

use super::{MeasureError, bounded};
use crate::analysis::did::{DidEstimate, WindowCounts, did, pooled};
use crate::privacy::{Policy, Redact};
use crate::release::before_after::{Effect, conclusion, units};
use crate::store::Database;

#[derive(Clone, Debug, Deserialize)]
pub struct BeforeAfterParams {
    /// Radius around each site, metres (default 300).
    #[serde(default = "default_radius")]
    pub radius_m: f64,
    /// Years before and after (default 3). The opening year itself is left out.
    #[serde(default = "default_years")]
    pub years: i32,
    /// One incident source; all when absent.
    #[serde(default)]
    pub source: Option<String>,
}

fn default_radius() -> f64 {
    300.0
}
fn default_years() -> i32 {
    3
}

impl Default for BeforeAfterParams {
    fn default() -> Self {
        BeforeAfterParams { radius_m: default_radius(), years: default_years(), source: None }
    }
}

/// One unit's result (analyst role only): a site, or overlapping sites opened the same year.
#[derive(Clone, Debug, Serialize, schemars::JsonSchema)]
pub struct SiteResult {
    /// The site's id, or the ids of the overlapping sites joined with " + ".
    pub id: String,
    pub delbydel: String,
    pub opened: String,
    pub counts: WindowCounts,
    pub estimate: DidEstimate,
}

/// All sites with a full window of years, and the pooled estimate.
#[derive(Clone, Debug, Serialize, schemars::JsonSchema)]
pub struct BeforeAfter {
    pub radius_m: f64,
    pub years: i32,
    /// Units compared (sites with an opening date, a delbydel and N years of data on both sides;
    /// overlapping sites opened the same year count once).
    pub site_count: usize,
    /// Sites left out because their circle overlaps a site that opened in another year.
    pub left_out: usize,
    pub pooled: Option<DidEstimate>,
    /// A sentence in bokmål stating the pooled result whichever way it points.
    pub conclusion_nb: String,
    pub conclusion_en: String,
    /// Site-level results; empty outside the analyst role.
    pub sites: Vec<SiteResult>,
}

impl Redact for BeforeAfter {
    /// Individual sites never leave the municipality; the aggregate is shown only when it rests
    /// on at least k sites, so that no single site can be read out of it.
    fn redact(&mut self, policy: &Policy) {
        if !policy.role.is_internal() {
            self.sites.clear();
            if !policy.shows_value_from(self.site_count as u64) {
                self.pooled = None;
                self.conclusion_nb = format!("For få sammenlignbare boliger (under {}) til å si noe samlet.", policy.k);
                self.conclusion_en = format!("Too few comparable sites (under {}) to draw an overall conclusion.", policy.k);
            }
        }
    }
}

pub fn before_after(db: &impl Database, params: &BeforeAfterParams) -> Result<BeforeAfter, MeasureError> {
    let radius = bounded("radius_m", params.radius_m, (50.0, 2000.0), "m")?;
    let n = bounded("years", f64::from(params.years), (1.0, 10.0), "years")? as i32;
    let Some(coverage) = db.incident_years()? else {
        return Ok(summarise(radius, n, Vec::new(), 0));
    };
    let housing = db.housing_sites()?;
    let (units, left_out) = units(&housing, radius, n, coverage);
    let mut results = Vec::new();
    for unit in units {
        let centres: Vec<(f64, f64)> = unit.sites.iter().map(|s| (s.x, s.y)).collect();
        let rows = db.counts_near_sites_and_rest(&centres, radius, unit.delbydel, params.source.as_deref(), (unit.year - n, unit.year + n))?;
        let mut counts = WindowCounts::default();
        for (y, near, rest) in rows {
            if y < unit.year {
                counts.near_before += near;
                counts.rest_before += rest;
            } else if y > unit.year {
                counts.near_after += near;
                counts.rest_after += rest;
            }
        }
        let id = unit.sites.iter().map(|s| s.id.as_str()).collect::<Vec<_>>().join(" + ");
        let opened = unit.sites[0].opened.clone().unwrap_or_default();
        results.push(SiteResult { id, delbydel: unit.delbydel.to_string(), opened, counts, estimate: did(&counts) });
    }
    Ok(summarise(radius, n, results, left_out))
}

fn summarise(radius_m: f64, years: i32, sites: Vec<SiteResult>, left_out: usize) -> BeforeAfter {
    let pooled = pooled(&sites.iter().map(|s| s.estimate).collect::<Vec<_>>());
    let (conclusion_nb, conclusion_en) = conclusion(pooled.as_ref().map(Effect::of), (&sites.len().to_string(), &sites.len().to_string()), radius_m, years);
    BeforeAfter { radius_m, years, site_count: sites.len(), left_out, pooled, conclusion_nb, conclusion_en, sites }
}
