//! Hostile files, made at test time: each is imported by the CLI in a child process under a
//! 600 MB address-space ceiling (an allocation beyond it aborts the child, and the test fails),
//! and must be refused with a clear reason, an error exit status and the database unchanged.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::common::{fixture, two_squares_db};

/// Imports `file` into `layer` under the memory ceiling; the status and what was printed.
fn import_bounded(db: &Path, layer: &str, file: &Path, extra: &[&str]) -> (Option<i32>, String) {
    import_bounded_with(db, Path::new(env!("CARGO_MANIFEST_DIR")), layer, file, extra)
}

/// The same with the configuration in `config`.
fn import_bounded_with(db: &Path, config: &Path, layer: &str, file: &Path, extra: &[&str]) -> (Option<i32>, String) {
    let command = format!(
        "ulimit -v 600000; exec \"$0\" --db \"$1\" --config \"$2\" import \"$3\" \"$4\" {}",
        extra.iter().map(|a| format!("'{a}'")).collect::<Vec<_>>().join(" ")
    );
    let out = Command::new("sh")
        .arg("-c")
        .arg(command)
        .arg(env!("CARGO_BIN_EXE_bomiljo"))
        .arg(db)
        .arg(config)
        .arg(layer)
        .arg(file)
        .env("BOMILJO_LOG", "warn")
        .output()
        .expect("sh runs");
    (out.status.code(), format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr)))
}

/// Every stored row, to show a refused import changed nothing.
fn snapshot(db: &Path) -> String {
    let store = bomiljo::store::Store::open(db, bomiljo::store::OpenMode::MustExist).unwrap();
    ["areas", "features", "incidents", "import_log"]
        .iter()
        .map(|t| store.conn().query_row(&format!("SELECT count(*) || ':' || coalesce(sum(hash(t)), 0) FROM {t} t"), [], |r| r.get::<_, String>(0)).unwrap())
        .collect::<Vec<_>>()
        .join(" ")
}

fn refused(db: &Path, layer: &str, file: &Path, extra: &[&str], reason: &str) {
    let before = snapshot(db);
    let (status, said) = import_bounded(db, layer, file, extra);
    // 1: the file is refused as a whole; 2: rows are; never a panic (101) or a signal (None).
    assert!(matches!(status, Some(1 | 2)), "{}: not a clean refusal (status {status:?}):\n{said}", file.display());
    assert!(said.contains(reason), "{}: the reason should say '{reason}':\n{said}", file.display());
    assert_eq!(snapshot(db), before, "{}: the database changed", file.display());
}

