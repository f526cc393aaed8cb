//! Files as they arrive from municipal offices: Norwegian Excel CSV (semicolon, decimal comma,
//! dd.mm.yyyy, BOM or Windows-1252, CRLF), agencies' own category labels, 10-digit and
//! unpadded area codes, invalid polygons in one-line files, junk, empty files, future dates,
//! and points that miss the municipality. Fixtures in tests/fixtures/formats (README there).

use std::path::{Path, PathBuf};

use crate::common::{bomiljo, fingerprint, fixture, import_ok, query, rectangles, two_squares_db};
use bomiljo::store::Database;

/// The police export's own column names, mapped on the command line.
const POLICE_COLUMNS: [&str; 10] =
    ["--field", "id=Saksnr", "--field", "date=Dato", "--field", "category=Hendelsestype", "--field", "x=Øst", "--field", "y=Nord"];

/// A database with one delbydel covering every fixture point (x 595-601 km, y 6641-6647 km).
fn big_square_db(dir: &Path) -> PathBuf {
    let db = dir.join("t.duckdb");
    let areas = rectangles(dir, "big.geojson", &[(r#"{"DELBYDEL": "0101", "DELBYDELSN": "Alt"}"#, [595000, 6641000, 601000, 6647000])]);
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
    let config = crate::common::copy_config(dir.path());
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
    // Appending nothing changes nothing: a warning, not an error.
    let incidents = dir.path().join("none.csv");
    std::fs::write(&incidents, "id,date,category,x,y\n").unwrap();
    let before = fingerprint(&db);
    let out = import_ok(&db, "incidents_police", &incidents, &[]);
    assert!(out.contains("warning: the file has no data rows (only a header); nothing was added"), "{out}");
    assert_eq!(fingerprint(&db), before);
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
        (format!(r#"{{"DELBYDEL": "{code}", "DELBYDELSN": "D{code}", "BYDEL": "{bydel}"}}"#), [x0, 6642000, x0 + 1000, 6643000])
    };
    let file = |name: &str, features: &[(String, [i64; 4])]| {
        let features: Vec<(&str, [i64; 4])> = features.iter().map(|(p, r)| (p.as_str(), *r)).collect();
        rectangles(dir.path(), name, &features)
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
    let bydel_polygons = file("bydeler.geojson", &[(r#"{"bydelsnr": "030101", "bydel": "Gamle Oslo"}"#.to_string(), [597000, 6642000, 598000, 6643000])]);
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

/// (id, name, x, y) of a point layer, ordered by id.
fn points(db: &Path, layer: &str) -> Vec<(String, String, f64, f64)> {
    let store = bomiljo::store::Store::open(db, bomiljo::store::OpenMode::MustExist).unwrap();
    let mut stmt = store.conn().prepare("SELECT id, coalesce(name, ''), x, y FROM features WHERE layer = ? ORDER BY id").unwrap();
    stmt.query_map([layer], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?))).unwrap().map(Result::unwrap).collect()
}

#[test]
fn geopackage_and_shapefile_schools_read_alike_with_norwegian_letters() {
    let dir = tempfile::tempdir().unwrap();
    let db = big_square_db(dir.path());
    let out = import_ok(&db, "schools", &fixture("formats/schools.gpkg"), &[]);
    assert!(out.contains("replaced layer schools: 0 rows before, 6 now") && out.contains("table skoler"), "{out}");
    let from_gpkg = points(&db, "schools");
    // ogrinfo on the fixture: S1 "Ærlig skole" at (597412.37, 6643877.12), EPSG:25832.
    let (id, name, x, y) = &from_gpkg[0];
    assert_eq!((id.as_str(), name.as_str()), ("S1", "Ærlig skole"));
    assert!((x - 597_412.37).abs() < 0.005 && (y - 6_643_877.12).abs() < 0.005, "({x}, {y})");
    let out = import_ok(&db, "schools", &fixture("formats/schools_shp/skoler.shp"), &[]);
    assert!(out.contains("6 now") && out.contains("Windows-1252 attributes"), "{out}");
    assert_eq!(points(&db, "schools"), from_gpkg);
    let names: Vec<String> = from_gpkg.iter().map(|p| p.1.clone()).collect();
    assert_eq!(names, ["Ærlig skole", "Østre Linje skole", "Bjørnåsen skole", "Åkerløkka skole", "Grønnlia skole", "Sæterbråten skole"]);
}

#[test]
fn gml_delbydeler_keep_multipolygons_and_holes() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("t.duckdb");
    import_ok(&db, "delbydeler", &fixture("formats/delbydeler.gml"), &[]);
    let areas: String = query(&db, "SELECT string_agg(id || ' ' || name || ' ' || round(area_m2), ', ' ORDER BY id) FROM areas");
    assert_eq!(areas, "0101 Sentrum Ørkenhagen 1000000.0, 0102 Bjørvika Ærfuglodden 1000000.0, 0201 Grünerløkka Åsvollen 1000000.0");
    import_ok(&db, "delbydeler", &fixture("formats/delbydeler_with_hole.gml"), &[]);
    assert_eq!(query::<f64>(&db, "SELECT round(area_m2) FROM areas WHERE id = '0201'"), 960_000.0);
    // A point in the hole belongs to no delbydel; one beside it to 0201.
    let csv = dir.path().join("hole.csv");
    std::fs::write(&csv, "id,name,x,y\nin_hole,A,599500,6644500\nbeside,B,599300,6644500\n").unwrap();
    import_ok(&db, "schools", &csv, &[]);
    assert_eq!(query::<String>(&db, "SELECT string_agg(id || '=' || coalesce(delbydel, '-'), ',' ORDER BY id) FROM features"), "beside=0201,in_hole=-");
}

#[test]
fn an_excel_workbook_reads_like_the_csv_export() {
    let dir = tempfile::tempdir().unwrap();
    let db = big_square_db(dir.path());
    let (ok, out, err) = import_police(&db, &fixture("formats/police.xlsx"), &[]);
    assert!(ok && out.contains("appended 12 rows") && out.contains("sheet Hendelser"), "{out}{err}");
    let categories: String =
        query(&db, "SELECT string_agg(category || ' ' || n, ',' ORDER BY category) FROM (SELECT category, count(*) n FROM incidents GROUP BY 1)");
    assert_eq!(categories, EXPECTED_CATEGORIES);
    assert_eq!(
        query::<String>(&db, "SELECT CAST(date AS VARCHAR) || ' ' || x || ' ' || y FROM incidents WHERE id = 'P-2023-0001'"),
        "2023-01-14 597150.0 6643250.0"
    );
}

/// Title rows above the header (a title, a source line, a blank row) are found and skipped:
/// the same 12 incidents as the plain workbook.
#[test]
fn an_excel_sheet_with_title_rows_above_the_header_reads_like_the_plain_one() {
    let dir = tempfile::tempdir().unwrap();
    let db = big_square_db(dir.path());
    let (ok, out, err) = import_police(&db, &fixture("formats/police_title_rows.xlsx"), &[]);
    assert!(ok && out.contains("appended 12 rows") && out.contains("header on row 4 below 2 title row(s)"), "{out}{err}");
    let categories: String =
        query(&db, "SELECT string_agg(category || ' ' || n, ',' ORDER BY category) FROM (SELECT category, count(*) n FROM incidents GROUP BY 1)");
    assert_eq!(categories, EXPECTED_CATEGORIES);
}

#[test]
fn ssb_grid_statistics_keyed_by_cell_id_become_cell_squares() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("t.duckdb");
    let out = import_ok(&db, "population", &fixture("formats/ssb_grid_250m.csv"), &[]);
    assert!(out.contains("8 now") && out.contains("EPSG:25833"), "{out}");
    assert_eq!(query::<f64>(&db, "SELECT sum(value) FROM features WHERE layer = 'population'"), 4009.0);
    // Each cell is a 250 m square in EPSG:25833; in EPSG:25832 its area differs from 62,500 m²
    // by the ratio of the two zones' squared scale factors: at 10.7° E, 59.9° N about
    // (0.99971 / 1.00030)² = 0.9988, so -0.12 %.
    let store = bomiljo::store::Store::open(&db, bomiljo::store::OpenMode::MustExist).unwrap();
    for cell in store.feature_polygons("population").unwrap() {
        use geo::Area;
        let area = cell.polygon.unsigned_area();
        assert!((area / 62_500.0 - 0.9988).abs() < 0.0005, "{}: {area} m²", cell.code);
    }
}

#[test]
fn gtfs_stops_and_openstreetmap_shops_and_pharmacies() {
    let dir = tempfile::tempdir().unwrap();
    let db = big_square_db(dir.path());
    import_ok(&db, "transit_stops", &fixture("formats/gtfs.zip"), &[]);
    // Six quays; the station (location_type 1) is not a seventh stop.
    let stops: String = query(
        &db,
        "SELECT string_agg(category || ' ' || n, ',' ORDER BY category) FROM (SELECT category, count(*) n FROM features WHERE layer = 'transit_stops' GROUP BY 1)",
    );
    assert_eq!(stops, "platform 2,stop 4");

    import_ok(&db, "grocery", &fixture("formats/shops.osm.pbf"), &[]);
    import_ok(&db, "pharmacies", &fixture("formats/shops.osm.pbf"), &[]);
    let grocery: String = query(
        &db,
        "SELECT string_agg(category || ' ' || n, ',' ORDER BY category) FROM (SELECT category, count(*) n FROM features WHERE layer = 'grocery' GROUP BY 1)",
    );
    assert_eq!(grocery, "convenience 2,supermarket 5");
    assert_eq!(query::<String>(&db, "SELECT string_agg(name, ',' ORDER BY name) FROM features WHERE layer = 'pharmacies'"), "Apotek 1 Test,Vitusapotek Prøve");
    // The supermarket mapped as a building sits at the mean of its four corners.
    let to_utm = bomiljo::spatial::Transformer::new(bomiljo::spatial::Crs::Wgs84, bomiljo::spatial::ANALYSIS_CRS);
    let (ex, ey) = to_utm.apply(10.7903, 59.93015).unwrap();
    let (x, y): (f64, f64) = (query(&db, "SELECT x FROM features WHERE id = 'way/3001'"), query(&db, "SELECT y FROM features WHERE id = 'way/3001'"));
    assert!((x - ex).abs() < 0.5 && (y - ey).abs() < 0.5, "({x}, {y}) vs ({ex}, {ey})");
}

#[test]
fn unsupported_formats_say_how_to_convert_them() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("t.duckdb");
    let sosi = dir.path().join("arealbruk.sos");
    std::fs::write(&sosi, ".HODE\n").unwrap();
    let (ok, _, err) = run(&db, &["import", "delbydeler", sosi.to_str().unwrap()]);
    assert!(!ok && err.contains("SOSI files are not read directly") && err.contains("ogr2ogr -f GPKG"), "{err}");
}

/// Incidents are assigned from the position as delivered, then snapped. A 100 m cell straddling
/// a boundary would otherwise move every incident in it to the side its centre lies on.
#[test]
fn incidents_near_a_boundary_are_assigned_from_their_true_position() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("t.duckdb");
    // West and east of x = 598030, which runs through the 100 m cell 598000-598100 (centre 598050).
    let areas = rectangles(
        dir.path(),
        "split.geojson",
        &[
            (r#"{"DELBYDEL": "0101", "DELBYDELSN": "Vest"}"#, [597000, 6642000, 598030, 6643000]),
            (r#"{"DELBYDEL": "0102", "DELBYDELSN": "Øst"}"#, [598030, 6642000, 599000, 6643000]),
        ],
    );
    import_ok(&db, "delbydeler", &areas, &[]);
    let csv = dir.path().join("edge.csv");
    std::fs::write(&csv, "id,date,category,x,y\nwest,2024-02-01,drugs,598010,6642500\neast,2024-02-01,drugs,598090,6642500\n").unwrap();
    import_ok(&db, "incidents_police", &csv, &[]);
    let stored: String = query(&db, "SELECT string_agg(id || '=' || delbydel || '@' || x, ',' ORDER BY id) FROM incidents");
    // Both are stored at the cell centre 598050 (anonymised), each in its own delbydel.
    assert_eq!(stored, "east=0102@598050.0,west=0101@598050.0");
}

/// A GeoPackage whose CRS is an ESRI WKT of UTM zone 33 with organisation NONE (as GDAL writes a
/// CRS it cannot match to an EPSG code) is read from the WKT, to the same points as the EPSG:25832
/// original; `--crs` wins over what a file declares.
#[test]
fn a_geopackage_with_an_esri_wkt_crs_and_no_epsg_code_reads_like_the_original() {
    let dir = tempfile::tempdir().unwrap();
    let db = big_square_db(dir.path());
    import_ok(&db, "schools", &fixture("formats/schools.gpkg"), &[]);
    let original = points(&db, "schools");
    let out = import_ok(&db, "schools", &fixture("formats/schools_esri_utm33.gpkg"), &[]);
    assert!(out.contains("(EPSG:25833"), "{out}");
    for (a, b) in points(&db, "schools").iter().zip(&original) {
        assert!(a.0 == b.0 && (a.2 - b.2).abs() < 0.01 && (a.3 - b.3).abs() < 0.01, "{a:?} vs {b:?}");
    }
    // --crs always wins: the same file read as if its coordinates were EPSG:25832 lands far
    // outside Oslo (the zone 33 eastings are ~340 km smaller), so every row is refused, citing the flag's CRS.
    let wrong = bomiljo(&db, &["import", "schools", fixture("formats/schools_esri_utm33.gpkg").to_str().unwrap(), "--crs", "EPSG:25832", "--dry-run"]);
    let err = String::from_utf8_lossy(&wrong.stderr);
    assert!(!wrong.status.success() && err.contains("outside Oslo's extent"), "{err}");
}

/// A Shapefile as GDAL writes it: dates as dBASE `D` fields (`20250627`) are read as dates with
/// no `--date-format`, booleans as 1/0, the laundered column name mapped with `--field`.
#[test]
fn shapefile_date_fields_are_read_as_dates() {
    let dir = tempfile::tempdir().unwrap();
    let db = two_squares_db(dir.path());
    let out = import_ok(&db, "housing", &fixture("formats/housing_shp/boliger.shp"), &["--field", "has_staff_base=has_staff_"]);
    assert!(out.contains("2 now"), "{out}");
    let opened: String = query(&db, "SELECT string_agg(id || ' ' || CAST(opened AS VARCHAR) || ' ' || has_staff_base, ', ' ORDER BY id) FROM housing");
    assert_eq!(opened, "h1 2025-06-27 true, h2 2019-01-15 false");
}

/// A GML file with two feature types (SSB's 1 km cells and their boundary lines): the type whose
/// geometry the layer takes is read and the other skipped with a note; `--source-layer` names one,
/// and an unknown name lists what the file holds.
#[test]
fn a_gml_file_with_two_feature_types_reads_the_one_the_layer_takes() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("t.duckdb");
    let gml = fixture("formats/befolkning_1km.gml");
    let out = import_ok(&db, "population", &gml, &["--field", "id=ssbid1000m"]);
    assert!(out.contains("2 now") && out.contains("feature type Befolkning; skipped 3 Grense (lines)"), "{out}");
    assert_eq!(query::<f64>(&db, "SELECT sum(value) FROM features WHERE layer = 'population'"), 2000.0);
    let named = import_ok(&db, "population", &gml, &["--field", "id=ssbid1000m", "--source-layer", "Befolkning"]);
    assert!(named.contains("2 now"), "{named}");
    let wrong = bomiljo(&db, &["import", "population", gml.to_str().unwrap(), "--source-layer", "Ruter"]);
    let err = String::from_utf8_lossy(&wrong.stderr);
    assert!(
        !wrong.status.success() && err.contains("no feature type 'Ruter'; the file has Befolkning (2 features, polygons), Grense (3 features, lines)"),
        "{err}"
    );
}
