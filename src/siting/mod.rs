//! Siting service: builds the [`SitingContext`] (indexes of every layer the rules measure)
//! from the store once, measures a site's metrics once for all groups, and scores, compares and
//! maps suitability with [`crate::analysis::siting`].

mod context;
pub mod need;
pub mod rules;
mod surface;
pub mod travel;

pub use context::{SiteMetrics, SitingContext, SitingError, Travel};
pub use surface::{Surface, SurfaceParams, grid_cells, surface, surface_within};

use serde::{Deserialize, Serialize};

use crate::analysis::siting::what_if::{self, Change, WhatIf};
use crate::analysis::siting::{Basis, BasisTexts, Explanation, GroupRules, Measured, Metric, Route, quick_score, score};
use crate::privacy::Policy;

/// A candidate site, in EPSG:25832.
#[derive(Clone, Debug, Deserialize, Serialize)]
pub struct Candidate {
    /// A planner's label (address, case number).
    #[serde(default)]
    pub label: Option<String>,
    pub x: f64,
    pub y: f64,
    /// Proposed units; the group's default when absent.
    #[serde(default)]
    pub units: Option<u32>,
    /// Whether the staff base is on site; the group's norm when absent.
    #[serde(default)]
    pub staff_base_on_site: Option<bool>,
}

/// A site's value of each metric for one group: the site's own units and staff base come from
/// the request or the group's norm; everything else was measured.
fn values_for<'a>(group: &GroupRules, site: &Candidate, metrics: &'a SiteMetrics<'a>) -> impl Fn(&Metric) -> Option<f64> + use<'a> {
    let units = f64::from(site.units.unwrap_or(group.default_units));
    let own_base = site.staff_base_on_site.unwrap_or(group.staff_base_on_site);
    move |m: &Metric| match m {
        Metric::Units => Some(units),
        Metric::StaffBaseMinutes if own_base => Some(0.0),
        other => metrics.get(other),
    }
}

/// How each metric of a site was measured, for one group: a staff base on site needs no route.
fn routes_for<'a>(group: &GroupRules, site: &Candidate, metrics: &'a SiteMetrics<'a>) -> impl Fn(&Metric) -> Option<Route> + use<'a> {
    let own_base = site.staff_base_on_site.unwrap_or(group.staff_base_on_site);
    move |m: &Metric| match m {
        Metric::StaffBaseMinutes if own_base => Some(Route { basis: Basis::OnSite, straight_m: None, walk_m: None }),
        other => metrics.route(other),
    }
}

/// Whether the caller may see (and be scored on) a metric: the privacy checkpoint's rule for
/// metrics built on internal housing data.
fn visible(policy: &Policy) -> impl Fn(&Metric) -> bool + use<> {
    let internal = policy.role.is_internal();
    move |m: &Metric| internal || !m.uses_internal_data()
}

/// Scores one measured site for one group, as the caller may see it.
pub fn score_group(group: &GroupRules, site: &Candidate, metrics: &SiteMetrics, policy: &Policy, texts: &BasisTexts) -> Explanation {
    score(group, Measured { value: values_for(group, site, metrics), route: routes_for(group, site, metrics), texts }, visible(policy))
}

/// The outcome only (passed, score), for ranking and surfaces.
pub fn quick_score_group(group: &GroupRules, site: &Candidate, metrics: &SiteMetrics, policy: &Policy) -> (bool, f64) {
    quick_score(group, values_for(group, site, metrics), visible(policy))
}

/// One site for one group, measured and scored.
pub fn score_site(ctx: &SitingContext, group: u8, site: &Candidate, policy: &Policy) -> Result<Explanation, SitingError> {
    Ok(score_with(ctx, ctx.group(group)?, site, policy))
}

/// One site scored by a group's rules as given (the matrix's, or a what-if's).
pub fn score_with(ctx: &SitingContext, rules: &GroupRules, site: &Candidate, policy: &Policy) -> Explanation {
    score_group(rules, site, &ctx.measure(site.x, site.y, policy), policy, &ctx.rules().basis)
}

/// A group's rules with an analyst's what-if applied (within the rule file's ranges), and the
/// sentence an explanation starts with to say what is not the matrix's.
pub fn what_if_rules(ctx: &SitingContext, group: u8, what_if: &WhatIf) -> Result<(GroupRules, Vec<Change>), SitingError> {
    what_if::apply(ctx.group(group)?, what_if, &ctx.rules().what_if).map_err(SitingError::BadParameter)
}

/// "Hva om": every weight and threshold moved from the matrix, in words (bokmål, English).
pub fn what_if_words(changes: &[Change]) -> (String, String) {
    let listed: Vec<String> = changes.iter().map(|c| format!("{} {}: {} → {}", c.factor, c.what, c.matrix, c.now)).collect();
    (format!("Hva om (ikke matrisen): {}. ", listed.join("; ")), format!("What if (not the matrix): {}. ", listed.join("; ")))
}

/// Starts an explanation's summaries with what a what-if moved (nothing when it moved nothing).
pub fn mark_what_if(explanation: &mut Explanation, changes: &[Change]) {
    if !changes.is_empty() {
        let (nb, en) = what_if_words(changes);
        explanation.summary.insert_str(0, &nb);
        explanation.summary_en.insert_str(0, &en);
    }
}

