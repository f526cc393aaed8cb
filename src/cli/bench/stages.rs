//! The benchmarks of import, release, reports, siting and measurement: each prints its figures.
//! Data is generated with a fixed seed so figures are comparable across runs and machines.

use std::path::Path;
use std::time::Instant;

use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;

use bomiljo::config::Config;
use bomiljo::import::{ImportOptions, import_file};
use bomiljo::index::AreaIndex;
use bomiljo::store::Database;
use bomiljo::store::{OpenMode, Store};

/// Import of `rows` generated incidents into a fresh database with the areas of `areas_file`,
/// then assignment of `rows` random points to those areas. Prints one line per figure.
pub fn import(config: &Config, areas_file: &Path, rows: usize) -> anyhow::Result<()> {
    let dir = tempfile::tempdir().map_err(|e| bomiljo::store::StoreError::Invalid { what: "creating a temporary folder".into(), reason: e.to_string() })?;
    let mut store = Store::open(&dir.path().join("bench.duckdb"), OpenMode::CreateIfMissing)?;
    let options = ImportOptions { imported_by: "bench".into(), ..ImportOptions::default() };
    let areas_layer = &config.project.assign_layer;
    let summary = import_file(&mut store, config, areas_layer, areas_file, &options)?;
    println!("areas: {} polygons from {}", summary.written.rows, areas_file.display());
    let rows_of_areas = store.areas(areas_layer)?;
    let started = Instant::now();
    let areas = AreaIndex::from_rows(rows_of_areas);
    println!("index: R-tree and classified 100 m cell grid over {} areas in {} ms", areas.len(), started.elapsed().as_millis());

    let extent = areas_extent(&areas);
    let mut rng = ChaCha8Rng::seed_from_u64(1);
    let csv_path = dir.path().join("incidents.csv");
    let started = Instant::now();
    let mut csv = String::with_capacity(rows * 48);
    csv.push_str("id,date,category,x,y\n");
    for i in 0..rows {
        let (x, y) = random_point(&mut rng, extent);
        use std::fmt::Write as _;
        let _ = writeln!(csv, "b{i},2024-{:02}-{:02},disturbance,{x:.1},{y:.1}", rng.random_range(1..=12), rng.random_range(1..=28));
    }
    std::fs::write(&csv_path, csv).map_err(|source| bomiljo::demo::DemoError::Write { path: csv_path.clone(), source })?;
    println!("generate: {rows} rows of CSV in {} ms", started.elapsed().as_millis());

    let summary = import_file(&mut store, config, "incidents_police", &csv_path, &options)?;
    let secs = summary.elapsed.as_secs_f64();
    println!(
        "import: {} rows in {:.0} ms = {:.0} rows/s (validate, reproject, snap, assign delbydel, append, commit); {} outside every delbydel",
        summary.written.rows,
        secs * 1000.0,
        summary.written.rows as f64 / secs,
        summary.written.unassigned
    );

    backup_and_restore(&store, dir.path())?;
    import_other_formats(&mut store, config, dir.path(), &mut rng, extent, rows.min(FORMAT_ROWS))?;

    let points: Vec<(f64, f64)> = (0..rows).map(|_| random_point(&mut rng, extent)).collect();
    let started = Instant::now();
    let one_thread = points.iter().filter(|(x, y)| areas.locate(*x, *y).is_some()).count();
    let ms = started.elapsed().as_secs_f64() * 1000.0;
    println!(
        "assign: {rows} points to {} areas in {ms:.0} ms = {:.0} points/s ({one_thread} inside an area; one thread)",
        areas.len(),
        rows as f64 / (ms / 1000.0)
    );
    let threads = bomiljo::parallel::cores();
    let started = Instant::now();
    let assigned = bomiljo::parallel::map(&points, threads, |(x, y)| areas.locate(*x, *y).is_some()).into_iter().filter(|&inside| inside).count();
    let ms = started.elapsed().as_secs_f64() * 1000.0;
    println!("assign: {rows} points in {ms:.0} ms = {:.0} points/s on {threads} threads ({assigned} inside an area)", rows as f64 / (ms / 1000.0));
    Ok(())
}

/// A backup of the database just imported into, and its restore into a new file.
fn backup_and_restore(store: &Store, dir: &Path) -> anyhow::Result<()> {
    let folder = dir.join("backup");
    let started = Instant::now();
    let manifest = store.backup(&folder)?;
    let backup_ms = started.elapsed().as_secs_f64() * 1000.0;
    let size: u64 = std::fs::read_dir(&folder)?.filter_map(|e| e.ok()?.metadata().ok()).map(|m| m.len()).sum();
    let rows = manifest.rows();
    println!("backup: {rows} rows of {} tables in {backup_ms:.0} ms ({:.1} MB of Parquet, hashed)", manifest.tables.len(), size as f64 / 1e6);
    let started = Instant::now();
    bomiljo::store::backup::restore(&folder, &dir.join("restored.duckdb"))?;
    println!("restore: {rows} rows in {:.0} ms (hashes checked, imported, counted, synced)", started.elapsed().as_secs_f64() * 1000.0);
    Ok(())
}

