//! The public release as a data product: every fixed unit released (zeros included), levels that
//! add up, noise of the stated size, rebuilds that repeat the noise of unchanged counts and charge
//! the budget for changed ones.

use bomiljo::store::Database;
use std::path::Path;

use bomiljo::config::Config;
use bomiljo::figure::Figure;
use bomiljo::import::{ImportOptions, import_file};
use bomiljo::release::{Release, publish};
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
    let release = publish(&mut store, &config(), "test", "admin").unwrap().release;
    assert_eq!(release.sources(), ["police"]);
    assert_eq!(release.years(None), Some((2023, 2024)));
    let close = |a: f64, b: f64| (a - b).abs() < 1e-6;
    for year in [2023, 2024] {
        let t = release.table("police", year).unwrap();
        let delbydeler: Vec<(&str, Figure)> = t.delbydeler().collect();
        assert_eq!(delbydeler.iter().map(|(c, _)| *c).collect::<Vec<_>>(), ["0101", "0202"]);
        // Estimates are consistent: bydeler add up to the city, cells and categories and months
        // to their delbydel (a bydel of one delbydel is that delbydel).
        let (b1, b2) = (t.area("01").unwrap(), t.area("02").unwrap());
        assert!(close(b1.estimate + b2.estimate, t.city().estimate));
        assert!(close(b1.estimate, delbydeler[0].1.estimate));
        assert!(close(t.pieces().map(|(_, _, n)| n).sum::<f64>(), t.city().estimate), "cells add up to the city");
        for (code, figure) in &delbydeler {
            let categories = t.categories(code);
            assert_eq!(categories.len(), 4, "every category of the layer, zeros included");
            assert!(close(categories.values().map(|f| f.estimate).sum(), figure.estimate), "{code} categories");
            assert!(close((1..=12).map(|m| t.month_in(m, |c| c == *code).estimate).sum(), figure.estimate), "{code} months");
        }
        // Every SSB cell touching the two squares, whatever the data: the 2 km x 1 km box spans
        // 9-10 cells east-west and 5-6 north-south in EPSG:25833.
        let cells: std::collections::BTreeSet<_> = t.pieces().map(|(c, _, _)| c).collect();
        assert!((45..=66).contains(&cells.len()), "{} cells", cells.len());
    }
    // 200 incidents a year in 0101, none in 0202: the estimates are near, not equal by design,
    // and each interval says how near.
    let t = release.table("police", 2024).unwrap();
    let (west, east) = (t.area("0101").unwrap(), t.area("0202").unwrap());
    // (The database's release key is random: bounds at 5 standard deviations never fail by chance.)
    assert!((west.estimate - 200.0).abs() <= 5.0 * west.sd() && east.estimate.abs() <= 5.0 * east.sd(), "{west:?} {east:?}");
    assert!(!west.may_be_zero());
}

#[test]
fn the_noise_has_the_stated_size() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = store(dir.path(), 3);
    let release = publish(&mut store, &config(), "test", "admin").unwrap().release;
    let t = release.table("police", 2024).unwrap();
    let stated = |level: &str| release.settings.levels.iter().find(|l| l.level == level).unwrap().clone();
    assert_eq!(stated("delbydel").within_95, 3);
    // A delbydel's estimate combines its own measurement with its cells', categories' and
    // months' sums: its standard deviation is below that of its own measurement.
    let west = t.area("0101").unwrap();
    assert!(west.sd() < stated("delbydel").sigma, "{west:?}");
    // The east square is empty: its months are noise only, within their stated intervals.
    let months: Vec<Figure> = (1..=12).map(|m| t.month_in(m, |c| c == "0202")).collect();
    // Each may miss 0 with probability 2.5 %; four or more of twelve happens once in 10,000.
    assert!(months.iter().filter(|f| f.interval().0 > 0).count() <= 3, "{months:?}");
}

