//! The CRSs bomiljo accepts, and transforms between them (pure Rust, via proj4rs).
//!
//! ETRS89 and WGS84 are treated as identical (a null datum shift), which is what PROJ does for
//! EPSG:4326 ↔ EPSG:25832/25833 without a transformation grid. Agreement with PROJ 9 over Oslo
//! is tested to under 1 mm (see the tests below).

use proj4rs::proj::Proj;

/// The CRS all analysis geometry is kept in: EPSG:25832, metres.
pub const ANALYSIS_CRS: Crs = Crs::Utm32;

/// A coordinate reference system bomiljo can read.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Crs {
    /// EPSG:4326 / OGC:CRS84: longitude, latitude in degrees (GeoJSON's default order).
    Wgs84,
    /// EPSG:25832: ETRS89 / UTM zone 32N, metres.
    Utm32,
    /// EPSG:25833: ETRS89 / UTM zone 33N, metres (common in national datasets).
    Utm33,
}

#[derive(Debug, thiserror::Error)]
pub enum CrsError {
    #[error("unknown CRS '{0}'; bomiljo reads EPSG:4326 (or CRS84), EPSG:25832 and EPSG:25833")]
    Unknown(String),
    #[error("cannot transform ({x}, {y}) from {from} to {to}: {reason}")]
    Transform { x: f64, y: f64, from: Crs, to: Crs, reason: String },
}

impl Crs {
    /// Parses the names files and users give a CRS: `EPSG:25832`, `25832`,
    /// `urn:ogc:def:crs:EPSG::25832`, `urn:ogc:def:crs:OGC:1.3:CRS84`, `CRS84`.
    ///
    /// ```
    /// use bomiljo::spatial::Crs;
    /// assert_eq!(Crs::parse("urn:ogc:def:crs:OGC:1.3:CRS84").unwrap(), Crs::Wgs84);
    /// assert_eq!(Crs::parse("epsg:25833").unwrap(), Crs::Utm33);
    /// ```
    pub fn parse(name: &str) -> Result<Crs, CrsError> {
        let upper = name.trim().to_ascii_uppercase();
        if upper.ends_with("CRS84") {
            return Ok(Crs::Wgs84);
        }
        let code = upper.rsplit(':').next().unwrap_or_default();
        match code {
            "4326" | "4258" => Ok(Crs::Wgs84),
            "25832" => Ok(Crs::Utm32),
            "25833" => Ok(Crs::Utm33),
            _ => Err(CrsError::Unknown(name.to_string())),
        }
    }

