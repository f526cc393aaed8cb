//! The GIS-facing API: OGC API - Features, vector tiles, the OpenAPI document, and the role
//! guard on every route of the table.

use crate::common;

use crate::common::{Server, fixture, import_ok, two_squares_db};
use serde_json::Value;

fn server_with_data(dir: &std::path::Path) -> (Server, String) {
    let db = two_squares_db(dir);
    import_ok(&db, "incidents_police", &fixture("import/good_police.csv"), &[]);
    let csv = dir.join("stops.csv");
    std::fs::write(&csv, "id,name,x,y\ns1,Vest,597500,6642500\ns2,Øst,598500,6642500\ns3,Langt unna,605000,6650000\n").unwrap();
    import_ok(&db, "transit_stops", &csv, &[]);
    let token = common::token(&db, "analyst");
    (Server::start(&db, 0).expect("server starts"), token)
}

#[test]
fn collections_list_public_layers_and_internal_ones_only_for_analysts() {
    let dir = tempfile::tempdir().unwrap();
    let (server, token) = server_with_data(dir.path());
    let ids = |v: &Value| v["collections"].as_array().unwrap().iter().map(|c| c["id"].as_str().unwrap().to_string()).collect::<Vec<_>>();
    let public = ids(&server.get_json("/collections"));
    assert!(
        public.contains(&"delbydeler".to_string()) && !public.contains(&"housing".to_string()) && !public.contains(&"incidents_police".to_string()),
        "{public:?}"
    );
    let analyst = ids(&server.get_json_as("/collections", &token));
    assert!(analyst.contains(&"housing".to_string()) && analyst.contains(&"incidents_police".to_string()));
    let (status, _) = server.get("/collections/incidents_police/items");
    assert_eq!(status, 403);
    let landing = server.get_json("/?f=json");
    assert!(landing["links"].as_array().unwrap().iter().any(|l| l["rel"] == "data"));
    // Every link is absolute (QGIS follows links as written), and a doubled slash (GDAL joining
    // `http://host/` and `/collections`) reaches the same route.
    let collections = server.get_json("//collections");
    let links = |v: &Value| -> Vec<String> {
        let mut all: Vec<String> = v["links"].as_array().unwrap().iter().map(|l| l["href"].as_str().unwrap().to_string()).collect();
        for c in v["collections"].as_array().into_iter().flatten() {
            all.extend(c["links"].as_array().unwrap().iter().map(|l| l["href"].as_str().unwrap().to_string()));
        }
        all
    };
    for href in links(&landing).into_iter().chain(links(&collections)) {
        assert!(href.starts_with(&format!("{}/", server.base())), "{href}");
    }
    assert!(links(&collections).contains(&format!("{}/collections/delbydeler/items", server.base())));
    // Extents from the data: the two squares (597000-599000 E, 6642000-6643000 N in EPSG:25832),
    // not the municipality's box; incidents span their dates (good_police.csv).
    let delbydeler = server.get_json("/collections/delbydeler");
    let bbox: Vec<f64> = delbydeler["extent"]["spatial"]["bbox"][0].as_array().unwrap().iter().map(|v| v.as_f64().unwrap()).collect();
    let t = bomiljo::spatial::Transformer::new(bomiljo::spatial::ANALYSIS_CRS, bomiljo::spatial::Crs::Wgs84);
    let (sw, ne) = (t.apply(597_000.0, 6_642_000.0).unwrap(), t.apply(599_000.0, 6_643_000.0).unwrap());
    assert!((bbox[1] - sw.1).abs() < 1e-3 && (bbox[3] - ne.1).abs() < 1e-3 && bbox[0] < sw.0 + 1e-3 && bbox[2] > ne.0 - 1e-3, "{bbox:?}");
    assert!(bbox[2] - bbox[0] < 0.05, "the configured municipality box: {bbox:?}");
    let incidents = server.get_json_as("/collections/incidents_police", &token);
    assert_eq!(incidents["extent"]["temporal"]["interval"][0], serde_json::json!(["2023-11-30T00:00:00Z", "2024-07-14T23:59:59Z"]));
    assert!(server.get_json("/conformance")["conformsTo"].as_array().unwrap().len() >= 2);
    assert!(server.stop());
}

