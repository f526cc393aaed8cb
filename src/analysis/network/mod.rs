//! Travel along the street network ([`crate::index::network::Network`]): least costs from many
//! sources at once (`dijkstra`), the cost from a layer's nearest feature to any site
//! (`NearestOnNetwork`), and the area reachable within a time (`isochrone`).

pub mod dijkstra;
pub mod isochrone;
mod nearest;

pub use nearest::NearestOnNetwork;
