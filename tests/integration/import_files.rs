//! Files as they arrive from municipal offices: Norwegian Excel CSV (semicolon, decimal comma,
//! dd.mm.yyyy, BOM or Windows-1252, CRLF), agencies' own category labels, 10-digit and
//! unpadded area codes, invalid polygons in one-line files, junk, empty files, future dates,
//! and points that miss the municipality. Fixtures in tests/fixtures/formats (README there).

use std::path::{Path, PathBuf};

use crate::common::{bomiljo, fingerprint, fixture, import_ok, query, two_squares_db};

/// The police export's own column names, mapped on the command line.
const POLICE_COLUMNS: [&str; 10] =
    ["--field", "id=Saksnr", "--field", "date=Dato", "--field", "category=Hendelsestype", "--field", "x=Øst", "--field", "y=Nord"];

/// A database with one delbydel covering every fixture point (x 595-601 km, y 6641-6647 km).
fn big_square_db(dir: &Path) -> PathBuf {
    let db = dir.join("t.duckdb");
    let areas = dir.join("big.geojson");
    std::fs::write(
        &areas,
        r#"{"type": "FeatureCollection", "crs": {"type": "name", "properties": {"name": "EPSG:25832"}}, "features": [
        {"type": "Feature", "properties": {"DELBYDEL": "0101", "DELBYDELSN": "Alt"}, "geometry": {"type": "Polygon", "coordinates": [[[595000, 6641000], [601000, 6641000], [601000, 6647000], [595000, 6647000], [595000, 6641000]]]}}]}"#,
    )
    .unwrap();
    import_ok(&db, "delbydeler", &areas, &[]);
    db
}

fn run(db: &Path, args: &[&str]) -> (bool, String, String) {
    let out = bomiljo(db, args);
    (out.status.success(), String::from_utf8_lossy(&out.stdout).into_owned(), String::from_utf8_lossy(&out.stderr).into_owned())
}

fn import_police(db: &Path, file: &Path, extra: &[&str]) -> (bool, String, String) {
    let file = file.to_string_lossy();
    let mut args = vec!["import", "incidents_police", &file];
    args.extend_from_slice(&POLICE_COLUMNS);
    args.extend_from_slice(extra);
    run(db, &args)
}

/// Category counts of the police fixture, from its README: Vold 2 + vold 1, Ordensforstyrrelse 2
/// + uro 2, Narkotika 2 + Narkotikabeslag 1, Bekymringsmelding 2.
const EXPECTED_CATEGORIES: &str = "disturbance 4,drugs 3,violence 3,welfare_check 2";

#[test]
fn a_norwegian_excel_police_export_goes_in_with_its_own_labels() {
    for file in ["formats/police_excel.csv", "formats/police_cp1252.csv"] {
        let dir = tempfile::tempdir().unwrap();
        let db = big_square_db(dir.path());
        let (ok, out, err) = import_police(&db, &fixture(file), &[]);
        assert!(ok, "{file}: {err}");
        assert!(out.contains("appended 12 rows") && out.contains("semicolon-separated") && out.contains("decimal comma"), "{out}");
        let categories: String =
            query(&db, "SELECT string_agg(category || ' ' || n, ',' ORDER BY category) FROM (SELECT category, count(*) n FROM incidents GROUP BY 1)");
        assert_eq!(categories, EXPECTED_CATEGORIES, "{file}");
        // 14.01.2023 and (597123,5; 6643210,25) snapped to the 100 m grid.
        assert_eq!(
            query::<String>(&db, "SELECT CAST(date AS VARCHAR) || ' ' || x || ' ' || y FROM incidents WHERE id = 'P-2023-0001'"),
            "2023-01-14 597150.0 6643250.0"
        );
    }
}

