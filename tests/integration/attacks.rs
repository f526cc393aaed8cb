//! The eight attacks that recovered exact small counts (and confirmed a housing address) from the
//! first version's public outputs, run on a generated dataset whose truth is known.
//!
//! Each attack runs twice with the same attacker code:
//! - on the **old design**: raw incidents with per-response suppression (counts under k shown as
//!   "<k"), reproduced through the library: the attack must succeed there, so these tests can fail;
//! - on the **public API of today** (the in-process router, no token), which computes every public
//!   figure from the release: the attack must recover no more exact small counts than a guesser
//!   who names the most common small value for every small count in the release's units, and the
//!   housing probe must not tell real sites from decoys.
//!
//! The release key is fixed so the noise, and so each test, is deterministic.

use std::collections::{BTreeMap, HashMap};
use std::path::Path;

use axum::body::Body;
use axum::http::Request;
use bomiljo::analysis::siting::Metric;
use bomiljo::api::{AppState, router};
use bomiljo::config::Config;
use bomiljo::import::{ImportOptions, import_file};
use bomiljo::measurement::{self, Geography, Incidents};
use bomiljo::privacy::{Count, Policy, Role};
use bomiljo::release::Release;
use bomiljo::spatial::{ANALYSIS_CRS, Crs, SsbProjection, Transformer};
use bomiljo::store::{OpenMode, Store, queries};
use rand::{RngExt, SeedableRng};
use serde_json::{Value, json};
use tower::ServiceExt;

const K: u64 = 5;
const YEARS: std::ops::RangeInclusive<i32> = 2021..=2024;

/// One generated incident (EPSG:25832, on the 100 m anonymisation lattice).
#[derive(Clone)]
struct Row {
    source: &'static str,
    year: i32,
    month: u32,
    category: &'static str,
    x: f64,
    y: f64,
}

/// Positions of the west square's 10 × 10 lattice.
fn west(i: i32, j: i32) -> (f64, f64) {
    (597_050.0 + 100.0 * f64::from(i), 6_642_050.0 + 100.0 * f64::from(j))
}

/// Isolated positions in the east square, 400 m apart (for the score fingerprint), and their
/// police counts in 2024: the first three are the attacker's calibration (0, 1, 2 incidents).
const LONELY: [((f64, f64), usize); 6] = [
    ((598_250.0, 6_642_050.0), 0),
    ((598_250.0, 6_642_450.0), 1),
    ((598_250.0, 6_642_850.0), 2),
    ((598_650.0, 6_642_050.0), 1),
    ((598_650.0, 6_642_450.0), 2),
    ((598_650.0, 6_642_850.0), 1),
];

/// Real housing sites (opened mid-2022) and decoy addresses, all in the west square.
/// Each at its own offset from the lattice, so no two share the distances to it.
const SITES: [(f64, f64); 6] = [
    (597_231.3, 6_642_236.9),
    (597_617.4, 6_642_262.2),
    (597_283.8, 6_642_741.5),
    (597_722.6, 6_642_678.1),
    (597_488.9, 6_642_871.4),
    (597_864.2, 6_642_147.7),
];
const DECOYS: [(f64, f64); 6] = [
    (597_336.2, 6_642_474.3),
    (597_871.7, 6_642_427.9),
    (597_125.5, 6_642_519.6),
    (597_546.1, 6_642_561.2),
    (597_908.8, 6_642_884.4),
    (597_423.4, 6_642_113.8),
];

/// Two 4 × 4 blocks of the west lattice hold 20-30 police incidents a position in 2024 (hot spots).
fn in_hot_block(i: i32, j: i32) -> bool {
    ((1..=4).contains(&i) && (1..=4).contains(&j)) || ((5..=8).contains(&i) && (5..=8).contains(&j))
}

fn generate() -> Vec<Row> {
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(7);
    let mut rows = Vec::new();
    let push = |rows: &mut Vec<Row>, source, year, month, category, (x, y): (f64, f64), n: usize| {
        rows.extend(std::iter::repeat_n(Row { source, year, month, category, x, y }, n));
    };
    for year in YEARS {
        for i in 0..10 {
            for j in 0..10 {
                let p = west(i, j);
                let police = if year == 2024 && in_hot_block(i, j) { rng.random_range(20..=30) } else { rng.random_range(0..=4) };
                for _ in 0..police {
                    push(&mut rows, "police", year, rng.random_range(1..=11), "disturbance", p, 1);
                }
                push(&mut rows, "waste", year, rng.random_range(1..=11), "littering", p, rng.random_range(0..=3));
                if rng.random_bool(0.3) {
                    push(&mut rows, "fire", year, rng.random_range(1..=11), "fire", p, rng.random_range(1..=3));
                }
            }
        }
        // Small figures a table splits out: one rare category per source, and December.
        let anywhere = |rng: &mut rand_chacha::ChaCha8Rng| west(rng.random_range(0..10), rng.random_range(0..10));
        for (source, category) in [("police", "welfare_check"), ("fire", "false_alarm"), ("waste", "dumped_waste")] {
            for _ in 0..rng.random_range(1..=4) {
                let p = anywhere(&mut rng);
                push(&mut rows, source, year, rng.random_range(1..=11), category, p, 1);
            }
        }
        for (source, category) in [("police", "disturbance"), ("waste", "littering")] {
            for _ in 0..rng.random_range(1..=4) {
                let p = anywhere(&mut rng);
                push(&mut rows, source, year, 12, category, p, 1);
            }
        }
    }
    for (p, n) in LONELY {
        push(&mut rows, "police", 2024, 6, "disturbance", p, n);
    }
    rows
}

/// The same generated data in two databases: one read raw (the old design), one served.
struct World {
    truth: Vec<Row>,
    raw: Store,
    config: Config,
    geography: Geography,
    app: axum::Router,
    release: Release,
    served_index: bomiljo::index::SpatialIndex,
    runtime: tokio::runtime::Runtime,
    _dir: tempfile::TempDir,
}

fn config() -> Config {
    Config::load(Path::new(env!("CARGO_MANIFEST_DIR"))).unwrap()
}

