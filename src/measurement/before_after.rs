//! Before/after around housing sites (nullpunktsmåling and yearly follow-up): incidents within
//! a radius for N years before and after each site opened, against the rest of its delbydel.
//!
//! Near and control are both inside the site's delbydel (the near area does not reach across a
//! border the control stops at). Sites whose circles overlap share their incidents, so they are
//! not independent: overlapping sites that opened the same year form one unit (the union of
//! their circles), and a site overlapping one that opened in another year is left out, since its
//! "before" would hold the other's "after".

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
#[derive(Clone, Debug, Serialize)]
pub struct SiteResult {
    /// The site's id, or the ids of the overlapping sites joined with " + ".
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

pub fn before_after(conn: &Connection, params: &BeforeAfterParams) -> Result<BeforeAfter, MeasureError> {
    let radius = bounded("radius_m", params.radius_m, (50.0, 2000.0), "m")?;
    let n = bounded("years", f64::from(params.years), (1.0, 10.0), "years")? as i32;
    let Some(coverage) = queries::incident_years(conn)? else {
        return Ok(summarise(radius, n, Vec::new(), 0));
    };
    let housing = queries::housing_sites(conn)?;
    let (units, left_out) = units(&housing, radius, n, coverage);
    let mut results = Vec::new();
    for unit in units {
        let centres: Vec<(f64, f64)> = unit.sites.iter().map(|s| (s.x, s.y)).collect();
        let rows = queries::counts_near_sites_and_rest(conn, &centres, radius, unit.delbydel, params.source.as_deref(), (unit.year - n, unit.year + n))?;
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

/// Sites compared as one: the same delbydel and opening year, circles overlapping.
#[derive(Clone, Debug)]
pub struct Unit<'a> {
    pub sites: Vec<&'a queries::HousingSite>,
    pub year: i32,
    pub delbydel: &'a str,
}

/// Groups the sites with a full window of years into units (see the module docs), and counts
/// the sites left out.
///
/// ```
/// use bomiljo::measurement::units;
/// use bomiljo::store::HousingSite;
/// let site = |id: &str, x: f64, opened: &str| HousingSite {
///     id: id.into(), x, y: 0.0, units: 8, group: None, has_staff_base: true,
///     opened: Some(opened.into()), closed: None, delbydel: Some("0101".into()),
/// };
/// // a and b are 100 m apart and opened the same year: one unit. c is 500 m from b (circles of
/// // 300 m overlap) but opened later: left out. d is far away: its own unit.
/// let sites = [site("a", 0.0, "2022-03-01"), site("b", 100.0, "2022-09-01"), site("c", 600.0, "2023-01-01"), site("d", 5000.0, "2022-01-01")];
/// let (units, left_out) = units(&sites, 300.0, 1, (2018, 2025));
/// assert_eq!(units.iter().map(|u| u.sites.len()).collect::<Vec<_>>(), [2, 1]);
/// assert_eq!(left_out, 1);
/// ```
pub fn units(sites: &[queries::HousingSite], radius: f64, n: i32, coverage: (i32, i32)) -> (Vec<Unit<'_>>, usize) {
    let eligible: Vec<(&queries::HousingSite, i32, &str)> = sites.iter().filter_map(|s| opening_window(s, n, coverage).map(|(y, d)| (s, y, d))).collect();
    let overlap = |a: &queries::HousingSite, b: &queries::HousingSite| (a.x - b.x).hypot(a.y - b.y) < 2.0 * radius;
    let kept: Vec<usize> = (0..eligible.len())
        .filter(|&i| {
            let (site, year, delbydel) = eligible[i];
            !eligible.iter().any(|&(other, other_year, other_delbydel)| other_delbydel == delbydel && other_year < year && overlap(site, other))
        })
        .collect();
    let mut units: Vec<Unit> = Vec::new();
    for &i in &kept {
        let (site, year, delbydel) = eligible[i];
        match units.iter_mut().find(|u| u.year == year && u.delbydel == delbydel && u.sites.iter().any(|s| overlap(s, site))) {
            Some(unit) => unit.sites.push(site),
            None => units.push(Unit { sites: vec![site], year, delbydel }),
        }
    }
    (units, eligible.len() - kept.len())
}

/// A site's opening year and delbydel, when it has both and `n` years of data on each side of
/// the opening year within `(first, last)`.
pub fn opening_window(site: &queries::HousingSite, n: i32, (first, last): (i32, i32)) -> Option<(i32, &str)> {
    let year = site.opened.as_deref()?.get(..4)?.parse::<i32>().ok()?;
    let delbydel = site.delbydel.as_deref()?;
    (year - n >= first && year + n <= last).then_some((year, delbydel))
}

fn summarise(radius_m: f64, years: i32, sites: Vec<SiteResult>, left_out: usize) -> BeforeAfter {
    let pooled = pooled(&sites.iter().map(|s| s.estimate).collect::<Vec<_>>());
    let (conclusion_nb, conclusion_en) = conclusion(pooled.as_ref().map(Effect::of), (&sites.len().to_string(), &sites.len().to_string()), radius_m, years);
    BeforeAfter { radius_m, years, site_count: sites.len(), left_out, pooled, conclusion_nb, conclusion_en, sites }
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

/// A signed percentage without a sign on zero ("+12", "-3", "0"; never "-0").
fn signed_pct(v: f64) -> String {
    let shown = format!("{v:+.0}");
    if shown == "-0" || shown == "+0" {
        "0".into()
    } else {
        shown
    }
}

/// States the pooled result honestly, in whichever direction it points.
fn conclusion(effect: Option<Effect>, (sites, sites_en): (&str, &str), radius: f64, years: i32) -> (String, String) {
    let Some(e) = effect else {
        return ("Ingen boliger med nok data før og etter oppstart.".into(), "No sites with enough data before and after opening.".into());
    };
    let (pct, lo, hi) = (e.change_pct, e.ci95_low_pct, e.ci95_high_pct);
    let rose = pct > 0.0;
    let (pct, lo, hi) = (signed_pct(pct), signed_pct(lo), signed_pct(hi));
    let ci = format!("95 % KI {lo} til {hi} %");
    let ci_en = format!("95 % CI {lo} to {hi} %");
    if !e.significant {
        (
            format!("På tvers av {sites} boliger endret antall hendelser innen {radius:.0} m seg ikke signifikant annerledes enn i resten av delbydelen, {years} år før og etter oppstart ({pct} %, {ci})."),
            format!("Across {sites_en} sites, incidents within {radius:.0} m did not change significantly differently from the rest of the delbydel, {years} years before and after opening ({pct} %, {ci_en})."),
        )
    } else if rose {
        (
            format!("På tvers av {sites} boliger økte hendelser innen {radius:.0} m mer enn i resten av delbydelen etter oppstart ({pct} %, {ci})."),
            format!("Across {sites_en} sites, incidents within {radius:.0} m rose more than in the rest of the delbydel after opening ({pct} %, {ci_en})."),
        )
    } else {
        (
            format!("På tvers av {sites} boliger falt hendelser innen {radius:.0} m mer enn i resten av delbydelen etter oppstart ({pct} %, {ci})."),
            format!("Across {sites_en} sites, incidents within {radius:.0} m fell more than in the rest of the delbydel after opening ({pct} %, {ci_en})."),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::signed_pct;

    #[test]
    fn zero_per_cent_has_no_sign() {
        let shown: Vec<String> = [-0.0, -0.4, 0.3, -3.0, 12.0].into_iter().map(signed_pct).collect();
        assert_eq!(shown, ["0", "0", "0", "-3", "+12"]);
    }
}
