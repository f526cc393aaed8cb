//! Building a release: measure every count of every fixed unit with noise, then fit the levels
//! together from the city down (city → bydeler → delbydeler → cells, categories, months).
//!
//! Noise is drawn from a generator keyed by the database's secret, the budget, the source-year's
//! round of measurement and the count's address, never by the data. Rebuilding after a late
//! import therefore repeats the noise (and the figures) of every source-year whose tallies did not
//! change, so averaging releases cancels nothing; a source-year whose tallies changed is measured
//! afresh as a whole (every count new noise, so which counts changed stays hidden) and charged one
//! more round of its budget.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use geo::{BoundingRect, Intersects, MultiPolygon, Rect};
use rand::SeedableRng;
use rand_chacha::ChaCha20Rng;
use sha2::{Digest, Sha256};

use super::before_after::Effect;
use super::ledger::{Decision, Entry, decide};
use super::mechanism::DiscreteGaussian;
use super::units::{Unit, Units};
use super::{Budget, LevelAccuracy, PublicBeforeAfter, Release, ReleaseSettings, SourceYear, Spent, source_year_key};
use crate::analysis::did::{did_estimated, pooled};
use crate::figure::Figure;
use crate::spatial::{SSB_CELL_M, SsbCell, SsbProjection};
use crate::store::queries::HousingSite;
use crate::store::release::Tally;

/// A delbydel as the release needs it.
pub struct ReleaseArea {
    pub code: String,
    /// Its bydel ("" when unknown).
    pub bydel: String,
    /// EPSG:25832.
    pub polygon: MultiPolygon<f64>,
}

/// Everything a build reads.
pub struct BuildInput {
    pub areas: Vec<ReleaseArea>,
    pub tallies: Vec<Tally>,
    pub years: BTreeMap<String, (i32, i32)>,
    /// The categories each source's layer declares (empty: no category table).
    pub categories: BTreeMap<String, Vec<String>>,
    pub housing: Vec<HousingSite>,
    pub secret: [u8; 32],
    pub budget: Budget,
    /// The ρ all measurements of one source-year may spend together.
    pub cap: f64,
    /// Sources whose incidents carry a person key, and how many of one key's count per year.
    pub keyed: Vec<String>,
    pub max_per_key: u32,
    /// The ledger: every earlier measurement per source-year key.
    pub ledger: BTreeMap<String, Vec<Entry>>,
    /// The newest stored release (a frozen source-year keeps its figures from it).
    pub previous: Option<Release>,
    pub k: u32,
}

/// A built release, ready to store.
pub struct BuildReport {
    pub settings: ReleaseSettings,
    pub spent: BTreeMap<String, Spent>,
    pub tables: BTreeMap<(String, i32), SourceYear>,
    /// Source-years measured afresh in this build, with their new ledger entries.
    pub measured: Vec<(String, i32, Entry)>,
}

/// One source-year to measure: its source, year, tallies, round and tree.
type Job<'a> = (&'a str, i32, &'a [Tally], u32, Arc<Units>);

