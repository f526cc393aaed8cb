//! The demo's streets: the given main roads (Oslo's real OpenStreetMap roads, or the fictional
//! city's named grid) with a synthetic grid of residential streets between them, so that the
//! demo has a network people can walk on. The shared data has central Oslo's main roads only;
//! the grid stands in for the side streets, and is tagged `bomiljo:synthetic=yes` to say so.
//!
//! Grid lines are cut into pieces between their crossings, kept where a piece's middle lies in a
//! delbydel, and meet every main road they cross at grade with a shared vertex inserted into
//! both (OpenStreetMap's topology: ways meet at shared nodes). Bridges, tunnels, motorways and
//! motorroads are crossed without a junction, as over- and underpasses.

use std::collections::HashMap;

use geo::{Coord, LineString, MultiLineString};
use serde_json::{Value, json};

use crate::index::AreaIndex;
use crate::spatial::{ANALYSIS_CRS, Crs, Transformer};

/// A main road: its properties as given and its lines in EPSG:25832.
struct Road {
    properties: serde_json::Map<String, Value>,
    lines: MultiLineString<f64>,
}

impl Road {
    /// Whether a street crossing it meets it (at grade) rather than passing over or under.
    fn at_grade(&self) -> bool {
        let tag = |k: &str| self.properties.get(k).and_then(Value::as_str);
        let grade_separated = matches!(tag("highway"), Some("motorway" | "motorway_link"))
            || tag("motorroad") == Some("yes")
            || tag("bridge").is_some_and(|v| v != "no")
            || tag("tunnel").is_some_and(|v| v != "no");
        !grade_separated
    }
}

/// Main roads (a GeoJSON FeatureCollection of lines, WGS84 unless it names EPSG:25832) with a
/// grid of residential streets every `spacing_m` over their bounding box, as one GeoJSON
/// FeatureCollection in EPSG:25832.
pub fn with_walking_grid(main_roads: &str, areas: &AreaIndex, spacing_m: f64) -> Result<String, String> {
    let mut roads = read_roads(main_roads)?;
    let extent = crate::spatial::bounds_of(roads.iter().filter_map(|r| geo::BoundingRect::bounding_rect(&r.lines)));
    if extent[0] > extent[2] {
        return Err("main roads: no lines to lay a grid between".into());
    }
    let grid = Grid::over(extent, spacing_m);
    let mut pieces: HashMap<Piece, Vec<Coord<f64>>> = HashMap::new();
    for k in 0..grid.xs.len() {
        for j in 0..grid.ys.len() - 1 {
            pieces
                .insert(Piece { vertical: true, line: k, index: j }, vec![Coord { x: grid.xs[k], y: grid.ys[j] }, Coord { x: grid.xs[k], y: grid.ys[j + 1] }]);
        }
    }
    for j in 0..grid.ys.len() {
        for k in 0..grid.xs.len() - 1 {
            pieces
                .insert(Piece { vertical: false, line: j, index: k }, vec![Coord { x: grid.xs[k], y: grid.ys[j] }, Coord { x: grid.xs[k + 1], y: grid.ys[j] }]);
        }
    }
    pieces.retain(|_, p| areas.locate((p[0].x + p[1].x) / 2.0, (p[0].y + p[1].y) / 2.0).is_some());
    for road in roads.iter_mut().filter(|r| r.at_grade()) {
        for line in &mut road.lines.0 {
            line.0 = grid.join_crossings(&line.0, &mut pieces);
        }
    }
    let mut features: Vec<Value> =
        roads.iter().map(|r| json!({ "type": "Feature", "properties": r.properties, "geometry": geojson::Geometry::from(&r.lines) })).collect();
    let mut pieces: Vec<(Piece, Vec<Coord<f64>>)> = pieces.into_iter().collect();
    pieces.sort_by_key(|(key, _)| *key);
    features.extend(pieces.into_iter().enumerate().map(|(i, (_, mut p))| {
        // A piece's vertices in order along it (one coordinate is fixed).
        p.sort_by(|u, v| (u.x + u.y).total_cmp(&(v.x + v.y)));
        json!({
            "type": "Feature",
            "properties": { "@id": format!("synthetic/{}", i + 1), "highway": "residential", "bomiljo:synthetic": "yes" },
            "geometry": geojson::Geometry::from(&LineString::new(p))
        })
    }));
    Ok(json!({ "type": "FeatureCollection", "crs": { "type": "name", "properties": { "name": "urn:ogc:def:crs:EPSG::25832" } }, "features": features })
        .to_string())
}

