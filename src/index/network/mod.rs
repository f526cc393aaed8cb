//! The street network: routable graphs for walking and for driving, built from a line layer with
//! OpenStreetMap tags (see [`Profile`] for who may use which way), and the snapping of any point
//! to its nearest usable way.
//!
//! # Build
//! Ways meet where they share a vertex, as OpenStreetMap's topology says (a bridge over a street
//! shares none, so it is no junction). Vertices are matched to the centimetre after projection.
//! Every way is cut at its ends and at every vertex another way (or itself) also passes through;
//! the pieces between are the graph's edges and keep their shape for snapping and isochrones.
//! Each edge costs metres on foot and seconds by car in each direction it may be driven.
//!
//! ```
//! use std::collections::BTreeMap;
//! use geo::{line_string, MultiLineString};
//! use bomiljo::index::network::{Mode, Network, Profile, StreetWay};
//! let tags = BTreeMap::new();
//! let way = |line| StreetWay { class: Some("residential"), tags: &tags, lines: MultiLineString(vec![line]) };
//! // An L of two streets and a third crossing the corner's first street at (100, 0).
//! let ways = [
//!     way(line_string![(x: 0.0, y: 0.0), (x: 100.0, y: 0.0), (x: 200.0, y: 0.0)]),
//!     way(line_string![(x: 200.0, y: 0.0), (x: 200.0, y: 300.0)]),
//!     way(line_string![(x: 100.0, y: -50.0), (x: 100.0, y: 0.0)]),
//! ];
//! let network = Network::build(ways.iter(), &Profile::oslo_default());
//! assert_eq!((network.nodes().len(), network.edges().len()), (5, 4));
//! let snap = network.snap(150.0, 250.0, Mode::Walk, 150.0).unwrap();
//! assert_eq!((snap.offset_m, snap.along_m), (50.0, 250.0));
//! ```

mod profile;

pub use profile::{Profile, Way, parse_maxspeed};

use std::collections::{BTreeMap, HashMap};

use geo::{Coord, MultiLineString};
use rstar::{AABB, RTree, RTreeObject};
use serde::Serialize;

/// How one travels.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, serde::Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Mode {
    /// On foot: costs in metres.
    Walk,
    /// By car: costs in seconds.
    Drive,
}

impl Mode {
    pub fn parse(text: &str) -> Option<Mode> {
        match text {
            "walk" | "foot" | "gange" => Some(Mode::Walk),
            "drive" | "car" | "bil" => Some(Mode::Drive),
            _ => None,
        }
    }
}

/// A way handed to [`Network::build`]: its class, its tags and its lines (EPSG:25832).
pub struct StreetWay<'a> {
    pub class: Option<&'a str>,
    pub tags: &'a BTreeMap<String, String>,
    pub lines: MultiLineString<f64>,
}

/// The speeds a car drives along a way forward and backward (km/h; `None`: not that way).
type DriveSpeeds = (Option<f64>, Option<f64>);

/// A piece of a way between two junctions (or ends).
#[derive(Clone, Debug, PartialEq)]
pub struct Edge {
    pub from: u32,
    pub to: u32,
    pub length_m: f64,
    pub walk: bool,
    /// Seconds to drive from `from` to `to`, when cars may.
    pub drive_forward_s: Option<f64>,
    /// Seconds to drive from `to` to `from`, when cars may.
    pub drive_backward_s: Option<f64>,
    /// Whether a site or a feature may join the network here: not on a bridge, in a tunnel or on
    /// a motorway (a home above a road tunnel is not reached through the tunnel).
    pub snappable: bool,
    /// The edge's shape: a range of [`Network::shape`]'s vertices, `from` first.
    shape: std::ops::Range<usize>,
}

impl Edge {
    /// The cost of travelling the edge by a mode from position `a` to position `b` (metres from
    /// `from`), or `None` when the mode may not go that way.
    pub fn cost_between(&self, mode: Mode, a: f64, b: f64) -> Option<f64> {
        // Staying put costs nothing on any edge the mode may use (a one-way street included).
        if a == b {
            return self.usable(mode).then_some(0.0);
        }
        let share = if self.length_m > 0.0 { (b - a).abs() / self.length_m } else { 0.0 };
        match mode {
            Mode::Walk => self.walk.then_some((b - a).abs()),
            Mode::Drive if b >= a => self.drive_forward_s.map(|s| s * share),
            Mode::Drive => self.drive_backward_s.map(|s| s * share),
        }
    }

