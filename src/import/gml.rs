//! Reads GML simple features (OGC 10-100r3 profile; GML 2, 3.1 and 3.2 as Geonorge, SSB and
//! GDAL write them): each child of a `featureMember` (or `member`) is a feature, its simple
//! child elements are properties, and its geometry is a `Point`, `LineString`, `Polygon`
//! (exterior and interior rings), `MultiSurface` or `MultiPolygon` with `pos`, `posList` or
//! GML 2 `coordinates`. The CRS is the geometry's `srsName`; EPSG:4326 written as a URN is
//! latitude-first (the EPSG axis order) and is read so.

use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;

use geo::{Coord, Geometry, LineString, MultiPolygon, Point, Polygon};
use quick_xml::events::Event;

use super::source::ColumnIndex;
use super::{
    ImportError, Rejection,
    source::{Cells, RawRow, Source},
};
use crate::config::GeometryType;
use crate::spatial::Crs;

pub fn read(path: &Path, geometry: GeometryType, wanted: Option<&str>) -> Result<Source, ImportError> {
    let text = std::fs::read_to_string(path).map_err(|e| ImportError::file(path, e.to_string()))?;
    let mut parsed = parse(&text).map_err(|reason| ImportError::file(path, reason))?;
    let (kind, notes) = feature_type(&parsed.features, geometry, wanted).map_err(|reason| ImportError::file(path, reason))?;
    if let Some(kind) = &kind {
        parsed.features.retain(|f| &f.kind == kind);
    }
    // The columns of the features read, in the order the file first gives them.
    let columns: Vec<String> = parsed.columns.iter().filter(|c| parsed.features.iter().any(|f| f.properties.contains_key(*c))).cloned().collect();
    let index: Arc<ColumnIndex> = Arc::new(columns.iter().enumerate().map(|(i, c)| (c.clone(), i)).collect());
    let rows: Vec<Result<RawRow, Rejection>> = parsed
        .features
        .into_iter()
        .enumerate()
        .map(|(i, f)| {
            let number = i + 1;
            let values = columns.iter().map(|c| f.properties.get(c).cloned().unwrap_or_default()).collect();
            let geometry = f.geometry.map_err(|reason| Rejection::new(f.line, format!("feature {number}: {reason}")))?;
            Ok(RawRow {
                line: f.line,
                feature: Some(number),
                cells: Cells::Tabular { columns: Arc::clone(&index), values },
                geometry: Some(geojson::Geometry::from(&geometry)),
            })
        })
        .collect();
    let len = rows.len() as u64;
    Ok(Source {
        format: "gml",
        columns,
        declared_crs: parsed.crs,
        wgs84_by_default: true,
        rows: Box::new(rows.into_iter()),
        len_hint: Some(len),
        decimal_comma: false,
        notes,
    })
}

/// The geometry class of a feature type, from its first readable geometry.
fn class_of(geometry: &Geometry<f64>) -> &'static str {
    match geometry {
        Geometry::Point(_) | Geometry::MultiPoint(_) => "points",
        Geometry::LineString(_) | Geometry::MultiLineString(_) => "lines",
        _ => "polygons",
    }
}

