//! Siting on hand-built geometry whose distances and counts are known exactly, checked against
//! the rule file's own curves and weights, and on Oslo's real schools.
//!
//! The site is the centre of square 0101, (597500, 6642500) in EPSG:25832:
//! - transit stop 500 m away (300 east, 400 north); grocery 1,000 m north; pharmacy 800 m west;
//! - school 100 m north; kindergarten 200 m away (120 east, 160 north);
//! - one 250 m population cell of 1,000 residents centred on the site;
//! - housing: 10 units of group 5 with a base 200 m east; 12 units of group 3 900 m east;
//! - commercial land 400 m east (a square from x = 597900); Marka 2,000 m east (from x = 599500).

use crate::common;

use std::path::{Path, PathBuf};

use crate::common::{Server, bomiljo, import_ok, oslo, two_squares_db};
use serde_json::{Value, json};

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path
}

fn square(x0: f64, y0: f64, x1: f64, y1: f64) -> String {
    format!("[[[{x0}, {y0}], [{x1}, {y0}], [{x1}, {y1}], [{x0}, {y1}], [{x0}, {y0}]]]")
}

fn polygons(name: &str, ring: &str) -> String {
    format!(
        r#"{{"type": "FeatureCollection", "crs": {{"type": "name", "properties": {{"name": "EPSG:25832"}}}},
           "features": [{{"type": "Feature", "properties": {{"id": "{name}", "bydel": "{name}"}}, "geometry": {{"type": "Polygon", "coordinates": {ring}}}}}]}}"#
    )
}