#[test]
fn a_rebuild_repeats_unchanged_noise_and_charges_only_what_changed() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = store(dir.path(), 1);
    let config = config();
    let first = publish(&mut store, &config, "test", "admin").unwrap();
    assert_eq!(first.remeasured, ["police:2023", "police:2024"]);
    let again = publish(&mut store, &config, "test", "admin").unwrap();
    assert!(again.remeasured.is_empty());
    assert_eq!(again.release.version, first.release.version + 1);
    assert_eq!(again.release.rows(), first.release.rows(), "unchanged data, identical release: averaging gains nothing");
    // One late incident in 2023: only 2023 is measured afresh and charged again.
    add_incident(&mut store, dir.path(), 2023);
    assert!(bomiljo::release::is_stale(&store, &config, &again.release).unwrap());
    let late = publish(&mut store, &config, "test", "admin").unwrap();
    assert_eq!(late.remeasured, ["police:2023"]);
    let spent = |r: &Release, key: &str| (r.spent[key].rounds, r.spent[key].rho);
    assert_eq!(spent(&late.release, "police:2023"), (2, 1.0));
    assert_eq!(spent(&late.release, "police:2024"), (1, 0.5));
    let rows_of = |r: &Release, year: i32| r.rows().into_iter().filter(|row| row.year == year).collect::<Vec<_>>();
    assert_eq!(rows_of(&late.release, 2024), rows_of(&first.release, 2024));
    // 2023 is measured afresh as a whole: every unit gets new noise, so comparing the two
    // releases does not show which unit the late incident fell in.
    let (before, after) = (rows_of(&again.release, 2023), rows_of(&late.release, 2023));
    // Two draws of the same unit are equal about 1 time in 7-10 (their noise is discrete).
    let changed = before.iter().zip(&after).filter(|(a, b)| a.measured != b.measured).count();
    assert!(changed as f64 >= 0.6 * before.len() as f64, "{changed} of {} measurements changed", before.len());
    assert!(!bomiljo::release::is_stale(&store, &config, &late.release).unwrap());
}

#[test]
fn a_new_budget_is_a_new_measurement() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = store(dir.path(), 1);
    let mut config = config();
    config.project.release_cap = 10.0;
    let first = publish(&mut store, &config, "test", "admin").unwrap().release;
    config.project.release.rho_per_source_year = 2.0;
    assert!(bomiljo::release::is_stale(&store, &config, &first).unwrap());
    let second = publish(&mut store, &config, "test", "admin").unwrap();
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
        assert!(about["accuracy_nb"].as_str().unwrap().contains("intervall som inneholder det registrerte tallet i 95 av 100 tilfeller"), "{about}");
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
    config.project.release_cap = 10.0;
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
    let release = publish(&mut store, &config, "test", "admin").unwrap().release;
    let to_analysis = bomiljo::spatial::Transformer::new(bomiljo::spatial::Crs::Utm33, bomiljo::spatial::ANALYSIS_CRS);
    let inside = |cell: &bomiljo::spatial::SsbCell| {
        cell.ring(&to_analysis).unwrap().iter().all(|[x, y]| (597_020.0..598_980.0).contains(x) && (6_642_020.0..6_642_980.0).contains(y))
    };
    let interior: Vec<f64> = release.cell_counts(&[], (2024, 2024)).into_iter().filter(|(c, _)| inside(c)).map(|(_, n)| n).collect();
    assert!(interior.len() >= 15, "{} interior cells", interior.len());
    for n in &interior {
        assert!((570.0..=680.0).contains(n), "an interior cell holds {n}, not about 625: {interior:?}");
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
        let measured = body(get("/api/measurement?year=2024").await.unwrap()).await;
        assert_eq!(measured["error"], "no incident data in 2024: no incidents are imported", "{measured}");
    });
}

/// True counts per SSB cell of one year, from the stored incidents.
fn true_cells(store: &Store, year: i32) -> std::collections::BTreeMap<bomiljo::spatial::SsbCell, f64> {
    let mut out = std::collections::BTreeMap::new();
    for t in store.release_tallies(1).unwrap().into_iter().filter(|t| t.year == year) {
        *out.entry(bomiljo::spatial::SsbCell::from_id(t.ssb_cell.unwrap())).or_default() += t.count as f64;
    }
    out
}

