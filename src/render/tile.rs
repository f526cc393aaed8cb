//! XYZ map tiles (256 px, Web Mercator) drawn from a grid in EPSG:25832, encoded as PNG.

use crate::analysis::grid::Grid;
use crate::spatial::{ANALYSIS_CRS, Crs, Transformer};

pub const TILE_PX: u32 = 256;

/// Longitude and latitude (degrees) of a pixel position in tile space.
pub fn pixel_to_lonlat(z: u32, x: f64, y: f64) -> (f64, f64) {
    let n = f64::from(TILE_PX) * 2f64.powi(z as i32);
    let lon = x / n * 360.0 - 180.0;
    let lat = (std::f64::consts::PI * (1.0 - 2.0 * y / n)).sinh().atan().to_degrees();
    (lon, lat)
}

/// Draws one tile: each pixel centre is projected to EPSG:25832 and coloured by the grid cell it
/// falls in (`colour` returns RGBA or `None` for transparent).
pub fn draw(grid: &Grid, (z, tx, ty): (u32, u32, u32), colour: impl Fn(usize) -> Option<[u8; 4]>) -> Vec<u8> {
    let to_utm = Transformer::new(Crs::Wgs84, ANALYSIS_CRS);
    let mut rgba = vec![0u8; (TILE_PX * TILE_PX * 4) as usize];
    for py in 0..TILE_PX {
        for px in 0..TILE_PX {
            let (lon, lat) = pixel_to_lonlat(z, f64::from(tx * TILE_PX + px) + 0.5, f64::from(ty * TILE_PX + py) + 0.5);
            let Ok((x, y)) = to_utm.apply(lon, lat) else { continue };
            if let Some(c) = grid.index_of(x, y).and_then(&colour) {
                let o = ((py * TILE_PX + px) * 4) as usize;
                rgba[o..o + 4].copy_from_slice(&c);
            }
        }
    }
    encode_png(&rgba, TILE_PX, TILE_PX)
}

/// The envelope of a tile in EPSG:25832, `[x0, y0, x1, y1]` (of its four corners).
pub fn envelope(z: u32, tx: u32, ty: u32) -> [f64; 4] {
    let to_utm = Transformer::new(Crs::Wgs84, ANALYSIS_CRS);
    let corners = [(0, 0), (1, 0), (0, 1), (1, 1)].map(|(dx, dy)| {
        let (lon, lat) = pixel_to_lonlat(z, f64::from((tx + dx) * TILE_PX), f64::from((ty + dy) * TILE_PX));
        to_utm.apply(lon, lat).unwrap_or((f64::NAN, f64::NAN))
    });
    let (x0, x1) = corners.iter().fold((f64::MAX, f64::MIN), |(a, b), c| (a.min(c.0), b.max(c.0)));
    let (y0, y1) = corners.iter().fold((f64::MAX, f64::MIN), |(a, b), c| (a.min(c.1), b.max(c.1)));
    [x0, y0, x1, y1]
}

/// Whether a tile can touch the grid at all (cheap test on its corners' envelope).
pub fn touches(grid: &Grid, (z, tx, ty): (u32, u32, u32)) -> bool {
    let [x0, y0, x1, y1] = envelope(z, tx, ty);
    let gx1 = grid.min_x + grid.cols as f64 * grid.cell.0;
    let gy1 = grid.min_y + grid.rows as f64 * grid.cell.0;
    x1 >= grid.min_x && x0 <= gx1 && y1 >= grid.min_y && y0 <= gy1
}

pub fn encode_png(rgba: &[u8], width: u32, height: u32) -> Vec<u8> {
    let mut out = Vec::new();
    {
        let mut encoder = png::Encoder::new(&mut out, width, height);
        encoder.set_color(png::ColorType::Rgba);
        encoder.set_depth(png::BitDepth::Eight);
        let mut writer = encoder.write_header().expect("writing a PNG header to memory cannot fail");
        writer.write_image_data(rgba).expect("the buffer matches the declared size");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tile_zero_spans_the_world() {
        let (lon, lat) = pixel_to_lonlat(0, 0.0, 0.0);
        assert!((lon + 180.0).abs() < 1e-9 && (lat - 85.051_128_78).abs() < 1e-6);
        let (lon, lat) = pixel_to_lonlat(0, 128.0, 128.0);
        assert!(lon.abs() < 1e-9 && lat.abs() < 1e-9);
    }
}
