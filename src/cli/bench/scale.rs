//! `bomiljo bench scale`: import, measurement, a city heat map and a public release at growing
//! numbers of incidents (generated: uniform over the delbydeler's extent, ten years, one source),
//! each size in a process of its own so that its peak memory is its own.

use std::io::Write;
use std::path::Path;
use std::time::Instant;

use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

use super::stages::{areas_extent, random_point};
use bomiljo::config::Config;
use bomiljo::import::{ImportOptions, import_file};
use bomiljo::index::AreaIndex;
use bomiljo::measurement::{Geography, HeatParams, Incidents, Level, heat, measure};
use bomiljo::store::Database;
use bomiljo::store::{OpenMode, Store, StoreError};

/// The figures of one size.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct ScaleRow {
    pub rows: u64,
    pub generate_s: f64,
    pub import_s: f64,
    pub measure_s: f64,
    pub heat_s: f64,
    pub release_s: f64,
    /// Peak resident memory of the process (VmHWM) after the import, and at the end, MB.
    pub import_peak_mb: f64,
    pub peak_mb: f64,
    /// The database file after the import, MB.
    pub database_mb: f64,
}

/// Runs every size in a child process (`exe bench scale --one N`) and prints a table.
pub fn run(exe: &Path, config_dir: &Path, areas_file: &Path, sizes: &[u64]) -> anyhow::Result<()> {
    println!(
        "{:>12} {:>10} {:>10} {:>12} {:>10} {:>9} {:>10} {:>14} {:>9} {:>9}",
        "incidents", "generate", "import", "rows/s", "measure", "heat", "release", "import peak MB", "peak MB", "file MB"
    );
    for &rows in sizes {
        let output = std::process::Command::new(exe)
            .args(["--config", &config_dir.display().to_string(), "bench", "scale", "--one", &rows.to_string(), "--areas", &areas_file.display().to_string()])
            .env("BOMILJO_LOG", "warn")
            .output()
            .map_err(|e| StoreError::Invalid { what: format!("running {}", exe.display()), reason: e.to_string() })?;
        let row: Option<ScaleRow> = String::from_utf8_lossy(&output.stdout).lines().find_map(|l| serde_json::from_str(l).ok());
        match row {
            Some(r) => println!(
                "{:>12} {:>9.1}s {:>9.1}s {:>12.0} {:>9.2}s {:>8.2}s {:>9.1}s {:>14.0} {:>9.0} {:>9.0}",
                r.rows,
                r.generate_s,
                r.import_s,
                r.rows as f64 / r.import_s,
                r.measure_s,
                r.heat_s,
                r.release_s,
                r.import_peak_mb,
                r.peak_mb,
                r.database_mb
            ),
            None => println!("{rows:>12} failed: {}", String::from_utf8_lossy(&output.stderr).lines().last().unwrap_or("no output")),
        }
        let _ = std::io::stdout().flush();
    }
    Ok(())
}

/// One size in this process; prints its [`ScaleRow`] as a JSON line.
pub fn one(config: &Config, areas_file: &Path, rows: u64) -> anyhow::Result<ScaleRow> {
    let dir = tempfile::tempdir_in(std::env::var_os("BOMILJO_BENCH_DIR").map_or_else(std::env::temp_dir, std::path::PathBuf::from))
        .map_err(|e| StoreError::Invalid { what: "creating a temporary folder".into(), reason: e.to_string() })?;
    let db = dir.path().join("scale.duckdb");
    let mut store = Store::open(&db, OpenMode::CreateIfMissing)?;
    let options = ImportOptions { imported_by: "bench scale".into(), ..ImportOptions::default() };
    import_file(&mut store, config, &config.project.assign_layer, areas_file, &options)?;
    let areas = AreaIndex::from_rows(store.areas(&config.project.assign_layer)?);
    let csv = dir.path().join("incidents.csv");
    let started = Instant::now();
    write_incidents(&csv, rows, areas_extent(&areas))?;
    let generate_s = started.elapsed().as_secs_f64();
    let started = Instant::now();
    import_file(&mut store, config, "incidents_police", &csv, &options)?;
    let import_s = started.elapsed().as_secs_f64();
    let import_peak_mb = peak_memory_mb();
    std::fs::remove_file(&csv).ok();
    let geography = Geography::load(&store, config)?;
    let started = Instant::now();
    measure(&geography, Incidents::Raw(store.handle()), config, 2024, Level::Delbydel)?;
    let measure_s = started.elapsed().as_secs_f64();
    let started = Instant::now();
    heat(&geography, Incidents::Raw(store.handle()), config, &HeatParams { year: Some(2024), ..HeatParams::default() })?;
    let heat_s = started.elapsed().as_secs_f64();
    let started = Instant::now();
    bomiljo::release::publish(&mut store, config, "bench scale", "system")?;
    let release_s = started.elapsed().as_secs_f64();
    store.checkpoint()?;
    let database_mb = std::fs::metadata(&db).map(|m| m.len() as f64 / 1e6).unwrap_or(f64::NAN);
    let row = ScaleRow { rows, generate_s, import_s, measure_s, heat_s, release_s, import_peak_mb, peak_mb: peak_memory_mb(), database_mb };
    println!("{}", serde_json::to_string(&row).unwrap_or_default());
    Ok(row)
}

/// `rows` incidents as CSV, written as generated (nothing held in memory): ten years, one category.
fn write_incidents(path: &Path, rows: u64, extent: [f64; 4]) -> anyhow::Result<()> {
    let fail = |e: std::io::Error| bomiljo::demo::DemoError::Write { path: path.to_path_buf(), source: e };
    let mut out = std::io::BufWriter::with_capacity(1 << 20, std::fs::File::create(path).map_err(fail)?);
    let mut rng = ChaCha8Rng::seed_from_u64(16);
    writeln!(out, "id,date,category,x,y").map_err(fail)?;
    for i in 0..rows {
        let (x, y) = random_point(&mut rng, extent);
        let (year, month, day) = (2015 + i % 10, rng.random_range(1..=12), rng.random_range(1..=28));
        writeln!(out, "s{i},{year}-{month:02}-{day:02},disturbance,{x:.1},{y:.1}").map_err(fail)?;
    }
    out.flush().map_err(fail)?;
    Ok(())
}

/// The process's peak resident memory (Linux `VmHWM`), MB; NaN elsewhere.
fn peak_memory_mb() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| s.lines().find_map(|l| l.strip_prefix("VmHWM:").map(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())))
        .flatten()
        .map_or(f64::NAN, |kb| kb / 1024.0)
}
