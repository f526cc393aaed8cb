//! Multi-source Dijkstra: the least cost from the nearest of many sources to every node, in one
//! pass over the graph (Dijkstra 1959; the sources enter the queue together, each with the cost
//! of reaching it). A search per target would cost one pass per target instead.
//!
//! ```
//! use bomiljo::analysis::network::dijkstra::costs_from;
//! use bomiljo::index::network::{Mode, Network, Profile, StreetWay};
//! use geo::{line_string, MultiLineString};
//! let tags = Default::default();
//! let way = |l| StreetWay { class: Some("residential"), tags: &tags, lines: MultiLineString(vec![l]) };
//! // A street of three junctions 100 m apart.
//! let ways = [way(line_string![(x: 0.0, y: 0.0), (x: 100.0, y: 0.0)]), way(line_string![(x: 100.0, y: 0.0), (x: 200.0, y: 0.0)])];
//! let network = Network::build(ways.iter(), &Profile::oslo_default());
//! let costs = costs_from(network.adjacency(Mode::Walk), &[(0, 5.0)], f64::INFINITY);
//! assert_eq!(costs, vec![5.0, 105.0, 205.0]);
//! ```

use std::cmp::Ordering;
use std::collections::BinaryHeap;

use crate::index::network::Adjacency;

/// A queue entry, least cost first.
#[derive(PartialEq)]
struct Entry(f64, u32);

impl Eq for Entry {}

impl Ord for Entry {
    fn cmp(&self, other: &Self) -> Ordering {
        other.0.total_cmp(&self.0).then_with(|| other.1.cmp(&self.1))
    }
}

impl PartialOrd for Entry {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

/// The least cost from any source `(node, cost to reach it)` to every node, `INFINITY` where
/// none reaches or where the cost would exceed `limit` (the search stops there).
pub fn costs_from(graph: &Adjacency, sources: &[(u32, f64)], limit: f64) -> Vec<f64> {
    let mut cost = vec![f64::INFINITY; graph.nodes()];
    let mut queue = BinaryHeap::with_capacity(sources.len());
    for &(node, c) in sources {
        if c < cost[node as usize] && c <= limit {
            cost[node as usize] = c;
            queue.push(Entry(c, node));
        }
    }
    while let Some(Entry(c, node)) = queue.pop() {
        if c > cost[node as usize] {
            continue;
        }
        for (head, arc) in graph.arcs(node) {
            let next = c + arc;
            if next < cost[head as usize] && next <= limit {
                cost[head as usize] = next;
                queue.push(Entry(next, head));
            }
        }
    }
    cost
}