    /// The CRS a WKT (1 or 2, ESRI's `.prj` flavour included) describes, for files that carry no
    /// EPSG code: ETRS89 / UTM zones 32N and 33N (by name, or by a transverse Mercator with
    /// central meridian 9° or 15°, scale 0.9996, false easting 500 000 m on ETRS89/EUREF89/GRS80),
    /// and geographic coordinates on ETRS89 or WGS84.
    ///
    /// ```
    /// use bomiljo::spatial::Crs;
    /// let esri = r#"PROJCS["ETRS89_UTM33",GEOGCS["GCS_ETRS_1989",DATUM["D_ETRS_1989",SPHEROID["GRS_1980",6378137.0,298.257222101]],
    ///     PRIMEM["Greenwich",0.0],UNIT["Degree",0.0174532925199433]],PROJECTION["Transverse_Mercator"],PARAMETER["False_Easting",500000.0],
    ///     PARAMETER["False_Northing",0.0],PARAMETER["Central_Meridian",15.0],PARAMETER["Scale_Factor",0.9996],
    ///     PARAMETER["Latitude_Of_Origin",0.0],UNIT["Meter",1.0]]"#;
    /// assert_eq!(Crs::from_wkt(esri).unwrap(), Crs::Utm33);
    /// ```
    pub fn from_wkt(wkt: &str) -> Result<Crs, String> {
        let text = wkt.to_ascii_uppercase().replace([' ', '-'], "_");
        let refuse = |why: &str| {
            Err(format!(
                "the CRS {why} ({}...); pass --crs EPSG:25832 or EPSG:25833 if you know it, or reproject with ogr2ogr -t_srs EPSG:25832",
                wkt.chars().take(60).collect::<String>()
            ))
        };
        if !(text.contains("PROJCS") || text.contains("PROJCRS") || text.contains("PROJECTEDCRS")) {
            return if text.contains("GEOGCS") || text.contains("GEOGCRS") || text.contains("GEODCRS") {
                Ok(Crs::Wgs84)
            } else {
                refuse("is not one bomiljo reads")
            };
        }
        let etrs = ["ETRS", "EUREF", "GRS_1980", "GRS80", "GRS_80"].iter().any(|d| text.contains(d));
        if text.contains("UTM_ZONE_32N") || text.contains("UTM32") {
            return if etrs { Ok(Crs::Utm32) } else { refuse("is UTM zone 32N on another datum than ETRS89") };
        }
        if text.contains("UTM_ZONE_33N") || text.contains("UTM33") {
            return if etrs { Ok(Crs::Utm33) } else { refuse("is UTM zone 33N on another datum than ETRS89") };
        }
        let parameter = |name: &str| -> Option<f64> {
            let at = text.find(&format!("\"{name}\""))?;
            text[at..].split(',').nth(1)?.trim_end_matches([']', ')']).trim().parse().ok()
        };
        let mercator = text.contains("TRANSVERSE_MERCATOR") && parameter("SCALE_FACTOR").or(parameter("SCALE_FACTOR_AT_NATURAL_ORIGIN")) == Some(0.9996);
        let false_easting = parameter("FALSE_EASTING").is_some_and(|e| (e - 500_000.0).abs() < 1e-6);
        let meridian = parameter("CENTRAL_MERIDIAN").or(parameter("LONGITUDE_OF_NATURAL_ORIGIN"));
        match (mercator && false_easting && etrs, meridian) {
            (true, Some(m)) if (m - 9.0).abs() < 1e-9 => Ok(Crs::Utm32),
            (true, Some(m)) if (m - 15.0).abs() < 1e-9 => Ok(Crs::Utm33),
            _ => refuse("is a projection bomiljo does not read"),
        }
    }

    /// The EPSG code.
    pub fn epsg(self) -> u16 {
        match self {
            Crs::Wgs84 => 4326,
            Crs::Utm32 => 25832,
            Crs::Utm33 => 25833,
        }
    }

    /// True for CRSs whose coordinates are degrees.
    pub fn is_geographic(self) -> bool {
        self == Crs::Wgs84
    }

    fn proj_string(self) -> &'static str {
        match self {
            Crs::Wgs84 => "+proj=longlat +ellps=GRS80 +towgs84=0,0,0 +no_defs",
            Crs::Utm32 => "+proj=utm +zone=32 +ellps=GRS80 +towgs84=0,0,0 +units=m +no_defs",
            Crs::Utm33 => "+proj=utm +zone=33 +ellps=GRS80 +towgs84=0,0,0 +units=m +no_defs",
        }
    }
}

impl std::fmt::Display for Crs {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "EPSG:{}", self.epsg())
    }
}

/// Transforms coordinates from one [`Crs`] to another. Build once, apply many times.
///
/// Degrees in, degrees out for [`Crs::Wgs84`]; metres otherwise.
///
/// ```
/// use bomiljo::spatial::{Crs, Transformer};
/// let t = Transformer::new(Crs::Utm32, Crs::Utm32);
/// assert_eq!(t.apply(597_000.0, 6_643_000.0).unwrap(), (597_000.0, 6_643_000.0));
/// ```
pub struct Transformer {
    from: Crs,
    to: Crs,
    projs: Option<(Proj, Proj)>,
}

/// Longest polygon edge, in degrees, projected as one straight piece (≈ 55 m north-south, 28 m
/// east-west in Oslo; the piece then bends from the true edge by well under a millimetre).
pub const DENSIFY_DEGREES: f64 = 0.0005;

impl Transformer {
    pub fn new(from: Crs, to: Crs) -> Transformer {
        let projs = (from != to).then(|| {
            let build = |crs: Crs| Proj::from_proj_string(crs.proj_string()).unwrap_or_else(|e| panic!("built-in proj string for {crs} is invalid: {e}"));
            (build(from), build(to))
        });
        Transformer { from, to, projs }
    }

