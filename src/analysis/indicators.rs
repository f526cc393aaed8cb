//! Indicators per delbydel, incident source and year.
//!
//! # Returns
//! For each area and source: the count (and per category), the rate per 1,000 inhabitants and
//! per km², the change from the previous year with an exact Poisson test
//! (`super::poisson::rate_change_p`), the ratio to the city's rate, and the rank among areas by
//! rate (1 = highest). `bydel_totals` sums areas into their bydel.
//!
//! # Notes
//! Population is the population layer as imported (one grid, used for every year); rates for
//! areas without residents are `None` and those areas are not ranked. Comparisons between areas
//! are per 1,000 inhabitants, as in Oslo's own reporting (seed 003, line 654).

use std::collections::{BTreeMap, HashMap};

use serde::Serialize;

use super::poisson::rate_change_p;
use crate::figure::Figure;
use crate::privacy::{Count, Policy, Redact};

/// An area's fixed facts.
#[derive(Clone, Debug)]
pub struct AreaInfo {
    pub code: String,
    pub name: Option<String>,
    pub bydel: Option<String>,
    pub population: Option<f64>,
    /// Land area when a water layer is imported, else the whole polygon (see `km2_basis`).
    pub area_km2: f64,
    pub km2_basis: AreaBasis,
}

/// Whether an area in km² is land only or the whole polygon (water included).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum AreaBasis {
    Land,
    #[default]
    Total,
}

impl AreaBasis {
    pub fn as_str(self) -> &'static str {
        match self {
            AreaBasis::Land => "land",
            AreaBasis::Total => "total",
        }
    }
}

/// Incidents of one source in one area and year, in total and per category.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Tally {
    pub total: Figure,
    pub categories: BTreeMap<String, Figure>,
}

/// Tallies keyed by (area code, source, year).
pub type Tallies = HashMap<(String, String, i32), Tally>;

/// One row of the measurement: an area, a source, a year.
#[derive(Clone, Debug, Serialize, schemars::JsonSchema)]
pub struct Indicator {
    pub code: String,
    pub name: Option<String>,
    pub bydel: Option<String>,
    pub source: String,
    pub year: i32,
    pub count: Count,
    pub categories: BTreeMap<String, Count>,
    pub population: Option<f64>,
    pub rate_per_1000: Option<f64>,
    /// The 95 % interval of the rate, from its count's, where the count is an estimate (the
    /// public release); `None` for exact counts.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rate_per_1000_ci95: Option<[f64; 2]>,
    pub per_km2: Option<f64>,
    /// What `per_km2` divides by: "land" (water taken out) or "total" (the whole polygon).
    pub km2_basis: AreaBasis,
    pub previous: Option<Count>,
    pub change: Option<i64>,
    pub change_pct: Option<f64>,
    pub p_value: Option<f64>,
    /// The change's p-value adjusted (Benjamini-Hochberg) over every row of the same source and
    /// year: about 5 of 100 changes pass p < 0.05 by chance alone, far fewer pass q < 0.05.
    pub q_value: Option<f64>,
    pub ratio_to_city: Option<f64>,
    pub rank: Option<usize>,
    /// How many areas were ranked.
    pub ranked: usize,
}

/// Sets each row's q-value: Benjamini-Hochberg over the p-values of its source (rows without a
/// p-value take no part).
pub fn adjust_for_many_tests(rows: &mut [Indicator]) {
    let sources: std::collections::BTreeSet<String> = rows.iter().map(|r| r.source.clone()).collect();
    for source in sources {
        let tested: Vec<usize> = (0..rows.len()).filter(|&i| rows[i].source == source && rows[i].p_value.is_some()).collect();
        let q = super::fdr::benjamini_hochberg(&tested.iter().map(|&i| rows[i].p_value.unwrap_or(1.0)).collect::<Vec<_>>());
        for (i, q) in tested.into_iter().zip(q) {
            rows[i].q_value = Some(q);
        }
    }
}

