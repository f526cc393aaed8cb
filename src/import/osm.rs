//! Reads points of interest from OpenStreetMap PBF extracts: every node, and every way (a shop
//! mapped as a building outline), carrying one of the layer's `osm_tags` (`shop=supermarket`,
//! `amenity=pharmacy`). A way's position is the mean of its distinct vertices, found in a
//! second pass over the file so memory holds only the vertices of matching ways. Rows have the
//! columns `id` (`node/1001`, `way/3001`), `name`, `category` (the tag's value), `lon`, `lat`.
//!
//! Line layers (streets) read ways as lines instead: [`read_lines`].

use std::collections::{HashMap, HashSet};
use std::path::Path;
use std::sync::Arc;

use osmpbf::{Element, ElementReader};

use super::source::ColumnIndex;
use super::{
    ImportError,
    source::{Cells, RawRow, Source},
};

/// A matching element: id, name, category and (for nodes) its position.
struct Found {
    id: String,
    name: String,
    category: String,
    position: Option<(f64, f64)>,
    way_nodes: Vec<i64>,
}

pub fn read(path: &Path, tags: &[String], layer: &str) -> Result<Source, ImportError> {
    let fail = |reason: String| ImportError::file(path, reason);
    if tags.is_empty() {
        return Err(fail(format!("layer {layer} has no osm_tags; add e.g. osm_tags = [\"shop=supermarket\"] to its TOML to read OpenStreetMap")));
    }
    let wanted: Vec<(&str, &str)> = tags.iter().filter_map(|t| t.split_once('=')).collect();
    let category_of = |tags: &mut dyn Iterator<Item = (&str, &str)>| -> (Option<String>, String) {
        let mut category = None;
        let mut name = String::new();
        for (k, v) in tags {
            if k == "name" {
                name = v.to_string();
            }
            if category.is_none() && wanted.iter().any(|&(wk, wv)| wk == k && (wv == "*" || wv == v)) {
                category = Some(v.to_string());
            }
        }
        (category, name)
    };
    let mut found = Vec::new();
    let reader = ElementReader::from_path(path).map_err(|e| fail(format!("not an OpenStreetMap PBF file: {e}")))?;
    reader
        .for_each(|element| {
            let (kind, id, (category, name), position, way_nodes) = match element {
                Element::Node(n) => ("node", n.id(), category_of(&mut n.tags()), Some((n.lon(), n.lat())), Vec::new()),
                Element::DenseNode(n) => ("node", n.id(), category_of(&mut n.tags()), Some((n.lon(), n.lat())), Vec::new()),
                Element::Way(w) => ("way", w.id(), category_of(&mut w.tags()), None, w.refs().collect()),
                Element::Relation(_) => return,
            };
            if let Some(category) = category {
                found.push(Found { id: format!("{kind}/{id}"), name, category, position, way_nodes });
            }
        })
        .map_err(|e| fail(format!("reading OpenStreetMap data: {e}")))?;
    let needed: HashSet<i64> = found.iter().flat_map(|f| f.way_nodes.iter().copied()).collect();
    let vertices = read_vertices(path, &needed).map_err(|e| fail(format!("reading OpenStreetMap way vertices: {e}")))?;
    let columns: Vec<String> = ["id", "name", "category", "lon", "lat"].map(String::from).to_vec();
    let index: Arc<ColumnIndex> = Arc::new(columns.iter().enumerate().map(|(i, c)| (c.clone(), i)).collect());
    let rows: Vec<_> = found
        .into_iter()
        .enumerate()
        .map(|(i, f)| {
            let (lon, lat) = f
                .position
                .or_else(|| mean_of_distinct(&f.way_nodes, &vertices))
                .map_or((String::new(), String::new()), |(x, y)| (x.to_string(), y.to_string()));
            Ok(RawRow {
                line: i + 1,
                feature: Some(i + 1),
                cells: Cells::Tabular { columns: Arc::clone(&index), values: vec![f.id, f.name, f.category, lon, lat] },
                geometry: None,
            })
        })
        .collect();
    let notes = vec![format!("OpenStreetMap {}", tags.join(", "))];
    Ok(Source::in_memory("osm.pbf", columns, rows, notes))
}

/// The mean of a way's distinct vertices (a closed ring repeats its first); `None` when a
/// vertex is missing from the extract.
fn mean_of_distinct(nodes: &[i64], vertices: &HashMap<i64, (f64, f64)>) -> Option<(f64, f64)> {
    let distinct: HashSet<i64> = nodes.iter().copied().collect();
    let points: Option<Vec<(f64, f64)>> = distinct.iter().map(|id| vertices.get(id).copied()).collect();
    let points = points.filter(|p| !p.is_empty())?;
    let n = points.len() as f64;
    Some((points.iter().map(|p| p.0).sum::<f64>() / n, points.iter().map(|p| p.1).sum::<f64>() / n))
}

