//! Fuzzing the importers (proptest): whatever the bytes, an import returns a result (usually a
//! clear rejection) and never panics. 100 cases a test in `make test`; `make proof` runs 1,000
//! (`BOMILJO_FUZZ_CASES`).

use std::path::Path;

use bomiljo::config::Config;
use bomiljo::import::{ImportOptions, import_file};
use bomiljo::store::Store;
use proptest::prelude::*;

/// Cases per test: `BOMILJO_FUZZ_CASES`, or 100.
fn fuzz_cases() -> u32 {
    std::env::var("BOMILJO_FUZZ_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(100)
}

fn import(bytes: &[u8], name: &str, layer: &str) {
    let config = Config::load(Path::new(env!("CARGO_MANIFEST_DIR"))).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(name);
    std::fs::write(&path, bytes).unwrap();
    let mut store = Store::open_in_memory().unwrap();
    let _ = import_file(&mut store, &config, layer, &path, &ImportOptions::default());
}

/// Cells that tend to break parsers: numbers at the edges, dates, quotes, separators, unicode.
fn cell() -> impl Strategy<Value = String> {
    prop_oneof![
        Just(String::new()),
        Just("NaN".to_string()),
        Just("inf".to_string()),
        Just("-0".to_string()),
        Just("1e308".to_string()),
        Just("2024-02-30".to_string()),
        Just("\"quoted, with comma\"".to_string()),
        Just("æøå 🚒".to_string()),
        Just("01019912345".to_string()),
        (-1.0e7f64..1.0e7).prop_map(|v| v.to_string()),
        (590_000.0f64..610_000.0).prop_map(|v| format!("{v:.1}")),
        (6_630_000.0f64..6_670_000.0).prop_map(|v| format!("{v:.1}")),
        "[ -~]{0,12}",
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(fuzz_cases()))]

    #[test]
    fn csv_imports_never_panic(
        header in prop_oneof![Just("id,date,category,x,y"), Just("id,date,category,lon,lat"), Just("a,b"), Just("id,x,y,x"), Just("")],
        rows in proptest::collection::vec(proptest::collection::vec(cell(), 0..7), 0..6),
        layer in prop_oneof![Just("incidents_police"), Just("schools"), Just("housing"), Just("delbydeler")],
    ) {
        let mut text = format!("{header}\n");
        for row in rows {
            text.push_str(&row.join(","));
            text.push('\n');
        }
        import(text.as_bytes(), "f.csv", layer);
    }

    #[test]
    fn geojson_imports_never_panic(
        geometry in prop_oneof![
            Just("null".to_string()),
            Just(r#"{"type": "Point", "coordinates": []}"#.to_string()),
            Just(r#"{"type": "Polygon", "coordinates": [[[1, 2]]]}"#.to_string()),
            Just(r#"{"type": "Polygon", "coordinates": [[[597000, 6642000], [598000, 6643000], [598000, 6642000], [597000, 6643000], [597000, 6642000]]]}"#.to_string()),
            ((-200.0f64..700_000.0), (-100.0f64..7_000_000.0)).prop_map(|(x, y)| format!(r#"{{"type": "Point", "coordinates": [{x}, {y}]}}"#)),
            "[ -~]{0,20}",
        ],
        property in cell(),
        crs in prop_oneof![Just(""), Just(r#""crs": {"type": "name", "properties": {"name": "EPSG:25833"}},"#), Just(r#""crs": {"type": "name", "properties": {"name": "EPSG:9999"}},"#), Just(r#""crs": 7,"#)],
        layer in prop_oneof![Just("schools"), Just("delbydeler"), Just("population"), Just("commercial")],
    ) {
        let text = format!(
            r#"{{"type": "FeatureCollection", {crs} "features": [{{"type": "Feature", "properties": {{"id": {p}, "name": {p}, "DELBYDEL": {p}, "pop_tot": {p}}}, "geometry": {geometry}}}]}}"#,
            p = serde_json::Value::String(property.clone())
        );
        import(text.as_bytes(), "f.geojson", layer);
    }

    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..400), ext in prop_oneof![Just("csv"), Just("geojson"), Just("parquet")]) {
        import(&bytes, &format!("f.{ext}"), "incidents_police");
    }
}