fn siting_db(dir: &Path) -> PathBuf {
    let db = two_squares_db(dir);
    let point = |layer: &str, x: f64, y: f64| {
        let file = write(dir, &format!("{layer}.csv"), &format!("id,name,x,y\n{layer}-1,{layer},{x},{y}\n"));
        import_ok(&db, layer, &file, &[]);
    };
    let out = import_ok(&db, "transit_stops", &timetable_zip(dir, 597_800.0, 6_642_900.0), &[]);
    assert!(out.contains("departures on Tuesday 2026-12-01 (34 trips)"), "{out}");
    point("grocery", 597_500.0, 6_643_500.0);
    point("pharmacies", 596_700.0, 6_642_500.0);
    point("schools", 597_500.0, 6_642_600.0);
    point("kindergartens", 597_620.0, 6_642_660.0);
    let population = write(
        dir,
        "population.geojson",
        &polygons("c1", &square(597_375.0, 6_642_375.0, 597_625.0, 6_642_625.0)).replace(r#""bydel": "c1""#, r#""pop_tot": 1000"#),
    );
    import_ok(&db, "population", &population, &["--field", "id=id"]);
    let housing = write(
        dir,
        "housing.csv",
        "id,units,group,has_staff_base,opened,x,y\nh1,10,5,true,2020-01-01,597700,6642500\nh2,12,3,false,2019-05-01,598400,6642500\n",
    );
    import_ok(&db, "housing", &housing, &[]);
    import_ok(&db, "commercial", &write(dir, "commercial.geojson", &polygons("k1", &square(597_900.0, 6_642_400.0, 598_000.0, 6_642_600.0))), &[]);
    import_ok(&db, "marka", &write(dir, "marka.geojson", &polygons("Marka", &square(599_500.0, 6_642_000.0, 600_000.0, 6_643_000.0))), &[]);
    db
}

/// A GTFS feed of one stop at (`x`, `y`) (EPSG:25832) with its timetable, counted by hand:
/// weekday service (Monday to Friday, 30 Nov - 11 Dec 2026) with 30 departures between 07:00 and
/// 16:40 and 3 in the evening, one more trip that only sets down (not a departure), Monday
/// 30 November removed (`calendar_dates`), and 5 Saturday trips. The reference day is Tuesday
/// 1 December (34 trips run): 30 / 12 = 2.5 departures an hour in the daytime, 3 / 4 = 0.75 in
/// the evening.
fn timetable_zip(dir: &Path, x: f64, y: f64) -> PathBuf {
    use std::io::Write;
    let (lon, lat) = bomiljo::spatial::Transformer::new(bomiljo::spatial::ANALYSIS_CRS, bomiljo::spatial::Crs::Wgs84).apply(x, y).unwrap();
    let mut trips = String::from("route_id,service_id,trip_id\n");
    let mut stop_times = String::from("trip_id,arrival_time,departure_time,stop_id,stop_sequence,pickup_type\n");
    let mut trip = |service: &str, id: String, minutes: u32, pickup: u8| {
        trips.push_str(&format!("r1,{service},{id}\n"));
        stop_times.push_str(&format!("{id},{:02}:{:02}:00,{:02}:{:02}:00,s1,1,{pickup}\n", minutes / 60, minutes % 60, minutes / 60, minutes % 60));
    };
    for i in 0..30 {
        trip("hverdag", format!("d{i}"), 7 * 60 + 20 * i, 0);
    }
    for (i, hour) in [19, 20, 21].into_iter().enumerate() {
        trip("hverdag", format!("e{i}"), hour * 60 + 30, 0);
    }
    trip("hverdag", "setdown".into(), 8 * 60 + 10, 1);
    for i in 0..5 {
        trip("lordag", format!("l{i}"), 9 * 60 + 60 * i, 0);
    }
    let files = [
        ("stops.txt", format!("stop_id,stop_name,stop_lat,stop_lon,location_type\ns1,Torget,{lat},{lon},0\n")),
        ("trips.txt", trips),
        ("stop_times.txt", stop_times),
        ("calendar.txt", "service_id,monday,tuesday,wednesday,thursday,friday,saturday,sunday,start_date,end_date\nhverdag,1,1,1,1,1,0,0,20261130,20261211\nlordag,0,0,0,0,0,1,0,20261130,20261211\n".into()),
        ("calendar_dates.txt", "service_id,date,exception_type\nhverdag,20261130,2\n".into()),
    ];
    let path = dir.join("ruter.zip");
    let mut zip = zip::ZipWriter::new(std::fs::File::create(&path).unwrap());
    for (name, text) in files {
        zip.start_file(name, zip::write::SimpleFileOptions::default()).unwrap();
        zip.write_all(text.as_bytes()).unwrap();
    }
    zip.finish().unwrap();
    path
}

/// The shipped rule file, read independently of the crate's loader.
fn rules() -> toml::Value {
    let text = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("rules/matrise-2026.toml")).unwrap();
    toml::from_str(&text).unwrap()
}

fn score_json(db: &Path, group: u8, extra: &[&str]) -> Value {
    score_json_at(db, group, "59.908458,10.743331", extra)
}

fn score_json_at(db: &Path, group: u8, at: &str, extra: &[&str]) -> Value {
    let group = group.to_string();
    let mut args = vec!["score", "--group", &group, "--at", at, "--json"];
    args.extend_from_slice(extra);
    let out = bomiljo(db, &args);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).unwrap()
}

fn factor<'a>(e: &'a Value, id: &str) -> &'a Value {
    e["factors"].as_array().unwrap().iter().find(|f| f["id"] == id).unwrap_or_else(|| panic!("no factor {id} in {e}"))
}

