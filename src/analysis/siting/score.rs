//! The explained score of one site for one group.
//!
//! # Algorithm
//! Every constraint is checked; a site failing any scores 0 and says so first. Otherwise the
//! score is 100 × Σ wᵢ·sᵢ / Σ wᵢ over the factors that could be measured and may be shown to
//! the caller; factors left out are listed with the reason.

use serde::Serialize;

use super::criterion::{BasisTexts, GroupRules, Metric, Route, render};

/// One constraint's outcome.
#[derive(Clone, Debug, PartialEq, Serialize, schemars::JsonSchema)]
pub struct ConstraintResult {
    pub id: String,
    pub passed: bool,
    /// The measured value (metres, persons, counts, minutes); `None` when hidden or unknown.
    pub value: Option<f64>,
    pub threshold: f64,
    /// How a distance or drive time was measured (on foot, by car, in a straight line).
    pub route: Option<Route>,
    pub text: String,
    pub text_en: String,
    pub source: String,
}

/// One factor's outcome.
#[derive(Clone, Debug, PartialEq, Serialize, schemars::JsonSchema)]
pub struct FactorResult {
    pub id: String,
    pub value: Option<f64>,
    /// The value that earns full score.
    pub threshold: f64,
    /// The value that earns nothing.
    pub zero_at: f64,
    /// 0-1; `None` when not measured or hidden (then not counted).
    pub subscore: Option<f64>,
    pub weight: f64,
    /// How a distance or drive time was measured (on foot, by car, in a straight line).
    pub route: Option<Route>,
    pub text: String,
    pub text_en: String,
    pub source: String,
}

/// The answer for one site and group.
#[derive(Clone, Debug, PartialEq, Serialize, schemars::JsonSchema)]
pub struct Explanation {
    pub group: u8,
    /// 0-100.
    pub score: f64,
    /// All constraints met.
    pub passed: bool,
    pub summary: String,
    pub summary_en: String,
    pub constraints: Vec<ConstraintResult>,
    pub factors: Vec<FactorResult>,
    /// How much of the evidence the score rests on.
    pub coverage: Coverage,
}

/// The factors a score could and could not count.
#[derive(Clone, Debug, PartialEq, Serialize, schemars::JsonSchema)]
pub struct Coverage {
    pub measured: usize,
    pub total: usize,
    /// Share of the factors' total weight that was measured (0-1).
    pub weight_share: f64,
    /// Factors without data, each with the layer that would measure it.
    pub missing: Vec<MissingFactor>,
    /// Factors hidden from the caller (internal data), not counted.
    pub hidden: Vec<String>,
}

#[derive(Clone, Debug, PartialEq, Serialize, schemars::JsonSchema)]
pub struct MissingFactor {
    pub id: String,
    pub layer: String,
}

/// Below this share of the factors' weight a score is given but the site is not called well,
/// moderately or poorly suited: the judgement would rest on too little of the evidence.
pub const MIN_WEIGHT_SHARE_FOR_JUDGEMENT: f64 = 0.75;

/// What a score says of a site: well (75 and up), moderately (50 and up) or poorly suited, or not
/// judged when less than [`MIN_WEIGHT_SHARE_FOR_JUDGEMENT`] of the weight could be measured.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    WellSuited,
    ModeratelySuited,
    PoorlySuited,
    NotJudged,
}

impl Verdict {
    /// The scores where the verdict changes.
    pub const BOUNDARIES: [f64; 2] = [50.0, 75.0];

    pub fn of(score: f64, weight_share: f64) -> Verdict {
        match score {
            _ if weight_share < MIN_WEIGHT_SHARE_FOR_JUDGEMENT => Verdict::NotJudged,
            s if s >= Self::BOUNDARIES[1] => Verdict::WellSuited,
            s if s >= Self::BOUNDARIES[0] => Verdict::ModeratelySuited,
            _ => Verdict::PoorlySuited,
        }
    }

    /// The verdict in words (bokmål, English).
    pub fn words(self) -> (&'static str, &'static str) {
        match self {
            Verdict::WellSuited => ("godt egnet", "well suited"),
            Verdict::ModeratelySuited => ("middels egnet", "moderately suited"),
            Verdict::PoorlySuited => ("lite egnet", "poorly suited"),
            Verdict::NotJudged => ("ikke vurdert", "not judged"),
        }
    }
}

