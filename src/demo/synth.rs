//! Synthetic population, points of interest, housing and incidents on given areas.
//! Every number comes from one seeded ChaCha generator, so the same seed gives the same files.

use std::fmt::Write as _;

use geo::BoundingRect;
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, LogNormal, Poisson};
use serde_json::json;

use crate::config::{Config, Layer};
use crate::index::AreaIndex;
use crate::spatial::{ANALYSIS_CRS, Crs, Transformer};
use crate::store::queries::PointRow;

/// Side of a population cell (as SSB's grid), metres.
const CELL_M: f64 = 250.0;
/// Residents per delbydel in the synthetic population (Oslo: ~716,000 in 97 delbydeler).
const RESIDENTS_PER_AREA: f64 = 7_000.0;

struct Cell {
    x: f64,
    y: f64,
    population: f64,
}

struct Hotspot {
    x: f64,
    y: f64,
    sigma_m: f64,
    amplitude: f64,
}

/// How one incident source behaves in the demo.
struct SourceProfile {
    per_1000_per_year: f64,
    /// Month (1-12) with the most incidents.
    peak_month: u32,
    /// How strongly the season swings (0 = flat).
    seasonality: f64,
}

fn profile(source: &str) -> SourceProfile {
    match source {
        "police" => SourceProfile { per_1000_per_year: 35.0, peak_month: 7, seasonality: 0.35 },
        "fire" => SourceProfile { per_1000_per_year: 6.0, peak_month: 1, seasonality: 0.25 },
        "waste" => SourceProfile { per_1000_per_year: 12.0, peak_month: 5, seasonality: 0.4 },
        _ => SourceProfile { per_1000_per_year: 10.0, peak_month: 6, seasonality: 0.2 },
    }
}

pub struct Synth<'a> {
    rng: ChaCha8Rng,
    config: &'a Config,
    areas: &'a AreaIndex,
    cells: Vec<Cell>,
    hotspots: Vec<Hotspot>,
}

