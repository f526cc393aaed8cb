//! `bomiljo bench peers`: bomiljo's rows of the shared peer benchmark (`../shared/peers`), on the
//! peers' own inputs and checked against their reference outputs. Prints one JSON line per
//! figure, with the peers' field names, for `BOMILJO_BENCH` to add to the harness's table.
//!
//! - `assign`: the 1M clustered points to the 97 delbydeler (cell grid + banded edges, every
//!   core); counts fingerprinted as the harness does and compared with geopandas' counts.
//! - `import`: the same points as a CSV file into a fresh database, end to end.
//! - `kde`: quartic, 300 m, on the peers' 50 m grid, from the points snapped to 100 m (as imports
//!   store them) and from the raw points; compared with the exact surface and brute force.
//! - `nearest`: 100k candidate sites, nearest school and residents within 250 m, as the siting
//!   rules measure them; distances compared site by site with shapely's.

use std::collections::BTreeMap;
use std::path::Path;
use std::time::Instant;

use serde_json::json;

use bomiljo::analysis::grid::Grid;
use bomiljo::analysis::kde::{Quartic, WeightedPoint, kde};
use bomiljo::analysis::siting::Metric;
use bomiljo::config::Config;
use bomiljo::import::{ImportOptions, import_file};
use bomiljo::index::{Area, AreaIndex};
use bomiljo::parallel;
use bomiljo::spatial::{ANALYSIS_CRS, Crs, Metres, Transformer};
use bomiljo::store::Database;
use bomiljo::store::{OpenMode, Store, queries};

/// Timed runs of each step; the median is reported, as the peers do.
const REPEAT: usize = 3;

/// The layer the peers' points are imported into: their six Norwegian labels, WGS84 columns.
const PEERS_LAYER: &str = r#"
name = "incidents_peers"
title = { nb = "Hendelser (sammenligning)", en = "Incidents (peer benchmark)" }
description = "The peer benchmark's synthetic incidents."
kind = "incidents"
geometry = "point"
visibility = "internal"
source = "peers"
crs = "EPSG:4326"
categories = ["disturbance", "violence", "drugs", "fire", "waste", "syringe"]
earliest_date = "2010-01-01"
[category_labels]
disturbance = ["uro"]
violence = ["vold"]
drugs = ["narkotika"]
fire = ["brann"]
waste = ["avfall"]
syringe = ["sproyter"]
[fields]
id = { column = "id" }
date = { column = "date" }
category = { column = "category" }
[anonymise]
grid_m = 100
reject_identifiers = true
"#;

type BenchResult<T> = anyhow::Result<T>;

fn invalid(what: &str, reason: impl std::fmt::Display) -> anyhow::Error {
    anyhow::anyhow!("{what}: {reason}")
}

/// Runs every step on the inputs in `work` (the harness's `PEERS_WORK`) with Oslo's data in
/// `oslo`, printing one JSON line per figure.
pub fn peers(config: &Config, work: &Path, oslo: &Path) -> BenchResult<()> {
    let points_csv = work.join("points_1m.csv");
    let candidates_csv = work.join("candidates_100k.csv");
    for needed in [&points_csv, &candidates_csv] {
        if !needed.is_file() {
            return Err(invalid("reading the peers' inputs", format!("{} is missing; run ../shared/peers/run_all.sh first", needed.display())));
        }
    }
    let threads = parallel::cores();
    let dir = tempfile::tempdir().map_err(|e| invalid("creating a temporary folder", e))?;
    let config = with_peers_layer(config, dir.path())?;
    let mut store = Store::open_in_memory()?;
    let options = ImportOptions { imported_by: "bench".into(), ..ImportOptions::default() };
    import_file(&mut store, &config, &config.project.assign_layer, &oslo.join("delbydeler.geojson"), &options)?;
    let areas = AreaIndex::from_rows(store.areas(&config.project.assign_layer)?);

    let (lonlat, read_s) = timed_median(|| read_lon_lat(&points_csv));
    let lonlat = lonlat?;
    let (xy, project_s) = timed_median(|| project(&lonlat, threads));
    assign(&areas, &lonlat, &xy, threads, (read_s, project_s), work, oslo)?;
    import(&config, work, &points_csv, oslo)?;
    kde_rows(&xy, work)?;
    nearest(&config, &mut store, &candidates_csv, work, oslo, threads)?;
    Ok(())
}

