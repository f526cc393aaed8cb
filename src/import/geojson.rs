//! Reads GeoJSON FeatureCollections (RFC 7946, plus the older `crs` member), keeping the line
//! each feature starts on so rejections can say `file:line`.

use std::path::Path;

use serde::Deserialize;
use serde_json::value::RawValue;

use super::{
    ImportError, Rejection,
    source::{Cells, RawRow, Source},
};
use crate::spatial::Crs;

#[derive(Deserialize)]
struct Collection<'a> {
    #[serde(rename = "type")]
    kind: String,
    crs: Option<serde_json::Value>,
    #[serde(borrow)]
    features: Vec<&'a RawValue>,
}

pub fn read(path: &Path) -> Result<Source, ImportError> {
    let text = std::fs::read_to_string(path).map_err(|e| ImportError::file(path, e.to_string()))?;
    let (rows, columns, declared_crs) = parse(&text).map_err(|reason| ImportError::file(path, reason))?;
    let len = rows.len() as u64;
    Ok(Source {
        format: "geojson",
        columns,
        declared_crs,
        wgs84_by_default: true,
        rows: Box::new(rows.into_iter()),
        len_hint: Some(len),
        decimal_comma: false,
        notes: Vec::new(),
    })
}

type Parsed = (Vec<Result<RawRow, Rejection>>, Vec<String>, Option<Crs>);

fn parse(text: &str) -> Result<Parsed, String> {
    let collection: Collection<'_> = serde_json::from_str(text).map_err(|e| format!("not a GeoJSON FeatureCollection: {e}"))?;
    if collection.kind != "FeatureCollection" {
        return Err(format!("type is \"{}\"; bomiljo imports a FeatureCollection", collection.kind));
    }
    let declared_crs = collection
        .crs
        .as_ref()
        .map(|crs| {
            let name = crs.pointer("/properties/name").and_then(|n| n.as_str()).unwrap_or_default();
            Crs::parse(name).map_err(|e| format!("crs member: {e}"))
        })
        .transpose()?;
    let mut lines = LineCounter::new(text);
    let mut columns = std::collections::BTreeSet::new();
    let rows = collection
        .features
        .iter()
        .enumerate()
        .map(|(index, raw)| {
            let line = lines.line_of(raw.get());
            let feature: geojson::Feature = raw.get().parse().map_err(|e: geojson::Error| Rejection::new(line, format!("not a GeoJSON feature: {e}")))?;
            let properties = feature.properties.unwrap_or_default();
            columns.extend(properties.keys().cloned());
            Ok(RawRow { line, feature: Some(index + 1), cells: Cells::Json(properties), geometry: feature.geometry })
        })
        .collect();
    Ok((rows, columns.into_iter().collect(), declared_crs))
}

/// Finds the line of a slice of the input, scanning forward only (features come in order).
struct LineCounter<'a> {
    text: &'a str,
    offset: usize,
    line: usize,
}

impl<'a> LineCounter<'a> {
    fn new(text: &'a str) -> Self {
        LineCounter { text, offset: 0, line: 1 }
    }

    fn line_of(&mut self, slice: &str) -> usize {
        let start = slice.as_ptr() as usize - self.text.as_ptr() as usize;
        self.line += self.text.as_bytes()[self.offset..start].iter().filter(|&&b| b == b'\n').count();
        self.offset = start;
        self.line
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn features_know_the_line_they_start_on() {
        let text = "{\"type\": \"FeatureCollection\",\n\"features\": [\n{\"type\": \"Feature\", \"properties\": {\"a\": 1}, \"geometry\": null},\n\n{\"type\": \"Feature\", \"properties\": {\"b\": 2}, \"geometry\": null}\n]}";
        let (rows, columns, crs) = parse(text).unwrap();
        let lines: Vec<_> = rows.iter().map(|r| r.as_ref().map(|r| r.line).unwrap()).collect();
        assert_eq!(lines, [3, 5]);
        assert_eq!(columns, ["a", "b"]);
        assert_eq!(crs, None);
    }
}
