//! Load on loopback: 20,000 requests at 64 concurrent connections across the main endpoints of
//! a demo database, with no errors. Prints requests/s and p50/p99 (debug build).

use crate::common;

use crate::common::{Server, bomiljo};
use bomiljo::load::{self, Request};

#[test]
#[ignore = "heavy proof: run by `make proof` (and CI)"]
fn twenty_thousand_requests_at_64_concurrency_have_no_errors() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("demo.duckdb");
    let out = bomiljo(&db, &["demo", "--no-serve", "--out", dir.path().join("files").to_str().unwrap()]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    // An analyst token: each request is authenticated, and its budget (60,000 a minute) covers
    // the run, where one client address without a token would be limited to 6,000.
    let analyst = common::token(&db, "analyst");
    let server = Server::start(&db, 0).expect("server starts");
    let areas = server.get_json("/api/areas");
    let ring = &areas["features"][0]["geometry"]["coordinates"][0][0];
    let (lon, lat) = (ring[0][0].as_f64().unwrap() + 0.005, ring[0][1].as_f64().unwrap() + 0.005);
    let z = 14;
    let n = 2f64.powi(z);
    let tx = ((lon + 180.0) / 360.0 * n) as u32;
    let ty = ((1.0 - lat.to_radians().tan().asinh() / std::f64::consts::PI) / 2.0 * n) as u32;
    let requests: Vec<Request> = vec![
        Request::get("/api/areas"),
        Request::get("/api/areas/0101"),
        Request::get("/api/measurement?year=2025"),
        Request::get("/api/series?code=0101"),
        Request::get(format!("/tiles/heat/{z}/{tx}/{ty}.png")),
        Request::get("/collections/delbydeler/items?limit=20"),
        Request::get("/api/hotspots?cell_m=200&band_m=400"),
        Request::post_json("/api/score", format!(r#"{{"group": 5, "lon": {lon}, "lat": {lat}}}"#)),
    ]
    .into_iter()
    .map(|r| r.with_token(&analyst))
    .collect();
    let addr: std::net::SocketAddr = server.base().trim_start_matches("http://").parse().unwrap();
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let report = runtime.block_on(async {
        load::run(addr, &requests, 512, 8).await; // warm the caches
        load::run(addr, &requests, 20_000, 64).await
    });
    eprintln!("load test: {report}");
    assert_eq!(report.requests, 20_000);
    assert_eq!(report.errors, 0, "{report}");
    assert!(server.stop());
}