/// Indicators for every area and source in `year`.
pub fn indicators(areas: &[AreaInfo], tallies: &Tallies, sources: &[String], year: i32) -> Vec<Indicator> {
    let empty = Tally::default();
    let tally = |code: &str, source: &str, y: i32| tallies.get(&(code.to_string(), source.to_string(), y)).unwrap_or(&empty);
    let mut out = Vec::new();
    for source in sources {
        let populated: Vec<&AreaInfo> = areas.iter().filter(|a| a.population.is_some_and(|p| p > 0.0)).collect();
        let city_count: f64 = populated.iter().map(|a| tally(&a.code, source, year).total.estimate).sum();
        let city_population: f64 = populated.iter().filter_map(|a| a.population).sum();
        let city_rate = (city_population > 0.0).then(|| city_count / city_population * 1000.0);
        let mut rows: Vec<Indicator> = areas
            .iter()
            .map(|a| {
                let now = tally(&a.code, source, year);
                let before = tally(&a.code, source, year - 1);
                let rate = a.population.filter(|p| *p > 0.0).map(|p| now.total.estimate / p * 1000.0);
                let change = now.total.estimate - before.total.estimate;
                let exact = now.total.is_exact() && before.total.is_exact();
                Indicator {
                    code: a.code.clone(),
                    name: a.name.clone(),
                    bydel: a.bydel.clone(),
                    source: source.clone(),
                    year,
                    count: Count::of(now.total),
                    categories: now.categories.iter().map(|(c, n)| (c.clone(), Count::of(*n))).collect(),
                    population: a.population,
                    rate_per_1000: rate,
                    rate_per_1000_ci95: a.population.filter(|p| *p > 0.0 && !now.total.is_exact()).map(|p| {
                        let (low, high) = now.total.interval();
                        [low as f64 / p * 1000.0, high as f64 / p * 1000.0]
                    }),
                    per_km2: (a.area_km2 > 0.0).then(|| now.total.estimate / a.area_km2),
                    km2_basis: a.km2_basis,
                    previous: Some(Count::of(before.total)),
                    change: Some(change.round() as i64),
                    // A change in per cent of an estimate that may be zero says nothing.
                    change_pct: (before.total.estimate > 0.0 && !before.total.may_be_zero()).then(|| change / before.total.estimate * 100.0),
                    // The exact Poisson test holds for exact counts only.
                    p_value: exact.then(|| rate_change_p(before.total.shown(), now.total.shown())),
                    q_value: None,
                    ratio_to_city: rate.zip(city_rate).filter(|(_, c)| *c > 0.0).map(|(r, c)| r / c),
                    rank: None,
                    ranked: 0,
                }
            })
            .collect();
        rank_by_rate(&mut rows);
        out.extend(rows);
    }
    out
}

/// Ranks areas by rate, highest first; equal rates share the best rank of the tie ("1, 2, 2,
/// 4"), so two areas with the same figure are never told apart by their order in a file.
fn rank_by_rate(rows: &mut [Indicator]) {
    let mut order: Vec<usize> = (0..rows.len()).filter(|&i| rows[i].rate_per_1000.is_some()).collect();
    order.sort_by(|&a, &b| rows[b].rate_per_1000.partial_cmp(&rows[a].rate_per_1000).unwrap_or(std::cmp::Ordering::Equal));
    let ranked = order.len();
    let mut previous: Option<(f64, usize)> = None;
    for (position, i) in order.into_iter().enumerate() {
        let rate = rows[i].rate_per_1000.unwrap_or_default();
        let rank = match previous {
            Some((last, rank)) if last == rate => rank,
            _ => position + 1,
        };
        previous = Some((rate, rank));
        rows[i].rank = Some(rank);
    }
    for row in rows.iter_mut() {
        row.ranked = ranked;
    }
}

