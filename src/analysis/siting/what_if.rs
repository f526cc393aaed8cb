//! What-if: a group's rules with some factors' weights or thresholds moved, within the ranges the
//! rule file declares (`[what_if]`), and the list of what was moved, so an explanation can say
//! which of its numbers are not the matrix's.
//!
//! ```
//! use bomiljo::analysis::siting::what_if::{apply, WhatIf, WhatIfRanges};
//! # use bomiljo::analysis::siting::{Curve, Factor, GroupRules, Metric};
//! # let factor = |id: &str, weight: f64| Factor { id: id.into(), metric: Metric::Units, curve: Curve { full_at: 10.0, zero_at: 20.0 }, weight, source: String::new(), text_nb: String::new(), text_en: String::new() };
//! # let rules = GroupRules { group: 1, who_nb: String::new(), who_en: String::new(), housing_nb: String::new(), housing_en: String::new(), location_nb: String::new(), location_en: String::new(), default_units: 8, staff_base_on_site: false, source: String::new(), constraints: vec![], factors: vec![factor("transit", 2.0)] };
//! let ranges = WhatIfRanges { weight: (0.0, 5.0), threshold_scale: (0.5, 2.0) };
//! let asked = WhatIf { weights: [("transit".to_string(), 0.5)].into(), ..WhatIf::default() };
//! let (moved, changes) = apply(&rules, &asked, &ranges).unwrap();
//! assert_eq!(moved.factors[0].weight, 0.5);
//! assert_eq!((changes[0].matrix, changes[0].now), (2.0, 0.5));
//! ```

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::GroupRules;

/// How far a what-if may move the matrix: a factor's weight within `weight`, a threshold within
/// `threshold_scale` times the matrix's.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct WhatIfRanges {
    pub weight: (f64, f64),
    pub threshold_scale: (f64, f64),
}

impl Default for WhatIfRanges {
    fn default() -> Self {
        WhatIfRanges { weight: (0.0, 5.0), threshold_scale: (0.5, 2.0) }
    }
}

/// The weights and thresholds an analyst tries instead of the matrix's, by factor id.
#[derive(Clone, Debug, Default, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct WhatIf {
    /// Factor id → weight.
    #[serde(default)]
    pub weights: BTreeMap<String, f64>,
    /// Factor id → the value that earns full score and the value that earns nothing.
    #[serde(default)]
    pub thresholds: BTreeMap<String, Thresholds>,
}

impl WhatIf {
    pub fn is_empty(&self) -> bool {
        self.weights.is_empty() && self.thresholds.is_empty()
    }
}

#[derive(Clone, Copy, Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Thresholds {
    pub full_at: f64,
    pub zero_at: f64,
}

/// What a what-if moved: a factor's weight or threshold, from the matrix's value to the one used.
#[derive(Clone, Debug, PartialEq, Serialize, schemars::JsonSchema)]
pub struct Change {
    pub factor: String,
    /// `weight`, `full_at` or `zero_at`.
    pub what: &'static str,
    pub matrix: f64,
    pub now: f64,
}

