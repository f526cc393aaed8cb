//! What a successful import does: reprojection from each accepted CRS, Parquet, field mapping,
//! anonymisation, delbydel assignment with known answers, and idempotent re-import.

use crate::common::{bomiljo, fixture, import_ok, query, two_squares_db};

#[test]
fn incidents_are_snapped_assigned_and_stripped_of_free_text() {
    let dir = tempfile::tempdir().unwrap();
    let db = two_squares_db(dir.path());
    let summary = import_ok(&db, "incidents_police", &fixture("import/good_police.csv"), &[]);
    assert!(summary.contains("appended 4 rows") && summary.contains("1 outside every delbydel"), "{summary}");
    // (597523.4, 6642567.8) snaps to the centre of its 100 m cell.
    assert_eq!(query::<String>(&db, "SELECT x || ',' || y FROM incidents WHERE id = 'p1'"), "597550.0,6642550.0");
    assert_eq!(query::<String>(&db, "SELECT delbydel || '/' || bydel FROM incidents WHERE id = 'p1'"), "0101/01");
    assert_eq!(query::<String>(&db, "SELECT delbydel FROM incidents WHERE id = 'p2'"), "0202");
    // Outside both squares: kept, marked by a NULL delbydel.
    assert_eq!(query::<i64>(&db, "SELECT count(*) FROM incidents WHERE id = 'p3' AND delbydel IS NULL"), 1);
    // The free-text column is stored nowhere.
    let leaked: i64 = query(&db, "SELECT count(*) FROM incidents WHERE concat_ws('|', layer, source, id, category, delbydel, bydel) LIKE '%ringte%'");
    assert_eq!(leaked, 0);
    assert_eq!(query::<String>(&db, "SELECT string_agg(DISTINCT source, ',') FROM incidents"), "police");
    assert_eq!(query::<i64>(&db, "SELECT year FROM incidents WHERE id = 'p3'"), 2023);
}

#[test]
fn reimporting_the_same_file_replaces_instead_of_duplicating() {
    let dir = tempfile::tempdir().unwrap();
    let db = two_squares_db(dir.path());
    import_ok(&db, "incidents_police", &fixture("import/good_police.csv"), &[]);
    let again = import_ok(&db, "incidents_police", &fixture("import/good_police.csv"), &[]);
    assert!(again.contains("4 of them replaced"), "{again}");
    assert_eq!(query::<i64>(&db, "SELECT count(*) FROM incidents"), 4);
    assert_eq!(query::<i64>(&db, "SELECT count(*) FROM import_log WHERE layer = 'incidents_police'"), 2);
}

#[test]
fn points_without_ids_get_stable_ids_so_reimport_does_not_duplicate() {
    let dir = tempfile::tempdir().unwrap();
    let db = two_squares_db(dir.path());
    let csv = dir.path().join("stops.csv");
    std::fs::write(&csv, "name,lon,lat\nJernbanetorget,10.7522,59.9112\nGrønland,10.7601,59.9123\n").unwrap();
    import_ok(&db, "transit_stops", &csv, &[]);
    import_ok(&db, "transit_stops", &csv, &[]);
    assert_eq!(query::<i64>(&db, "SELECT count(*) FROM features WHERE layer = 'transit_stops'"), 2);
}

#[test]
fn utm33_input_is_reprojected_to_utm32_within_a_millimetre() {
    // PROJ 9.1.1: EPSG:25833 (255444.5515, 6657996.5040) = EPSG:25832 (590123.456, 6650987.654).
    let dir = tempfile::tempdir().unwrap();
    let db = two_squares_db(dir.path());
    let csv = dir.path().join("schools_33.csv");
    std::fs::write(&csv, "id,name,x,y\ns1,Skole,255444.5515,6657996.5040\n").unwrap();
    import_ok(&db, "schools", &csv, &["--crs", "EPSG:25833"]);
    let x: f64 = query(&db, "SELECT x FROM features WHERE id = 's1'");
    let y: f64 = query(&db, "SELECT y FROM features WHERE id = 's1'");
    assert!((x - 590_123.456).abs() < 0.001 && (y - 6_650_987.654).abs() < 0.001, "({x}, {y})");
}

#[test]
fn lon_lat_columns_are_read_as_wgs84() {
    // PROJ 9.1.1: (10.7522 E, 59.9139 N) = EPSG:25832 (597979.9029, 6643118.9914).
    let dir = tempfile::tempdir().unwrap();
    let db = two_squares_db(dir.path());
    let csv = dir.path().join("schools.csv");
    std::fs::write(&csv, "id,name,lon,lat\ns1,Skole,10.7522,59.9139\n").unwrap();
    import_ok(&db, "schools", &csv, &[]);
    let x: f64 = query(&db, "SELECT x FROM features WHERE id = 's1'");
    let y: f64 = query(&db, "SELECT y FROM features WHERE id = 's1'");
    assert!((x - 597979.9029).abs() < 0.001 && (y - 6643118.9914).abs() < 0.001, "({x}, {y})");
}

