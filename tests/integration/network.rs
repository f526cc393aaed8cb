//! The street network: OpenStreetMap ways in, routes as their tags say (one-way streets, steps,
//! motorways and motorroads), and siting figures along the streets where the network covers the
//! way, checked against distances worked out by hand, with the straight line where it does not.

use std::path::{Path, PathBuf};

use crate::common::{Server, bomiljo, fixture, import_ok, query, rectangles, two_squares_db};
use serde_json::{Value, json};

fn run_json(db: &Path, args: &[&str]) -> Result<Value, String> {
    let out = bomiljo(db, args);
    if !out.status.success() {
        return Err(String::from_utf8_lossy(&out.stderr).into_owned());
    }
    Ok(serde_json::from_slice(&out.stdout).unwrap())
}

/// The fixture's nodes (tests/fixtures/formats/make_fixtures.py), projected to EPSG:25832.
fn node(id: u32) -> (f64, f64) {
    let (lat, lon) = match id {
        4001 => (59.9150, 10.7600),
        4002 => (59.9150, 10.7620),
        4003 => (59.9150, 10.7640),
        4004 => (59.9160, 10.7600),
        4005 => (59.9160, 10.7620),
        4006 => (59.9160, 10.7640),
        4010 => (59.9155, 10.7597),
        _ => panic!("node {id} is not in the fixture"),
    };
    bomiljo::spatial::Transformer::new(bomiljo::spatial::Crs::Wgs84, bomiljo::spatial::ANALYSIS_CRS).apply(lon, lat).unwrap()
}

fn metres(path: &[u32]) -> f64 {
    path.windows(2).map(|w| ((node(w[1]).0 - node(w[0]).0).powi(2) + (node(w[1]).1 - node(w[0]).1).powi(2)).sqrt()).sum()
}

fn at(id: u32) -> String {
    let (lat, lon) = match id {
        4001 => (59.9150, 10.7600),
        4003 => (59.9150, 10.7640),
        4004 => (59.9160, 10.7600),
        4006 => (59.9160, 10.7640),
        _ => panic!("no position for {id}"),
    };
    format!("{lat},{lon}")
}

