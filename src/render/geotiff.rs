//! A metre grid as a Cloud-Optimized GeoTIFF: one band of 32-bit floats in 256 px tiles
//! compressed with Deflate, the image file directory before the tile data (so a reader fetches
//! it with the first request), georeferenced by GeoTIFF keys (EPSG code, pixel scale, tie point)
//! and a no-data value GDAL and QGIS read (`GDAL_NODATA`).
//!
//! References: TIFF 6.0 (tiles, section 15); OGC GeoTIFF 1.1 (ModelPixelScale, ModelTiepoint,
//! GeoKeyDirectory); the COG layout GDAL's `validate_cloud_optimized_geotiff.py` checks. No
//! overviews: a municipality at 25 m is about 1,200 × 1,000 px.
//!
//! ```
//! use bomiljo::analysis::grid::Grid;
//! use bomiljo::spatial::Metres;
//! let grid = Grid { min_x: 597_000.0, min_y: 6_642_000.0, cell: Metres(50.0), cols: 3, rows: 2 };
//! let tiff = bomiljo::render::geotiff::cloud_optimized(&grid, &[Some(1.0), None, Some(3.0), Some(4.0), Some(5.0), Some(6.0)], 25832);
//! assert_eq!(&tiff[..4], b"II*\0");
//! ```

use std::io::Write;

use crate::analysis::grid::Grid;

/// Tile edge in pixels.
const TILE: usize = 256;
/// What a cell without a value holds.
pub const NO_DATA: f32 = -9999.0;

/// TIFF field types.
const SHORT: u16 = 3;
const LONG: u16 = 4;
const ASCII: u16 = 2;
const DOUBLE: u16 = 12;

/// One directory entry's value, written inline (4 bytes or less) or after the directory.
enum Value {
    Shorts(Vec<u16>),
    Longs(Vec<u32>),
    Doubles(Vec<f64>),
    Ascii(String),
}

impl Value {
    fn kind_and_count(&self) -> (u16, u32) {
        match self {
            Value::Shorts(v) => (SHORT, v.len() as u32),
            Value::Longs(v) => (LONG, v.len() as u32),
            Value::Doubles(v) => (DOUBLE, v.len() as u32),
            Value::Ascii(s) => (ASCII, s.len() as u32 + 1),
        }
    }

    fn bytes(&self) -> Vec<u8> {
        match self {
            Value::Shorts(v) => v.iter().flat_map(|n| n.to_le_bytes()).collect(),
            Value::Longs(v) => v.iter().flat_map(|n| n.to_le_bytes()).collect(),
            Value::Doubles(v) => v.iter().flat_map(|n| n.to_le_bytes()).collect(),
            Value::Ascii(s) => s.bytes().chain([0]).collect(),
        }
    }
}

/// The grid's values (row 0 at `min_y`, as `Grid` orders them) as a COG in EPSG `epsg`,
/// north up; `None` cells hold [`NO_DATA`].
pub fn cloud_optimized(grid: &Grid, values: &[Option<f64>], epsg: u16) -> Vec<u8> {
    let (across, down) = (grid.cols.div_ceil(TILE), grid.rows.div_ceil(TILE));
    let tiles: Vec<Vec<u8>> = (0..down).flat_map(|ty| (0..across).map(move |tx| (tx, ty))).map(|(tx, ty)| tile(grid, values, tx, ty)).collect();
    let cell = grid.cell.0;
    let top = grid.min_y + grid.rows as f64 * cell;
    // Offsets are filled in below, once the directory's size is known; their count is fixed.
    let mut entries: Vec<(u16, Value)> = vec![
        (256, Value::Longs(vec![grid.cols as u32])),
        (257, Value::Longs(vec![grid.rows as u32])),
        (258, Value::Shorts(vec![32])),
        (259, Value::Shorts(vec![8])), // Deflate
        (262, Value::Shorts(vec![1])), // black is zero
        (277, Value::Shorts(vec![1])),
        (284, Value::Shorts(vec![1])),
        (322, Value::Shorts(vec![TILE as u16])),
        (323, Value::Shorts(vec![TILE as u16])),
        (324, Value::Longs(vec![0; tiles.len()])),
        (325, Value::Longs(tiles.iter().map(|t| t.len() as u32).collect())),
        (339, Value::Shorts(vec![3])), // IEEE float
        (33550, Value::Doubles(vec![cell, cell, 0.0])),
        (33922, Value::Doubles(vec![0.0, 0.0, 0.0, grid.min_x, top, 0.0])),
        // Version 1.1.0, 4 keys: projected, pixel is area, the EPSG code, metres.
        (34735, Value::Shorts(vec![1, 1, 0, 4, 1024, 0, 1, 1, 1025, 0, 1, 1, 3072, 0, 1, epsg, 3076, 0, 1, 9001])),
        (42113, Value::Ascii(format!("{NO_DATA}"))),
    ];
    let directory = 8 + 2 + entries.len() * 12 + 4;
    let extra: usize = entries.iter().map(|(_, v)| v.bytes().len()).filter(|&n| n > 4).map(|n| n + n % 2).sum();
    let mut offset = (directory + extra) as u32;
    if let Some((_, Value::Longs(offsets))) = entries.iter_mut().find(|(tag, _)| *tag == 324) {
        for (slot, t) in offsets.iter_mut().zip(&tiles) {
            *slot = offset;
            offset += t.len() as u32;
        }
    }
    write(&entries, directory, tiles)
}

