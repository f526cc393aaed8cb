//! Property: whatever the data, no public output holds a count under k (other than 0) or any
//! housing site. Generated incident counts and housing sites; every public JSON endpoint is
//! called in process through the real router, and every count-like field is checked.

use std::path::Path;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use bomiljo::api::{AppState, router};
use bomiljo::config::Config;
use bomiljo::import::{ImportOptions, import_file};
use bomiljo::store::{OpenMode, Store};
use proptest::prelude::*;
use serde_json::Value;
use tower::ServiceExt;

const K: u64 = 5;

fn config() -> Config {
    Config::load(Path::new(env!("CARGO_MANIFEST_DIR"))).unwrap()
}

/// Builds a database: the two test squares, incidents per (square, year, source) as generated,
/// and housing sites at generated positions.
fn build(dir: &Path, counts: &[(usize, i32, usize, u8)], sites: &[(u16, u16, u8)]) -> Store {
    let config = config();
    let mut store = Store::open(&dir.join("p.duckdb"), OpenMode::CreateIfMissing).unwrap();
    let opts = ImportOptions { imported_by: "proptest".into(), ..Default::default() };
    let areas = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/areas/two_squares_25832.geojson");
    import_file(&mut store, &config, "delbydeler", &areas, &opts).unwrap();
    let mut police = String::from("id,date,category,x,y\n");
    let mut fire = String::from("id,date,category,x,y\n");
    let mut serial = 0;
    for &(square, year, source, n) in counts {
        for i in 0..n {
            serial += 1;
            let x = 597_050 + square * 1000 + (i as usize % 9) * 100;
            let line = format!("g{serial},{year}-06-{:02},{},{x},6642450\n", 1 + i % 28, if source == 0 { "drugs" } else { "fire" });
            if source == 0 { police.push_str(&line) } else { fire.push_str(&line) }
        }
    }
    for (name, layer, text) in [("police.csv", "incidents_police", police), ("fire.csv", "incidents_fire", fire)] {
        std::fs::write(dir.join(name), text).unwrap();
        import_file(&mut store, &config, layer, &dir.join(name), &opts).unwrap();
    }
    let mut housing = String::from("id,units,group,has_staff_base,opened,x,y\n");
    for (i, &(dx, dy, group)) in sites.iter().enumerate() {
        housing.push_str(&format!("secret-site-{i},{},{group},true,2022-02-01,{}.5,{}.5\n", 4 + i, 597_000 + u32::from(dx), 6_642_000 + u32::from(dy)));
    }
    std::fs::write(dir.join("housing.csv"), housing).unwrap();
    import_file(&mut store, &config, "housing", &dir.join("housing.csv"), &opts).unwrap();
    store
}

/// Every count-like value in a JSON document is 0, at least k, or "<k".
fn check_counts(value: &Value, path: &str) -> Result<(), String> {
    let countish = |key: &str| matches!(key, "count" | "previous" | "incidents_within_bandwidth");
    match value {
        // An estimate from the release is never an exact count: it has noise and says how much.
        Value::Object(map) if map.contains_key("estimate") => match map.get("sd").and_then(Value::as_f64) {
            Some(sd) if sd > 0.0 => Ok(()),
            _ => Err(format!("{path}: an estimate without its noise: {value}")),
        },
        Value::Object(map) => {
            for (key, v) in map {
                let here = format!("{path}.{key}");
                if countish(key) || path.ends_with(".counts") || path.contains(".counts.") || path.ends_with(".categories") {
                    check_count(v, &here)?;
                }
                check_counts(v, &here)?;
            }
            Ok(())
        }
        Value::Array(items) => items.iter().enumerate().try_for_each(|(i, v)| check_counts(v, &format!("{path}[{i}]"))),
        _ => Ok(()),
    }
}

