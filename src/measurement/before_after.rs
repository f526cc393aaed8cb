//! Before/after around housing sites (nullpunktsmåling and yearly follow-up): incidents within
//! a radius for N years before and after each site opened, against the rest of its delbydel.

use duckdb::Connection;
use serde::{Deserialize, Serialize};

use super::{bounded, MeasureError};
use crate::analysis::did::{did, pooled, DidEstimate, WindowCounts};
use crate::privacy::{Policy, Redact};
use crate::store::queries;

#[derive(Clone, Debug, Deserialize)]
pub struct BeforeAfterParams {
    /// Radius around each site, metres (default 300).
    #[serde(default = "default_radius")]
    pub radius_m: f64,
    /// Years before and after (default 3). The opening year itself is left out.
    #[serde(default = "default_years")]
    pub years: i32,
}

fn default_radius() -> f64 {
    300.0
}
fn default_years() -> i32 {
    3
}

impl Default for BeforeAfterParams {
    fn default() -> Self {
        BeforeAfterParams { radius_m: default_radius(), years: default_years() }
    }
}

/// One site's result (analyst role only).
#[derive(Clone, Debug, Serialize)]
pub struct SiteResult {
    pub id: String,
    pub delbydel: String,
    pub opened: String,
    pub counts: WindowCounts,
    pub estimate: DidEstimate,
}

/// All sites with a full window of years, and the pooled estimate.
#[derive(Clone, Debug, Serialize)]
pub struct BeforeAfter {
    pub radius_m: f64,
    pub years: i32,
    /// Sites included (with an opening date, a delbydel and N years of data on both sides).
    pub site_count: usize,
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

pub fn before_after(conn: &Connection, params: &BeforeAfterParams) -> Result<BeforeAfter, MeasureError> {
    let radius = bounded("radius_m", params.radius_m, (50.0, 2000.0), "m")?;
    let n = bounded("years", f64::from(params.years), (1.0, 10.0), "years")? as i32;
    let Some((first, last)) = queries::incident_years(conn)? else {
        return Ok(summarise(radius, n, Vec::new()));
    };
    let mut sites = Vec::new();
    for site in queries::housing_sites(conn)? {
        let Some((year, delbydel)) = opening_window(&site, n, (first, last)) else {
            continue;
        };
        let (delbydel, opened) = (delbydel.to_string(), site.opened.clone().unwrap_or_default());
        let rows = queries::counts_near_and_rest(conn, (site.x, site.y), radius, &delbydel, (year - n, year + n))?;
        let mut counts = WindowCounts::default();
        for (y, near, rest) in rows {
            if y < year {
                counts.near_before += near;
                counts.rest_before += rest;
            } else if y > year {
                counts.near_after += near;
                counts.rest_after += rest;
            }
        }
        sites.push(SiteResult { id: site.id, delbydel, opened, counts, estimate: did(&counts) });
    }
    Ok(summarise(radius, n, sites))
}

/// A site's opening year and delbydel, when it has both and `n` years of data on each side of
/// the opening year within `(first, last)`.
pub fn opening_window(site: &queries::HousingSite, n: i32, (first, last): (i32, i32)) -> Option<(i32, &str)> {
    let year = site.opened.as_deref()?.get(..4)?.parse::<i32>().ok()?;
    let delbydel = site.delbydel.as_deref()?;
    (year - n >= first && year + n <= last).then_some((year, delbydel))
}

fn summarise(radius_m: f64, years: i32, sites: Vec<SiteResult>) -> BeforeAfter {
    let pooled = pooled(&sites.iter().map(|s| s.estimate).collect::<Vec<_>>());
    let (conclusion_nb, conclusion_en) = conclusion(pooled.as_ref().map(Effect::of), (&sites.len().to_string(), &sites.len().to_string()), radius_m, years);
    BeforeAfter { radius_m, years, site_count: sites.len(), pooled, conclusion_nb, conclusion_en, sites }
}

/// A pooled effect as a sentence states it: the change in per cent and its 95 % interval.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Effect {
    pub change_pct: f64,
    pub ci95_low_pct: f64,
    pub ci95_high_pct: f64,
    /// Whether the interval excludes "no difference".
    pub significant: bool,
}

