//! The public release as a data product: every fixed unit released (zeros included), levels that
//! add up, noise of the stated size, rebuilds that repeat the noise of unchanged counts and charge
//! the budget for changed ones.

use std::path::Path;

use bomiljo::config::Config;
use bomiljo::import::{import_file, ImportOptions};
use bomiljo::release::{publish, Release};
use bomiljo::store::{OpenMode, Store};

fn config() -> Config {
    Config::load(Path::new(env!("CARGO_MANIFEST_DIR"))).unwrap()
}

/// The two 1 km squares (0101, 0202) with police incidents: `per_position` at each of the west
/// square's 100 positions in 2023 and 2024, categories and months spread.
fn store(dir: &Path, per_position: usize) -> Store {
    let config = config();
    let mut store = Store::open(&dir.join("r.duckdb"), OpenMode::CreateIfMissing).unwrap();
    let opts = ImportOptions { imported_by: "test".into(), ..Default::default() };
    let areas = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/areas/two_squares_25832.geojson");
    import_file(&mut store, &config, "delbydeler", &areas, &opts).unwrap();
    let mut csv = String::from("id,date,category,x,y\n");
    let categories = ["disturbance", "violence", "drugs", "welfare_check"];
    let mut n = 0;
    for year in [2023, 2024] {
        for i in 0..10 {
            for j in 0..10 {
                for k in 0..per_position {
                    n += 1;
                    csv.push_str(&format!(
                        "p{n},{year}-{:02}-10,{},{},{}\n",
                        1 + (i + j + k) % 12,
                        categories[(i * j + k) % 4],
                        597_050 + 100 * i,
                        6_642_050 + 100 * j
                    ));
                }
            }
        }
    }
    std::fs::write(dir.join("police.csv"), csv).unwrap();
    import_file(&mut store, &config, "incidents_police", &dir.join("police.csv"), &opts).unwrap();
    store
}

fn add_incident(store: &mut Store, dir: &Path, year: i32) {
    std::fs::write(dir.join("late.csv"), format!("id,date,category,x,y\nlate1,{year}-05-05,drugs,598450,6642450\n")).unwrap();
    let opts = ImportOptions { imported_by: "test".into(), ..Default::default() };
    import_file(store, &config(), "incidents_police", &dir.join("late.csv"), &opts).unwrap();
}

#[test]
fn every_unit_is_released_and_the_levels_add_up() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = store(dir.path(), 2);
    let release = publish(store.conn_mut(), &config(), "test").unwrap().release;
    assert_eq!(release.sources(), ["police"]);
    assert_eq!(release.years(None), Some((2023, 2024)));
    for year in [2023, 2024] {
        let t = release.table("police", year).unwrap();
        assert_eq!(t.delbydel.keys().collect::<Vec<_>>(), ["0101", "0202"]);
        assert_eq!(t.bydel.keys().collect::<Vec<_>>(), ["01", "02"]);
        assert_eq!(t.bydel.values().sum::<u64>(), t.city);
        assert_eq!(t.delbydel["0101"], t.bydel["01"]);
        assert_eq!(t.cells.values().sum::<u64>(), t.city, "cells add up to the city");
        for code in ["0101", "0202"] {
            assert_eq!(t.category[code].values().sum::<u64>(), t.delbydel[code], "{code} categories");
            assert_eq!(t.category[code].len(), 4, "every category of the layer, zeros included");
            assert_eq!(t.month[code].iter().sum::<u64>(), t.delbydel[code], "{code} months");
        }
        // Every SSB cell touching the two squares, whatever the data: the 2 km x 1 km box spans
        // 9-10 cells east-west and 5-6 north-south in EPSG:25833.
        assert!((45..=66).contains(&t.cells.len()), "{} cells", t.cells.len());
        assert!(t.cells.values().any(|n| *n == 0), "empty cells are released as zeros");
    }
    // 200 incidents a year in 0101, none in 0202: the released figures are near, not equal by design.
    let t = release.table("police", 2024).unwrap();
    assert!(t.delbydel["0101"].abs_diff(200) <= 8 && t.delbydel["0202"] <= 8, "{:?}", t.delbydel);
}