/// Which feature type to read when a file holds several (SSB's grid cells beside their boundary
/// lines): the one named with `--source-layer`, else the only one whose geometry the layer takes
/// (the rest skipped, in a note). `None`: the file holds one type and every feature is read.
fn feature_type(features: &[GmlFeature], geometry: GeometryType, wanted: Option<&str>) -> Result<(Option<String>, Vec<String>), String> {
    let mut kinds: Vec<(&str, usize, Option<&'static str>)> = Vec::new();
    for f in features {
        match kinds.iter_mut().find(|(k, _, _)| *k == f.kind) {
            Some((_, n, class)) => {
                *n += 1;
                *class = class.or(f.geometry.as_ref().ok().map(class_of));
            }
            None => kinds.push((&f.kind, 1, f.geometry.as_ref().ok().map(class_of))),
        }
    }
    let listing = kinds.iter().map(|(k, n, class)| format!("{k} ({n} features, {})", class.unwrap_or("no geometry"))).collect::<Vec<_>>().join(", ");
    if let Some(name) = wanted {
        return match kinds.iter().find(|(k, _, _)| *k == name) {
            Some(_) => Ok((Some(name.to_string()), vec![format!("feature type {name}")])),
            None => Err(format!("no feature type '{name}'; the file has {listing}")),
        };
    }
    if kinds.len() < 2 {
        return Ok((None, Vec::new()));
    }
    let takes = |class: Option<&str>| match geometry {
        GeometryType::Point => class == Some("points"),
        GeometryType::Polygon => class == Some("polygons"),
        GeometryType::Line => class == Some("lines"),
        GeometryType::Any => matches!(class, Some("points" | "polygons")),
        GeometryType::None => false,
    };
    let fitting: Vec<_> = kinds.iter().filter(|(_, _, class)| takes(*class)).collect();
    match fitting.as_slice() {
        [(kind, _, _)] => {
            let skipped: Vec<String> =
                kinds.iter().filter(|(k, _, _)| k != kind).map(|(k, n, class)| format!("{n} {k} ({})", class.unwrap_or("no geometry"))).collect();
            Ok((Some(kind.to_string()), vec![format!("feature type {kind}; skipped {}", skipped.join(", "))]))
        }
        _ => Err(format!("holds several feature types: {listing}; choose one with --source-layer")),
    }
}

struct Parsed {
    columns: Vec<String>,
    features: Vec<GmlFeature>,
    crs: Option<Crs>,
}

struct GmlFeature {
    /// The feature type: the feature element's name (`Befolkning`, `Grense`).
    kind: String,
    line: usize,
    properties: HashMap<String, String>,
    geometry: Result<Geometry<f64>, String>,
}

/// A feature being read: where it starts, its properties so far, its geometry, and the first
/// coordinate error.
struct OpenFeature {
    kind: String,
    line: usize,
    properties: HashMap<String, String>,
    builder: GeometryBuilder,
    error: Option<String>,
}

/// Builds one feature's geometry from the elements inside it.
#[derive(Default)]
struct GeometryBuilder {
    /// Finished polygons, and the rings of the polygon being read.
    polygons: Vec<Polygon<f64>>,
    exterior: Option<LineString<f64>>,
    interiors: Vec<LineString<f64>>,
    in_interior: bool,
    points: Vec<Coord<f64>>,
    lines: Vec<LineString<f64>>,
    kind: Option<&'static str>,
    dimension: usize,
    lat_first: bool,
}

impl GeometryBuilder {
    fn coordinates(&self, text: &str, gml2: bool) -> Result<Vec<Coord<f64>>, String> {
        let numbers: Result<Vec<f64>, _> = if gml2 {
            text.split_whitespace().flat_map(|tuple| tuple.split(',').take(2)).map(str::parse::<f64>).collect()
        } else {
            text.split_whitespace().map(str::parse::<f64>).collect()
        };
        let numbers = numbers.map_err(|_| format!("coordinates '{}' are not numbers", text.chars().take(40).collect::<String>()))?;
        let stride = if gml2 { 2 } else { self.dimension.max(2) };
        if numbers.len() % stride != 0 {
            return Err(format!("{} numbers do not make {stride}-dimensional positions", numbers.len()));
        }
        Ok(numbers.chunks(stride).map(|c| if self.lat_first { Coord { x: c[1], y: c[0] } } else { Coord { x: c[0], y: c[1] } }).collect())
    }

    fn positions(&mut self, coords: Vec<Coord<f64>>) {
        match self.kind {
            Some("ring") => {
                let ring = LineString::new(coords);
                if self.in_interior {
                    self.interiors.push(ring);
                } else {
                    self.exterior = Some(ring);
                }
            }
            Some("line") => self.lines.push(LineString::new(coords)),
            _ => self.points.extend(coords),
        }
    }

    fn close_polygon(&mut self) {
        if let Some(exterior) = self.exterior.take() {
            self.polygons.push(Polygon::new(exterior, std::mem::take(&mut self.interiors)));
        }
    }

    fn finish(self) -> Result<Geometry<f64>, String> {
        if !self.polygons.is_empty() {
            return Ok(if self.polygons.len() == 1 {
                Geometry::Polygon(self.polygons.into_iter().next().expect("one polygon"))
            } else {
                Geometry::MultiPolygon(MultiPolygon(self.polygons))
            });
        }
        if let Some(line) = self.lines.into_iter().next() {
            return Ok(Geometry::LineString(line));
        }
        match self.points.as_slice() {
            [one] => Ok(Geometry::Point(Point(*one))),
            [] => Err("feature has no geometry".into()),
            _ => Ok(Geometry::MultiPoint(self.points.into_iter().map(Point).collect())),
        }
    }
}

fn local(name: &[u8]) -> String {
    let name = String::from_utf8_lossy(name);
    name.rsplit(':').next().unwrap_or_default().to_string()
}

fn parse(text: &str) -> Result<Parsed, String> {
    let mut reader = quick_xml::Reader::from_str(text);
    let mut stack: Vec<String> = Vec::new();
    let mut feature_depth: Option<usize> = None;
    let mut geometry_depth: Option<usize> = None;
    let mut current: Option<OpenFeature> = None;
    let mut pending_text = String::new();
    let (mut features, mut columns, mut crs) = (Vec::new(), Vec::<String>::new(), None);
    // Lines are counted from the last position asked for, not from the start each time: a file
    // of many features is read in time linear in its size.
    let counted = std::cell::Cell::new((0usize, 1usize));
    let line_of = |offset: usize| {
        let (from, line) = counted.get();
        let offset = offset.min(text.len());
        let line = if offset >= from {
            line + text.as_bytes()[from..offset].iter().filter(|&&b| b == b'\n').count()
        } else {
            text.as_bytes()[..offset].iter().filter(|&&b| b == b'\n').count() + 1
        };
        counted.set((offset, line));
        line
    };
    loop {
        let offset = reader.buffer_position() as usize;
        let event = reader.read_event().map_err(|e| format!("not well-formed XML near line {}: {e}", line_of(reader.buffer_position() as usize)))?;
        match event {
            Event::Start(e) => {
                let name = local(e.name().as_ref());
                let depth = stack.len();
                let parent_is_member = stack.last().is_some_and(|p| matches!(p.as_str(), "featureMember" | "member" | "featureMembers"));
                if parent_is_member && feature_depth.is_none() {
                    feature_depth = Some(depth);
                    current = Some(OpenFeature {
                        kind: name.clone(),
                        line: line_of(offset),
                        properties: HashMap::new(),
                        builder: GeometryBuilder::default(),
                        error: None,
                    });
                } else if let Some(OpenFeature { builder, .. }) = current.as_mut() {
                    if is_geometry(&name) && geometry_depth.is_none() {
                        geometry_depth = Some(depth);
                    }
                    if geometry_depth.is_some() {
                        for attribute in e.attributes().flatten() {
                            let key = local(attribute.key.as_ref());
                            let value = String::from_utf8_lossy(&attribute.value).into_owned();
                            if key == "srsName" {
                                let parsed = Crs::parse(&value).map_err(|err| format!("srsName {value}: {err}"))?;
                                if let Some(first) = crs.filter(|c| *c != parsed) {
                                    return Err(format!("features in two CRSs ({first} and {parsed}); convert the file to one with ogr2ogr -t_srs EPSG:25832"));
                                }
                                // EPSG's own URNs and URLs order geographic axes latitude first.
                                builder.lat_first = parsed.is_geographic() && (value.contains("urn:") || value.contains("/def/crs/EPSG"));
                                crs = Some(parsed);
                            }
                            if key == "srsDimension" {
                                builder.dimension = value.parse().unwrap_or(2);
                            }
                        }
                        match name.as_str() {
                            "LinearRing" => builder.kind = Some("ring"),
                            "LineString" => builder.kind = Some("line"),
                            "Point" => builder.kind = Some("point"),
                            "interior" | "innerBoundaryIs" => builder.in_interior = true,
                            "exterior" | "outerBoundaryIs" => builder.in_interior = false,
                            _ => {}
                        }
                    }
                }
                pending_text.clear();
                stack.push(name);
            }
            Event::Text(t) => {
                let raw = String::from_utf8_lossy(t.as_ref()).into_owned();
                pending_text.push_str(&quick_xml::escape::unescape(&raw).map_err(|e| e.to_string())?);
            }
            Event::GeneralRef(r) => {
                let entity = String::from_utf8_lossy(r.as_ref()).into_owned();
                pending_text.push_str(&quick_xml::escape::unescape(&format!("&{entity};")).map_err(|e| e.to_string())?);
            }
            Event::End(_) => {
                let name = stack.pop().unwrap_or_default();
                let depth = stack.len();
                if let Some(OpenFeature { properties, builder, error, .. }) = current.as_mut() {
                    if geometry_depth.is_some() {
                        match name.as_str() {
                            "pos" | "posList" | "coordinates" => match builder.coordinates(&pending_text, name == "coordinates") {
                                Ok(coords) => builder.positions(coords),
                                Err(reason) => *error = Some(reason),
                            },
                            "Polygon" | "PolygonPatch" => builder.close_polygon(),
                            _ => {}
                        }
                        if geometry_depth == Some(depth) {
                            geometry_depth = None;
                        }
                    } else if feature_depth.is_some_and(|f| depth == f + 1) && name != "boundedBy" {
                        properties.insert(name.clone(), pending_text.trim().to_string());
                        if !columns.contains(&name) {
                            columns.push(name.clone());
                        }
                    }
                }
                if feature_depth == Some(depth) {
                    let OpenFeature { kind, line, properties, builder, error } = current.take().expect("a feature is open");
                    let geometry = match error {
                        Some(reason) => Err(reason),
                        None => builder.finish(),
                    };
                    features.push(GmlFeature { kind, line, properties, geometry });
                    feature_depth = None;
                }
                pending_text.clear();
            }
            Event::Eof => break,
            _ => {}
        }
    }
    if features.is_empty() {
        return Err("no features: expected featureMember or member elements (GML simple features)".into());
    }
    Ok(Parsed { columns, features, crs })
}

fn is_geometry(name: &str) -> bool {
    matches!(name, "Point" | "LineString" | "Polygon" | "MultiSurface" | "MultiPolygon" | "MultiPoint" | "MultiCurve" | "MultiLineString" | "Surface" | "Curve")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gml2_coordinates_and_lat_first_urns_read_as_easting_northing() {
        let gml = r#"<wfs:FeatureCollection xmlns:wfs="w" xmlns:gml="g" xmlns:app="a"><gml:featureMember><app:stop>
            <app:name>Jernbanetorget &amp; co</app:name>
            <app:geom><gml:Point srsName="urn:ogc:def:crs:EPSG::4326"><gml:pos>59.9112 10.7522</gml:pos></gml:Point></app:geom>
            </app:stop></gml:featureMember><gml:featureMember><app:stop><app:name>B</app:name>
            <app:geom><gml:Point srsName="urn:ogc:def:crs:EPSG::4326"><gml:coordinates>59.9,10.7</gml:coordinates></gml:Point></app:geom>
            </app:stop></gml:featureMember></wfs:FeatureCollection>"#;
        let parsed = parse(gml).unwrap();
        assert_eq!(parsed.crs, Some(Crs::Wgs84));
        assert_eq!(parsed.features[0].properties["name"], "Jernbanetorget & co");
        assert_eq!(parsed.features[0].geometry.as_ref().unwrap(), &Geometry::Point(Point::new(10.7522, 59.9112)));
        assert_eq!(parsed.features[1].geometry.as_ref().unwrap(), &Geometry::Point(Point::new(10.7, 59.9)));
    }
}
