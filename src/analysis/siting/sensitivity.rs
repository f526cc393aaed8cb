//! Sensitivity of a score to the weights: for one site, the weight of each measured factor at
//! which its verdict (well, moderately, poorly suited, or not judged) would change; for two sites,
//! the weight at which they would swap places. Exact, not sampled: a score is the weighted mean
//! `100 (A + w s) / (B + w)` of the other factors' weighted subscores `A` over their weights `B`
//! and this factor's subscore `s` at weight `w`, so each boundary is a root of a linear (verdict)
//! or quadratic (swap) equation in `w`.
//!
//! ```
//! use bomiljo::analysis::siting::sensitivity::{score_at, Parts};
//! // Two factors, subscores 1.0 (weight 1) and 0.2 (weight 1): 60. At weight 3 for the first: 80.
//! let parts = Parts { others_sum: 0.2, others_weight: 1.0, subscore: 1.0 };
//! assert!((score_at(&parts, 1.0) - 60.0).abs() < 1e-9 && (score_at(&parts, 3.0) - 80.0).abs() < 1e-9);
//! ```
//!
//! References: ArcGIS Pro's Suitability Modeler (weights tried live); Triantaphyllou &
//! Sánchez (1997), "A sensitivity analysis approach for some deterministic multi-criteria
//! decision-making methods", *Decision Sciences* 28(1), on the smallest weight change that
//! reverses a ranking.

use serde::Serialize;

use super::Explanation;
use super::score::{MIN_WEIGHT_SHARE_FOR_JUDGEMENT, Verdict};

/// A score split around one factor: the other measured factors' weighted subscores and weights.
#[derive(Clone, Copy, Debug)]
pub struct Parts {
    pub others_sum: f64,
    pub others_weight: f64,
    pub subscore: f64,
}

/// The score (0-100) with this factor at weight `w`.
pub fn score_at(p: &Parts, w: f64) -> f64 {
    let weight = p.others_weight + w;
    if weight > 0.0 { 100.0 * (p.others_sum + w * p.subscore) / weight } else { 0.0 }
}

/// A weight at which a site's verdict changes.
#[derive(Clone, Debug, PartialEq, Serialize, schemars::JsonSchema)]
pub struct VerdictFlip {
    pub factor: String,
    pub weight_now: f64,
    /// The weight at which the verdict changes (within the rule file's range).
    pub weight_at: f64,
    /// The verdict at today's weight.
    pub verdict_now: Verdict,
    /// The verdict just past `weight_at`, seen from today's weight.
    pub verdict_then: Verdict,
}

/// Every weight within `range` at which the site's verdict would change, one factor moved at a
/// time, nearest to today's weight first. None when the site fails a constraint (it scores 0
/// whatever the weights).
pub fn verdict_flips(e: &Explanation, range: (f64, f64)) -> Vec<VerdictFlip> {
    if !e.passed {
        return Vec::new();
    }
    let total_weight: f64 = e.factors.iter().map(|f| f.weight).sum();
    let mut flips = Vec::new();
    for (i, f) in e.factors.iter().enumerate() {
        let Some(s) = f.subscore else { continue };
        let parts = parts(e, i, s);
        let measured_others = parts.others_weight;
        let others_total = total_weight - f.weight;
        // Judged as the explanation judges: on the score as shown, to a tenth of a point.
        let verdict = |w: f64| {
            let share = if others_total + w > 0.0 { (measured_others + w) / (others_total + w) } else { 0.0 };
            Verdict::of((score_at(&parts, w) * 10.0).round() / 10.0, share)
        };
        // Where the shown score reaches a verdict's boundary (the raw score half a tenth below
        // it), and where the measured share reaches the share a judgement needs.
        let mut roots: Vec<f64> = Verdict::BOUNDARIES.iter().filter_map(|t| linear_root(&parts, (t - 0.05) / 100.0)).collect();
        let unmeasured = others_total - measured_others;
        if unmeasured > 0.0 {
            let m = MIN_WEIGHT_SHARE_FOR_JUDGEMENT;
            roots.push((m * others_total - measured_others) / (1.0 - m));
        }
        for root in roots.into_iter().filter(|w| (range.0..=range.1).contains(w)) {
            let step = 1e-6 * root.abs().max(1.0);
            let (before, after) = (verdict(root - step), verdict(root + step));
            if before != after {
                let verdict_then = if f.weight <= root { after } else { before };
                flips.push(VerdictFlip { factor: f.id.clone(), weight_now: f.weight, weight_at: root, verdict_now: verdict(f.weight), verdict_then });
            }
        }
    }
    flips.sort_by(|a, b| (a.weight_at - a.weight_now).abs().total_cmp(&(b.weight_at - b.weight_now).abs()));
    flips
}