#[test]
fn items_filter_by_bbox_limit_and_datetime() {
    let dir = tempfile::tempdir().unwrap();
    let (server, token) = server_with_data(dir.path());
    let all = server.get_json("/collections/transit_stops/items");
    assert_eq!(all["numberMatched"], 3);
    let first = &all["features"][0];
    assert_eq!(first["geometry"]["type"], "Point");
    // (597500, 6642500) is 10.743331 E, 59.908458 N (cs2cs).
    let c = &first["geometry"]["coordinates"];
    assert!((c[0].as_f64().unwrap() - 10.743331).abs() < 1e-6 && (c[1].as_f64().unwrap() - 59.908458).abs() < 1e-6, "{c}");
    // A box around the two squares only (10.73-10.77 E, 59.90-59.92 N) leaves out the far stop.
    let boxed = server.get_json("/collections/transit_stops/items?bbox=10.73,59.90,10.77,59.92");
    assert_eq!(boxed["numberMatched"], 2);
    let page = server.get_json("/collections/transit_stops/items?limit=1");
    assert_eq!((page["numberReturned"].as_u64(), page["numberMatched"].as_u64()), (Some(1), Some(3)));
    assert!(page["links"].as_array().unwrap().iter().any(|l| l["rel"] == "next"));
    // good_police.csv: three incidents in 2024, one in 2023.
    let y2024 = server.get_json_as("/collections/incidents_police/items?datetime=2024-01-01/2024-12-31", &token);
    assert_eq!(y2024["numberMatched"], 3);
    let areas = server.get_json("/collections/delbydeler/items");
    assert_eq!(areas["features"][0]["geometry"]["type"], "MultiPolygon");
    let (status, body) = server.get("/collections/transit_stops/items?bbox=1,2,3");
    assert_eq!(status, 400, "{body}");
    let (status, _) = server.get("/collections/nope/items");
    assert_eq!(status, 404);
    assert!(server.stop());
}

#[test]
fn vector_tiles_carry_the_areas_and_an_incident_grid() {
    let dir = tempfile::tempdir().unwrap();
    let (server, token) = server_with_data(dir.path());
    // z14 tile 8680/4766 covers (597500, 6642500).
    let (status, bytes) = server.get_bytes("/tiles/delbydeler/14/8680/4766.mvt");
    assert_eq!(status, 200);
    let text = String::from_utf8_lossy(&bytes);
    assert!(text.contains("delbydeler") && text.contains("0101") && text.contains("Vest"), "{} bytes", bytes.len());
    let (status, empty) = server.get_bytes("/tiles/delbydeler/14/8000/4000.mvt");
    assert_eq!(status, 200);
    assert!(!String::from_utf8_lossy(&empty).contains("0101"));
    let (status, _) = server.get_bytes("/tiles/incidents/14/8680/4766.mvt");
    assert_eq!(status, 200);
    let (status, _) = server.get_bytes("/tiles/housing/14/8680/4766.mvt");
    assert_eq!(status, 403, "housing is internal: no tiles for the public");
    let _ = token;
    assert!(server.stop());
}

#[test]
fn the_openapi_document_lists_every_route_of_the_table() {
    let dir = tempfile::tempdir().unwrap();
    let (server, _) = server_with_data(dir.path());
    let doc = server.get_json("/api/openapi.json");
    assert_eq!(doc["openapi"], "3.0.3");
    for route in bomiljo::api::routes::ROUTES {
        let op = &doc["paths"][route.documented_path()][route.method.to_lowercase()];
        assert!(op.is_object(), "{} {} is missing", route.method, route.path);
        let success = op["responses"].as_object().unwrap().keys().find(|code| code.starts_with('2') || code.starts_with('3')).cloned();
        assert!(success.is_some_and(|code| op["responses"][&code]["description"].is_string()), "{} {}: no success answer", route.method, route.path);
    }
    // Parameters come from the query types, with their doc comments.
    let heat = &doc["paths"]["/tiles/heat/{z}/{x}/{y}.png"]["get"]["parameters"];
    let names: Vec<&str> = heat.as_array().unwrap().iter().map(|p| p["name"].as_str().unwrap()).collect();
    for name in ["z", "x", "y", "source", "category", "year", "to_year", "cell_m", "bandwidth_m", "area", "weighted", "per_1000"] {
        assert!(names.contains(&name), "{name} missing from {names:?}");
    }
    let cell = heat.as_array().unwrap().iter().find(|p| p["name"] == "cell_m").unwrap();
    assert_eq!((cell["in"].as_str(), cell["description"].as_str()), (Some("query"), Some("Cell size in metres, 25-250.")));
    // Answers come from the response types: an indicator's count is a number or "<k".
    let indicators = &doc["paths"]["/api/measurement"]["get"]["responses"]["200"]["content"]["application/json"]["schema"];
    assert_eq!(indicators["items"]["$ref"], "#/components/schemas/Indicator", "{indicators}");
    let count = &doc["components"]["schemas"]["Count"]["oneOf"];
    assert_eq!((count[0]["type"].as_str(), count[1]["type"].as_str()), (Some("integer"), Some("string")));
    assert!(doc["components"]["schemas"]["Explanation"]["properties"]["coverage"].is_object());
    assert!(server.stop());
}

