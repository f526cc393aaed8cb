//! The CLI end to end: `layers`, `demo`, `serve` with real HTTP requests, graceful shutdown and
//! clear start-up errors.

use crate::common;
use bomiljo::store::Database;

use crate::common::{Server, bomiljo, fixture, import_ok, two_squares_db};

#[test]
fn layers_lists_every_layer_with_its_visibility() {
    let dir = tempfile::tempdir().unwrap();
    let out = bomiljo(&dir.path().join("t.duckdb"), &["layers"]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success());
    let files = std::fs::read_dir(std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("layers")).unwrap().count();
    assert_eq!(text.lines().count(), files + 1, "a header and one line per layer file:\n{text}");
    assert!(text.lines().any(|l| l.starts_with("housing") && l.contains("internal")), "{text}");
    let out = bomiljo(&dir.path().join("t.duckdb"), &["layers", "--json"]);
    let layers: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(layers.as_array().unwrap().len(), files);
}

#[test]
fn the_server_answers_health_layers_and_areas_with_counts() {
    let dir = tempfile::tempdir().unwrap();
    let db = two_squares_db(dir.path());
    import_ok(&db, "incidents_police", &fixture("import/good_police.csv"), &[]);
    let token = common::token(&db, "analyst");
    let server = Server::start(&db, 0).expect("server starts");

    let health = server.get_json("/api/health");
    assert_eq!(health["status"], "ok");
    assert_eq!(health["schema_version"], bomiljo::store::SCHEMA_VERSION);

    // The raw total of an internal layer is for analysts: beside released parts it would let
    // anyone difference out a small count.
    let police = |layers: serde_json::Value| layers.as_array().unwrap().iter().find(|l| l["name"] == "incidents_police").unwrap().clone();
    let public = police(server.get_json("/api/layers"));
    assert_eq!((public["features"].as_i64(), public["visibility"].as_str()), (None, Some("internal")));
    assert_eq!(police(server.get_json_as("/api/layers", &token))["features"].as_i64(), Some(4));

    let areas = server.get_json("/api/areas");
    assert_eq!(areas["type"], "FeatureCollection");
    let features = areas["features"].as_array().unwrap();
    assert_eq!(features.len(), 2);
    let west = features.iter().find(|f| f["properties"]["code"] == "0101").unwrap();
    assert_eq!((west["properties"]["name"].as_str(), west["properties"]["bydel"].as_str()), (Some("Vest"), Some("01")));
    assert!((west["properties"]["area_km2"].as_f64().unwrap() - 1.0).abs() < 1e-9);
    // Served in WGS84: the square's south-west corner (597000, 6642000) is near 10.73 E, 59.91 N.
    assert_eq!(west["geometry"]["type"], "MultiPolygon");
    let first = &west["geometry"]["coordinates"][0][0][0];
    assert!((first[0].as_f64().unwrap() - 10.73).abs() < 0.02 && (first[1].as_f64().unwrap() - 59.90).abs() < 0.02, "{first}");

    // p1 (2024) and p4 (2024) are in 0101; p2 (2024) in 0202; p3 (2023) outside. The public
    // sees the release: every year of the source's span (2023-2024), estimated with an interval;
    // an analyst token sees the recorded count.
    let detail = server.get_json("/api/areas/0101");
    assert_eq!(detail["code"], "0101");
    let years = detail["counts"]["police"].as_object().unwrap();
    assert_eq!(years.keys().collect::<Vec<_>>(), ["2023", "2024"]);
    for shown in years.values() {
        common::assert_public_figure(shown);
    }
    let detail = server.get_json_as("/api/areas/0101", &token);
    assert_eq!(detail["counts"], serde_json::json!({ "police": { "2024": 2 } }));
    let (status, body) = server.get("/api/areas/9999");
    assert_eq!(status, 404, "{body}");
    assert!(body.contains("no delbydel with code '9999'"), "{body}");

    assert!(server.stop(), "graceful shutdown exits 0");
}