/// The project's configuration with the peers' incident layer added.
fn with_peers_layer(config: &Config, dir: &Path) -> BenchResult<Config> {
    let path = dir.join("incidents_peers.toml");
    std::fs::write(&path, PEERS_LAYER).map_err(|e| invalid("writing the peers' layer file", e))?;
    let mut config = config.clone();
    config.layers.push(bomiljo::config::Layer::load(&path)?);
    Ok(config)
}

/// Runs `f` [`REPEAT`] times; the last result and the median seconds.
pub(super) fn timed_median<T>(mut f: impl FnMut() -> T) -> (T, f64) {
    let mut seconds = Vec::new();
    let mut result = None;
    for _ in 0..REPEAT {
        let started = Instant::now();
        result = Some(f());
        seconds.push(started.elapsed().as_secs_f64());
    }
    (result.expect("REPEAT > 0"), median(&mut seconds))
}

fn median(values: &mut [f64]) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

fn round(v: f64, digits: i32) -> f64 {
    let scale = 10f64.powi(digits);
    (v * scale).round() / scale
}

/// The `lon` and `lat` columns of a CSV file.
fn read_lon_lat(path: &Path) -> BenchResult<Vec<(f64, f64)>> {
    let mut reader = csv::Reader::from_path(path).map_err(|e| invalid("reading the points", e))?;
    let headers = reader.headers().map_err(|e| invalid("reading the points", e))?.clone();
    let column = |name: &str| headers.iter().position(|h| h == name).ok_or_else(|| invalid("reading the points", format!("no column {name}")));
    let (lon, lat) = (column("lon")?, column("lat")?);
    let mut out = Vec::new();
    let mut record = csv::StringRecord::new();
    while reader.read_record(&mut record).map_err(|e| invalid("reading the points", e))? {
        let number =
            |i: usize| record.get(i).and_then(|v| v.parse::<f64>().ok()).ok_or_else(|| invalid("reading the points", format!("bad number in {record:?}")));
        out.push((number(lon)?, number(lat)?));
    }
    Ok(out)
}

/// WGS84 to the analysis CRS, on every core.
fn project(lonlat: &[(f64, f64)], threads: usize) -> Vec<(f64, f64)> {
    let transformer = Transformer::new(Crs::Wgs84, ANALYSIS_CRS);
    parallel::map(lonlat, threads, |&(lon, lat)| transformer.apply(lon, lat).unwrap_or((f64::NAN, f64::NAN)))
}

/// Per-code counts and their fingerprint as the harness makes it: the first 16 hex digits of
/// the SHA-256 of Python's `json.dumps(counts, sort_keys=True)`.
fn counts_sha(counts: &BTreeMap<String, u64>) -> String {
    use sha2::{Digest, Sha256};
    let body: Vec<String> = counts.iter().map(|(code, n)| format!("\"{code}\": {n}")).collect();
    let text = format!("{{{}}}", body.join(", "));
    Sha256::digest(text.as_bytes()).iter().take(8).map(|b| format!("{b:02x}")).collect()
}

fn count_codes<'a>(codes: impl Iterator<Item = Option<&'a str>>) -> BTreeMap<String, u64> {
    let mut counts = BTreeMap::new();
    for code in codes.flatten() {
        *counts.entry(code.to_string()).or_insert(0) += 1;
    }
    counts
}

/// geopandas' per-delbydel counts, written by the harness's sjoin step.
fn geopandas_counts(work: &Path) -> Option<BTreeMap<String, u64>> {
    let text = std::fs::read_to_string(work.join("assign_geopandas_counts.json")).ok()?;
    serde_json::from_str(&text).ok()
}