fn build_store(path: &Path, rows: &[Row]) -> Store {
    let config = config();
    let mut store = Store::open(path, OpenMode::CreateIfMissing).unwrap();
    let opts = ImportOptions { imported_by: "attacks".into(), ..Default::default() };
    let dir = path.parent().unwrap();
    let areas = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/areas/two_squares_25832.geojson");
    import_file(&mut store, &config, "delbydeler", &areas, &opts).unwrap();
    let mut population = String::from("ru250m,pop_tot,x,y\n");
    for i in 0..8 {
        for j in 0..4 {
            population.push_str(&format!("c{i}{j},500,{},{}\n", 597_125 + 250 * i, 6_642_125 + 250 * j));
        }
    }
    std::fs::write(dir.join("population.csv"), population).unwrap();
    import_file(&mut store, &config, "population", &dir.join("population.csv"), &opts).unwrap();
    for source in ["police", "fire", "waste"] {
        let mut csv = String::from("id,date,category,x,y\n");
        for (n, r) in rows.iter().enumerate().filter(|(_, r)| r.source == source) {
            csv.push_str(&format!("{source}{n},{}-{:02}-15,{},{},{}\n", r.year, r.month, r.category, r.x, r.y));
        }
        let file = dir.join(format!("{source}.csv"));
        std::fs::write(&file, csv).unwrap();
        import_file(&mut store, &config, &format!("incidents_{source}"), &file, &opts).unwrap();
    }
    let mut housing = String::from("id,units,group,has_staff_base,opened,x,y\n");
    for (i, (x, y)) in SITES.iter().enumerate() {
        housing.push_str(&format!("site-{i},8,5,true,2022-06-01,{x},{y}\n"));
    }
    std::fs::write(dir.join("housing.csv"), housing).unwrap();
    import_file(&mut store, &config, "housing", &dir.join("housing.csv"), &opts).unwrap();
    store
}

impl World {
    fn new() -> World {
        let dir = tempfile::tempdir().unwrap();
        let truth = generate();
        let raw = build_store(&dir.path().join("raw.duckdb"), &truth);
        std::fs::create_dir_all(dir.path().join("served")).unwrap();
        let mut served = build_store(&dir.path().join("served/served.duckdb"), &truth);
        // A fixed key: the same noise every run.
        served.conn().execute_batch(&format!("INSERT INTO release_secret VALUES ('{}')", "5a".repeat(32))).unwrap();
        let config = config();
        let release = bomiljo::release::current(&mut served, &config, "test", "system").unwrap();
        let geography = Geography::load(&raw, &config).unwrap();
        let served_index = bomiljo::index::SpatialIndex::build_public(&served, &config).unwrap();
        let app = router(AppState::new(config.clone(), served).unwrap());
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        World { truth, raw, config, geography, app, release, served_index, runtime, _dir: dir }
    }

    fn get(&self, uri: &str) -> Value {
        self.request(Request::get(uri).body(Body::empty()).unwrap(), uri)
    }

    fn post(&self, uri: &str, body: &Value) -> Value {
        self.request(Request::post(uri).header("content-type", "application/json").body(Body::from(body.to_string())).unwrap(), uri)
    }

    fn request(&self, request: Request<Body>, uri: &str) -> Value {
        self.runtime.block_on(async {
            let response = self.app.clone().oneshot(request).await.unwrap();
            let status = response.status();
            let bytes = axum::body::to_bytes(response.into_body(), 64 << 20).await.unwrap();
            assert!(status.is_success(), "{uri}: {status} {}", String::from_utf8_lossy(&bytes));
            serde_json::from_slice(&bytes).unwrap()
        })
    }

    /// True count of the rows matching a filter.
    fn count(&self, keep: impl Fn(&Row) -> bool) -> u64 {
        self.truth.iter().filter(|r| keep(r)).count() as u64
    }
}

fn public() -> Policy {
    Policy::new(Role::Public, K as u32)
}

/// A count as JSON shows it: a number, or None for "<k".
fn shown(v: &Value) -> Option<u64> {
    v.as_u64()
}

/// How an attack did: estimates for targets whose true count is small (1..k-1).
#[derive(Default, Debug)]
struct Outcome {
    targets: usize,
    exact: usize,
}

impl Outcome {
    fn record(&mut self, estimate: i64, truth: u64) {
        if (1..K).contains(&truth) {
            self.targets += 1;
            if estimate == truth as i64 {
                self.exact += 1;
            }
        }
    }

    fn rate(&self) -> f64 {
        if self.targets == 0 { 0.0 } else { self.exact as f64 / self.targets as f64 }
    }
}

/// How many of `truths` (every small count the attacker is after, in the units the release
/// publishes) a guesser gets right by naming the most common small value for each.
fn guesser_hits(truths: impl Iterator<Item = u64>) -> usize {
    let mut freq: BTreeMap<u64, usize> = BTreeMap::new();
    for t in truths.filter(|t| (1..K).contains(t)) {
        *freq.entry(t).or_default() += 1;
    }
    freq.values().max().copied().unwrap_or(0)
}

/// The verdict every attack shares: on the old design the attack recovers exact small counts
/// (nearly every estimate right); on the release it recovers no more of them than a guesser
/// who names the most common small value for every one of them.
fn assert_defeated(name: &str, old: &Outcome, new: &Outcome, min_targets: usize, guesser: usize) {
    println!("{name}: old design {}/{} estimates exact; release {}/{} (a guesser gets {guesser} right)", old.exact, old.targets, new.exact, new.targets);
    assert!(old.targets >= min_targets && old.rate() >= 0.9, "{name}: the attack should work on the old design: {old:?}");
    assert!(new.exact <= guesser, "{name}: the release gave away more exact small counts ({}) than guessing ({guesser}): {new:?}", new.exact);
}