    /// Transforms one coordinate pair.
    pub fn apply(&self, x: f64, y: f64) -> Result<(f64, f64), CrsError> {
        let Some((src, dst)) = &self.projs else {
            return Ok((x, y));
        };
        let fail = |reason: String| CrsError::Transform { x, y, from: self.from, to: self.to, reason };
        if !x.is_finite() || !y.is_finite() {
            return Err(fail("coordinate is not a finite number".into()));
        }
        let mut p = if self.from.is_geographic() { (x.to_radians(), y.to_radians(), 0.0) } else { (x, y, 0.0) };
        proj4rs::transform::transform(src, dst, &mut p).map_err(|e| fail(e.to_string()))?;
        if self.to.is_geographic() { Ok((p.0.to_degrees(), p.1.to_degrees())) } else { Ok((p.0, p.1)) }
    }

    /// Transforms every coordinate of a geometry. Polygon edges from a geographic CRS are
    /// first cut into pieces of at most `DENSIFY_DEGREES`: an edge is straight in the CRS it
    /// is drawn in (RFC 7946 for GeoJSON), and a long edge straight in degrees bends in metres.
    /// Projecting only its ends moved Oslo's delbydel boundaries by up to 11 cm, enough to put
    /// points near them in the neighbouring delbydel.
    pub fn geometry(&self, g: &geo::Geometry<f64>) -> Result<geo::Geometry<f64>, CrsError> {
        use geo::{Densify, Euclidean, MapCoords};
        let densified = match g {
            geo::Geometry::Polygon(p) if self.densifies() => geo::Geometry::Polygon(Euclidean.densify(p, DENSIFY_DEGREES)),
            geo::Geometry::MultiPolygon(mp) if self.densifies() => geo::Geometry::MultiPolygon(Euclidean.densify(mp, DENSIFY_DEGREES)),
            other => other.clone(),
        };
        densified.try_map_coords(|c| self.apply(c.x, c.y).map(|(x, y)| geo::coord! { x: x, y: y }))
    }