#[test]
fn measured_values_are_the_hand_built_distances_and_counts() {
    let dir = tempfile::tempdir().unwrap();
    let db = siting_db(dir.path());
    // 59.908458 N, 10.743331 E is (597500, 6642500) by cs2cs; allow the 5-decimal rounding.
    let e = score_json(&db, 5, &[]);
    let close = |id: &str, want: f64| {
        let got = factor(&e, id)["value"].as_f64().unwrap();
        assert!((got - want).abs() < 0.5, "{id}: {got} vs {want}");
    };
    close("transit_stops", 500.0);
    close("grocery", 1000.0);
    close("pharmacies", 800.0);
    close("concentration", 10.0);
    close("commercial_neighbour", 400.0);
    // The 1,000 residents are spread over 25 sub-cells of 50 m (40 each); 12 of their centres lie
    // within 100 m of the site (the 4 x 4 block around it, less its corners at 106 m).
    close("shielding_population", 480.0);
    // Transit by service: the stop 500 m away (within 600 m) has 2.5 departures an hour.
    assert_eq!(factor(&e, "transit_departures")["value"].as_f64(), Some(2.5));
    assert!(
        factor(&e, "transit_departures")["text"].as_str().unwrap().contains("går det 2,5 avganger i timen på dagtid"),
        "{}",
        factor(&e, "transit_departures")
    );
    let g7 = score_json(&db, 7, &[]);
    close_in(&g7, "edge_zone", 2000.0);
    let g4 = score_json(&db, 4, &["--units", "8"]);
    assert_eq!(factor(&g4, "staff_base_response")["value"].as_f64(), Some(0.0), "group 4 plans its base on site");
}

fn close_in(e: &Value, id: &str, want: f64) {
    let got = factor(e, id)["value"].as_f64().unwrap();
    assert!((got - want).abs() < 0.5, "{id}: {got} vs {want}");
}

#[test]
fn the_score_is_the_weighted_mean_of_the_rule_files_curves() {
    let dir = tempfile::tempdir().unwrap();
    let db = siting_db(dir.path());
    let e = score_json(&db, 5, &[]);
    let rules = rules();
    let group5 = rules["groups"].as_array().unwrap().iter().find(|g| g["group"].as_integer() == Some(5)).unwrap();
    let (mut sum, mut weights) = (0.0, 0.0);
    for f in group5["factors"].as_array().unwrap() {
        let id = f["id"].as_str().unwrap();
        let value = factor(&e, id)["value"].as_f64().unwrap();
        let num = |k: &str| f[k].as_float().or_else(|| f[k].as_integer().map(|i| i as f64)).unwrap();
        let (full, zero, w) = (num("full_at"), num("zero_at"), num("weight"));
        let s = ((zero - value) / (zero - full)).clamp(0.0, 1.0);
        assert!((factor(&e, id)["subscore"].as_f64().unwrap() - s).abs() < 1e-9, "{id}");
        sum += s * w;
        weights += w;
    }
    let expected = (100.0 * sum / weights * 10.0).round() / 10.0;
    assert_eq!(e["score"].as_f64(), Some(expected));
    assert_eq!(e["passed"], true);
    for f in e["factors"].as_array().unwrap() {
        assert!(f["text"].as_str().unwrap().len() > 20 && !f["text"].as_str().unwrap().contains('{'), "{f}");
    }
}

#[test]
fn a_site_100_m_from_a_school_fails_for_groups_6_and_7_and_says_so_first() {
    let dir = tempfile::tempdir().unwrap();
    let db = siting_db(dir.path());
    for group in [6, 7] {
        let e = score_json(&db, group, &[]);
        assert_eq!((e["passed"].as_bool(), e["score"].as_f64()), (Some(false), Some(0.0)));
        let school = e["constraints"].as_array().unwrap().iter().find(|c| c["id"] == "away_from_schools").unwrap();
        assert_eq!(school["passed"], false);
        assert!((school["value"].as_f64().unwrap() - 100.0).abs() < 0.5);
        assert!(e["summary"].as_str().unwrap().starts_with("Stedet oppfyller ikke kravene"), "{}", e["summary"]);
    }
    // 24 units breaks the 20-per-site rule for every group.
    let e = score_json(&db, 5, &["--units", "24"]);
    assert_eq!(e["passed"], false);
}