#[test]
fn released_figures_are_unbiased_and_their_intervals_cover_the_truth() {
    // 1,000 police incidents a year in the west square, none in the east; 16 release keys. The
    // figures a neighbour sheet or a map sums (a cell over two years, a circle, a delbydel over
    // two years) must be right on average at every size of the truth, zero included, and their
    // stated 95 % intervals must hold the truth.
    let dir = tempfile::tempdir().unwrap();
    let store = store(dir.path(), 10);
    let config = config();
    let truth: Vec<_> = [2023, 2024].iter().map(|&y| true_cells(&store, y)).collect();
    let centres = [(597_500.0, 6_642_500.0), (598_000.0, 6_642_300.0), (598_600.0, 6_642_600.0), (597_900.0, 6_642_900.0)];
    let ssb = bomiljo::spatial::SsbProjection::new();
    let in_circle = |cell: bomiljo::spatial::SsbCell, (x, y): (f64, f64)| ssb.centre(cell).is_some_and(|(cx, cy)| (cx - x).hypot(cy - y) <= 500.0);
    // (sum of errors, count, covered) per kind of figure.
    let mut zero = (0.0, 0usize, 0usize);
    let mut busy = (0.0, 0usize, 0usize);
    let mut circles = (0.0, 0usize, 0usize);
    let mut areas = (0.0, 0usize, 0usize);
    let mut january_minus_december = 0.0;
    let keys = 16;
    for key in 0..keys {
        let mut input = bomiljo::release::input(&store, &config, None).unwrap();
        input.secret = [key as u8 + 1; 32];
        input.ledger.clear();
        let report = bomiljo::release::build(&input);
        let tables: Vec<_> = [2023, 2024].iter().map(|y| &report.tables[&("police".to_string(), *y)]).collect();
        let record = |acc: &mut (f64, usize, usize), figure: Figure, truth: f64| {
            let (low, high) = figure.interval();
            acc.0 += figure.estimate - truth;
            acc.1 += 1;
            acc.2 += usize::from((low as f64..=high as f64).contains(&truth));
        };
        for cell in tables[0].cells() {
            let figure: Figure = tables.iter().map(|t| t.pieces_where(|c| c == cell)).sum();
            let true_count: f64 = truth.iter().map(|t| t.get(&cell).copied().unwrap_or(0.0)).sum();
            if true_count == 0.0 {
                record(&mut zero, figure, true_count);
            } else if true_count >= 100.0 {
                record(&mut busy, figure, true_count);
            }
        }
        for centre in centres {
            let figure: Figure = tables.iter().map(|t| t.pieces_where(|c| in_circle(c, centre))).sum();
            let true_count: f64 = truth.iter().flat_map(|t| t.iter()).filter(|(c, _)| in_circle(**c, centre)).map(|(_, n)| n).sum();
            record(&mut circles, figure, true_count);
        }
        for (code, true_count) in [("0101", 2000.0), ("0202", 0.0)] {
            record(&mut areas, tables.iter().map(|t| t.area(code).unwrap()).sum(), true_count);
        }
        let month = |m: u8| tables.iter().map(|t| t.month_in(m, |c| c == "0101").estimate).sum::<f64>();
        january_minus_december += month(1) - month(12);
    }
    let mean = |acc: (f64, usize, usize)| acc.0 / acc.1 as f64;
    let coverage = |acc: (f64, usize, usize)| acc.2 as f64 / acc.1 as f64;
    println!(
        "bias: empty cells {:+.3} ({} figures), busy cells {:+.3} ({}), circles {:+.3}; coverage: {:.3} {:.3} {:.3} {:.3}",
        mean(zero),
        zero.1,
        mean(busy),
        busy.1,
        mean(circles),
        coverage(zero),
        coverage(busy),
        coverage(circles),
        coverage(areas)
    );
    assert!(zero.1 >= 100 && busy.1 >= 100, "the test data must hold both kinds of cells: {} {}", zero.1, busy.1);
    assert!(mean(zero).abs() <= 0.5, "empty cells are shown {:+.2} on average (the fitted release showed +0.43 per source-year)", mean(zero));
    assert!(mean(busy).abs() <= 0.5, "busy cells are shown {:+.2} on average", mean(busy));
    assert!(mean(circles).abs() <= 1.5, "circles {:+.2}", mean(circles));
    for (what, acc) in [("empty cells", zero), ("busy cells", busy), ("circles", circles), ("delbydeler over two years", areas)] {
        assert!(coverage(acc) >= 0.93, "{what}: the 95 % intervals hold the truth in {:.1} % of cases", coverage(acc) * 100.0);
    }
    // The months of 0101 hold equal truths in January and December ((i + j + k) mod 12 spreads
    // them evenly); no month is favoured by its position.
    let truth_gap = 0.0;
    let sd_of_gap = (2.0 * 2.0 * 10.0f64).sqrt() / (keys as f64).sqrt();
    assert!((january_minus_december / keys as f64 - truth_gap).abs() <= 4.0 * sd_of_gap, "January − December: {}", january_minus_december / keys as f64);
}

