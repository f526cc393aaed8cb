//! The public release: every figure the public sees, computed once, with noise, for fixed units.
//!
//! Suppressing each answer on its own cannot hold while callers choose centres, radii, cell sizes
//! and years: two overlapping answers differ by a few incidents, and the difference is exact.
//! So the public never reads incidents. `bomiljo release build` counts them once for units fixed
//! in advance (the city, every bydel, every delbydel, every 250 m SSB cell, and per delbydel
//! every category and every month), per source and year, adds discrete Gaussian noise
//! ([`mechanism`]), and estimates every unit from all the measurements by generalised least
//! squares over the hierarchy ([`gls`]): unbiased for every unit and every sum of units, with the
//! variance of that sum ([`crate::figure::Figure`]). The noisy measurements are stored beside the
//! estimates. Rounds and ρ are kept in an append-only ledger ([`ledger`]). Every public output (tables, series, heat maps, hot spots, tiles,
//! the neighbour-dialogue sheet, the incident factor of public scores) is computed from the
//! stored release, so asking again, or with other parameters, reveals nothing new.
//!
//! The guarantee is ρ-zero-concentrated differential privacy per incident: an incident is
//! counted in one table of each level for its own source and year, and the levels' ρ add up to
//! the budget `[release] rho_per_source_year` in `bomiljo.toml`. See PRIVACY.md.

pub mod before_after;
mod build;
pub mod gls;
pub mod ledger;
pub mod mechanism;
mod publish;
pub mod units;

use std::collections::BTreeMap;
use std::sync::Arc;

use serde::{Deserialize, Serialize};

pub use build::{BuildInput, BuildReport, ReleaseArea, build};
pub use publish::{Cost, Published, ReleaseError, cost_lines, current, first_or_newest, for_reading, input, is_stale, latest, pending, publish};

use build::Scales;
use units::{Unit, Units};

use crate::figure::Figure;
use crate::spatial::SsbCell;
use crate::store::release::{ReleasedRow, StoredRelease};
use before_after::Effect;

pub use crate::config::budget::{Budget, Shares};

/// One level of the release, with its noise scale and what it means in plain words.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct LevelAccuracy {
    pub level: String,
    pub rho: f64,
    pub sigma: f64,
    /// A released count of this level is within ± this of the recorded one in 95 of 100 cases
    /// (before the non-negativity and totals adjustments, which only move it closer on average).
    pub within_95: u64,
}

/// The one public before/after result: fixed radius and years, all sites pooled, computed from
/// released cells, rounded to 5 percentage points. Published only when at least k sites
/// contribute; the number of sites is never shown.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct PublicBeforeAfter {
    pub radius_m: f64,
    pub years: i32,
    pub effect: Option<Effect>,
    pub conclusion_nb: String,
    pub conclusion_en: String,
}

/// What a release says about itself (stored as JSON with it).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ReleaseSettings {
    pub budget: Budget,
    pub levels: Vec<LevelAccuracy>,
    /// The span of years released per source.
    pub years: BTreeMap<String, (i32, i32)>,
    pub categories: BTreeMap<String, Vec<String>>,
    /// Every delbydel and its bydel ("" when unknown).
    pub areas: BTreeMap<String, String>,
    pub before_after: PublicBeforeAfter,
    /// The ρ all measurements of one source-year may spend together.
    #[serde(default)]
    pub cap: f64,
    /// Sources whose incidents carry a person key, each key counted at most `max_per_key` times
    /// per source-year.
    #[serde(default)]
    pub keyed: Vec<String>,
    #[serde(default)]
    pub max_per_key: u32,
}

/// Per source-year: how many times it was measured, and the budget spent in all.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Spent {
    /// Hash of the true tallies and the budget when last measured (never published).
    pub hash: String,
    /// The round of the measurement the release shows (rounds only ever grow; see [`ledger`]).
    pub rounds: u32,
    /// ρ spent over every round ever measured.
    pub rho: f64,
    /// The budget the shown measurement was made at (it sets the figures' variances).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub budget: Option<Budget>,
    /// The source-year changed after its cap was reached: it shows its last published figures.
    #[serde(default)]
    pub frozen: bool,
}