#[test]
fn the_api_scores_compares_and_hides_internal_factors_from_the_public() {
    let dir = tempfile::tempdir().unwrap();
    let db = siting_db(dir.path());
    let token = common::token(&db, "analyst");
    let server = Server::start(&db, 0).expect("server starts");
    let body = json!({ "group": 5, "lon": 10.743331, "lat": 59.908458, "units": 8 });
    let (status, analyst) = server.post_json("/api/score", &body, Some(&token));
    assert_eq!(status, 200, "{analyst}");
    assert!((factor(&analyst, "concentration")["value"].as_f64().unwrap() - 10.0).abs() < 1e-9);
    for key in ["score", "passed", "constraints", "factors"] {
        assert!(!analyst[key].is_null(), "{key}");
    }
    for key in ["id", "value", "threshold", "subscore", "weight", "text"] {
        assert!(analyst["factors"][0].get(key).is_some(), "factor field {key}");
    }
    let (_, public) = server.post_json("/api/score", &body, None);
    let hidden = factor(&public, "concentration");
    assert!(hidden["value"].is_null() && hidden["subscore"].is_null(), "{hidden}");
    assert!(hidden["text"].as_str().unwrap().starts_with("Skjult"));

    let (status, bad) = server.post_json("/api/score", &json!({ "group": 9, "lon": 10.74, "lat": 59.91 }), None);
    assert_eq!(status, 400, "{bad}");
    let (status, bad) = server.post_json("/api/score", &json!({ "group": 5, "lon": 5.32, "lat": 60.39 }), None);
    assert_eq!(status, 400, "{bad}");

    let sites = json!({ "group": 5, "sites": [
        { "label": "ved skolen", "lon": 10.743331, "lat": 59.908458 },
        { "label": "øst", "lon": 10.7615, "lat": 59.9085 }
    ] });
    let (status, ranked) = server.post_json("/api/score/compare", &sites, Some(&token));
    assert_eq!(status, 200, "{ranked}");
    let scores: Vec<f64> = ranked.as_array().unwrap().iter().map(|r| r["score"].as_f64().unwrap()).collect();
    assert!(scores.windows(2).all(|w| w[0] >= w[1]), "{scores:?}");

    let groups = server.get_json("/api/score/groups?lon=10.743331&lat=59.908458");
    assert_eq!(groups.as_array().unwrap().len(), 8);

    // The surface over 0101 for group 6: the cells within 150 m of the school are excluded.
    let surface = server.get_json("/api/suitability?group=6&area=0101&cell_m=50");
    let features = surface["features"].as_array().unwrap();
    assert_eq!(features.len(), 400, "a 1 km square at 50 m");
    let excluded = features.iter().filter(|f| f["properties"]["excluded"] == true).count();
    assert!((20..=60).contains(&excluded), "{excluded} cells within 150 m of the school and kindergarten");
    assert!(server.stop());
}

#[test]
fn real_oslo_schools_exclude_a_site_next_to_them_for_group_6() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("oslo.duckdb");
    import_ok(&db, "delbydeler", &oslo("delbydeler.geojson"), &[]);
    import_ok(&db, "schools", &oslo("skoler.geojson"), &["--field", "id=name"]);
    import_ok(&db, "population", &oslo("befolkning_250m_2023.geojson"), &[]);
    // Ammerud skole, and a point 0.0005° of latitude (about 56 m) north of it.
    let text = std::fs::read_to_string(oslo("skoler.geojson")).unwrap();
    let file: Value = serde_json::from_str(&text).unwrap();
    let school = file["features"].as_array().unwrap().iter().find(|f| f["properties"]["name"] == "Ammerud skole").unwrap();
    let (lon, lat) = (school["geometry"]["coordinates"][0].as_f64().unwrap(), school["geometry"]["coordinates"][1].as_f64().unwrap());
    let at = format!("{},{}", lat + 0.0005, lon);
    let out = bomiljo(&db, &["score", "--group", "6", "--at", &at, "--json"]);
    let e: Value = serde_json::from_slice(&out.stdout).unwrap();
    let c = e["constraints"].as_array().unwrap().iter().find(|c| c["id"] == "away_from_schools").unwrap();
    let d = c["value"].as_f64().unwrap();
    assert!((50.0..62.0).contains(&d) && c["passed"] == false, "{c}");
    // Real population: the 100 m circle there holds people (Ammerud is a housing estate).
    assert!(factor(&e, "shielding_population")["value"].as_f64().unwrap() > 0.0);
}

