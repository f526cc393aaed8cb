//! Housing need against supply: the 2020 table of the housing-need plan imported with its
//! documented mapping, and a two-year survey against a housing layer with opening and closing
//! dates, every figure computed by hand below.
//!
//! The survey fixture (`tests/fixtures/need/kartlegging-2023-2024.csv`), bydeler by code:
//!
//! | year | Grorud (10) g5 | Stovner (11) g5 | Alna (12) g4 | Alna g5 |
//! |------|----------------|-----------------|--------------|---------|
//! | 2023 | 9              | 4               | 3            | (none)  |
//! | 2024 | 12             | 1               | 2            | 0       |
//!
//! The housing layer: h1 Grorud g5 5 units opened 2022-05-01; h2 Grorud g5 4 units opened
//! 2024-06-01; h3 Stovner g5 6 units 2019-01-01 to 2024-02-01; h4 Grorud g5 1 unit opening
//! 2025-03-01; h5 Alna g4 8 units opened 2020-01-01; h6 Østensjø (13, no survey) g5 7 units opened
//! 2020-01-01, which the city's balance must not set against the need of the bydeler that reported.

use std::path::{Path, PathBuf};

use serde_json::{Value, json};

use crate::common::{Server, bomiljo, fixture, import_ok, oslo, query, token};

/// The 2020 table's "Totalt" row, column by column (seed 002, Table 3).
const TOTALS_2020: [(&str, i64); 8] = [
    ("Samlokalisert uten bemanning, HF1-HF2", 18),
    ("Samlokalisert uten bemanning, HF3", 11),
    ("Samlokalisert med delvis bemanning, HF1-HF2", 90),
    ("Samlokalisert med delvis bemanning, HF3", 40),
    ("Samlokalisert med døgnbemanning, HF1-HF2", 33),
    ("Samlokalisert med døgnbemanning, HF3", 90),
    ("Ordinær bolig, rus", 179),
    ("Ordinær bolig, rus og psykiatri", 148),
];

fn need_json(db: &Path, args: &[&str]) -> Value {
    let mut all = vec!["need", "--format", "json"];
    all.extend_from_slice(args);
    let out = bomiljo(db, &all);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).unwrap()
}

fn row<'a>(rows: &'a Value, bydel: Option<&str>, group: u64) -> &'a Value {
    rows.as_array()
        .unwrap()
        .iter()
        .find(|r| r["bydel"].as_str() == bydel && r["group"] == group)
        .unwrap_or_else(|| panic!("no row for {bydel:?} group {group}"))
}

#[test]
fn the_2020_table_imports_by_bydel_name_with_its_mapping_and_its_column_totals() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("need.duckdb");
    import_ok(&db, "bydeler", &oslo("bydeler_befolkning_2024.geojson"), &[]);
    import_ok(&db, "need", &fixture("need/boligbehov-2020-tabell3.csv"), &[]);
    // Every column adds up to the table's printed total ("St. Hanshaugen" found "St.Hanshaugen").
    for (housing_type, total) in TOTALS_2020 {
        let sum: i64 = query(&db, &format!("SELECT sum(units)::BIGINT FROM need WHERE housing_type = '{housing_type}'"));
        assert_eq!(sum, total, "{housing_type}");
    }
    assert_eq!(query::<i64>(&db, "SELECT count(DISTINCT bydel) FROM need"), 15);
    // The layer file's mapping: ordinary "rus" to 1; "rus og psykiatri" and clustered HF1-2
    // without staff to 2; both 24-hour columns to 6; groups 7 and 8 are not in the 2020 table.
    let rows = need_json(&db, &[]);
    let city = |group| row(&rows, None, group).clone();
    assert_eq!(city(1)["needed"], 179);
    assert_eq!(city(2)["needed"], 148 + 18);
    assert_eq!(city(6)["needed"], 33 + 90);
    assert_eq!(city(6)["surveyed"], 15);
    assert_eq!(city(7)["needed"], Value::Null, "a group no bydel reported is not surveyed, not 0");
    // Gamle Oslo, group 6: 0 (blank) + 5.
    assert_eq!(row(&rows, Some("01"), 6)["needed"], 5);
}