/// Released estimates of one source and year: the noisy measurement and the GLS estimate of every
/// unit of its tree ([`units`]).
#[derive(Clone, Debug)]
pub struct SourceYear {
    units: Arc<Units>,
    measured: Vec<f64>,
    estimate: Vec<f64>,
}

/// A release as loaded by the server: versioned, immutable.
#[derive(Clone, Debug)]
pub struct Release {
    pub version: i64,
    pub built_at: String,
    pub settings: ReleaseSettings,
    pub spent: BTreeMap<String, Spent>,
    tables: BTreeMap<(String, i32), SourceYear>,
}

/// The accuracy sentence and what is said of frozen source-years, in bokmål and English.
const ACCURACY_NB: (&str, &str) = (
    "Tallene er fra offentlig utgivelse nr. {version} og er gjort usikre med vilje for å verne personvernet. Hvert tall vises med et intervall som inneholder det registrerte tallet i 95 av 100 tilfeller; «0–7» betyr at tallene ikke kan skille stedet fra et sted uten hendelser.",
    "Personvernbudsjettet er brukt opp for {frozen}: de viser sist publiserte tall.",
);
const ACCURACY_EN: (&str, &str) = (
    "Figures come from public release no. {version} and carry deliberate noise to protect privacy. Each figure is shown with an interval that holds the recorded count in 95 of 100 cases; \"0–7\" means the figures cannot tell the place from one without incidents.",
    "The privacy budget is used up for {frozen}: they show their last published figures.",
);

/// The key of a source-year in [`Release::spent`].
pub fn source_year_key(source: &str, year: i32) -> String {
    format!("{source}:{year}")
}

impl Release {
    /// Assembles a release from its stored form (the tree of each source-year is rebuilt from
    /// the areas, the cell pieces and the categories).
    pub fn from_stored(stored: StoredRelease) -> Result<Release, ReleaseError> {
        let settings: ReleaseSettings = serde_json::from_str(&stored.settings)?;
        let spent: BTreeMap<String, Spent> = serde_json::from_str(&stored.spent)?;
        let mut rows: BTreeMap<(String, i32), Vec<ReleasedRow>> = BTreeMap::new();
        for row in stored.rows {
            rows.entry((row.source.clone(), row.year)).or_default().push(row);
        }
        let mut trees = Trees::new(&settings);
        let mut tables = BTreeMap::new();
        for ((source, year), rows) in rows {
            let pieces: Vec<(SsbCell, String)> =
                rows.iter().filter(|r| r.level == "cell").filter_map(|r| Some((SsbCell::from_id(r.unit.parse().ok()?), r.detail.clone()))).collect();
            let budget = spent.get(&source_year_key(&source, year)).and_then(|s| s.budget).unwrap_or(settings.budget);
            let units = trees.get(&source, &pieces, &budget);
            let mut measured = vec![f64::NAN; units.units.len()];
            for row in &rows {
                let Some(node) = Unit::parse(row.level, &row.unit, &row.detail).and_then(|u| units.node(&u)) else {
                    return Err(ReleaseError::Outdated(format!(
                        "{source} {year}: a stored unit ({} {} {}) is not in the release's tree",
                        row.level, row.unit, row.detail
                    )));
                };
                measured[node] = row.measured;
            }
            if measured.iter().any(|m| m.is_nan()) {
                return Err(ReleaseError::Outdated(format!("{source} {year} lacks the noisy measurements of some units (built by an older bomiljo)")));
            }
            let estimate = units.tree.estimate(&measured);
            tables.insert((source, year), SourceYear { units, measured, estimate });
        }
        Ok(Release { version: stored.version, built_at: stored.built_at, settings, spent, tables })
    }

    /// The stored form of the release.
    pub fn rows(&self) -> Vec<ReleasedRow> {
        self.tables.iter().flat_map(|((source, year), table)| table.rows(source, *year)).collect()
    }

