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

/// Street names of the fictional city: east-west streets first (one per row of delbydeler and
/// along the edges), then north-south ones.
const STREETS_EAST_WEST: [&str; 7] = ["Sjøgata", "Elveveien", "Kirkegata", "Møllergata", "Skogveien", "Tårngata", "Fjellveien"];
const STREETS_NORTH_SOUTH: [&str; 9] = ["Bryggeveien", "Havnegata", "Linveien", "Sagveien", "Brønngata", "Granveien", "Åsgata", "Lundveien", "Bakkegata"];

/// Side of a fictional delbydel, in metres.
const SIDE_M: f64 = 1200.0;
const ORIGIN: (f64, f64) = (595_000.0, 6_641_000.0);

/// Streets of the fictional city as OpenStreetMap ways in GeoJSON (EPSG:25832): a grid every
/// 600 m over the delbydeler, the ones on delbydel edges `primary`, the others `residential`,
/// with the properties an overpass export has (`@id`, `name`, `highway`).
pub fn fictional_streets() -> String {
    let (cols, rows) = (4.0 * SIDE_M, 3.0 * SIDE_M);
    let step = SIDE_M / 2.0;
    let class = |i: usize| if i % 2 == 0 { "primary" } else { "residential" };
    let way = |id: String, name: &str, highway: &str, line: Vec<[f64; 2]>| {
        json!({
            "type": "Feature",
            "properties": { "@id": id, "name": name, "highway": highway },
            "geometry": { "type": "LineString", "coordinates": line }
        })
    };
    // Streets meet where they cross: each line has a vertex at every crossing street.
    let xs: Vec<f64> = (0..STREETS_NORTH_SOUTH.len()).map(|i| ORIGIN.0 + i as f64 * step).filter(|x| *x <= ORIGIN.0 + cols).collect();
    let ys: Vec<f64> = (0..STREETS_EAST_WEST.len()).map(|i| ORIGIN.1 + i as f64 * step).filter(|y| *y <= ORIGIN.1 + rows).collect();
    let along = |fixed: f64, positions: &[f64], end: f64, horizontal: bool| {
        let mut line: Vec<f64> = positions.to_vec();
        if line.last().is_some_and(|v| *v < end) {
            line.push(end);
        }
        line.into_iter().map(|v| if horizontal { [v, fixed] } else { [fixed, v] }).collect::<Vec<_>>()
    };
    let east_west = STREETS_EAST_WEST.iter().enumerate().map(|(i, name)| {
        let y = ORIGIN.1 + i as f64 * step;
        way(format!("way/{}", i + 1), name, class(i), along(y, &xs, ORIGIN.0 + cols, true))
    });
    let north_south = STREETS_NORTH_SOUTH.iter().enumerate().map(|(i, name)| {
        let x = ORIGIN.0 + i as f64 * step;
        way(format!("way/{}", 100 + i), name, class(i), along(x, &ys, ORIGIN.1 + rows, false))
    });
    json!({
        "type": "FeatureCollection",
        "crs": { "type": "name", "properties": { "name": "urn:ogc:def:crs:EPSG::25832" } },
        "features": east_west.chain(north_south).collect::<Vec<_>>()
    })
    .to_string()
}

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