/// Just the outcome (all constraints met, and the 0-100 score) without the sentences: the same
/// arithmetic as [`score`], for ranking many sites and for suitability surfaces.
pub fn quick_score(rules: &GroupRules, value: impl Fn(&Metric) -> Option<f64>, visible: impl Fn(&Metric) -> bool) -> (bool, f64) {
    let passed = rules.constraints.iter().all(|c| !visible(&c.metric) || c.bound.passes(value(&c.metric)));
    if !passed {
        return (false, 0.0);
    }
    let (sum, weights) = rules
        .factors
        .iter()
        .filter(|f| visible(&f.metric))
        .filter_map(|f| value(&f.metric).map(|v| (f.curve.score(v) * f.weight, f.weight)))
        .fold((0.0, 0.0), |a, b| (a.0 + b.0, a.1 + b.1));
    (true, if weights > 0.0 { (100.0 * sum / weights * 10.0).round() / 10.0 } else { 0.0 })
}

/// How a site was measured: each metric's value (`None` when unknown) and, for distances and
/// drive times, the route behind it; and the words for routes.
pub struct Measured<'a, V: Fn(&Metric) -> Option<f64>, R: Fn(&Metric) -> Option<Route>> {
    pub value: V,
    pub route: R,
    pub texts: &'a BasisTexts,
}

/// Scores a site. `visible` says whether the caller may see (and be scored on) a metric.
pub fn score<V: Fn(&Metric) -> Option<f64>, R: Fn(&Metric) -> Option<Route>>(
    rules: &GroupRules,
    measured: Measured<V, R>,
    visible: impl Fn(&Metric) -> bool,
) -> Explanation {
    let Measured { value, route, texts } = measured;
    let words = |metric: &Metric| route(metric).map(|r| (texts.words(&r, false), texts.words(&r, true), Some(r))).unwrap_or_default();
    const HIDDEN_NB: &str = "Skjult: bygger på interne data om eksisterende boliger, og telles ikke med.";
    const HIDDEN_EN: &str = "Hidden: based on internal data on existing housing, and not counted.";
    let constraints: Vec<ConstraintResult> = rules
        .constraints
        .iter()
        .map(|c| {
            let shown = visible(&c.metric);
            let v = value(&c.metric);
            let (nb, en, route) = words(&c.metric);
            let (text, text_en) = if shown {
                (render(&c.text_nb, &c.metric, v, Some(c.bound.threshold()), None, &nb), render(&c.text_en, &c.metric, v, Some(c.bound.threshold()), None, &en))
            } else {
                (HIDDEN_NB.into(), HIDDEN_EN.into())
            };
            ConstraintResult {
                id: c.id.clone(),
                passed: !shown || c.bound.passes(v),
                value: v.filter(|_| shown),
                threshold: c.bound.threshold(),
                route: route.filter(|_| shown),
                text,
                text_en,
                source: c.source.clone(),
            }
        })
        .collect();
    let factors: Vec<FactorResult> = rules
        .factors
        .iter()
        .map(|f| {
            let shown = visible(&f.metric);
            let v = value(&f.metric).filter(|_| shown);
            let (nb, en, route) = words(&f.metric);
            let (text, text_en) = match (shown, v) {
                (false, _) => (HIDDEN_NB.into(), HIDDEN_EN.into()),
                (true, None) => (
                    format!(
                        "Ikke målt: laget «{}» har ikke data for hele området rundt stedet (laget er tomt, eller området går utenfor delbydelene); telles ikke med.",
                        f.metric.layer()
                    ),
                    format!(
                        "Not measured: layer '{}' has no data for the whole area around the site (the layer is empty, or the area reaches beyond the delbydeler); not counted.",
                        f.metric.layer()
                    ),
                ),
                (true, Some(_)) => (render(&f.text_nb, &f.metric, v, None, Some(f.curve), &nb), render(&f.text_en, &f.metric, v, None, Some(f.curve), &en)),
            };
            FactorResult {
                id: f.id.clone(),
                value: v,
                threshold: f.curve.full_at,
                zero_at: f.curve.zero_at,
                subscore: v.map(|v| f.curve.score(v)),
                weight: f.weight,
                route: route.filter(|_| shown),
                text,
                text_en,
                source: f.source.clone(),
            }
        })
        .collect();
    let passed = constraints.iter().all(|c| c.passed);
    let (sum, weights) = factors.iter().filter_map(|f| f.subscore.map(|s| (s * f.weight, f.weight))).fold((0.0, 0.0), |a, b| (a.0 + b.0, a.1 + b.1));
    let score = if passed && weights > 0.0 { (100.0 * sum / weights * 10.0).round() / 10.0 } else { 0.0 };
    let coverage = coverage(rules, &factors, &visible);
    let (summary, summary_en) = summarise(rules, passed, score, &constraints, &coverage);
    Explanation { group: rules.group, score, passed, summary, summary_en, constraints, factors, coverage }
}