fn streets_db(dir: &Path) -> PathBuf {
    let db = dir.join("t.duckdb");
    let areas = rectangles(dir, "big.geojson", &[(r#"{"DELBYDEL": "0101", "DELBYDELSN": "Alt"}"#, [595000, 6641000, 601000, 6647000])]);
    import_ok(&db, "delbydeler", &areas, &[]);
    import_ok(&db, "roads", &fixture("formats/streets.osm.pbf"), &[]);
    db
}

#[test]
fn osm_ways_route_as_their_tags_say() {
    let dir = tempfile::tempdir().unwrap();
    let db = streets_db(dir.path());
    // Seven ways have a highway tag (the building has none); their routing tags are kept.
    assert_eq!(query::<i64>(&db, "SELECT count(*) FROM features WHERE layer = 'roads'"), 7);
    assert_eq!(query::<String>(&db, "SELECT tags FROM features WHERE id = 'way/5001'"), r#"{"maxspeed":"30","oneway":"yes"}"#);
    // The private road is nobody's; the others meet at shared nodes: 7 nodes, 8 edges (the two
    // streets are cut where the steps meet them; the footway's bend is no junction).
    let out = bomiljo(&db, &["network", "summary"]);
    let summary = String::from_utf8_lossy(&out.stdout);
    assert!(summary.contains("nodes 7, edges 8"), "{summary}");

    let trip = |from: u32, to: u32, mode: &str| run_json(&db, &["network", "route", "--from", &at(from), "--to", &at(to), "--mode", mode]);
    // On foot from the motorway's end to the street above: not along the motorway, but back
    // along Fiktivgata, up the steps and along Prøvegata.
    let walk = trip(4003, 4006, "walk").unwrap();
    let by_hand = metres(&[4003, 4002, 4005, 4006]);
    assert!((walk["cost"].as_f64().unwrap() - by_hand).abs() < 0.01, "{walk} vs {by_hand}");
    // The footway's bend counts: 4001 -> 4010 -> 4004.
    let footway = trip(4001, 4004, "walk").unwrap();
    assert!((footway["cost"].as_f64().unwrap() - metres(&[4001, 4010, 4004])).abs() < 0.01, "{footway}");
    // By car along the one-way street (30 km/h x 0.7) and on along the motorway (80 km/h x 0.7).
    let drive = trip(4001, 4006, "drive").unwrap();
    let seconds = metres(&[4001, 4002, 4003]) / (30.0 * 0.7 / 3.6) + metres(&[4003, 4006]) / (80.0 * 0.7 / 3.6);
    assert!((drive["cost"].as_f64().unwrap() - seconds).abs() < 0.01, "{drive} vs {seconds}");
    assert!((drive["minutes"].as_f64().unwrap() - (seconds / 60.0 + 1.0)).abs() < 1e-6, "{drive}");
    // Against the one-way street, and back up the motorway, there is no way by car.
    for (from, to) in [(4003, 4001), (4006, 4003)] {
        let err = trip(from, to, "drive").unwrap_err();
        assert!(err.contains("does not connect the two points"), "{err}");
    }
}

/// The siting world: the site at (597500, 6642500) west of a river (x 597600-597700) crossed
/// only by a bridge at y = 6643200; streets along both banks; a stop, a staff base across the
/// river; a grocery and a pharmacy far from every street.
fn river_db(dir: &Path) -> PathBuf {
    let db = river_streets_db(dir);
    let housing = dir.join("housing.csv");
    std::fs::write(&housing, "id,units,group,has_staff_base,opened,x,y\nh1,8,4,true,2020-01-01,597700,6642500\n").unwrap();
    import_ok(&db, "housing", &housing, &[]);
    db
}

/// The river world without housing.
fn river_streets_db(dir: &Path) -> PathBuf {
    let db = two_squares_db(dir);
    let write = |name: &str, text: String| {
        let path = dir.join(name);
        std::fs::write(&path, text).unwrap();
        path
    };
    let line = |id: &str, name: &str, coords: &str| {
        format!(
            r#"{{"type": "Feature", "properties": {{"@id": "{id}", "name": "{name}", "highway": "residential"}}, "geometry": {{"type": "LineString", "coordinates": {coords}}}}}"#
        )
    };
    let streets = [
        line("w1", "Vestre elvegate", "[[597550, 6642000], [597550, 6643200]]"),
        line("w2", "Østre elvegate", "[[597750, 6642000], [597750, 6643200]]"),
        line("w3", "Brua", "[[597550, 6643200], [597750, 6643200]]"),
    ];
    let roads = write(
        "roads.geojson",
        format!(r#"{{"type": "FeatureCollection", "crs": {{"type": "name", "properties": {{"name": "EPSG:25832"}}}}, "features": [{}]}}"#, streets.join(",")),
    );
    import_ok(&db, "roads", &roads, &[]);
    for (layer, x, y) in [("transit_stops", 597_800.0, 6_642_900.0), ("grocery", 597_500.0, 6_643_500.0), ("pharmacies", 596_700.0, 6_642_500.0)] {
        import_ok(&db, layer, &write(&format!("{layer}.csv"), format!("id,name,x,y\n{layer}-1,{layer},{x},{y}\n")), &[]);
    }
    db
}

fn factor<'a>(e: &'a Value, id: &str) -> &'a Value {
    e["factors"].as_array().unwrap().iter().find(|f| f["id"] == id).unwrap_or_else(|| panic!("no factor {id} in {e}"))
}

#[test]
fn a_site_is_measured_along_the_streets_where_they_reach_and_in_a_straight_line_where_not() {
    let dir = tempfile::tempdir().unwrap();
    let db = river_db(dir.path());
    // 59.908458 N, 10.743331 E is (597500, 6642500).
    let e = run_json(&db, &["score", "--group", "5", "--at", "59.908458,10.743331", "--json"]).unwrap();
    // The stop is 500 m away in a straight line; on foot: 50 m to the street, 700 m north, 200 m
    // over the bridge, 300 m south and 50 m to the stop.
    let stop = factor(&e, "transit_stops");
    assert!((stop["value"].as_f64().unwrap() - 1300.0).abs() < 0.5, "{stop}");
    assert_eq!(stop["route"]["basis"], "walk");
    assert!((stop["route"]["straight_m"].as_f64().unwrap() - 500.0).abs() < 0.5, "{stop}");
    assert!(stop["text"].as_str().unwrap().contains("ligger 1300 m unna til fots (500 m i luftlinje)"), "{stop}");
    assert!(stop["text_en"].as_str().unwrap().contains("is 1300 m away on foot (500 m in a straight line)"), "{stop}");
    // The grocery lies 300 m from the nearest street: straight line, and the sentence says why.
    let grocery = factor(&e, "grocery");
    assert!((grocery["value"].as_f64().unwrap() - 1000.0).abs() < 0.5, "{grocery}");
    assert_eq!(grocery["route"]["basis"], "straight_fallback");
    assert!(grocery["text"].as_str().unwrap().contains("1000 m unna i luftlinje (gatenettet dekker ikke veien dit)"), "{grocery}");
    // Commercial land is a polygon layer: always a straight line (none imported here: not measured).
    assert!(factor(&e, "commercial_neighbour")["route"].is_null());
}

#[test]
fn the_staff_base_is_minutes_by_car_over_the_bridge_and_the_isochrone_stays_on_its_bank() {
    let dir = tempfile::tempdir().unwrap();
    let db = river_db(dir.path());
    let token = crate::common::token(&db, "analyst");
    let server = Server::start(&db, 0).expect("server starts");
    let body = json!({ "group": 4, "lon": 10.743331, "lat": 59.908458, "staff_base_on_site": false });
    let (status, e) = server.post_json("/api/score", &body, Some(&token));
    assert_eq!(status, 200, "{e}");
    // From the base 50 m east of Østre elvegate: 50 m walked to the car, 700 + 200 + 700 m at
    // 30 km/h x 0.7, 50 m walked to the door (4.8 km/h), and a minute to start and park.
    let minutes = (100.0 / (4.8 / 3.6) + 1600.0 / (30.0 * 0.7 / 3.6)) / 60.0 + 1.0;
    let base = factor(&e, "staff_base_response");
    assert!((base["value"].as_f64().unwrap() - minutes).abs() < 0.01, "{base} vs {minutes}");
    assert_eq!(base["route"]["basis"], "drive");
    assert!(base["text"].as_str().unwrap().contains("minutter med bil langs gatene (200 m i luftlinje)"), "{base}");
    // The public never sees the base (internal data).
    let (_, public) = server.post_json("/api/score", &body, None);
    assert!(factor(&public, "staff_base_response")["route"].is_null());

    // Two minutes on foot (160 m at 4.8 km/h) from the site: 50 m to the street, 50 m across the
    // band drawn around the streets, so 60 m north and south along it; the far bank is not reached.
    let area = server.get_json("/api/isochrone?lat=59.908458&lon=10.743331&minutes=2&mode=walk");
    assert!((area["properties"]["reached_street_km"].as_f64().unwrap() - 0.12).abs() < 0.005, "{}", area["properties"]);
    let polygon: geo::MultiPolygon<f64> = serde_json::from_value::<geojson::Geometry>(area["geometry"].clone()).unwrap().try_into().unwrap();
    let to_wgs84 = bomiljo::spatial::Transformer::new(bomiljo::spatial::ANALYSIS_CRS, bomiljo::spatial::Crs::Wgs84);
    let inside = |x: f64, y: f64| geo::Contains::contains(&polygon, &geo::Point::from(to_wgs84.apply(x, y).unwrap()));
    assert!(inside(597_550.0, 6_642_580.0) && inside(597_550.0, 6_642_420.0), "along the street it is reached");
    assert!(!inside(597_750.0, 6_642_500.0), "the far bank is 1.5 km away on foot");
    assert!(!inside(597_550.0, 6_642_660.0), "160 m north along the street is beyond 2 minutes");
    let (status, off) = server.get("/api/isochrone?lat=59.9050&lon=10.7300&minutes=5&mode=walk");
    assert_eq!(status, 400, "{off}");
    assert!(off.contains("does not cover it"), "{off}");
}

#[test]
fn the_neighbour_sheet_gives_distances_on_foot_and_draws_the_drive_area_where_the_rules_ask_for_a_staff_base() {
    let dir = tempfile::tempdir().unwrap();
    let db = river_db(dir.path());
    let sheet = |group: &str| {
        let pdf = dir.path().join(format!("nabo-{group}.pdf"));
        let out = bomiljo(&db, &["report", "dialogue", "--at", "59.908458,10.743331", "--radius", "300", "--group", group, "--out", pdf.to_str().unwrap()]);
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        let text = String::from_utf8_lossy(&std::process::Command::new("pdftotext").arg(&pdf).arg("-").output().unwrap().stdout).replace('\u{a0}', " ");
        // The drive area's outline (40, 90, 170) on the rendered first page.
        let prefix = dir.path().join(format!("page-{group}"));
        assert!(std::process::Command::new("pdftoppm").args(["-r", "60", "-png", "-f", "1", "-l", "1"]).arg(&pdf).arg(&prefix).status().unwrap().success());
        let png = std::fs::read(dir.path().join(format!("page-{group}-1.png"))).unwrap();
        let mut reader = png::Decoder::new(std::io::Cursor::new(png)).read_info().unwrap();
        let mut buf = vec![0; reader.output_buffer_size().unwrap()];
        let info = reader.next_frame(&mut buf).unwrap();
        let channels = buf.len() / (info.width * info.height) as usize;
        let blue = buf.chunks(channels).filter(|p| p[0] < 90 && (70..130).contains(&p[1]) && p[2] > 150).count();
        (text.split_whitespace().collect::<Vec<_>>().join(" "), blue)
    };
    // Group 4 (clustered homes with a staff base): the rules measure the base's minutes by car.
    let (text, blue) = sheet("4");
    assert!(text.contains("Nærmeste holdeplass: 500 m i luftlinje, 1 300 m til fots langs gatene"), "{text}");
    assert!(text.contains("Det blå feltet viser hvor en personalbase kan ligge og nå boligen på 5 minutter med bil langs gatene"), "{text}");
    assert!(blue > 20, "the drive area's outline is drawn ({blue} px)");
    // Group 1 (ordinary dwellings) has no staff base: no area, no word of one.
    let (text, blue) = sheet("1");
    assert!(!text.contains("personalbase"), "{text}");
    assert!(blue < 5, "no drive area on an ordinary dwelling's sheet ({blue} px)");
    // The answer that points to «Kontakt» finds lines to write on while no contact is filled in.
    assert!(text.contains("Kontaktperson i bydelen: ____") && text.contains("Nabomøte (tid og sted): ____"), "{text}");
    assert!(text.contains("en sirkel med radius 300 m"), "{text}");
}

#[test]
fn the_suitability_map_says_where_walking_distances_are_along_the_streets() {
    let dir = tempfile::tempdir().unwrap();
    let db = river_db(dir.path());
    // A grocery and a pharmacy on the west bank's street, so every walking rule can be walked.
    for (layer, x, y) in [("grocery", 597_560.0, 6_642_300.0), ("pharmacies", 597_540.0, 6_642_800.0)] {
        let file = dir.path().join(format!("{layer}-near.csv"));
        std::fs::write(&file, format!("id,name,x,y\n{layer}-2,{layer},{x},{y}\n")).unwrap();
        import_ok(&db, layer, &file, &[]);
    }
    let server = Server::start(&db, 0).expect("server starts");
    let grid = server.get_json("/api/suitability?group=5&cell_m=100&area=0101");
    let to_utm = bomiljo::spatial::Transformer::new(bomiljo::spatial::Crs::Wgs84, bomiljo::spatial::ANALYSIS_CRS);
    let (mut near, mut far) = (Vec::new(), Vec::new());
    for cell in grid["features"].as_array().unwrap() {
        let ring = cell["geometry"]["coordinates"][0].as_array().unwrap();
        let (lon, lat) = (
            ring.iter().map(|p| p[0].as_f64().unwrap()).sum::<f64>() / ring.len() as f64,
            ring.iter().map(|p| p[1].as_f64().unwrap()).sum::<f64>() / ring.len() as f64,
        );
        let (x, y) = to_utm.apply(lon, lat).unwrap();
        // Within the snap distance of a street (less a cell's half-diagonal), or well beyond it.
        let to_street = [(x - 597_550.0).abs(), (x - 597_750.0).abs()].into_iter().fold(f64::MAX, f64::min).max(y - 6_643_200.0);
        let along = cell["properties"]["along_streets"].as_bool().unwrap();
        if to_street < 80.0 {
            near.push(along);
        } else if to_street > 220.0 {
            far.push(along);
        }
    }
    assert!(near.len() > 10 && near.iter().all(|a| *a), "near the streets: {near:?}");
    assert!(far.len() > 10 && far.iter().all(|a| !*a), "far from them: {far:?}");
}

/// The attacker's view of everything public the street network shapes, for one database: public
/// scores of every group (a staff base planned elsewhere too), isochrones of every mode, direction
/// and a range of minutes, the suitability grids of the groups with a staff-base rule and without,
/// and the neighbour sheet's text.
fn public_street_outputs(db: &Path, dir: &Path) -> Vec<String> {
    let server = Server::start(db, 0).expect("server starts");
    let mut seen = Vec::new();
    for group in 1..=8 {
        for base in [json!(null), json!(false)] {
            let (status, e) = server.post_json("/api/score", &json!({ "group": group, "lon": 10.743331, "lat": 59.908458, "staff_base_on_site": base }), None);
            assert_eq!(status, 200, "{e}");
            seen.push(e.to_string());
        }
    }
    for (mode, direction) in [("drive", "to"), ("drive", "from"), ("walk", "from")] {
        for minutes in [2, 3, 5, 8, 13] {
            seen.push(server.get(&format!("/api/isochrone?lat=59.908458&lon=10.743331&minutes={minutes}&mode={mode}&direction={direction}")).1);
        }
    }
    for group in [4, 5, 7] {
        for cell in [100, 250] {
            seen.push(server.get(&format!("/api/suitability?group={group}&cell_m={cell}&area=0101")).1);
        }
    }
    assert!(server.stop(), "the server stops cleanly");
    let pdf = dir.join("public.pdf");
    let out = bomiljo(db, &["report", "dialogue", "--at", "59.908458,10.743331", "--radius", "300", "--group", "4", "--out", pdf.to_str().unwrap()]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    seen.push(String::from_utf8_lossy(&std::process::Command::new("pdftotext").arg(&pdf).arg("-").output().unwrap().stdout).into_owned());
    seen
}

/// Staff bases are housing sites: the drive to the nearest one is internal. An attacker who
/// varies the group, the planned base, the minutes, the direction and the cell size of everything
/// public along the streets must learn nothing of where they are: every answer is the same with
/// and without housing in the database (and the analyst's answer does change, so the comparison
/// is not vacuous).
#[test]
fn housing_never_shapes_a_public_answer_along_the_streets() {
    let dir = tempfile::tempdir().unwrap();
    let db = river_streets_db(dir.path());
    let without = public_street_outputs(&db, dir.path());
    let analyst_without = run_json(&db, &["score", "--group", "4", "--at", "59.908458,10.743331", "--json"]).unwrap();
    let housing = dir.path().join("bases.csv");
    let rows = [
        "h1,8,4,true,2020-01-01,597700,6642500",
        "h2,6,5,true,2021-01-01,597560,6642620",
        "h3,4,7,true,2022-01-01,597760,6643150",
        "h4,2,3,false,2019-01-01,597540,6642450",
    ];
    std::fs::write(&housing, format!("id,units,group,has_staff_base,opened,x,y\n{}\n", rows.join("\n"))).unwrap();
    import_ok(&db, "housing", &housing, &[]);
    let with = public_street_outputs(&db, dir.path());
    for (i, (a, b)) in without.iter().zip(&with).enumerate() {
        assert_eq!(a, b, "public answer {i} changed when staff bases were imported");
    }
    let analyst_with = run_json(&db, &["score", "--group", "4", "--at", "59.908458,10.743331", "--json"]).unwrap();
    assert_ne!(factor(&analyst_without, "concentration")["value"], factor(&analyst_with, "concentration")["value"]);
}