impl<'a> Synth<'a> {
    pub fn new(seed: u64, config: &'a Config, areas: &'a AreaIndex) -> Synth<'a> {
        Synth { rng: ChaCha8Rng::seed_from_u64(seed), config, areas, cells: Vec::new(), hotspots: Vec::new() }
    }

    /// A 250 m population grid over the areas: denser in small delbydeler (which in real cities
    /// are the dense central ones), log-normal noise between cells.
    pub fn population_grid(&mut self) -> String {
        let layer = self.layer("population");
        let (id_col, pop_col) = (column(layer, "id"), column(layer, "population"));
        let Some(bounds) = self.areas.iter().filter_map(|a| a.polygon.bounding_rect()).reduce(|a, b| {
            geo::Rect::new(
                geo::coord! { x: a.min().x.min(b.min().x), y: a.min().y.min(b.min().y) },
                geo::coord! { x: a.max().x.max(b.max().x), y: a.max().y.max(b.max().y) },
            )
        }) else {
            return feature_collection(Vec::new(), ANALYSIS_CRS);
        };
        let noise = LogNormal::new(0.0, 0.6).expect("valid log-normal");
        let mut weighted = Vec::new();
        let (x0, y0) = ((bounds.min().x / CELL_M).floor() * CELL_M, (bounds.min().y / CELL_M).floor() * CELL_M);
        let mut y = y0;
        while y < bounds.max().y {
            let mut x = x0;
            while x < bounds.max().x {
                if let Some(area) = self.areas.locate(x + CELL_M / 2.0, y + CELL_M / 2.0) {
                    let density = (1e6 / area.area_m2.max(1e5)).powf(0.7);
                    weighted.push((x, y, density * noise.sample(&mut self.rng)));
                }
                x += CELL_M;
            }
            y += CELL_M;
        }
        let total: f64 = weighted.iter().map(|c| c.2).sum();
        let scale = RESIDENTS_PER_AREA * self.areas.len() as f64 / total.max(1e-9);
        let features = weighted
            .into_iter()
            .filter_map(|(x, y, w)| {
                let population = (w * scale).round();
                (population >= 1.0).then(|| {
                    let ring = [[x, y], [x + CELL_M, y], [x + CELL_M, y + CELL_M], [x, y + CELL_M], [x, y]];
                    json!({
                        "type": "Feature",
                        "properties": properties([(&id_col, json!(format!("{:.0}{:.0}", x, y))), (&pop_col, json!(population))]),
                        "geometry": { "type": "Polygon", "coordinates": [ring] }
                    })
                })
            })
            .collect();
        feature_collection(features, ANALYSIS_CRS)
    }

    /// Uses the imported population (cell anchors in EPSG:25832) for everything that follows,
    /// and places the incident hotspots in populated cells.
    pub fn use_population(&mut self, rows: Vec<PointRow>) {
        self.cells = rows.into_iter().map(|r| Cell { x: r.x, y: r.y, population: r.weight }).filter(|c| c.population > 0.0).collect();
        let count = (self.areas.len() / 8).clamp(3, 12);
        self.hotspots = (0..count)
            .filter_map(|_| {
                let (x, y) = self.random_residential_point()?;
                Some(Hotspot { x, y, sigma_m: self.rng.random_range(200.0..450.0), amplitude: self.rng.random_range(3.0..8.0) })
            })
            .collect();
    }

    /// Schools, kindergartens, stops, grocery stores and pharmacies as GeoJSON in WGS84 (so the
    /// demo exercises reprojection), placed where people live.
    pub fn points_of_interest(&mut self) -> Vec<(&'static str, String)> {
        let residents: f64 = self.cells.iter().map(|c| c.population).sum();
        let to_wgs84 = Transformer::new(ANALYSIS_CRS, Crs::Wgs84);
        [
            ("schools", "skole", 4_000.0),
            ("kindergartens", "barnehage", 1_200.0),
            ("transit_stops", "holdeplass", 700.0),
            ("grocery", "dagligvare", 2_500.0),
            ("pharmacies", "apotek", 9_000.0),
        ]
        .into_iter()
        .map(|(name, noun, residents_per_feature)| {
            let layer = self.layer(name);
            let (id_col, name_col, cat_col) = (column(layer, "id"), column(layer, "name"), column(layer, "category"));
            let count = (residents / residents_per_feature).ceil().max(3.0) as usize;
            let features = (1..=count)
                .filter_map(|i| {
                    let (x, y) = self.random_residential_point()?;
                    let (lon, lat) = to_wgs84.apply(x, y).ok()?;
                    Some(json!({
                        "type": "Feature",
                        "properties": properties([(&id_col, json!(format!("{name}-{i}"))), (&name_col, json!(format!("Demo {noun} {i}"))), (&cat_col, json!(noun))]),
                        "geometry": { "type": "Point", "coordinates": [round6(lon), round6(lat)] }
                    }))
                })
                .collect();
            (name, feature_collection(features, Crs::Wgs84))
        })
        .collect()
    }

    /// Rectangles of commercial/industrial land in thinly populated cells.
    pub fn commercial_areas(&mut self) -> String {
        let layer = self.layer("commercial");
        let (id_col, cat_col) = (column(layer, "id"), column(layer, "category"));
        let mut quiet: Vec<&Cell> = self.cells.iter().collect();
        quiet.sort_by(|a, b| a.population.total_cmp(&b.population));
        quiet.truncate(quiet.len() / 3);
        let count = (self.areas.len() / 4 + 3).min(quiet.len());
        let mut features = Vec::new();
        for i in 0..count {
            let pick = self.rng.random_range(0..quiet.len());
            let (cx, cy) = (quiet[pick].x, quiet[pick].y);
            let (w, h) = (self.rng.random_range(150.0..400.0), self.rng.random_range(150.0..400.0));
            let (x0, y0) = (cx - w / 2.0, cy - h / 2.0);
            let ring = [[x0, y0], [x0 + w, y0], [x0 + w, y0 + h], [x0, y0 + h], [x0, y0]];
            features.push(json!({
                "type": "Feature",
                "properties": properties([(&id_col, json!(format!("commercial-{}", i + 1))), (&cat_col, json!("næring"))]),
                "geometry": { "type": "Polygon", "coordinates": [ring] }
            }));
        }
        feature_collection(features, ANALYSIS_CRS)
    }

    /// Housing sites as CSV in EPSG:25832: units, matrix group, staff base, opening dates.
    pub fn housing(&mut self) -> String {
        let layer = self.layer("housing");
        let cols = ["id", "units", "group", "has_staff_base", "opened", "closed"].map(|f| column(layer, f));
        let mut out = format!("{},x,y\n", cols.join(","));
        let count = ((self.areas.len() as f64 * 0.4) as usize).max(8);
        // Groups 1-2 are most of the target group but mostly live in ordinary homes; sites here
        // are municipal units and clustered homes, so groups 4-5 are common too.
        let group_weights = [0.22, 0.22, 0.05, 0.18, 0.16, 0.08, 0.03, 0.06];
        for i in 1..=count {
            let Some((x, y)) = self.random_residential_point() else { continue };
            let group = pick_weighted(&mut self.rng, &group_weights) + 1;
            let staff_base = group >= 4;
            let units = if staff_base { self.rng.random_range(6..=14) } else { self.rng.random_range(1..=8) };
            let opened = format!("{}-{:02}-01", self.rng.random_range(2014..=2024), self.rng.random_range(1..=12));
            let closed = if self.rng.random_bool(0.1) { "2025-06-30" } else { "" };
            let _ = writeln!(out, "site-{i:03},{units},{group},{staff_base},{opened},{closed},{x:.1},{y:.1}");
        }
        out
    }

    /// A housing-need survey per bydel and matrix group for the last two `years`, as the
    /// semicolon CSV Velferdsetaten's spreadsheets export: need mostly in groups 1-2 and 4-5;
    /// the first bydel did not report in the older year (its need is "ikke kartlagt").
    pub fn need_survey(&mut self, last_year: i32) -> String {
        let layer = self.layer("need");
        let cols = ["year", "bydel", "group", "units"].map(|f| column(layer, f));
        let mut out = format!("{}\n", cols.join(";"));
        let bydeler: std::collections::BTreeSet<String> = self.areas.iter().filter_map(|a| a.parent_code.clone()).collect();
        let typical = [6, 5, 1, 4, 3, 1, 1, 1];
        for year in [last_year - 1, last_year] {
            for (i, bydel) in bydeler.iter().enumerate() {
                if i == 0 && year < last_year {
                    continue;
                }
                for (group, &mean) in (1..=8).zip(&typical) {
                    let units = self.rng.random_range(0..=2 * mean);
                    let _ = writeln!(out, "{year};{bydel};gruppe {group};{units}");
                }
            }
        }
        out
    }

    /// Addresses as Kartverket's address CSV writes them (semicolons, UTM 33 `Nord`/`Øst`, gnr/bnr):
    /// a few fictional streets, numbered along, two letters on every fifth number.
    pub fn addresses(&mut self) -> String {
        const STREETS: [&str; 6] = ["Storgata", "Kirkeveien", "Skolegata", "Parkveien", "Øvre Torggate", "Åsveien"];
        let mut out = String::from(
            "lokalid;kommunenummer;kommunenavn;adressetype;adressenavn;nummer;bokstav;gardsnummer;bruksnummer;adresseTekst;EPSG-kode;Nord;Øst;postnummer;poststed\n",
        );
        let to_utm33 = Transformer::new(ANALYSIS_CRS, Crs::Utm33);
        let mut id = 0;
        for (s, street) in STREETS.iter().enumerate() {
            for number in 1..=30u32 {
                let letters: &[&str] = if number % 5 == 0 { &["A", "B"] } else { &[""] };
                for letter in letters {
                    let Some((x, y)) = self.random_residential_point() else { continue };
                    let Ok((east, north)) = to_utm33.apply(x, y) else { continue };
                    id += 1;
                    let (gnr, bnr) = (100 + s, number);
                    let _ = writeln!(
                        out,
                        "{id};0301;OSLO;vegadresse;{street};{number};{letter};{gnr};{bnr};{street} {number}{letter};25833;{north:.2};{east:.2};0{};OSLO",
                        150 + s
                    );
                }
            }
        }
        out
    }

    /// One incident source's incidents for a span of years, as CSV in EPSG:25832.
    pub fn incidents(&mut self, layer: &Layer, (first, last): (i32, i32)) -> String {
        let source = layer.source.as_deref().unwrap_or("other");
        let profile = profile(source);
        let categories = layer.categories.clone().unwrap_or_default();
        // The first category is the most common; the rest share the remainder.
        let category_weights: Vec<f64> = (0..categories.len()).map(|i| if i == 0 { 2.0 } else { 1.0 }).collect();
        let season: Vec<f64> = (1..=12)
            .map(|m: u32| {
                let phase = (m as f64 - profile.peak_month as f64) / 12.0 * std::f64::consts::TAU;
                1.0 + profile.seasonality * phase.cos()
            })
            .collect();
        let cols = ["id", "date", "category"].map(|f| column(layer, f));
        let mut out = format!("{},x,y\n", cols.join(","));
        let mut serial = 0u64;
        for ci in 0..self.cells.len() {
            let (cx, cy, population) = (self.cells[ci].x, self.cells[ci].y, self.cells[ci].population);
            let trend = self.trend(cx, cy, source);
            let base = population * profile.per_1000_per_year / 1000.0 * self.hotspot_factor(cx, cy);
            for year in first..=last {
                let lambda = base * trend.powi(year - first);
                let n = Poisson::new(lambda.max(1e-9)).map_or(0.0, |p| p.sample(&mut self.rng)) as u64;
                for _ in 0..n {
                    serial += 1;
                    let month = pick_weighted(&mut self.rng, &season) as u32 + 1;
                    let day = self.rng.random_range(1..=28);
                    let category = &categories[pick_weighted(&mut self.rng, &category_weights)];
                    let x = cx + self.rng.random_range(-CELL_M / 2.0..CELL_M / 2.0);
                    let y = cy + self.rng.random_range(-CELL_M / 2.0..CELL_M / 2.0);
                    let _ = writeln!(out, "{source}-{year}-{serial:07},{year}-{month:02}-{day:02},{category},{x:.1},{y:.1}");
                }
            }
        }
        out
    }

    /// Yearly growth factor of a source in the delbydel around a point: between -8 % and +8 %.
    fn trend(&self, x: f64, y: f64, source: &str) -> f64 {
        use std::hash::{Hash, Hasher};
        let code = self.areas.locate(x, y).map_or("", |a| a.code.as_str());
        let mut h = std::collections::hash_map::DefaultHasher::new();
        (code, source).hash(&mut h);
        1.0 + ((h.finish() % 1601) as f64 / 10_000.0 - 0.08)
    }

    fn hotspot_factor(&self, x: f64, y: f64) -> f64 {
        1.0 + self
            .hotspots
            .iter()
            .map(|h| {
                let d2 = (x - h.x).powi(2) + (y - h.y).powi(2);
                h.amplitude * (-d2 / (2.0 * h.sigma_m * h.sigma_m)).exp()
            })
            .sum::<f64>()
    }

    /// A point in a cell picked with probability proportional to its residents.
    fn random_residential_point(&mut self) -> Option<(f64, f64)> {
        let weights: Vec<f64> = self.cells.iter().map(|c| c.population).collect();
        if weights.is_empty() {
            return None;
        }
        let cell = &self.cells[pick_weighted(&mut self.rng, &weights)];
        let (cx, cy) = (cell.x, cell.y);
        Some((cx + self.rng.random_range(-CELL_M / 2.0..CELL_M / 2.0), cy + self.rng.random_range(-CELL_M / 2.0..CELL_M / 2.0)))
    }

    fn layer(&self, name: &str) -> &'a Layer {
        self.config.layer(name).unwrap_or_else(|e| panic!("the demo needs layer {name}: {e}"))
    }
}

