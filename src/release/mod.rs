//! The public release: every figure the public sees, computed once, with noise, for fixed units.
//!
//! Suppressing each answer on its own cannot hold while callers choose centres, radii, cell sizes
//! and years: two overlapping answers differ by a few incidents, and the difference is exact.
//! So the public never reads incidents. `bomiljo release build` counts them once for units fixed
//! in advance (the city, every bydel, every delbydel, every 250 m SSB cell, and per delbydel
//! every category and every month), per source and year, adds discrete Gaussian noise
//! ([`mechanism`]), and makes the counts non-negative integers whose parts add up to their
//! totals ([`consistency`]). Every public output (tables, series, heat maps, hot spots, tiles,
//! the neighbour-dialogue sheet, the incident factor of public scores) is computed from the
//! stored release, so asking again, or with other parameters, reveals nothing new.
//!
//! The guarantee is ρ-zero-concentrated differential privacy per incident: an incident is
//! counted in one table of each level for its own source and year, and the levels' ρ add up to
//! the budget `[release] rho_per_source_year` in `bomiljo.toml`. See PRIVACY.md.

mod build;
pub mod consistency;
pub mod mechanism;
mod publish;

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

pub use build::{build, BuildInput, BuildReport, ReleaseArea};
pub use publish::{current, is_stale, latest, publish, Published, ReleaseError};

use crate::measurement::Effect;
use crate::spatial::SsbCell;
use crate::store::release::{ReleasedRow, StoredRelease};

/// How the budget of a source-year is shared between the levels an incident is counted in.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Shares {
    pub city: f64,
    pub bydel: f64,
    pub delbydel: f64,
    pub cell: f64,
    pub category: f64,
    pub month: f64,
}

impl Shares {
    pub fn total(&self) -> f64 {
        self.city + self.bydel + self.delbydel + self.cell + self.category + self.month
    }
}

/// The privacy budget: ρ (zCDP) per source and year, and its split between levels.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Budget {
    pub rho_per_source_year: f64,
    pub shares: Shares,
    /// The fixed parameters of the one public before/after result.
    pub before_after_radius_m: f64,
    pub before_after_years: i32,
}

/// One level of the release, with its noise scale and what it means in plain words.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
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
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
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
}

/// Per source-year: how many builds measured it afresh, and the budget spent in all.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Spent {
    /// Hash of the true tallies and the budget when last measured (never published).
    pub hash: String,
    pub rounds: u32,
    /// ρ spent over every round.
    pub rho: f64,
}

/// Released counts of one source and year.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct SourceYear {
    pub city: u64,
    pub bydel: BTreeMap<String, u64>,
    pub delbydel: BTreeMap<String, u64>,
    /// Delbydel → category → count.
    pub category: BTreeMap<String, BTreeMap<String, u64>>,
    /// Delbydel → count per month (January first).
    pub month: BTreeMap<String, [u64; 12]>,
    /// Every SSB cell of the city, zeros included.
    pub cells: BTreeMap<SsbCell, u64>,
}

/// A release as loaded by the server: versioned, immutable.
#[derive(Clone, Debug, PartialEq)]
pub struct Release {
    pub version: i64,
    pub built_at: String,
    pub settings: ReleaseSettings,
    pub spent: BTreeMap<String, Spent>,
    tables: BTreeMap<(String, i32), SourceYear>,
}

/// The key of a source-year in [`Release::spent`].
pub fn source_year_key(source: &str, year: i32) -> String {
    format!("{source}:{year}")
}

impl Release {
    /// Assembles a release from its stored form.
    pub fn from_stored(stored: StoredRelease) -> Result<Release, serde_json::Error> {
        let settings: ReleaseSettings = serde_json::from_str(&stored.settings)?;
        let spent = serde_json::from_str(&stored.spent)?;
        let mut tables: BTreeMap<(String, i32), SourceYear> = BTreeMap::new();
        for row in stored.rows {
            let table = tables.entry((row.source.clone(), row.year)).or_default();
            table.insert(&row);
        }
        Ok(Release { version: stored.version, built_at: stored.built_at, settings, spent, tables })
    }