/// `docs/openapi.json` is the committed contract: the generated document must equal it, so a
/// change to a route or a type shows in review. After an intended change, regenerate it with
/// `BOMILJO_UPDATE_SNAPSHOTS=1 cargo test --test integration openapi`.
#[test]
fn the_openapi_document_matches_its_committed_snapshot() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/openapi.json");
    let generated = serde_json::to_string_pretty(&bomiljo::api::routes::openapi()).unwrap() + "\n";
    if std::env::var_os("BOMILJO_UPDATE_SNAPSHOTS").is_some() {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, &generated).unwrap();
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    let first_difference = generated.lines().zip(committed.lines()).position(|(a, b)| a != b);
    assert!(
        generated == committed,
        "the OpenAPI document differs from docs/openapi.json (first at line {:?}); if the change is intended, run BOMILJO_UPDATE_SNAPSHOTS=1 cargo test --test integration openapi",
        first_difference.map(|i| i + 1)
    );
}

/// Every JSON answer has a schema in the OpenAPI document: a Rust type's, or a standard's
/// (the OpenAPI document itself, the queryables' JSON Schema) named with its address.
#[test]
fn every_json_answer_has_a_schema() {
    let doc = bomiljo::api::routes::openapi();
    let mut free_form: Vec<String> = Vec::new();
    for (path, methods) in doc["paths"].as_object().unwrap() {
        for (method, operation) in methods.as_object().unwrap() {
            let schema = &operation["responses"]["200"]["content"]["application/json"]["schema"];
            let typed = schema.get("$ref").is_some() || schema.get("properties").is_some() || schema.get("items").is_some() || schema.get("anyOf").is_some();
            let standard = schema["externalDocs"]["url"].as_str().is_some_and(|u| u.starts_with("https://"));
            if !schema.is_null() && !typed && !standard {
                free_form.push(format!("{} {path}: {schema}", method.to_uppercase()));
            }
        }
    }
    assert!(free_form.is_empty(), "JSON answers without a schema: {free_form:#?}");
}

#[test]
fn every_route_checks_the_callers_token() {
    // A forged token must be refused by every route in the table, before any handler runs:
    // 401, until the address has used its budget of failed authentications (30 a minute), then 429.
    let dir = tempfile::tempdir().unwrap();
    let (server, _) = server_with_data(dir.path());
    for (i, route) in bomiljo::api::routes::ROUTES.iter().enumerate() {
        let path = route.path.replace("{layer}", "delbydeler").replace("{code}", "0101").replace("{z}", "0").replace("{x}", "0").replace("{y}", "0.png");
        let status = if route.method == "POST" {
            server.post_json(&path, &serde_json::json!({}), Some("bmj_forged")).0
        } else {
            server.get_with(&path, Some("bmj_forged")).0
        };
        let refused = if i < 30 { 401 } else { 429 };
        assert_eq!(status, refused, "{} {path} accepted a forged token", route.method);
    }
    assert!(server.stop());
}

