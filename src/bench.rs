//! `bomiljo bench <capability>`: benchmarks that print their figures. Data is generated with a
//! fixed seed so figures are comparable across runs and machines.

use std::path::Path;
use std::time::Instant;

use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;

use crate::config::Config;
use crate::import::{import_file, ImportOptions};
use crate::index::AreaIndex;
use crate::store::{queries, OpenMode, Store};

/// Import of `rows` generated incidents into a fresh database with the areas of `areas_file`,
/// then assignment of `rows` random points to those areas. Prints one line per figure.
pub fn import(config: &Config, areas_file: &Path, rows: usize) -> Result<(), crate::Error> {
    let dir = tempfile::tempdir().map_err(|e| crate::store::StoreError::Open { path: "tempdir".into(), source: duckdb::Error::InvalidPath(e.to_string().into()) })?;
    let mut store = Store::open(&dir.path().join("bench.duckdb"), OpenMode::CreateIfMissing)?;
    let options = ImportOptions { imported_by: "bench".into(), ..ImportOptions::default() };
    let areas_layer = &config.project.assign_layer;
    let summary = import_file(&mut store, config, areas_layer, areas_file, &options)?;
    println!("areas: {} polygons from {}", summary.written.rows, areas_file.display());
    let areas = AreaIndex::from_rows(queries::areas(store.conn(), areas_layer)?);

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
    std::fs::write(&csv_path, csv).map_err(|source| crate::demo::DemoError::Write { path: csv_path.clone(), source })?;
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

    let points: Vec<(f64, f64)> = (0..rows).map(|_| random_point(&mut rng, extent)).collect();
    let started = Instant::now();
    let assigned = points.iter().filter(|(x, y)| areas.locate(*x, *y).is_some()).count();
    let ms = started.elapsed().as_secs_f64() * 1000.0;
    println!(
        "assign: {rows} points to {} areas in {ms:.0} ms = {:.0} points/s ({assigned} inside an area)",
        areas.len(),
        rows as f64 / (ms / 1000.0)
    );
    Ok(())
}

fn areas_extent(areas: &AreaIndex) -> [f64; 4] {
    use geo::BoundingRect;
    areas.iter().filter_map(|a| a.polygon.bounding_rect()).fold(
        [f64::MAX, f64::MAX, f64::MIN, f64::MIN],
        |[a, b, c, d], r| [a.min(r.min().x), b.min(r.min().y), c.max(r.max().x), d.max(r.max().y)],
    )
}

fn random_point(rng: &mut ChaCha8Rng, [x0, y0, x1, y1]: [f64; 4]) -> (f64, f64) {
    (rng.random_range(x0..x1), rng.random_range(y0..y1))
}
