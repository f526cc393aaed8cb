//! Travel cost from the nearest feature of a layer to every point of the network, for one mode:
//! one multi-source Dijkstra from all the features at once, after which a site's figure is a
//! snap and two additions, so a whole suitability surface costs one pass per metric.
//!
//! Costs run *from* the features *to* the site (a car drives from the staff base to the
//! home); on foot both ways cost the same. A feature on the site's own edge is reached along the
//! edge directly. Features farther than the snap distance from every usable way are not on the
//! network: [`NearestOnNetwork::nearest_off_network`] gives the straight distance to the nearest
//! of them, so a caller can tell when an unreachable feature may be nearer than the network says.
//!
//! ```
//! use bomiljo::analysis::network::NearestOnNetwork;
//! use bomiljo::index::network::{Mode, Network, Profile, StreetWay};
//! use geo::{line_string, MultiLineString};
//! let tags = Default::default();
//! let way = |l| StreetWay { class: Some("residential"), tags: &tags, lines: MultiLineString(vec![l]) };
//! // A street 0-400 m with a junction at 200 m; a shop 10 m off it at 350 m.
//! let ways = [way(line_string![(x: 0.0, y: 0.0), (x: 200.0, y: 0.0)]), way(line_string![(x: 200.0, y: 0.0), (x: 400.0, y: 0.0)])];
//! let network = Network::build(ways.iter(), &Profile::oslo_default());
//! let shops = NearestOnNetwork::build(&network, Mode::Walk, &[[350.0, 10.0]]);
//! // A site 20 m off the street at 50 m: 20 + 300 along the street + 10.
//! let site = network.snap(50.0, -20.0, Mode::Walk, 150.0).unwrap();
//! assert_eq!(shops.cost_at(&network, &site), Some(330.0));
//! // On the shop's own edge, straight along it: 5 + 50 + 10.
//! let near = network.snap(300.0, 5.0, Mode::Walk, 150.0).unwrap();
//! assert_eq!(shops.cost_at(&network, &near), Some(65.0));
//! ```

use std::collections::HashMap;

use rstar::RTree;

use super::dijkstra::costs_from;
use crate::index::network::{Mode, Network, Snap};

/// Costs from the nearest of a set of features, over the network.
pub struct NearestOnNetwork {
    mode: Mode,
    cost: Vec<f64>,
    /// Features on each edge: (metres along it, cost of reaching the edge from the feature).
    on_edge: HashMap<u32, Vec<(f64, f64)>>,
    off_network: RTree<[f64; 2]>,
}

impl NearestOnNetwork {
    /// Snaps every feature (EPSG:25832) within the profile's `max_snap_m` and runs one
    /// multi-source Dijkstra from them all.
    pub fn build(network: &Network, mode: Mode, features: &[[f64; 2]]) -> NearestOnNetwork {
        let max_snap = network.profile().max_snap_m;
        let mut sources = Vec::new();
        let mut on_edge: HashMap<u32, Vec<(f64, f64)>> = HashMap::new();
        let mut off_network = Vec::new();
        for &[x, y] in features {
            let Some(snap) = network.snap(x, y, mode, max_snap) else {
                off_network.push([x, y]);
                continue;
            };
            let access = network.access_cost(mode, snap.offset_m);
            let edge = &network.edges()[snap.edge as usize];
            if let Some(c) = edge.cost_between(mode, snap.along_m, 0.0) {
                sources.push((edge.from, access + c));
            }
            if let Some(c) = edge.cost_between(mode, snap.along_m, edge.length_m) {
                sources.push((edge.to, access + c));
            }
            on_edge.entry(snap.edge).or_default().push((snap.along_m, access));
        }
        let cost = costs_from(network.adjacency(mode), &sources, f64::INFINITY);
        NearestOnNetwork { mode, cost, on_edge, off_network: RTree::bulk_load(off_network) }
    }

    /// The cost from the nearest feature to a snapped site, its own access included; `None`
    /// when no feature reaches it along the network.
    pub fn cost_at(&self, network: &Network, site: &Snap) -> Option<f64> {
        let edge = &network.edges()[site.edge as usize];
        let via = |node: u32, from: f64| edge.cost_between(self.mode, from, site.along_m).map(|c| self.cost[node as usize] + c);
        let along =
            self.on_edge.get(&site.edge).into_iter().flatten().filter_map(|&(at, access)| edge.cost_between(self.mode, at, site.along_m).map(|c| access + c));
        let best = [via(edge.from, 0.0), via(edge.to, edge.length_m)].into_iter().flatten().chain(along).fold(f64::INFINITY, f64::min);
        best.is_finite().then(|| best + network.access_cost(self.mode, site.offset_m))
    }

    /// Straight-line metres to the nearest feature that is not on the network, if any.
    pub fn nearest_off_network(&self, x: f64, y: f64) -> Option<f64> {
        self.off_network.nearest_neighbor(&[x, y]).map(|p| ((p[0] - x).powi(2) + (p[1] - y).powi(2)).sqrt())
    }
}