/// The centre (EPSG:25832) of a GeoJSON polygon given in WGS84.
fn ring_centre(feature: &Value) -> (f64, f64) {
    let to_utm = Transformer::new(Crs::Wgs84, ANALYSIS_CRS);
    let ring = feature["geometry"]["coordinates"][0].as_array().unwrap();
    let corners: Vec<(f64, f64)> = ring[..ring.len() - 1].iter().map(|c| to_utm.apply(c[0].as_f64().unwrap(), c[1].as_f64().unwrap()).unwrap()).collect();
    let n = corners.len() as f64;
    (corners.iter().map(|c| c.0).sum::<f64>() / n, corners.iter().map(|c| c.1).sum::<f64>() / n)
}

/// Every position of the 100 m lattice over both squares (what the attacker assumes).
fn lattice() -> Vec<(f64, f64)> {
    (0..20).flat_map(|i| (0..10).map(move |j| (597_050.0 + 100.0 * f64::from(i), 6_642_050.0 + 100.0 * f64::from(j)))).collect()
}

/// Attack 1, heat map: two visible cells whose lattice sets differ by one position give that
/// position's count from `incidents_within_bandwidth`.
fn difference_heat_cells(cells: &HashMap<(i64, i64), u64>, bandwidth: f64) -> HashMap<(i64, i64), i64> {
    let lattice = lattice();
    let set = |(cx, cy): (i64, i64)| -> Vec<usize> {
        let (cx, cy) = (cx as f64 / 10.0, cy as f64 / 10.0);
        (0..lattice.len()).filter(|&i| (lattice[i].0 - cx).powi(2) + (lattice[i].1 - cy).powi(2) < bandwidth * bandwidth).collect()
    };
    let mut estimates: HashMap<(i64, i64), i64> = HashMap::new();
    let sets: HashMap<(i64, i64), Vec<usize>> = cells.keys().map(|c| (*c, set(*c))).collect();
    for (a, sa) in &sets {
        for (b, sb) in &sets {
            if sa.len() == sb.len() + 1 && sb.iter().all(|p| sa.contains(p)) {
                let p = sa.iter().find(|p| !sb.contains(p)).unwrap();
                let key = ((lattice[*p].0) as i64, (lattice[*p].1) as i64);
                estimates.entry(key).or_insert(cells[a] as i64 - cells[b] as i64);
            }
        }
    }
    estimates
}

#[test]
fn differencing_year_ranges_reveals_nothing_beyond_the_single_years() {
    let w = World::new();
    let key = |(x, y): (f64, f64)| ((x * 10.0).round() as i64, (y * 10.0).round() as i64);
    // Old: a cell's support over 2023-2024 minus its support in 2024 is its 2023 support, also
    // where the 2023 map itself hides it (fewer than k incidents).
    let old = |year: i32, to_year: i32| -> HashMap<(i64, i64), Option<u64>> {
        let params = measurement::HeatParams {
            source: Some("police".into()),
            year: Some(year),
            to_year: Some(to_year),
            cell_m: 50.0,
            bandwidth_m: 100.0,
            ..Default::default()
        };
        let surface = public().apply(measurement::heat(&w.geography, Incidents::Raw(w.raw.handle()), &w.config, &params).unwrap());
        (0..surface.grid().len()).map(|i| (key(surface.grid().centre(i)), surface.values[i].map(|_| surface.density.support[i] as u64))).collect()
    };
    let (range, last, first) = (old(2023, 2024), old(2024, 2024), old(2023, 2023));
    let truth_2023: HashMap<_, _> = {
        let params = measurement::HeatParams { source: Some("police".into()), year: Some(2023), cell_m: 50.0, bandwidth_m: 100.0, ..Default::default() };
        let raw = measurement::heat(&w.geography, Incidents::Raw(w.raw.handle()), &w.config, &params).unwrap();
        (0..raw.grid().len()).map(|i| (key(raw.grid().centre(i)), raw.density.support[i] as u64)).collect()
    };
    let recovered = range
        .iter()
        .filter(|(cell, _)| first.get(*cell) == Some(&None) && (1..K).contains(&truth_2023[*cell]))
        .filter(|(cell, both)| matches!((both, last.get(*cell)), (Some(b), Some(Some(l))) if b - l == truth_2023[*cell]))
        .count();
    assert!(recovered >= 5, "year differencing should recover hidden 2023 supports on the old design ({recovered})");
    // New: the public maps of 2023-2024 and of 2024 differ by exactly the public 2023 map: the
    // difference is a figure already published, computed from the release.
    let public_support = |query: &str| -> HashMap<(i64, i64), u64> {
        w.get(query)["features"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|f| Some((key(ring_centre(f)), shown(&f["properties"]["incidents_within_bandwidth"])?)))
            .collect()
    };
    let base = "/api/heatmap?source=police&cell_m=50&bandwidth_m=100";
    let (range, last, first) =
        (public_support(&format!("{base}&year=2023&to_year=2024")), public_support(&format!("{base}&year=2024")), public_support(&format!("{base}&year=2023")));
    let mut compared = 0;
    for (cell, both) in &range {
        if let (Some(l), Some(f)) = (last.get(cell), first.get(cell)) {
            // Each support is the release's estimate within the bandwidth, shown rounded.
            assert!(both.abs_diff(l + f) <= 1, "cell {cell:?}: the range ({both}) is not the sum of its years ({l} + {f})");
            compared += 1;
        }
    }
    assert!(compared > 100, "{compared}");
    println!("year ranges: old design reveals {recovered} hidden 2023 supports; on the release the range is the sum of the public years ({compared} cells)");
}