#[test]
fn dry_run_lists_each_label_and_its_category_and_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let db = big_square_db(dir.path());
    let before = fingerprint(&db);
    let (ok, out, err) = import_police(&db, &fixture("formats/police_excel.csv"), &["--dry-run"]);
    assert!(ok, "{err}");
    assert!(out.contains("dry run: 12 rows") && out.contains("nothing was written"), "{out}");
    for (label, category, rows) in
        [("Narkotikabeslag", "drugs", 1), ("Ordensforstyrrelse", "disturbance", 2), ("uro", "disturbance", 2), ("vold", "violence", 1)]
    {
        let line = out.lines().find(|l| l.trim_start().starts_with(&format!("{label} "))).unwrap_or_else(|| panic!("{label} missing:\n{out}"));
        assert!(line.contains(&format!("-> {category}")) && line.contains(&format!("{rows} rows")), "{line}");
    }
    assert_eq!(fingerprint(&db), before);
}

#[test]
fn an_unknown_label_is_refused_with_a_hint_and_one_toml_line_maps_it() {
    let dir = tempfile::tempdir().unwrap();
    let db = big_square_db(dir.path());
    let csv = dir.path().join("innbrudd.csv");
    std::fs::write(&csv, "Saksnr;Dato;Hendelsestype;Øst;Nord\r\nP1;01.02.2024;Innbrudd;597500;6642500\r\nP2;02.02.2024;Volld;597500;6642500\r\n").unwrap();
    let (ok, _, err) = import_police(&db, &csv, &[]);
    assert!(!ok);
    assert!(err.contains("innbrudd.csv:2: unknown category 'Innbrudd'"), "{err}");
    assert!(err.contains("innbrudd.csv:3: unknown category 'Volld', did you mean 'vold'?"), "{err}");
    assert!(err.contains("labels that map to no category: 'Innbrudd' (1 rows), 'Volld' (1 rows)"), "{err}");

    // The fix is a TOML edit: a copy of the configuration with one more label.
    let config = dir.path().join("config");
    copy_config(&config);
    let layer = config.join("layers/incidents_police.toml");
    let text = std::fs::read_to_string(&layer).unwrap().replace("disturbance = [\"uro\"", "disturbance = [\"innbrudd\", \"volld\", \"uro\"");
    std::fs::write(&layer, text).unwrap();
    let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_bomiljo"));
    command.args(["--db", db.to_str().unwrap(), "--config", config.to_str().unwrap(), "import", "incidents_police", csv.to_str().unwrap()]);
    let out = command.args(POLICE_COLUMNS).env("BOMILJO_LOG", "warn").output().unwrap();
    let (ok, out, err) = (out.status.success(), String::from_utf8_lossy(&out.stdout).into_owned(), String::from_utf8_lossy(&out.stderr).into_owned());
    assert!(ok, "{err}");
    assert!(out.contains("Innbrudd") && out.contains("-> disturbance"), "{out}");
    assert_eq!(query::<i64>(&db, "SELECT count(*) FROM incidents WHERE category = 'disturbance'"), 2);
}

fn copy_config(to: &Path) {
    let from = Path::new(env!("CARGO_MANIFEST_DIR"));
    for dir in ["layers", "rules", "texts"] {
        std::fs::create_dir_all(to.join(dir)).unwrap();
        for entry in std::fs::read_dir(from.join(dir)).unwrap() {
            let entry = entry.unwrap();
            std::fs::copy(entry.path(), to.join(dir).join(entry.file_name())).unwrap();
        }
    }
    std::fs::copy(from.join("bomiljo.toml"), to.join("bomiljo.toml")).unwrap();
}

#[test]
fn crlf_files_report_the_right_line_and_future_and_ancient_dates_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let db = two_squares_db(dir.path());
    let before = fingerprint(&db);
    let csv = dir.path().join("dates.csv");
    std::fs::write(
        &csv,
        "id;date;category;x;y\r\na1;01.02.2024;vold;597500;6642500\r\na2;01.02.2099;vold;597500;6642500\r\na3;01.02.1924;vold;597500;6642500\r\n",
    )
    .unwrap();
    let (ok, _, err) = run(&db, &["import", "incidents_police", csv.to_str().unwrap()]);
    assert!(!ok);
    assert!(err.contains("dates.csv:3: date 2099-02-01 in column 'date' is after today"), "{err}");
    assert!(err.contains("dates.csv:4: date 1924-02-01 in column 'date' is before 2010-01-01"), "{err}");
    assert_eq!(fingerprint(&db), before);
    std::fs::write(&csv, "id;date;category;x;y\r\na1;01.02.2024;vold;597500;6642500\r\na2;01.02.2099;vold;597500;6642500\r\n").unwrap();
    let (ok, _, err) = run(&db, &["import", "incidents_police", csv.to_str().unwrap(), "--allow-future"]);
    assert!(ok, "{err}");
}