/// The weight `w` at which `(A + w s) / (B + w) = t`.
fn linear_root(p: &Parts, t: f64) -> Option<f64> {
    let denominator = p.subscore - t;
    (denominator.abs() > 1e-12).then(|| (t * p.others_weight - p.others_sum) / denominator)
}

fn parts(e: &Explanation, i: usize, subscore: f64) -> Parts {
    let (others_sum, others_weight) = e
        .factors
        .iter()
        .enumerate()
        .filter(|(j, _)| *j != i)
        .filter_map(|(_, f)| f.subscore.map(|s| (s * f.weight, f.weight)))
        .fold((0.0, 0.0), |a, b| (a.0 + b.0, a.1 + b.1));
    Parts { others_sum, others_weight, subscore }
}

/// The smallest change of one factor's weight at which two sites would swap places.
#[derive(Clone, Debug, PartialEq, Serialize, schemars::JsonSchema)]
pub struct Swap {
    pub factor: String,
    pub weight_now: f64,
    pub weight_at: f64,
}

/// Where `a` and `b` (both passing, the same group's rules) would swap, one factor's weight moved
/// within `range`: the root nearest today's weight, or `None` when no weight in the range
/// reorders them.
pub fn swap_point(a: &Explanation, b: &Explanation, range: (f64, f64)) -> Option<Swap> {
    if !a.passed || !b.passed {
        return None;
    }
    let mut best: Option<Swap> = None;
    for (i, f) in a.factors.iter().enumerate() {
        let (Some(sa), Some(sb)) = (f.subscore, b.factors.get(i).and_then(|g| g.subscore)) else { continue };
        let (pa, pb) = (parts(a, i, sa), parts(b, i, sb));
        // (Aa + w sa)(Bb + w) = (Ab + w sb)(Ba + w): a quadratic in w.
        let qa = sa - sb;
        let qb = pa.others_sum + sa * pb.others_weight - pb.others_sum - sb * pa.others_weight;
        let qc = pa.others_sum * pb.others_weight - pb.others_sum * pa.others_weight;
        for w in quadratic_roots(qa, qb, qc).into_iter().filter(|w| (range.0..=range.1).contains(w)) {
            let step = 1e-6 * w.abs().max(1.0);
            let order = |w: f64| score_at(&pa, w) > score_at(&pb, w);
            if order(w - step) != order(w + step) && best.as_ref().is_none_or(|s| (w - f.weight).abs() < (s.weight_at - s.weight_now).abs()) {
                best = Some(Swap { factor: f.id.clone(), weight_now: f.weight, weight_at: w });
            }
        }
    }
    best
}