/// A site inside the configured extent box but beyond the delbydeler (Asker, Bærum) is not scored
/// as though nobody lived there: the API, the CLI and the neighbour sheet refuse it and say why;
/// so is a site in water once a water layer is imported.
#[test]
fn a_site_outside_the_delbydeler_or_in_water_is_refused_not_scored_as_empty() {
    let dir = tempfile::tempdir().unwrap();
    let db = siting_db(dir.path());
    import_ok(&db, "water", &write(dir.path(), "water.geojson", &polygons("lake", &square(598_600.0, 6_642_600.0, 598_900.0, 6_642_900.0))), &[]);
    let to_degrees = bomiljo::spatial::Transformer::new(bomiljo::spatial::ANALYSIS_CRS, bomiljo::spatial::Crs::Wgs84);
    // East of both squares, inside the municipality's box; and in the lake in square 0202.
    let (beyond_lon, beyond_lat) = to_degrees.apply(600_500.0, 6_642_500.0).unwrap();
    let (lake_lon, lake_lat) = to_degrees.apply(598_750.0, 6_642_750.0).unwrap();
    let at = |lat: f64, lon: f64| format!("{lat},{lon}");
    let out = bomiljo(&db, &["score", "--group", "5", "--at", &at(beyond_lat, beyond_lon)]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success() && err.contains("outside every delbydeler"), "{err}");
    let out = bomiljo(&db, &["score", "--group", "5", "--at", &at(lake_lat, lake_lon)]);
    assert!(!out.status.success() && String::from_utf8_lossy(&out.stderr).contains("lies in water"));

    let server = Server::start(&db, 0).expect("server starts");
    for (lon, lat, why) in [(beyond_lon, beyond_lat, "outside every delbydeler"), (lake_lon, lake_lat, "lies in water")] {
        let (status, body) = server.post_json("/api/score", &json!({ "group": 5, "lon": lon, "lat": lat }), None);
        assert_eq!(status, 400, "{body}");
        assert!(body["error"].as_str().unwrap().contains(why), "{body}");
        let (status, sheet) = server.get(&format!("/api/reports/dialogue.pdf?lon={lon}&lat={lat}"));
        assert_eq!(status, 400, "{sheet}");
        assert!(sheet.contains(why), "{sheet}");
    }
    // Inside the squares, on land, it is scored as before.
    let (status, _) = server.post_json("/api/score", &json!({ "group": 5, "lon": 10.743331, "lat": 59.908458 }), None);
    assert_eq!(status, 200);
    assert!(server.stop());
    // 40 m inside the municipality's west edge the 100 m circle reaches beyond the delbydeler,
    // where no residents were delivered: the count is unknown, not 0 (and not "shielded").
    let (edge_lon, edge_lat) = to_degrees.apply(597_040.0, 6_642_500.0).unwrap();
    let edge = score_json_at(&db, 5, &at(edge_lat, edge_lon), &[]);
    assert!(factor(&edge, "shielding_population")["value"].is_null(), "{}", factor(&edge, "shielding_population"));
    let inner = score_json(&db, 5, &[]);
    assert!(factor(&inner, "shielding_population")["value"].as_f64().is_some());
}