/// Rows of the GeoPackage and Shapefile runs (their readers hold a file's rows in memory).
const FORMAT_ROWS: usize = 200_000;

/// The same kind of rows as a GeoPackage (into the fire layer) and as a Shapefile (into the
/// waste layer), each into an empty layer like the CSV run, timed the same way.
fn import_other_formats(store: &mut Store, config: &Config, dir: &Path, rng: &mut ChaCha8Rng, extent: [f64; 4], rows: usize) -> anyhow::Result<()> {
    let invalid = |what: &str, e: String| bomiljo::store::StoreError::Invalid { what: format!("writing the bench {what}"), reason: e };
    let mut generate = |category: &str| -> Vec<super::formats::Row> {
        (0..rows)
            .map(|i| {
                let (x, y) = random_point(rng, extent);
                let date = format!("2024-{:02}-{:02}", rng.random_range(1..=12), rng.random_range(1..=28));
                super::formats::Row { id: format!("f{i}"), date, category: category.into(), x, y }
            })
            .collect()
    };
    let gpkg = dir.join("incidents.gpkg");
    super::formats::write_gpkg(&gpkg, &generate("fire")).map_err(|e| invalid("GeoPackage", e.to_string()))?;
    let shp = dir.join("incidents.shp");
    super::formats::write_shapefile(&shp, &generate("syringe")).map_err(|e| invalid("Shapefile", e.to_string()))?;
    let options = ImportOptions { imported_by: "bench".into(), ..ImportOptions::default() };
    for (name, layer, path) in [("GeoPackage", "incidents_fire", gpkg), ("Shapefile", "incidents_waste", shp)] {
        let summary = import_file(store, config, layer, &path, &options)?;
        let secs = summary.elapsed.as_secs_f64();
        println!("import {name}: {} rows in {:.0} ms = {:.0} rows/s", summary.written.rows, secs * 1000.0, summary.written.rows as f64 / secs);
    }
    Ok(())
}

pub(crate) fn areas_extent(areas: &AreaIndex) -> [f64; 4] {
    use geo::BoundingRect;
    bomiljo::spatial::bounds_of(areas.iter().filter_map(|a| a.polygon.bounding_rect()))
}

pub(crate) fn random_point(rng: &mut ChaCha8Rng, [x0, y0, x1, y1]: [f64; 4]) -> (f64, f64) {
    (rng.random_range(x0..x1), rng.random_range(y0..y1))
}

/// KDE for the whole city (50 m cells, 300 m bandwidth) over `incidents` generated incidents,
/// indicators for every delbydel × 10 years, and Gi* on the city grid. Prints ms for each.
pub fn measure(config: &Config, areas_file: &Path, incidents: usize) -> anyhow::Result<()> {
    use bomiljo::analysis::{grid::Grid, hotspot::gi_star, indicators, kde};
    use bomiljo::spatial::Metres;
    let store = Store::open_in_memory()?;
    let mut store = store;
    let options = ImportOptions { imported_by: "bench".into(), ..ImportOptions::default() };
    import_file(&mut store, config, &config.project.assign_layer, areas_file, &options)?;
    let areas = AreaIndex::from_rows(store.areas(&config.project.assign_layer)?);
    let extent = areas_extent(&areas);
    let mut rng = ChaCha8Rng::seed_from_u64(2);
    // Incidents snapped to 100 m, as imports store them.
    let snap = |v: f64| (v / 100.0).floor() * 100.0 + 50.0;
    let points: Vec<kde::WeightedPoint> = (0..incidents)
        .map(|_| {
            let (x, y) = random_point(&mut rng, extent);
            kde::WeightedPoint { x: snap(x), y: snap(y), weight: 1.0 }
        })
        .collect();
    let grid = Grid::covering(extent, Metres(50.0));
    let started = Instant::now();
    let density = kde::kde(&points, &grid, Metres(300.0), &kde::Quartic);
    println!(
        "kde: {incidents} incidents on {} x {} = {} cells (50 m, 300 m bandwidth) in {:.0} ms",
        grid.cols,
        grid.rows,
        grid.len(),
        started.elapsed().as_secs_f64() * 1000.0
    );

    let infos: Vec<indicators::AreaInfo> = areas
        .iter()
        .map(|a| indicators::AreaInfo {
            code: a.code.clone(),
            name: a.name.clone(),
            bydel: a.parent_code.clone(),
            population: Some(7000.0),
            area_km2: a.area_m2 / 1e6,
            km2_basis: indicators::AreaBasis::Total,
        })
        .collect();
    let sources = vec!["police".to_string(), "fire".to_string(), "waste".to_string()];
    let mut tallies = indicators::Tallies::new();
    for a in &infos {
        for s in &sources {
            for year in 2014..=2024 {
                let total = rng.random_range(0..400);
                let total = bomiljo::figure::Figure::exact(total);
                tallies.insert((a.code.clone(), s.clone(), year), indicators::Tally { total, categories: [("a".to_string(), total)].into() });
            }
        }
    }
    let started = Instant::now();
    let rows: usize = (2015..=2024).map(|year| indicators::indicators(&infos, &tallies, &sources, year).len()).sum();
    println!("indicators: {rows} rows ({} delbydeler x 3 sources x 10 years) in {:.0} ms", infos.len(), started.elapsed().as_secs_f64() * 1000.0);

    let study: Vec<bool> = (0..grid.len()).map(|i| density.per_km2[i] > 0.0).collect();
    let started = Instant::now();
    let spots = gi_star(&grid, &density.per_km2, &study, Metres(300.0), 0.0).spots;
    println!("gi*: {} study cells of 50 m, 300 m band, with FDR in {:.0} ms", spots.iter().flatten().count(), started.elapsed().as_secs_f64() * 1000.0);
    let grid250 = Grid::covering(extent, Metres(250.0));
    let mut counts = vec![0.0; grid250.len()];
    for p in &points {
        if let Some(i) = grid250.index_of(p.x, p.y) {
            counts[i] += 1.0;
        }
    }
    let all = vec![true; grid250.len()];
    let started = Instant::now();
    gi_star(&grid250, &counts, &all, Metres(500.0), 0.0);
    println!("gi*: {} cells of 250 m, 500 m band (the API default) in {:.0} ms", grid250.len(), started.elapsed().as_secs_f64() * 1000.0);
    let started = Instant::now();
    let local = bomiljo::analysis::lisa::local_moran(&grid250, &counts, &all, Metres(500.0), 999, 1);
    let significant = local.iter().flatten().filter(|l| l.q < 0.05).count();
    println!(
        "local moran's i: {} cells of 250 m, 500 m band, 999 conditional permutations, FDR ({significant} significant) in {:.0} ms",
        grid250.len(),
        started.elapsed().as_secs_f64() * 1000.0
    );
    emerging_cube(&points, &grid250, &mut rng);
    Ok(())
}