    /// Whether the mode may use the edge in some direction.
    pub fn usable(&self, mode: Mode) -> bool {
        match mode {
            Mode::Walk => self.walk,
            Mode::Drive => self.drive_forward_s.is_some() || self.drive_backward_s.is_some(),
        }
    }
}

/// Outgoing edges of every node for one mode, in compressed rows.
#[derive(Clone, Debug, Default)]
pub struct Adjacency {
    offsets: Vec<u32>,
    heads: Vec<u32>,
    costs: Vec<f64>,
}

impl Adjacency {
    fn new(nodes: usize, arcs: &mut [(u32, u32, f64)]) -> Adjacency {
        arcs.sort_unstable_by_key(|a| (a.0, a.1));
        let mut offsets = vec![0u32; nodes + 1];
        for a in arcs.iter() {
            offsets[a.0 as usize + 1] += 1;
        }
        for i in 0..nodes {
            offsets[i + 1] += offsets[i];
        }
        Adjacency { offsets, heads: arcs.iter().map(|a| a.1).collect(), costs: arcs.iter().map(|a| a.2).collect() }
    }

    /// The arcs leaving a node: (head, cost).
    pub fn arcs(&self, node: u32) -> impl Iterator<Item = (u32, f64)> + '_ {
        let range = self.offsets[node as usize] as usize..self.offsets[node as usize + 1] as usize;
        self.heads[range.clone()].iter().copied().zip(self.costs[range].iter().copied())
    }

    /// The number of nodes.
    pub fn nodes(&self) -> usize {
        self.offsets.len() - 1
    }

    /// The number of arcs.
    pub fn len(&self) -> usize {
        self.heads.len()
    }

    pub fn is_empty(&self) -> bool {
        self.heads.is_empty()
    }
}

/// A point's place on the network: the edge, how far along it (metres from its `from` node),
/// the point on the edge and how far the point lies from it.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, schemars::JsonSchema)]
pub struct Snap {
    pub edge: u32,
    pub along_m: f64,
    pub offset_m: f64,
    pub x: f64,
    pub y: f64,
}

/// How large a network is and how much of it hangs together.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, schemars::JsonSchema)]
pub struct Summary {
    pub nodes: usize,
    pub edges: usize,
    /// Kilometres of street people may walk along.
    pub walk_km: f64,
    /// Kilometres of street cars may drive along (in some direction).
    pub drive_km: f64,
    pub walk_arcs: usize,
    pub drive_arcs: usize,
    /// Nodes in the largest part of the walking graph that hangs together.
    pub largest_walk_component: usize,
}

/// One straight piece of an edge's shape, in the snapping index.
struct Segment {
    a: [f64; 2],
    b: [f64; 2],
    edge: u32,
    /// Metres along the edge where the piece starts.
    start_m: f64,
}

impl RTreeObject for Segment {
    type Envelope = AABB<[f64; 2]>;
    fn envelope(&self) -> Self::Envelope {
        AABB::from_corners(self.a, self.b)
    }
}

impl rstar::PointDistance for Segment {
    fn distance_2(&self, p: &[f64; 2]) -> f64 {
        let (_, q) = self.closest(p);
        (q[0] - p[0]).powi(2) + (q[1] - p[1]).powi(2)
    }
}

impl Segment {
    /// The share along the piece (0-1) of the point nearest `p`, and that point.
    fn closest(&self, p: &[f64; 2]) -> (f64, [f64; 2]) {
        let (dx, dy) = (self.b[0] - self.a[0], self.b[1] - self.a[1]);
        let len2 = dx * dx + dy * dy;
        let t = if len2 > 0.0 { (((p[0] - self.a[0]) * dx + (p[1] - self.a[1]) * dy) / len2).clamp(0.0, 1.0) } else { 0.0 };
        (t, [self.a[0] + t * dx, self.a[1] + t * dy])
    }
}