/// A planned site of a scenario, scored with the others built.
pub struct ScenarioScore {
    pub explanation: Explanation,
    /// What the other planned sites add to each rule's measurement (rule id, amount).
    pub planned: Vec<(String, f64)>,
    /// The site's score alone, from the same measurement.
    pub alone: f64,
}

/// What a scenario's other planned sites add to a site's measurements, as if they were built: units
/// within a concentration radius, and sites of the scenario's group within a group-sites radius.
/// Existing housing the store does not know stays unknown (nothing is added to nothing).
fn planned_nearby(rules: &GroupRules, site: &Candidate, others: &[&Candidate]) -> impl Fn(&Metric) -> f64 + use<> {
    let near: Vec<(f64, f64)> = others.iter().map(|o| ((o.x - site.x).hypot(o.y - site.y), f64::from(o.units.unwrap_or(rules.default_units)))).collect();
    let group = rules.group;
    move |m: &Metric| match m {
        Metric::HousingUnitsWithin { radius_m } => near.iter().filter(|(d, _)| d <= radius_m).map(|(_, units)| units).sum(),
        Metric::GroupSitesWithin { radius_m, groups } if groups.contains(&group) => near.iter().filter(|(d, _)| d <= radius_m).count() as f64,
        _ => 0.0,
    }
}

/// Every site of a scenario (planned sites of one group) scored with the others counted as if
/// built: the matrix's concentration rules are about the sites near each other. Returns each
/// site's explanation, what the others added to each rule (id, amount) and its score alone, in
/// the sites' order.
pub fn score_scenario(ctx: &SitingContext, rules: &GroupRules, sites: &[Candidate], policy: &Policy) -> Vec<ScenarioScore> {
    sites
        .iter()
        .enumerate()
        .map(|(i, site)| {
            let others: Vec<&Candidate> = sites.iter().enumerate().filter(|(j, _)| *j != i).map(|(_, s)| s).collect();
            let metrics = ctx.measure(site.x, site.y, policy);
            let (own, added) = (values_for(rules, site, &metrics), planned_nearby(rules, site, &others));
            let value = |m: &Metric| own(m).map(|v| v + added(m));
            let texts = &ctx.rules().basis;
            let explanation = score(rules, Measured { value, route: routes_for(rules, site, &metrics), texts }, visible(policy));
            let rules_metrics = rules.constraints.iter().map(|c| (&c.id, &c.metric)).chain(rules.factors.iter().map(|f| (&f.id, &f.metric)));
            let counted = rules_metrics.map(|(id, m)| (id.clone(), added(m))).filter(|(_, a)| *a > 0.0).collect();
            // The site alone, from the same measurement.
            let alone = quick_score_group(rules, site, &metrics, policy).1;
            ScenarioScore { explanation, planned: counted, alone }
        })
        .collect()
}

/// The same site for every group ("what is this address suitable for?").
pub fn score_all_groups(ctx: &SitingContext, site: &Candidate, policy: &Policy) -> Vec<Explanation> {
    let metrics = ctx.measure(site.x, site.y, policy);
    ctx.rules().groups.iter().map(|g| score_group(g, site, &metrics, policy, &ctx.rules().basis)).collect()
}

/// Several candidates for one group, best first, each explained.
pub fn compare(ctx: &SitingContext, group: u8, sites: &[Candidate], policy: &Policy) -> Result<Vec<(Candidate, Explanation)>, SitingError> {
    Ok(compare_with(ctx, ctx.group(group)?, sites, policy))
}

/// Several candidates ranked and explained by a group's rules as given (the matrix's or a
/// what-if's).
pub fn compare_with(ctx: &SitingContext, rules: &GroupRules, sites: &[Candidate], policy: &Policy) -> Vec<(Candidate, Explanation)> {
    rank_with(ctx, rules, sites, policy).iter().map(|r| (sites[r.index].clone(), score_with(ctx, rules, &sites[r.index], policy))).collect()
}

/// A candidate's place in a ranking.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Ranked {
    /// Position in the candidates given.
    pub index: usize,
    pub score: f64,
    pub passed: bool,
}

/// Candidates for one group, best first (ties in the order given), measured and scored on
/// every core. Only the outcome is kept (24 bytes a site), so a batch of any size ranks in
/// little memory; [`score_site`] explains a site when its turn to be written comes.
pub fn rank(ctx: &SitingContext, group: u8, sites: &[Candidate], policy: &Policy) -> Result<Vec<Ranked>, SitingError> {
    Ok(rank_with(ctx, ctx.group(group)?, sites, policy))
}

/// [`rank`] by a group's rules as given.
pub fn rank_with(ctx: &SitingContext, rules: &GroupRules, sites: &[Candidate], policy: &Policy) -> Vec<Ranked> {
    let outcomes = crate::parallel::map(sites, crate::parallel::cores(), |site| quick_score_group(rules, site, &ctx.measure(site.x, site.y, policy), policy));
    let mut ranked: Vec<Ranked> = outcomes.into_iter().enumerate().map(|(index, (passed, score))| Ranked { index, score, passed }).collect();
    ranked.sort_by(|a, b| b.score.total_cmp(&a.score).then(a.index.cmp(&b.index)));
    ranked
}