#[test]
fn the_privacy_ledger_never_goes_backwards_and_stops_at_the_cap() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = store(dir.path(), 1);
    let config = config();
    let rows_of = |r: &Release, year: i32| r.rows().into_iter().filter(|row| row.year == year).collect::<Vec<_>>();
    let ledger_rho = |store: &Store| -> f64 { store.conn().query_row("SELECT sum(rho) FROM release_ledger WHERE year = 2023", [], |r| r.get(0)).unwrap() };
    let first = publish(&mut store, &config, "test", "admin").unwrap().release;
    add_incident(&mut store, dir.path(), 2023);
    let second = publish(&mut store, &config, "test", "admin").unwrap().release;
    assert_eq!((second.spent["police:2023"].rounds, second.spent["police:2023"].rho), (2, 1.0));
    // An undo takes 2023 back to what round 1 measured: round 1's figures again, nothing spent,
    // and the ρ stated stays what was spent.
    bomiljo::import::undo_last(&mut store, &config, "incidents_police").unwrap().unwrap();
    let undone = publish(&mut store, &config, "test", "admin").unwrap();
    assert!(undone.remeasured.is_empty());
    assert_eq!(rows_of(&undone.release, 2023), rows_of(&first, 2023));
    assert_eq!(undone.release.spent["police:2023"].rho, 1.0);
    // A new truth is a new round above every earlier one (never round 1's noise again).
    std::fs::write(dir.path().join("other.csv"), "id,date,category,x,y\nother1,2023-07-07,violence,597150,6642150\n").unwrap();
    let opts = ImportOptions { imported_by: "test".into(), ..Default::default() };
    import_file(&mut store, &config, "incidents_police", &dir.path().join("other.csv"), &opts).unwrap();
    let third = publish(&mut store, &config, "test", "admin").unwrap().release;
    assert_eq!((third.spent["police:2023"].rounds, third.spent["police:2023"].rho), (3, 1.5));
    // Thirteen routine appends: the cap (2.0) is reached after one more, then 2023 keeps its
    // last published figures, says so, and the stated ρ always equals the ledger's.
    let mut last = third;
    for n in 0..13 {
        std::fs::write(dir.path().join("append.csv"), format!("id,date,category,x,y\nappend{n},2023-08-08,drugs,597250,6642250\n")).unwrap();
        import_file(&mut store, &config, "incidents_police", &dir.path().join("append.csv"), &opts).unwrap();
        let next = publish(&mut store, &config, "test", "admin").unwrap().release;
        let spent = &next.spent["police:2023"];
        assert!(spent.rho <= config.project.release_cap + 1e-9, "append {n}: ρ {}", spent.rho);
        assert!((spent.rho - ledger_rho(&store)).abs() < 1e-9, "append {n}: stated {} vs ledger {}", spent.rho, ledger_rho(&store));
        if n >= 1 {
            assert!(spent.frozen, "append {n}");
            assert_eq!(rows_of(&next, 2023), rows_of(&last, 2023), "append {n}: a frozen year shows its last published figures");
            assert!(next.accuracy_nb().contains("police:2023"), "{}", next.accuracy_nb());
        }
        last = next;
    }
    assert_eq!(last.spent["police:2024"].rho, 0.5, "2024 never changed");
}

#[test]
fn a_year_that_leaves_and_returns_is_never_measured_with_old_noise() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = store(dir.path(), 1);
    let config = config();
    publish(&mut store, &config, "test", "admin").unwrap();
    add_incident(&mut store, dir.path(), 2025);
    let with_2025 = publish(&mut store, &config, "test", "admin").unwrap().release;
    assert_eq!(with_2025.spent["police:2025"].rounds, 1);
    bomiljo::import::undo_last(&mut store, &config, "incidents_police").unwrap().unwrap();
    let without = publish(&mut store, &config, "test", "admin").unwrap().release;
    assert!(without.table("police", 2025).is_none());
    std::fs::write(dir.path().join("back.csv"), "id,date,category,x,y\nback1,2025-02-02,drugs,597350,6642350\nback2,2025-03-02,drugs,597350,6642350\n")
        .unwrap();
    let opts = ImportOptions { imported_by: "test".into(), ..Default::default() };
    import_file(&mut store, &config, "incidents_police", &dir.path().join("back.csv"), &opts).unwrap();
    let back = publish(&mut store, &config, "test", "admin").unwrap().release;
    assert_eq!((back.spent["police:2025"].rounds, back.spent["police:2025"].rho), (2, 1.0), "the returning year spends on top of what it spent");
    let measured = |r: &Release| r.rows().into_iter().filter(|row| row.year == 2025).map(|row| row.measured).collect::<Vec<_>>();
    let differing = measured(&with_2025).iter().zip(measured(&back)).filter(|(a, b)| (*a - b).abs() > 1.5).count();
    // Fresh draws differ by more than 1.5 for about 60 % of units; the old draws shifted by the
    // change would differ so for only the few units the two incidents fall in.
    assert!(differing as f64 > 0.3 * measured(&back).len() as f64, "fresh noise, not the old draws shifted by the change");
}