fn coverage(rules: &GroupRules, results: &[FactorResult], visible: &impl Fn(&Metric) -> bool) -> Coverage {
    let total_weight: f64 = rules.factors.iter().map(|f| f.weight).sum();
    let measured_weight: f64 = results.iter().filter(|r| r.subscore.is_some()).map(|r| r.weight).sum();
    let (mut missing, mut hidden) = (Vec::new(), Vec::new());
    for (factor, result) in rules.factors.iter().zip(results) {
        match (visible(&factor.metric), result.subscore) {
            (false, _) => hidden.push(factor.id.clone()),
            (true, None) => missing.push(MissingFactor { id: factor.id.clone(), layer: factor.metric.layer().to_string() }),
            (true, Some(_)) => {}
        }
    }
    Coverage {
        measured: results.iter().filter(|r| r.subscore.is_some()).count(),
        total: results.len(),
        weight_share: if total_weight > 0.0 { measured_weight / total_weight } else { 0.0 },
        missing,
        hidden,
    }
}

fn summarise(rules: &GroupRules, passed: bool, score: f64, constraints: &[ConstraintResult], coverage: &Coverage) -> (String, String) {
    if !passed {
        let failed: Vec<&str> = constraints.iter().filter(|c| !c.passed).map(|c| c.text.as_str()).collect();
        let failed_en: Vec<&str> = constraints.iter().filter(|c| !c.passed).map(|c| c.text_en.as_str()).collect();
        return (
            format!("Stedet oppfyller ikke kravene for gruppe {} og får 0 poeng: {}", rules.group, failed.join(" ")),
            format!("The site does not meet the requirements for group {} and scores 0: {}", rules.group, failed_en.join(" ")),
        );
    }
    let group = (rules.housing_nb.to_lowercase(), rules.location_nb.to_lowercase(), rules.housing_en.to_lowercase(), rules.location_en.to_lowercase());
    let share = coverage.weight_share * 100.0;
    let (m, t) = (coverage.measured, coverage.total);
    if coverage.weight_share < MIN_WEIGHT_SHARE_FOR_JUDGEMENT {
        let missing: Vec<String> = coverage.missing.iter().map(|f| format!("{} ({})", f.id, f.layer)).chain(coverage.hidden.iter().cloned()).collect();
        return (
            format!(
                "For gruppe {} ({}; {}) får stedet {score:.0} av 100 poeng, men bare {m} av {t} faktorer ({share:.0} % av vekten) kunne måles, så stedet vurderes ikke som godt eller lite egnet. Ikke målt: {}.",
                rules.group,
                group.0,
                group.1,
                missing.join(", ")
            ),
            format!(
                "For group {} ({}; {}) the site scores {score:.0} of 100, but only {m} of {t} factors ({share:.0} % of the weight) could be measured, so it is not judged well or poorly suited. Not measured: {}.",
                rules.group,
                group.2,
                group.3,
                missing.join(", ")
            ),
        );
    }
    let (nb, en) = Verdict::of(score, coverage.weight_share).words();
    let (partial_nb, partial_en) = if m < t {
        (format!(" ({m} av {t} faktorer målt, {share:.0} % av vekten)"), format!(" ({m} of {t} factors measured, {share:.0} % of the weight)"))
    } else {
        (String::new(), String::new())
    };
    (
        format!("For gruppe {} ({}; {}) får stedet {score:.0} av 100 poeng og vurderes som {nb}{partial_nb}.", rules.group, group.0, group.1),
        format!("For group {} ({}; {}) the site scores {score:.0} of 100 and is judged {en}{partial_en}.", rules.group, group.2, group.3),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::siting::criterion::{Bound, Constraint, Curve, Factor};

    fn rules() -> GroupRules {
        let factor = |id: &str, metric: Metric, full: f64, zero: f64, weight: f64| Factor {
            id: id.into(),
            metric,
            curve: Curve { full_at: full, zero_at: zero },
            weight,
            source: "test".into(),
            text_nb: "{value} m (full {full_at}, null {zero_at})".into(),
            text_en: "{value} m".into(),
        };
        GroupRules {
            group: 5,
            who_nb: String::new(),
            who_en: String::new(),
            housing_nb: "Samlokaliserte boliger".into(),
            housing_en: "Clustered homes".into(),
            location_nb: "Noe skjerming".into(),
            location_en: "Some shielding".into(),
            default_units: 8,
            staff_base_on_site: true,
            source: "test".into(),
            constraints: vec![Constraint {
                id: "max_residents".into(),
                metric: Metric::Units,
                bound: Bound::Max(20.0),
                source: "002:1886".into(),
                text_nb: "{value} av høyst {threshold}".into(),
                text_en: "{value} of at most {threshold}".into(),
            }],
            factors: vec![
                factor("transit", Metric::DistanceTo { layer: "transit_stops".into(), along: Default::default() }, 400.0, 1200.0, 2.0),
                factor("concentration", Metric::HousingUnitsWithin { radius_m: 500.0 }, 0.0, 40.0, 2.0),
            ],
        }
    }

    fn measured<V: Fn(&Metric) -> Option<f64>>(value: V) -> Measured<'static, V, fn(&Metric) -> Option<Route>> {
        static TEXTS: std::sync::LazyLock<BasisTexts> = std::sync::LazyLock::new(BasisTexts::default);
        Measured { value, route: |_| None, texts: &TEXTS }
    }

    fn values(units: f64) -> impl Fn(&Metric) -> Option<f64> {
        move |m: &Metric| match m {
            Metric::Units => Some(units),
            Metric::DistanceTo { .. } => Some(800.0),
            Metric::HousingUnitsWithin { .. } => Some(10.0),
            _ => None,
        }
    }

    #[test]
    fn the_score_is_the_weighted_mean_of_subscores() {
        // transit: 800 m → 0.5; concentration: 10 units → 0.75; equal weights → 62.5.
        let e = score(&rules(), measured(values(8.0)), |_| true);
        assert!(e.passed);
        assert_eq!(e.score, 62.5);
        assert_eq!(e.factors[0].text, "800 m (full 400, null 1200)");
        assert_eq!(e.constraints[0].text, "8 av høyst 20");
    }

    #[test]
    fn a_failed_constraint_scores_zero_and_says_why_first() {
        let e = score(&rules(), measured(values(24.0)), |_| true);
        assert!(!e.passed && e.score == 0.0);
        assert!(e.summary.starts_with("Stedet oppfyller ikke kravene") && e.summary.contains("24 av høyst 20"), "{}", e.summary);
    }

    #[test]
    fn the_quick_score_agrees_with_the_explained_one() {
        for units in [4.0, 8.0, 24.0] {
            let e = score(&rules(), measured(values(units)), |_| true);
            assert_eq!(quick_score(&rules(), values(units), |_| true), (e.passed, e.score));
        }
    }

    #[test]
    fn hidden_metrics_are_neither_shown_nor_counted() {
        let e = score(&rules(), measured(values(8.0)), |m| !m.uses_internal_data());
        assert_eq!(e.score, 50.0);
        assert_eq!((e.factors[1].value, e.factors[1].subscore), (None, None));
    }

    #[test]
    fn a_score_on_half_the_evidence_names_what_is_missing_and_judges_nothing() {
        // No housing data: the concentration factor is unknown, not "0 units within 500 m".
        let only_transit = |m: &Metric| match m {
            Metric::Units => Some(8.0),
            Metric::DistanceTo { .. } => Some(400.0),
            _ => None,
        };
        let e = score(&rules(), measured(only_transit), |_| true);
        assert_eq!(e.score, 100.0);
        assert_eq!((e.coverage.measured, e.coverage.total, e.coverage.weight_share), (1, 2, 0.5));
        assert_eq!(e.coverage.missing, vec![MissingFactor { id: "concentration".into(), layer: "housing".into() }]);
        assert!(e.summary.contains("bare 1 av 2 faktorer (50 % av vekten)") && e.summary.contains("Ikke målt: concentration (housing)"), "{}", e.summary);
        assert!(!e.summary.contains("godt egnet") && !e.summary_en.contains("well suited"), "{}", e.summary_en);
        // With both measured the judgement is given, and says nothing about coverage.
        let full = score(&rules(), measured(values(8.0)), |_| true);
        assert!(full.summary.contains("middels egnet") && !full.summary.contains("faktorer målt"), "{}", full.summary);
    }
}