/// Sums area indicators into their bydel (areas without a bydel are left out).
/// `names` gives each bydel code its name (from the bydeler layer, when imported).
pub fn bydel_totals(areas: &[AreaInfo], names: &BTreeMap<String, String>, tallies: &Tallies, sources: &[String], year: i32) -> Vec<Indicator> {
    let mut bydeler: BTreeMap<String, AreaInfo> = BTreeMap::new();
    let mut summed = Tallies::new();
    for a in areas {
        let Some(bydel) = &a.bydel else { continue };
        let entry = bydeler.entry(bydel.clone()).or_insert_with(|| AreaInfo {
            code: bydel.clone(),
            name: names.get(bydel).cloned(),
            bydel: Some(bydel.clone()),
            population: Some(0.0),
            area_km2: 0.0,
            km2_basis: a.km2_basis,
        });
        entry.area_km2 += a.area_km2;
        entry.population = Some(entry.population.unwrap_or(0.0) + a.population.unwrap_or(0.0));
        for source in sources {
            for y in [year - 1, year] {
                if let Some(t) = tallies.get(&(a.code.clone(), source.clone(), y)) {
                    let sum = summed.entry((bydel.clone(), source.clone(), y)).or_default();
                    // Delbydeler of one bydel are estimated with covariance ≤ 0, so adding
                    // their variances can only overstate the bydel's.
                    sum.total += t.total;
                    for (c, n) in &t.categories {
                        *sum.categories.entry(c.clone()).or_default() += *n;
                    }
                }
            }
        }
    }
    let bydeler: Vec<AreaInfo> = bydeler.into_values().collect();
    indicators(&bydeler, &summed, sources, year)
}