/// Public effects are rounded to this many percentage points.
const PUBLIC_STEP_PCT: f64 = 5.0;

impl Effect {
    pub fn of(e: &DidEstimate) -> Effect {
        Effect {
            change_pct: (e.rate_ratio - 1.0) * 100.0,
            ci95_low_pct: (e.ci95_low - 1.0) * 100.0,
            ci95_high_pct: (e.ci95_high - 1.0) * 100.0,
            significant: e.significant(),
        }
    }

    /// Rounded to 5 percentage points, the interval outward, significance read off the rounded
    /// interval: a public figure that does not give away the exact sums over sites behind it.
    ///
    /// ```
    /// use bomiljo::measurement::Effect;
    /// let e = Effect { change_pct: 12.3, ci95_low_pct: 0.4, ci95_high_pct: 26.1, significant: true }.rounded();
    /// assert_eq!((e.change_pct, e.ci95_low_pct, e.ci95_high_pct, e.significant), (10.0, 0.0, 30.0, false));
    /// ```
    pub fn rounded(self) -> Effect {
        let step = PUBLIC_STEP_PCT;
        let (lo, hi) = ((self.ci95_low_pct / step).floor() * step, (self.ci95_high_pct / step).ceil() * step);
        Effect { change_pct: (self.change_pct / step).round() * step, ci95_low_pct: lo, ci95_high_pct: hi, significant: lo > 0.0 || hi < 0.0 }
    }
}

/// The public sentence: rounded, without the number of sites, and one message for "too few
/// sites" and "no data" alike.
pub fn public_conclusion(effect: Option<Effect>, radius: f64, years: i32) -> (String, String) {
    match effect {
        Some(_) => conclusion(effect, ("alle", "all"), radius, years),
        None => (
            "Det er ikke nok sammenlignbare boliger med data før og etter oppstart til å si noe samlet.".into(),
            "There are not enough comparable sites with data before and after opening to draw an overall conclusion.".into(),
        ),
    }
}

/// States the pooled result honestly, in whichever direction it points.
fn conclusion(effect: Option<Effect>, (sites, sites_en): (&str, &str), radius: f64, years: i32) -> (String, String) {
    let Some(e) = effect else {
        return ("Ingen boliger med nok data før og etter oppstart.".into(), "No sites with enough data before and after opening.".into());
    };
    let (pct, lo, hi) = (e.change_pct, e.ci95_low_pct, e.ci95_high_pct);
    let ci = format!("95 % KI {lo:+.0} til {hi:+.0} %");
    let ci_en = format!("95 % CI {lo:+.0} to {hi:+.0} %");
    if !e.significant {
        (
            format!("På tvers av {sites} boliger endret antall hendelser innen {radius:.0} m seg ikke signifikant annerledes enn i resten av delbydelen, {years} år før og etter oppstart ({pct:+.0} %, {ci})."),
            format!("Across {sites_en} sites, incidents within {radius:.0} m did not change significantly differently from the rest of the delbydel, {years} years before and after opening ({pct:+.0} %, {ci_en})."),
        )
    } else if pct > 0.0 {
        (
            format!("På tvers av {sites} boliger økte hendelser innen {radius:.0} m mer enn i resten av delbydelen etter oppstart ({pct:+.0} %, {ci})."),
            format!("Across {sites_en} sites, incidents within {radius:.0} m rose more than in the rest of the delbydel after opening ({pct:+.0} %, {ci_en})."),
        )
    } else {
        (
            format!("På tvers av {sites} boliger falt hendelser innen {radius:.0} m mer enn i resten av delbydelen etter oppstart ({pct:+.0} %, {ci})."),
            format!("Across {sites_en} sites, incidents within {radius:.0} m fell more than in the rest of the delbydel after opening ({pct:+.0} %, {ci_en})."),
        )
    }
}
