//! One snapshot of the served world: outputs the server derived once per data version are cut
//! from it, never read again from the database. The store counts its calls, and a vector tile
//! or a neighbour sheet makes none.

use tower::ServiceExt;

use crate::common::bomiljo;

/// The served state of a fresh demo database (the fictional city) in `dir`.
fn demo_state(dir: &std::path::Path) -> bomiljo::api::AppState {
    let db = dir.join("demo.duckdb");
    let out = bomiljo(&db, &["demo", "--no-serve", "--out", dir.join("files").to_str().unwrap()]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let config = bomiljo::config::Config::load(std::path::Path::new(env!("CARGO_MANIFEST_DIR"))).unwrap();
    let store = bomiljo::store::Store::open(&db, bomiljo::store::OpenMode::MustExist).unwrap();
    bomiljo::api::AppState::new(config, store).unwrap()
}

#[test]
fn vector_tiles_and_neighbour_sheets_read_nothing_from_the_database() {
    let dir = tempfile::tempdir().unwrap();
    let state = demo_state(dir.path());
    let app = bomiljo::api::router(state.clone());
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    runtime.block_on(async {
        let get = |uri: String| app.clone().oneshot(axum::http::Request::get(uri).body(axum::body::Body::empty()).unwrap());
        let areas: serde_json::Value =
            serde_json::from_slice(&axum::body::to_bytes(get("/api/areas".into()).await.unwrap().into_body(), 1 << 24).await.unwrap()).unwrap();
        let ring = &areas["features"][0]["geometry"]["coordinates"][0][0];
        let (lon, lat) = (ring[0][0].as_f64().unwrap() + 0.002, ring[0][1].as_f64().unwrap() + 0.002);
        let before = state.store_calls();
        // Area tiles at three zooms over the first delbydel, each made for the first time.
        for z in [11u32, 13, 15] {
            let n = f64::from(1u32 << z);
            let x = ((lon + 180.0) / 360.0 * n).floor();
            let y = ((1.0 - (lat.to_radians().tan() + 1.0 / lat.to_radians().cos()).ln() / std::f64::consts::PI) / 2.0 * n).floor();
            let response = get(format!("/tiles/delbydeler/{z}/{x}/{y}.mvt")).await.unwrap();
            assert_eq!(response.status(), 200);
            assert!(!axum::body::to_bytes(response.into_body(), 1 << 24).await.unwrap().is_empty(), "the tile at z{z} holds the delbydel");
        }
        // A neighbour sheet, for a group whose rules the sheet quotes.
        let response = get(format!("/api/reports/dialogue.pdf?lat={lat}&lon={lon}&group=4")).await.unwrap();
        assert_eq!(response.status(), 200);
        let pdf = axum::body::to_bytes(response.into_body(), 1 << 26).await.unwrap();
        assert!(pdf.starts_with(b"%PDF"));
        assert_eq!(state.store_calls() - before, 0, "tiles and the sheet were cut from the snapshot");
    });
}

#[test]
fn every_tile_endpoint_answers_alike_with_one_cache_policy_and_an_etag() {
    let dir = tempfile::tempdir().unwrap();
    let app = bomiljo::api::router(demo_state(dir.path()));
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    runtime.block_on(async {
        let get = |uri: &str, etag: Option<&str>| {
            let mut request = axum::http::Request::get(uri);
            if let Some(tag) = etag {
                request = request.header("if-none-match", tag);
            }
            app.clone().oneshot(request.body(axum::body::Body::empty()).unwrap())
        };
        // The demo city lies around 59.91 N, 10.75 E: tile 13/4340/2382 holds part of it.
        for uri in [
            "/tiles/heat/13/4340/2382.png",
            "/tiles/suitability/13/4340/2382.png?group=5",
            "/tiles/delbydeler/13/4340/2382.mvt",
            "/tiles/incidents/13/4340/2382.mvt",
        ] {
            let response = get(uri, None).await.unwrap();
            assert_eq!(response.status(), 200, "{uri}");
            let headers = response.headers().clone();
            assert_eq!(headers["cache-control"], "public, max-age=300", "{uri}");
            assert_eq!(headers["vary"], "Authorization", "{uri}");
            let tag = headers["etag"].to_str().unwrap().to_string();
            let again = get(uri, Some(&tag)).await.unwrap();
            assert_eq!(again.status(), 304, "{uri}: the same tile again is not sent again");
        }
    });
}