#[test]
fn heat_map_differencing_recovers_nothing_from_the_release() {
    let w = World::new();
    let key = |(x, y): (f64, f64)| ((x * 10.0).round() as i64, (y * 10.0).round() as i64);
    // Old: the kernel density of raw incidents, cells under k blanked.
    let params = measurement::HeatParams { source: Some("police".into()), year: Some(2024), cell_m: 25.0, bandwidth_m: 100.0, ..Default::default() };
    let surface = public().apply(measurement::heat(&w.geography, Incidents::Raw(w.raw.handle()), &w.config, &params).unwrap());
    let old_cells: HashMap<_, _> = (0..surface.grid().len())
        .filter(|&i| surface.values[i].is_some_and(|v| v > 0.0))
        .map(|i| (key(surface.grid().centre(i)), surface.density.support[i] as u64))
        .collect();
    // New: the public heat map.
    let fc = w.get("/api/heatmap?source=police&year=2024&cell_m=25&bandwidth_m=100");
    let new_cells: HashMap<_, _> = fc["features"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|f| Some((key(ring_centre(f)), shown(&f["properties"]["incidents_within_bandwidth"])?)))
        .map(|((x, y), n)| (((x as f64 / 125.0).round() * 125.0) as i64, ((y as f64 / 125.0).round() * 125.0) as i64, n))
        .map(|(x, y, n)| ((x, y), n))
        .collect();
    let score = |estimates: HashMap<(i64, i64), i64>| {
        let mut o = Outcome::default();
        for ((x, y), estimate) in estimates {
            o.record(estimate, w.count(|r| r.source == "police" && r.year == 2024 && r.x as i64 == x && r.y as i64 == y));
        }
        o
    };
    let old = score(difference_heat_cells(&old_cells, 100.0));
    let new = score(difference_heat_cells(&new_cells, 100.0));
    let guesser = guesser_hits(lattice().into_iter().map(|(x, y)| w.count(|r| r.source == "police" && r.year == 2024 && r.x == x && r.y == y)));
    assert_defeated("heat map", &old, &new, 20, guesser);
}

#[test]
fn tile_complements_recover_nothing_from_the_release() {
    let w = World::new();
    // Old: counts per 250 m cell for all sources and for each source, cells under k left out;
    // the hidden fire count is the total minus the shown police and waste counts.
    let grid = |sources: &[&str]| -> HashMap<(i64, i64), Count> {
        let filter = queries::IncidentFilter { sources: sources.iter().map(|s| s.to_string()).collect(), category: None, years: Some((2024, 2024)) };
        queries::incident_grid(w.raw.conn(), &filter, 250.0, [596_000.0, 6_641_000.0, 600_000.0, 6_644_000.0])
            .unwrap()
            .into_iter()
            .map(|(x, y, n)| ((x as i64, y as i64), public().count(n)))
            .collect()
    };
    let complement = |all: &HashMap<(i64, i64), Count>, police: &HashMap<(i64, i64), Count>, waste: &HashMap<(i64, i64), Count>| -> HashMap<(i64, i64), i64> {
        all.iter()
            .filter_map(|(cell, total)| {
                let part = |m: &HashMap<(i64, i64), Count>| m.get(cell).map_or(Some(0), |c| c.exact());
                Some((*cell, total.exact()? as i64 - part(police)? as i64 - part(waste)? as i64))
            })
            .collect()
    };
    let mut old = Outcome::default();
    for ((x, y), estimate) in complement(&grid(&[]), &grid(&["police"]), &grid(&["waste"])) {
        old.record(
            estimate,
            w.count(|r| r.source == "fire" && r.year == 2024 && (r.x / 250.0).floor() as i64 * 250 == x && (r.y / 250.0).floor() as i64 * 250 == y),
        );
    }
    // New: the tiles are drawn from the release's cells; the same arithmetic on them.
    let released = |sources: &[&str]| -> HashMap<(i64, i64), Count> {
        let sources: Vec<String> = sources.iter().map(|s| s.to_string()).collect();
        w.release.cell_counts(&sources, (2024, 2024)).into_iter().map(|(cell, n)| ((cell.id(), 0), public().count(n.round().max(0.0) as u64))).collect()
    };
    let projection = SsbProjection::new();
    let mut new = Outcome::default();
    for ((id, _), estimate) in complement(&released(&[]), &released(&["police"]), &released(&["waste"])) {
        new.record(estimate, w.count(|r| r.source == "fire" && r.year == 2024 && projection.cell_of(r.x, r.y).map(|c| c.id()) == Some(id)));
    }
    let fire_cells = w.release.table("fire", 2024).unwrap().cells().into_iter();
    let guesser = guesser_hits(fire_cells.map(|cell| w.count(|r| r.source == "fire" && r.year == 2024 && projection.cell_of(r.x, r.y) == Some(cell))));
    assert_defeated("tile complements", &old, &new, 5, guesser);
}

#[test]
fn two_radii_around_one_centre_recover_nothing_from_the_release() {
    let w = World::new();
    let centre = (597_480.37, 6_642_520.11);
    let mut ranked: Vec<((f64, f64), f64)> = lattice().into_iter().filter(|p| p.0 < 598_000.0).map(|p| (p, (p.0 - centre.0).hypot(p.1 - centre.1))).collect();
    ranked.sort_by(|a, b| a.1.total_cmp(&b.1));
    // Rings holding exactly one lattice position, at radii the dialogue sheet allows.
    let rings: Vec<((f64, f64), f64, f64)> = ranked
        .windows(3)
        .filter(|w| w[1].1 - w[0].1 > 0.01 && w[2].1 - w[1].1 > 0.01)
        .map(|w| (w[1].0, (w[0].1 + w[1].1) / 2.0, (w[1].1 + w[2].1) / 2.0))
        .filter(|(_, r1, r2)| *r1 >= 100.0 && *r2 <= 600.0)
        .take(30)
        .collect();
    let truth = |p: (f64, f64)| w.count(|r| r.source == "police" && r.year == 2024 && r.x == p.0 && r.y == p.1);
    let mut old = Outcome::default();
    let old_count = |r: f64| -> Option<u64> {
        let counts = queries::incident_counts_within(w.raw.conn(), centre, r, (2024, 2024)).unwrap();
        public().count(counts.get("police").and_then(|y| y.get("2024")).copied().unwrap_or(0) as u64).exact()
    };
    for (p, r1, r2) in &rings {
        if let (Some(a), Some(b)) = (old_count(*r1), old_count(*r2)) {
            old.record(b as i64 - a as i64, truth(*p));
        }
    }
    // New: the neighbour-dialogue sheet's figures inside the circle, as published.
    let sources = bomiljo::report::dialogue::Sources {
        config: &w.config,
        release: &w.release,
        geography: &w.geography,
        index: &w.served_index,
        travel: None,
        rules: None,
    };
    let new_count = |r: f64| -> Option<u64> {
        let params = bomiljo::report::dialogue::DialogueParams {
            x: centre.0,
            y: centre.1,
            radius_m: r,
            housing_type: "boliger".into(),
            group: None,
            staff_base_area: false,
            lang: bomiljo::report::dialogue::Lang::Nb,
        };
        let facts = public().apply(bomiljo::report::dialogue::gather(&sources, &params).unwrap());
        facts.near.get("police")?.get(&2024)?.exact()
    };
    let mut new = Outcome::default();
    for (p, r1, r2) in &rings {
        if let (Some(a), Some(b)) = (new_count(*r1), new_count(*r2)) {
            new.record(b as i64 - a as i64, truth(*p));
        }
    }
    let guesser = guesser_hits(rings.iter().map(|(p, _, _)| truth(*p)));
    assert_defeated("two radii", &old, &new, 10, guesser);
}

