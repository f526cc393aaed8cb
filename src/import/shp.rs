//! Reads ESRI Shapefiles (ESRI Shapefile Technical Description, 1998): the `.shp` geometry,
//! the `.dbf` attributes (dBASE III), the `.cpg` code page and the `.prj` CRS. Points,
//! multipoints, lines and polygons (with Z/M variants, whose extra ordinates are dropped).
//! Polygon rings are grouped as the format defines them: clockwise rings are outer rings,
//! counter-clockwise rings are holes of the outer ring that contains them.

use super::limits::{Budget, MAX_COLUMNS};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use geo::{Contains, Coord, Geometry, LineString, MultiLineString, MultiPoint, MultiPolygon, Point, Polygon, Winding};

use super::source::ColumnIndex;
use super::{
    ImportError, Rejection,
    encoding::{Encoding, decode},
    source::{Cells, RawRow, Source},
};
use crate::spatial::Crs;

pub fn read(path: &Path, encoding: Option<Encoding>, crs_flag: Option<Crs>, budget: &Budget) -> Result<Source, ImportError> {
    let fail = |reason: String| ImportError::file(path, reason);
    let shp = std::fs::read(path).map_err(|e| fail(e.to_string()))?;
    let sibling = |ext: &str| -> Option<PathBuf> { [ext.to_string(), ext.to_uppercase()].into_iter().map(|e| path.with_extension(e)).find(|p| p.is_file()) };
    let dbf_path =
        sibling("dbf").ok_or_else(|| fail("the .dbf file with the attributes is missing; a Shapefile is .shp + .shx + .dbf (+ .prj, .cpg)".into()))?;
    let dbf = std::fs::read(&dbf_path).map_err(|e| fail(format!("{}: {e}", dbf_path.display())))?;
    let encoding = encoding.or_else(|| sibling("cpg").and_then(|p| std::fs::read_to_string(p).ok()).and_then(|text| code_page(&text)));
    let table = Dbf::parse(&dbf, encoding, budget).map_err(|e| fail(format!("{}: {e}", dbf_path.display())))?;
    let shapes = shapes(&shp).map_err(fail)?;
    if shapes.len() != table.rows.len() {
        return Err(fail(format!("the .shp has {} shapes but the .dbf {} rows; the files do not belong together", shapes.len(), table.rows.len())));
    }
    // `--crs` wins over the .prj, which is then not even read.
    let declared_crs = match (crs_flag, sibling("prj")) {
        (Some(crs), _) => Some(crs),
        (None, Some(prj)) => Some(Crs::from_wkt(&std::fs::read_to_string(&prj).map_err(|e| fail(e.to_string()))?).map_err(|e| fail(format!(".prj: {e}")))?),
        (None, None) => None,
    };
    let index: Arc<ColumnIndex> = Arc::new(table.columns.iter().enumerate().map(|(i, c)| (c.clone(), i)).collect());
    let rows: Vec<Result<RawRow, Rejection>> = shapes
        .into_iter()
        .zip(table.rows)
        .enumerate()
        .map(|(i, (shape, values))| {
            let number = i + 1;
            let geometry = shape.map_err(|reason| Rejection::new(number, format!("feature {number}: {reason}")))?;
            Ok(RawRow {
                line: number,
                feature: Some(number),
                cells: Cells::Tabular { columns: Arc::clone(&index), values },
                geometry: geometry.as_ref().map(geojson::Geometry::from),
            })
        })
        .collect();
    let len = rows.len() as u64;
    let mut notes = vec![format!("{} attributes", table.encoding_name)];
    if crs_flag.is_none() && declared_crs.is_none() {
        notes.push("no .prj: pass --crs if the coordinates are not degrees".into());
    }
    Ok(Source {
        format: "shp",
        columns: table.columns,
        declared_crs,
        wgs84_by_default: true,
        rows: Box::new(rows.into_iter()),
        len_hint: Some(len),
        decimal_comma: false,
        notes,
    })
}

/// The encoding a `.cpg` file names (ArcGIS writes `1252`, GDAL `CP1252` or `UTF-8`).
fn code_page(text: &str) -> Option<Encoding> {
    match text.trim().to_ascii_lowercase().as_str() {
        "65001" => Some(Encoding::Utf8),
        "ansi 1252" | "8859_1" => Some(Encoding::Windows1252),
        name => name.parse().ok(),
    }
}