/// A client as QGIS is: it asks for a box and follows `next` until there is none. Every page must
/// keep the box, so the pages hold exactly the features in the box, each once.
#[test]
fn a_client_paging_with_a_bbox_gets_exactly_the_features_in_the_box() {
    let dir = tempfile::tempdir().unwrap();
    let db = two_squares_db(dir.path());
    let csv = dir.path().join("stops.csv");
    // Five stops inside 10.73-10.77 E, 59.90-59.92 N (the two squares), three far outside.
    let inside: String = (0..5).map(|i| format!("in{i},Inne {i},{},6642500\n", 597_200 + 300 * i)).collect();
    let outside: String = (0..3).map(|i| format!("out{i},Ute {i},{},6650000\n", 605_000 + 300 * i)).collect();
    std::fs::write(&csv, format!("id,name,x,y\n{inside}{outside}")).unwrap();
    import_ok(&db, "transit_stops", &csv, &[]);
    let server = Server::start(&db, 0).expect("server starts");
    let mut href = "/collections/transit_stops/items?bbox=10.73,59.90,10.77,59.92&limit=2".to_string();
    let mut seen = Vec::new();
    for _ in 0..10 {
        let page = server.get_json(&href);
        seen.extend(page["features"].as_array().unwrap().iter().map(|f| f["id"].as_str().unwrap().to_string()));
        match page["links"].as_array().unwrap().iter().find(|l| l["rel"] == "next") {
            Some(next) => href = next["href"].as_str().unwrap().strip_prefix(server.base()).expect("an absolute link").to_string(),
            None => break,
        }
    }
    seen.sort();
    assert_eq!(seen, ["in0", "in1", "in2", "in3", "in4"]);

    // The same paging through OWSLib, the OGC API client QGIS's Python tooling uses.
    let venv = std::env::var("OWSLIB_VENV").unwrap_or_else(|_| format!("{}/target/owslib-venv", env!("CARGO_MANIFEST_DIR")));
    let out = std::process::Command::new(format!("{venv}/bin/python"))
        .arg(format!("{}/tests/ogc/owslib_client.py", env!("CARGO_MANIFEST_DIR")))
        .args([server.base(), "transit_stops", "10.73,59.90,10.77,59.92"])
        .output()
        .expect("OWSLib's venv exists: scripts/setup-test.sh makes it (make test runs it)");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let client: Value = serde_json::from_slice(&out.stdout).unwrap();
    let mut ids: Vec<&str> = client["ids"].as_array().unwrap().iter().map(|v| v.as_str().unwrap()).collect();
    ids.sort();
    assert_eq!(ids, ["in0", "in1", "in2", "in3", "in4"], "{client}");
    assert_eq!(client["pages"], 3, "{client}");
    assert!(client["collections"].as_array().unwrap().iter().any(|c| c == "transit_stops"));
    assert!(client["conformance"].as_array().unwrap().iter().any(|c| c.as_str().unwrap().ends_with("ogcapi-features-1/1.0/conf/core")));
    assert!(client["item_id"].is_string(), "{client}");
    // EPSG:25833 eastings near Oslo are about 260 km, not 597 km (EPSG:25832) or 10.7 (degrees).
    let easting = client["utm33_first"][0].as_f64().unwrap();
    assert!((255_000.0..270_000.0).contains(&easting), "{client}");

    // One item by id, and the collection's extent.
    let item = server.get_json("/collections/transit_stops/items/in2");
    assert_eq!((item["type"].as_str(), item["id"].as_str(), item["properties"]["name"].as_str()), (Some("Feature"), Some("in2"), Some("Inne 2")));
    assert_eq!(server.get("/collections/transit_stops/items/nope").0, 404);
    let bbox = &server.get_json("/collections/transit_stops")["extent"]["spatial"]["bbox"][0];
    assert_eq!(bbox.as_array().unwrap().len(), 4, "{bbox}");
    assert!(server.stop());
}