/// Attack 4: at a band of one cell, Gi* z is affine in the sum of a cell and its four neighbours.
/// Calibrate the line on cells whose five counts are all shown, then invert it where exactly one
/// of the five is unknown. Input: cell centre → (z, shown count).
fn invert_gi_star(cells: &HashMap<(i64, i64), (f64, Option<u64>)>, step: i64) -> HashMap<(i64, i64), i64> {
    let neighbourhood = |(x, y): (i64, i64)| [(x, y), (x - step, y), (x + step, y), (x, y - step), (x, y + step)];
    let known = |c: &(i64, i64)| cells.get(c).and_then(|v| v.1);
    let calibration: Vec<(f64, f64)> =
        cells.iter().filter_map(|(c, (z, _))| Some((neighbourhood(*c).iter().map(known).sum::<Option<u64>>()? as f64, *z))).collect();
    let mut out = HashMap::new();
    let n = calibration.len() as f64;
    if n < 2.0 {
        return out;
    }
    let (mx, mz) = (calibration.iter().map(|c| c.0).sum::<f64>() / n, calibration.iter().map(|c| c.1).sum::<f64>() / n);
    let sxx: f64 = calibration.iter().map(|c| (c.0 - mx).powi(2)).sum();
    if sxx == 0.0 {
        return out;
    }
    let slope = calibration.iter().map(|c| (c.0 - mx) * (c.1 - mz)).sum::<f64>() / sxx;
    let intercept = mz - slope * mx;
    for (c, (z, _)) in cells {
        let around = neighbourhood(*c);
        let unknown: Vec<&(i64, i64)> = around.iter().filter(|n| known(n).is_none()).collect();
        if unknown.len() == 1 {
            let sum = (z - intercept) / slope;
            let rest: u64 = around.iter().filter_map(known).sum();
            out.insert(*unknown[0], (sum - rest as f64).round() as i64);
        }
    }
    out
}

/// The first design's public hot spots of police 2024: Gi* on raw counts of the two squares'
/// 100 m cells, the cell and its four neighbours, p from the normal distribution, BH at q < 0.10;
/// each significant cell's (z, count shown when at least k), by its south-west corner.
fn old_design_hot_spots(w: &World) -> HashMap<(i64, i64), (f64, Option<u64>)> {
    use statrs::distribution::{ContinuousCDF, Normal};
    let (cols, rows) = (20i64, 10i64);
    let corner = |c: i64, r: i64| (597_000 + 100 * c, 6_642_000 + 100 * r);
    let counts: Vec<f64> = (0..rows)
        .flat_map(|r| (0..cols).map(move |c| (c, r)))
        .map(|(c, r)| {
            let (x, y) = corner(c, r);
            w.count(|row| row.source == "police" && row.year == 2024 && (row.x / 100.0).floor() as i64 * 100 == x && (row.y / 100.0).floor() as i64 * 100 == y)
                as f64
        })
        .collect();
    let n = counts.len() as f64;
    let mean = counts.iter().sum::<f64>() / n;
    let s = (counts.iter().map(|v| v * v).sum::<f64>() / n - mean * mean).sqrt();
    let scored: Vec<((i64, i64), f64, f64)> = (0..rows)
        .flat_map(|r| (0..cols).map(move |c| (c, r)))
        .map(|(c, r)| {
            let around: Vec<f64> = [(0, 0), (-1, 0), (1, 0), (0, -1), (0, 1)]
                .iter()
                .filter(|(dc, dr)| (0..cols).contains(&(c + dc)) && (0..rows).contains(&(r + dr)))
                .map(|(dc, dr)| counts[((r + dr) * cols + c + dc) as usize])
                .collect();
            let w = around.len() as f64;
            let z = (around.iter().sum::<f64>() - mean * w) / (s * ((n * w - w * w) / (n - 1.0)).sqrt());
            (corner(c, r), z, 2.0 * Normal::standard().sf(z.abs()))
        })
        .collect();
    let q = bomiljo::analysis::fdr::benjamini_hochberg(&scored.iter().map(|s| s.2).collect::<Vec<_>>());
    scored
        .iter()
        .zip(q)
        .filter(|(_, q)| *q < 0.10)
        .map(|((cell, z, _), _)| {
            let count = counts[(((cell.1 - 6_642_000) / 100) * cols + (cell.0 - 597_000) / 100) as usize] as u64;
            (*cell, (*z, public().exact(Some(count))))
        })
        .collect()
}

