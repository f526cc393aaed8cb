//! The GeoParquet export read back as another engine would: the `geo` metadata, the geometry
//! (WKB) against the stored positions and polygons, the bbox covering column, the Hive partitions
//! of incidents, and housing left out unless asked for. `make proof` also validates the files
//! against the GeoParquet 1.1 JSON schema and reads them with GeoPandas
//! (scripts/crosscheck_geoparquet.py).

use std::path::Path;

use crate::common::{bomiljo, query};
use bomiljo::store::Database;

fn geo_metadata(conn: &duckdb::Connection, file: &Path) -> serde_json::Value {
    let bytes: Vec<u8> = conn
        .query_row("SELECT value FROM parquet_kv_metadata(?) WHERE decode(key) = 'geo'", [file.display().to_string()], |r| r.get(0))
        .unwrap_or_else(|e| panic!("{}: {e}", file.display()));
    serde_json::from_slice(&bytes).unwrap()
}

#[test]
fn the_geoparquet_export_reads_back_with_its_geometry_crs_and_partitions() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("demo.duckdb");
    let demo = bomiljo(&db, &["demo", "--no-serve", "--out", dir.path().join("files").to_str().unwrap()]);
    assert!(demo.status.success(), "{}", String::from_utf8_lossy(&demo.stderr));
    let out = dir.path().join("gp");
    let export = bomiljo(&db, &["export", "--format", "geoparquet", "--out", out.to_str().unwrap()]);
    assert!(export.status.success(), "{}", String::from_utf8_lossy(&export.stderr));
    assert!(!out.join("housing.parquet").exists(), "housing is internal: only with --with-housing");

    let conn = duckdb::Connection::open_in_memory().unwrap();
    // Areas: MultiPolygons in EPSG:25832, each WKB the stored polygon, the bbox its envelope.
    let areas = out.join("delbydeler.parquet");
    let geo = geo_metadata(&conn, &areas);
    assert_eq!(geo["version"], "1.1.0");
    assert_eq!(geo["primary_column"], "geometry");
    let column = &geo["columns"]["geometry"];
    assert_eq!((column["encoding"].as_str(), column["geometry_types"].clone()), (Some("WKB"), serde_json::json!(["MultiPolygon"])));
    assert_eq!((column["crs"]["id"]["authority"].as_str(), column["crs"]["id"]["code"].as_i64()), (Some("EPSG"), Some(25832)));
    assert_eq!(column["covering"]["bbox"]["xmin"], serde_json::json!(["bbox", "xmin"]));
    let store = bomiljo::store::Store::open(&db, bomiljo::store::OpenMode::MustExist).unwrap();
    let stored = store.areas("delbydeler").unwrap();
    let mut stmt = conn.prepare("SELECT id, geometry, bbox.xmin, bbox.ymin, bbox.xmax, bbox.ymax FROM read_parquet(?) ORDER BY id").unwrap();
    let rows: Vec<(String, Vec<u8>, [f64; 4])> = stmt
        .query_map([areas.display().to_string()], |r| Ok((r.get(0)?, r.get(1)?, [r.get(2)?, r.get(3)?, r.get(4)?, r.get(5)?])))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    assert_eq!(rows.len(), stored.len());
    for ((code, wkb, bbox), area) in rows.iter().zip(&stored) {
        assert_eq!(code, &area.code);
        assert_eq!(bomiljo::spatial::wkb::parse(wkb).unwrap(), geo::Geometry::MultiPolygon(area.polygon.clone()), "{code}");
        let r = geo::BoundingRect::bounding_rect(&area.polygon).unwrap();
        assert_eq!(*bbox, [r.min().x, r.min().y, r.max().x, r.max().y], "{code}");
    }

    // Incidents: one file per source and year, Points at the stored (snapped) positions.
    let per_partition: Vec<(String, i64, i64)> = {
        let mut stmt =
            conn.prepare("SELECT source, CAST(year AS BIGINT), count(*) FROM read_parquet(?, hive_partitioning = true) GROUP BY ALL ORDER BY ALL").unwrap();
        stmt.query_map([format!("{}/incidents/*/*/*.parquet", out.display())], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?))).unwrap().map(Result::unwrap).collect()
    };
    let stored: String = query(
        &db,
        "SELECT string_agg(source || ' ' || year || ' ' || n, ', ' ORDER BY source, year) FROM (SELECT source, year, count(*) n FROM incidents GROUP BY ALL)",
    );
    let read: Vec<String> = per_partition.iter().map(|(s, y, n)| format!("{s} {y} {n}")).collect();
    assert_eq!(read.join(", "), stored);
    let police = out.join("incidents/source=police/year=2024/data.parquet");
    let geo = geo_metadata(&conn, &police);
    assert_eq!(geo["columns"]["geometry"]["geometry_types"], serde_json::json!(["Point"]));
    let (min_x, max_x): (f64, f64) = (
        query(&db, "SELECT min(x) FROM incidents WHERE source = 'police' AND year = 2024"),
        query(&db, "SELECT max(x) FROM incidents WHERE source = 'police' AND year = 2024"),
    );
    assert_eq!(
        (geo["columns"]["geometry"]["bbox"][0].as_f64(), geo["columns"]["geometry"]["bbox"][2].as_f64()),
        (Some(min_x), Some(max_x)),
        "the file's own bbox"
    );
    let mut stmt = conn.prepare("SELECT x, y, geometry FROM read_parquet(?)").unwrap();
    let points: Vec<(f64, f64, Vec<u8>)> =
        stmt.query_map([police.display().to_string()], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?))).unwrap().map(Result::unwrap).collect();
    assert!(!points.is_empty());
    for (x, y, wkb) in points {
        assert_eq!(bomiljo::spatial::wkb::parse(&wkb).unwrap(), geo::Geometry::Point(geo::Point::new(x, y)));
    }

    let with_housing = bomiljo(&db, &["export", "--format", "geoparquet", "--with-housing", "--out", out.to_str().unwrap()]);
    assert!(with_housing.status.success());
    let housing: i64 = conn.query_row("SELECT count(*) FROM read_parquet(?)", [out.join("housing.parquet").display().to_string()], |r| r.get(0)).unwrap();
    assert_eq!(housing, query::<i64>(&db, "SELECT count(*) FROM housing"));
}