#[test]
fn a_bydel_name_that_is_no_bydel_is_refused_with_the_line_and_nothing_is_imported() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("need.duckdb");
    import_ok(&db, "bydeler", &oslo("bydeler_befolkning_2024.geojson"), &[]);
    let file = dir.path().join("bad.csv");
    std::fs::write(&file, "år;bydel;gruppe;boliger\n2024;Grorud;gruppe 5;3\n2024;Groruddalen;gruppe 5;2\n2024;Alna;gruppe 9;1\n").unwrap();
    let out = bomiljo(&db, &["import", "need", file.to_str().unwrap()]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(stderr.contains(":3:") && stderr.contains("'Groruddalen' is not the name of a stored bydel"), "{stderr}");
    assert!(stderr.contains(":4:") && stderr.contains("unknown category 'gruppe 9'"), "{stderr}");
    assert_eq!(query::<i64>(&db, "SELECT count(*) FROM need"), 0);
}

/// Oslo's bydeler and delbydeler and the survey, without housing.
fn survey_only_db(dir: &Path) -> PathBuf {
    let db = dir.join("need.duckdb");
    import_ok(&db, "bydeler", &oslo("bydeler_befolkning_2024.geojson"), &[]);
    import_ok(&db, "delbydeler", &oslo("delbydeler.geojson"), &[]);
    import_ok(&db, "need", &fixture("need/kartlegging-2023-2024.csv"), &[]);
    db
}

/// Oslo's bydeler and delbydeler, the survey and the housing layer of the module doc.
fn survey_db(dir: &Path) -> PathBuf {
    let db = survey_only_db(dir);
    let (grorud, stovner, alna, ostensjo) = (point_in(&db, "10"), point_in(&db, "11"), point_in(&db, "12"), point_in(&db, "13"));
    let housing = dir.join("housing.csv");
    let line =
        |id: &str, (x, y): (f64, f64), units: u32, group: u8, opened: &str, closed: &str| format!("{id},{units},{group},true,{opened},{closed},{x},{y}\n");
    std::fs::write(
        &housing,
        [
            "id,units,group,has_staff_base,opened,closed,x,y\n".to_string(),
            line("h1", grorud, 5, 5, "2022-05-01", ""),
            line("h2", grorud, 4, 5, "2024-06-01", ""),
            line("h3", stovner, 6, 5, "2019-01-01", "2024-02-01"),
            line("h4", grorud, 1, 5, "2025-03-01", ""),
            line("h5", alna, 8, 4, "2020-01-01", ""),
            line("h6", ostensjo, 7, 5, "2020-01-01", ""),
        ]
        .concat(),
    )
    .unwrap();
    import_ok(&db, "housing", &housing, &[]);
    db
}

/// The representative point (inside it) of the bydel's first delbydel, EPSG:25832.
fn point_in(db: &Path, bydel: &str) -> (f64, f64) {
    let at = |c: &str| query(db, &format!("SELECT {c} FROM areas WHERE layer = 'delbydeler' AND parent_code = '{bydel}' ORDER BY id LIMIT 1"));
    (at("x"), at("y"))
}

fn lonlat_in(db: &Path, bydel: &str) -> (f64, f64) {
    let (x, y) = point_in(db, bydel);
    bomiljo::spatial::Transformer::new(bomiljo::spatial::ANALYSIS_CRS, bomiljo::spatial::Crs::Wgs84).apply(x, y).unwrap()
}

fn figures(row: &Value) -> [Value; 5] {
    ["needed", "in_place", "planned", "gap", "gap_after_planned"].map(|k| row[k].clone())
}