/// The source column a layer reads a canonical field from, so generated files match the
/// layer definitions however a municipality has mapped them.
fn column(layer: &Layer, field: &str) -> String {
    layer.field(field).map_or_else(|| field.to_string(), |f| f.column.clone())
}

fn properties<const N: usize>(pairs: [(&String, serde_json::Value); N]) -> serde_json::Value {
    serde_json::Value::Object(pairs.into_iter().map(|(k, v)| (k.clone(), v)).collect())
}

fn pick_weighted(rng: &mut ChaCha8Rng, weights: &[f64]) -> usize {
    let total: f64 = weights.iter().sum();
    let mut target = rng.random_range(0.0..total);
    for (i, w) in weights.iter().enumerate() {
        if target < *w {
            return i;
        }
        target -= w;
    }
    weights.len() - 1
}

fn round6(v: f64) -> f64 {
    (v * 1e6).round() / 1e6
}

fn feature_collection(features: Vec<serde_json::Value>, crs: Crs) -> String {
    let crs_name = match crs {
        Crs::Wgs84 => "urn:ogc:def:crs:OGC:1.3:CRS84".to_string(),
        other => format!("urn:ogc:def:crs:{}", other.to_string().replace(':', "::")),
    };
    let mut text = json!({
        "type": "FeatureCollection",
        "crs": { "type": "name", "properties": { "name": crs_name } },
        "features": features
    })
    .to_string();
    text.push('\n');
    text
}