#[test]
fn inverting_hot_spot_statistics_recovers_nothing_from_the_release() {
    let w = World::new();
    let key = |(x, y): (f64, f64), step: f64| (((x / step).floor() * step) as i64, ((y / step).floor() * step) as i64);
    // Old: Gi* on raw counts at 100 m cells with a 100 m band and a normal reference; small
    // counts hidden (today's raw hot spots use an exact reference, which finds far fewer cells
    // on these sparse counts, so the first design is reproduced here as it was).
    let old_cells = old_design_hot_spots(&w);
    let mut old = Outcome::default();
    for ((x, y), estimate) in invert_gi_star(&old_cells, 100) {
        old.record(
            estimate,
            w.count(|r| r.source == "police" && r.year == 2024 && (r.x / 100.0).floor() as i64 * 100 == x && (r.y / 100.0).floor() as i64 * 100 == y),
        );
    }
    // New: the public hot spots exist only on the release's 250 m cells, at the smallest band.
    let fc = w.get("/api/hotspots?source=police&year=2024&cell_m=250&band_m=250");
    let to_grid = Transformer::new(ANALYSIS_CRS, Crs::Utm33);
    let new_cells: HashMap<_, _> = fc["features"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            let (x, y) = ring_centre(f);
            let (gx, gy) = to_grid.apply(x, y).unwrap();
            (key((gx, gy), 250.0), (f["properties"]["z"].as_f64().unwrap(), shown(&f["properties"]["count"])))
        })
        .collect();
    let projection = SsbProjection::new();
    let mut new = Outcome::default();
    for ((x, y), estimate) in invert_gi_star(&new_cells, 250) {
        let cell = bomiljo::spatial::SsbCell::containing_utm33(x as f64 + 1.0, y as f64 + 1.0);
        new.record(estimate, w.count(|r| r.source == "police" && r.year == 2024 && projection.cell_of(r.x, r.y) == Some(cell)));
    }
    let police_cells = w.release.table("police", 2024).unwrap().cells().into_iter();
    let guesser = guesser_hits(police_cells.map(|cell| w.count(|r| r.source == "police" && r.year == 2024 && projection.cell_of(r.x, r.y) == Some(cell))));
    assert_defeated("Gi* inversion", &old, &new, 5, guesser);
}

#[test]
fn row_totals_minus_categories_recover_nothing_from_the_release() {
    let w = World::new();
    let attack = |rows: &[Value], year: i32, o: &mut Outcome| {
        for row in rows.iter().filter(|r| r["code"] == "0101") {
            let source = row["source"].as_str().unwrap().to_string();
            let categories = row["categories"].as_object().unwrap();
            let hidden: Vec<&String> = categories.keys().filter(|c| shown(&categories[*c]).is_none()).collect();
            let (Some(total), [category]) = (shown(&row["count"]), hidden.as_slice()) else { continue };
            let rest: u64 = categories.values().filter_map(shown).sum();
            let truth = w.count(|r| r.source == source && r.year == year && r.category == category.as_str() && r.x < 598_000.0);
            o.record(total as i64 - rest as i64, truth);
        }
    };
    let (mut old, mut new) = (Outcome::default(), Outcome::default());
    for year in YEARS {
        let raw = public().apply(measurement::measure(&w.geography, Incidents::Raw(w.raw.handle()), &w.config, year, measurement::Level::Delbydel).unwrap());
        attack(serde_json::to_value(raw).unwrap().as_array().unwrap(), year, &mut old);
        attack(w.get(&format!("/api/measurement?year={year}")).as_array().unwrap(), year, &mut new);
    }
    let layers: Vec<(String, Vec<String>)> = w.release.settings.categories.iter().map(|(s, c)| (s.clone(), c.clone())).collect();
    let guesser = guesser_hits(layers.iter().flat_map(|(source, categories)| {
        YEARS
            .flat_map(move |year| categories.iter().map(move |c| (source, year, c)))
            .map(|(source, year, c)| w.count(|r| r.source == source && r.year == year && r.category == c.as_str() && r.x < 598_000.0))
    }));
    assert_defeated("row total minus categories", &old, &new, 8, guesser);
}

#[test]
fn a_year_minus_its_months_recovers_nothing_from_the_release() {
    let w = World::new();
    let attack = |yearly: &Value, monthly: &Value, source: &str, o: &mut Outcome| {
        for point in yearly["points"].as_array().unwrap() {
            let year = point["year"].as_i64().unwrap();
            let months: Vec<&Value> = monthly["points"].as_array().unwrap().iter().filter(|p| p["year"].as_i64() == Some(year)).collect();
            let hidden: Vec<i64> = months.iter().filter(|m| shown(&m["count"]).is_none()).map(|m| m["month"].as_i64().unwrap()).collect();
            let (Some(total), [month]) = (shown(&point["count"]), hidden.as_slice()) else { continue };
            let rest: u64 = months.iter().filter_map(|m| shown(&m["count"])).sum();
            let truth = w.count(|r| r.source == source && i64::from(r.year) == year && i64::from(r.month) == *month && r.x < 598_000.0);
            o.record(total as i64 - rest as i64, truth);
        }
    };
    let (mut old, mut new) = (Outcome::default(), Outcome::default());
    for source in ["police", "waste"] {
        let raw = |monthly| {
            let params = measurement::SeriesParams { code: Some("0101".into()), source: Some(source.into()), category: None, monthly, trend_years: None };
            serde_json::to_value(public().apply(measurement::series(&w.geography, &w.config, Incidents::Raw(w.raw.handle()), &params).unwrap())).unwrap()
        };
        attack(&raw(false), &raw(true), source, &mut old);
        let served = |monthly: bool| w.get(&format!("/api/series?code=0101&source={source}&monthly={monthly}"));
        attack(&served(false), &served(true), source, &mut new);
    }
    let guesser = guesser_hits(["police", "waste"].into_iter().flat_map(|source| {
        YEARS
            .flat_map(move |year| (1..=12u32).map(move |month| (source, year, month)))
            .map(|(source, year, month)| w.count(|r| r.source == source && r.year == year && r.month == month && r.x < 598_000.0))
    }));
    assert_defeated("year minus months", &old, &new, 6, guesser);
}