fn check_count(v: &Value, path: &str) -> Result<(), String> {
    match v {
        Value::Number(n) => match n.as_u64() {
            Some(c) if c == 0 || c >= K => Ok(()),
            _ => Err(format!("{path} = {n} is under k")),
        },
        Value::String(s) if s == &format!("<{K}") => Ok(()),
        Value::Object(_) | Value::Null => Ok(()),
        other => Err(format!("{path} = {other} is not a count")),
    }
}

async fn get(app: &axum::Router, method: &str, uri: &str, body: Option<&str>) -> (StatusCode, String) {
    let mut req = Request::builder().method(method).uri(uri);
    if body.is_some() {
        req = req.header("content-type", "application/json");
    }
    let response = app.clone().oneshot(req.body(Body::from(body.unwrap_or("").to_string())).unwrap()).await.unwrap();
    let status = response.status();
    let bytes = axum::body::to_bytes(response.into_body(), 64 << 20).await.unwrap();
    (status, String::from_utf8_lossy(&bytes).into_owned())
}

const PUBLIC_JSON: &[&str] = &[
    "/api/measurement?year=2024",
    "/api/measurement?year=2024&level=bydel",
    "/api/areas/0101",
    "/api/areas/0202",
    "/api/heatmap?year=2023&to_year=2024&cell_m=100&bandwidth_m=300",
    "/api/hotspots?year=2024&cell_m=250&band_m=500",
    "/api/series?code=0101",
    "/api/series?code=0202&monthly=true",
    "/api/before-after",
    "/collections",
    "/collections/delbydeler/items",
    "/api/layers",
];

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]

    #[test]
    fn no_public_output_holds_a_small_count_or_a_housing_site(
        counts in proptest::collection::vec((0usize..2, 2021i32..2025, 0usize..2, 0u8..9), 1..10),
        sites in proptest::collection::vec((0u16..2000, 0u16..1000, 1u8..9), 1..4),
    ) {
        let dir = tempfile::tempdir().unwrap();
        let store = build(dir.path(), &counts, &sites);
        let app = router(AppState::new(config(), store).unwrap());
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        runtime.block_on(async {
            let mut bodies = Vec::new();
            for uri in PUBLIC_JSON {
                let (status, body) = get(&app, "GET", uri, None).await;
                // A world without incidents in the year asked is told so, not shown zeros.
                let no_data = status == StatusCode::BAD_REQUEST && body.contains("no incident data");
                prop_assert!(status.is_success() || no_data, "{uri}: {status} {body}");
                let json: Value = serde_json::from_str(&body).unwrap();
                if let Err(e) = check_counts(&json, uri) { prop_assert!(false, "{e}"); }
                bodies.push((uri.to_string(), body));
            }
            let (_, csv) = get(&app, "GET", "/api/measurement?year=2024&format=csv", None).await;
            for line in csv.lines().skip(1) {
                let count = line.split(',').nth(5).unwrap_or_default();
                prop_assert!(count == "0" || count == "<5" || count.contains('–') || count.parse::<u64>().is_ok_and(|c| c >= K), "csv count {count}: {line}");
            }
            let (status, _) = get(&app, "GET", "/collections/housing/items", None).await;
            prop_assert_eq!(status, StatusCode::FORBIDDEN);
            let (_, score) = get(&app, "POST", "/api/score", Some(r#"{"group": 5, "lon": 10.743331, "lat": 59.908458}"#)).await;
            bodies.push(("/api/score".into(), score));
            for (uri, body) in &bodies {
                prop_assert!(!body.contains("secret-site"), "{uri} names a housing site");
                for (i, &(dx, dy, _)) in sites.iter().enumerate() {
                    let x = format!("{}.5", 597_000 + u32::from(dx));
                    let y = format!("{}.5", 6_642_000 + u32::from(dy));
                    prop_assert!(!(body.contains(&x) && body.contains(&y)), "{uri} holds site {i}'s position");
                }
            }
            Ok(())
        })?;
    }
}
