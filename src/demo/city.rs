//! A fictional city of 3 bydeler × 4 delbydeler, each delbydel a 1.2 km square, laid out in
//! EPSG:25832 around Oslo's centre so that it passes the municipality's extent check.

use serde_json::json;

const NAMES: [&str; 12] = [
    "Elvebakken",
    "Kirkeløkka",
    "Møllerjordet",
    "Bryggekvartalet",
    "Skogstua",
    "Tårnhagen",
    "Fjellsletta",
    "Brønnhøgda",
    "Linjordet",
    "Sagbruket",
    "Havnelia",
    "Granåsen",
];

/// Side of a fictional delbydel, in metres.
const SIDE_M: f64 = 1200.0;
const ORIGIN: (f64, f64) = (595_000.0, 6_641_000.0);

/// The fictional delbydeler as a GeoJSON FeatureCollection in EPSG:25832, with the column names
/// of Oslo's real file (DELBYDEL, DELBYDELSN).
pub fn fictional_delbydeler() -> String {
    let features: Vec<_> = (0..12)
        .map(|i| {
            let (col, row) = ((i % 4) as f64, (i / 4) as f64);
            let (x0, y0) = (ORIGIN.0 + col * SIDE_M, ORIGIN.1 + row * SIDE_M);
            let ring = [[x0, y0], [x0 + SIDE_M, y0], [x0 + SIDE_M, y0 + SIDE_M], [x0, y0 + SIDE_M], [x0, y0]];
            json!({
                "type": "Feature",
                "properties": { "DELBYDEL": format!("{:02}{:02}", i / 4 + 1, i % 4 + 1), "DELBYDELSN": NAMES[i] },
                "geometry": { "type": "Polygon", "coordinates": [ring] }
            })
        })
        .collect();
    json!({
        "type": "FeatureCollection",
        "crs": { "type": "name", "properties": { "name": "urn:ogc:def:crs:EPSG::25832" } },
        "features": features
    })
    .to_string()
}