impl Redact for Indicator {
    /// Below k, the count shows as "<k" and every value that would reveal it (rate, density,
    /// change, p-value, ratio, rank) is blanked; likewise when the previous year's count is
    /// suppressed, the change is blanked.
    fn redact(&mut self, policy: &Policy) {
        self.count = policy.shown(self.count);
        for n in self.categories.values_mut() {
            *n = policy.shown(*n);
        }
        self.previous = self.previous.map(|p| policy.shown(p));
        if self.count.is_suppressed() {
            self.rate_per_1000 = None;
            self.rate_per_1000_ci95 = None;
            self.per_km2 = None;
            self.ratio_to_city = None;
            self.rank = None;
        }
        if self.count.is_suppressed() || self.previous.is_some_and(Count::is_suppressed) {
            self.change = None;
            self.change_pct = None;
            self.p_value = None;
            self.q_value = None;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::privacy::Role;

    fn area(code: &str, bydel: &str, population: f64, km2: f64) -> AreaInfo {
        AreaInfo { code: code.into(), name: None, bydel: Some(bydel.into()), population: Some(population), area_km2: km2, km2_basis: AreaBasis::Total }
    }

    fn tallies(rows: &[(&str, i32, u64)]) -> Tallies {
        rows.iter()
            .map(|(code, year, n)| {
                (
                    (code.to_string(), "police".to_string(), *year),
                    Tally { total: Figure::exact(*n), categories: [("drugs".to_string(), Figure::exact(*n))].into() },
                )
            })
            .collect()
    }

    #[test]
    fn equal_rates_share_a_rank_and_bydeler_carry_their_names() {
        let areas = [area("0101", "01", 1000.0, 1.0), area("0102", "01", 2000.0, 1.0), area("0201", "02", 1000.0, 1.0), area("0202", "02", 1000.0, 1.0)];
        // Rates per 1,000: 0101 10, 0102 10, 0201 20, 0202 5.
        let t = tallies(&[("0101", 2024, 10), ("0102", 2024, 20), ("0201", 2024, 20), ("0202", 2024, 5)]);
        let rows = indicators(&areas, &t, &["police".to_string()], 2024);
        let ranks: Vec<(&str, Option<usize>)> = rows.iter().map(|r| (r.code.as_str(), r.rank)).collect();
        assert_eq!(ranks, [("0101", Some(2)), ("0102", Some(2)), ("0201", Some(1)), ("0202", Some(4))]);
        let names: BTreeMap<String, String> = [("01".to_string(), "Gamle Oslo".to_string())].into();
        let bydeler = bydel_totals(&areas, &names, &t, &["police".to_string()], 2024);
        assert_eq!(bydeler.iter().map(|r| r.name.as_deref()).collect::<Vec<_>>(), [Some("Gamle Oslo"), None]);
    }

    #[test]
    fn rates_changes_ratios_and_ranks_follow_from_the_counts() {
        let areas = [area("0101", "01", 2000.0, 0.5), area("0102", "01", 8000.0, 2.0), area("0201", "02", 0.0, 1.0)];
        let t = tallies(&[("0101", 2024, 30), ("0101", 2023, 20), ("0102", 2024, 40), ("0102", 2023, 40), ("0201", 2024, 3)]);
        let rows = indicators(&areas, &t, &["police".into()], 2024);
        let a = &rows[0];
        assert_eq!(a.rate_per_1000, Some(15.0)); // 30 / 2000 * 1000
        assert_eq!(a.per_km2, Some(60.0));
        assert_eq!((a.change, a.change_pct), (Some(10), Some(50.0)));
        // City rate: 70 / 10 000 * 1000 = 7 → 15 / 7.
        assert!((a.ratio_to_city.unwrap() - 15.0 / 7.0).abs() < 1e-12);
        assert_eq!((a.rank, rows[1].rank, rows[2].rank), (Some(1), Some(2), None));
        assert_eq!(rows[2].rate_per_1000, None);
        assert_eq!(a.ranked, 2);
        let bydel = bydel_totals(&areas, &BTreeMap::new(), &t, &["police".into()], 2024);
        assert_eq!(bydel[0].count, Count::Exact(70));
        assert_eq!(bydel[0].rate_per_1000, Some(7.0));
    }

    #[test]
    fn an_estimated_count_gives_its_rate_an_interval_and_an_exact_one_none() {
        let areas = [area("0101", "01", 2000.0, 0.5)];
        let mut t = tallies(&[("0101", 2024, 30)]);
        let exact = indicators(&areas, &t, &["police".into()], 2024);
        assert_eq!(exact[0].rate_per_1000_ci95, None);
        // 30 ± 1.96·3: whole numbers 25-35 → 12.5-17.5 per 1,000 of 2,000 residents.
        t.values_mut().for_each(|tally| tally.total = Figure::new(30.0, 9.0));
        let estimated = indicators(&areas, &t, &["police".into()], 2024);
        assert_eq!(estimated[0].rate_per_1000_ci95, Some([12.5, 17.5]));
        assert_eq!(estimated[0].rate_per_1000, Some(15.0));
    }

    #[test]
    fn the_public_sees_small_counts_as_below_k_and_nothing_derived_from_them() {
        let areas = [area("0101", "01", 2000.0, 0.5)];
        let t = tallies(&[("0101", 2024, 3), ("0101", 2023, 9)]);
        let rows = indicators(&areas, &t, &["police".into()], 2024);
        let public = Policy::new(Role::Public, 5).apply(rows.clone());
        let json = serde_json::to_value(&public[0]).unwrap();
        assert_eq!(json["count"], "<5");
        assert_eq!(json["categories"]["drugs"], "<5");
        assert_eq!(json["previous"], 9);
        for blank in ["rate_per_1000", "per_km2", "change", "p_value", "q_value", "ratio_to_city", "rank"] {
            assert!(json[blank].is_null(), "{blank} leaks a suppressed count: {json}");
        }
        let analyst = Policy::new(Role::Analyst, 5).apply(rows);
        assert_eq!(serde_json::to_value(&analyst[0]).unwrap()["count"], 3);
    }
}
