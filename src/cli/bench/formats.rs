//! Writers of generated point files in the formats `bench import` measures besides CSV:
//! a GeoPackage (OGC 12-128r18: the three required metadata tables, one feature table with
//! standard geometry blobs) and a Shapefile (.shp, .shx, .dbf, .prj). Only what the bench
//! needs: points with text attributes id, date, category in EPSG:25832.

use std::path::Path;

/// One generated incident.
pub struct Row {
    pub id: String,
    pub date: String,
    pub category: String,
    pub x: f64,
    pub y: f64,
}

fn point_wkb(x: f64, y: f64) -> Vec<u8> {
    let mut wkb = vec![1u8, 1, 0, 0, 0];
    wkb.extend(x.to_le_bytes());
    wkb.extend(y.to_le_bytes());
    wkb
}

/// Writes `rows` as a GeoPackage with one table `incidents` (srs_id 25832).
pub fn write_gpkg(path: &Path, rows: &[Row]) -> rusqlite::Result<()> {
    let mut db = rusqlite::Connection::open(path)?;
    db.execute_batch(
        "PRAGMA application_id = 1196444487; PRAGMA user_version = 10300;
         CREATE TABLE gpkg_spatial_ref_sys (srs_name TEXT NOT NULL, srs_id INTEGER PRIMARY KEY, organization TEXT NOT NULL,
             organization_coordsys_id INTEGER NOT NULL, definition TEXT NOT NULL, description TEXT);
         INSERT INTO gpkg_spatial_ref_sys VALUES ('ETRS89 / UTM zone 32N', 25832, 'EPSG', 25832, 'undefined', NULL);
         CREATE TABLE gpkg_contents (table_name TEXT PRIMARY KEY, data_type TEXT NOT NULL, identifier TEXT, description TEXT DEFAULT '',
             last_change DATETIME, min_x DOUBLE, min_y DOUBLE, max_x DOUBLE, max_y DOUBLE, srs_id INTEGER);
         INSERT INTO gpkg_contents (table_name, data_type, identifier, srs_id) VALUES ('incidents', 'features', 'incidents', 25832);
         CREATE TABLE gpkg_geometry_columns (table_name TEXT NOT NULL, column_name TEXT NOT NULL, geometry_type_name TEXT NOT NULL,
             srs_id INTEGER NOT NULL, z TINYINT NOT NULL, m TINYINT NOT NULL);
         INSERT INTO gpkg_geometry_columns VALUES ('incidents', 'geom', 'POINT', 25832, 0, 0);
         CREATE TABLE incidents (fid INTEGER PRIMARY KEY AUTOINCREMENT, geom BLOB, id TEXT, date TEXT, category TEXT);",
    )?;
    let tx = db.transaction()?;
    {
        let mut insert = tx.prepare("INSERT INTO incidents (geom, id, date, category) VALUES (?, ?, ?, ?)")?;
        for row in rows {
            // Header: magic, version 0, flags (little-endian, no envelope), srs_id.
            let mut blob = vec![b'G', b'P', 0, 0b0000_0001];
            blob.extend(25832i32.to_le_bytes());
            blob.extend(point_wkb(row.x, row.y));
            insert.execute(rusqlite::params![blob, row.id, row.date, row.category])?;
        }
    }
    tx.commit()
}

/// Writes `rows` as a point Shapefile `path` (+ .shx, .dbf, .prj).
pub fn write_shapefile(path: &Path, rows: &[Row]) -> std::io::Result<()> {
    let (mut shp, mut shx) = (Vec::new(), Vec::new());
    let record_words = (4 + 8 + 8) / 2;
    let header = |file_words: usize| {
        let mut h = Vec::with_capacity(100);
        h.extend(9994i32.to_be_bytes());
        h.extend([0u8; 20]);
        h.extend((file_words as i32).to_be_bytes());
        h.extend(1000i32.to_le_bytes());
        h.extend(1i32.to_le_bytes());
        h.extend([0u8; 64]);
        h
    };
    shp.extend(header(50 + rows.len() * (4 + record_words)));
    shx.extend(header(50 + rows.len() * 4));
    for (i, row) in rows.iter().enumerate() {
        shx.extend(((shp.len() / 2) as i32).to_be_bytes());
        shx.extend((record_words as i32).to_be_bytes());
        shp.extend((i as i32 + 1).to_be_bytes());
        shp.extend((record_words as i32).to_be_bytes());
        shp.extend(1i32.to_le_bytes());
        shp.extend(row.x.to_le_bytes());
        shp.extend(row.y.to_le_bytes());
    }
    std::fs::write(path, shp)?;
    std::fs::write(path.with_extension("shx"), shx)?;
    std::fs::write(path.with_extension("prj"), "PROJCS[\"ETRS_1989_UTM_Zone_32N\"]")?;
    std::fs::write(path.with_extension("dbf"), dbf(rows))
}

fn dbf(rows: &[Row]) -> Vec<u8> {
    let fields: [(&str, usize); 3] = [("id", 16), ("date", 10), ("category", 16)];
    let record_len = 1 + fields.iter().map(|f| f.1).sum::<usize>();
    let header_len = 32 + 32 * fields.len() + 1;
    let mut out = vec![0x03, 126, 1, 1];
    out.extend((rows.len() as u32).to_le_bytes());
    out.extend((header_len as u16).to_le_bytes());
    out.extend((record_len as u16).to_le_bytes());
    out.extend([0u8; 20]);
    for (name, width) in fields {
        let mut descriptor = [0u8; 32];
        descriptor[..name.len()].copy_from_slice(name.as_bytes());
        descriptor[11] = b'C';
        descriptor[16] = width as u8;
        out.extend(descriptor);
    }
    out.push(0x0D);
    for row in rows {
        out.push(b' ');
        for (value, (_, width)) in [&row.id, &row.date, &row.category].into_iter().zip(fields) {
            out.extend(format!("{value:<width$}").bytes().take(width));
        }
    }
    out.push(0x1A);
    out
}