#[test]
fn the_noise_has_the_stated_size() {
    // 30 delbydel-years are too few to measure σ; the 2 x 2 x 12 months and 2 x 2 x 4 categories
    // and ~100 cells per year add up to a usable sample of released minus true.
    let dir = tempfile::tempdir().unwrap();
    let mut store = store(dir.path(), 3);
    let release = publish(store.conn_mut(), &config(), "test").unwrap().release;
    let t = release.table("police", 2024).unwrap();
    let stated = |level: &str| release.settings.levels.iter().find(|l| l.level == level).unwrap().clone();
    assert_eq!(stated("delbydel").within_95, 3);
    // The east square is empty: its 12 released months (fitted to its own noisy total) and its
    // cells are noise only, and stay within a few units.
    assert!(t.month["0202"].iter().all(|n| *n <= 3 * stated("month").within_95), "{:?}", t.month["0202"]);
    let mean_abs_error = (t.delbydel["0101"].abs_diff(300) + t.delbydel["0202"]) as f64 / 2.0;
    assert!(mean_abs_error <= f64::from(stated("delbydel").within_95 as u32) * 2.0, "{mean_abs_error}");
}

#[test]
fn a_rebuild_repeats_unchanged_noise_and_charges_only_what_changed() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = store(dir.path(), 1);
    let config = config();
    let first = publish(store.conn_mut(), &config, "test").unwrap();
    assert_eq!(first.remeasured, ["police:2023", "police:2024"]);
    let again = publish(store.conn_mut(), &config, "test").unwrap();
    assert!(again.remeasured.is_empty());
    assert_eq!(again.release.version, first.release.version + 1);
    assert_eq!(again.release.rows(), first.release.rows(), "unchanged data, identical release: averaging gains nothing");
    // One late incident in 2023: only 2023 is measured afresh and charged again.
    add_incident(&mut store, dir.path(), 2023);
    assert!(bomiljo::release::is_stale(store.conn(), &config, &again.release).unwrap());
    let late = publish(store.conn_mut(), &config, "test").unwrap();
    assert_eq!(late.remeasured, ["police:2023"]);
    let spent = |r: &Release, key: &str| (r.spent[key].rounds, r.spent[key].rho);
    assert_eq!(spent(&late.release, "police:2023"), (2, 1.0));
    assert_eq!(spent(&late.release, "police:2024"), (1, 0.5));
    assert_eq!(late.release.table("police", 2024), first.release.table("police", 2024));
    // 2023 is measured afresh as a whole: its counts all get new noise, so comparing the two
    // releases does not show which unit the late incident fell in.
    let (before, after) = (again.release.table("police", 2023).unwrap(), late.release.table("police", 2023).unwrap());
    let changed_cells = before.cells.iter().filter(|(cell, n)| after.cells.get(cell) != Some(n)).count();
    let changed_months = before.month["0101"].iter().zip(after.month["0101"]).filter(|(a, b)| *a != b).count();
    assert!(changed_cells >= 10 && changed_months >= 3, "{changed_cells} cells and {changed_months} months of 0101 changed");
    assert!(!bomiljo::release::is_stale(store.conn(), &config, &late.release).unwrap());
}

#[test]
fn a_new_budget_is_a_new_measurement() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = store(dir.path(), 1);
    let mut config = config();
    let first = publish(store.conn_mut(), &config, "test").unwrap().release;
    config.project.release.rho_per_source_year = 2.0;
    assert!(bomiljo::release::is_stale(store.conn(), &config, &first).unwrap());
    let second = publish(store.conn_mut(), &config, "test").unwrap();
    assert_eq!(second.remeasured.len(), 2);
    assert_eq!((second.release.spent["police:2024"].rounds, second.release.spent["police:2024"].rho), (2, 2.5));
}

