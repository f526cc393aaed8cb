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

use geo::{BoundingRect, Intersects, MultiPolygon, Rect};
use rand::SeedableRng;
use rand_chacha::ChaCha20Rng;
use sha2::{Digest, Sha256};

use super::consistency::fit_to_total;
use super::mechanism::DiscreteGaussian;
use super::{source_year_key, Budget, LevelAccuracy, PublicBeforeAfter, ReleaseSettings, SourceYear, Spent};
use crate::analysis::did::{did, pooled, WindowCounts};
use crate::measurement::Effect;
use crate::spatial::{SsbCell, SsbProjection, SSB_CELL_M};
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
    /// Spending of the previous release.
    pub previous: BTreeMap<String, Spent>,
    pub k: u32,
}

/// A built release, ready to store.
pub struct BuildReport {
    pub settings: ReleaseSettings,
    pub spent: BTreeMap<String, Spent>,
    pub tables: BTreeMap<(String, i32), SourceYear>,
    /// Source-years measured afresh in this build.
    pub remeasured: Vec<String>,
}

/// Builds a release from raw tallies.
pub fn build(input: &BuildInput) -> BuildReport {
    let projection = SsbProjection::new();
    let pieces = pieces(&input.areas, &projection);
    let scales = Scales::new(&input.budget);
    let mut spent = BTreeMap::new();
    let mut remeasured = Vec::new();
    let by_source_year = group_tallies(&input.tallies);
    let budget_tag = serde_json::to_string(&input.budget).unwrap_or_default();
    // What each source-year is measured from, and in which round.
    let mut jobs: Vec<(&str, i32, &[Tally], u32)> = Vec::new();
    for (source, &(first, last)) in &input.years {
        for year in first..=last {
            let tallies = by_source_year.get(&(source.clone(), year)).map_or(&[][..], Vec::as_slice);
            let key = source_year_key(source, year);
            // The same tallies at the same budget repeat the same noise; anything else is a new
            // measurement and spends the budget again.
            let hash = tally_hash(tallies, &input.budget);
            let before = input.previous.get(&key).cloned().unwrap_or_default();
            let now = if before.hash == hash {
                before
            } else {
                remeasured.push(key.clone());
                Spent { hash, rounds: before.rounds + 1, rho: before.rho + input.budget.rho_per_source_year }
            };
            jobs.push((source, year, tallies, now.rounds));
            spent.insert(key, now);
        }
    }
    // Source-years are independent: measure them on every core.
    let workers = std::thread::available_parallelism().map_or(1, usize::from).min(jobs.len()).max(1);
    let empty = Vec::new();
    let tables: BTreeMap<(String, i32), SourceYear> = std::thread::scope(|scope| {
        let handles: Vec<_> = jobs
            .chunks(jobs.len().div_ceil(workers).max(1))
            .map(|chunk| {
                let (pieces, scales, budget_tag, empty) = (&pieces, &scales, &budget_tag, &empty);
                scope.spawn(move || {
                    let projection = SsbProjection::new();
                    chunk
                        .iter()
                        .map(|&(source, year, tallies, round)| {
                            let measure = Measure { secret: &input.secret, source, year, round, budget: budget_tag, scales };
                            let categories = input.categories.get(source).unwrap_or(empty);
                            let table = fit(&measure, &Truth::count(tallies, &projection), &input.areas, pieces, categories);
                            ((source.to_string(), year), table)
                        })
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        handles.into_iter().flat_map(|h| h.join().expect("a release worker panicked")).collect()
    });
    let before_after = public_before_after(input, &pieces, &tables, &projection);
    let settings = ReleaseSettings {
        budget: input.budget,
        levels: scales.accuracy(),
        years: input.years.clone(),
        categories: input.categories.clone(),
        areas: input.areas.iter().map(|a| (a.code.clone(), a.bydel.clone())).collect(),
        before_after,
    };
    BuildReport { settings, spent, tables, remeasured }
}

/// The noise scale of each level.
struct Scales {
    levels: [(&'static str, f64, DiscreteGaussian); 6],
}

impl Scales {
    fn new(b: &Budget) -> Scales {
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

    fn of(&self, name: &str) -> &DiscreteGaussian {
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
    fn noisy(&self, level: &str, unit: &str, detail: &str, truth: u64) -> f64 {
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
    delbydel: BTreeMap<String, u64>,
    category: BTreeMap<(String, String), u64>,
    month: BTreeMap<(String, u8), u64>,
    /// (cell, delbydel code) → count.
    piece: BTreeMap<(SsbCell, String), u64>,
}

impl Truth {
    fn count(tallies: &[Tally], projection: &SsbProjection) -> Truth {
        let mut t = Truth::default();
        for row in tallies {
            *t.delbydel.entry(row.delbydel.clone()).or_default() += row.count;
            *t.category.entry((row.delbydel.clone(), row.category.clone())).or_default() += row.count;
            *t.month.entry((row.delbydel.clone(), row.month)).or_default() += row.count;
            if let Some(cell) = row.ssb_cell.map(SsbCell::from_id).or_else(|| projection.cell_of(row.x, row.y)) {
                *t.piece.entry((cell, row.delbydel.clone())).or_default() += row.count;
            }
        }
        t
    }
}

/// Measures every unit of one source-year and fits them together, top down.
fn fit(m: &Measure, truth: &Truth, areas: &[ReleaseArea], pieces: &[Piece], categories: &[String]) -> SourceYear {
    let true_of = |code: &str| truth.delbydel.get(code).copied().unwrap_or(0);
    let mut bydeler: BTreeMap<&str, Vec<&ReleaseArea>> = BTreeMap::new();
    for a in areas {
        bydeler.entry(a.bydel.as_str()).or_default().push(a);
    }
    // Each total is measured on its own and as the sum of its parts. Bottom-up, the two are
    // combined by inverse variance (a bydel of one delbydel is then as accurate as that delbydel,
    // not as noisy as the bydel level); top-down, parts are fitted to their combined parent.
    let var = |level: &str| m.scales.of(level).sigma2();
    let bydel_codes: Vec<&str> = bydeler.keys().copied().collect();
    let delbydel_noisy: BTreeMap<&str, f64> = areas.iter().map(|a| (a.code.as_str(), m.noisy("delbydel", &a.code, "", true_of(&a.code)))).collect();
    let mut bydel_combined = Vec::with_capacity(bydel_codes.len());
    for b in &bydel_codes {
        let members = &bydeler[b];
        let own = m.noisy("bydel", b, "", members.iter().map(|a| true_of(&a.code)).sum());
        let parts: f64 = members.iter().map(|a| delbydel_noisy[a.code.as_str()]).sum();
        bydel_combined.push(inverse_variance((own, var("bydel")), (parts, members.len() as f64 * var("delbydel"))));
    }
    let city_truth: u64 = truth.delbydel.values().sum();
    let parts = bydel_combined.iter().fold((0.0, 0.0), |(v, w), (x, wx)| (v + x, w + wx));
    let (city_estimate, _) = inverse_variance((m.noisy("city", "", "", city_truth), var("city")), parts);
    let city = city_estimate.round().max(0.0) as u64;
    let mut out = SourceYear { city, ..Default::default() };

    let bydel_estimates: Vec<f64> = bydel_combined.iter().map(|(x, _)| *x).collect();
    for (b, total) in bydel_codes.iter().zip(fit_to_total(&bydel_estimates, city)) {
        if !b.is_empty() {
            out.bydel.insert(b.to_string(), total);
        }
        let members = &bydeler[b];
        let noisy: Vec<f64> = members.iter().map(|a| delbydel_noisy[a.code.as_str()]).collect();
        for (a, n) in members.iter().zip(fit_to_total(&noisy, total)) {
            out.delbydel.insert(a.code.clone(), n);
        }
    }

    for area in areas {
        let total = out.delbydel[&area.code];
        if !categories.is_empty() {
            let noisy: Vec<f64> = categories
                .iter()
                .map(|c| m.noisy("category", &area.code, c, truth.category.get(&(area.code.clone(), c.clone())).copied().unwrap_or(0)))
                .collect();
            out.category.insert(area.code.clone(), categories.iter().cloned().zip(fit_to_total(&noisy, total)).collect());
        }
        let noisy: Vec<f64> =
            (1..=12u8).map(|mo| m.noisy("month", &area.code, &mo.to_string(), truth.month.get(&(area.code.clone(), mo)).copied().unwrap_or(0))).collect();
        let fitted = fit_to_total(&noisy, total);
        out.month.insert(area.code.clone(), std::array::from_fn(|i| fitted[i]));
    }

    let mut by_area: BTreeMap<usize, Vec<SsbCell>> = BTreeMap::new();
    for &(cell, i) in pieces {
        by_area.entry(i).or_default().push(cell);
        out.cells.entry(cell).or_insert(0);
    }
    for (i, cells) in by_area {
        let code = &areas[i].code;
        let noisy: Vec<f64> =
            cells.iter().map(|c| m.noisy("cell", &c.id().to_string(), code, truth.piece.get(&(*c, code.clone())).copied().unwrap_or(0))).collect();
        for (cell, n) in cells.iter().zip(fit_to_total(&noisy, out.delbydel[code])) {
            *out.cells.entry(*cell).or_default() += n;
        }
    }
    out
}

/// Two estimates of one total, each with its variance, combined by inverse variance: the
/// estimate and its variance.
fn inverse_variance((a, va): (f64, f64), (b, vb): (f64, f64)) -> (f64, f64) {
    let (wa, wb) = (1.0 / va, 1.0 / vb);
    ((a * wa + b * wb) / (wa + wb), 1.0 / (wa + wb))
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
    let (units, _) = crate::measurement::units(&input.housing, radius, n, coverage);
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
        let mut counts = WindowCounts::default();
        for ((_, y), table) in tables.iter().filter(|((_, y), _)| (year - n..=year + n).contains(y) && *y != year) {
            let (near_n, rest_n) = cells.iter().fold((0, 0), |(a, b), c| {
                let v = table.cells.get(c).copied().unwrap_or(0);
                if near.contains(c) {
                    (a + v, b)
                } else {
                    (a, b + v)
                }
            });
            if *y < year {
                counts.near_before += near_n;
                counts.rest_before += rest_n;
            } else {
                counts.near_after += near_n;
                counts.rest_after += rest_n;
            }
        }
        estimates.push(did(&counts));
    }
    let effect = (estimates.len() >= input.k as usize).then(|| pooled(&estimates)).flatten().map(|e| Effect::of(&e).rounded());
    let (conclusion_nb, conclusion_en) = crate::measurement::public_conclusion(effect, radius, n);
    PublicBeforeAfter { radius_m: radius, years: n, effect, conclusion_nb, conclusion_en }
}