/// The header, the directory (values that do not fit inline right after it), then the tiles.
fn write(entries: &[(u16, Value)], directory: usize, tiles: Vec<Vec<u8>>) -> Vec<u8> {
    let mut out = Vec::new();
    out.extend_from_slice(b"II*\0");
    out.extend_from_slice(&8u32.to_le_bytes());
    out.extend_from_slice(&(entries.len() as u16).to_le_bytes());
    let mut after = Vec::new();
    for (tag, value) in entries {
        let (kind, count) = value.kind_and_count();
        out.extend_from_slice(&tag.to_le_bytes());
        out.extend_from_slice(&kind.to_le_bytes());
        out.extend_from_slice(&count.to_le_bytes());
        let mut bytes = value.bytes();
        if bytes.len() <= 4 {
            bytes.resize(4, 0);
            out.extend_from_slice(&bytes);
        } else {
            out.extend_from_slice(&((directory + after.len()) as u32).to_le_bytes());
            after.extend_from_slice(&bytes);
            if after.len() % 2 == 1 {
                after.push(0);
            }
        }
    }
    out.extend_from_slice(&0u32.to_le_bytes()); // no further directory
    out.extend_from_slice(&after);
    tiles.iter().for_each(|t| out.extend_from_slice(t));
    out
}

/// Tile (`tx`, `ty`), counted from the top left, as Deflate-compressed little-endian floats;
/// the part beyond the grid's edge holds no-data.
fn tile(grid: &Grid, values: &[Option<f64>], tx: usize, ty: usize) -> Vec<u8> {
    let mut raw = Vec::with_capacity(TILE * TILE * 4);
    for r in 0..TILE {
        let row_from_top = ty * TILE + r;
        for c in 0..TILE {
            let col = tx * TILE + c;
            let value = (col < grid.cols && row_from_top < grid.rows)
                .then(|| values.get((grid.rows - 1 - row_from_top) * grid.cols + col).copied().flatten())
                .flatten()
                .map_or(NO_DATA, |v| v as f32);
            raw.extend_from_slice(&value.to_le_bytes());
        }
    }
    let mut encoder = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
    encoder.write_all(&raw).expect("writing to memory");
    encoder.finish().expect("writing to memory")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::spatial::Metres;

    fn u16_at(b: &[u8], at: usize) -> u16 {
        u16::from_le_bytes([b[at], b[at + 1]])
    }

    fn u32_at(b: &[u8], at: usize) -> u32 {
        u32::from_le_bytes(b[at..at + 4].try_into().unwrap())
    }

    #[test]
    fn the_directory_comes_first_with_sorted_tags_and_tiles_follow_it() {
        let grid = Grid { min_x: 0.0, min_y: 0.0, cell: Metres(10.0), cols: 300, rows: 20 };
        let tiff = cloud_optimized(&grid, &vec![Some(1.0); 6000], 25832);
        assert_eq!(u32_at(&tiff, 4), 8);
        let n = u16_at(&tiff, 8) as usize;
        let tags: Vec<u16> = (0..n).map(|i| u16_at(&tiff, 10 + 12 * i)).collect();
        assert!(tags.windows(2).all(|w| w[0] < w[1]), "{tags:?}");
        // Two tiles across (300 px), one down; the first begins after the directory's values.
        let offsets_entry = 10 + 12 * tags.iter().position(|&t| t == 324).unwrap();
        assert_eq!(u32_at(&tiff, offsets_entry + 4), 2);
        let first_tile = u32_at(&tiff, u32_at(&tiff, offsets_entry + 8) as usize) as usize;
        assert!(first_tile > 10 + 12 * n && first_tile < tiff.len());
    }

    #[test]
    fn rows_run_north_to_south_and_missing_cells_hold_no_data() {
        let grid = Grid { min_x: 0.0, min_y: 0.0, cell: Metres(10.0), cols: 2, rows: 2 };
        // Row 0 is the southern row: (1, 2) south, (None, 4) north.
        let bytes = tile(&grid, &[Some(1.0), Some(2.0), None, Some(4.0)], 0, 0);
        let mut raw = Vec::new();
        std::io::Read::read_to_end(&mut flate2::read::ZlibDecoder::new(&bytes[..]), &mut raw).unwrap();
        let at = |r: usize, c: usize| f32::from_le_bytes(raw[(r * TILE + c) * 4..(r * TILE + c) * 4 + 4].try_into().unwrap());
        assert_eq!([at(0, 0), at(0, 1), at(1, 0), at(1, 1), at(0, 2)], [NO_DATA, 4.0, 1.0, 2.0, NO_DATA]);
    }
}