/// A minimal `.xlsx` whose one sheet holds `cells` ((reference, text) pairs) under the declared
/// `dimension`.
fn xlsx(path: &Path, dimension: &str, rows: &str) {
    let mut zip = zip::ZipWriter::new(std::fs::File::create(path).unwrap());
    let options = zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated);
    let parts = [
        ("[Content_Types].xml", r#"<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/></Types>"#.to_string()),
        ("_rels/.rels", r#"<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>"#.to_string()),
        ("xl/workbook.xml", r#"<?xml version="1.0"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="Ark1" sheetId="1" r:id="rId1"/></sheets></workbook>"#.to_string()),
        ("xl/_rels/workbook.xml.rels", r#"<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/></Relationships>"#.to_string()),
        ("xl/worksheets/sheet1.xml", format!(r#"<?xml version="1.0"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><dimension ref="{dimension}"/><sheetData>{rows}</sheetData></worksheet>"#)),
    ];
    for (name, text) in parts {
        zip.start_file(name, options).unwrap();
        zip.write_all(text.as_bytes()).unwrap();
    }
    zip.finish().unwrap();
}

fn inline(reference: &str, text: &str) -> String {
    format!(r#"<c r="{reference}" t="inlineStr"><is><t>{text}</t></is></c>"#)
}

#[test]
fn a_workbook_with_a_cell_in_its_last_corner_is_refused_without_allocating_the_sheet() {
    let dir = tempfile::tempdir().unwrap();
    let db = two_squares_db(dir.path());
    let file = dir.path().join("corner.xlsx");
    let rows = format!(r#"<row r="1">{}</row><row r="1048576">{}</row>"#, inline("A1", "id"), inline("XFD1048576", "x"));
    xlsx(&file, "A1:XFD1048576", &rows);
    assert!(std::fs::metadata(&file).unwrap().len() < 2_000);
    refused(&db, "incidents_police", &file, &[], "column 16384");
}

#[test]
#[ignore = "heavy proof: run by `make proof` (and CI)"]
fn a_workbook_of_more_rows_than_the_cell_budget_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let db = two_squares_db(dir.path());
    let file = dir.path().join("tall.xlsx");
    let rows: String = (1..=1_100_000).map(|r| format!(r#"<row r="{r}"><c r="A{r}"><v>{r}</v></c><c r="B{r}"><v>1</v></c></row>"#)).collect();
    xlsx(&file, "A1:B1100000", &rows);
    refused(&db, "incidents_police", &file, &[], "more than 2097152 cells");
}

#[test]
fn nested_and_endless_geopackages_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let db = two_squares_db(dir.path());
    let file = dir.path().join("nested.gpkg");
    std::fs::copy(fixture("formats/schools.gpkg"), &file).unwrap();
    {
        let gpkg = rusqlite::Connection::open(&file).unwrap();
        // The spatial index's triggers call functions only GDAL's SQLite has.
        let triggers: Vec<String> = {
            let mut stmt = gpkg.prepare("SELECT name FROM sqlite_master WHERE type = 'trigger'").unwrap();
            stmt.query_map([], |r| r.get(0)).unwrap().collect::<Result<_, _>>().unwrap()
        };
        for trigger in triggers {
            gpkg.execute_batch(&format!("DROP TRIGGER \"{trigger}\"")).unwrap();
        }
        // 300,000 MultiPoint headers nested in one another.
        let header = [&[1u8][..], &4u32.to_le_bytes(), &1u32.to_le_bytes()].concat();
        let mut blob = b"GP\x00\x01".to_vec();
        blob.extend(25832i32.to_le_bytes());
        blob.extend(header.iter().copied().cycle().take(header.len() * 300_000));
        gpkg.execute("UPDATE skoler SET geom = ?1 WHERE fid = (SELECT min(fid) FROM skoler)", [blob]).unwrap();
        // A feature table that is a recursive view: rows without end.
        gpkg.execute_batch(
            "CREATE VIEW endless AS WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM r)
               SELECT n AS fid, (SELECT geom FROM skoler ORDER BY fid DESC LIMIT 1) AS geom, 's' || n AS id, 'x' AS name, 'school' AS category FROM r;
             INSERT INTO gpkg_contents (table_name, data_type, identifier, srs_id) VALUES ('endless', 'features', 'endless', 25832);
             INSERT INTO gpkg_geometry_columns VALUES ('endless', 'geom', 'POINT', 25832, 0, 0);",
        )
        .unwrap();
    }
    refused(&db, "schools", &file, &["--source-layer", "skoler"], "holds another multi-geometry");
    refused(&db, "schools", &file, &["--source-layer", "endless"], "an import reads at most 2097152 cells");
}

/// A Shapefile (`.shp` + `.dbf`) of the given records and `.dbf` header.
fn shapefile(dir: &Path, name: &str, records: &[Vec<u8>], dbf_records: u32) -> PathBuf {
    let body: Vec<u8> = records
        .iter()
        .enumerate()
        .flat_map(|(i, content)| [&(i as i32 + 1).to_be_bytes()[..], &((content.len() / 2) as i32).to_be_bytes(), content].concat())
        .collect();
    let mut shp = vec![0u8; 100];
    shp[..4].copy_from_slice(&9994i32.to_be_bytes());
    shp[24..28].copy_from_slice(&(((100 + body.len()) / 2) as i32).to_be_bytes());
    shp[28..32].copy_from_slice(&1000i32.to_le_bytes());
    shp[32..36].copy_from_slice(&5i32.to_le_bytes());
    shp.extend(body);
    let path = dir.join(format!("{name}.shp"));
    std::fs::write(&path, shp).unwrap();
    // dBASE III: one character field "id" of 4 bytes.
    let mut dbf = vec![0u8; 32];
    dbf[0] = 3;
    dbf[4..8].copy_from_slice(&dbf_records.to_le_bytes());
    dbf[8..10].copy_from_slice(&65u16.to_le_bytes());
    dbf[10..12].copy_from_slice(&5u16.to_le_bytes());
    let mut field = [0u8; 32];
    field[..2].copy_from_slice(b"id");
    field[11] = b'C';
    field[16] = 4;
    dbf.extend(field);
    dbf.push(0x0D);
    for i in 0..records.len() {
        dbf.extend(format!(" {i:<4}").as_bytes());
    }
    std::fs::write(path.with_extension("dbf"), dbf).unwrap();
    path
}

#[test]
fn shapefiles_that_lie_about_their_counts_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let db = two_squares_db(dir.path());
    // A .dbf header claiming 4,294,967,295 records in a file of a few bytes.
    let liar = shapefile(dir.path(), "liar", &[], u32::MAX);
    refused(&db, "schools", &liar, &[], "claims 4294967295 records");
    // One polygon of 4 points whose 250,000 part starts alternate 0, 4, 0, 4: each part would
    // copy the points again.
    let parts: i32 = 250_000;
    let mut polygon = 5i32.to_le_bytes().to_vec();
    polygon.extend([0u8; 32]);
    polygon.extend(parts.to_le_bytes());
    polygon.extend(4i32.to_le_bytes());
    polygon.extend((0..parts).flat_map(|i| if i % 2 == 0 { 0i32 } else { 4 }.to_le_bytes()));
    for (x, y) in [(0.0f64, 0.0f64), (0.0, 1.0), (1.0, 1.0), (0.0, 0.0)] {
        polygon.extend(x.to_le_bytes());
        polygon.extend(y.to_le_bytes());
    }
    let parts_file = shapefile(dir.path(), "parts", &[polygon], 1);
    let (status, said) = import_bounded(&db, "delbydeler", &parts_file, &["--field", "code=id"]);
    assert_eq!(status, Some(2), "{said}");
    assert!(said.contains("are not in order"), "{said}");
}

#[test]
#[ignore = "heavy proof: run by `make proof` (and CI)"]
fn a_gtfs_zip_that_expands_beyond_the_budget_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let db = two_squares_db(dir.path());
    let file = dir.path().join("bomb.zip");
    let mut zip = zip::ZipWriter::new(std::fs::File::create(&file).unwrap());
    zip.start_file("stops.txt", zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated)).unwrap();
    zip.write_all(b"stop_id,stop_name,stop_lat,stop_lon\n").unwrap();
    let line = b"1,x,59.9,10.7\n".repeat(64 * 1024);
    for _ in 0..300 {
        zip.write_all(&line).unwrap();
    }
    zip.finish().unwrap();
    assert!(std::fs::metadata(&file).unwrap().len() < 5_000_000);
    refused(&db, "transit_stops", &file, &[], "expands to more than 256 MB");
}

#[test]
fn the_import_memory_budget_is_a_setting_and_its_errors_name_it() {
    // At 16 MB a workbook may hold 65,536 cells: 20,000 rows of 4 are refused, naming the setting.
    let dir = tempfile::tempdir().unwrap();
    let db = two_squares_db(dir.path());
    let small = crate::common::config_with(dir.path(), &[("import_memory_mb", 16)]);
    let file = dir.path().join("large.xlsx");
    let rows: String = (1..=20_000)
        .map(|r| {
            format!(
                "<row r=\"{r}\">{}{}{}{}</row>",
                inline(&format!("A{r}"), "x"),
                inline(&format!("B{r}"), "y"),
                inline(&format!("C{r}"), "z"),
                inline(&format!("D{r}"), "w")
            )
        })
        .collect();
    xlsx(&file, "A1:D20000", &rows);
    let before = snapshot(&db);
    let (status, said) = import_bounded_with(&db, &small, "incidents_police", &file, &[]);
    assert_eq!(status, Some(1), "{said}");
    assert!(said.contains("more than 65536 cells") && said.contains("import_memory_mb"), "{said}");
    assert_eq!(snapshot(&db), before);
    // The default budget reads it (and refuses its rows for what they hold, not for their number).
    let (_, said) = import_bounded(&db, "incidents_police", &file, &[]);
    assert!(!said.contains("import_memory_mb"), "{said}");
}

#[test]
fn a_csv_header_of_a_million_columns_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let db = two_squares_db(dir.path());
    let file = dir.path().join("wide.csv");
    let header: Vec<String> = (0..1_000_000).map(|i| format!("c{i}")).collect();
    std::fs::write(&file, format!("{}\n", header.join(","))).unwrap();
    refused(&db, "incidents_police", &file, &[], "an import reads at most 1000");
}

#[test]
fn hostile_files_sent_to_the_server_are_refused_and_it_keeps_answering() {
    let dir = tempfile::tempdir().unwrap();
    let db = two_squares_db(dir.path());
    let admin = crate::common::token(&db, "admin");
    let server = crate::common::Server::start(&db, 0).expect("server starts");
    let corner = dir.path().join("corner.xlsx");
    xlsx(&corner, "A1:XFD1048576", &format!(r#"<row r="1">{}</row><row r="1048576">{}</row>"#, inline("A1", "id"), inline("XFD1048576", "x")));
    let wide = format!("{}\n", (0..200_000).map(|i| format!("c{i}")).collect::<Vec<_>>().join(","));
    let agent: ureq::Agent = ureq::Agent::config_builder().http_status_as_error(false).build().into();
    for (name, body) in [("corner.xlsx", std::fs::read(&corner).unwrap()), ("wide.csv", wide.into_bytes())] {
        let mut response = agent
            .post(&format!("{}/api/admin/import/incidents_police?filename={name}&dry_run=true", server.base()))
            .header("Authorization", &format!("Bearer {admin}"))
            .send(&body[..])
            .expect("the server answers");
        let text = response.body_mut().read_to_string().unwrap();
        assert_eq!(response.status().as_u16(), 422, "{name}: {text}");
        assert!(text.contains("an import reads at most 1000 columns"), "{name}: {text}");
        assert_eq!(server.get("/api/health").0, 200, "the server answers after {name}");
    }
    assert!(server.stop());
}