/// The emerging hot-spot analysis of `points` spread over 10 years on `grid`: the cube's counts,
/// space-time Gi* with FDR, Mann-Kendall per cell and the patterns (500 m band, lag 1).
fn emerging_cube(points: &[bomiljo::analysis::kde::WeightedPoint], grid: &bomiljo::analysis::grid::Grid, rng: &mut ChaCha8Rng) {
    use bomiljo::analysis::emerging::{Cube, Params, Pattern, emerging_hot_spots};
    const YEARS: usize = 10;
    let started = Instant::now();
    let mut steps = vec![vec![0.0; grid.len()]; YEARS];
    for p in points {
        if let Some(i) = grid.index_of(p.x, p.y) {
            steps[rng.random_range(0..YEARS)][i] += 1.0;
        }
    }
    let study = vec![true; grid.len()];
    let found = emerging_hot_spots(&Cube { grid, steps: &steps, study: &study, noise_var: 0.0 }, &Params::new(bomiljo::spatial::Metres(500.0)));
    let with_pattern = found.iter().filter(|l| l.pattern != Pattern::NoPattern).count();
    println!(
        "emerging hot spots: {} incidents x {YEARS} years on {} cells of 250 m (cube, space-time Gi* with FDR, Mann-Kendall, patterns; {with_pattern} cells with a pattern) in {:.0} ms",
        points.len(),
        grid.len(),
        started.elapsed().as_secs_f64() * 1000.0
    );
}