/// Walking and driving graphs over one set of nodes and edges, and a snapping index.
pub struct Network {
    nodes: Vec<[f64; 2]>,
    edges: Vec<Edge>,
    shape: Vec<Coord<f64>>,
    walk: Adjacency,
    drive: Adjacency,
    /// The driving graph with every arc turned round: costs towards a point.
    drive_towards: Adjacency,
    segments: RTree<Segment>,
    profile: Profile,
}

impl Network {
    /// Builds the graphs from ways (EPSG:25832). Ways no mode may use are left out.
    pub fn build<'a>(ways: impl Iterator<Item = &'a StreetWay<'a>> + Clone, profile: &Profile) -> Network {
        let key = |c: &Coord<f64>| ((c.x * 100.0).round() as i64, (c.y * 100.0).round() as i64);
        let usable: Vec<(&StreetWay, bool, Option<DriveSpeeds>, bool)> = ways
            .map(|w| {
                let way = Way { class: w.class, tags: w.tags };
                (w, profile.walkable(&way), profile.drive_kmh(&way), profile.snappable(&way))
            })
            .filter(|(_, walk, drive, _)| *walk || drive.is_some())
            .collect();
        // How many times each vertex is used: a vertex used twice (or a line's end) is a node.
        let mut uses: HashMap<(i64, i64), u32> = HashMap::new();
        for (way, _, _, _) in &usable {
            for line in &way.lines.0 {
                for (i, c) in line.0.iter().enumerate() {
                    let count = if i == 0 || i + 1 == line.0.len() { 2 } else { 1 };
                    *uses.entry(key(c)).or_default() += count;
                }
            }
        }
        let mut node_of: HashMap<(i64, i64), u32> = HashMap::new();
        let mut nodes = Vec::new();
        let mut node = |c: &Coord<f64>| {
            *node_of.entry(key(c)).or_insert_with(|| {
                nodes.push([c.x, c.y]);
                (nodes.len() - 1) as u32
            })
        };
        let mut edges = Vec::new();
        let mut shape: Vec<Coord<f64>> = Vec::new();
        for (way, walk, drive, snappable) in &usable {
            for line in way.lines.0.iter().filter(|l| l.0.len() >= 2) {
                let mut start = 0;
                for i in 1..line.0.len() {
                    if i + 1 < line.0.len() && uses[&key(&line.0[i])] < 2 {
                        continue;
                    }
                    let piece = &line.0[start..=i];
                    let length_m: f64 = piece.windows(2).map(|w| ((w[1].x - w[0].x).powi(2) + (w[1].y - w[0].y).powi(2)).sqrt()).sum();
                    let (from, to) = (node(&piece[0]), node(&piece[piece.len() - 1]));
                    let seconds = |kmh: Option<f64>| kmh.map(|v| length_m / (v / 3.6));
                    let (forward, backward) = drive.map_or((None, None), |(f, b)| (seconds(f), seconds(b)));
                    let first = shape.len();
                    shape.extend_from_slice(piece);
                    if from != to || length_m > 0.0 {
                        edges.push(Edge {
                            from,
                            to,
                            length_m,
                            walk: *walk,
                            drive_forward_s: forward,
                            drive_backward_s: backward,
                            snappable: *snappable,
                            shape: first..shape.len(),
                        });
                    }
                    start = i;
                }
            }
        }
        let arcs = |mode: Mode, reversed: bool| {
            let mut arcs = Vec::new();
            for e in &edges {
                if let Some(c) = e.cost_between(mode, 0.0, e.length_m) {
                    arcs.push((e.from, e.to, c));
                }
                if let Some(c) = e.cost_between(mode, e.length_m, 0.0) {
                    arcs.push((e.to, e.from, c));
                }
            }
            if reversed {
                arcs.iter_mut().for_each(|a| *a = (a.1, a.0, a.2));
            }
            Adjacency::new(nodes.len(), &mut arcs)
        };
        let (walk, drive, drive_towards) = (arcs(Mode::Walk, false), arcs(Mode::Drive, false), arcs(Mode::Drive, true));
        let mut pieces = Vec::new();
        for (id, e) in edges.iter().enumerate() {
            let mut start_m = 0.0;
            for w in shape[e.shape.clone()].windows(2) {
                let (a, b) = ([w[0].x, w[0].y], [w[1].x, w[1].y]);
                pieces.push(Segment { a, b, edge: id as u32, start_m });
                start_m += ((b[0] - a[0]).powi(2) + (b[1] - a[1]).powi(2)).sqrt();
            }
        }
        Network { nodes, edges, shape, walk, drive, drive_towards, segments: RTree::bulk_load(pieces), profile: profile.clone() }
    }

    /// The network of a line layer in the store (its rule file's profile), or `None` when the
    /// layer holds no streets.
    pub fn from_store(db: &impl crate::store::Database, profile: &Profile) -> Result<Option<Network>, crate::store::StoreError> {
        let streets = db.streets(&profile.layer)?;
        let ways: Vec<StreetWay> = streets.iter().map(|s| StreetWay { class: s.class.as_deref(), tags: &s.tags, lines: s.lines.clone() }).collect();
        Ok((!ways.is_empty()).then(|| Network::build(ways.iter(), profile)))
    }

    /// Size and reach of the graphs, for `bomiljo network` and the closing figures.
    pub fn summary(&self) -> Summary {
        let km = |mode: Mode| self.edges.iter().filter(|e| e.usable(mode)).map(|e| e.length_m).sum::<f64>() / 1000.0;
        Summary {
            nodes: self.nodes.len(),
            edges: self.edges.len(),
            walk_km: km(Mode::Walk),
            drive_km: km(Mode::Drive),
            walk_arcs: self.walk.len(),
            drive_arcs: self.drive.len(),
            largest_walk_component: self.largest_component(Mode::Walk),
        }
    }

    /// Nodes in the largest connected part of a mode's graph (arcs taken both ways).
    fn largest_component(&self, mode: Mode) -> usize {
        let mut seen = vec![false; self.nodes.len()];
        let mut neighbours: Vec<Vec<u32>> = vec![Vec::new(); self.nodes.len()];
        for e in self.edges.iter().filter(|e| e.usable(mode)) {
            neighbours[e.from as usize].push(e.to);
            neighbours[e.to as usize].push(e.from);
        }
        let mut largest = 0;
        for start in 0..self.nodes.len() {
            if seen[start] || neighbours[start].is_empty() {
                continue;
            }
            let (mut stack, mut size) = (vec![start as u32], 0);
            seen[start] = true;
            while let Some(n) = stack.pop() {
                size += 1;
                for &m in &neighbours[n as usize] {
                    if !std::mem::replace(&mut seen[m as usize], true) {
                        stack.push(m);
                    }
                }
            }
            largest = largest.max(size);
        }
        largest
    }

    pub fn nodes(&self) -> &[[f64; 2]] {
        &self.nodes
    }

    pub fn edges(&self) -> &[Edge] {
        &self.edges
    }

    pub fn profile(&self) -> &Profile {
        &self.profile
    }

    /// The graph of one mode.
    pub fn adjacency(&self, mode: Mode) -> &Adjacency {
        match mode {
            Mode::Walk => &self.walk,
            Mode::Drive => &self.drive,
        }
    }

    /// The graph of one mode with its arcs turned round (costs towards a point); on foot the
    /// same graph.
    pub fn adjacency_towards(&self, mode: Mode) -> &Adjacency {
        match mode {
            Mode::Walk => &self.walk,
            Mode::Drive => &self.drive_towards,
        }
    }

    /// An edge's shape, `from` first.
    pub fn shape(&self, edge: u32) -> &[Coord<f64>] {
        &self.shape[self.edges[edge as usize].shape.clone()]
    }

    /// The nearest point (EPSG:25832) on a way the mode may use and join (see
    /// [`Edge::snappable`]), if one lies within `max_m`.
    pub fn snap(&self, x: f64, y: f64, mode: Mode, max_m: f64) -> Option<Snap> {
        let p = [x, y];
        let max2 = max_m * max_m;
        self.segments
            .nearest_neighbor_iter_with_distance_2(&p)
            .take_while(|(_, d2)| *d2 <= max2)
            .find(|(s, _)| self.edges[s.edge as usize].snappable && self.edges[s.edge as usize].usable(mode))
            .map(|(s, d2)| {
                let (t, q) = s.closest(&p);
                let length = ((s.b[0] - s.a[0]).powi(2) + (s.b[1] - s.a[1]).powi(2)).sqrt();
                Snap { edge: s.edge, along_m: s.start_m + t * length, offset_m: d2.sqrt(), x: q[0], y: q[1] }
            })
    }

    /// The cost of reaching the network from a point `offset_m` away from it (and of leaving it
    /// for one): walked, by either mode (from the door to the car).
    pub fn access_cost(&self, mode: Mode, offset_m: f64) -> f64 {
        match mode {
            Mode::Walk => offset_m,
            Mode::Drive => offset_m / self.profile.walk_m_per_s(),
        }
    }

    /// The part of an edge's shape between two positions along it (metres from `from`).
    pub fn shape_between(&self, edge: u32, a: f64, b: f64) -> Vec<Coord<f64>> {
        let (lo, hi) = (a.min(b), a.max(b));
        let mut out = Vec::new();
        let mut walked = 0.0;
        for w in self.shape(edge).windows(2) {
            let length = ((w[1].x - w[0].x).powi(2) + (w[1].y - w[0].y).powi(2)).sqrt();
            let at = |m: f64| {
                let t = if length > 0.0 { ((m - walked) / length).clamp(0.0, 1.0) } else { 0.0 };
                Coord { x: w[0].x + t * (w[1].x - w[0].x), y: w[0].y + t * (w[1].y - w[0].y) }
            };
            if walked + length >= lo && walked <= hi {
                if out.is_empty() {
                    out.push(at(lo));
                }
                out.push(at(hi.min(walked + length)));
            }
            walked += length;
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo::line_string;

    fn tags(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    #[test]
    fn standing_still_costs_nothing_even_against_a_one_way_street() {
        let backward = tags(&[("oneway", "-1")]);
        let ways =
            [StreetWay { class: Some("residential"), tags: &backward, lines: MultiLineString(vec![line_string![(x: 0.0, y: 0.0), (x: 100.0, y: 0.0)]]) }];
        let network = Network::build(ways.iter(), &Profile::oslo_default());
        let edge = &network.edges()[0];
        assert_eq!((edge.cost_between(Mode::Drive, 0.0, 0.0), edge.cost_between(Mode::Drive, 0.0, 50.0)), (Some(0.0), None));
        assert!(edge.cost_between(Mode::Drive, 100.0, 0.0).is_some());
    }

    #[test]
    fn a_home_above_a_road_tunnel_joins_the_street_beside_it() {
        let (tunnel, street) = (tags(&[("tunnel", "yes")]), tags(&[]));
        let ways = [
            StreetWay { class: Some("primary"), tags: &tunnel, lines: MultiLineString(vec![line_string![(x: 0.0, y: 0.0), (x: 500.0, y: 0.0)]]) },
            StreetWay { class: Some("residential"), tags: &street, lines: MultiLineString(vec![line_string![(x: 0.0, y: 80.0), (x: 500.0, y: 80.0)]]) },
        ];
        let network = Network::build(ways.iter(), &Profile::oslo_default());
        let snap = network.snap(250.0, 10.0, Mode::Drive, 150.0).unwrap();
        assert_eq!((snap.y, snap.offset_m), (80.0, 70.0));
    }

    #[test]
    fn a_bus_gate_is_closed_to_cars_but_open_to_walkers() {
        let profile = Profile::oslo_default();
        let gate = tags(&[("motor_vehicle", "no")]);
        let open = tags(&[("access", "no"), ("motor_vehicle", "yes")]);
        assert!(profile.drive_kmh(&Way { class: Some("residential"), tags: &gate }).is_none());
        assert!(profile.walkable(&Way { class: Some("residential"), tags: &gate }));
        assert!(profile.drive_kmh(&Way { class: Some("residential"), tags: &open }).is_some());
    }
}