#[test]
fn a_batch_opens_in_excel_with_a_column_per_rule_holding_each_sites_values() {
    let dir = tempfile::tempdir().unwrap();
    let db = siting_db(dir.path());
    let sites = write(dir.path(), "kandidater.csv", "label,lat,lon\nTorget,59.908458,10.743331\nHjørnet,59.9089,10.7445\n");
    let out = dir.path().join("rangert.csv");
    let run = bomiljo(&db, &["score", "--group", "5", "--sites", sites.to_str().unwrap(), "--out", out.to_str().unwrap()]);
    assert!(run.status.success(), "{}", String::from_utf8_lossy(&run.stderr));
    let text = std::fs::read_to_string(&out).unwrap();
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    let header: Vec<String> = reader.headers().unwrap().iter().map(String::from).collect();
    // A column per rule of group 5 in the rule file (read here with toml, not the crate).
    let rules = rules();
    let group = rules["groups"].as_array().unwrap().iter().find(|g| g["group"].as_integer() == Some(5)).unwrap();
    for f in group["factors"].as_array().unwrap() {
        let id = f["id"].as_str().unwrap();
        assert!(header.iter().any(|h| h.starts_with(&format!("{id}_")) && !h.ends_with("_subscore") && !h.ends_with("_weight")), "{id} value in {header:?}");
        assert!(header.contains(&format!("{id}_subscore")) && header.contains(&format!("{id}_weight")), "{id} in {header:?}");
    }
    for c in group.get("constraints").and_then(|c| c.as_array()).into_iter().flatten() {
        assert!(header.contains(&format!("{}_passed", c["id"].as_str().unwrap())), "{header:?}");
    }
    // Each row holds what the one-site explanation says for that site.
    for row in reader.records().map(Result::unwrap) {
        let cell = |name: &str| row.get(header.iter().position(|h| h == name).unwrap()).unwrap().to_string();
        let at = if cell("label") == "Torget" { "59.908458,10.743331" } else { "59.9089,10.7445" };
        let e = score_json_at(&db, 5, at, &[]);
        assert!((cell("score").parse::<f64>().unwrap() - e["score"].as_f64().unwrap()).abs() < 0.051, "{}", cell("score"));
        for f in e["factors"].as_array().unwrap() {
            let id = f["id"].as_str().unwrap();
            let value = header.iter().find(|h| h.starts_with(&format!("{id}_")) && !h.ends_with("_subscore") && !h.ends_with("_weight")).unwrap();
            match f["value"].as_f64() {
                Some(v) => assert!((cell(value).parse::<f64>().unwrap() - v).abs() < 0.051, "{id}: {} vs {v}", cell(value)),
                None => assert_eq!(cell(value), "", "{id}: a value not measured is empty, not 0"),
            }
        }
    }
    // For Excel on a Norwegian PC: a byte-order mark, semicolons, decimal commas.
    let excel = dir.path().join("rangert-excel.csv");
    let run = bomiljo(&db, &["score", "--group", "5", "--sites", sites.to_str().unwrap(), "--out", excel.to_str().unwrap(), "--excel"]);
    assert!(run.status.success(), "{}", String::from_utf8_lossy(&run.stderr));
    let text = std::fs::read_to_string(&excel).unwrap();
    assert!(text.starts_with('\u{feff}') && text.lines().next().unwrap().contains(";score;passed;"), "{text}");
    let second = text.lines().nth(1).unwrap();
    assert!(second.split(';').nth(2).unwrap().contains(','), "the score has a decimal comma: {second}");
    // A batch with a weight tried carries it: the factor's weight column and the scores move.
    let tried = dir.path().join("rangert-hva-om.csv");
    let run = bomiljo(&db, &["score", "--group", "5", "--sites", sites.to_str().unwrap(), "--out", tried.to_str().unwrap(), "--weight", "transit_stops=0"]);
    assert!(run.status.success(), "{}", String::from_utf8_lossy(&run.stderr));
    let text = std::fs::read_to_string(&tried).unwrap();
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    let header: Vec<String> = reader.headers().unwrap().iter().map(String::from).collect();
    let weight_at = header.iter().position(|h| h == "transit_stops_weight").unwrap();
    assert!(reader.records().map(Result::unwrap).all(|r| r.get(weight_at) == Some("0.0")), "{text}");
}