#[test]
fn every_published_release_is_one_download_and_the_feed_lists_them() {
    use tower::ServiceExt;
    let dir = tempfile::tempdir().unwrap();
    let mut store = store(dir.path(), 1);
    let first = publish(&mut store, &config(), "test", "admin").unwrap().release;
    add_incident(&mut store, dir.path(), 2023);
    // The server publishes release 2 at start: 2023 measured anew, 2024 unchanged.
    let app = bomiljo::api::router(bomiljo::api::AppState::new(config(), store).unwrap());
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    runtime.block_on(async {
        let get = |uri: &str| app.clone().oneshot(axum::http::Request::get(uri).header("host", "bomiljo.test").body(axum::body::Body::empty()).unwrap());
        let text = |uri: &'static str| async move {
            let response = get(uri).await.unwrap();
            let status = response.status().as_u16();
            (status, String::from_utf8(axum::body::to_bytes(response.into_body(), 1 << 26).await.unwrap().to_vec()).unwrap())
        };
        let (status, one) = text("/api/release/1/figures.csv").await;
        assert_eq!(status, 200, "{one}");
        let (_, two) = text("/api/release/2/figures.csv").await;
        let header = "release,source,year,level,unit,detail,estimate,standard_error,low,high";
        assert_eq!(one.lines().next(), Some(header));
        // Every unit of the release, once: the estimates, never the noisy measurements.
        assert_eq!(one.lines().count() - 1, first.figures().count());
        let rows = |csv: &str, year: &str| -> Vec<String> {
            csv.lines().skip(1).filter(|l| l.split(',').nth(2) == Some(year)).map(|l| l.split_once(',').unwrap().1.to_string()).collect()
        };
        assert_eq!(rows(&one, "2024"), rows(&two, "2024"), "an unchanged year keeps its figures");
        assert_ne!(rows(&one, "2023"), rows(&two, "2023"), "a changed year is measured anew");
        // Release 1's figures are the ones it served: the city, and the delbydeler adding up to it.
        let field = |line: &str, i: usize| line.split(',').nth(i).unwrap().parse::<f64>().unwrap();
        let city = one.lines().find(|l| l.starts_with("1,police,2024,city,")).unwrap();
        assert!((field(city, 6) - first.table("police", 2024).unwrap().city().estimate).abs() < 0.01, "{city}");
        let delbydeler: f64 = one.lines().filter(|l| l.starts_with("1,police,2024,delbydel,")).map(|l| field(l, 6)).sum();
        assert!((delbydeler - field(city, 6)).abs() < 0.05, "{delbydeler} vs {city}");
        for line in one.lines().skip(1) {
            let (estimate, low, high) = (field(line, 6), field(line, 8), field(line, 9));
            assert!(low <= estimate.max(0.0).ceil() && estimate.floor() <= high, "{line}");
        }
        let (status, body) = text("/api/release/3/figures.csv").await;
        assert!(status == 404 && body.contains("the newest is 2"), "{status} {body}");
        // The feed: newest first, each entry linking its figures, saying what was measured anew.
        let (status, feed) = text("/api/release/feed.atom").await;
        assert_eq!(status, 200);
        let entries: Vec<&str> = feed.split("<entry>").skip(1).collect();
        assert_eq!(entries.len(), 2, "{feed}");
        assert!(entries[0].contains("nr. 2") && entries[0].contains("police 2023 (måling 2)") && !entries[0].contains("2024"), "{}", entries[0]);
        assert!(entries[1].contains("police 2023 (måling 1), police 2024 (måling 1)"), "{}", entries[1]);
        assert!(entries[0].contains("href=\"http://bomiljo.test/api/release/2/figures.csv\""), "{}", entries[0]);
    });
}

#[test]
fn reading_commands_never_publish() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = store(dir.path(), 1);
    let config = config();
    assert!(matches!(bomiljo::release::for_reading(&store, &config), Err(bomiljo::release::ReleaseError::None)));
    publish(&mut store, &config, "test", "admin").unwrap();
    add_incident(&mut store, dir.path(), 2023);
    let (release, stale) = bomiljo::release::for_reading(&store, &config).unwrap();
    assert_eq!((release.version, stale), (1, true));
    let versions: i64 = store.conn().query_row("SELECT count(*) FROM release_meta", [], |r| r.get(0)).unwrap();
    assert_eq!(versions, 1);
}

