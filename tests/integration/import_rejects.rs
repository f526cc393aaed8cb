//! Bad input: every malformed-input case fails with the line numbers of every bad row, exits
//! non-zero, and leaves the database exactly as it was.

use crate::common::{bomiljo, fingerprint, fixture, import_ok, query, two_squares_db};

/// Imports a fixture that must be rejected; returns stderr after checking the database is
/// unchanged and the exit status is non-zero.
fn rejected(layer: &str, name: &str) -> String {
    let dir = tempfile::tempdir().unwrap();
    let db = two_squares_db(dir.path());
    import_ok(&db, "incidents_police", &fixture("import/good_police.csv"), &[]);
    let before = fingerprint(&db);
    let path = fixture(&format!("import/{name}"));
    let out = bomiljo(&db, &["import", layer, path.to_str().unwrap()]);
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(!out.status.success(), "{name} was accepted:\n{stderr}");
    assert_eq!(fingerprint(&db), before, "{name} changed the database:\n{stderr}");
    stderr
}

/// Asserts that stderr names exactly these lines of the file as rejected.
fn assert_lines(stderr: &str, name: &str, lines: &[usize]) {
    let prefix = format!("{name}:");
    let mut found: Vec<usize> =
        stderr.lines().filter_map(|l| l.split_once(&prefix).map(|(_, rest)| rest)).filter_map(|rest| rest.split(':').next()?.parse().ok()).collect();
    found.sort_unstable();
    assert_eq!(found, lines, "rejected lines of {name}:\n{stderr}");
}

#[test]
fn a_truncated_csv_names_each_short_row() {
    let err = rejected("incidents_police", "truncated.csv");
    assert_lines(&err, "truncated.csv", &[3, 5]);
    assert!(err.contains("has 4 fields but the header has 5"), "{err}");
    assert!(err.contains("import rejected: 2 of 4 rows"), "{err}");
}

#[test]
fn unparseable_dates_are_rejected_with_the_expected_format() {
    let err = rejected("incidents_police", "bad_date.csv");
    assert_lines(&err, "bad_date.csv", &[2, 3]);
    // dd.mm.yyyy is read (Norwegian exports); 31/12/2024 needs --date-format %d/%m/%Y.
    assert!(err.contains("unparseable date '31/12/2024'") && err.contains("expected YYYY-MM-DD or dd.mm.yyyy (or pass --date-format)"), "{err}");
}

#[test]
fn unknown_categories_are_rejected_with_a_suggestion() {
    let err = rejected("incidents_police", "unknown_category.csv");
    assert_lines(&err, "unknown_category.csv", &[3, 4]);
    assert!(err.contains("unknown category 'distrubance', did you mean 'disturbance'?"), "{err}");
}

#[test]
fn points_outside_the_municipality_are_rejected_and_swapped_axes_are_hinted() {
    let err = rejected("incidents_police", "outside_extent.csv");
    assert_lines(&err, "outside_extent.csv", &[3, 4]);
    assert!(err.contains("outside Oslo's extent"), "{err}");
    assert!(err.contains("not swapped"), "{err}");
}

#[test]
fn missing_fields_name_the_field_and_column() {
    let err = rejected("incidents_police", "missing_field.csv");
    assert_lines(&err, "missing_field.csv", &[2, 3, 4, 5]);
    for expected in ["missing category (column 'category')", "missing id (column 'id')", "missing date", "missing coordinate (column 'x')"] {
        assert!(err.contains(expected), "expected '{expected}' in:\n{err}");
    }
}

#[test]
fn degrees_in_metre_columns_are_caught_before_reprojection() {
    let err = rejected("incidents_police", "degrees_as_utm.csv");
    assert_lines(&err, "degrees_as_utm.csv", &[2]);
    // One row of two: the advice is to correct that row, not a --crs that would misplace the other.
    assert!(err.contains("look like degrees but the CRS is EPSG:25832") && !err.contains("pass --crs"), "{err}");
    assert!(err.contains("1 row(s) have coordinates in another unit than the rest of the file: correct those rows"), "{err}");
}

#[test]
fn eleven_digit_numbers_are_refused_as_fodselsnummer() {
    let err = rejected("incidents_police", "has_fodselsnummer.csv");
    assert_lines(&err, "has_fodselsnummer.csv", &[3, 4]);
    assert!(err.contains("column 'ref' holds an 11-digit number that looks like a fødselsnummer"), "{err}");
}

