//! The area reachable from a point within a time: a bounded Dijkstra from the point's place on
//! the network, the streets (and parts of streets) reached within the budget, and a band of
//! [`Isochrone::BAND_M`] around them, the way service areas are drawn from reachable edges
//! (ArcGIS Network Analyst's *lines* output, buffered) rather than a hull, which would reach
//! across a river or rail yard that the streets do not cross.
//!
//! The band is drawn on a raster of [`Isochrone::CELL_M`] cells (every cell whose centre lies
//! within the band of a reached cell) and outlined ([`crate::analysis::outline`]): a union of
//! thousands of buffered street pieces took over a second for a 5-minute drive across a city.
//!
//! ```
//! use bomiljo::analysis::network::isochrone::{isochrone, Direction};
//! use bomiljo::index::network::{Mode, Network, Profile, StreetWay};
//! use geo::{line_string, MultiLineString, Contains, Point};
//! let tags = Default::default();
//! let way = |l| StreetWay { class: Some("residential"), tags: &tags, lines: MultiLineString(vec![l]) };
//! let ways = [way(line_string![(x: 0.0, y: 0.0), (x: 2000.0, y: 0.0)])];
//! let network = Network::build(ways.iter(), &Profile::oslo_default());
//! // 5 minutes on foot at 4.8 km/h is 400 m: 350 m each way along the street and 50 m across
//! // the band drawn around it.
//! let area = isochrone(&network, 1000.0, 0.0, Mode::Walk, 5.0, Direction::From).unwrap();
//! assert!((area.reached_m - 700.0).abs() < 1e-6);
//! assert!(area.area.contains(&Point::new(1390.0, 0.0)) && !area.area.contains(&Point::new(1450.0, 0.0)));
//! ```

use geo::{Area, LineString, MultiLineString, MultiPolygon, Polygon};

use super::dijkstra::costs_from;
use crate::analysis::grid::Grid;
use crate::analysis::outline::outline;
use crate::index::network::{Mode, Network, Snap};
use crate::spatial::Metres;

/// What a point reaches within a time.
pub struct Isochrone {
    /// The reached streets with a band of [`Isochrone::BAND_M`] around them (EPSG:25832).
    pub area: MultiPolygon<f64>,
    /// The reached streets and parts of streets.
    pub reached: MultiLineString<f64>,
    /// Metres of street reached.
    pub reached_m: f64,
    /// Where the point joins the network.
    pub origin: Snap,
}

impl Isochrone {
    /// Half-width of the band drawn around reached streets: the houses along a street are
    /// reached with it (Oslo's blocks are 60-120 m deep).
    pub const BAND_M: f64 = 50.0;

    /// Raster cell of the band (metres): the outline is exact to this.
    pub const CELL_M: f64 = 20.0;

    /// Holes smaller than this (m²) are closed: the inside of a block whose streets are all
    /// reached is reached too (4 ha: a block of 200 m x 200 m).
    pub const SMALLEST_HOLE_M2: f64 = 40_000.0;
}

/// The cost budget of `minutes` by a mode: metres on foot, seconds by car after the overhead.
pub fn budget(network: &Network, mode: Mode, minutes: f64) -> f64 {
    match mode {
        Mode::Walk => minutes * 60.0 * network.profile().walk_m_per_s(),
        Mode::Drive => (minutes - network.profile().drive_overhead_min).max(0.0) * 60.0,
    }
}

/// Which way the minutes run.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Deserialize, serde::Serialize, schemars::JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Direction {
    /// Where one gets from the point.
    From,
    /// Where one can come to the point from (a staff base that reaches a home in 5 minutes); on
    /// one-way streets the two differ.
    To,
}