#[test]
fn a_file_of_junk_lists_the_first_100_errors_and_counts_the_rest() {
    let dir = tempfile::tempdir().unwrap();
    let db = two_squares_db(dir.path());
    let csv = dir.path().join("junk.csv");
    let junk: String = (0..5000).map(|i| format!("j{i},not a date,drugs,597500,6642500\n")).collect();
    std::fs::write(&csv, format!("id,date,category,x,y\n{junk}")).unwrap();
    let (ok, _, err) = run(&db, &["import", "incidents_police", csv.to_str().unwrap()]);
    assert!(!ok);
    assert_eq!(err.lines().filter(|l| l.contains("unparseable date")).count(), 100, "{}", &err[..500]);
    assert!(err.contains("... and 4900 more rejected rows") && err.contains("import rejected: 5000 of 5000 rows"), "{}", &err[err.len() - 400..]);
}

#[test]
fn empty_and_header_only_files_say_so() {
    let dir = tempfile::tempdir().unwrap();
    let db = two_squares_db(dir.path());
    let empty = dir.path().join("empty.csv");
    std::fs::write(&empty, "").unwrap();
    let (ok, _, err) = run(&db, &["import", "schools", empty.to_str().unwrap()]);
    assert!(!ok && err.contains("the file is empty"), "{err}");
    let header = dir.path().join("header.csv");
    std::fs::write(&header, "id,name,x,y\n").unwrap();
    let schools = dir.path().join("schools.csv");
    std::fs::write(&schools, "id,name,x,y\ns1,Skole,597500,6642500\n").unwrap();
    import_ok(&db, "schools", &schools, &[]);
    let schools_before: i64 = query(&db, "SELECT count(*) FROM features WHERE layer = 'schools'");
    let (ok, _, err) = run(&db, &["import", "schools", header.to_str().unwrap()]);
    assert!(!ok && err.contains("no data rows (only a header)"), "{err}");
    // Replace mode with a header-only file would have emptied the layer.
    assert_eq!(query::<i64>(&db, "SELECT count(*) FROM features WHERE layer = 'schools'"), schools_before);
    assert!(schools_before > 0);
}

#[test]
fn an_address_column_refuses_an_incident_file() {
    let dir = tempfile::tempdir().unwrap();
    let db = two_squares_db(dir.path());
    let csv = dir.path().join("adresse.csv");
    std::fs::write(&csv, "id,date,category,adresse,x,y\na1,2024-02-01,drugs,Storgata 1,597500,6642500\n").unwrap();
    let (ok, _, err) = run(&db, &["import", "incidents_police", csv.to_str().unwrap()]);
    assert!(!ok && err.contains("column(s) adresse look like personal identifiers"), "{err}");
}

#[test]
fn many_points_outside_every_delbydel_warn_with_the_share_and_the_likely_cause() {
    let dir = tempfile::tempdir().unwrap();
    let db = two_squares_db(dir.path());
    // Two of four points are outside both squares (but inside Oslo's extent).
    let csv = dir.path().join("far.csv");
    std::fs::write(&csv, "id,date,category,x,y\na,2024-02-01,drugs,597500,6642500\nb,2024-02-01,drugs,598500,6642500\nc,2024-02-01,drugs,590500,6652500\nd,2024-02-01,drugs,591500,6652500\n").unwrap();
    let out = import_ok(&db, "incidents_police", &csv, &[]);
    assert!(out.contains("warning: 2 of 4 points (50 %) lie outside every delbydeler: is the CRS right"), "{out}");
    let out = import_ok(&db, "incidents_police", &fixture("import/good_police.csv"), &[]);
    assert!(out.contains("warning: 1 of 4 points (25 %)"), "{out}");
}