#[test]
fn an_analyst_varies_a_weight_and_the_verdict_turns_where_the_api_said_it_would() {
    let dir = tempfile::tempdir().unwrap();
    let db = siting_db(dir.path());
    let token = common::token(&db, "analyst");
    let server = Server::start(&db, 0).expect("server starts");
    let site = json!({ "group": 5, "lon": 10.743331, "lat": 59.908458, "units": 8 });
    let (status, matrix) = server.post_json("/api/score", &site, Some(&token));
    assert_eq!(status, 200, "{matrix}");
    let verdict_words = |e: &Value| {
        let summary = e["summary"].as_str().unwrap().to_string();
        ["godt egnet", "middels egnet", "lite egnet"].into_iter().find(|w| summary.contains(w)).map(String::from)
    };
    // Where the verdict would turn, one weight at a time: tried 1 % either side of each point.
    let flips = matrix["sensitivity"].as_array().unwrap();
    assert!(!flips.is_empty(), "a site scored {} has a weight at which its verdict turns: {matrix}", matrix["score"]);
    let flip = &flips[0];
    let (id, now, at) = (flip["factor"].as_str().unwrap(), flip["weight_now"].as_f64().unwrap(), flip["weight_at"].as_f64().unwrap());
    let with_weight = |w: f64| {
        let mut body = site.clone();
        body["what_if"] = json!({ "weights": { id: w } });
        let (status, e) = server.post_json("/api/score", &body, Some(&token));
        assert_eq!(status, 200, "{e}");
        e
    };
    let near = with_weight(at + 0.01 * (now - at));
    let past = with_weight(at - 0.01 * (now - at));
    assert_eq!(verdict_words(&near), verdict_words(&matrix), "just short of {at} the verdict holds");
    let then = match flip["verdict_then"].as_str().unwrap() {
        "well_suited" => Some("godt egnet".to_string()),
        "moderately_suited" => Some("middels egnet".to_string()),
        "poorly_suited" => Some("lite egnet".to_string()),
        _ => None,
    };
    assert_eq!(verdict_words(&past), then, "past {at} it turns: {}", past["summary"]);
    // The explanation says what is not the matrix's.
    assert_eq!(past["changed"][0]["factor"], id);
    assert!(past["summary"].as_str().unwrap().starts_with("Hva om (ikke matrisen)"), "{}", past["summary"]);
    // The public is scored by the matrix; a weight outside the rule file's range is refused.
    let mut body = site.clone();
    body["what_if"] = json!({ "weights": { id: 1.0 } });
    assert_eq!(server.post_json("/api/score", &body, None).0, 401, "a what-if needs an analyst's token");
    body["what_if"] = json!({ "weights": { id: 50.0 } });
    let (status, refused) = server.post_json("/api/score", &body, Some(&token));
    assert!(status == 400 && refused["error"].as_str().unwrap().contains("allows 0-5"), "{refused}");
    // A ranking says how close each site is to swapping with the next.
    let sites = json!({ "group": 5, "sites": [
        { "label": "ved skolen", "lon": 10.743331, "lat": 59.908458 },
        { "label": "hjørnet", "lon": 10.7445, "lat": 59.9089 }
    ] });
    let (status, ranked) = server.post_json("/api/score/compare", &sites, Some(&token));
    assert_eq!(status, 200, "{ranked}");
    // Either the weight where they would swap, checked by moving it just past; or none, checked
    // by trying every factor's weight across the range (0-5, in steps of 0.25) in the API.
    let order_with = |id: &str, w: f64| {
        let mut body = sites.clone();
        body["what_if"] = json!({ "weights": { id: w } });
        let (status, answer) = server.post_json("/api/score/compare", &body, Some(&token));
        assert_eq!(status, 200, "{answer}");
        answer[0]["label"].as_str().unwrap().to_string()
    };
    let first = ranked[0]["label"].as_str().unwrap().to_string();
    match ranked[0].get("stability") {
        Some(swap) => {
            let (id, at, now) = (swap["factor"].as_str().unwrap(), swap["weight_at"].as_f64().unwrap(), swap["weight_now"].as_f64().unwrap());
            assert_eq!(order_with(id, at + 0.01 * (now - at)), first, "just short of {at}");
            assert_ne!(order_with(id, at - 0.01 * (now - at)), first, "past {at} the order turns");
        }
        None => {
            for f in ranked[0]["factors"].as_array().unwrap() {
                let id = f["id"].as_str().unwrap();
                for step in 0..=20 {
                    assert_eq!(order_with(id, f64::from(step) * 0.25), first, "{id} at {}: no swap was reported", f64::from(step) * 0.25);
                }
            }
        }
    }
    assert!(server.stop());
}

