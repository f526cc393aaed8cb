//! Who may use a way, in which direction and how fast: the routing profile read from the rule
//! file's `[network]` section, applied to OpenStreetMap tags.
//!
//! The rules follow OpenStreetMap's access conventions as the common routers (OSRM, Valhalla)
//! read them, simplified to what a city's street network needs:
//! - **walking**: a way whose `highway` class is in `walk_classes`, unless `foot=no`,
//!   `motorroad=yes` (Norwegian *motortrafikkvei*, closed to pedestrians) or `access=no|private`
//!   without `foot=yes`; any way with `foot=yes|designated|permissive` is walkable. Both directions.
//! - **driving**: a way whose class has a speed in `drive_kmh`, unless `access=no|private`;
//!   `oneway=yes|1|true` drives forward only, `oneway=-1` backward only; motorways, their links and
//!   roundabouts are one-way unless `oneway=no`. Speed: `maxspeed` (km/h, `mph`, `NO:urban` = 50,
//!   `NO:rural` = 80, `walk` = 7) or the class's default, times `drive_share` (junctions, lights).
//!
//! ```
//! use std::collections::BTreeMap;
//! use bomiljo::index::network::{Profile, Way};
//! let profile = Profile::oslo_default();
//! let tags = BTreeMap::from([("oneway".to_string(), "yes".to_string()), ("maxspeed".to_string(), "30".to_string())]);
//! let way = Way { class: Some("residential"), tags: &tags };
//! assert!(profile.walkable(&way));
//! let (forward, backward) = profile.drive_kmh(&way).map(|(f, b)| (f, b)).unwrap();
//! assert_eq!((forward, backward), (Some(30.0 * profile.drive_share), None));
//! ```

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

/// A way as the profile sees it: its `highway` class and its kept tags.
pub struct Way<'a> {
    pub class: Option<&'a str>,
    pub tags: &'a BTreeMap<String, String>,
}

impl Way<'_> {
    fn tag(&self, key: &str) -> Option<&str> {
        self.tags.get(key).map(String::as_str)
    }
}

/// The routing profile (`[network]` in the rule file).
#[derive(Clone, Debug, PartialEq, Deserialize, Serialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Profile {
    /// The line layer the network is built from.
    pub layer: String,
    /// A site or target farther than this from every usable way is measured in a straight line.
    pub max_snap_m: f64,
    /// Walking speed, for isochrones in minutes on foot and the walk to and from a car.
    pub walk_kmh: f64,
    /// Share of the speed limit driven on average (junctions, lights, turns).
    pub drive_share: f64,
    /// Minutes added to every drive (start, parking, to the door).
    pub drive_overhead_min: f64,
    /// `highway` classes people walk along.
    pub walk_classes: BTreeSet<String>,
    /// `highway` classes cars drive on, with the speed (km/h) where a way has no `maxspeed`.
    pub drive_kmh: BTreeMap<String, f64>,
}

impl Profile {
    /// The profile the shipped rule file sets, for examples and tests.
    pub fn oslo_default() -> Profile {
        let classes = [
            "primary",
            "secondary",
            "tertiary",
            "unclassified",
            "residential",
            "living_street",
            "service",
            "pedestrian",
            "footway",
            "path",
            "steps",
            "track",
            "cycleway",
            "trunk",
            "primary_link",
            "secondary_link",
            "tertiary_link",
            "trunk_link",
        ];
        let speeds = [
            ("motorway", 90.0),
            ("motorway_link", 60.0),
            ("trunk", 70.0),
            ("trunk_link", 50.0),
            ("primary", 50.0),
            ("primary_link", 40.0),
            ("secondary", 50.0),
            ("secondary_link", 40.0),
            ("tertiary", 40.0),
            ("tertiary_link", 30.0),
            ("unclassified", 40.0),
            ("residential", 30.0),
            ("living_street", 7.0),
            ("service", 20.0),
        ];
        Profile {
            layer: "roads".into(),
            max_snap_m: 150.0,
            walk_kmh: 4.8,
            drive_share: 0.7,
            drive_overhead_min: 1.0,
            walk_classes: classes.iter().map(|c| c.to_string()).collect(),
            drive_kmh: speeds.iter().map(|(c, s)| (c.to_string(), *s)).collect(),
        }
    }