#[test]
fn the_incident_factor_of_a_public_score_is_no_fingerprint() {
    let w = World::new();
    let to_wgs84 = Transformer::new(ANALYSIS_CRS, Crs::Wgs84);
    // Queried 10 m north-east of each lonely position (inside the same raster cell).
    let old_ctx = {
        let index = std::sync::Arc::new(bomiljo::index::SpatialIndex::build(&w.raw, &w.config).unwrap());
        bomiljo::siting::SitingContext::build(w.raw.handle(), &w.config, index, &w.release).unwrap()
    };
    // The old public score measured raw density (what an analyst's measure now does).
    let analyst = Policy::new(Role::Analyst, K as u32);
    let old_value = |(x, y): (f64, f64)| old_ctx.measure(x + 10.0, y + 10.0, &analyst).get(&Metric::IncidentPercentile).unwrap();
    let new_value = |(x, y): (f64, f64)| {
        let (lon, lat) = to_wgs84.apply(x + 10.0, y + 10.0).unwrap();
        let e = w.post("/api/score", &json!({ "group": 5, "lon": lon, "lat": lat }));
        e["factors"].as_array().unwrap().iter().find(|f| f["id"] == "strain").unwrap()["value"].as_f64().unwrap()
    };
    // The attacker calibrates on three positions whose counts they know (0, 1, 2 incidents),
    // then reads the count of every other position off its percentile.
    let attack = |value: &dyn Fn((f64, f64)) -> f64| {
        let fingerprints: Vec<(f64, i64)> = LONELY[..3].iter().map(|(p, n)| (value(*p), *n as i64)).collect();
        let mut o = Outcome::default();
        for (p, n) in &LONELY[3..] {
            let v = value(*p);
            let estimate = fingerprints.iter().find(|(f, _)| (f - v).abs() < 1e-9).map_or(-1, |(_, n)| *n);
            o.record(estimate, *n as u64);
        }
        o
    };
    let old = attack(&old_value);
    let new = attack(&new_value);
    println!("score fingerprint: old {}/{}, release {}/{}", old.exact, old.targets, new.exact, new.targets);
    assert!(old.targets == 3 && old.exact == 3, "the fingerprint works on raw densities: {old:?}");
    assert!(new.exact <= 1, "the release's percentiles gave counts away: {new:?}");
}

#[test]
fn probing_radii_cannot_tell_housing_sites_from_decoys() {
    let w = World::new();
    // For a guessed address: does the pooled estimate jump exactly where a lattice position
    // crosses the radius? For a real site it does, for a decoy only by coincidence. Radii stay
    // under 136 m, half the distance between the closest two sites, so no two circles overlap
    // (overlapping sites would be merged into one unit).
    let crossings = |(ax, ay): (f64, f64)| -> Vec<f64> {
        let mut d: Vec<f64> =
            lattice().into_iter().filter(|p| p.0 < 598_000.0).map(|p| (p.0 - ax).hypot(p.1 - ay)).filter(|d| (60.0..130.0).contains(d)).collect();
        d.sort_by(f64::total_cmp);
        d.dedup_by(|a, b| (*a - *b).abs() < 0.5);
        d.into_iter().take(12).collect()
    };
    let jumps = |estimate: &dyn Fn(f64) -> Option<f64>, address: (f64, f64)| -> f64 {
        let c = crossings(address);
        let jumped = c.iter().filter(|d| estimate(**d - 0.05) != estimate(**d + 0.05)).count();
        jumped as f64 / c.len() as f64
    };
    let old_estimate = |r: f64| -> Option<f64> {
        let params = measurement::BeforeAfterParams { radius_m: r, years: 1, source: None };
        public().apply(measurement::before_after(&w.raw, &params).unwrap()).pooled.map(|e| e.rate_ratio)
    };
    // The public route takes no radius: the attacker can only ask the fixed result.
    let new_estimate = |_r: f64| -> Option<f64> { w.get("/api/before-after")["effect"]["change_pct"].as_f64() };
    let accuracy = |estimate: &dyn Fn(f64) -> Option<f64>| -> f64 {
        let real = SITES.iter().filter(|a| jumps(estimate, **a) > 0.5).count();
        let decoys = DECOYS.iter().filter(|a| jumps(estimate, **a) <= 0.5).count();
        (real + decoys) as f64 / (SITES.len() + DECOYS.len()) as f64
    };
    let (old, new) = (accuracy(&old_estimate), accuracy(&new_estimate));
    println!("housing probe: old design tells sites from decoys {:.0} % of the time, the release {:.0} %", old * 100.0, new * 100.0);
    assert!(old >= 0.9, "the probe should work on the old design ({old})");
    assert!(new <= 0.5, "the public before/after result depends on a caller's radius ({new})");
}

/// New this session: a public score states its coverage (which factors were measured, which are
/// hidden, which lack data), and missing housing data now reads as unknown. Neither may tell the
/// public whether housing exists near a site: the public answer with housing sites 60 m away must
/// equal the answer with no housing imported at all, byte for byte, for every group.
#[test]
fn a_public_score_and_its_coverage_are_the_same_with_or_without_housing_nearby() {
    let dir = tempfile::tempdir().unwrap();
    let db = crate::common::two_squares_db(dir.path());
    let stops = dir.path().join("stops.csv");
    std::fs::write(&stops, "id,name,x,y\ns1,Vest,597500,6642500\n").unwrap();
    crate::common::import_ok(&db, "transit_stops", &stops, &[]);
    let public_score = || {
        let out = crate::common::bomiljo(&db, &["score", "--all-groups", "--at", "59.908458,10.743331", "--role", "public", "--json"]);
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8(out.stdout).unwrap()
    };
    let without = public_score();
    let housing = dir.path().join("housing.csv");
    std::fs::write(&housing, "id,units,group,has_staff_base,opened,x,y\nh1,12,5,true,2021-03-01,597560,6642500\nh2,8,6,false,2022-05-01,597440,6642520\n")
        .unwrap();
    crate::common::import_ok(&db, "housing", &housing, &[]);
    assert_eq!(public_score(), without, "the public score changed when housing sites were imported nearby");
    // The analyst's answer does change: the check above is not vacuous.
    let analyst = crate::common::bomiljo(&db, &["score", "--all-groups", "--at", "59.908458,10.743331", "--role", "analyst", "--json"]);
    let analyst: Value = serde_json::from_slice(&analyst.stdout).unwrap();
    let public: Value = serde_json::from_str(&without).unwrap();
    assert_ne!(analyst[4]["coverage"], public[4]["coverage"], "group 5: the analyst's coverage counts the housing factors");
    assert!(public[4]["coverage"]["hidden"].as_array().is_some_and(|h| !h.is_empty()), "{}", public[4]["coverage"]);
}