    fn densifies(&self) -> bool {
        self.from.is_geographic() && !self.to.is_geographic()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wkts_name_the_zone_or_are_refused_with_what_to_do() {
        let wkt2 = r#"PROJCRS["ETRS89 / UTM zone 32N",BASEGEOGCRS["ETRS89",DATUM["European Terrestrial Reference System 1989",ELLIPSOID["GRS 1980",6378137,298.257222101]]],CONVERSION["UTM zone 32N",METHOD["Transverse Mercator"]]]"#;
        assert_eq!(Crs::from_wkt(wkt2).unwrap(), Crs::Utm32);
        assert_eq!(Crs::from_wkt(r#"GEOGCS["GCS_ETRS_1989",DATUM["D_ETRS_1989",SPHEROID["GRS_1980",6378137.0,298.257222101]]]"#).unwrap(), Crs::Wgs84);
        let wgs84_utm = r#"PROJCS["WGS 84 / UTM zone 32N",GEOGCS["WGS 84",DATUM["WGS_1984",SPHEROID["WGS 84",6378137,298.257223563]]]]"#;
        assert!(Crs::from_wkt(wgs84_utm).unwrap_err().contains("another datum than ETRS89"));
        let lambert = r#"PROJCS["ETRS89_LAEA",GEOGCS["GCS_ETRS_1989",DATUM["D_ETRS_1989",SPHEROID["GRS_1980",6378137.0,298.257222101]]],PROJECTION["Lambert_Azimuthal_Equal_Area"],PARAMETER["False_Easting",4321000.0]]"#;
        assert!(Crs::from_wkt(lambert).unwrap_err().contains("pass --crs"));
    }

    // Reference values computed with PROJ 9.1.1 (`cs2cs -f %.4f EPSG:4326 EPSG:25832`,
    // input in EPSG:4326's lat/lon axis order), at points spread over Oslo.
    const WGS84_TO_UTM32: [((f64, f64), (f64, f64)); 5] = [
        ((10.7522, 59.9139), (597979.9029, 6643118.9914)),
        ((10.6, 60.1), (588969.0080, 6663625.0476)),
        ((10.9, 59.8), (606606.9558, 6630665.8983)),
        ((10.7461, 59.9112), (597646.7838, 6642809.3602)),
        ((10.50, 60.13), (583333.2623, 6666835.1400)),
    ];

    #[test]
    fn long_edges_in_degrees_stay_straight_in_degrees_after_projection() {
        use geo::{Distance, Euclidean};
        // A 0.1° × 0.05° box (about 5.6 × 5.6 km): its edges are straight in degrees. The point
        // halfway along the northern edge, projected, must lie on the projected boundary.
        let square = geo::Polygon::new(vec![(10.7, 59.9), (10.8, 59.9), (10.8, 59.95), (10.7, 59.95), (10.7, 59.9)].into(), vec![]);
        let t = Transformer::new(Crs::Wgs84, Crs::Utm32);
        let geo::Geometry::Polygon(projected) = t.geometry(&geo::Geometry::Polygon(square)).unwrap() else { panic!("a polygon") };
        let (mx, my) = t.apply(10.75, 59.95).unwrap();
        let off = Euclidean.distance(&geo::Point::new(mx, my), projected.exterior());
        assert!(off < 0.001, "the edge's midpoint is {off} m off the projected boundary");
        // Projecting only the corners would leave it this far off (the test guards a real gap).
        let (ax, ay) = t.apply(10.7, 59.95).unwrap();
        let (bx, by) = t.apply(10.8, 59.95).unwrap();
        let chord = geo::Line::new(geo::coord! { x: ax, y: ay }, geo::coord! { x: bx, y: by });
        assert!(Euclidean.distance(&geo::Point::new(mx, my), &chord) > 0.1);
    }

    #[test]
    fn wgs84_to_utm32_agrees_with_proj_to_a_millimetre() {
        let t = Transformer::new(Crs::Wgs84, Crs::Utm32);
        for ((lon, lat), (x, y)) in WGS84_TO_UTM32 {
            let (gx, gy) = t.apply(lon, lat).unwrap();
            assert!((gx - x).abs() < 0.001 && (gy - y).abs() < 0.001, "({lon},{lat}) -> ({gx},{gy}), PROJ says ({x},{y})");
        }
    }

    #[test]
    fn utm32_to_wgs84_agrees_with_proj_to_a_millimetre() {
        // cs2cs -f %.10f EPSG:25832 EPSG:4326; 1e-8 degrees of latitude is ~1.1 mm.
        let t = Transformer::new(Crs::Utm32, Crs::Wgs84);
        for ((x, y), (lon, lat)) in
            [((597_000.0, 6_643_000.0), (10.734_629_822_9, 59.913_063_654_4)), ((590_123.456, 6_650_987.654), (10.615_201_973_5, 59.986_318_995_7))]
        {
            let (glon, glat) = t.apply(x, y).unwrap();
            assert!((glon - lon).abs() < 1e-8 && (glat - lat).abs() < 1e-8, "({x},{y}) -> ({glon},{glat})");
        }
    }

    #[test]
    fn utm33_to_utm32_agrees_with_proj_to_a_millimetre() {
        // cs2cs -f %.4f EPSG:25832 EPSG:25833: (590123.456, 6650987.654) -> (255444.5515, 6657996.5040)
        let t = Transformer::new(Crs::Utm33, Crs::Utm32);
        let (x, y) = t.apply(255444.5515, 6657996.5040).unwrap();
        assert!((x - 590_123.456).abs() < 0.001 && (y - 6_650_987.654).abs() < 0.001, "({x},{y})");
    }

    #[test]
    fn crs_names_from_files_and_flags_parse() {
        for name in ["EPSG:4326", "urn:ogc:def:crs:OGC:1.3:CRS84", "OGC:CRS84", "4326"] {
            assert_eq!(Crs::parse(name).unwrap(), Crs::Wgs84, "{name}");
        }
        assert_eq!(Crs::parse("urn:ogc:def:crs:EPSG::25832").unwrap(), Crs::Utm32);
        assert!(Crs::parse("EPSG:3857").unwrap_err().to_string().contains("EPSG:25832"));
    }

    #[test]
    fn non_finite_coordinates_are_an_error_not_a_panic() {
        let t = Transformer::new(Crs::Wgs84, Crs::Utm32);
        assert!(t.apply(f64::NAN, 59.9).is_err());
    }
}