#[test]
fn identifier_columns_fail_the_whole_import_with_their_names() {
    let err = rejected("incidents_police", "has_name_column.csv");
    assert!(err.contains("column(s) Navn, telefon look like personal identifiers"), "{err}");
    assert!(err.contains("must arrive anonymised"), "{err}");
}

#[test]
fn a_repeated_id_in_one_file_is_rejected() {
    let err = rejected("incidents_police", "duplicate_id.csv");
    assert_lines(&err, "duplicate_id.csv", &[4]);
    assert!(err.contains(":4: duplicate id 'dup' (an earlier row has the same id)"), "{err}");
}

#[test]
fn geojson_features_without_usable_coordinates_are_rejected_by_line() {
    let err = rejected("schools", "nan_coord.geojson");
    assert_lines(&err, "nan_coord.geojson", &[5, 6, 7]);
    assert!(err.contains("feature has no geometry"), "{err}");
}

#[test]
fn self_intersecting_polygons_and_wrong_geometry_types_are_rejected() {
    let err = rejected("delbydeler", "self_intersecting.geojson");
    assert_lines(&err, "self_intersecting.geojson", &[5, 6]);
    assert!(err.contains("invalid polygon"), "{err}");
    assert!(err.contains("expects polygon geometry, found point"), "{err}");
}

#[test]
fn an_unknown_file_type_or_layer_is_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("t.duckdb");
    let out = bomiljo(&db, &["import", "incidents_polise", "x.csv"]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success() && err.contains("did you mean 'incidents_police'"), "{err}");
    let out = bomiljo(&db, &["import", "schools", "x.dat"]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success() && err.contains("unknown file type '.dat'; bomiljo imports .geojson, .csv, .parquet, .gpkg, .shp"), "{err}");
}

/// Rows are checked in batches on several threads: a repeated id far from its first use (in
/// another batch) is still found, and the rejections come out in line order whichever thread
/// found them (a bad date in one batch, a repeated id in a later one, a bad date after it).
#[test]
fn rejections_across_batches_come_in_line_order() {
    let dir = tempfile::tempdir().unwrap();
    let db = two_squares_db(dir.path());
    let before = fingerprint(&db);
    let path = dir.path().join("many.csv");
    let mut csv = String::from("id,date,category,x,y\n");
    for i in 1..=12_000 {
        let id = if i == 9_000 { "p10".to_string() } else { format!("p{i}") };
        let date = if i == 5_000 || i == 11_000 { "2024-13-01" } else { "2024-03-01" };
        csv.push_str(&format!("{id},{date},drugs,{},{}\n", 597_100 + i % 700, 6_642_100 + i % 700));
    }
    std::fs::write(&path, csv).unwrap();
    let out = bomiljo(&db, &["import", "incidents_police", path.to_str().unwrap()]);
    let err = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(!out.status.success(), "{err}");
    assert_eq!(fingerprint(&db), before, "{err}");
    let rejected: Vec<&str> = err.lines().filter(|l| l.contains("many.csv:")).collect();
    assert_eq!(rejected.len(), 3, "{err}");
    assert!(rejected[0].contains("many.csv:5001: ") && rejected[0].contains("unparseable date"), "{err}");
    assert!(rejected[1].contains("many.csv:9001: duplicate id 'p10'"), "{err}");
    assert!(rejected[2].contains("many.csv:11001: ") && rejected[2].contains("unparseable date"), "{err}");
    assert!(err.contains("import rejected: 3 of 12000 rows"), "{err}");
}

/// Areas are keyed by code in their table: a repeated code is refused as a rejection naming the
/// feature and its line, before it reaches the table (found only after writing, it had been a
/// database constraint error that lost every other rejection), in replace and in append mode.
#[test]
fn a_repeated_area_code_is_a_rejection_naming_the_feature() {
    let dir = tempfile::tempdir().unwrap();
    let db = two_squares_db(dir.path());
    let before = fingerprint(&db);
    let text = std::fs::read_to_string(fixture("areas/two_squares_25832.geojson")).unwrap();
    let repeated = text.replace("\"0202\"", "\"0101\"");
    let path = dir.path().join("repeated.geojson");
    std::fs::write(&path, repeated).unwrap();
    for mode in ["replace", "append"] {
        let out = bomiljo(&db, &["import", "delbydeler", path.to_str().unwrap(), "--mode", mode]);
        let err = String::from_utf8_lossy(&out.stderr).into_owned();
        assert!(!out.status.success(), "{mode}: {err}");
        assert!(err.contains("repeated.geojson:6: feature 2: duplicate id '0101' (an earlier row has the same id)"), "{mode}: {err}");
        assert!(err.contains("import rejected: 1 of 2 rows"), "{mode}: {err}");
        assert_eq!(fingerprint(&db), before, "{mode}: {err}");
    }
}