/// A piece of a grid line between two crossings: the line (column or row) and its place on it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
struct Piece {
    vertical: bool,
    line: usize,
    index: usize,
}

/// Grid line positions, half a step off multiples of the step (so that no grid line runs along
/// a main road laid on round numbers).
struct Grid {
    xs: Vec<f64>,
    ys: Vec<f64>,
    step: f64,
}

impl Grid {
    fn over([x0, y0, x1, y1]: [f64; 4], step: f64) -> Grid {
        let positions = |from: f64, to: f64| {
            let first = (from / step).floor() * step + step / 2.0;
            (0..).map(|i| first + i as f64 * step).take_while(|v| *v <= to + step).collect::<Vec<f64>>()
        };
        Grid { xs: positions(x0, x1), ys: positions(y0, y1), step }
    }

    /// The road line with a vertex added wherever it crosses a kept grid piece, the same vertex
    /// added to the piece.
    fn join_crossings(&self, line: &[Coord<f64>], pieces: &mut HashMap<Piece, Vec<Coord<f64>>>) -> Vec<Coord<f64>> {
        let mut out = Vec::with_capacity(line.len());
        for w in line.windows(2) {
            let (a, b) = (w[0], w[1]);
            out.push(a);
            let mut crossings: Vec<(f64, Coord<f64>)> = Vec::new();
            for (vertical, lines, across) in [(true, &self.xs, &self.ys), (false, &self.ys, &self.xs)] {
                let (fa, fb) = if vertical { (a.x, b.x) } else { (a.y, b.y) };
                for (k, &fixed) in lines.iter().enumerate().filter(|(_, f)| (fa - **f) * (fb - **f) < 0.0) {
                    let t = (fixed - fa) / (fb - fa);
                    let at = Coord { x: a.x + t * (b.x - a.x), y: a.y + t * (b.y - a.y) };
                    let along = if vertical { at.y } else { at.x };
                    let index = ((along - across[0]) / self.step).floor();
                    let on_vertex = ((along - across[0]) / self.step - index).abs() < 1e-9;
                    let Some(piece) = (index >= 0.0 && !on_vertex).then(|| pieces.get_mut(&Piece { vertical, line: k, index: index as usize })).flatten()
                    else {
                        continue;
                    };
                    piece.push(at);
                    crossings.push((t, at));
                }
            }
            crossings.sort_by(|u, v| u.0.total_cmp(&v.0));
            out.extend(crossings.into_iter().map(|(_, c)| c));
        }
        out.extend(line.last().copied());
        out
    }
}

fn read_roads(text: &str) -> Result<Vec<Road>, String> {
    let collection: Value = serde_json::from_str(text).map_err(|e| format!("main roads: {e}"))?;
    let in_utm = collection.pointer("/crs/properties/name").and_then(Value::as_str).is_some_and(|n| n.ends_with("25832"));
    let to_utm = Transformer::new(Crs::Wgs84, ANALYSIS_CRS);
    let mut roads = Vec::new();
    for feature in collection["features"].as_array().into_iter().flatten() {
        let geometry: geojson::Geometry = serde_json::from_value(feature["geometry"].clone()).map_err(|e| format!("main roads: {e}"))?;
        let lines: MultiLineString<f64> = match geo::Geometry::<f64>::try_from(geometry).map_err(|e| format!("main roads: {e}"))? {
            geo::Geometry::LineString(l) => MultiLineString(vec![l]),
            geo::Geometry::MultiLineString(m) => m,
            _ => continue,
        };
        let lines = if in_utm { lines } else { geo::MapCoords::map_coords(&lines, |c| to_utm.apply(c.x, c.y).map_or(c, |(x, y)| Coord { x, y })) };
        roads.push(Road { properties: feature["properties"].as_object().cloned().unwrap_or_default(), lines });
    }
    Ok(roads)
}