    /// Every released unit's figure (the estimate with its exact variance, never the noisy
    /// measurement), source-year by source-year, for the bulk download: source, year, level, unit,
    /// detail (a category, a month, or a cell's delbydel) and the figure.
    pub fn figures(&self) -> impl Iterator<Item = (&str, i32, &'static str, String, String, Figure)> + '_ {
        self.tables.iter().flat_map(|((source, year), table)| {
            table.units.units.iter().enumerate().map(move |(n, unit)| {
                let (code, detail) = unit.address();
                (source.as_str(), *year, unit.level(), code, detail, table.sum([n]))
            })
        })
    }

    /// Released sources, in configuration order of their first appearance.
    pub fn sources(&self) -> Vec<String> {
        self.settings.years.keys().cloned().collect()
    }

    /// The first and last released year of a source, or of all sources.
    pub fn years(&self, source: Option<&str>) -> Option<(i32, i32)> {
        self.settings
            .years
            .iter()
            .filter(|(s, _)| source.is_none_or(|want| want == s.as_str()))
            .map(|(_, span)| *span)
            .reduce(|(a, b), (c, d)| (a.min(c), b.max(d)))
    }

    /// The released counts of a source and year; `None` when the source has no data that year
    /// ("ingen data", not zero).
    pub fn table(&self, source: &str, year: i32) -> Option<&SourceYear> {
        self.tables.get(&(source.to_string(), year))
    }

    /// The source-years a figure over `sources` (all when empty) and `years` adds up.
    pub fn tables_in<'a>(&'a self, sources: &'a [String], (from, to): (i32, i32)) -> impl Iterator<Item = (&'a (String, i32), &'a SourceYear)> + 'a {
        self.tables.iter().filter(move |((source, year), _)| (from..=to).contains(year) && (sources.is_empty() || sources.contains(source)))
    }

    /// Estimated cell counts summed over sources and a span of years (a cell split by delbydel
    /// borders sums its pieces). Estimates are unbiased, so they may be below zero.
    pub fn cell_counts(&self, sources: &[String], years: (i32, i32)) -> BTreeMap<SsbCell, f64> {
        let mut out: BTreeMap<SsbCell, f64> = BTreeMap::new();
        for (_, table) in self.tables_in(sources, years) {
            for (cell, _, n) in table.pieces() {
                *out.entry(cell).or_default() += n;
            }
        }
        out
    }

    /// Estimated counts of the cells `keep` picks, with the variance of each (its pieces in every
    /// source-year).
    pub fn cell_figures(&self, sources: &[String], years: (i32, i32), keep: impl Fn(SsbCell) -> bool) -> BTreeMap<SsbCell, Figure> {
        let mut out: BTreeMap<SsbCell, Figure> = BTreeMap::new();
        for (_, table) in self.tables_in(sources, years) {
            let mut nodes: BTreeMap<SsbCell, Vec<usize>> = BTreeMap::new();
            for (node, unit) in table.units.units.iter().enumerate() {
                if let Unit::Piece(cell, _) = unit {
                    if keep(*cell) {
                        nodes.entry(*cell).or_default().push(node);
                    }
                }
            }
            for (cell, nodes) in nodes {
                *out.entry(cell).or_default() += table.sum(nodes);
            }
        }
        out
    }

    /// Source-years past their cap, which show their last published figures.
    pub fn frozen(&self) -> Vec<&str> {
        self.spent.iter().filter(|(_, s)| s.frozen).map(|(k, _)| k.as_str()).collect()
    }

    /// One plain sentence on accuracy, for every public output: each figure carries its own
    /// interval, so the sentence says what the interval means.
    pub fn accuracy_nb(&self) -> String {
        self.accuracy(ACCURACY_NB)
    }

    pub fn accuracy_en(&self) -> String {
        self.accuracy(ACCURACY_EN)
    }

    fn accuracy(&self, (sentence, frozen): (&str, &str)) -> String {
        let mut text = sentence.replace("{version}", &self.version.to_string());
        if !self.frozen().is_empty() {
            text.push(' ');
            text.push_str(&frozen.replace("{frozen}", &self.frozen().join(", ")));
        }
        text
    }

    /// What the release spent, for the public and the data-protection officer: the privacy unit,
    /// the cap, and per source-year the ρ spent over every measurement, its ε and whether it is
    /// frozen at its last published figures.
    pub fn privacy(&self) -> PrivacySpent {
        let spent = self
            .spent
            .iter()
            .map(|(key, s)| {
                let epsilon = (ledger::epsilon(s.rho, ledger::DELTA) * 100.0).round() / 100.0;
                (key.clone(), SpentShown { rho: s.rho, epsilon, measurements: s.rounds, frozen: s.frozen })
            })
            .collect();
        let m = f64::from(self.settings.max_per_key.max(1));
        let unit = self
            .sources()
            .into_iter()
            .map(|source| {
                let unit = if self.settings.keyed.contains(&source) {
                    format!("one person key: at most {m} incident(s) of one key per year are counted, so a key is protected at {} times the ρ", m * m)
                } else {
                    "one incident: the layer has no person key, and a person behind m incidents of one year is protected at m² times the ρ".to_string()
                };
                (source, unit)
            })
            .collect();
        PrivacySpent {
            unit,
            rho_per_measurement: self.settings.budget.rho_per_source_year,
            cap_rho_per_source_year: self.settings.cap,
            delta: ledger::DELTA,
            conversion: ledger::CONVERSION,
            spent,
        }
    }
}

/// What a release spent on privacy ([`Release::privacy`]).
#[derive(Clone, Debug, Serialize, schemars::JsonSchema)]
pub struct PrivacySpent {
    /// Per source: what one unit of privacy protects (a person key or one incident).
    pub unit: BTreeMap<String, String>,
    /// ρ (zCDP) of one measurement of a source-year.
    pub rho_per_measurement: f64,
    /// The ρ all measurements of one source-year may spend together.
    pub cap_rho_per_source_year: f64,
    /// The δ of the (ε, δ) the ρ is converted to.
    pub delta: f64,
    /// How ρ is converted to ε.
    pub conversion: &'static str,
    /// Per source-year ("source/year").
    pub spent: BTreeMap<String, SpentShown>,
}

/// What one source-year spent over every measurement.
#[derive(Clone, Debug, Serialize, schemars::JsonSchema)]
pub struct SpentShown {
    pub rho: f64,
    /// ε at [`PrivacySpent::delta`].
    pub epsilon: f64,
    /// How many times it was measured.
    pub measurements: u32,
    /// Changed after its cap was reached: it shows its last published figures.
    pub frozen: bool,
}

/// The trees of a release's source-years, shared between those with the same categories, pieces
/// and budget.
struct Trees<'a> {
    settings: &'a ReleaseSettings,
    built: Vec<(String, usize, String, Arc<Units>)>,
}

