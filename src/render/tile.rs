//! XYZ map tiles (256 px, Web Mercator) drawn from a grid in EPSG:25832, encoded as PNG.

use crate::analysis::grid::Grid;
use crate::spatial::{ANALYSIS_CRS, Crs, Transformer};

pub const TILE_PX: u32 = 256;

/// The deepest zoom served: at 20 a tile is 38 m across at Oslo's latitude.
pub const MAX_ZOOM: u32 = 20;

/// An XYZ tile that exists: `x` and `y` below 2^`z`, `z` at most [`MAX_ZOOM`]. Every tile
/// computation (pixels, longitudes, envelopes) goes through it, so the Web Mercator maths is here
/// only.
///
/// ```
/// use bomiljo::render::tile::TileId;
/// let world = TileId::new(0, 0, 0).unwrap();
/// let (lon, lat) = world.lonlat_at(128.0, 128.0);
/// assert!(lon.abs() < 1e-9 && lat.abs() < 1e-9);
/// assert!(TileId::new(3, 8, 0).is_none());
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct TileId {
    pub z: u32,
    pub x: u32,
    pub y: u32,
}

impl TileId {
    /// The tile, if it exists.
    pub fn new(z: u32, x: u32, y: u32) -> Option<TileId> {
        (z <= MAX_ZOOM && x < 1 << z && y < 1 << z).then_some(TileId { z, x, y })
    }

    /// Pixels across the world at this zoom.
    fn world_px(self) -> f64 {
        f64::from(TILE_PX) * 2f64.powi(self.z as i32)
    }

    /// Longitude and latitude (degrees) of a pixel position inside the tile (0..256 each way).
    pub fn lonlat_at(self, px: f64, py: f64) -> (f64, f64) {
        let n = self.world_px();
        let (x, y) = (f64::from(self.x * TILE_PX) + px, f64::from(self.y * TILE_PX) + py);
        let lon = x / n * 360.0 - 180.0;
        let lat = (std::f64::consts::PI * (1.0 - 2.0 * y / n)).sinh().atan().to_degrees();
        (lon, lat)
    }

    /// Where a longitude and latitude fall in the tile, on a grid of `extent` units across (a
    /// vector tile's 4096); outside the tile below 0 or above `extent`.
    pub fn position(self, lon: f64, lat: f64, extent: u32) -> (f64, f64) {
        let n = self.world_px();
        let px = (lon + 180.0) / 360.0 * n;
        let py = (1.0 - lat.to_radians().tan().asinh() / std::f64::consts::PI) / 2.0 * n;
        let scale = f64::from(extent) / f64::from(TILE_PX);
        ((px - f64::from(self.x * TILE_PX)) * scale, (py - f64::from(self.y * TILE_PX)) * scale)
    }

    /// The tile's envelope in EPSG:25832, `[x0, y0, x1, y1]` (of its four corners).
    pub fn envelope(self) -> [f64; 4] {
        let to_utm = Transformer::new(Crs::Wgs84, ANALYSIS_CRS);
        let px = f64::from(TILE_PX);
        let corners = [(0.0, 0.0), (px, 0.0), (0.0, px), (px, px)].map(|(dx, dy)| {
            let (lon, lat) = self.lonlat_at(dx, dy);
            to_utm.apply(lon, lat).unwrap_or((f64::NAN, f64::NAN))
        });
        let (x0, x1) = corners.iter().fold((f64::MAX, f64::MIN), |(a, b), c| (a.min(c.0), b.max(c.0)));
        let (y0, y1) = corners.iter().fold((f64::MAX, f64::MIN), |(a, b), c| (a.min(c.1), b.max(c.1)));
        [x0, y0, x1, y1]
    }

    /// Whether the tile can touch the grid at all (cheap test on its corners' envelope).
    pub fn touches(self, grid: &Grid) -> bool {
        let [x0, y0, x1, y1] = self.envelope();
        let gx1 = grid.min_x + grid.cols as f64 * grid.cell.0;
        let gy1 = grid.min_y + grid.rows as f64 * grid.cell.0;
        x1 >= grid.min_x && x0 <= gx1 && y1 >= grid.min_y && y0 <= gy1
    }
}

/// Draws one tile: each pixel centre is projected to EPSG:25832 and coloured by the grid cell it
/// falls in (`colour` returns RGBA or `None` for transparent).
pub fn draw(grid: &Grid, tile: TileId, colour: impl Fn(usize) -> Option<[u8; 4]>) -> Vec<u8> {
    let to_utm = Transformer::new(Crs::Wgs84, ANALYSIS_CRS);
    let mut rgba = vec![0u8; (TILE_PX * TILE_PX * 4) as usize];
    for py in 0..TILE_PX {
        for px in 0..TILE_PX {
            let (lon, lat) = tile.lonlat_at(f64::from(px) + 0.5, f64::from(py) + 0.5);
            let Ok((x, y)) = to_utm.apply(lon, lat) else { continue };
            if let Some(c) = grid.index_of(x, y).and_then(&colour) {
                let o = ((py * TILE_PX + px) * 4) as usize;
                rgba[o..o + 4].copy_from_slice(&c);
            }
        }
    }
    encode_png(&rgba, TILE_PX, TILE_PX)
}

/// A tile with nothing on it.
pub fn empty_png() -> Vec<u8> {
    encode_png(&vec![0; (TILE_PX * TILE_PX * 4) as usize], TILE_PX, TILE_PX)
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
        let world = TileId::new(0, 0, 0).unwrap();
        let (lon, lat) = world.lonlat_at(0.0, 0.0);
        assert!((lon + 180.0).abs() < 1e-9 && (lat - 85.051_128_78).abs() < 1e-6);
    }

    #[test]
    fn position_inverts_lonlat_at() {
        let tile = TileId::new(14, 8_680, 4_764).unwrap();
        let (lon, lat) = tile.lonlat_at(100.0, 200.0);
        let (x, y) = tile.position(lon, lat, 4096);
        assert!((x - 1600.0).abs() < 1e-6 && (y - 3200.0).abs() < 1e-6, "{x} {y}");
    }

    #[test]
    fn only_tiles_that_exist_are_made() {
        assert!(TileId::new(1, 1, 1).is_some());
        assert!(TileId::new(1, 2, 0).is_none() && TileId::new(1, 0, 2).is_none());
        assert!(TileId::new(MAX_ZOOM + 1, 0, 0).is_none());
    }
}