#[test]
fn need_against_supply_per_bydel_group_and_year_as_computed_by_hand() {
    let dir = tempfile::tempdir().unwrap();
    let db = survey_db(dir.path());
    let y2023 = need_json(&db, &["--year", "2023"]);
    // 2023: h1 in place, h2 and h4 planned (open in 2024 and 2025); h3 still open in Stovner.
    assert_eq!(figures(row(&y2023, Some("10"), 5)), [json!(9), json!(5), json!(5), json!(4), json!(-1)]);
    assert_eq!(figures(row(&y2023, Some("11"), 5)), [json!(4), json!(6), json!(0), json!(-2), json!(-2)]);
    // Alna reported group 4 only in 2023: group 5 is not surveyed there, not 0.
    assert_eq!(figures(row(&y2023, Some("12"), 5)), [Value::Null, json!(0), json!(0), Value::Null, Value::Null]);
    assert_eq!(figures(row(&y2023, Some("12"), 4)), [json!(3), json!(8), json!(0), json!(-5), json!(-5)]);
    // 2024 (the newest, the default): h2 now in place, h3 closed on 1 February.
    let y2024 = need_json(&db, &[]);
    assert_eq!(figures(row(&y2024, Some("10"), 5)), [json!(12), json!(9), json!(1), json!(3), json!(2)]);
    assert_eq!(figures(row(&y2024, Some("11"), 5)), [json!(1), json!(0), json!(0), json!(1), json!(1)]);
    assert_eq!(figures(row(&y2024, Some("12"), 5)), [json!(0), json!(0), json!(0), json!(0), json!(0)]);
    // The city sets the homes of the bydeler that reported against their need: Østensjø's 7 are
    // not in it (it reported nothing), or the city's gap would shrink by them.
    let city = row(&y2024, None, 5);
    assert_eq!(figures(city), [json!(13), json!(9), json!(1), json!(4), json!(3)]);
    assert_eq!(city["surveyed"], 3);
    assert_eq!(figures(row(&y2024, Some("13"), 5)), [Value::Null, json!(7), json!(0), Value::Null, Value::Null]);
    // Siting follows what is still lacking (less the planned): in 2023 Grorud (-1) before
    // Stovner (-2); the bydeler not surveyed last.
    let order = need_json(&db, &["--year", "2023", "--group", "5", "--by-gap"]);
    let codes: Vec<&str> = order.as_array().unwrap().iter().map(|r| r["bydel"].as_str().unwrap()).collect();
    assert_eq!(codes[..2], ["10", "11"]);
    assert!(order.as_array().unwrap()[2..].iter().all(|r| r["needed"].is_null()));
    // A batch of candidates ordered by what their bydel still lacks (2024: Grorud 2, Stovner 1),
    // whatever their scores (by score alone, Stovner's comes first), with the bydel and the figure.
    let ((glon, glat), (slon, slat)) = (lonlat_in(&db, "10"), lonlat_in(&db, "11"));
    let sites = dir.path().join("sites.csv");
    std::fs::write(&sites, format!("lat,lon,label\n{glat},{glon},Grorud\n{slat},{slon},Stovner\n")).unwrap();
    let rows_of = |out: &std::process::Output, columns: &[&str]| -> Vec<Vec<String>> {
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        let mut csv = csv::Reader::from_reader(out.stdout.as_slice());
        let header = csv.headers().unwrap().clone();
        let at: Vec<usize> = columns.iter().map(|c| header.iter().position(|h| h == *c).unwrap_or_else(|| panic!("no column {c}"))).collect();
        csv.records().map(|r| r.unwrap()).map(|r| at.iter().map(|&i| r[i].to_string()).collect()).collect()
    };
    let by_score = rows_of(&bomiljo(&db, &["score", "--group", "5", "--sites", sites.to_str().unwrap()]), &["label"]);
    assert_eq!(by_score, [["Stovner"], ["Grorud"]], "the order by score, which the order by need must change");
    let by_need = rows_of(&bomiljo(&db, &["score", "--group", "5", "--sites", sites.to_str().unwrap(), "--by-need"]), &["label", "bydel", "need_gap"]);
    assert_eq!(by_need, [["Grorud", "10", "2"], ["Stovner", "11", "1"]]);
    let public = bomiljo(&db, &["score", "--group", "5", "--sites", sites.to_str().unwrap(), "--by-need", "--role", "public"]);
    assert!(!public.status.success(), "the gap is staff-only");
}