fn assign(
    areas: &AreaIndex,
    lonlat: &[(f64, f64)],
    xy: &[(f64, f64)],
    threads: usize,
    (read_s, project_s): (f64, f64),
    work: &Path,
    oslo: &Path,
) -> BenchResult<()> {
    let locate = |threads: usize| parallel::map(xy, threads, |&(x, y)| areas.locate(x, y).map(|a| a.code.as_str()));
    let (codes, join_s) = timed_median(|| locate(threads));
    let (_, join_one_thread_s) = timed_median(|| locate(1));
    let counts = count_codes(codes.iter().copied());
    let reference = geopandas_counts(work);
    // The same lookup on the polygons as delivered, in degrees: edges straight in degrees, as
    // geopandas tests them. Points within millimetres of a boundary may fall on the other side
    // of an edge straight in metres.
    let in_degrees = AreaIndex::new(delivered_areas(&oslo.join("delbydeler.geojson"))?);
    let degree_codes = parallel::map(lonlat, threads, |&(lon, lat)| in_degrees.locate(lon, lat).map(|a| a.code.as_str()));
    let degree_counts = count_codes(degree_codes.iter().copied());
    let differing: Vec<usize> = (0..codes.len()).filter(|&i| codes[i] != degree_codes[i]).collect();
    // How far each such point lies from the nearest edge of the areas it was put in.
    let boundary_distance = |i: usize| -> f64 {
        let (x, y) = xy[i];
        [codes[i], degree_codes[i]]
            .into_iter()
            .flatten()
            .filter_map(|code| areas.get(code))
            .map(|a| distance_to_boundary(&a.polygon, x, y))
            .fold(f64::MAX, f64::min)
    };
    let farthest_differing = differing.iter().map(|&i| boundary_distance(i)).fold(0.0, f64::max);
    let assigned: u64 = counts.values().sum();
    println!(
        "{}",
        json!({
            "bench": "assign", "tool": "bomiljo AreaIndex (classified 100 m cells + banded edges)", "n": xy.len(), "threads": threads,
            "seconds_join": round(join_s, 4), "seconds_join_1_thread": round(join_one_thread_s, 4),
            "seconds_total": round(read_s + project_s + join_s, 4), "seconds_read_points": round(read_s, 4), "seconds_project": round(project_s, 4),
            "assigned": assigned, "counts_sha": counts_sha(&counts),
            "counts_equal_geopandas": reference.as_ref().map(|r| *r == counts),
            "delbydeler_differing_from_geopandas": reference.as_ref().map(|r| r.iter().filter(|(k, v)| counts.get(*k) != Some(*v)).count()),
            "assigned_in_degrees": degree_counts.values().sum::<u64>(), "counts_sha_in_degrees": counts_sha(&degree_counts),
            "counts_in_degrees_equal_geopandas": reference.as_ref().map(|r| *r == degree_counts),
            "points_differing_metres_vs_degrees": differing.len(), "differing_points_max_distance_to_boundary_m": farthest_differing, "repeat": REPEAT,
        })
    );
    Ok(())
}

/// Metres from a point to the nearest edge of a polygon's rings.
fn distance_to_boundary(polygon: &geo::MultiPolygon<f64>, x: f64, y: f64) -> f64 {
    polygon
        .0
        .iter()
        .flat_map(|p| std::iter::once(p.exterior()).chain(p.interiors()))
        .flat_map(|ring| ring.lines())
        .map(|l| {
            let (dx, dy) = (l.end.x - l.start.x, l.end.y - l.start.y);
            let t = (((x - l.start.x) * dx + (y - l.start.y) * dy) / (dx * dx + dy * dy)).clamp(0.0, 1.0);
            ((l.start.x + t * dx - x).powi(2) + (l.start.y + t * dy - y).powi(2)).sqrt()
        })
        .fold(f64::MAX, f64::min)
}

/// The delbydeler as delivered (WGS84 degrees), for the lookup in degrees.
fn delivered_areas(path: &Path) -> BenchResult<Vec<Area>> {
    Ok(delivered_polygons(path)?
        .into_iter()
        .map(|(properties, polygon)| {
            let code = properties.get("DELBYDEL").and_then(|v| v.as_str()).unwrap_or_default().to_string();
            Area { code, name: None, parent_code: None, population: None, area_m2: 0.0, polygon }
        })
        .collect())
}