    /// Checks the numbers; the message names the key.
    pub fn check(&self) -> Result<(), String> {
        let positive = |v: f64| v > 0.0 && v.is_finite();
        if !(positive(self.max_snap_m) && self.max_snap_m <= 1000.0) {
            return Err(format!("[network] max_snap_m = {} must be 0-1000 metres", self.max_snap_m));
        }
        let sane = positive(self.walk_kmh)
            && positive(self.drive_share)
            && self.drive_share <= 1.0
            && self.drive_overhead_min.is_finite()
            && self.drive_overhead_min >= 0.0;
        if !sane {
            return Err("[network] needs walk_kmh > 0, drive_share in (0, 1] and drive_overhead_min >= 0".into());
        }
        match self.drive_kmh.iter().find(|(_, v)| !positive(**v)) {
            Some((class, v)) => Err(format!("[network.drive_kmh] {class} = {v} must be a positive speed")),
            None => Ok(()),
        }
    }

    /// Walking speed in metres per second.
    pub fn walk_m_per_s(&self) -> f64 {
        self.walk_kmh / 3.6
    }

    /// Whether people may walk along the way.
    pub fn walkable(&self, way: &Way) -> bool {
        let foot = way.tag("foot");
        if matches!(foot, Some("yes" | "designated" | "permissive")) {
            return true;
        }
        if foot == Some("no") || way.tag("motorroad") == Some("yes") || matches!(way.tag("access"), Some("no" | "private")) {
            return false;
        }
        way.class.is_some_and(|c| self.walk_classes.contains(c))
    }

    /// Whether a site may join the network on this way: not on a bridge, in a tunnel, on a
    /// motorway or a motorroad (grade-separated: the home is beside or above it, not on it).
    pub fn snappable(&self, way: &Way) -> bool {
        let yes = |key: &str| way.tag(key).is_some_and(|v| v != "no");
        !(yes("bridge") || yes("tunnel") || way.tag("motorroad") == Some("yes") || matches!(way.class, Some("motorway" | "motorway_link")))
    }

    /// The speeds (km/h, already times `drive_share`) a car drives along the way forward and
    /// backward (`None`: not that way), or `None` when cars may not use it at all. Access: the most
    /// specific of `motorcar`, `motor_vehicle`, `vehicle` and `access` that is given decides
    /// (`motor_vehicle=no` closes a bus gate or a car-free street; `access=no` with
    /// `motor_vehicle=yes` is open).
    pub fn drive_kmh(&self, way: &Way) -> Option<(Option<f64>, Option<f64>)> {
        let class = way.class?;
        let default = *self.drive_kmh.get(class)?;
        let access = ["motorcar", "motor_vehicle", "vehicle", "access"].iter().find_map(|k| way.tag(k));
        if matches!(access, Some("no" | "private" | "agricultural" | "forestry" | "delivery")) {
            return None;
        }
        let speed = way.tag("maxspeed").and_then(parse_maxspeed).unwrap_or(default) * self.drive_share;
        let implied_oneway = matches!(class, "motorway" | "motorway_link") || matches!(way.tag("junction"), Some("roundabout" | "circular"));
        Some(match way.tag("oneway") {
            Some("yes" | "1" | "true") => (Some(speed), None),
            Some("-1" | "reverse") => (None, Some(speed)),
            Some("no" | "0" | "false") => (Some(speed), Some(speed)),
            _ if implied_oneway => (Some(speed), None),
            _ => (Some(speed), Some(speed)),
        })
    }
}

/// A `maxspeed` value in km/h: `50`, `30 mph`, `NO:urban`, `NO:rural`, `walk`; `None` otherwise
/// (`signals`, `none`, conditional values), so the class default applies.
///
/// ```
/// use bomiljo::index::network::parse_maxspeed;
/// assert_eq!(parse_maxspeed("50"), Some(50.0));
/// assert_eq!(parse_maxspeed("NO:urban"), Some(50.0));
/// assert!((parse_maxspeed("20 mph").unwrap() - 32.19).abs() < 0.01);
/// assert_eq!(parse_maxspeed("signals"), None);
/// ```
pub fn parse_maxspeed(text: &str) -> Option<f64> {
    let text = text.trim();
    match text {
        "NO:urban" => return Some(50.0),
        "NO:rural" => return Some(80.0),
        "walk" => return Some(7.0),
        _ => {}
    }
    let (number, factor) = match text.strip_suffix("mph") {
        Some(n) => (n.trim(), 1.609_344),
        None => (text.strip_suffix("km/h").unwrap_or(text).trim(), 1.0),
    };
    number.parse::<f64>().ok().filter(|v| *v > 0.0 && v.is_finite()).map(|v| v * factor)
}