/// OGC API - Features Part 2: items in the UTM zones Norwegian data use, and a bbox in metres.
#[test]
fn items_come_in_epsg_25832_or_25833_and_a_bbox_may_be_given_in_metres() {
    let dir = tempfile::tempdir().unwrap();
    let db = two_squares_db(dir.path());
    let csv = dir.path().join("stops.csv");
    // The second stop is PROJ's reference point: cs2cs EPSG:25832 EPSG:25833 gives (255444.5515, 6657996.5040).
    std::fs::write(
        &csv,
        "id,name,x,y
a,A,597500,6642500
b,B,590123.456,6650987.654
c,C,598500,6642500
",
    )
    .unwrap();
    import_ok(&db, "transit_stops", &csv, &[]);
    let server = Server::start(&db, 0).expect("server starts");
    let utm32 = "http://www.opengis.net/def/crs/EPSG/0/25832";
    let utm33 = "http://www.opengis.net/def/crs/EPSG/0/25833";
    let collection = server.get_json("/collections/transit_stops");
    assert!(collection["crs"].as_array().unwrap().iter().any(|c| c == utm33) && collection["storageCrs"] == utm32, "{collection}");
    assert!(server.get_json("/conformance")["conformsTo"].as_array().unwrap().iter().any(|c| c.as_str().unwrap().ends_with("ogcapi-features-2/1.0/conf/crs")));
    let coordinates = |page: &Value, id: &str| -> (f64, f64) {
        let f = page["features"].as_array().unwrap().iter().find(|f| f["id"] == id).unwrap();
        (f["geometry"]["coordinates"][0].as_f64().unwrap(), f["geometry"]["coordinates"][1].as_f64().unwrap())
    };
    let page = server.get_json(&format!("/collections/transit_stops/items?crs={utm32}"));
    assert_eq!(coordinates(&page, "a"), (597500.0, 6642500.0));
    let page = server.get_json(&format!("/collections/transit_stops/items?crs={utm33}"));
    let (x, y) = coordinates(&page, "b");
    assert!((x - 255444.5515).abs() < 0.001 && (y - 6657996.5040).abs() < 0.001, "({x}, {y})");
    let item = server.get_json(&format!("/collections/transit_stops/items/b?crs={utm33}"));
    assert!((item["geometry"]["coordinates"][0].as_f64().unwrap() - 255444.5515).abs() < 0.001, "{item}");
    // The answer names its CRS.
    let response = ureq::get(&format!("{}/collections/transit_stops/items?crs={utm33}", server.base())).call().unwrap();
    assert_eq!(response.headers().get("content-crs").unwrap().to_str().unwrap(), format!("<{utm33}>"));
    // A bbox in metres around a and c only, paged: every page keeps crs and bbox-crs.
    let mut href = format!("/collections/transit_stops/items?bbox=597000,6642000,599000,6643000&bbox-crs={utm32}&crs={utm32}&limit=1");
    let mut seen = Vec::new();
    for _ in 0..5 {
        let page = server.get_json(&href);
        seen.extend(
            page["features"].as_array().unwrap().iter().map(|f| (f["id"].as_str().unwrap().to_string(), f["geometry"]["coordinates"][0].as_f64().unwrap())),
        );
        match page["links"].as_array().unwrap().iter().find(|l| l["rel"] == "next") {
            Some(next) => href = next["href"].as_str().unwrap().strip_prefix(server.base()).expect("an absolute link").to_string(),
            None => break,
        }
    }
    assert_eq!(seen, [("a".to_string(), 597500.0), ("c".to_string(), 598500.0)]);
    // CRSs not offered are refused with the list of those that are.
    let (status, body) = server.get("/collections/transit_stops/items?crs=http://www.opengis.net/def/crs/EPSG/0/3857");
    assert!(status == 400 && body.contains("25833"), "{status} {body}");
    assert!(server.stop());
}

#[test]
fn delbydel_items_carry_the_same_population_as_the_areas_api() {
    let dir = tempfile::tempdir().unwrap();
    let db = two_squares_db(dir.path());
    let grid = dir.path().join("grid.csv");
    std::fs::write(&grid, "ru250m,pop_tot,x,y\na,600,597200,6642200\nb,450,598700,6642700\n").unwrap();
    import_ok(&db, "population", &grid, &[]);
    let server = Server::start(&db, 0).expect("server starts");
    let areas = server.get_json("/api/areas");
    let items = server.get_json("/collections/delbydeler/items");
    for code in ["0101", "0202"] {
        let of = |v: &Value, key: &str| {
            v["features"].as_array().unwrap().iter().find(|f| f["properties"][key] == code || f["id"] == code).unwrap()["properties"]["population"].clone()
        };
        assert_eq!(of(&items, "id"), of(&areas, "code"), "{code}");
        assert!(of(&areas, "code").as_f64().is_some_and(|p| p > 0.0), "{code} has residents");
    }
    assert!(server.stop());
}