/// A GeoJSON feature's properties and polygon, as delivered.
type DeliveredPolygon = (serde_json::Map<String, serde_json::Value>, geo::MultiPolygon<f64>);

/// The polygons of a GeoJSON file as delivered, with their properties.
fn delivered_polygons(path: &Path) -> BenchResult<Vec<DeliveredPolygon>> {
    let fail = |e: String| invalid(&format!("reading {}", path.display()), e);
    let text = std::fs::read_to_string(path).map_err(|e| fail(e.to_string()))?;
    let collection: geojson::FeatureCollection = text.parse().map_err(|e: geojson::Error| fail(e.to_string()))?;
    collection
        .features
        .into_iter()
        .map(|feature| {
            let geometry = feature.geometry.ok_or_else(|| fail("a feature without geometry".into()))?;
            let polygon = match geo::Geometry::<f64>::try_from(geometry).map_err(|e| fail(e.to_string()))? {
                geo::Geometry::Polygon(p) => geo::MultiPolygon(vec![p]),
                geo::Geometry::MultiPolygon(mp) => mp,
                _ => return Err(fail("not a polygon".into())),
            };
            Ok((feature.properties.unwrap_or_default(), polygon))
        })
        .collect()
}

/// The peers' cell centres: each SSB cell's delivered corners projected one by one (no
/// densifying, as geopandas' `to_crs` does), then the centroid; weighted by `pop_tot`.
fn peer_cell_centroids(path: &Path) -> BenchResult<Vec<queries::PointRow>> {
    use geo::{Centroid, MapCoords};
    let transformer = Transformer::new(Crs::Wgs84, ANALYSIS_CRS);
    Ok(delivered_polygons(path)?
        .into_iter()
        .filter_map(|(properties, polygon)| {
            let projected = polygon.map_coords(|c| transformer.apply(c.x, c.y).map_or(c, |(x, y)| geo::coord! { x: x, y: y }));
            let centre = projected.centroid()?;
            let population = properties.get("pop_tot").and_then(|v| v.as_f64()).unwrap_or(0.0);
            Some(queries::PointRow { id: String::new(), x: centre.x(), y: centre.y(), weight: population })
        })
        .collect())
}

fn import(config: &Config, work: &Path, points_csv: &Path, oslo: &Path) -> BenchResult<()> {
    let mut seconds = Vec::new();
    let mut counts = BTreeMap::new();
    let mut rows = 0;
    for _ in 0..REPEAT {
        let dir = tempfile::tempdir().map_err(|e| invalid("creating a temporary folder", e))?;
        let mut store = Store::open(&dir.path().join("import.duckdb"), OpenMode::CreateIfMissing)?;
        let options = ImportOptions { imported_by: "bench".into(), ..ImportOptions::default() };
        import_file(&mut store, config, &config.project.assign_layer, &oslo.join("delbydeler.geojson"), &options)?;
        let started = Instant::now();
        let summary = import_file(&mut store, config, "incidents_peers", points_csv, &options)?;
        seconds.push(started.elapsed().as_secs_f64());
        rows = summary.written.rows;
        counts = store.incident_counts_by_delbydel("incidents_peers")?;
    }
    let reference = geopandas_counts(work);
    let total = median(&mut seconds);
    println!(
        "{}",
        json!({
            "bench": "import", "tool": "bomiljo import (CSV -> DuckDB: validate, project, snap, assign, write, commit)", "n": rows, "threads": 2,
            "seconds_total": round(total, 4), "rows_per_second": (rows as f64 / total).round(),
            "assigned": counts.values().sum::<u64>(), "counts_sha": counts_sha(&counts),
            "counts_equal_geopandas": reference.map(|r| r == counts), "repeat": REPEAT,
        })
    );
    Ok(())
}

