//! Travel along the streets as siting's users ask for it: the figure between two points, and the
//! area reachable from a point within some minutes, as a GeoJSON feature in WGS84. The network
//! is public data (OpenStreetMap); a point is whatever the user entered, never a housing site.

use geo::MultiPolygon;
use serde::Serialize;

use crate::analysis::network::NearestOnNetwork;
use crate::analysis::network::isochrone::{Direction, Isochrone, isochrone};
use crate::index::network::{Mode, Network};
use crate::spatial::{ANALYSIS_CRS, Crs, Transformer};

/// The way from one point to another along the network.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct Trip {
    pub mode: Mode,
    /// Metres on foot, or seconds by car (the overhead for starting and parking not included).
    pub cost: f64,
    /// Minutes: on foot at the profile's pace; by car with the overhead.
    pub minutes: f64,
    pub straight_m: f64,
}

/// The trip from `from` to `to` (EPSG:25832), or `None` when either point is off the network or
/// the network does not connect them.
pub fn trip(network: &Network, mode: Mode, from: (f64, f64), to: (f64, f64)) -> Option<Trip> {
    let destination = network.snap(to.0, to.1, mode, network.profile().max_snap_m)?;
    let cost = NearestOnNetwork::build(network, mode, &[[from.0, from.1]]).cost_at(network, &destination)?;
    let minutes = match mode {
        Mode::Walk => cost / network.profile().walk_m_per_s() / 60.0,
        Mode::Drive => cost / 60.0 + network.profile().drive_overhead_min,
    };
    Some(Trip { mode, cost, minutes, straight_m: ((to.0 - from.0).powi(2) + (to.1 - from.1).powi(2)).sqrt() })
}

/// Why no isochrone could be drawn.
#[derive(Debug, thiserror::Error)]
pub enum ReachError {
    #[error("minutes = {0} must be between 1 and 30")]
    Minutes(f64),
    #[error("no street a {mode} route can use lies within {max_snap_m:.0} m of the point; the street network does not cover it")]
    OffNetwork { mode: &'static str, max_snap_m: f64 },
    #[error("nothing is reached in {minutes} minutes {mode}: the walk to and from the street{overhead} takes the time")]
    NothingReached { minutes: f64, mode: &'static str, overhead: String },
}

/// The area reachable from (x, y) (EPSG:25832) within `minutes`, or from which (x, y) is reached
/// (`Direction::To`), as a GeoJSON feature (WGS84) whose properties say how it was drawn.
pub fn reachable_area(network: &Network, x: f64, y: f64, mode: Mode, minutes: f64, direction: Direction) -> Result<serde_json::Value, ReachError> {
    if !(1.0..=30.0).contains(&minutes) {
        return Err(ReachError::Minutes(minutes));
    }
    let mode_name = match mode {
        Mode::Walk => "walk",
        Mode::Drive => "drive",
    };
    let area =
        isochrone(network, x, y, mode, minutes, direction).ok_or(ReachError::OffNetwork { mode: mode_name, max_snap_m: network.profile().max_snap_m })?;
    if area.reached_m <= 0.0 {
        let overhead = match mode {
            Mode::Drive => format!(" and {} minutes to start and park", network.profile().drive_overhead_min),
            Mode::Walk => String::new(),
        };
        return Err(ReachError::NothingReached { minutes, mode: if mode == Mode::Walk { "on foot" } else { "by car" }, overhead });
    }
    Ok(feature(&area, mode_name, minutes, direction))
}

fn feature(area: &Isochrone, mode: &str, minutes: f64, direction: Direction) -> serde_json::Value {
    let to_wgs84 = Transformer::new(ANALYSIS_CRS, Crs::Wgs84);
    let wgs84: MultiPolygon<f64> = geo::MapCoords::map_coords(&area.area, |c| {
        let (lon, lat) = to_wgs84.apply(c.x, c.y).unwrap_or((f64::NAN, f64::NAN));
        geo::coord! { x: (lon * 1e6).round() / 1e6, y: (lat * 1e6).round() / 1e6 }
    });
    serde_json::json!({
        "type": "Feature",
        "geometry": geojson::Geometry::from(&wgs84),
        "properties": {
            "mode": mode,
            "minutes": minutes,
            "direction": direction,
            "reached_street_km": (area.reached_m / 10.0).round() / 100.0,
            "band_m": Isochrone::BAND_M,
            "snapped_m": (area.origin.offset_m * 10.0).round() / 10.0,
        }
    })
}