impl<'a> Trees<'a> {
    fn new(settings: &'a ReleaseSettings) -> Trees<'a> {
        Trees { settings, built: Vec::new() }
    }

    fn get(&mut self, source: &str, pieces: &[(SsbCell, String)], budget: &Budget) -> Arc<Units> {
        let categories = self.settings.categories.get(source).cloned().unwrap_or_default();
        let key = (categories.join("\u{1f}"), pieces.len(), serde_json::to_string(budget).unwrap_or_default());
        if let Some((_, _, _, units)) = self.built.iter().find(|(c, n, b, _)| (c, n, b) == (&key.0, &key.1, &key.2)) {
            return units.clone();
        }
        let scales = Scales::new(budget);
        let units = Arc::new(Units::new(&self.settings.areas, pieces, &categories, |level| scales.of(level).sigma2()));
        self.built.push((key.0, key.1, key.2, units.clone()));
        units
    }
}

impl SourceYear {
    /// Measures every unit with `noisy` and estimates them all.
    pub(crate) fn measure(units: Arc<Units>, noisy: impl Fn(&Unit) -> f64) -> SourceYear {
        let measured: Vec<f64> = units.units.iter().map(noisy).collect();
        let estimate = units.tree.estimate(&measured);
        SourceYear { units, measured, estimate }
    }