/// Scores `candidates` random points for all eight groups, and the suitability surface of the
/// whole city at 50 m for group 5, on a demo database built on `areas_file`.
pub fn siting(config: &Config, areas_file: &Path, candidates: usize) -> anyhow::Result<()> {
    use bomiljo::privacy::{Policy, Role};
    use bomiljo::siting::{Candidate, SurfaceParams, quick_score_group, score_all_groups, surface};
    let dir = tempfile::tempdir().map_err(|e| bomiljo::store::StoreError::Invalid { what: "creating a temporary folder".into(), reason: e.to_string() })?;
    let mut store = Store::open(&dir.path().join("bench.duckdb"), OpenMode::CreateIfMissing)?;
    let shared = areas_file.parent().unwrap_or(Path::new("."));
    let real = |file: &str| Some(shared.join(file)).filter(|p| p.is_file());
    let options = bomiljo::demo::DemoOptions {
        areas: Some(areas_file.to_path_buf()),
        population: real("befolkning_250m_2023.geojson"),
        extra: [("marka", real("marka.geojson")), ("roads", real("osm_roads_sentrum.geojson"))]
            .into_iter()
            .filter_map(|(l, p)| Some((l.to_string(), p?)))
            .collect(),
        out_dir: dir.path().join("files"),
        // Side streets every 50 m between the main roads: a network the size of a city's
        // OpenStreetMap highways with footways (Oslo: about 8,000 km).
        street_spacing_m: 50.0,
        ..Default::default()
    };
    bomiljo::demo::build(&mut store, config, &options)?;
    timetable(&mut store, config, dir.path())?;
    let release = bomiljo::release::current(&mut store, config, "bench", "system")?;
    network(&store, config)?;
    let started = Instant::now();
    let world = bomiljo::snapshot::Snapshot::build(config, &store, release).map_err(bomiljo::api::ServeError::Snapshot)?;
    let ctx = &*world.siting;
    println!(
        "snapshot: built in {:.0} ms (the siting context with the street network and the costs from the nearest stop, shop, pharmacy, school, kindergarten and staff base; indexes, geography, need, addresses)",
        started.elapsed().as_secs_f64() * 1000.0
    );
    let areas = world
        .reference
        .assignment_areas(config)
        .ok_or(bomiljo::store::StoreError::Invalid { what: "the siting bench".into(), reason: "no delbydeler".into() })?;
    let extent = areas_extent(areas);
    let mut rng = ChaCha8Rng::seed_from_u64(3);
    let sites: Vec<Candidate> = (0..candidates)
        .map(|_| {
            let (x, y) = random_point(&mut rng, extent);
            Candidate { label: None, x, y, units: None, staff_base_on_site: None }
        })
        .collect();
    let policy = Policy::new(Role::Analyst, config.project.min_count);
    let started = Instant::now();
    let mut scored = 0usize;
    for site in &sites {
        let metrics = ctx.measure(site.x, site.y, &policy);
        for group in &ctx.rules().groups {
            std::hint::black_box(quick_score_group(group, site, &metrics, &policy));
            scored += 1;
        }
    }
    let ms = started.elapsed().as_secs_f64() * 1000.0;
    println!("score: {candidates} candidates x 8 groups = {scored} scores in {ms:.0} ms ({:.2} µs per site, one core)", ms * 1000.0 / candidates as f64);
    let started = Instant::now();
    let explained: usize = sites.iter().take(1000).map(|s| score_all_groups(ctx, s, &policy).len()).sum();
    let ms = started.elapsed().as_secs_f64() * 1000.0;
    println!("explain: 1000 candidates x 8 groups = {explained} explained scores with sentences in {ms:.0} ms");
    let started = Instant::now();
    let s = surface(ctx, &SurfaceParams { group: 5, area: None, cell_m: 50.0, units: None, need_gap: false, within_bydeler: None }, &policy)
        .map_err(bomiljo::api::ServeError::Siting)?;
    let inside = s.cells.iter().filter(|c| c.is_some()).count();
    println!("surface: group 5, whole city at 50 m: {inside} cells scored in {:.0} ms", started.elapsed().as_secs_f64() * 1000.0);
    // The rule of groups 4-8, as the siting context measures it.
    let within = bomiljo::analysis::siting::Metric::DeparturesWithin {
        layer: "transit_stops".into(),
        radius_m: 600.0,
        window: bomiljo::analysis::siting::ServiceWindow::Day,
    };
    let started = Instant::now();
    let departures: f64 = sites.iter().filter_map(|s| ctx.metric_at(s.x, s.y, &within, &policy)).sum();
    println!(
        "departures: daytime departures an hour within 600 m of {candidates} sites in {:.0} ms (mean {:.1} an hour)",
        started.elapsed().as_secs_f64() * 1000.0,
        departures / candidates as f64
    );
    let started = Instant::now();
    let group = ctx.group(5).map_err(bomiljo::api::ServeError::Siting)?;
    let range = ctx.rules().what_if.weight;
    let mut ranked: Vec<_> = sites.iter().take(50).map(|s| bomiljo::siting::score_with(ctx, group, s, &policy)).collect();
    ranked.sort_by(|a, b| b.score.total_cmp(&a.score));
    let flips: usize = ranked.iter().map(|e| bomiljo::analysis::siting::sensitivity::verdict_flips(e, range).len()).sum();
    let swaps = ranked.windows(2).filter(|pair| bomiljo::analysis::siting::sensitivity::swap_point(&pair[0], &pair[1], range).is_some()).count();
    println!(
        "sensitivity: 50 sites of group 5 scored, {flips} verdict flips and {swaps} of 49 rank swaps found within the weight range in {:.0} ms",
        started.elapsed().as_secs_f64() * 1000.0
    );
    Ok(())
}

/// Trips of the synthetic timetable the siting bench imports with the demo's stops: a city's
/// weekday (Ruter runs about this many on a weekday, each calling at a dozen stops).
const BENCH_TRIPS: usize = 100_000;