/// The peers' KDE grid: 50 m cells over the delbydeler's bounding box in EPSG:25832.
fn peers_grid() -> Grid {
    Grid { min_x: 590_350.0, min_y: 6_631_600.0, cell: Metres(50.0), cols: 374, rows: 393 }
}

fn kde_rows(xy: &[(f64, f64)], work: &Path) -> BenchResult<()> {
    let grid = peers_grid();
    let h = Metres(300.0);
    let snap = |v: f64| bomiljo::import::anonymise::snap(v, Metres(100.0));
    let snapped: Vec<WeightedPoint> = xy.iter().map(|&(x, y)| WeightedPoint { x: snap(x), y: snap(y), weight: 1.0 }).collect();
    let raw: Vec<WeightedPoint> = xy.iter().map(|&(x, y)| WeightedPoint { x, y, weight: 1.0 }).collect();
    let reference = read_npy(&work.join("kde_quartic_n1000000.npy")).ok();
    for (variant, points) in [("snapped to 100 m (as stored)", &snapped), ("raw positions", &raw)] {
        let (density, seconds) = timed_median(|| kde(points, &grid, h, &Quartic));
        let surface = &density.per_km2;
        let max = surface.iter().cloned().fold(0.0, f64::max);
        let mass = surface.iter().sum::<f64>() * 2500.0 / 1e6;
        let brute = brute_force_error(points, &grid, surface, h.0);
        let vs_exact = reference.as_ref().filter(|r| r.len() == surface.len()).map(|r| {
            let rmax = r.iter().cloned().fold(0.0, f64::max);
            surface.iter().zip(r).map(|(a, b)| (a - b).abs()).fold(0.0, f64::max) / rmax
        });
        println!(
            "{}",
            json!({
                "bench": "kde", "tool": format!("bomiljo kde, quartic ({variant})"), "variant": variant, "n": points.len(), "threads": 1,
                "cells": grid.len(), "seconds_kde": round(seconds, 4), "mass": mass.round(), "max_per_km2": max.round(),
                "max_rel_err_bruteforce": brute, "max_abs_diff_vs_exact_raw_rel_to_max": vs_exact, "repeat": REPEAT,
            })
        );
    }
    Ok(())
}

/// Largest relative difference from Σ w·K(d) computed directly at 300 cells spread over the grid.
fn brute_force_error(points: &[WeightedPoint], grid: &Grid, surface: &[f64], h: f64) -> f64 {
    let scale = 3.0 / (std::f64::consts::PI * h * h) * 1e6;
    let cells: Vec<usize> = (0..300).map(|k| (k * 7919 * 31) % grid.len()).collect();
    let max = surface.iter().cloned().fold(f64::MIN_POSITIVE, f64::max);
    cells
        .iter()
        .map(|&i| {
            let (cx, cy) = grid.centre(i);
            let direct: f64 =
                points.iter().map(|p| ((p.x - cx).powi(2) + (p.y - cy).powi(2)) / (h * h)).filter(|u2| *u2 < 1.0).map(|u2| (1.0 - u2).powi(2)).sum::<f64>()
                    * scale;
            (direct - surface[i]).abs() / max
        })
        .fold(0.0, f64::max)
}

/// A little-endian float64 `.npy` array (NumPy format 1.0/2.0), flattened.
fn read_npy(path: &Path) -> BenchResult<Vec<f64>> {
    let bytes = std::fs::read(path).map_err(|e| invalid("reading the reference surface", e))?;
    if !bytes.starts_with(b"\x93NUMPY") || bytes.len() < 12 {
        return Err(invalid("reading the reference surface", "not a .npy file"));
    }
    let (header_len, start) = if bytes[6] == 1 {
        (u16::from_le_bytes([bytes[8], bytes[9]]) as usize, 10)
    } else {
        (u32::from_le_bytes([bytes[8], bytes[9], bytes[10], bytes[11]]) as usize, 12)
    };
    let header = String::from_utf8_lossy(&bytes[start..start + header_len]);
    if !header.contains("'<f8'") || header.contains("'fortran_order': True") {
        return Err(invalid("reading the reference surface", format!("expected C-ordered <f8, got {header}")));
    }
    Ok(bytes[start + header_len..].chunks_exact(8).map(|c| f64::from_le_bytes(c.try_into().expect("8 bytes"))).collect())
}