/// Reads the ways carrying one of a line layer's `osm_tags` (`highway=*`) as lines, with the
/// columns `@id` (`way/3001`), `name`, each tag key of `osm_tags` (`highway`) and each of the
/// layer's `keep_tags` (`oneway`, `maxspeed`, ...), as an overpass GeoJSON export has them. A
/// way whose vertices are not all in the extract is cut where they are missing; pieces of fewer
/// than two vertices are dropped, and a way left with none is skipped and counted in the notes
/// (an extract cut at its border without `--strategy complete_ways`).
pub fn read_lines(path: &Path, layer: &crate::config::Layer) -> Result<Source, ImportError> {
    let fail = |reason: String| ImportError::file(path, reason);
    if layer.osm_tags.is_empty() {
        return Err(fail(format!("layer {} has no osm_tags; add e.g. osm_tags = [\"highway=*\"] to its TOML to read OpenStreetMap ways", layer.name)));
    }
    let wanted: Vec<(&str, &str)> = layer.osm_tags.iter().filter_map(|t| t.split_once('=')).collect();
    let mut columns: Vec<String> = vec!["@id".into(), "name".into()];
    for key in wanted.iter().map(|(k, _)| k.to_string()).chain(layer.keep_tags.iter().cloned()) {
        if !columns.contains(&key) {
            columns.push(key);
        }
    }
    let index: Arc<ColumnIndex> = Arc::new(columns.iter().enumerate().map(|(i, c)| (c.clone(), i)).collect());
    let mut ways: Vec<(Vec<String>, Vec<i64>)> = Vec::new();
    ElementReader::from_path(path)
        .map_err(|e| fail(format!("not an OpenStreetMap PBF file: {e}")))?
        .for_each(|element| {
            let Element::Way(way) = element else { return };
            let tags: Vec<(&str, &str)> = way.tags().collect();
            if !tags.iter().any(|&(k, v)| wanted.iter().any(|&(wk, wv)| wk == k && (wv == "*" || wv == v))) {
                return;
            }
            let mut values = vec![String::new(); columns.len()];
            values[0] = format!("way/{}", way.id());
            for (k, v) in tags {
                if let Some(&i) = index.get(k) {
                    values[i] = v.to_string();
                }
            }
            ways.push((values, way.refs().collect()));
        })
        .map_err(|e| fail(format!("reading OpenStreetMap data: {e}")))?;
    let needed: HashSet<i64> = ways.iter().flat_map(|(_, refs)| refs.iter().copied()).collect();
    let vertices = read_vertices(path, &needed).map_err(|e| fail(format!("reading OpenStreetMap way vertices: {e}")))?;
    let mut skipped = 0;
    let mut rows = Vec::with_capacity(ways.len());
    for (values, refs) in ways {
        // A vertex missing from the extract cuts the way there: joining its neighbours would draw
        // a straight chord the street does not take (across the fjord, say).
        let mut pieces: Vec<geo::LineString<f64>> = Vec::new();
        for run in refs.split(|id| !vertices.contains_key(id)) {
            let line: Vec<geo::Coord<f64>> = run.iter().filter_map(|id| vertices.get(id)).map(|&(x, y)| geo::coord! { x: x, y: y }).collect();
            if line.len() >= 2 {
                pieces.push(geo::LineString::new(line));
            }
        }
        let geometry = match pieces.len() {
            0 => {
                skipped += 1;
                continue;
            }
            1 => geojson::Geometry::from(&pieces[0]),
            _ => geojson::Geometry::from(&geo::MultiLineString(pieces)),
        };
        let n = rows.len() + 1;
        rows.push(Ok(RawRow { line: n, feature: Some(n), cells: Cells::Tabular { columns: Arc::clone(&index), values }, geometry: Some(geometry) }));
    }
    let mut notes = vec![format!("OpenStreetMap ways with {}", layer.osm_tags.join(", "))];
    if skipped > 0 {
        notes.push(format!("{skipped} ways skipped: fewer than two of their vertices are in the extract"));
    }
    let mut source = Source::in_memory("osm.pbf", columns, rows, notes);
    source.wgs84_by_default = true;
    Ok(source)
}

/// The positions (lon, lat) of the nodes asked for, in a pass over the file.
fn read_vertices(path: &Path, needed: &HashSet<i64>) -> Result<HashMap<i64, (f64, f64)>, osmpbf::Error> {
    let mut vertices = HashMap::with_capacity(needed.len());
    if needed.is_empty() {
        return Ok(vertices);
    }
    ElementReader::from_path(path)?.for_each(|element| match element {
        Element::Node(n) if needed.contains(&n.id()) => drop(vertices.insert(n.id(), (n.lon(), n.lat()))),
        Element::DenseNode(n) if needed.contains(&n.id()) => drop(vertices.insert(n.id(), (n.lon(), n.lat()))),
        _ => {}
    })?;
    Ok(vertices)
}