#[test]
fn a_missing_database_is_a_clear_startup_error() {
    let dir = tempfile::tempdir().unwrap();
    let err = Server::start(&dir.path().join("nope.duckdb"), 0).err().expect("refuses to start");
    assert!(err.contains("does not exist") && err.contains("bomiljo demo"), "{err}");
}

#[test]
fn a_locked_database_and_a_busy_port_are_clear_errors() {
    let dir = tempfile::tempdir().unwrap();
    let db = two_squares_db(dir.path());
    let server = Server::start(&db, 0).expect("server starts");
    let out = bomiljo(&db, &["check"]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success() && err.contains("is locked by another process"), "{err}");
    // An import says where to send the file instead (tests/integration/serve_import.rs sends it).
    let out = bomiljo(&db, &["import", "incidents_police", fixture("import/good_police.csv").to_str().unwrap()]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success() && err.contains(&format!("held by the bomiljo server at {}/", server.base())), "{err}");

    let port: u16 = server.base().rsplit(':').next().unwrap().parse().unwrap();
    let other = two_squares_db(&{
        let d = dir.path().join("other");
        std::fs::create_dir_all(&d).unwrap();
        d
    });
    let err = Server::start(&other, port).err().expect("second server refuses the port");
    assert!(err.contains("cannot listen on") && err.contains("--port"), "{err}");
    assert!(server.stop());
}

