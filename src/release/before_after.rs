//! The before/after result the public release carries, and the grouping the analyst's
//! before/after ([`crate::measurement::before_after`]) shares: which housing sites are compared as
//! one unit (overlapping circles opened the same year), the pooled effect as the public sees it
//! (rounded to 5 percentage points) and the sentence that states it whichever way it points.

use serde::{Deserialize, Serialize};

use crate::analysis::did::DidEstimate;
use crate::store::queries;

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
/// use bomiljo::release::before_after::units;
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

/// A pooled effect as a sentence states it: the change in per cent and its 95 % interval.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
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
    /// use bomiljo::release::before_after::Effect;
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
    if shown == "-0" || shown == "+0" { "0".into() } else { shown }
}

/// States the pooled result honestly, in whichever direction it points.
pub(crate) fn conclusion(effect: Option<Effect>, (sites, sites_en): (&str, &str), radius: f64, years: i32) -> (String, String) {
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
            format!(
                "På tvers av {sites} boliger endret antall hendelser innen {radius:.0} m seg ikke signifikant annerledes enn i resten av delbydelen, {years} år før og etter oppstart ({pct} %, {ci})."
            ),
            format!(
                "Across {sites_en} sites, incidents within {radius:.0} m did not change significantly differently from the rest of the delbydel, {years} years before and after opening ({pct} %, {ci_en})."
            ),
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