/// Every Oslo delbydel, on every tile it touches from zoom 8 to zoom 13, comes out of the vector
/// tile geometry pipeline valid (OGC) and wound as MVT 2.1 says. Projecting and rounding alone
/// left 39 of 97 invalid at zoom 8, all wound the wrong way.
#[test]
fn vector_tile_polygons_of_the_oslo_delbydeler_are_valid_and_wound_at_every_zoom() {
    use bomiljo::render::tile_polygons::{signed_area, tile_polygons};
    use geo::{BoundingRect, MapCoords, Validation};
    let text = std::fs::read_to_string(common::oslo("delbydeler.geojson")).unwrap();
    let collection: geojson::FeatureCollection = text.parse().unwrap();
    let areas: Vec<geo::MultiPolygon<f64>> = collection
        .features
        .iter()
        .map(|f| match geo::Geometry::<f64>::try_from(f.geometry.clone().unwrap()).unwrap() {
            geo::Geometry::MultiPolygon(m) => m,
            geo::Geometry::Polygon(p) => geo::MultiPolygon::new(vec![p]),
            other => panic!("{other:?}"),
        })
        .collect();
    assert!(areas.len() > 90);
    // Web Mercator pixels of a 4096-unit tile at zoom z.
    let pixel = |z: i32, lon: f64, lat: f64| {
        let n = 4096.0 * 2f64.powi(z);
        ((lon + 180.0) / 360.0 * n, (1.0 - lat.to_radians().tan().asinh() / std::f64::consts::PI) / 2.0 * n)
    };
    let (mut features, mut checked_rings) = (0, 0);
    for z in 8..=13 {
        for area in &areas {
            let world = area.map_coords(|c| {
                let (x, y) = pixel(z, c.x, c.y);
                geo::Coord { x, y }
            });
            let r = world.bounding_rect().unwrap();
            for tx in (r.min().x / 4096.0) as i64..=(r.max().x / 4096.0) as i64 {
                for ty in (r.min().y / 4096.0) as i64..=(r.max().y / 4096.0) as i64 {
                    let local = world.map_coords(|c| geo::Coord { x: c.x - tx as f64 * 4096.0, y: c.y - ty as f64 * 4096.0 });
                    for rings in tile_polygons(&local, 4096) {
                        features += 1;
                        let ring = |r: &Vec<(i32, i32)>| geo::LineString::from(r.iter().map(|&(x, y)| (f64::from(x), f64::from(y))).collect::<Vec<_>>());
                        let polygon = geo::Polygon::new(ring(&rings[0]), rings[1..].iter().map(ring).collect());
                        assert!(polygon.is_valid(), "z{z} tile {tx}/{ty}: {:?}", polygon.validation_errors());
                        assert!(signed_area(&rings[0]) > 0, "z{z}: exterior wound against MVT 2.1");
                        assert!(rings[1..].iter().all(|hole| signed_area(hole) < 0), "z{z}: a hole wound as an exterior");
                        checked_rings += rings.len();
                    }
                }
            }
        }
    }
    assert!(features > 300 && checked_rings >= features, "{features} polygons, {checked_rings} rings");
}