#[test]
fn demo_builds_a_fictional_city_with_every_layer() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("demo.duckdb");
    let out_dir = dir.path().join("files");
    let out = bomiljo(&db, &["demo", "--no-serve", "--out", out_dir.to_str().unwrap()]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let store = bomiljo::store::Store::open(&db, bomiljo::store::OpenMode::MustExist).unwrap();
    let counts = store.layer_counts().unwrap();
    assert_eq!(counts["delbydeler"], 12);
    for layer in [
        "population",
        "schools",
        "kindergartens",
        "transit_stops",
        "grocery",
        "pharmacies",
        "commercial",
        "housing",
        "incidents_fire",
        "incidents_police",
        "incidents_waste",
    ] {
        assert!(counts.get(layer).copied().unwrap_or(0) > 0, "demo layer {layer} is empty: {counts:?}");
    }
    // Several years, and more police incidents in summer than in winter (seasonality).
    let years: i64 = store.conn().query_row("SELECT count(DISTINCT year) FROM incidents", [], |r| r.get(0)).unwrap();
    assert!(years >= 5, "{years}");
    let (summer, winter): (i64, i64) = store
        .conn()
        .query_row(
            "SELECT count(*) FILTER (WHERE month IN (6, 7, 8)), count(*) FILTER (WHERE month IN (12, 1, 2)) FROM incidents WHERE source = 'police'",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    assert!(summer as f64 > winter as f64 * 1.3, "summer {summer}, winter {winter}");
    drop(store);

    // Deterministic: the same seed writes the same files.
    let again = dir.path().join("again");
    let out = bomiljo(&dir.path().join("demo2.duckdb"), &["demo", "--no-serve", "--out", again.to_str().unwrap()]);
    assert!(out.status.success());
    for file in ["incidents_police.csv", "housing.csv", "schools.geojson"] {
        assert_eq!(std::fs::read(out_dir.join(file)).unwrap(), std::fs::read(again.join(file)).unwrap(), "{file} differs");
    }
}

/// An edited layer file takes effect only on restart: `/api/health` says which files changed.
#[test]
fn health_names_configuration_files_edited_since_the_start() {
    let dir = tempfile::tempdir().unwrap();
    let db = two_squares_db(dir.path());
    let config = crate::common::copy_config(dir.path());
    let server = Server::start_with_config(&db, &config).expect("server starts");
    assert_eq!(server.get_json("/api/health")["restart_needed"], serde_json::json!([]));
    let layer = config.join("layers/schools.toml");
    let text = std::fs::read_to_string(&layer).unwrap();
    // A later modification time than the one read at start (file systems keep at least 1 ms).
    std::thread::sleep(std::time::Duration::from_millis(20));
    std::fs::write(&layer, format!("{text}\n# edited\n")).unwrap();
    let changed = server.get_json("/api/health")["restart_needed"].clone();
    assert_eq!(changed, serde_json::json!(["layers/schools.toml"]), "named relative to the configuration folder");
    assert!(server.stop());
}

/// While the server holds the database, `measure` asks it: the public's figures without a token,
/// an analyst's with BOMILJO_TOKEN, the same as the API's.
#[test]
fn measure_works_while_the_server_holds_the_database() {
    let dir = tempfile::tempdir().unwrap();
    let db = two_squares_db(dir.path());
    import_ok(&db, "incidents_police", &fixture("import/good_police.csv"), &[]);
    let token = crate::common::token(&db, "analyst");
    let server = Server::start(&db, 0).expect("server starts");
    let measure = |role: &str, token: Option<&str>| {
        let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_bomiljo"));
        command.args(["--config", env!("CARGO_MANIFEST_DIR"), "--db"]).arg(&db).args(["measure", "--year", "2024", "--format", "csv", "--role", role]);
        command.env("BOMILJO_LOG", "warn").env_remove("BOMILJO_TOKEN");
        if let Some(t) = token {
            command.env("BOMILJO_TOKEN", t);
        }
        command.output().unwrap()
    };
    let public = measure("public", None);
    assert!(public.status.success(), "{}", String::from_utf8_lossy(&public.stderr));
    assert_eq!(String::from_utf8_lossy(&public.stdout), server.get("/api/measurement?year=2024&format=csv").1);
    let refused = measure("analyst", None);
    assert!(!refused.status.success() && String::from_utf8_lossy(&refused.stderr).contains("BOMILJO_TOKEN"));
    let analyst = measure("analyst", Some(&token));
    assert!(analyst.status.success(), "{}", String::from_utf8_lossy(&analyst.stderr));
    assert_eq!(String::from_utf8_lossy(&analyst.stdout), server.get_with("/api/measurement?year=2024&format=csv", Some(&token)).1);
    // The annual report too: made by the server, unpacked where the command writes it, the same
    // files as the command writes once the server has stopped.
    let report = |out: &std::path::Path, token: Option<&str>| {
        let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_bomiljo"));
        command.args(["--config", env!("CARGO_MANIFEST_DIR"), "--db"]).arg(&db).args(["report", "annual", "--year", "2024", "--out"]).arg(out);
        command.env("BOMILJO_LOG", "warn").env_remove("BOMILJO_TOKEN");
        if let Some(t) = token {
            command.env("BOMILJO_TOKEN", t);
        }
        command.output().unwrap()
    };
    let through = dir.path().join("through-server");
    let refused = report(&through, None);
    assert!(!refused.status.success() && String::from_utf8_lossy(&refused.stderr).contains("BOMILJO_TOKEN"));
    let made = report(&through, Some(&token));
    assert!(made.status.success() && String::from_utf8_lossy(&made.stdout).contains("made by the server"), "{}", String::from_utf8_lossy(&made.stderr));
    assert!(server.stop());
    let direct = dir.path().join("direct");
    assert!(report(&direct, None).status.success());
    let listing = |root: &std::path::Path| {
        let mut names: Vec<String> =
            std::fs::read_dir(root.join("annual-2024")).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().to_string()).collect();
        names.sort();
        names
    };
    assert!(listing(&through).contains(&"index.html".to_string()), "{:?}", listing(&through));
    assert_eq!(listing(&through), listing(&direct));
    let index = |root: &std::path::Path| std::fs::read_to_string(root.join("annual-2024/index.html")).unwrap();
    assert_eq!(index(&through), index(&direct), "the same report");
}