/// The area reachable from (x, y) (EPSG:25832) in `minutes`, or from which (x, y) is reached
/// (`Direction::To`); `None` when the point lies farther than the profile's snap distance from
/// every way the mode may use. Every point of the area is within the budget: the walk between the
/// point and the network and the walk across the band are paid out of it.
pub fn isochrone(network: &Network, x: f64, y: f64, mode: Mode, minutes: f64, direction: Direction) -> Option<Isochrone> {
    let origin = network.snap(x, y, mode, network.profile().max_snap_m)?;
    let budget = budget(network, mode, minutes) - network.access_cost(mode, origin.offset_m) - network.access_cost(mode, Isochrone::BAND_M);
    let edges = network.edges();
    let start = &edges[origin.edge as usize];
    // The cost of moving along an edge between two positions, in the direction the minutes run.
    let cost_on = |e: &crate::index::network::Edge, a: f64, b: f64| match direction {
        Direction::From => e.cost_between(mode, a, b),
        Direction::To => e.cost_between(mode, b, a),
    };
    let sources: Vec<(u32, f64)> =
        [(start.from, 0.0), (start.to, start.length_m)].into_iter().filter_map(|(node, at)| cost_on(start, origin.along_m, at).map(|c| (node, c))).collect();
    let graph = match direction {
        Direction::From => network.adjacency(mode),
        Direction::To => network.adjacency_towards(mode),
    };
    let cost = costs_from(graph, &sources, budget.max(0.0));
    let mut pieces: Vec<(u32, f64, f64)> = Vec::new();
    // How far along an edge the budget reaches from position `at` towards `end`, with `left`.
    let reach = |edge: u32, at: f64, end: f64, left: f64| -> Option<(u32, f64, f64)> {
        let full = cost_on(&edges[edge as usize], at, end)?;
        let share = if full > 0.0 { (left / full).min(1.0) } else { 1.0 };
        (left >= 0.0).then_some((edge, at, at + (end - at) * share))
    };
    for (id, e) in edges.iter().enumerate() {
        let id = id as u32;
        pieces.extend(reach(id, 0.0, e.length_m, budget - cost[e.from as usize]));
        pieces.extend(reach(id, e.length_m, 0.0, budget - cost[e.to as usize]));
    }
    pieces.extend(reach(origin.edge, origin.along_m, start.length_m, budget));
    pieces.extend(reach(origin.edge, origin.along_m, 0.0, budget));
    let pieces = merged(pieces);
    let lines: Vec<LineString<f64>> = pieces.iter().map(|&(edge, a, b)| LineString::new(network.shape_between(edge, a, b))).collect();
    let reached_m = pieces.iter().map(|(_, a, b)| b - a).sum();
    let reached = MultiLineString(lines);
    let area = without_small_holes(band_around(&reached, Isochrone::BAND_M, Isochrone::CELL_M));
    Some(Isochrone { area, reached, reached_m, origin })
}

/// The cells within `band` of the lines, outlined: the lines are walked in steps of half a cell,
/// each cell passed marked once, and every cell whose centre lies within `band` of a marked
/// cell's centre filled.
fn band_around(lines: &MultiLineString<f64>, band: f64, cell: f64) -> MultiPolygon<f64> {
    let Some(rect) = geo::BoundingRect::bounding_rect(lines) else {
        return MultiPolygon(vec![]);
    };
    let margin = band + 2.0 * cell;
    let grid = Grid::covering([rect.min().x - margin, rect.min().y - margin, rect.max().x + margin, rect.max().y + margin], Metres(cell));
    let mut passed = vec![false; grid.len()];
    for line in &lines.0 {
        for w in line.0.windows(2) {
            let length = ((w[1].x - w[0].x).powi(2) + (w[1].y - w[0].y).powi(2)).sqrt();
            let steps = (length / (cell / 2.0)).ceil().max(1.0) as usize;
            for k in 0..=steps {
                let t = k as f64 / steps as f64;
                if let Some(i) = grid.index_of(w[0].x + t * (w[1].x - w[0].x), w[0].y + t * (w[1].y - w[0].y)) {
                    passed[i] = true;
                }
            }
        }
    }
    let stamp = grid.offsets_within(Metres(band));
    let mut filled = vec![false; grid.len()];
    for i in (0..grid.len()).filter(|&i| passed[i]) {
        for &offset in &stamp {
            if let Some(j) = grid.offset(i, offset) {
                filled[j] = true;
            }
        }
    }
    outline(&grid, &filled)
}

/// The area with block-sized holes closed (see [`Isochrone::SMALLEST_HOLE_M2`]).
fn without_small_holes(area: MultiPolygon<f64>) -> MultiPolygon<f64> {
    let polygons = area
        .0
        .into_iter()
        .map(|p| {
            let (exterior, holes) = p.into_inner();
            let kept = holes.into_iter().filter(|h| Polygon::new(h.clone(), vec![]).unsigned_area() >= Isochrone::SMALLEST_HOLE_M2).collect();
            Polygon::new(exterior, kept)
        })
        .collect();
    MultiPolygon(polygons)
}

/// Pieces of edges as (edge, from, to) with from < to, overlaps on the same edge joined (an edge
/// reached from both ends, or from the origin and an end), empty pieces dropped.
fn merged(mut pieces: Vec<(u32, f64, f64)>) -> Vec<(u32, f64, f64)> {
    for p in &mut pieces {
        *p = (p.0, p.1.min(p.2), p.1.max(p.2));
    }
    pieces.sort_by(|a, b| a.0.cmp(&b.0).then(a.1.total_cmp(&b.1)));
    let mut out: Vec<(u32, f64, f64)> = Vec::with_capacity(pieces.len());
    for p in pieces.into_iter().filter(|p| p.2 > p.1) {
        match out.last_mut() {
            Some(last) if last.0 == p.0 && p.1 <= last.2 => last.2 = last.2.max(p.2),
            _ => out.push(p),
        }
    }
    out
}