/// A column no row has (an export that calls the date `dato`) is one message naming the file's
/// columns and the `--field` to use, not a rejection per row; with the mapping it imports.
#[test]
fn a_column_missing_from_the_whole_file_is_one_message_naming_the_columns() {
    let dir = tempfile::tempdir().unwrap();
    let db = two_squares_db(dir.path());
    let rows: String = (0..150).map(|i| format!("d{i},2024-01-0{},drugs,597500,6642500\n", 1 + i % 9)).collect();
    let file = dir.path().join("dato.csv");
    std::fs::write(&file, format!("id,dato,category,x,y\n{rows}")).unwrap();
    let before = fingerprint(&db);
    let out = bomiljo(&db, &["import", "incidents_police", file.to_str().unwrap()]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success() && fingerprint(&db) == before);
    assert!(err.contains("no column 'date' for date") && err.contains("the file's columns are: id, dato, category, x, y"), "{err}");
    assert!(err.contains("--field date=COLUMN") && err.lines().count() < 5, "one message, not one per row:\n{err}");
    import_ok(&db, "incidents_police", &file, &["--field", "date=dato"]);
}

/// When every row is in degrees the advice is the flag for the whole file.
#[test]
fn a_file_wholly_in_degrees_is_told_to_pass_the_crs() {
    let dir = tempfile::tempdir().unwrap();
    let db = two_squares_db(dir.path());
    let file = dir.path().join("degrees.csv");
    std::fs::write(&file, "id,date,category,x,y\nd1,2024-01-01,drugs,10.7522,59.9139\nd2,2024-01-02,drugs,10.7601,59.9142\n").unwrap();
    let out = bomiljo(&db, &["import", "incidents_police", file.to_str().unwrap()]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success() && err.contains("every row is in degrees: pass --crs EPSG:4326"), "{err}");
}

/// `--keep-valid --rejects FILE` imports the valid rows and lists every rejected one in FILE;
/// without it the same file is refused whole, and a file with no valid row is refused even with it.
#[test]
fn keep_valid_imports_the_good_rows_and_sets_the_bad_ones_aside() {
    let dir = tempfile::tempdir().unwrap();
    let db = two_squares_db(dir.path());
    let file = dir.path().join("mixed.csv");
    std::fs::write(
        &file,
        "id,date,category,x,y\nk1,2024-01-01,drugs,597500,6642500\nk2,31/12/2024,drugs,597500,6642500\nk3,2024-01-03,drugs,597600,6642500\nk4,2024-01-04,nosuch,597500,6642500\nk5,2024-01-05,drugs,598500,6642500\n",
    )
    .unwrap();
    let before = fingerprint(&db);
    let refused = bomiljo(&db, &["import", "incidents_police", file.to_str().unwrap()]);
    assert!(!refused.status.success() && fingerprint(&db) == before);
    let rejects = dir.path().join("rejects.csv");
    let keep =
        |file: &std::path::Path| bomiljo(&db, &["import", "incidents_police", file.to_str().unwrap(), "--keep-valid", "--rejects", rejects.to_str().unwrap()]);
    let kept = keep(&file);
    let said = String::from_utf8_lossy(&kept.stdout);
    assert!(kept.status.success(), "{}", String::from_utf8_lossy(&kept.stderr));
    assert!(said.contains("2 rejected rows were set aside"), "{said}");
    let listed = std::fs::read_to_string(&rejects).unwrap();
    let lines: Vec<&str> = listed.lines().skip(1).collect();
    assert_eq!(lines.iter().map(|l| l.split(',').nth(1).unwrap()).collect::<Vec<_>>(), ["3", "5"], "{listed}");
    assert!(lines[0].contains("31/12/2024") && lines[1].contains("nosuch"), "{listed}");
    assert_eq!(query::<String>(&db, "SELECT string_agg(id, ',' ORDER BY id) FROM incidents"), "k1,k3,k5");
    // A file with no valid row is refused even so; --keep-valid needs a place for the rejects.
    let before = fingerprint(&db);
    assert!(!keep(&fixture("import/missing_field.csv")).status.success());
    assert_eq!(fingerprint(&db), before);
    assert!(!bomiljo(&db, &["import", "incidents_police", file.to_str().unwrap(), "--keep-valid"]).status.success());
}
