//! Well-Known Binary (OGC Simple Features, ISO 19125-1 §8.2) to `geo` geometries: what
//! GeoPackage stores after its own header. Reads both byte orders, ISO Z/M/ZM type codes
//! (1001…, 2001…, 3001…) and EWKB flags, keeping x and y only.

use geo::{Coord, Geometry, LineString, MultiLineString, MultiPoint, MultiPolygon, Point, Polygon};

/// Parses one WKB geometry.
///
/// ```
/// // POINT (597412.37 6643877.12), little-endian.
/// let mut wkb = vec![1u8, 1, 0, 0, 0];
/// wkb.extend(597412.37f64.to_le_bytes());
/// wkb.extend(6643877.12f64.to_le_bytes());
/// let point = bomiljo::spatial::wkb::parse(&wkb).unwrap();
/// assert_eq!(point, geo::Geometry::Point(geo::Point::new(597412.37, 6643877.12)));
/// ```
pub fn parse(bytes: &[u8]) -> Result<Geometry<f64>, String> {
    let mut reader = Reader { bytes, at: 0, little: true, dims: 2 };
    reader.geometry(false)
}

struct Reader<'a> {
    bytes: &'a [u8],
    at: usize,
    little: bool,
    dims: usize,
}

impl Reader<'_> {
    fn take<const N: usize>(&mut self) -> Result<[u8; N], String> {
        let slice = self.bytes.get(self.at..self.at + N).ok_or_else(|| format!("WKB ends early at byte {}", self.at))?;
        self.at += N;
        Ok(slice.try_into().expect("slice of length N"))
    }

    fn u32(&mut self) -> Result<u32, String> {
        let b = self.take::<4>()?;
        Ok(if self.little { u32::from_le_bytes(b) } else { u32::from_be_bytes(b) })
    }

    fn f64(&mut self) -> Result<f64, String> {
        let b = self.take::<8>()?;
        Ok(if self.little { f64::from_le_bytes(b) } else { f64::from_be_bytes(b) })
    }

    fn coord(&mut self) -> Result<Coord<f64>, String> {
        let (x, y) = (self.f64()?, self.f64()?);
        for _ in 2..self.dims {
            self.f64()?;
        }
        Ok(Coord { x, y })
    }

    fn ring(&mut self) -> Result<LineString<f64>, String> {
        let n = self.u32()?;
        (0..n).map(|_| self.coord()).collect::<Result<Vec<_>, _>>().map(LineString::new)
    }

    fn polygon_body(&mut self) -> Result<Polygon<f64>, String> {
        let rings = self.u32()?;
        let mut all = (0..rings).map(|_| self.ring()).collect::<Result<Vec<_>, _>>()?.into_iter();
        let exterior = all.next().unwrap_or_else(|| LineString::new(Vec::new()));
        Ok(Polygon::new(exterior, all.collect()))
    }

    /// The members of a multi-geometry, each a full WKB geometry of the expected type (a member
    /// is never a multi-geometry itself, which keeps hostile nesting from recursing).
    fn members<T>(&mut self, pick: impl Fn(Geometry<f64>) -> Option<T>, what: &str) -> Result<Vec<T>, String> {
        let n = self.u32()?;
        (0..n).map(|_| self.geometry(true).and_then(|g| pick(g).ok_or_else(|| format!("a {what} holds another geometry type")))).collect()
    }

    fn geometry(&mut self, member: bool) -> Result<Geometry<f64>, String> {
        self.little = match self.take::<1>()?[0] {
            0 => false,
            1 => true,
            other => return Err(format!("WKB byte order {other} is neither 0 nor 1")),
        };
        let raw = self.u32()?;
        // EWKB: high bits flag Z (0x80000000), M (0x40000000) and an SRID (0x20000000).
        let (ewkb_z, ewkb_m, srid) = (raw & 0x8000_0000 != 0, raw & 0x4000_0000 != 0, raw & 0x2000_0000 != 0);
        if srid {
            self.u32()?;
        }
        let code = raw & 0x0FFF_FFFF;
        let (kind, iso_dims) = (code % 1000, code / 1000);
        self.dims = 2
            + usize::from(ewkb_z)
            + usize::from(ewkb_m)
            + match iso_dims {
                1 | 2 => 1,
                3 => 2,
                _ => 0,
            };
        if member && kind > 3 {
            return Err(format!("a multi-geometry holds another multi-geometry (type {kind}) at byte {}", self.at));
        }
        Ok(match kind {
            1 => Geometry::Point(Point(self.coord()?)),
            2 => Geometry::LineString(self.ring()?),
            3 => Geometry::Polygon(self.polygon_body()?),
            4 => Geometry::MultiPoint(MultiPoint(self.members(|g| if let Geometry::Point(p) = g { Some(p) } else { None }, "MultiPoint")?)),
            5 => Geometry::MultiLineString(MultiLineString(self.members(|g| if let Geometry::LineString(l) = g { Some(l) } else { None }, "MultiLineString")?)),
            6 => Geometry::MultiPolygon(MultiPolygon(self.members(|g| if let Geometry::Polygon(p) = g { Some(p) } else { None }, "MultiPolygon")?)),
            other => return Err(format!("WKB geometry type {other} is not supported (points, lines and polygons are)")),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn le(values: &[f64]) -> Vec<u8> {
        values.iter().flat_map(|v| v.to_le_bytes()).collect()
    }

    #[test]
    fn a_big_endian_polygon_with_a_hole_and_a_z_multipolygon_parse() {
        // POLYGON ((0 0, 4 0, 4 4, 0 0), (1 1, 2 1, 2 2, 1 1)), big-endian.
        let mut wkb = vec![0u8, 0, 0, 0, 3, 0, 0, 0, 2, 0, 0, 0, 4];
        for v in [0.0f64, 0.0, 4.0, 0.0, 4.0, 4.0, 0.0, 0.0] {
            wkb.extend(v.to_be_bytes());
        }
        wkb.extend([0, 0, 0, 4]);
        for v in [1.0f64, 1.0, 2.0, 1.0, 2.0, 2.0, 1.0, 1.0] {
            wkb.extend(v.to_be_bytes());
        }
        let Geometry::Polygon(p) = parse(&wkb).unwrap() else { panic!("not a polygon") };
        assert_eq!((p.exterior().0.len(), p.interiors().len()), (4, 1));

        // MULTIPOLYGON Z with one triangle (ISO code 1006, members 1003).
        let mut wkb = vec![1u8];
        wkb.extend(1006u32.to_le_bytes());
        wkb.extend(1u32.to_le_bytes());
        wkb.push(1);
        wkb.extend(1003u32.to_le_bytes());
        wkb.extend(1u32.to_le_bytes());
        wkb.extend(4u32.to_le_bytes());
        wkb.extend(le(&[0.0, 0.0, 9.0, 3.0, 0.0, 9.0, 0.0, 3.0, 9.0, 0.0, 0.0, 9.0]));
        let Geometry::MultiPolygon(mp) = parse(&wkb).unwrap() else { panic!("not a multipolygon") };
        assert_eq!(mp.0[0].exterior().0[1], Coord { x: 3.0, y: 0.0 });
        assert!(parse(&wkb[..20]).unwrap_err().contains("ends early"));
    }

    #[test]
    fn deeply_nested_multi_geometries_are_refused_without_recursing() {
        // 300,000 MultiPoint headers, each claiming one member: the whole nest once overflowed
        // the stack of the server.
        let header = [&[1u8][..], &4u32.to_le_bytes(), &1u32.to_le_bytes()].concat();
        let wkb: Vec<u8> = header.iter().copied().cycle().take(header.len() * 300_000).collect();
        assert!(parse(&wkb).unwrap_err().contains("holds another multi-geometry"));
    }
}