#[test]
fn field_overrides_map_other_column_names() {
    let dir = tempfile::tempdir().unwrap();
    let db = two_squares_db(dir.path());
    let csv = dir.path().join("politi.csv");
    std::fs::write(&csv, "saksnr,dato,type,x,y\nk1,2024-05-17,drugs,597500,6642500\n").unwrap();
    import_ok(&db, "incidents_police", &csv, &["--field", "id=saksnr", "--field", "date=dato", "--field", "category=type"]);
    assert_eq!(query::<String>(&db, "SELECT CAST(date AS VARCHAR) || ' ' || category FROM incidents WHERE id = 'k1'"), "2024-05-17 drugs");
    let out = bomiljo(&db, &["import", "incidents_police", csv.to_str().unwrap(), "--field", "dato=dato"]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success() && err.contains("has no field 'dato', did you mean 'date'?"), "{err}");
}

#[test]
fn parquet_files_import_like_csv() {
    let dir = tempfile::tempdir().unwrap();
    let db = two_squares_db(dir.path());
    let parquet = dir.path().join("waste.parquet");
    let conn = duckdb::Connection::open_in_memory().unwrap();
    conn.execute_batch(&format!(
        "COPY (SELECT 'w' || i AS id, DATE '2024-01-01' + CAST(i AS INTEGER) AS date, 'littering' AS category,
                      597100.0 + i * 100 AS x, 6642500.0 AS y
               FROM range(15) t(i)) TO '{}' (FORMAT parquet)",
        parquet.display()
    ))
    .unwrap();
    let summary = import_ok(&db, "incidents_waste", &parquet, &[]);
    assert!(summary.contains("appended 15 rows"), "{summary}");
    // x = 597100 + 100 i, assigned where delivered: w0-w8 are in 0101, w9 (x = 598000) lies on
    // the shared edge and goes to the lower code, 0101; w10-w14 are in 0202.
    assert_eq!(query::<i64>(&db, "SELECT count(*) FROM incidents WHERE delbydel = '0101'"), 10);
    assert_eq!(query::<i64>(&db, "SELECT count(*) FROM incidents WHERE delbydel = '0202'"), 5);
    assert_eq!(query::<String>(&db, "SELECT CAST(date AS VARCHAR) FROM incidents WHERE id = 'w3'"), "2024-01-04");
}

#[test]
fn the_import_log_records_who_imported_what() {
    let dir = tempfile::tempdir().unwrap();
    let db = two_squares_db(dir.path());
    import_ok(&db, "incidents_police", &fixture("import/good_police.csv"), &["--user", "analytiker1"]);
    let row: String = query(&db, "SELECT imported_by || ' ' || layer || ' ' || rows || ' ' || crs FROM import_log ORDER BY id DESC LIMIT 1");
    assert_eq!(row, "analytiker1 incidents_police 4 EPSG:25832");
}

#[test]
fn housing_keeps_exact_positions_and_refuses_resident_names() {
    let dir = tempfile::tempdir().unwrap();
    let db = two_squares_db(dir.path());
    let csv = dir.path().join("housing.csv");
    std::fs::write(&csv, "id,units,group,has_staff_base,opened,x,y\nh1,10,5,true,2021-03-01,597523.4,6642567.8\n").unwrap();
    import_ok(&db, "housing", &csv, &[]);
    assert_eq!(query::<String>(&db, "SELECT x || ',' || y || ',' || matrix_group || ',' || has_staff_base FROM housing"), "597523.4,6642567.8,5,true");
    std::fs::write(&csv, "id,units,navn,x,y\nh2,4,Kari,597500,6642500\n").unwrap();
    let out = bomiljo(&db, &["import", "housing", csv.to_str().unwrap()]);
    assert!(!out.status.success());
    let csv9 = dir.path().join("group9.csv");
    std::fs::write(&csv9, "id,units,group,x,y\nh3,4,9,597500,6642500\n").unwrap();
    let out = bomiljo(&db, &["import", "housing", csv9.to_str().unwrap()]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success() && err.contains("group 9 in column 'group' is outside 1-8"), "{err}");
}

#[test]
fn points_imported_before_their_areas_are_assigned_when_the_areas_arrive() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("t.duckdb");
    import_ok(&db, "incidents_police", &fixture("import/good_police.csv"), &[]);
    assert_eq!(query::<i64>(&db, "SELECT count(delbydel) FROM incidents"), 0);
    import_ok(&db, "delbydeler", &fixture("areas/two_squares_25832.geojson"), &[]);
    assert_eq!(query::<String>(&db, "SELECT delbydel || '/' || bydel FROM incidents WHERE id = 'p1'"), "0101/01");
    assert_eq!(query::<String>(&db, "SELECT delbydel FROM incidents WHERE id = 'p2'"), "0202");
    assert_eq!(query::<i64>(&db, "SELECT count(*) FROM incidents WHERE delbydel IS NULL"), 1);
}