#[test]
fn three_planned_sites_scored_together_count_each_other_in_the_concentration_rule() {
    let dir = tempfile::tempdir().unwrap();
    let db = siting_db(dir.path());
    let token = common::token(&db, "analyst");
    let server = Server::start(&db, 0).expect("server starts");
    // A at the square's middle, B 100 m east of it, C 3 km away in the other square; 8 units each.
    let (a, b, c) = ((10.743331, 59.908458), (10.745123, 59.908458), (10.7615, 59.9085));
    let site = |label: &str, (lon, lat): (f64, f64)| json!({ "label": label, "lon": lon, "lat": lat, "units": 8 });
    let body = json!({ "group": 5, "sites": [site("A", a), site("B", b), site("C", c)] });
    let (status, together) = server.post_json("/api/score/scenario", &body, Some(&token));
    assert_eq!(status, 200, "{together}");
    let alone = |(lon, lat): (f64, f64)| {
        let (_, e) = server.post_json("/api/score", &json!({ "group": 5, "lon": lon, "lat": lat, "units": 8 }), Some(&token));
        e
    };
    // By hand: A and B lie within 500 m of each other, C of neither. Each of A and B counts the
    // other's 8 units on top of the existing housing it counts alone; C counts nothing more.
    // Concentration scores 1 at 0 units and 0 at 40: the subscore falls by 8/40 = 0.2.
    for (i, (label, at, added)) in [("A", a, 8.0), ("B", b, 8.0), ("C", c, 0.0)].into_iter().enumerate() {
        let (scenario, single) = (&together[i], alone(at));
        assert_eq!(scenario["label"], label);
        let (with, without) = (factor(scenario, "concentration"), factor(&single, "concentration"));
        assert!((with["value"].as_f64().unwrap() - without["value"].as_f64().unwrap() - added).abs() < 1e-9, "{label}: {with} vs {without}");
        let drop = without["subscore"].as_f64().unwrap() - with["subscore"].as_f64().unwrap();
        assert!((drop - added / 40.0).abs() < 1e-9, "{label}: subscore falls by {drop}");
        assert!((scenario["alone_score"].as_f64().unwrap() - single["score"].as_f64().unwrap()).abs() < 1e-9);
        let planned = scenario["planned"].as_array().unwrap();
        assert_eq!(planned.is_empty(), added == 0.0, "{label}: {planned:?}");
    }
    assert!(together[0]["score"].as_f64() < together[0]["alone_score"].as_f64(), "A scores lower with B built beside it");
    // Analysts only; a scenario has at least two sites.
    assert_eq!(server.post_json("/api/score/scenario", &body, None).0, 401);
    let one = json!({ "group": 5, "sites": [site("A", a)] });
    assert_eq!(server.post_json("/api/score/scenario", &one, Some(&token)).0, 400);
    assert!(server.stop());
}
