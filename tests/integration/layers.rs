//! Layer versions: reference layers are replaced as a whole, incident layers appended; every
//! superseded row is kept so `bomiljo layer undo` can put it back; `bomiljo check` catches
//! stacked files (overlapping areas, a population far from what the areas state).

use std::path::Path;

use crate::common::{bomiljo, fixture, import_ok, query, rectangles, two_squares_db};

fn write_stops(dir: &Path, name: &str, rows: &[(&str, f64, f64)]) -> std::path::PathBuf {
    let path = dir.join(name);
    let body: String = rows.iter().map(|(n, lon, lat)| format!("{n},{lon},{lat}\n")).collect();
    std::fs::write(&path, format!("name,lon,lat\n{body}")).unwrap();
    path
}

fn stops(db: &Path) -> i64 {
    query(db, "SELECT count(*) FROM features WHERE layer = 'transit_stops'")
}

#[test]
fn a_refreshed_reference_file_replaces_the_layer_and_undo_brings_the_old_one_back() {
    let dir = tempfile::tempdir().unwrap();
    let db = two_squares_db(dir.path());
    let old = write_stops(dir.path(), "old.csv", &[("Jernbanetorget", 10.7522, 59.9112), ("Grønland", 10.7601, 59.9123), ("Tøyen", 10.7743, 59.9152)]);
    // The refreshed file moved one stop by 40 m and dropped one: without ids, an append would
    // keep the moved stop twice and the dropped one forever.
    let new = write_stops(dir.path(), "new.csv", &[("Jernbanetorget", 10.7522, 59.9112), ("Grønland", 10.7608, 59.9124)]);
    import_ok(&db, "transit_stops", &old, &[]);
    let summary = import_ok(&db, "transit_stops", &new, &[]);
    assert!(summary.contains("replaced layer transit_stops: 3 rows before, 2 now"), "{summary}");
    assert!(summary.contains("bomiljo layer undo transit_stops"), "{summary}");
    assert_eq!(stops(&db), 2);

    let history = bomiljo(&db, &["layer", "history", "transit_stops"]);
    let text = String::from_utf8_lossy(&history.stdout);
    assert_eq!(text.lines().filter(|l| l.contains("  replace  ")).count(), 2, "{text}");

    let undo = bomiljo(&db, &["layer", "undo", "transit_stops"]);
    let said = String::from_utf8_lossy(&undo.stdout);
    assert!(undo.status.success() && said.contains("removed its 2 rows, restored 3 earlier rows"), "{said}");
    assert_eq!(stops(&db), 3);
    let names: String = query(&db, "SELECT string_agg(name, ',' ORDER BY name) FROM features WHERE layer = 'transit_stops'");
    assert_eq!(names, "Grønland,Jernbanetorget,Tøyen");
    let history = String::from_utf8_lossy(&bomiljo(&db, &["layer", "history", "transit_stops"]).stdout).into_owned();
    assert!(history.contains("(undone "), "{history}");
    // Undo again: the first import goes too, and then there is nothing left to undo.
    assert!(bomiljo(&db, &["layer", "undo", "transit_stops"]).status.success());
    assert_eq!(stops(&db), 0);
    let nothing = bomiljo(&db, &["layer", "undo", "transit_stops"]);
    assert!(!nothing.status.success() && String::from_utf8_lossy(&nothing.stderr).contains("no import to undo"));
}

#[test]
fn append_mode_adds_to_a_reference_layer_and_replaces_by_id() {
    let dir = tempfile::tempdir().unwrap();
    let db = two_squares_db(dir.path());
    let a = write_stops(dir.path(), "a.csv", &[("Jernbanetorget", 10.7522, 59.9112)]);
    let b = write_stops(dir.path(), "b.csv", &[("Jernbanetorget", 10.7522, 59.9112), ("Tøyen", 10.7743, 59.9152)]);
    import_ok(&db, "transit_stops", &a, &[]);
    let summary = import_ok(&db, "transit_stops", &b, &["--mode", "append"]);
    assert!(summary.contains("appended 2 rows to transit_stops (1 of them replaced"), "{summary}");
    assert_eq!(stops(&db), 2);
}