/// Replaces the demo's stops by a GTFS feed of the same stops with a weekday timetable of
/// [`BENCH_TRIPS`] trips of 12 stops each, and prints what its import (with the departures
/// counted) takes.
fn timetable(store: &mut Store, config: &Config, dir: &Path) -> anyhow::Result<()> {
    use std::fmt::Write as _;
    use std::io::Write as _;
    let stops = store.feature_points("transit_stops")?;
    if stops.is_empty() {
        return Ok(());
    }
    let to_wgs84 = bomiljo::spatial::Transformer::new(bomiljo::spatial::ANALYSIS_CRS, bomiljo::spatial::Crs::Wgs84);
    let mut stops_txt = String::from("stop_id,stop_name,stop_lat,stop_lon,location_type\n");
    for (i, s) in stops.iter().enumerate() {
        let (lon, lat) =
            to_wgs84.apply(s.x, s.y).map_err(|e| bomiljo::store::StoreError::Invalid { what: "projecting a stop".into(), reason: e.to_string() })?;
        let _ = writeln!(stops_txt, "s{i},Stopp {i},{lat:.7},{lon:.7},0");
    }
    let mut trips = String::from("route_id,service_id,trip_id\n");
    let mut stop_times = String::from("trip_id,arrival_time,departure_time,stop_id,stop_sequence\n");
    for t in 0..BENCH_TRIPS {
        let _ = writeln!(trips, "r{},hverdag,t{t}", t % 200);
        let start = 5 * 60 + (t * 7) % (19 * 60);
        for k in 0..12 {
            let minute = start + 2 * k;
            let time = format!("{:02}:{:02}:00", minute / 60, minute % 60);
            let _ = writeln!(stop_times, "t{t},{time},{time},s{},{k}", (t * 13 + k) % stops.len());
        }
    }
    let calendar = "service_id,monday,tuesday,wednesday,thursday,friday,saturday,sunday,start_date,end_date\nhverdag,1,1,1,1,1,0,0,20261207,20261218\n";
    let path = dir.join("timetable.zip");
    let failed = |e: std::io::Error| bomiljo::store::StoreError::Invalid { what: format!("writing {}", path.display()), reason: e.to_string() };
    let mut zip = zip::ZipWriter::new(std::fs::File::create(&path).map_err(failed)?);
    for (name, text) in [("stops.txt", stops_txt.as_str()), ("trips.txt", &trips), ("stop_times.txt", &stop_times), ("calendar.txt", calendar)] {
        zip.start_file(name, zip::write::SimpleFileOptions::default()).map_err(|e| failed(e.into()))?;
        zip.write_all(text.as_bytes()).map_err(failed)?;
    }
    zip.finish().map_err(|e| failed(e.into()))?;
    let started = Instant::now();
    import_file(store, config, "transit_stops", &path, &ImportOptions::default())?;
    println!(
        "timetable: GTFS of {} stops, {BENCH_TRIPS} trips and {} stop times imported with each stop's departures counted in {:.2} s",
        stops.len(),
        BENCH_TRIPS * 12,
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

/// The street network of the store: its size, the time to build it from the stored ways, one
/// multi-source Dijkstra, and isochrones from the middle of the network.
fn network(store: &Store, config: &Config) -> anyhow::Result<()> {
    use super::peers::timed_median;
    use bomiljo::analysis::network::{
        dijkstra::costs_from,
        isochrone::{Direction, isochrone},
    };
    use bomiljo::index::network::{Mode, Network};
    let Some(profile) = bomiljo::siting::rules::load(&config.project.rules, config).ok().and_then(|r| r.network) else {
        println!("network: the rule file has no [network]; skipped");
        return Ok(());
    };
    let started = Instant::now();
    let streets = store.streets(&profile.layer)?;
    let read_ms = started.elapsed().as_secs_f64() * 1000.0;
    let started = Instant::now();
    let Some(network) = Network::from_store(store, &profile)? else {
        println!("network: layer {} holds no streets; skipped", profile.layer);
        return Ok(());
    };
    let total_ms = started.elapsed().as_secs_f64() * 1000.0;
    let s = network.summary();
    println!(
        "network: {} ways, {} nodes, {} edges, {:.0} km on foot, {:.0} km by car; read from the store in {read_ms:.0} ms, read and built in {total_ms:.0} ms",
        streets.len(),
        s.nodes,
        s.edges,
        s.walk_km,
        s.drive_km
    );
    let sources: Vec<(u32, f64)> = (0..network.nodes().len() as u32).step_by(500).map(|n| (n, 0.0)).collect();
    let (_, dijkstra_s) = timed_median(|| costs_from(network.adjacency(Mode::Walk), &sources, f64::INFINITY));
    println!("dijkstra: {} sources over the whole walking graph in {:.1} ms", sources.len(), dijkstra_s * 1000.0);
    let [x0, y0, x1, y1] =
        network.nodes().iter().fold([f64::MAX, f64::MAX, f64::MIN, f64::MIN], |[a, b, c, d], [x, y]| [a.min(*x), b.min(*y), c.max(*x), d.max(*y)]);
    let (cx, cy) = ((x0 + x1) / 2.0, (y0 + y1) / 2.0);
    for (mode, minutes) in [(Mode::Drive, 5.0), (Mode::Walk, 10.0)] {
        let (area, seconds) = timed_median(|| isochrone(&network, cx, cy, mode, minutes, Direction::From));
        let reached = area.map_or(0.0, |a| a.reached_m / 1000.0);
        println!("isochrone: {minutes} min {mode:?} from the middle of the network ({reached:.1} km of street) in {:.1} ms", seconds * 1000.0);
    }
    Ok(())
}

/// Time to produce one neighbour-dialogue PDF on a demo database built on `areas_file`.
pub fn report(config: &Config, areas_file: &Path, reports: usize) -> anyhow::Result<()> {
    use bomiljo::report::dialogue::{DialogueParams, Lang, Sources, render};
    let dir = tempfile::tempdir().map_err(bomiljo::api::ServeError::Io)?;
    let mut store = Store::open(&dir.path().join("bench.duckdb"), OpenMode::CreateIfMissing)?;
    let options = bomiljo::demo::DemoOptions { areas: Some(areas_file.to_path_buf()), out_dir: dir.path().join("files"), ..Default::default() };
    bomiljo::demo::build(&mut store, config, &options)?;
    let release = bomiljo::release::current(&mut store, config, "bench", "system")?;
    let world = bomiljo::snapshot::Snapshot::build(config, &store, release).map_err(bomiljo::api::ServeError::Snapshot)?;
    let sources = Sources { config, release: &world.release, geography: &world.geography, index: &world.reference, travel: None, rules: None };
    let areas = world
        .reference
        .assignment_areas(config)
        .ok_or(bomiljo::store::StoreError::Invalid { what: "the dialogue bench".into(), reason: "no delbydeler".into() })?;
    let sites: Vec<(f64, f64)> = areas.iter().take(reports).filter_map(|a| geo::InteriorPoint::interior_point(&a.polygon)).map(|p| (p.x(), p.y())).collect();
    let started = Instant::now();
    let mut bytes = 0;
    for &(x, y) in &sites {
        let params = DialogueParams {
            x,
            y,
            radius_m: 500.0,
            housing_type: "samlokaliserte boliger med personalbase".into(),
            group: None,
            staff_base_area: false,
            lang: Lang::Nb,
        };
        bytes += render(&sources, &params).map_err(|e| bomiljo::api::ServeError::Io(std::io::Error::other(e.to_string())))?.len();
    }
    let ms = started.elapsed().as_secs_f64() * 1000.0;
    println!(
        "report: {} dialogue PDFs (500 m radius, map, 5 years, 3 pages) in {ms:.0} ms = {:.0} ms each, {} kB each",
        sites.len(),
        ms / sites.len() as f64,
        bytes / sites.len() / 1024
    );
    Ok(())
}

/// Builds the public release for a demo on `areas_file` with `years` years of three sources,
/// and prints the time, the mean absolute error of the released delbydel-year counts and the
/// rank agreement (Spearman) of the public choropleth (rate per 1,000, latest year) with the raw.
pub fn release(config: &Config, areas_file: &Path, years: i32) -> anyhow::Result<()> {
    use bomiljo::measurement::{Geography, Incidents, Level, measure};
    let dir = tempfile::tempdir().map_err(bomiljo::api::ServeError::Io)?;
    let mut store = Store::open(&dir.path().join("bench.duckdb"), OpenMode::CreateIfMissing)?;
    let real = |f: &str| Some(Path::new("../shared/data/oslo").join(f)).filter(|p| p.exists());
    let last = 2025;
    let options = bomiljo::demo::DemoOptions {
        areas: Some(areas_file.to_path_buf()),
        population: real("befolkning_250m_2023.geojson"),
        extra: real("bydeler_befolkning_2024.geojson").map(|p| ("bydeler".to_string(), p)).into_iter().collect(),
        years: (last - years + 1, last),
        out_dir: dir.path().join("files"),
        ..Default::default()
    };
    bomiljo::demo::build(&mut store, config, &options)?;
    let incidents: i64 = store
        .layer_counts()?
        .iter()
        .filter(|(layer, _)| config.layer(layer).is_ok_and(|l| l.kind == bomiljo::config::LayerKind::Incidents))
        .map(|(_, n)| n)
        .sum();
    let published = bomiljo::release::publish(&mut store, config, "bench", "system")?;
    let release = published.release;
    let units: usize = release.rows().len();
    println!(
        "build: {years} years x {} sources, {incidents} incidents, {} delbydeler -> {units} released counts in {:.0} ms (release v{})",
        release.sources().len(),
        release.settings.areas.len(),
        published.seconds * 1000.0,
        release.version
    );
    let again = bomiljo::release::publish(&mut store, config, "bench", "system")?;
    let same = again.release.rows() == release.rows();
    println!("rebuild without new data: {:.0} ms, identical counts: {same}, source-years re-measured: {}", again.seconds * 1000.0, again.remeasured.len());
    let geography = Geography::load(&store, config)?;
    let (mut error_sum, mut n) = (0.0f64, 0u64);
    let raw_tallies = Incidents::Raw(store.handle()).tallies(last - years + 1, last)?;
    for source in release.sources() {
        for year in last - years + 1..=last {
            let Some(table) = release.table(&source, year) else {
                continue;
            };
            for (code, released) in table.delbydeler() {
                let raw = raw_tallies.get(&(code.to_string(), source.clone(), year)).map_or(0.0, |t| t.total.estimate);
                error_sum += (released.estimate - raw).abs();
                n += 1;
            }
        }
    }
    println!(
        "accuracy: mean absolute error of {n} released delbydel-year counts = {:.2} (stated: within ±{} in 95 % of cases)",
        error_sum / n.max(1) as f64,
        release.settings.levels.iter().find(|l| l.level == "delbydel").map_or(0, |l| l.within_95)
    );
    let rates = |incidents: Incidents| -> anyhow::Result<Vec<(String, f64)>> {
        let rows = measure(&geography, incidents, config, last, Level::Delbydel)?;
        let mut by_area: std::collections::BTreeMap<String, f64> = std::collections::BTreeMap::new();
        for r in rows.iter().filter(|r| r.rate_per_1000.is_some()) {
            *by_area.entry(r.code.clone()).or_default() += r.rate_per_1000.unwrap_or(0.0);
        }
        Ok(by_area.into_iter().collect())
    };
    let raw = rates(Incidents::Raw(store.handle()))?;
    let public = rates(Incidents::Released(&release))?;
    let rho = spearman(&raw.iter().map(|r| r.1).collect::<Vec<_>>(), &public.iter().map(|r| r.1).collect::<Vec<_>>());
    println!("choropleth: Spearman rank correlation of public and raw rate per 1,000 ({last}, all sources, {} delbydeler) = {rho:.3}", raw.len());
    honesty(&store, config, (last - years + 1, last))
}

/// Bias and coverage of the release's figures over ten release keys, against the known truth:
/// every cell summed over all sources and years, by the size of its true count.
fn honesty(store: &Store, config: &Config, (first, last): (i32, i32)) -> anyhow::Result<()> {
    use bomiljo::figure::Figure;
    let mut truth: std::collections::BTreeMap<bomiljo::spatial::SsbCell, f64> = std::collections::BTreeMap::new();
    let tallies = store.release_tallies(config.project.release_max_per_key)?;
    // Order effects: first minus last category of each source (by name), January minus December.
    let mut categories: std::collections::BTreeMap<&str, std::collections::BTreeSet<&str>> = std::collections::BTreeMap::new();
    for t in &tallies {
        categories.entry(&t.source).or_default().insert(&t.category);
    }
    let first_last = |source: &str| categories.get(source).and_then(|c| Some((*c.first()?, *c.last()?)));
    let signed = |yes: bool, no: bool| f64::from(u8::from(yes)) - f64::from(u8::from(no));
    let (mut true_month_gap, mut true_category_gap) = (0.0, 0.0);
    for t in &tallies {
        true_month_gap += t.count as f64 * signed(t.month == 1, t.month == 12);
        if let Some((first, last)) = first_last(&t.source) {
            true_category_gap += t.count as f64 * signed(t.category == first, t.category == last);
        }
        if let Some(id) = t.ssb_cell {
            *truth.entry(bomiljo::spatial::SsbCell::from_id(id)).or_default() += t.count as f64;
        }
    }
    let buckets: [(&str, f64, f64); 5] = [("0", 0.0, 0.0), ("1-4", 1.0, 4.0), ("5-19", 5.0, 19.0), ("20-99", 20.0, 99.0), (">=100", 100.0, f64::MAX)];
    // Per bucket: (sum of errors, figures, covered).
    let mut tally = [(0.0, 0usize, 0usize); 5];
    // Per key: shown minus true of January - December, first - last category, south - north.
    let mut order_effects: Vec<[f64; 3]> = Vec::new();
    // Shown minus true, summed over the cells south and north of the median cell row.
    let median_row = {
        let mut rows: Vec<f64> = truth.keys().map(|c| c.centre_utm33().1).collect();
        rows.sort_by(f64::total_cmp);
        rows.get(rows.len() / 2).copied().unwrap_or(0.0)
    };
    let keys = 10;
    let started = Instant::now();
    for key in 0..keys {
        let mut input = bomiljo::release::input(store, config, None)?;
        input.secret = [key as u8 + 7; 32];
        input.ledger.clear();
        let report = bomiljo::release::build(&input);
        let mut figures: std::collections::BTreeMap<bomiljo::spatial::SsbCell, Figure> = std::collections::BTreeMap::new();
        let mut effects = [-true_month_gap, -true_category_gap, 0.0];
        for ((source, year), table) in &report.tables {
            if !(first..=last).contains(year) {
                continue;
            }
            for cell in table.cells() {
                *figures.entry(cell).or_default() += table.pieces_where(|c| c == cell);
            }
            effects[0] += table.month_in(1, |_| true).estimate - table.month_in(12, |_| true).estimate;
            if let Some((first, last)) = first_last(source) {
                effects[1] += table.category_in(first, |_| true).estimate - table.category_in(last, |_| true).estimate;
            }
        }
        for (cell, figure) in figures {
            let t = truth.get(&cell).copied().unwrap_or(0.0);
            let Some(b) = buckets.iter().position(|(_, lo, hi)| (*lo..=*hi).contains(&t)) else { continue };
            let (low, high) = figure.interval();
            effects[2] += (figure.estimate - t) * if cell.centre_utm33().1 < median_row { 1.0 } else { -1.0 };
            tally[b].0 += figure.estimate - t;
            tally[b].1 += 1;
            tally[b].2 += usize::from((low as f64..=high as f64).contains(&t));
        }
        order_effects.push(effects);
    }
    println!("honesty over {keys} release keys ({:.1} s), every cell summed over all sources and {first}-{last}:", started.elapsed().as_secs_f64());
    for ((name, _, _), (errors, n, covered)) in buckets.iter().zip(tally) {
        if n > 0 {
            println!(
                "  true count {name:>6}: {n:>6} figures, mean shown - true {:+.3}, 95 % interval covers the truth in {:.1} %",
                errors / n as f64,
                covered as f64 / n as f64 * 100.0
            );
        }
    }
    let effect = |i: usize| {
        let values: Vec<f64> = order_effects.iter().map(|e| e[i]).collect();
        let mean = values.iter().sum::<f64>() / values.len() as f64;
        let sd = (values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (values.len() as f64 - 1.0)).sqrt();
        format!("{mean:+.1} (standard error {:.1})", sd / (values.len() as f64).sqrt())
    };
    println!(
        "  order effects, shown minus true (0 within about 2 standard errors expected): January - December {}, first - last category {}, south - north cells {}",
        effect(0),
        effect(1),
        effect(2)
    );
    null_worlds();
    Ok(())
}

/// Public hot spots on 100 worlds without a pattern (a 40 x 40 grid of 250 m cells, 0.5 incidents
/// a cell and year over seven years, the release's noise of seven source-years): the share of
/// maps with any hot or cold spot, nominally at most 10 %.
fn null_worlds() {
    use rand_distr::{Distribution, Normal, Poisson};
    let grid = bomiljo::analysis::grid::Grid::covering([0.0, 0.0, 10_000.0, 10_000.0], bomiljo::spatial::Metres(250.0));
    let study = vec![true; grid.len()];
    let noise_var = 7.0 * bomiljo::release::mechanism::DiscreteGaussian::for_rho(0.5 * 0.3).sigma2();
    let (counts, noise) = (Poisson::new(3.5).expect("a positive mean"), Normal::new(0.0, noise_var.sqrt()).expect("a finite sd"));
    let started = Instant::now();
    let found = (0..100u64)
        .filter(|world| {
            let mut rng = ChaCha8Rng::seed_from_u64(9000 + world);
            let values: Vec<f64> = (0..grid.len()).map(|_| counts.sample(&mut rng) + noise.sample(&mut rng)).collect();
            let gi = bomiljo::analysis::hotspot::gi_star(&grid, &values, &study, bomiljo::spatial::Metres(500.0), noise_var);
            gi.spots.iter().flatten().any(|s| s.class != bomiljo::analysis::hotspot::SpotClass::NotSignificant)
        })
        .count();
    println!(
        "null worlds: public hot-spot maps with any hot or cold spot in {found} of 100 worlds without a pattern ({:.1} s)",
        started.elapsed().as_secs_f64()
    );
}

/// Spearman's rank correlation (average ranks for ties).
fn spearman(a: &[f64], b: &[f64]) -> f64 {
    let ranks = |v: &[f64]| -> Vec<f64> {
        let mut order: Vec<usize> = (0..v.len()).collect();
        order.sort_by(|&i, &j| v[i].total_cmp(&v[j]));
        let mut r = vec![0.0; v.len()];
        let mut i = 0;
        while i < order.len() {
            let mut j = i;
            while j + 1 < order.len() && v[order[j + 1]] == v[order[i]] {
                j += 1;
            }
            for k in i..=j {
                r[order[k]] = (i + j) as f64 / 2.0 + 1.0;
            }
            i = j + 1;
        }
        r
    };
    let (ra, rb) = (ranks(a), ranks(b));
    let n = ra.len() as f64;
    let mean = (n + 1.0) / 2.0;
    let cov: f64 = ra.iter().zip(&rb).map(|(x, y)| (x - mean) * (y - mean)).sum();
    let var = |r: &[f64]| r.iter().map(|x| (x - mean).powi(2)).sum::<f64>();
    cov / (var(&ra) * var(&rb)).sqrt()
}