/// One geometry per record; a record that cannot be read is an error for that feature only.
type Shape = Result<Option<Geometry<f64>>, String>;

fn shapes(shp: &[u8]) -> Result<Vec<Shape>, String> {
    if shp.len() < 100 || be_i32(shp, 0) != 9994 {
        return Err("not a Shapefile (.shp file code is not 9994)".into());
    }
    let end = count(be_i32(shp, 24), "file length")?.saturating_mul(2).min(shp.len());
    let mut at = 100;
    let mut out = Vec::new();
    while at + 8 <= end {
        let length = count(be_i32(shp, at + 4), "record length")? * 2;
        let content = shp.get(at + 8..(at + 8).saturating_add(length)).ok_or("the .shp ends inside a record")?;
        out.push(shape(content));
        at += 8 + length;
    }
    Ok(out)
}

fn shape(c: &[u8]) -> Shape {
    let need = |n: usize| if c.len() >= n { Ok(()) } else { Err(format!("shape record is {} bytes, too short", c.len())) };
    need(4)?;
    let kind = le_i32(c, 0);
    let coord = |at: usize| Coord { x: le_f64(c, at), y: le_f64(c, at + 8) };
    match kind {
        0 => Ok(None),
        1 | 11 | 21 => {
            need(20)?;
            Ok(Some(Geometry::Point(Point(coord(4)))))
        }
        8 | 18 | 28 => {
            need(40)?;
            let n = count(le_i32(c, 36), "point count")?;
            need(n.saturating_mul(16).saturating_add(40))?;
            Ok(Some(Geometry::MultiPoint(MultiPoint((0..n).map(|i| Point(coord(40 + 16 * i))).collect()))))
        }
        3 | 13 | 23 | 5 | 15 | 25 => {
            need(44)?;
            let (parts, points) = (count(le_i32(c, 36), "part count")?, count(le_i32(c, 40), "point count")?);
            let first_point = parts.saturating_mul(4).saturating_add(44);
            need(points.saturating_mul(16).saturating_add(first_point))?;
            let starts: Vec<usize> = (0..parts).map(|i| le_i32(c, 44 + 4 * i) as usize).chain([points]).collect();
            // Each part starts where the previous ended or later: starts that go back would copy
            // the same points once per part (a few MB of them held memory without bound).
            if starts.windows(2).any(|w| w[0] > w[1]) {
                return Err(format!(
                    "part starts {} are not in order within {points} points",
                    starts.iter().take(8).map(|s| s.to_string()).collect::<Vec<_>>().join(", ")
                ));
            }
            let rings: Vec<LineString<f64>> = starts.windows(2).map(|w| (w[0]..w[1].min(points)).map(|i| coord(first_point + 16 * i)).collect()).collect();
            Ok(Some(if kind % 10 == 3 { Geometry::MultiLineString(MultiLineString(rings)) } else { Geometry::MultiPolygon(polygons(rings)) }))
        }
        other => Err(format!("shape type {other} is not supported")),
    }
}

/// Groups rings into polygons: clockwise rings are outer, the others holes of the outer ring
/// that contains their first vertex (or outer rings themselves when none does).
fn polygons(rings: Vec<LineString<f64>>) -> MultiPolygon<f64> {
    let (outer, holes): (Vec<_>, Vec<_>) = rings.into_iter().partition(|r| r.is_cw());
    let mut polygons: Vec<Polygon<f64>> = outer.into_iter().map(|r| Polygon::new(r, Vec::new())).collect();
    for hole in holes {
        let first = hole.0.first().copied().map(Point);
        match first.and_then(|p| polygons.iter_mut().find(|poly| poly.contains(&p))) {
            Some(polygon) => polygon.interiors_push(hole),
            None => polygons.push(Polygon::new(hole, Vec::new())),
        }
    }
    MultiPolygon(polygons)
}

/// A count or length from a header: never negative.
fn count(value: i32, what: &str) -> Result<usize, String> {
    usize::try_from(value).map_err(|_| format!("a negative {what} ({value})"))
}