    /// The stored form of the counts.
    pub fn rows(&self) -> Vec<ReleasedRow> {
        self.tables.iter().flat_map(|((source, year), table)| table.rows(source, *year)).collect()
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

    /// Released cell counts summed over sources and a span of years.
    pub fn cell_counts(&self, sources: &[String], (from, to): (i32, i32)) -> BTreeMap<SsbCell, u64> {
        let mut out: BTreeMap<SsbCell, u64> = BTreeMap::new();
        for ((source, year), table) in &self.tables {
            if (from..=to).contains(year) && (sources.is_empty() || sources.contains(source)) {
                for (cell, n) in &table.cells {
                    *out.entry(*cell).or_default() += n;
                }
            }
        }
        out
    }

    /// One plain sentence on accuracy, for every public output.
    /// A level's 95 % half-width (0 for an unknown level).
    fn within_95(&self, level: &str) -> u64 {
        self.settings.levels.iter().find(|l| l.level == level).map_or(0, |l| l.within_95)
    }

    pub fn accuracy_nb(&self) -> String {
        format!(
            "Tallene er fra offentlig utgivelse nr. {} og er gjort usikre med vilje for å verne personvernet: et tall for en delbydel og et år ligger innenfor ±{} av det registrerte i 95 av 100 tilfeller, et tall for en rute på 250 m innenfor ±{}.",
            self.version,
            self.within_95("delbydel"),
            self.within_95("cell")
        )
    }

    pub fn accuracy_en(&self) -> String {
        format!(
            "Figures come from public release no. {} and carry deliberate noise to protect privacy: a delbydel-year count is within ±{} of the recorded one in 95 of 100 cases, a 250 m cell count within ±{}.",
            self.version,
            self.within_95("delbydel"),
            self.within_95("cell")
        )
    }

    /// The metadata every public JSON answer carries.
    pub fn about(&self) -> serde_json::Value {
        serde_json::json!({
            "release": self.version,
            "built_at": self.built_at,
            "accuracy_nb": self.accuracy_nb(),
            "accuracy_en": self.accuracy_en(),
        })
    }
}

impl SourceYear {
    fn insert(&mut self, row: &ReleasedRow) {
        match row.level {
            "city" => self.city = row.count,
            "bydel" => {
                self.bydel.insert(row.unit.clone(), row.count);
            }
            "delbydel" => {
                self.delbydel.insert(row.unit.clone(), row.count);
            }
            "category" => {
                self.category.entry(row.unit.clone()).or_default().insert(row.detail.clone(), row.count);
            }
            "month" => {
                if let Some(m) = row.detail.parse::<usize>().ok().filter(|m| (1..=12).contains(m)) {
                    self.month.entry(row.unit.clone()).or_default()[m - 1] = row.count;
                }
            }
            "cell" => {
                if let Ok(id) = row.unit.parse() {
                    self.cells.insert(SsbCell::from_id(id), row.count);
                }
            }
            _ => {}
        }
    }

    fn rows(&self, source: &str, year: i32) -> Vec<ReleasedRow> {
        let row = |level: &'static str, unit: String, detail: String, count: u64| ReleasedRow { source: source.to_string(), year, level, unit, detail, count };
        let mut out = vec![row("city", String::new(), String::new(), self.city)];
        out.extend(self.bydel.iter().map(|(c, n)| row("bydel", c.clone(), String::new(), *n)));
        out.extend(self.delbydel.iter().map(|(c, n)| row("delbydel", c.clone(), String::new(), *n)));
        for (code, categories) in &self.category {
            out.extend(categories.iter().map(|(cat, n)| row("category", code.clone(), cat.clone(), *n)));
        }
        for (code, months) in &self.month {
            out.extend(months.iter().enumerate().map(|(m, n)| row("month", code.clone(), (m + 1).to_string(), *n)));
        }
        out.extend(self.cells.iter().map(|(cell, n)| row("cell", cell.id().to_string(), String::new(), *n)));
        out
    }

    /// A delbydel's or bydel's released count (a bydel code is looked up among the bydeler).
    pub fn area(&self, code: &str) -> Option<u64> {
        self.delbydel.get(code).or_else(|| self.bydel.get(code)).copied()
    }
}