/// `bbox` selects by geometry: squares whose representative points lie outside the box, and a
/// road that crosses it with both ends outside, are in; a road beside it is not; numberMatched
/// agrees, in metres and in degrees.
#[test]
fn bbox_selects_polygons_and_lines_by_their_geometry() {
    let dir = tempfile::tempdir().unwrap();
    let db = two_squares_db(dir.path());
    let line = |id: &str, from: (i64, i64), to: (i64, i64)| {
        format!(
            r#"{{"type": "Feature", "properties": {{"@id": "way/{id}", "highway": "residential", "oneway": "yes"}}, "geometry": {{"type": "LineString", "coordinates": [[{}, {}], [{}, {}]]}}}}"#,
            from.0, from.1, to.0, to.1
        )
    };
    let roads = [
        line("1", (597_000, 6_642_500), (599_000, 6_642_500)),
        line("2", (597_950, 6_642_450), (598_050, 6_642_550)),
        line("3", (597_100, 6_642_900), (597_300, 6_642_900)),
    ];
    let file = dir.path().join("roads.geojson");
    std::fs::write(
        &file,
        format!(r#"{{"type": "FeatureCollection", "crs": {{"type": "name", "properties": {{"name": "EPSG:25832"}}}}, "features": [{}]}}"#, roads.join(",")),
    )
    .unwrap();
    import_ok(&db, "roads", &file, &[]);
    let server = Server::start(&db, 0).expect("server starts");
    let utm32 = "http://www.opengis.net/def/crs/EPSG/0/25832";
    let ids = |v: &Value| -> Vec<String> { v["features"].as_array().unwrap().iter().map(|f| f["id"].as_str().unwrap().to_string()).collect() };
    let boxed = |layer: &str, bbox: &str, crs: &str| server.get_json(&format!("/collections/{layer}/items?bbox={bbox}&bbox-crs={crs}"));

    // 200 m around the squares' shared edge: no representative point lies in it.
    let areas = boxed("delbydeler", "597900,6642400,598100,6642600", utm32);
    assert_eq!((ids(&areas), areas["numberMatched"].as_u64()), (vec!["0101".to_string(), "0202".to_string()], Some(2)));
    let streets = boxed("roads", "597900,6642400,598100,6642600", utm32);
    assert_eq!((ids(&streets), streets["numberMatched"].as_u64()), (vec!["way/1".to_string(), "way/2".to_string()], Some(2)));
    // The same box in degrees (its corners from cs2cs, a little inside): the same answer.
    let t = bomiljo::spatial::Transformer::new(bomiljo::spatial::ANALYSIS_CRS, bomiljo::spatial::Crs::Wgs84);
    let (w, s) = t.apply(597_910.0, 6_642_410.0).unwrap();
    let (e, n) = t.apply(598_090.0, 6_642_590.0).unwrap();
    let degrees = format!("{w},{s},{e},{n}");
    assert_eq!(ids(&boxed("roads", &degrees, "http://www.opengis.net/def/crs/OGC/1.3/CRS84")), ["way/1", "way/2"]);
    // A box over road 3 alone, inside square 0101.
    let corner = boxed("roads", "597150,6642850,597250,6642950", utm32);
    assert_eq!(ids(&corner), ["way/3"]);
    assert_eq!(ids(&boxed("delbydeler", "597150,6642850,597250,6642950", utm32)), ["0101"]);
    // An id with a slash links as one escaped path segment, and is found through it.
    let item = server.get_json("/collections/roads/items/way%2F3");
    assert_eq!((item["properties"]["category"].as_str(), item["properties"]["oneway"].as_str()), (Some("residential"), Some("yes")), "OSM tags are properties");
    let link = item["links"][0]["href"].as_str().unwrap();
    assert!(link.ends_with("/collections/roads/items/way%2F3"), "{link}");
    assert!(server.stop());
}

/// Property filters on the queryables, `properties`, `sortby`, typed JSON values, and a 400
/// (not the whole layer) for anything the server does not offer.
#[test]
fn items_filter_on_queryables_and_refuse_what_is_not_offered() {
    let dir = tempfile::tempdir().unwrap();
    let sites = dir.path().join("housing.csv");
    std::fs::write(&sites, "id,units,has_staff_base,x,y\nh1,4,true,597400,6642400\n").unwrap();
    let (server, token) = server_with_data(dir.path());
    drop(server);
    import_ok(&dir.path().join("t.duckdb"), "housing", &sites, &[]);
    let server = Server::start(&dir.path().join("t.duckdb"), 0).expect("server starts");
    let queryables = server.get_json("/collections/transit_stops/queryables");
    assert_eq!(queryables["properties"]["name"]["type"], "string");
    assert_eq!(queryables["properties"]["value"]["type"], "number");
    let housing = server.get_json_as("/collections/housing/queryables", &token);
    assert_eq!((housing["properties"]["units"]["type"].as_str(), housing["properties"]["has_staff_base"]["type"].as_str()), (Some("integer"), Some("boolean")));

    // good_police.csv: one drugs incident among four.
    let drugs = server.get_json_as("/collections/incidents_police/items?category=drugs", &token);
    assert_eq!(drugs["numberMatched"], 1);
    assert_eq!(drugs["features"][0]["id"], "p2");
    let chosen = server.get_json_as("/collections/incidents_police/items?properties=category,date&sortby=-date", &token);
    let first = chosen["features"][0]["properties"].as_object().unwrap();
    assert_eq!(first.keys().collect::<Vec<_>>(), ["category", "date"]);
    let dates: Vec<&str> = chosen["features"].as_array().unwrap().iter().map(|f| f["properties"]["date"].as_str().unwrap()).collect();
    assert!(dates.windows(2).all(|w| w[0] >= w[1]) && dates.len() == 4, "{dates:?}");
    // Integers are integers and booleans booleans, not strings or floats.
    let sites = server.get_json_as("/collections/housing/items", &token);
    let site = &sites["features"][0]["properties"];
    assert!(site["units"].is_i64() && site["has_staff_base"].is_boolean(), "{site}");

    for (query, expected) in [
        ("name=Nowhere&filter=name%3D%27x%27", "CQL2 filters are not offered"),
        ("nosuch=1", "unknown parameter 'nosuch'"),
        ("sortby=colour", "sortby=colour"),
        ("properties=colour", "'colour' is not a property"),
        ("f=html", "expected `json` or `geojson`"),
    ] {
        let (status, body) = server.get(&format!("/collections/transit_stops/items?{query}"));
        assert_eq!(status, 400, "{query}: {body}");
        assert!(body.contains(expected), "{query}: {body}");
    }
    let (status, _) = server.get("/collections/transit_stops/items?name=Nowhere");
    assert_eq!(status, 200, "a queryable is a filter, not an error");
    assert_eq!(server.get_json("/collections/transit_stops/items?name=Nowhere")["numberMatched"], 0);
    assert!(server.stop());
}

/// Answers carry an ETag; sending it back gets 304 without a body, and another answer's tag
/// does not.
#[test]
fn an_unchanged_answer_is_not_sent_again() {
    let dir = tempfile::tempdir().unwrap();
    let (server, _) = server_with_data(dir.path());
    let agent: ureq::Agent = ureq::Agent::config_builder().http_status_as_error(false).build().into();
    let get = |path: &str, tag: Option<&str>| {
        let mut request = agent.get(&format!("{}{path}", server.base()));
        if let Some(t) = tag {
            request = request.header("If-None-Match", t);
        }
        let mut response = request.call().unwrap();
        let etag = response.headers().get("etag").and_then(|v| v.to_str().ok()).map(str::to_string);
        (response.status().as_u16(), etag, response.body_mut().read_to_vec().unwrap())
    };
    let (status, tag, body) = get("/collections/delbydeler/items", None);
    let tag = tag.expect("an ETag");
    assert!(status == 200 && !body.is_empty());
    let (status, again, body) = get("/collections/delbydeler/items", Some(&tag));
    assert_eq!((status, again.as_deref(), body.len()), (304, Some(tag.as_str()), 0));
    let (status, _, body) = get("/collections/transit_stops/items", Some(&tag));
    assert!(status == 200 && !body.is_empty(), "another answer's tag is no match");
    // Browsers keep the libraries for a day and revalidate the rest.
    let cache_control =
        |path: &str| agent.get(&format!("{}{path}", server.base())).call().unwrap().headers().get("cache-control").map(|v| v.to_str().unwrap().to_string());
    assert_eq!(cache_control("/vendor/maplibre-gl.css").as_deref(), Some("public, max-age=86400"));
    assert_eq!(cache_control("/api/areas").as_deref(), Some("no-cache"));
    // Asked for, the page's script travels gzipped, and inflates to the file as served.
    let plain = agent.get(&format!("{}/vendor/maplibre-gl.mjs", server.base())).call().unwrap().body_mut().with_config().limit(64 << 20).read_to_vec().unwrap();
    let mut zipped = agent.get(&format!("{}/vendor/maplibre-gl.mjs", server.base())).header("Accept-Encoding", "gzip").call().unwrap();
    assert_eq!(zipped.headers().get("content-encoding").map(|v| v.to_str().unwrap()), Some("gzip"));
    let body = zipped.body_mut().with_config().limit(64 << 20).read_to_vec().unwrap();
    let mut inflated = Vec::new();
    std::io::Read::read_to_end(&mut flate2::read::GzDecoder::new(&body[..]), &mut inflated).unwrap();
    assert!(body.len() * 3 < plain.len() && inflated == plain, "{} gzipped bytes for {}", body.len(), plain.len());
    // A gzipped answer keeps its (weak) tag, and the tag still gets 304.
    let mut areas = agent.get(&format!("{}/api/areas", server.base())).header("Accept-Encoding", "gzip").call().unwrap();
    let tag = areas.headers().get("etag").map(|v| v.to_str().unwrap().to_string()).expect("an ETag");
    assert!(tag.starts_with("W/\""), "{tag}");
    let _ = areas.body_mut().with_config().limit(64 << 20).read_to_vec();
    let again = agent.get(&format!("{}/api/areas", server.base())).header("Accept-Encoding", "gzip").header("If-None-Match", &tag).call().unwrap();
    assert_eq!(again.status().as_u16(), 304);
    assert!(server.stop());
}