fn be_i32(b: &[u8], at: usize) -> i32 {
    i32::from_be_bytes(b[at..at + 4].try_into().expect("4 bytes"))
}

fn le_i32(b: &[u8], at: usize) -> i32 {
    i32::from_le_bytes(b[at..at + 4].try_into().expect("4 bytes"))
}

fn le_f64(b: &[u8], at: usize) -> f64 {
    f64::from_le_bytes(b[at..at + 8].try_into().expect("8 bytes"))
}

/// A dBASE III table: column names and every row's cells as text.
struct Dbf {
    columns: Vec<String>,
    rows: Vec<Vec<String>>,
    encoding_name: &'static str,
}

impl Dbf {
    fn parse(b: &[u8], encoding: Option<Encoding>, budget: &Budget) -> Result<Dbf, String> {
        if b.len() < 32 {
            return Err("not a dBASE file".into());
        }
        let records = u32::from_le_bytes(b[4..8].try_into().expect("4 bytes")) as usize;
        let header = usize::from(u16::from_le_bytes([b[8], b[9]]));
        let record = usize::from(u16::from_le_bytes([b[10], b[11]]));
        // Language driver 0x57 and 0x03 are Windows ANSI (1252); without a .cpg, trust it.
        let encoding = encoding.or(matches!(b[29], 0x03 | 0x57).then_some(Encoding::Windows1252));
        let text = |bytes: &[u8]| decode(bytes.to_vec(), encoding).map(|(t, e)| (t.trim().to_string(), e));
        let mut fields = Vec::new();
        let mut at = 32;
        while at + 32 <= header && b[at] != 0x0D {
            let name_bytes = &b[at..at + 11];
            let name_end = name_bytes.iter().position(|&c| c == 0).unwrap_or(11);
            let (name, _) = text(&name_bytes[..name_end])?;
            fields.push((name, usize::from(b[at + 16]), b[at + 11]));
            at += 32;
        }
        // The header's record count is checked against the file before anything is allocated.
        let holds = b.len().saturating_sub(header) / record.max(1);
        if records > holds {
            return Err(format!("the .dbf header claims {records} records of {record} bytes, but the file holds {holds}"));
        }
        if fields.len() > MAX_COLUMNS || records.saturating_mul(fields.len()) > budget.cells {
            return Err(format!(
                "the .dbf holds {records} records of {} fields; an import reads at most {MAX_COLUMNS} fields and {} cells ({})",
                fields.len(),
                budget.cells,
                budget.advice()
            ));
        }
        let mut rows = Vec::with_capacity(records);
        let mut used = encoding.unwrap_or(Encoding::Utf8);
        for r in 0..records {
            let start = header + r * record;
            let row = b.get(start..start + record).ok_or_else(|| format!("the .dbf ends at record {}", r + 1))?;
            if row[0] == b'*' {
                continue;
            }
            let mut offset = 1;
            let mut cells = Vec::with_capacity(fields.len());
            for (_, width, kind) in &fields {
                let (cell, e) = text(row.get(offset..offset + width).ok_or("a .dbf record is shorter than its fields")?)?;
                used = if e == Encoding::Windows1252 { e } else { used };
                cells.push(typed(*kind, cell));
                offset += width;
            }
            rows.push(cells);
        }
        let encoding_name = used.name();
        Ok(Dbf { columns: fields.into_iter().map(|(n, _, _)| n).collect(), rows, encoding_name })
    }
}

/// A cell as its dBASE field type says: `D` dates (`20250627`) as ISO dates, `L` logicals
/// (`T`, `Y`, `F`, `N`, `?`) as true, false or empty; other types as written.
fn typed(kind: u8, cell: String) -> String {
    match kind {
        b'D' if cell.len() == 8 && cell.bytes().all(|c| c.is_ascii_digit()) => format!("{}-{}-{}", &cell[..4], &cell[4..6], &cell[6..]),
        b'L' => match cell.as_str() {
            "T" | "t" | "Y" | "y" => "true".into(),
            "F" | "f" | "N" | "n" => "false".into(),
            _ => String::new(),
        },
        _ => cell,
    }
}