#[test]
fn a_survey_year_reimported_replaces_that_year_only_and_undo_brings_it_back() {
    let dir = tempfile::tempdir().unwrap();
    let db = survey_db(dir.path());
    let corrected = dir.path().join("2024.csv");
    std::fs::write(&corrected, "år;bydel;gruppe;boliger\n2024;10;gruppe 5;14\n2024;11;gruppe 5;3\n").unwrap();
    import_ok(&db, "need", &corrected, &[]);
    let y2024 = need_json(&db, &[]);
    assert_eq!(row(&y2024, Some("10"), 5)["needed"], 14);
    // Alna is no longer in the 2024 survey: not surveyed, not a stale figure, not 0.
    assert_eq!(row(&y2024, Some("12"), 4)["needed"], Value::Null);
    assert_eq!(row(&need_json(&db, &["--year", "2023"]), Some("10"), 5)["needed"], 9, "2023 is kept");
    let out = bomiljo(&db, &["layer", "undo", "need"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let restored = need_json(&db, &[]);
    assert_eq!(row(&restored, Some("10"), 5)["needed"], 12);
    assert_eq!(row(&restored, Some("12"), 4)["needed"], 2);
}

#[test]
fn the_public_sees_the_need_analysts_the_gap_and_a_site_says_the_gap_in_its_bydel() {
    let dir = tempfile::tempdir().unwrap();
    let db = survey_db(dir.path());
    let analyst = token(&db, "analyst");
    let (lon, lat) = lonlat_in(&db, "10");
    let (slon, slat) = lonlat_in(&db, "11");
    let server = Server::start(&db, 0).expect("server starts");
    // Supply is the housing layer's: the public gets the need only.
    let public = server.get_json("/api/need?year=2024&group=5");
    assert_eq!(public["supply_shown"], false);
    let grorud = row(&public["rows"], Some("10"), 5);
    assert_eq!(figures(grorud), [json!(12), Value::Null, Value::Null, Value::Null, Value::Null]);
    assert!(public["unplaced"].is_null());
    let full = server.get_json_as("/api/need?year=2024&group=5", &analyst);
    assert_eq!(figures(row(&full["rows"], Some("10"), 5)), [json!(12), json!(9), json!(1), json!(3), json!(2)]);
    assert_eq!(server.get("/api/need?year=2019").0, 404);
    // The trend: the city's need for the group in each survey year (2023: 9 + 4 from two bydeler;
    // 2024: 13 from three), with what is still lacking for staff only.
    let trend = |answer: &Value| {
        answer["trend"].as_array().unwrap().iter().map(|b| (b["year"].clone(), b["needed"].clone(), b["gap_after_planned"].clone())).collect::<Vec<_>>()
    };
    assert_eq!(trend(&full), [(json!(2023), json!(13), json!(-3)), (json!(2024), json!(13), json!(3))]);
    assert_eq!(trend(&public), [(json!(2023), json!(13), Value::Null), (json!(2024), json!(13), Value::Null)]);
    // A site says what its bydel still lacks, for analysts; the reported need for the public.
    let (status, stovner) = server.post_json("/api/score", &json!({ "group": 5, "lon": slon, "lat": slat }), Some(&analyst));
    assert_eq!(status, 200, "{stovner}");
    assert_eq!(stovner["need"]["text_nb"], "Bydel Stovner mangler 1 bolig i gruppe 5 (kartlegging 2024; boliger åpnet eller planlagt siden er regnet med)");
    let body = json!({ "group": 5, "lon": lon, "lat": lat });
    let (_, scored) = server.post_json("/api/score", &body, Some(&analyst));
    assert_eq!(scored["need"]["text_nb"], "Bydel Grorud mangler 2 boliger i gruppe 5 (kartlegging 2024; boliger åpnet eller planlagt siden er regnet med)");
    let (_, public_score) = server.post_json("/api/score", &body, None);
    assert_eq!(public_score["need"]["text_nb"], "Bydel Grorud meldte behov for 12 boliger i gruppe 5 (kartlegging 2024)");
    assert!(public_score["need"]["gap"].is_null());
    // Ordered by what is still lacking: Grorud's site (2) before Stovner's (1), whatever their
    // scores (by score alone Stovner's comes first), with no weight swap offered.
    let sites = json!([{ "label": "Grorud", "lon": lon, "lat": lat }, { "label": "Stovner", "lon": slon, "lat": slat }]);
    let labels_of = |order: &str| -> Vec<String> {
        let (status, ranked) = server.post_json("/api/score/compare", &json!({ "group": 5, "sites": sites, "order": order }), Some(&analyst));
        assert_eq!(status, 200, "{ranked}");
        if order == "need_gap" {
            assert!(ranked.as_array().unwrap().iter().all(|s| s.get("stability").is_none()), "{ranked}");
        }
        ranked.as_array().unwrap().iter().map(|s| s["label"].as_str().unwrap().to_string()).collect()
    };
    assert_eq!(labels_of("score"), ["Stovner", "Grorud"]);
    assert_eq!(labels_of("need_gap"), ["Grorud", "Stovner"]);
    let (status, _) = server.post_json("/api/score/compare", &json!({ "group": 5, "sites": sites, "order": "need_gap" }), None);
    assert_eq!(status, 401, "ordering by the gap uses supply: analysts only");
    // The suitability surface restricted to the bydeler still lacking homes (Grorud 2, Stovner 1;
    // not Alna, 0): the cells of those two, no more, no fewer.
    let cells = |query: &str| server.get_json_as(&format!("/api/suitability?group=5&cell_m=500&{query}"), &analyst)["features"].as_array().unwrap().len();
    let gap_cells = cells("need_gap=true");
    assert!(gap_cells > 0);
    assert_eq!(gap_cells, cells("area=10") + cells("area=11"));
    assert_eq!(server.get("/api/suitability?group=5&cell_m=500&need_gap=true&area=1201").0, 401);
    // A saved scenario restores by its id; an adopted one is the plan: its units count as
    // planned in Grorud (1 from h4, + 2 × 4), an alternative's do not, and deleting it undoes it.
    let planned = || -> (Value, Value) {
        let grorud = row(&server.get_json_as("/api/need?year=2024&group=5", &analyst)["rows"], Some("10"), 5).clone();
        (grorud["planned"].clone(), grorud["gap_after_planned"].clone())
    };
    let two = json!([{ "label": "A", "lon": lon, "lat": lat, "units": 4 }, { "label": "B", "lon": lon, "lat": lat, "units": 4 }]);
    let (status, alternative) = server.post_json("/api/scenarios", &json!({ "name": "Alternativ", "group": 5, "sites": two }), Some(&analyst));
    assert_eq!(status, 200, "{alternative}");
    assert_eq!(planned(), (json!(1), json!(2)));
    let (status, plan) = server.post_json("/api/scenarios", &json!({ "name": "Planen 2025", "group": 5, "sites": two, "adopted": true }), Some(&analyst));
    assert_eq!(status, 200, "{plan}");
    assert_eq!(planned(), (json!(9), json!(-6)));
    let restored = server.get_json_as(&format!("/api/scenarios/{}", plan["id"]), &analyst);
    assert_eq!((restored["name"].clone(), restored["sites"].as_array().unwrap().len()), (json!("Planen 2025"), 2));
    assert!((restored["sites"][0]["lon"].as_f64().unwrap() - lon).abs() < 1e-5);
    assert_eq!(server.get_json_as("/api/scenarios", &analyst).as_array().unwrap().len(), 2);
    assert_eq!(server.post_json("/api/scenarios", &json!({ "name": "x", "group": 5, "sites": two }), None).0, 401);
    let agent: ureq::Agent = ureq::Agent::config_builder().http_status_as_error(false).build().into();
    let deleted =
        agent.delete(&format!("{}/api/scenarios/{}", server.base(), plan["id"])).header("Authorization", &format!("Bearer {analyst}")).call().unwrap();
    assert_eq!(deleted.status().as_u16(), 200);
    assert_eq!(planned(), (json!(1), json!(2)));
}

#[test]
fn the_annual_report_shows_each_bydels_need_and_only_staff_see_the_homes_in_place() {
    let dir = tempfile::tempdir().unwrap();
    let db = survey_db(dir.path());
    import_ok(&db, "incidents_police", &fixture("import/good_police.csv"), &[]);
    let out = bomiljo(&db, &["release", "build"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let need_section = |role: &str| -> String {
        let out_dir = dir.path().join(role);
        let out = bomiljo(&db, &["report", "annual", "--year", "2024", "--role", role, "--out", out_dir.to_str().unwrap()]);
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        let html = std::fs::read_to_string(out_dir.join("annual-2024/bydel-10.html")).unwrap();
        let start = html.find("<h2>Boligbehov</h2>").expect("a need section");
        html[start..start + html[start..].find("</table>").unwrap()].to_string()
    };
    let staff = need_section("analyst");
    assert!(staff.contains("boligbehovskartlegging 2024"), "{staff}");
    assert!(staff.contains("<tr><td>5</td><td>12</td><td>9</td><td>1</td><td>3</td><td>2</td></tr>"), "{staff}");
    assert!(staff.contains("<tr><td>4</td><td>ikke kartlagt</td>"), "{staff}");
    let public = need_section("public");
    assert!(public.contains("<tr><td>5</td><td>12</td></tr>"), "{public}");
    assert!(!public.contains("I drift"), "{public}");
}

/// Housing never shapes a public output: every public answer about need (each year and group, a
/// site's sentence, the annual report's section) is byte for byte the same with the housing layer
/// and an adopted scenario as without any housing at all, so no difference of years, groups or
/// sites can recover a site or its units from them.
#[test]
fn the_public_need_is_the_same_with_and_without_the_housing_sites() {
    let public_answers = |db: &Path, adopt: bool| -> Vec<String> {
        import_ok(db, "incidents_police", &fixture("import/good_police.csv"), &[]);
        let analyst = token(db, "analyst");
        let (lon, lat) = lonlat_in(db, "10");
        let server = Server::start(db, 0).expect("server starts");
        if adopt {
            let plan = json!({ "name": "Planen", "group": 5, "sites": [{ "lon": lon, "lat": lat, "units": 6 }], "adopted": true });
            assert_eq!(server.post_json("/api/scenarios", &plan, Some(&analyst)).0, 200);
        }
        let mut answers = Vec::new();
        for year in [2023, 2024] {
            answers.push(server.get(&format!("/api/need?year={year}")).1);
            for group in 1..=8 {
                answers.push(server.get(&format!("/api/need?year={year}&group={group}")).1);
            }
        }
        for group in [4, 5, 6] {
            let (status, scored) = server.post_json("/api/score", &json!({ "group": group, "lon": lon, "lat": lat }), None);
            assert_eq!(status, 200, "{scored}");
            answers.push(scored["need"].to_string());
        }
        let (status, report) = server.get("/api/reports/annual/2024/bydel-10.html");
        assert_eq!(status, 200, "{report}");
        answers.push(report[report.find("<h2>Boligbehov").unwrap()..].to_string());
        answers
    };
    let with = tempfile::tempdir().unwrap();
    let without = tempfile::tempdir().unwrap();
    let (with_db, without_db) = (survey_db(with.path()), survey_only_db(without.path()));
    let (with_housing, without_housing) = (public_answers(&with_db, true), public_answers(&without_db, false));
    assert!(with_housing.iter().any(|a| a.contains("\"needed\":12")), "the public answers hold the need: {with_housing:?}");
    for (a, b) in with_housing.iter().zip(&without_housing) {
        assert_eq!(a, b, "a public answer moved with the housing layer");
    }
}