fn nearest(config: &Config, store: &mut Store, candidates_csv: &Path, work: &Path, oslo: &Path, threads: usize) -> BenchResult<()> {
    let options = ImportOptions { imported_by: "bench".into(), ..ImportOptions::default() };
    import_file(store, config, "schools", &oslo.join("skoler.geojson"), &options)?;
    import_file(store, config, "population", &oslo.join("befolkning_250m_2023.geojson"), &options)?;
    let release = bomiljo::release::current(store, config, "bench peers", "system")?;
    let world = bomiljo::snapshot::Snapshot::build(config, store, release).map_err(bomiljo::api::ServeError::Snapshot)?;
    let context = &world.siting;
    let policy = bomiljo::privacy::Policy::new(bomiljo::privacy::Role::Analyst, config.project.min_count);
    let sites = project(&read_lon_lat(candidates_csv)?, threads);
    let school = Metric::DistanceTo { layer: "schools".into(), along: Default::default() };
    let residents = Metric::PopulationWithin { radius_m: 250.0 };
    let (distances, nearest_s) = timed_median(|| parallel::map(&sites, threads, |&(x, y)| context.metric_at(x, y, &school, &policy).unwrap_or(f64::NAN)));
    let (population, pop_s) = timed_median(|| parallel::map(&sites, threads, |&(x, y)| context.metric_at(x, y, &residents, &policy).unwrap_or(f64::NAN)));
    // The peers' definition: whole SSB cells whose centroid lies within 250 m.
    let centroids = bomiljo::index::PointIndex::new(peer_cell_centroids(&oslo.join("befolkning_250m_2023.geojson"))?);
    let peer_population = parallel::map(&sites, threads, |&(x, y)| centroids.within(x, y, Metres(250.0)).weight);
    let shapely = read_shapely_nearest(&work.join("nearest_shapely.parquet")).ok();
    let (dist_diff, pop_diff) = match &shapely {
        Some((d, p)) if d.len() == sites.len() => (
            Some(distances.iter().zip(d).map(|(a, b)| (a - b).abs()).fold(0.0, f64::max)),
            Some(peer_population.iter().zip(p).map(|(a, b)| (a - b).abs()).fold(0.0, f64::max)),
        ),
        _ => (None, None),
    };
    let n = sites.len() as f64;
    println!(
        "{}",
        json!({
            "bench": "nearest", "tool": "bomiljo siting metrics (R-tree nearest + 50 m population raster)", "variant": "bomiljo", "n": sites.len(), "threads": threads,
            "radius_m": 250.0, "seconds_nearest": round(nearest_s, 4), "seconds_pop250": round(pop_s, 4), "seconds_total": round(nearest_s + pop_s, 4),
            "dist_sum_m": round(distances.iter().sum::<f64>(), 3), "dist_mean_m": round(distances.iter().sum::<f64>() / n, 3),
            "dist_max_m": round(distances.iter().cloned().fold(0.0, f64::max), 3),
            "pop_sum": population.iter().sum::<f64>().round(), "pop_definition": "residents spread evenly over 50 m sub-cells, counted where the sub-cell centre is within 250 m (rules/matrise.toml)",
            "pop_sum_peer_definition": peer_population.iter().sum::<f64>().round(),
            "max_abs_dist_diff_vs_shapely_m": dist_diff, "max_abs_pop_diff_vs_shapely_peer_definition": pop_diff, "repeat": REPEAT,
        })
    );
    Ok(())
}

/// shapely's per-site school distance and population (harness output).
fn read_shapely_nearest(path: &Path) -> BenchResult<(Vec<f64>, Vec<f64>)> {
    let columns = bomiljo::store::ops::read_parquet_f64(path, &["school_dist_m", "pop_250m"])?;
    let mut columns = columns.into_iter();
    Ok((columns.next().unwrap_or_default(), columns.next().unwrap_or_default()))
}