#[test]
fn incidents_are_appended_by_default_and_undo_restores_the_rows_an_import_replaced() {
    let dir = tempfile::tempdir().unwrap();
    let db = two_squares_db(dir.path());
    import_ok(&db, "incidents_police", &fixture("import/good_police.csv"), &[]);
    let before: String = query(&db, "SELECT string_agg(id || category || x, ',' ORDER BY id) FROM incidents");
    let corrected = dir.path().join("corrected.csv");
    std::fs::write(&corrected, "id,date,category,x,y\np1,2024-03-02,violence,598500,6642500\np9,2024-03-03,drugs,597500,6642500\n").unwrap();
    let summary = import_ok(&db, "incidents_police", &corrected, &[]);
    assert!(summary.contains("appended 2 rows to incidents_police (1 of them replaced"), "{summary}");
    assert_eq!(query::<i64>(&db, "SELECT count(*) FROM incidents"), 5);
    assert!(bomiljo(&db, &["layer", "undo", "incidents_police"]).status.success());
    let after: String = query(&db, "SELECT string_agg(id || category || x, ',' ORDER BY id) FROM incidents");
    assert_eq!(after, before, "undo restores exactly the rows of the first import");
}

#[test]
fn undoing_delbydeler_reassigns_every_point() {
    let dir = tempfile::tempdir().unwrap();
    let db = two_squares_db(dir.path());
    import_ok(&db, "incidents_police", &fixture("import/good_police.csv"), &[]);
    // One big square replaces both: every point in it becomes 0909.
    let big = rectangles(dir.path(), "big.geojson", &[(r#"{"DELBYDEL": "0909", "DELBYDELSN": "Alt"}"#, [597000, 6642000, 599000, 6643000])]);
    import_ok(&db, "delbydeler", &big, &[]);
    assert_eq!(query::<String>(&db, "SELECT delbydel FROM incidents WHERE id = 'p1'"), "0909");
    assert!(bomiljo(&db, &["layer", "undo", "delbydeler"]).status.success());
    assert_eq!(query::<String>(&db, "SELECT delbydel FROM incidents WHERE id = 'p1'"), "0101");
    assert_eq!(query::<i64>(&db, "SELECT count(*) FROM areas WHERE layer = 'delbydeler'"), 2);
}

#[test]
fn check_finds_areas_stacked_on_top_of_each_other() {
    let dir = tempfile::tempdir().unwrap();
    let db = two_squares_db(dir.path());
    assert!(bomiljo(&db, &["check"]).status.success(), "two squares sharing an edge do not overlap");
    let shifted = rectangles(dir.path(), "shifted.geojson", &[(r#"{"DELBYDEL": "0301", "DELBYDELSN": "Over"}"#, [597500, 6642000, 598500, 6643000])]);
    import_ok(&db, "delbydeler", &shifted, &["--mode", "append"]);
    let out = bomiljo(&db, &["check"]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(!out.status.success(), "{text}");
    // 0301 covers half of 0101 and half of 0202: 500,000 m² each, 50 % of the smaller.
    assert!(text.contains("2 pairs of delbydeler overlap (e.g. 0101 and 0301 share 500000 m², 50 % of the smaller)"), "{text}");
}

#[test]
fn check_finds_a_population_grid_far_from_what_the_areas_state() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("t.duckdb");
    let areas =
        rectangles(dir.path(), "areas.geojson", &[(r#"{"DELBYDEL": "0101", "DELBYDELSN": "Vest", "population": 1000}"#, [597000, 6642000, 598000, 6643000])]);
    import_ok(&db, "delbydeler", &areas, &[]);
    let grid = |name: &str, rows: &str| {
        let path = dir.path().join(name);
        std::fs::write(&path, format!("ru250m,pop_tot,x,y\n{rows}")).unwrap();
        path
    };
    import_ok(&db, "population", &grid("g250.csv", "a,600,597200,6642200\nb,450,597700,6642700\n"), &[]);
    assert!(bomiljo(&db, &["check"]).status.success(), "1,050 against a stated 1,000 is within 10 %");
    import_ok(&db, "population", &grid("g1km.csv", "k1,1050,597500,6642500\n"), &["--mode", "append"]);
    let out = bomiljo(&db, &["check"]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(!out.status.success() && text.contains("layer population sums to 2100 inhabitants but delbydeler states 1000 (+110 %)"), "{text}");
}

/// Two delbydeler split at x = 598 030, a boundary off the 100 m snapping grid.
const SPLIT: [(&str, [i64; 4]); 2] = [
    (r#"{"DELBYDEL": "0101", "DELBYDELSN": "Vest"}"#, [597000, 6642000, 598030, 6643000]),
    (r#"{"DELBYDEL": "0202", "DELBYDELSN": "Øst"}"#, [598030, 6642000, 599000, 6643000]),
];

/// Incidents 20 m west of a boundary that does not follow the 100 m snapping grid: snapped,
/// each lies 30 m east of it. Half of them sit on the boundary's other side.
fn incidents_near_a_boundary(dir: &Path) -> std::path::PathBuf {
    let rows: String = (0..40)
        .map(|i| {
            let x = if i % 2 == 0 { 598_010.0 } else { 598_050.0 + f64::from(i) };
            format!("n{i},2024-0{}-1{},disturbance,{x},{}\n", 1 + i % 9, i % 10, 6_642_100 + i * 20)
        })
        .collect();
    let path = dir.join("near.csv");
    std::fs::write(&path, format!("id,date,category,x,y\n{rows}")).unwrap();
    path
}

fn measure_csv(db: &Path) -> String {
    let out = bomiljo(db, &["measure", "--year", "2024", "--format", "csv"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn the_same_areas_give_the_same_counts_after_a_replace_and_an_undo() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("t.duckdb");
    let split = SPLIT;
    let areas = rectangles(dir.path(), "split.geojson", &split);
    import_ok(&db, "delbydeler", &areas, &[]);
    import_ok(&db, "incidents_police", &incidents_near_a_boundary(dir.path()), &[]);
    let west = "SELECT count(*) FROM incidents WHERE delbydel = '0101'";
    assert_eq!(query::<i64>(&db, west), 20, "assigned where delivered, west of the boundary");
    let at_import = measure_csv(&db);

    // The identical file again: not one count moves.
    let again = import_ok(&db, "delbydeler", &areas, &[]);
    assert!(again.contains("incidents_police: 0 of 40 (0.0 %)"), "{again}");
    assert_eq!(query::<i64>(&db, west), 20);
    assert_eq!(measure_csv(&db), at_import);

    // Other areas, then undo: the measurement comes back byte for byte.
    let big = rectangles(dir.path(), "big.geojson", &[(r#"{"DELBYDEL": "0909", "DELBYDELSN": "Alt"}"#, [597000, 6642000, 599000, 6643000])]);
    import_ok(&db, "delbydeler", &big, &[]);
    assert_ne!(measure_csv(&db), at_import);
    let undo = bomiljo(&db, &["layer", "undo", "delbydeler"]);
    assert!(undo.status.success() && String::from_utf8_lossy(&undo.stdout).contains("incidents_police: 0 of 40"), "{undo:?}");
    assert_eq!(measure_csv(&db), at_import);
}

#[test]
fn areas_that_leave_out_stored_incidents_are_reported_and_check_finds_them() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("t.duckdb");
    let split = SPLIT;
    import_ok(&db, "delbydeler", &rectangles(dir.path(), "split.geojson", &split), &[]);
    import_ok(&db, "incidents_police", &incidents_near_a_boundary(dir.path()), &[]);
    assert!(bomiljo(&db, &["check"]).status.success());
    // A "simplified" file without Øst: half the stored incidents fall outside every area.
    let west_only = rectangles(dir.path(), "west.geojson", &split[..1]);
    let said = import_ok(&db, "delbydeler", &west_only, &[]);
    assert!(said.contains("incidents_police: 20 of 40 (50.0 %)"), "{said}");
    assert!(said.contains("warning: 20 of 40 stored incidents_police (50 %) now lie outside every delbydeler"), "{said}");
    assert!(!said.contains("0 outside every delbydel"), "{said}");
    let check = bomiljo(&db, &["check"]);
    let report = String::from_utf8_lossy(&check.stdout);
    assert!(!check.status.success() && report.contains("20 of 40 incidents_police (50 %) lie outside every delbydeler"), "{report}");
}