#[test]
fn every_answer_names_its_release_and_the_release_says_how_accurate_it_is() {
    use tower::ServiceExt;
    let dir = tempfile::tempdir().unwrap();
    let store = store(dir.path(), 1);
    let app = bomiljo::api::router(bomiljo::api::AppState::new(config(), store).unwrap());
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    runtime.block_on(async {
        let get = |uri: &str| app.clone().oneshot(axum::http::Request::get(uri).body(axum::body::Body::empty()).unwrap());
        let response = get("/api/measurement?year=2024").await.unwrap();
        assert_eq!(response.headers()["x-bomiljo-release"], "1");
        let response = get("/api/release").await.unwrap();
        let body = axum::body::to_bytes(response.into_body(), 1 << 20).await.unwrap();
        let about: serde_json::Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(about["release"], 1);
        assert!(about["accuracy_nb"].as_str().unwrap().contains("innenfor ±3 av det registrerte i 95 av 100 tilfeller"), "{about}");
        assert_eq!(about["years"]["police"], serde_json::json!([2023, 2024]));
    });
}

#[test]
fn cells_count_incidents_where_they_happened_not_where_the_snapping_grid_put_them() {
    // One incident every 10 m over both squares: a uniform density of 625 per 250 m cell. Counted
    // at their snapped 100 m positions, SSB cells (in another UTM zone) would hold 4, 6 or 9 of
    // those positions, i.e. 400, 600 or 900 incidents: the grid, not the city, would shape the map.
    let dir = tempfile::tempdir().unwrap();
    let mut config = config();
    config.project.release.rho_per_source_year = 10.0; // next to no noise: the test is about counting
    let mut store = Store::open(&dir.path().join("u.duckdb"), OpenMode::CreateIfMissing).unwrap();
    let opts = ImportOptions { imported_by: "test".into(), ..Default::default() };
    let areas = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/areas/two_squares_25832.geojson");
    import_file(&mut store, &config, "delbydeler", &areas, &opts).unwrap();
    let mut csv = String::from("id,date,category,x,y\n");
    for i in 0..200 {
        for j in 0..100 {
            csv.push_str(&format!("u{i}-{j},2024-04-04,drugs,{},{}\n", 597_005 + 10 * i, 6_642_005 + 10 * j));
        }
    }
    std::fs::write(dir.path().join("uniform.csv"), csv).unwrap();
    import_file(&mut store, &config, "incidents_police", &dir.path().join("uniform.csv"), &opts).unwrap();
    let release = publish(store.conn_mut(), &config, "test").unwrap().release;
    let to_analysis = bomiljo::spatial::Transformer::new(bomiljo::spatial::Crs::Utm33, bomiljo::spatial::ANALYSIS_CRS);
    let inside = |cell: &bomiljo::spatial::SsbCell| {
        cell.ring(&to_analysis).unwrap().iter().all(|[x, y]| (597_020.0..598_980.0).contains(x) && (6_642_020.0..6_642_980.0).contains(y))
    };
    let interior: Vec<u64> = release.table("police", 2024).unwrap().cells.iter().filter(|(c, _)| inside(c)).map(|(_, n)| *n).collect();
    assert!(interior.len() >= 15, "{} interior cells", interior.len());
    for n in &interior {
        assert!((570..=680).contains(n), "an interior cell holds {n}, not about 625: {interior:?}");
    }
}

#[test]
fn before_any_delbydel_is_imported_the_release_is_empty_and_says_so() {
    use tower::ServiceExt;
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("empty.duckdb"), OpenMode::CreateIfMissing).unwrap();
    let app = bomiljo::api::router(bomiljo::api::AppState::new(config(), store).unwrap());
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    runtime.block_on(async {
        let get = |uri: &str| app.clone().oneshot(axum::http::Request::get(uri).body(axum::body::Body::empty()).unwrap());
        let body = |r: axum::response::Response| async {
            serde_json::from_slice::<serde_json::Value>(&axum::body::to_bytes(r.into_body(), 1 << 20).await.unwrap()).unwrap()
        };
        let about = body(get("/api/release").await.unwrap()).await;
        assert_eq!((about["release"].as_i64(), about["years"].as_object().map(|y| y.len())), (Some(0), Some(0)), "{about}");
        assert_eq!(body(get("/api/measurement?year=2024").await.unwrap()).await, serde_json::json!([]));
    });
}