#[test]
fn ten_digit_and_unpadded_area_codes_are_normalised_and_parents_must_exist() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("t.duckdb");
    let square = |code: &str, bydel: &str, x0: i64| {
        format!(
            r#"{{"type": "Feature", "properties": {{"DELBYDEL": "{code}", "DELBYDELSN": "D{code}", "BYDEL": "{bydel}"}}, "geometry": {{"type": "Polygon", "coordinates": [[[{x0}, 6642000], [{}, 6642000], [{}, 6643000], [{x0}, 6643000], [{x0}, 6642000]]]}}}}"#,
            x0 + 1000,
            x0 + 1000
        )
    };
    let file = |name: &str, features: &[String]| {
        let path = dir.path().join(name);
        std::fs::write(
            &path,
            format!(
                r#"{{"type": "FeatureCollection", "crs": {{"type": "name", "properties": {{"name": "EPSG:25832"}}}}, "features": [{}]}}"#,
                features.join(",\n")
            ),
        )
        .unwrap();
        path
    };
    // SSB's 10-digit codes and Excel's unpadded bydel numbers.
    let national = file("national.geojson", &[square("0301010102", "1", 597000), square("0301020201", "2", 598000)]);
    import_ok(&db, "delbydeler", &national, &["--field", "parent=BYDEL"]);
    let stored: String = query(&db, "SELECT string_agg(id || '/' || parent_code, ',' ORDER BY id) FROM areas WHERE layer = 'delbydeler'");
    assert_eq!(stored, "0102/01,0201/02");

    // 10 digits whose bydel part disagrees with the delbydel: refused, not put in bydel "03".
    let wrong = file("wrong.geojson", &[square("0301030102", "1", 597000)]);
    let (ok, _, err) = run(&db, &["import", "delbydeler", wrong.to_str().unwrap()]);
    assert!(!ok && err.contains("feature 1 (DELBYDEL 0301030102, DELBYDELSN D0301030102): code '0301030102' has 10 digits"), "{err}");

    // Once bydeler are stored, a delbydel must name one of them.
    let bydel_polygons = file("bydeler.geojson", &[square("030101", "", 597000).replace("DELBYDEL\"", "bydelsnr\"").replace("DELBYDELSN", "bydel")]);
    import_ok(&db, "bydeler", &bydel_polygons, &[]);
    let (ok, _, err) = run(&db, &["import", "delbydeler", national.to_str().unwrap(), "--field", "parent=BYDEL"]);
    assert!(!ok && err.contains("area 0201: parent '02' is not one of the 1 stored bydeler"), "{err}");
}

#[test]
fn an_invalid_polygon_names_its_feature_and_make_valid_repairs_it() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("t.duckdb");
    // One line, like files exported by many tools: the line number alone points nowhere.
    let bowtie = dir.path().join("bowtie.geojson");
    std::fs::write(
        &bowtie,
        r#"{"type": "FeatureCollection", "crs": {"type": "name", "properties": {"name": "EPSG:25832"}}, "features": [{"type": "Feature", "properties": {"DELBYDEL": "0101", "DELBYDELSN": "Rett"}, "geometry": {"type": "Polygon", "coordinates": [[[596000, 6642000], [597000, 6642000], [597000, 6643000], [596000, 6643000], [596000, 6642000]]]}}, {"type": "Feature", "properties": {"DELBYDEL": "0102", "DELBYDELSN": "Sløyfe"}, "geometry": {"type": "Polygon", "coordinates": [[[597000, 6642000], [598000, 6643000], [598000, 6642000], [597000, 6643000], [597000, 6642000]]]}}]}"#,
    )
    .unwrap();
    let (ok, _, err) = run(&db, &["import", "delbydeler", bowtie.to_str().unwrap()]);
    assert!(!ok && err.contains("bowtie.geojson:1: feature 2 (DELBYDEL 0102, DELBYDELSN Sløyfe): invalid polygon"), "{err}");
    assert!(err.contains("--make-valid"), "{err}");
    let out = import_ok(&db, "delbydeler", &bowtie, &["--make-valid"]);
    // The bow tie's two triangles: 2 × ½ × 1000 m × 500 m.
    assert!(out.contains("repaired") && out.contains("-> 500000 m², 2 part(s)"), "{out}");
    let area: f64 = query(&db, "SELECT area_m2 FROM areas WHERE id = '0102'");
    assert!((area - 500_000.0).abs() < 1.0, "{area}");
}