/// The rules with the what-if applied, and what it changed; an error names a factor the group
/// does not have or a value outside the declared range.
pub fn apply(rules: &GroupRules, what_if: &WhatIf, ranges: &WhatIfRanges) -> Result<(GroupRules, Vec<Change>), String> {
    let mut moved = rules.clone();
    let mut changes = Vec::new();
    let known: Vec<&str> = rules.factors.iter().map(|f| f.id.as_str()).collect();
    let unknown = |id: &str| format!("group {} has no factor '{id}' (factors: {})", rules.group, known.join(", "));
    for (id, &weight) in &what_if.weights {
        let factor = moved.factors.iter_mut().find(|f| &f.id == id).ok_or_else(|| unknown(id))?;
        let (lo, hi) = ranges.weight;
        if !(lo..=hi).contains(&weight) {
            return Err(format!("weight of '{id}' = {weight}: the rule file allows {lo}-{hi}"));
        }
        if weight != factor.weight {
            changes.push(Change { factor: id.clone(), what: "weight", matrix: factor.weight, now: weight });
            factor.weight = weight;
        }
    }
    for (id, t) in &what_if.thresholds {
        let factor = moved.factors.iter_mut().find(|f| &f.id == id).ok_or_else(|| unknown(id))?;
        let (lo, hi) = ranges.threshold_scale;
        for (what, matrix, now) in [("full_at", factor.curve.full_at, t.full_at), ("zero_at", factor.curve.zero_at, t.zero_at)] {
            let (a, b) = ((matrix * lo).min(matrix * hi), (matrix * lo).max(matrix * hi));
            if !(a..=b).contains(&now) {
                return Err(format!("{what} of '{id}' = {now}: the rule file allows {a}-{b} ({lo}-{hi} times the matrix's {matrix})"));
            }
            if now != matrix {
                changes.push(Change { factor: id.clone(), what, matrix, now });
            }
        }
        // The curve keeps its direction: full score on the side the matrix gives it (equal
        // thresholds make a step that scores low values fully, so only where the matrix has one).
        let direction = |full: f64, zero: f64| full.partial_cmp(&zero);
        if direction(t.full_at, t.zero_at) != direction(factor.curve.full_at, factor.curve.zero_at) {
            return Err(format!(
                "'{id}': full_at and zero_at would change the curve's direction (the matrix has full_at {}, zero_at {})",
                factor.curve.full_at, factor.curve.zero_at
            ));
        }
        factor.curve.full_at = t.full_at;
        factor.curve.zero_at = t.zero_at;
    }
    if moved.factors.iter().all(|f| f.weight == 0.0) {
        return Err("every factor would weigh 0: nothing would be scored".into());
    }
    Ok((moved, changes))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::siting::{Curve, Factor, Metric};

    fn rules() -> GroupRules {
        let factor = |id: &str, weight: f64, curve: Curve| Factor {
            id: id.into(),
            metric: Metric::Units,
            curve,
            weight,
            source: String::new(),
            text_nb: String::new(),
            text_en: String::new(),
        };
        GroupRules {
            group: 5,
            who_nb: String::new(),
            who_en: String::new(),
            housing_nb: String::new(),
            housing_en: String::new(),
            location_nb: String::new(),
            location_en: String::new(),
            default_units: 8,
            staff_base_on_site: true,
            source: String::new(),
            constraints: vec![],
            factors: vec![factor("transit", 2.0, Curve { full_at: 400.0, zero_at: 1000.0 }), factor("quiet", 1.0, Curve { full_at: 50.0, zero_at: 95.0 })],
        }
    }

    #[test]
    fn what_is_moved_is_listed_and_what_is_outside_the_ranges_is_refused() {
        let ranges = WhatIfRanges::default();
        let asked = WhatIf {
            weights: [("quiet".to_string(), 3.0)].into(),
            thresholds: [("transit".to_string(), Thresholds { full_at: 300.0, zero_at: 1000.0 })].into(),
        };
        let (moved, changes) = apply(&rules(), &asked, &ranges).unwrap();
        assert_eq!((moved.factors[1].weight, moved.factors[0].curve.full_at), (3.0, 300.0));
        let listed: Vec<(&str, &str, f64, f64)> = changes.iter().map(|c| (c.factor.as_str(), c.what, c.matrix, c.now)).collect();
        assert_eq!(listed, [("quiet", "weight", 1.0, 3.0), ("transit", "full_at", 400.0, 300.0)]);
        let refused = |w: WhatIf| apply(&rules(), &w, &ranges).unwrap_err();
        assert!(refused(WhatIf { weights: [("quiet".to_string(), 9.0)].into(), ..WhatIf::default() }).contains("allows 0-5"));
        assert!(refused(WhatIf { weights: [("qiuet".to_string(), 1.0)].into(), ..WhatIf::default() }).contains("factors: transit, quiet"));
        assert!(
            refused(WhatIf { thresholds: [("transit".to_string(), Thresholds { full_at: 100.0, zero_at: 1000.0 })].into(), ..WhatIf::default() })
                .contains("200-800")
        );
        assert!(
            refused(WhatIf { weights: [("transit".to_string(), 0.0), ("quiet".to_string(), 0.0)].into(), ..WhatIf::default() })
                .contains("nothing would be scored")
        );
        // Equal thresholds make a step that scores low values fully, which would turn a "more is
        // better" curve around: refused where the matrix has a slope.
        let mut more_is_better = rules();
        more_is_better.factors[1].curve = Curve { full_at: 800.0, zero_at: 200.0 };
        let step = WhatIf { thresholds: [("quiet".to_string(), Thresholds { full_at: 400.0, zero_at: 400.0 })].into(), ..WhatIf::default() };
        assert!(apply(&more_is_better, &step, &ranges).unwrap_err().contains("direction"));
    }
}