fn quadratic_roots(a: f64, b: f64, c: f64) -> Vec<f64> {
    if a.abs() < 1e-12 {
        return if b.abs() < 1e-12 { Vec::new() } else { vec![-c / b] };
    }
    let d = b * b - 4.0 * a * c;
    if d < 0.0 {
        return Vec::new();
    }
    let r = d.sqrt();
    vec![(-b - r) / (2.0 * a), (-b + r) / (2.0 * a)]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::siting::score::{Coverage, FactorResult};

    /// An explanation of factors (id, subscore or unmeasured, weight); the score as computed.
    fn explained(factors: &[(&str, Option<f64>, f64)]) -> Explanation {
        let results: Vec<FactorResult> = factors
            .iter()
            .map(|(id, subscore, weight)| FactorResult {
                id: id.to_string(),
                value: subscore.map(|_| 0.0),
                threshold: 0.0,
                zero_at: 1.0,
                subscore: *subscore,
                weight: *weight,
                route: None,
                text: String::new(),
                text_en: String::new(),
                source: String::new(),
            })
            .collect();
        let (sum, w) = results.iter().filter_map(|f| f.subscore.map(|s| (s * f.weight, f.weight))).fold((0.0, 0.0), |a, b| (a.0 + b.0, a.1 + b.1));
        let total: f64 = results.iter().map(|f| f.weight).sum();
        let coverage = Coverage { measured: 0, total: results.len(), weight_share: w / total, missing: vec![], hidden: vec![] };
        Explanation {
            group: 1,
            score: 100.0 * sum / w,
            passed: true,
            summary: String::new(),
            summary_en: String::new(),
            constraints: vec![],
            factors: results,
            coverage,
        }
    }

    #[test]
    fn each_verdict_flip_is_the_root_worked_by_hand() {
        // A (1.0, weight 1) and B (0.2, weight 1): 60, moderately suited. A score is shown to a
        // tenth, so a verdict's boundary T is reached at the raw score t = T - 0.05:
        // A's weight w: (0.2 + w) / (1 + w) = t at w = (t - 0.2) / (1 - t): 0.598 (49.95), 2.197 (74.95).
        // B's weight w: (1 + 0.2 w) / (1 + w) = t at w = (1 - t) / (t - 0.2): 0.455 (74.95), 1.670 (49.95).
        let flips = verdict_flips(&explained(&[("a", Some(1.0), 1.0), ("b", Some(0.2), 1.0)]), (0.0, 5.0));
        let got: Vec<(&str, f64, Verdict)> = flips.iter().map(|f| (f.factor.as_str(), f.weight_at, f.verdict_then)).collect();
        let (t50, t75) = (0.4995, 0.7495);
        let (a_at, b_at) = (|t: f64| (t - 0.2) / (1.0 - t), |t: f64| (1.0 - t) / (t - 0.2));
        let want = [
            ("a", a_at(t50), Verdict::PoorlySuited),
            ("b", b_at(t75), Verdict::WellSuited),
            ("b", b_at(t50), Verdict::PoorlySuited),
            ("a", a_at(t75), Verdict::WellSuited),
        ];
        assert_eq!(got.len(), want.len(), "{flips:?}");
        for ((id, at, then), (want_id, want_at, want_then)) in got.into_iter().zip(want) {
            assert_eq!((id, then), (want_id, want_then));
            assert!((at - want_at).abs() < 1e-9, "{id}: {at} vs {want_at}");
        }
        assert!(flips.iter().all(|f| f.verdict_now == Verdict::ModeratelySuited));
        // Within the range only: no flip of A above 2.0 when the rule file stops there.
        assert!(verdict_flips(&explained(&[("a", Some(1.0), 1.0), ("b", Some(0.2), 1.0)]), (0.0, 2.0)).iter().all(|f| f.weight_at <= 2.0));
    }

    #[test]
    fn a_weight_that_brings_the_measured_share_to_three_quarters_turns_not_judged_into_a_verdict() {
        // A measured (1.0), B measured (0.2), C unmeasured, weights 1: share 2/3, not judged.
        // Raising A: (1 + w) / (2 + w) = 0.75 at w = 2, where the score is (0.2 + 2)/3 = 73.3: moderately.
        let flips = verdict_flips(&explained(&[("a", Some(1.0), 1.0), ("b", Some(0.2), 1.0), ("c", None, 1.0)]), (0.0, 5.0));
        let a = flips.iter().find(|f| f.factor == "a" && (f.weight_at - 2.0).abs() < 1e-9).unwrap_or_else(|| panic!("{flips:?}"));
        assert_eq!((a.verdict_now, a.verdict_then), (Verdict::NotJudged, Verdict::ModeratelySuited));
    }

    #[test]
    fn two_sites_swap_at_the_weight_worked_by_hand() {
        // a: A 1.0, B 0.2 (60); b: A 0.4, B 0.9 (65); weights 1. Raising A: equal at w = 0.7/0.6;
        // lowering B: 1 + 0.2 w = 0.4 + 0.9 w at w = 6/7, nearer today's 1, so that is the answer.
        let a = explained(&[("A", Some(1.0), 1.0), ("B", Some(0.2), 1.0)]);
        let b = explained(&[("A", Some(0.4), 1.0), ("B", Some(0.9), 1.0)]);
        let swap = swap_point(&b, &a, (0.0, 5.0)).unwrap();
        assert_eq!(swap.factor, "B");
        assert!((swap.weight_at - 6.0 / 7.0).abs() < 1e-9, "{swap:?}");
        assert!(swap_point(&b, &a, (0.95, 1.1)).is_none(), "no weight in that range reorders them");
        let only_a = swap_point(&b, &a, (1.0, 5.0)).unwrap();
        assert_eq!(only_a.factor, "A");
        assert!((only_a.weight_at - 7.0 / 6.0).abs() < 1e-9, "{only_a:?}");
    }
}