    /// The estimate of the sum of these nodes, with its exact variance.
    pub fn sum(&self, nodes: impl IntoIterator<Item = usize>) -> Figure {
        let query: Vec<(usize, f64)> = nodes.into_iter().map(|n| (n, 1.0)).collect();
        Figure::new(query.iter().map(|(n, _)| self.estimate[*n]).sum(), self.units.tree.variance(&query))
    }

    fn unit(&self, unit: &Unit) -> Option<Figure> {
        self.units.node(unit).map(|n| self.sum([n]))
    }

    /// The city's figure.
    pub fn city(&self) -> Figure {
        self.unit(&Unit::City).unwrap_or_default()
    }

    /// A delbydel's or bydel's figure (a bydel code is looked up among the bydeler).
    pub fn area(&self, code: &str) -> Option<Figure> {
        self.unit(&Unit::Delbydel(code.to_string())).or_else(|| self.unit(&Unit::Bydel(code.to_string())))
    }

    /// Every delbydel's figure.
    pub fn delbydeler(&self) -> impl Iterator<Item = (&str, Figure)> + '_ {
        self.units.units.iter().enumerate().filter_map(|(n, u)| match u {
            Unit::Delbydel(code) => Some((code.as_str(), self.sum([n]))),
            _ => None,
        })
    }

    /// A delbydel's figure per category.
    pub fn categories(&self, code: &str) -> BTreeMap<String, Figure> {
        self.nodes(|u| matches!(u, Unit::Category(c, _) if c == code))
            .map(|n| match &self.units.units[n] {
                Unit::Category(_, category) => (category.clone(), self.sum([n])),
                _ => unreachable!("filtered to categories"),
            })
            .collect()
    }

    /// The figure of one category, or of one month, summed over the delbydeler `in_scope` takes.
    pub fn category_in(&self, category: &str, in_scope: impl Fn(&str) -> bool) -> Figure {
        self.sum(self.nodes(|u| matches!(u, Unit::Category(c, k) if k == category && in_scope(c))).collect::<Vec<_>>())
    }

    pub fn month_in(&self, month: u8, in_scope: impl Fn(&str) -> bool) -> Figure {
        self.sum(self.nodes(|u| matches!(u, Unit::Month(c, m) if *m == month && in_scope(c))).collect::<Vec<_>>())
    }

    /// The figure of the cell pieces `take` picks (the sheet's circle).
    pub fn pieces_where(&self, take: impl Fn(SsbCell) -> bool) -> Figure {
        self.sum(self.nodes(|u| matches!(u, Unit::Piece(cell, _) if take(*cell))).collect::<Vec<_>>())
    }

    /// Every SSB cell with a piece in the release.
    pub fn cells(&self) -> std::collections::BTreeSet<SsbCell> {
        self.pieces().map(|(cell, _, _)| cell).collect()
    }

    /// Every cell piece: its cell, its delbydel and its estimate.
    pub fn pieces(&self) -> impl Iterator<Item = (SsbCell, &str, f64)> + '_ {
        self.units.units.iter().zip(&self.estimate).filter_map(|(u, e)| match u {
            Unit::Piece(cell, code) => Some((*cell, code.as_str(), *e)),
            _ => None,
        })
    }

    fn nodes<'a>(&'a self, take: impl Fn(&Unit) -> bool + 'a) -> impl Iterator<Item = usize> + 'a {
        self.units.units.iter().enumerate().filter(move |(_, u)| take(u)).map(|(n, _)| n)
    }

    fn rows(&self, source: &str, year: i32) -> Vec<ReleasedRow> {
        self.units
            .units
            .iter()
            .enumerate()
            .map(|(n, unit)| {
                let (code, detail) = unit.address();
                ReleasedRow {
                    source: source.to_string(),
                    year,
                    level: unit.level(),
                    unit: code,
                    detail,
                    measured: self.measured[n],
                    estimate: self.estimate[n],
                }
            })
            .collect()
    }
}