/// `&source=…`, or nothing for every source (as the map page asks).
fn source_param(source: &str) -> String {
    if source.is_empty() { String::new() } else { format!("&source={source}") }
}

/// The cell of the release (SSB 250 m) a public GeoJSON cell stands for.
fn released_cell(feature: &Value) -> bomiljo::spatial::SsbCell {
    let (x, y) = ring_centre(feature);
    let (gx, gy) = Transformer::new(ANALYSIS_CRS, Crs::Utm33).apply(x, y).unwrap();
    bomiljo::spatial::SsbCell::containing_utm33(gx, gy)
}

/// The newer public statistics, Local Moran's I and emerging hot spots, attacked the same way:
/// every parameter an attacker controls (sources, year spans, bands, clipping to overlapping
/// areas) is tried. Every count `/api/lisa` shows is the release's count of that cell and span,
/// the same in every answer, 0 or at least k; differencing the span 2023-2024 against 2024 gives
/// the released 2023 count and no more exact small true counts than a guesser; and the emerging
/// patterns are those computed from the release alone (no raw incident, no housing site, shapes
/// them).
#[test]
fn local_moran_and_emerging_hot_spots_difference_to_nothing_beyond_the_release() {
    let w = World::new();
    let mut seen: HashMap<(String, String, bomiljo::spatial::SsbCell), u64> = HashMap::new();
    let mut span_minus_year: Vec<(bomiljo::spatial::SsbCell, i64)> = Vec::new();
    for source in ["police", "fire", "waste", ""] {
        let sources: Vec<String> = if source.is_empty() { Vec::new() } else { vec![source.to_string()] };
        for band in [250, 500, 750] {
            for area in ["", "&area=0101", "&area=0202"] {
                let mut by_span: HashMap<&str, HashMap<bomiljo::spatial::SsbCell, u64>> = HashMap::new();
                for (span, years, (from, to)) in [("2024", "year=2024", (2024, 2024)), ("2023-2024", "year=2023&to_year=2024", (2023, 2024))] {
                    let answer = w.get(&format!("/api/lisa?band_m={band}{area}&{years}{}", source_param(source)));
                    let released = w.release.cell_counts(&sources, (from, to));
                    for f in answer["features"].as_array().unwrap() {
                        let Some(n) = shown(&f["properties"]["count"]) else { continue };
                        let cell = released_cell(f);
                        assert_eq!(
                            Some(n),
                            released.get(&cell).map(|v| v.round().max(0.0) as u64),
                            "{source} {span} band {band}{area}: a shown count is not the release's"
                        );
                        assert!(n == 0 || n >= K, "count {n} under k shown");
                        let before = seen.insert((source.to_string(), span.to_string(), cell), n);
                        assert!(before.is_none_or(|b| b == n), "one cell, two counts across parameters");
                        by_span.entry(span).or_default().insert(cell, n);
                    }
                }
                if source == "police" {
                    for (cell, both) in by_span.get("2023-2024").into_iter().flatten() {
                        if let Some(last) = by_span.get("2024").and_then(|m| m.get(cell)) {
                            span_minus_year.push((*cell, *both as i64 - *last as i64));
                        }
                    }
                }
            }
        }
    }
    // The difference is the released (noisy) 2023 count: post-processing, not the truth.
    let projection = SsbProjection::new();
    let police = ["police".to_string()];
    let (span, year) = (w.release.cell_counts(&police, (2023, 2024)), w.release.cell_counts(&police, (2024, 2024)));
    let whole = |m: &HashMap<bomiljo::spatial::SsbCell, f64>, c: &bomiljo::spatial::SsbCell| m.get(c).map_or(0, |v| v.round().max(0.0) as i64);
    let (span, year): (HashMap<_, _>, HashMap<_, _>) = (span.into_iter().collect(), year.into_iter().collect());
    let mut new = Outcome::default();
    for (cell, estimate) in &span_minus_year {
        // Both figures are the release's estimates shown as whole numbers: their difference is
        // computed from the release alone.
        assert_eq!(*estimate, whole(&span, cell) - whole(&year, cell));
        new.record(*estimate, w.count(|r| r.source == "police" && r.year == 2023 && projection.cell_of(r.x, r.y) == Some(*cell)));
    }
    let police_cells = w.release.table("police", 2023).unwrap().cells().into_iter();
    let guesser = guesser_hits(police_cells.map(|cell| w.count(|r| r.source == "police" && r.year == 2023 && projection.cell_of(r.x, r.y) == Some(cell))));
    println!(
        "local Moran's I: {} counts seen, {} span differences; {}/{} small counts exact (a guesser gets {guesser})",
        seen.len(),
        span_minus_year.len(),
        new.exact,
        new.targets
    );
    assert!(!seen.is_empty(), "the attack saw no count at all");
    assert!(new.exact <= guesser, "{new:?} vs guesser {guesser}");
    // Emerging hot spots: the public answer is the one computed from the release alone.
    let mut compared = 0;
    for (source, band) in [("police", 250.0), ("", 500.0), ("waste", 750.0)] {
        let query = format!("/api/emerging?band_m={band}{}", source_param(source));
        let (public, params) =
            (w.get(&query), measurement::EmergingParams { source: (!source.is_empty()).then(|| source.to_string()), band_m: band, ..Default::default() });
        let Ok(from_release) = measurement::emerging(&w.geography, Incidents::Released(&w.release), &w.config, &params) else { continue };
        let states: Vec<Value> = public["features"].as_array().unwrap().iter().map(|f| f["properties"]["states"].clone()).collect();
        let want: Vec<Value> = from_release.cells.iter().map(|c| serde_json::to_value(&c.states).unwrap()).collect();
        assert_eq!(states, want, "{query}");
        compared += want.len();
    }
    assert!(compared > 0, "no emerging pattern was compared");
}
