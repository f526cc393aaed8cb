//! Loads and checks a siting rule file (`rules/*.toml`) into a [`RuleSet`]. Misspelt keys,
//! unknown metrics or layers, missing thresholds and stray placeholders are errors that name the
//! file, the group and the rule, so a changed threshold cannot silently change scores.

use std::path::Path;

use serde::Deserialize;

use crate::analysis::siting::{Along, BasisTexts, Bound, Constraint, Curve, Factor, GroupRules, Metric, RuleSet, ServiceWindow, StaffBase};
use crate::config::{ConfigError, LayerKind, suggest};
use crate::index::network::Profile;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRuleSet {
    name: String,
    staff_base: RawStaffBase,
    network: Option<Profile>,
    basis: BasisTexts,
    population: RawPopulation,
    /// How far an analyst's what-if may move weights and thresholds (defaults when absent).
    #[serde(default)]
    what_if: Option<crate::analysis::siting::what_if::WhatIfRanges>,
    groups: Vec<RawGroup>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawStaffBase {
    speed_kmh: f64,
    detour_factor: f64,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPopulation {
    cell_m: f64,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawGroup {
    group: u8,
    who_nb: String,
    who_en: String,
    housing_nb: String,
    housing_en: String,
    location_nb: String,
    location_en: String,
    default_units: u32,
    staff_base_on_site: bool,
    source: String,
    #[serde(default)]
    constraints: Vec<RawRule>,
    #[serde(default)]
    factors: Vec<RawRule>,
}

/// A constraint or a factor as written; which fields are needed depends on the metric and kind.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRule {
    id: String,
    metric: String,
    layer: Option<String>,
    /// distance_to: `straight` (default) or `walk`.
    along: Option<String>,
    radius_m: Option<f64>,
    /// departures_within: `day` (07-19, the default) or `evening` (19-23).
    window: Option<String>,
    groups: Option<Vec<u8>>,
    min: Option<f64>,
    max: Option<f64>,
    full_at: Option<f64>,
    zero_at: Option<f64>,
    weight: Option<f64>,
    source: String,
    text_nb: String,
    text_en: String,
}

const METRICS: [&str; 8] = [
    "units",
    "distance_to",
    "departures_within",
    "population_within",
    "housing_units_within",
    "group_sites_within",
    "incident_percentile",
    "staff_base_minutes",
];
const PLACEHOLDERS: [&str; 5] = ["{value}", "{threshold}", "{full_at}", "{zero_at}", "{basis}"];

/// Reads and checks a rule file against the configured layers.
pub fn load(path: &Path, config: &crate::config::Config) -> Result<RuleSet, ConfigError> {
    let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read { path: path.to_path_buf(), source })?;
    let raw: RawRuleSet = toml::from_str(&text).map_err(|e| ConfigError::Parse { path: path.to_path_buf(), message: e.to_string() })?;
    resolve(raw, config).map_err(|message| ConfigError::Invalid { path: path.to_path_buf(), message })
}

fn resolve(raw: RawRuleSet, config: &crate::config::Config) -> Result<RuleSet, String> {
    if !(raw.staff_base.speed_kmh > 0.0 && raw.staff_base.detour_factor >= 1.0) {
        return Err("[staff_base] needs speed_kmh > 0 and detour_factor >= 1".into());
    }
    if let Some(network) = &raw.network {
        network.check()?;
        match config.layer(&network.layer) {
            Ok(layer) if layer.geometry == crate::config::GeometryType::Line => {}
            _ => return Err(format!("[network] layer = \"{}\" must be a line layer (geometry = \"line\", e.g. roads)", network.layer)),
        }
    }
    for (key, text) in raw.basis.texts() {
        check_placeholders(&format!("[basis] {key}"), text, &["{straight}", "{walk}"])?;
    }
    if !(10.0..=1000.0).contains(&raw.population.cell_m) {
        return Err("[population] cell_m must be 10-1000 metres".into());
    }
    let mut groups = Vec::new();
    for g in raw.groups {
        if !(1..=8).contains(&g.group) {
            return Err(format!("group = {} is not a matrix group (1-8)", g.group));
        }
        if groups.iter().any(|x: &GroupRules| x.group == g.group) {
            return Err(format!("group {} is defined twice", g.group));
        }
        let at = |kind: &str, id: &str| format!("group {} {kind} '{id}'", g.group);
        let constraints = g
            .constraints
            .into_iter()
            .map(|r| {
                let here = at("constraint", &r.id);
                let metric = metric(&r, config).map_err(|e| format!("{here}: {e}"))?;
                let bound = match (r.min, r.max) {
                    (Some(v), None) => Bound::Min(v),
                    (None, Some(v)) => Bound::Max(v),
                    _ => return Err(format!("{here}: give exactly one of min or max")),
                };
                if r.full_at.is_some() || r.zero_at.is_some() || r.weight.is_some() {
                    return Err(format!("{here}: full_at, zero_at and weight belong to factors, not constraints"));
                }
                check_text(&here, &metric, &[&r.text_nb, &r.text_en])?;
                Ok(Constraint { id: r.id, metric, bound, source: r.source, text_nb: r.text_nb, text_en: r.text_en })
            })
            .collect::<Result<Vec<_>, String>>()?;
        let factors = g
            .factors
            .into_iter()
            .map(|r| {
                let here = at("factor", &r.id);
                let metric = metric(&r, config).map_err(|e| format!("{here}: {e}"))?;
                let (Some(full_at), Some(zero_at), Some(weight)) = (r.full_at, r.zero_at, r.weight) else {
                    return Err(format!("{here}: factors need full_at, zero_at and weight"));
                };
                if !(weight > 0.0 && weight.is_finite()) {
                    return Err(format!("{here}: weight = {weight} must be a positive number"));
                }
                if r.min.is_some() || r.max.is_some() {
                    return Err(format!("{here}: min and max belong to constraints, not factors"));
                }
                check_text(&here, &metric, &[&r.text_nb, &r.text_en])?;
                Ok(Factor { id: r.id, metric, curve: Curve { full_at, zero_at }, weight, source: r.source, text_nb: r.text_nb, text_en: r.text_en })
            })
            .collect::<Result<Vec<_>, String>>()?;
        if factors.is_empty() {
            return Err(format!("group {} has no factors to score with", g.group));
        }
        groups.push(GroupRules {
            group: g.group,
            who_nb: g.who_nb,
            who_en: g.who_en,
            housing_nb: g.housing_nb,
            housing_en: g.housing_en,
            location_nb: g.location_nb,
            location_en: g.location_en,
            default_units: g.default_units,
            staff_base_on_site: g.staff_base_on_site,
            source: g.source,
            constraints,
            factors,
        });
    }
    groups.sort_by_key(|g| g.group);
    Ok(RuleSet {
        name: raw.name,
        staff_base: StaffBase { speed_kmh: raw.staff_base.speed_kmh, detour_factor: raw.staff_base.detour_factor },
        network: raw.network,
        basis: raw.basis,
        population_cell_m: raw.population.cell_m,
        what_if: what_if_ranges(raw.what_if)?,
        groups,
    })
}

/// The `[what_if]` ranges, checked: weights from 0 up, threshold multiples above 0, low before high.
fn what_if_ranges(raw: Option<crate::analysis::siting::what_if::WhatIfRanges>) -> Result<crate::analysis::siting::what_if::WhatIfRanges, String> {
    let ranges = raw.unwrap_or_default();
    let ((w0, w1), (s0, s1)) = (ranges.weight, ranges.threshold_scale);
    let ok = [w0, w1, s0, s1].iter().all(|v| v.is_finite()) && 0.0 <= w0 && w0 <= w1 && 0.0 < s0 && s0 <= s1;
    if ok {
        Ok(ranges)
    } else {
        Err(format!("[what_if] weight = [{w0}, {w1}] and threshold_scale = [{s0}, {s1}] must run from low to high, weights from 0 and scales above 0"))
    }
}

fn metric(r: &RawRule, config: &crate::config::Config) -> Result<Metric, String> {
    let radius = || match r.radius_m {
        Some(v) if v > 0.0 && v <= 5000.0 => Ok(v),
        Some(v) => Err(format!("radius_m = {v} must be 0-5000 metres")),
        None => Err(format!("metric {} needs radius_m", r.metric)),
    };
    if r.along.is_some() && r.metric != "distance_to" {
        return Err(format!("along belongs to distance_to, not {}", r.metric));
    }
    if r.window.is_some() && r.metric != "departures_within" {
        return Err(format!("window belongs to departures_within, not {}", r.metric));
    }
    Ok(match r.metric.as_str() {
        "units" => Metric::Units,
        "distance_to" => {
            let layer = r.layer.clone().ok_or("metric distance_to needs layer = \"...\"")?;
            // Only public points of interest: a distance to housing (or any internal layer) in a
            // public score would let three requests locate the nearest site.
            let known: Vec<&str> = config
                .layers
                .iter()
                .filter(|l| l.kind == LayerKind::Poi && l.visibility == crate::config::Visibility::Public)
                .map(|l| l.name.as_str())
                .collect();
            if !known.contains(&layer.as_str()) {
                return Err(format!(
                    "layer '{layer}' is not a public point-of-interest layer{} (known: {}); for housing use housing_units_within, group_sites_within or staff_base_minutes",
                    suggest(&layer, known.iter().copied()),
                    known.join(", ")
                ));
            }
            let along = match r.along.as_deref() {
                None | Some("straight") => Along::Straight,
                Some("walk") if config.layer(&layer).is_ok_and(|l| l.geometry == crate::config::GeometryType::Polygon) => {
                    return Err(format!("along = \"walk\": layer '{layer}' holds polygons, measured to their edge in a straight line only"));
                }
                Some("walk") => Along::Walk,
                Some(other) => return Err(format!("along = \"{other}\" is not one of straight, walk")),
            };
            Metric::DistanceTo { layer, along }
        }
        "departures_within" => {
            let layer = r.layer.clone().ok_or("metric departures_within needs layer = \"...\" (the stops, imported from a GTFS feed)")?;
            if !config.layer(&layer).is_ok_and(|l| l.kind == LayerKind::Poi && l.visibility == crate::config::Visibility::Public) {
                return Err(format!("layer '{layer}' is not a public point-of-interest layer (the stops of a GTFS feed)"));
            }
            let window = match r.window.as_deref() {
                None | Some("day") => ServiceWindow::Day,
                Some("evening") => ServiceWindow::Evening,
                Some(other) => return Err(format!("window = \"{other}\" is not one of day, evening")),
            };
            Metric::DeparturesWithin { layer, radius_m: radius()?, window }
        }
        "population_within" => Metric::PopulationWithin { radius_m: radius()? },
        "housing_units_within" => Metric::HousingUnitsWithin { radius_m: radius()? },
        "group_sites_within" => {
            let groups = r.groups.clone().ok_or("metric group_sites_within needs groups = [..]")?;
            if groups.iter().any(|g| !(1..=8).contains(g)) {
                return Err(format!("groups = {groups:?} must be matrix groups 1-8"));
            }
            Metric::GroupSitesWithin { radius_m: radius()?, groups }
        }
        "incident_percentile" => Metric::IncidentPercentile,
        "staff_base_minutes" => Metric::StaffBaseMinutes,
        other => return Err(format!("unknown metric '{other}'{} (metrics: {})", suggest(other, METRICS.iter().copied()), METRICS.join(", "))),
    })
}

fn check_text(here: &str, metric: &Metric, texts: &[&str]) -> Result<(), String> {
    // {basis} says how a distance or drive time was measured; other metrics have no route.
    let routed = matches!(metric, Metric::DistanceTo { .. } | Metric::StaffBaseMinutes);
    let allowed: Vec<&str> = PLACEHOLDERS.iter().copied().filter(|p| routed || *p != "{basis}").collect();
    texts.iter().try_for_each(|text| check_placeholders(here, text, &allowed))
}

fn check_placeholders(here: &str, text: &str, allowed: &[&str]) -> Result<(), String> {
    let mut rest = text;
    while let Some(start) = rest.find('{') {
        let end = rest[start..].find('}').map(|e| start + e + 1).ok_or_else(|| format!("{here}: unclosed '{{' in text"))?;
        let placeholder = &rest[start..end];
        if !allowed.contains(&placeholder) {
            return Err(format!("{here}: placeholder {placeholder} cannot be used in this text (use {})", allowed.join(", ")));
        }
        rest = &rest[end..];
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config() -> crate::config::Config {
        crate::config::Config::load(Path::new(env!("CARGO_MANIFEST_DIR"))).unwrap()
    }

    fn shipped() -> String {
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("rules/matrise-2026.toml")).unwrap()
    }

    fn check(text: &str) -> Result<RuleSet, String> {
        let raw: RawRuleSet = toml::from_str(text).map_err(|e| e.to_string())?;
        resolve(raw, &config())
    }

    #[test]
    fn the_shipped_matrix_covers_all_eight_groups_with_cited_sources() {
        let rules = check(&shipped()).unwrap();
        assert_eq!(rules.groups.iter().map(|g| g.group).collect::<Vec<_>>(), (1..=8).collect::<Vec<_>>());
        for g in &rules.groups {
            assert!(g.constraints.iter().any(|c| c.id == "max_residents" && c.bound == Bound::Max(20.0)), "group {}", g.group);
            assert!(g.factors.iter().chain([]).all(|f| f.source.contains(':')), "group {}", g.group);
        }
        let g7 = rules.group(7).unwrap();
        assert!(g7.factors.iter().any(|f| f.id == "edge_zone"));
        assert!(g7.constraints.iter().any(|c| c.id == "away_from_schools"));
    }

    #[test]
    fn a_misspelt_key_is_rejected_with_its_name() {
        let err = check(&shipped().replacen("zero_at = 1200", "zero_a = 1200", 1)).unwrap_err();
        assert!(err.contains("unknown field `zero_a`"), "{err}");
    }

    #[test]
    fn an_unknown_metric_or_layer_suggests_the_right_one() {
        let err = check(&shipped().replacen("metric = \"incident_percentile\"", "metric = \"incident_percentil\"", 1)).unwrap_err();
        assert!(err.contains("did you mean 'incident_percentile'"), "{err}");
        let err = check(&shipped().replacen("layer = \"grocery\"", "layer = \"grocer\"", 1)).unwrap_err();
        assert!(err.contains("layer 'grocer'") && err.contains("did you mean 'grocery'"), "{err}");
    }

    #[test]
    fn factor_fields_on_a_constraint_are_rejected() {
        let err = check(&shipped().replacen("max = 20\n", "max = 20\nweight = 2\n", 1)).unwrap_err();
        assert!(err.contains("group 1 constraint 'max_residents'") && err.contains("belong to factors"), "{err}");
    }

    #[test]
    fn walking_to_a_polygon_layer_and_stray_basis_words_are_rejected() {
        let walk_to_polygons = shipped().replacen("layer = \"commercial\"\n", "layer = \"commercial\"\nalong = \"walk\"\n", 1);
        let err = check(&walk_to_polygons).unwrap_err();
        assert!(err.contains("layer 'commercial' holds polygons"), "{err}");
        let err = check(&shipped().replacen("({straight} m i luftlinje)", "({walk_m} m i luftlinje)", 1)).unwrap_err();
        assert!(err.contains("[basis] walk_nb: placeholder {walk_m} cannot be used"), "{err}");
        let err = check(&shipped().replacen("Det bor {value} personer", "Det bor {value} personer {basis}", 1)).unwrap_err();
        assert!(err.contains("placeholder {basis} cannot be used"), "{err}");
        // A rule file from before the street network says what it lacks.
        let start = shipped().find("\n[basis]").unwrap();
        let end = shipped()[start..].find("\n[population]").unwrap() + start;
        let err = check(&format!("{}{}", &shipped()[..start], &shipped()[end..])).unwrap_err();
        assert!(err.contains("missing field `basis`"), "{err}");
    }

    #[test]
    fn an_unknown_placeholder_is_rejected() {
        let err = check(&shipped().replacen("{threshold} beboere", "{treshold} beboere", 1)).unwrap_err();
        assert!(err.contains("placeholder {treshold} cannot be used"), "{err}");
    }
}