#[test]
fn an_import_says_what_the_next_release_will_spend_and_a_dry_run_still_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = store(dir.path(), 1);
    let config = config();
    publish(&mut store, &config, "test", "admin").unwrap();
    std::fs::write(dir.path().join("late.csv"), "id,date,category,x,y\nlate9,2023-05-05,drugs,598450,6642450\n").unwrap();
    let count = |store: &Store| -> i64 { store.conn().query_row("SELECT count(*) FROM incidents", [], |r| r.get(0)).unwrap() };
    let before = count(&store);
    let options = |dry_run: bool| ImportOptions {
        imported_by: "test".into(),
        dry_run,
        consequences: Some(bomiljo::release::cost_lines as bomiljo::import::Consequences),
        ..Default::default()
    };
    let dry = import_file(&mut store, &config, "incidents_police", &dir.path().join("late.csv"), &options(true)).unwrap();
    assert_eq!(dry.consequences, ["privacy: the next public release measures police:2023 afresh: rho 1.00 of its cap 2 spent after it (epsilon 8.4)"]);
    assert_eq!(count(&store), before, "a dry run writes nothing");
    let real = import_file(&mut store, &config, "incidents_police", &dir.path().join("late.csv"), &options(false)).unwrap();
    assert_eq!(real.consequences, dry.consequences);
    assert!(real.to_string().contains("measures police:2023 afresh"), "{real}");
    assert_eq!(count(&store), before + 1);
    let published = publish(&mut store, &config, "test", "admin").unwrap();
    assert_eq!(published.release.spent["police:2023"].rho, 1.0, "the release spent what the import said");
}

#[test]
fn a_person_key_bounds_each_persons_share_of_the_release_and_is_stored_only_as_a_hash() {
    // One household behind 12 police call-outs in 2024, eight others behind one each.
    let dir = tempfile::tempdir().unwrap();
    let config = config();
    let mut store = Store::open(&dir.path().join("k.duckdb"), OpenMode::CreateIfMissing).unwrap();
    let opts = ImportOptions { imported_by: "test".into(), ..Default::default() };
    let areas = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/areas/two_squares_25832.geojson");
    import_file(&mut store, &config, "delbydeler", &areas, &opts).unwrap();
    let mut csv = String::from("id,date,category,x,y,person_key\n");
    for n in 0..12 {
        csv.push_str(&format!("h{n},2024-{:02}-03,disturbance,597450,6642450,HH-77\n", 1 + n));
    }
    for n in 0..8 {
        csv.push_str(&format!("o{n},2024-03-0{},drugs,{},6642550,P-{n}\n", 1 + n, 597_150 + 100 * n));
    }
    std::fs::write(dir.path().join("keyed.csv"), csv).unwrap();
    import_file(&mut store, &config, "incidents_police", &dir.path().join("keyed.csv"), &opts).unwrap();
    // The agency's key is not stored, only its hash.
    let stored: Vec<String> = {
        let mut stmt = store.conn().prepare("SELECT DISTINCT person_key FROM incidents").unwrap();
        stmt.query_map([], |r| r.get(0)).unwrap().collect::<Result<_, _>>().unwrap()
    };
    assert_eq!(stored.len(), 9);
    assert!(stored.iter().all(|k| k.len() == 16 && !k.contains("HH") && !k.contains("P-")), "{stored:?}");
    // The release counts the household once (max_incidents_per_key = 1): 9 incidents, not 20.
    let counted: u64 = store.release_tallies(config.project.release_max_per_key).unwrap().iter().map(|t| t.count).sum();
    assert_eq!(counted, 9);
    let release = publish(&mut store, &config, "test", "admin").unwrap().release;
    let west = release.table("police", 2024).unwrap().area("0101").unwrap();
    assert!((west.estimate - 9.0).abs() <= 4.0 * west.sd(), "{west:?}");
    let unit = release.privacy().unit["police"].clone();
    assert!(unit.starts_with("one person key: at most 1 incident(s)"), "{unit}");
    // The analyst still sees every call-out.
    let raw: i64 = store.conn().query_row("SELECT count(*) FROM incidents", [], |r| r.get(0)).unwrap();
    assert_eq!(raw, 20);
}