/// Builds a release from raw tallies.
pub fn build(input: &BuildInput) -> BuildReport {
    let projection = SsbProjection::new();
    let pieces = pieces(&input.areas, &projection);
    let piece_units: Vec<(SsbCell, String)> = pieces.iter().map(|(cell, i)| (*cell, input.areas[*i].code.clone())).collect();
    let area_codes: BTreeMap<String, String> = input.areas.iter().map(|a| (a.code.clone(), a.bydel.clone())).collect();
    let scales = Scales::new(&input.budget);
    let mut trees: BTreeMap<&str, Arc<Units>> = BTreeMap::new();
    let mut spent = BTreeMap::new();
    let mut measured = Vec::new();
    let by_source_year = group_tallies(&input.tallies);
    let budget_tag = serde_json::to_string(&input.budget).unwrap_or_default();
    // What each source-year is measured from, and in which round; frozen ones are copied.
    let mut jobs: Vec<Job> = Vec::new();
    let mut tables: BTreeMap<(String, i32), SourceYear> = BTreeMap::new();
    for (source, &(first, last)) in &input.years {
        let categories = input.categories.get(source).map_or(&[][..], Vec::as_slice);
        let units =
            trees.entry(source.as_str()).or_insert_with(|| Arc::new(Units::new(&area_codes, &piece_units, categories, |l| scales.of(l).sigma2()))).clone();
        for year in first..=last {
            let tallies = by_source_year.get(&(source.clone(), year)).map_or(&[][..], Vec::as_slice);
            let key = source_year_key(source, year);
            let hash = tally_hash(tallies, &input.budget);
            let history = input.ledger.get(&key).map_or(&[][..], Vec::as_slice);
            let (decision, rho) = decide(history, &hash, input.budget.rho_per_source_year, input.cap);
            let round = match decision {
                Decision::Repeat(round) => round,
                Decision::Measure(round) => {
                    measured.push((source.clone(), year, Entry { round, rho: input.budget.rho_per_source_year, hash: hash.clone() }));
                    round
                }
                Decision::Frozen => {
                    let kept =
                        input.previous.as_ref().and_then(|p| Some((p.table(source, year)?, p.spent.get(&key)?))).filter(|(t, _)| t.units.units == units.units);
                    if let Some((table, before)) = kept {
                        tables.insert((source.clone(), year), table.clone());
                        spent.insert(key, Spent { rho, frozen: true, ..before.clone() });
                    } else {
                        // Nothing published to keep (or the areas changed): withheld.
                        spent.insert(key, Spent { hash: String::new(), rounds: 0, rho, budget: None, frozen: true });
                    }
                    continue;
                }
            };
            jobs.push((source, year, tallies, round, units.clone()));
            spent.insert(key, Spent { hash, rounds: round, rho, budget: Some(input.budget), frozen: false });
        }
    }
    // Source-years are independent: measure them on every core.
    let workers = std::thread::available_parallelism().map_or(1, usize::from).min(jobs.len()).max(1);
    let fresh: Vec<((String, i32), SourceYear)> = std::thread::scope(|scope| {
        let handles: Vec<_> = jobs
            .chunks(jobs.len().div_ceil(workers).max(1))
            .map(|chunk| {
                let (scales, budget_tag, area_codes) = (&scales, &budget_tag, &area_codes);
                scope.spawn(move || {
                    let projection = SsbProjection::new();
                    chunk
                        .iter()
                        .map(|(source, year, tallies, round, units)| {
                            let measure = Measure { secret: &input.secret, source, year: *year, round: *round, budget: budget_tag, scales };
                            let truth = Truth::count(tallies, area_codes, &projection);
                            ((source.to_string(), *year), SourceYear::measure(units.clone(), |unit| measure.noisy(unit, truth.of(unit))))
                        })
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        handles.into_iter().flat_map(|h| h.join().expect("a release worker panicked")).collect()
    });
    tables.extend(fresh);
    let before_after = public_before_after(input, &pieces, &tables, &projection);
    let settings = ReleaseSettings {
        budget: input.budget,
        levels: scales.accuracy(),
        years: input.years.clone(),
        categories: input.categories.clone(),
        areas: area_codes,
        before_after,
        cap: input.cap,
        keyed: input.keyed.clone(),
        max_per_key: input.max_per_key,
    };
    BuildReport { settings, spent, tables, measured }
}

/// The noise scale of each level.
pub(crate) struct Scales {
    levels: [(&'static str, f64, DiscreteGaussian); 6],
}

impl Scales {
    pub(crate) fn new(b: &Budget) -> Scales {
        let s = b.shares;
        let level = |name, share: f64| (name, share, DiscreteGaussian::for_rho(b.rho_per_source_year * share));
        Scales {
            levels: [
                level("city", s.city),
                level("bydel", s.bydel),
                level("delbydel", s.delbydel),
                level("cell", s.cell),
                level("category", s.category),
                level("month", s.month),
            ],
        }
    }

    pub(crate) fn of(&self, name: &str) -> &DiscreteGaussian {
        &self.levels.iter().find(|l| l.0 == name).expect("every level has a scale").2
    }

    fn accuracy(&self) -> Vec<LevelAccuracy> {
        self.levels
            .iter()
            .map(|(name, _, noise)| LevelAccuracy { level: name.to_string(), rho: noise.rho(), sigma: noise.sigma2().sqrt(), within_95: noise.half_width_95() })
            .collect()
    }
}

/// Draws the noise of one count.
struct Measure<'a> {
    secret: &'a [u8; 32],
    source: &'a str,
    year: i32,
    /// How many times this source-year has been measured: a new round is fresh noise for every
    /// one of its counts (never for some and not others, which would show which ones changed).
    round: u32,
    /// The budget, so that a new budget never reuses (and correlates with) earlier draws.
    budget: &'a str,
    scales: &'a Scales,
}

impl Measure<'_> {
    /// The true count plus noise keyed by (secret, budget, round, address), never by the data.
    fn noisy(&self, unit: &Unit, truth: u64) -> f64 {
        let level = unit.level();
        let (unit, detail) = unit.address();
        let mut hasher = Sha256::new();
        hasher.update(self.secret);
        hasher.update(format!("{}|{}|{}|{}|{level}|{unit}|{detail}", self.budget, self.round, self.source, self.year).as_bytes());
        let mut rng = ChaCha20Rng::from_seed(hasher.finalize().into());
        truth as f64 + self.scales.of(level).sample(&mut rng) as f64
    }
}

/// A piece: the part of an SSB cell inside one delbydel (index into the areas).
type Piece = (SsbCell, usize);

/// Every (cell, delbydel) pair whose square and polygon intersect: fixed by geometry alone, so
/// which units exist says nothing about the data.
fn pieces(areas: &[ReleaseArea], projection: &SsbProjection) -> Vec<Piece> {
    let mut out = Vec::new();
    for (i, area) in areas.iter().enumerate() {
        let Ok(geo::Geometry::MultiPolygon(polygon)) = projection.to_grid().geometry(&geo::Geometry::MultiPolygon(area.polygon.clone())) else {
            continue;
        };
        let Some(bbox) = polygon.bounding_rect() else {
            continue;
        };
        let snap = |v: f64| (v / SSB_CELL_M).floor() * SSB_CELL_M;
        let mut y = snap(bbox.min().y);
        while y < bbox.max().y {
            let mut x = snap(bbox.min().x);
            while x < bbox.max().x {
                let square = Rect::new((x, y), (x + SSB_CELL_M, y + SSB_CELL_M));
                if square.intersects(&polygon) {
                    out.push((SsbCell::containing_utm33(x + 1.0, y + 1.0), i));
                }
                x += SSB_CELL_M;
            }
            y += SSB_CELL_M;
        }
    }
    out
}

fn group_tallies(tallies: &[Tally]) -> BTreeMap<(String, i32), Vec<Tally>> {
    let mut out: BTreeMap<(String, i32), Vec<Tally>> = BTreeMap::new();
    for t in tallies {
        out.entry((t.source.clone(), t.year)).or_default().push(t.clone());
    }
    out
}

/// Tallies by source-year key (`police:2024`).
pub(super) fn tallies_by_key(tallies: &[Tally]) -> BTreeMap<String, Vec<Tally>> {
    group_tallies(tallies).into_iter().map(|((s, y), v)| (source_year_key(&s, y), v)).collect()
}

pub(super) fn tally_hash(tallies: &[Tally], budget: &Budget) -> String {
    let mut hasher = Sha256::new();
    hasher.update(serde_json::to_string(budget).unwrap_or_default().as_bytes());
    for t in tallies {
        hasher.update(format!("{}|{}|{}|{}|{}|{:?}|{}|{}\n", t.month, t.category, t.delbydel, t.x, t.y, t.ssb_cell, t.count, t.year).as_bytes());
    }
    hasher.finalize().iter().take(12).map(|b| format!("{b:02x}")).collect()
}

/// True counts of one source-year.
#[derive(Default)]
struct Truth {
    bydel: BTreeMap<String, u64>,
    delbydel: BTreeMap<String, u64>,
    category: BTreeMap<(String, String), u64>,
    month: BTreeMap<(String, u8), u64>,
    /// (cell, delbydel code) → count.
    piece: BTreeMap<(SsbCell, String), u64>,
}

impl Truth {
    fn count(tallies: &[Tally], bydel_of: &BTreeMap<String, String>, projection: &SsbProjection) -> Truth {
        let mut t = Truth::default();
        for row in tallies {
            if let Some(bydel) = bydel_of.get(&row.delbydel) {
                *t.bydel.entry(bydel.clone()).or_default() += row.count;
            }
            *t.delbydel.entry(row.delbydel.clone()).or_default() += row.count;
            *t.category.entry((row.delbydel.clone(), row.category.clone())).or_default() += row.count;
            *t.month.entry((row.delbydel.clone(), row.month)).or_default() += row.count;
            if let Some(cell) = row.ssb_cell.map(SsbCell::from_id).or_else(|| projection.cell_of(row.x, row.y)) {
                *t.piece.entry((cell, row.delbydel.clone())).or_default() += row.count;
            }
        }
        t
    }

    /// The true count of a unit.
    fn of(&self, unit: &Unit) -> u64 {
        match unit {
            Unit::City => self.delbydel.values().sum(),
            Unit::Bydel(code) => self.bydel.get(code).copied().unwrap_or(0),
            Unit::Delbydel(code) => self.delbydel.get(code).copied().unwrap_or(0),
            Unit::Category(code, category) => self.category.get(&(code.clone(), category.clone())).copied().unwrap_or(0),
            Unit::Month(code, month) => self.month.get(&(code.clone(), *month)).copied().unwrap_or(0),
            Unit::Piece(cell, code) => self.piece.get(&(*cell, code.clone())).copied().unwrap_or(0),
        }
    }
}

/// The pooled before/after result from released cells: near = cells whose centre lies within
/// the fixed radius of a site, rest = the other cells of the site's delbydel.
fn public_before_after(input: &BuildInput, pieces: &[Piece], tables: &BTreeMap<(String, i32), SourceYear>, projection: &SsbProjection) -> PublicBeforeAfter {
    let (radius, n) = (input.budget.before_after_radius_m, input.budget.before_after_years);
    let cells_of: BTreeMap<&str, BTreeSet<SsbCell>> = pieces.iter().fold(BTreeMap::new(), |mut acc, (cell, i)| {
        acc.entry(input.areas[*i].code.as_str()).or_default().insert(*cell);
        acc
    });
    let coverage = input.years.values().fold((i32::MAX, i32::MIN), |(a, b), (c, d)| (a.min(*c), b.max(*d)));
    let (units, _) = super::before_after::units(&input.housing, radius, n, coverage);
    let mut estimates = Vec::new();
    for unit in units {
        let Some(cells) = cells_of.get(unit.delbydel) else {
            continue;
        };
        // Near: the delbydel's cells whose centre lies within the radius of any site of the unit.
        let near: BTreeSet<SsbCell> = cells
            .iter()
            .filter(|c| projection.centre(**c).is_some_and(|(x, y)| unit.sites.iter().any(|s| (x - s.x).hypot(y - s.y) <= radius)))
            .copied()
            .collect();
        let year = unit.year;
        // Sums of unbiased estimates with the variance of each sum: the interval includes the
        // release's noise.
        let mut sums = [Figure::default(); 4];
        for ((_, y), table) in tables.iter().filter(|((_, y), _)| (year - n..=year + n).contains(y) && *y != year) {
            let after = usize::from(*y > year) * 2;
            sums[after] += table.pieces_where(|c| near.contains(&c));
            sums[after + 1] += table.pieces_where(|c| cells.contains(&c) && !near.contains(&c));
        }
        estimates.push(did_estimated(sums));
    }
    let effect = (estimates.len() >= input.k as usize).then(|| pooled(&estimates)).flatten().map(|e| Effect::of(&e).rounded());
    let (conclusion_nb, conclusion_en) = super::before_after::public_conclusion(effect, radius, n);
    PublicBeforeAfter { radius_m: radius, years: n, effect, conclusion_nb, conclusion_en }
}
