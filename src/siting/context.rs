//! Everything a site is measured against, indexed once from the store. Build steps:
//! 1. the rule file;
//! 2. a point index per point layer a rule names, a polygon index per polygon layer;
//! 3. the population grid spread onto a 50 m raster (for residents within a radius);
//! 4. existing housing: all sites (units, groups) and those with a staff base;
//! 5. the incident density of the latest year (quartic kernel, 300 m) on the same raster, and
//!    its distribution over populated cells (for percentiles): once from the raw incidents (for
//!    analysts) and once from the public release (for everyone else), so that a public score
//!    never rests on raw rows;
//! 6. the street network of the rule file's `[network]`, when its layer is imported: walking
//!    costs from the nearest feature of every point layer a distance rule names, and driving
//!    costs from the nearest staff base, each one multi-source Dijkstra over the whole network
//!    (see [`crate::analysis::network`]). A site then costs a snap and a lookup per metric.

use std::collections::HashMap;

use crate::analysis::grid::Grid;
use crate::analysis::kde::{Quartic, kde};
use crate::analysis::network::NearestOnNetwork;
use crate::analysis::siting::{Along, Basis, GroupRules, Metric, Route, RuleSet, ServiceWindow, StaffBase};
use crate::config::{Config, ConfigError, GeometryType};
use crate::index::network::{Mode, Network, Snap};
use std::sync::Arc;

use crate::index::{Area, AreaIndex, PointIndex, PolygonIndex, SpatialIndex};
use crate::measurement::Incidents;
use crate::privacy::Policy;
use crate::release::Release;
use crate::spatial::Metres;
use crate::store::{Database, Handle, StoreError, queries};

#[derive(Debug, thiserror::Error)]
pub enum SitingError {
    #[error("group {0} is not in the rule set (matrix groups are 1-8)")]
    UnknownGroup(u8),
    #[error("{0}")]
    BadParameter(String),
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Raster cell for population and incident density, metres.
const RASTER_M: f64 = 50.0;

pub struct SitingContext {
    rules: RuleSet,
    /// The spine's index: point layers and the assignment areas.
    index: Arc<SpatialIndex>,
    assign_layer: String,
    polygons: HashMap<String, PolygonIndex>,
    raster: Grid,
    /// Per raster cell: whether its centre lies in a delbydel (residents are known there).
    covered: Vec<bool>,
    /// Residents per raster cell.
    residents: Vec<f64>,
    housing: Vec<queries::HousingSite>,
    housing_index: PointIndex,
    /// A population grid is imported (else residents within a radius are unknown).
    has_population: bool,
    bases: PointIndex,
    /// Incident density from raw incidents (analysts).
    raw_density: IncidentDensity,
    /// Incident density from the public release (everyone else).
    released_density: IncidentDensity,
    /// Distances and drive times along the streets, where a network is configured and imported.
    travel: Option<Travel>,
    /// Stops weighted by their departures per hour, by layer and window; absent where no
    /// timetable was imported (departures are then unknown, not zero).
    departures: HashMap<(String, ServiceWindow), PointIndex>,
    /// Every distinct metric of the rules, and its slot in [`SiteMetrics`].
    metrics: Vec<Metric>,
    slots: HashMap<Metric, usize>,
}

/// The street network and the costs from the nearest feature of each layer siting measures.
pub struct Travel {
    pub network: Network,
    /// Walking metres from the nearest feature of each point layer a distance rule names.
    walk_from: HashMap<String, NearestOnNetwork>,
    /// Driving seconds from the nearest staff base (internal data).
    drive_from_bases: NearestOnNetwork,
}

/// Where a site joins the network on foot and by car, found when a metric first asks (a site
/// scored only on metrics without a route costs no snap).
struct Snaps<'a> {
    travel: Option<&'a Travel>,
    at: (f64, f64),
    walk: std::cell::OnceCell<Option<Snap>>,
    drive: std::cell::OnceCell<Option<Snap>>,
}

impl Snaps<'_> {
    fn walk(&self) -> Option<&Snap> {
        self.walk.get_or_init(|| self.snap(Mode::Walk)).as_ref()
    }

    fn drive(&self) -> Option<&Snap> {
        self.drive.get_or_init(|| self.snap(Mode::Drive)).as_ref()
    }

    fn snap(&self, mode: Mode) -> Option<Snap> {
        let network = &self.travel?.network;
        network.snap(self.at.0, self.at.1, mode, network.profile().max_snap_m)
    }
}

/// A site's measured metrics, one slot per distinct metric of the rule set, with the route
/// behind each distance and drive time.
#[derive(Clone, Debug)]
pub struct SiteMetrics<'a> {
    slots: &'a HashMap<Metric, usize>,
    values: Vec<(Option<f64>, Option<Route>)>,
}

impl SiteMetrics<'_> {
    pub fn get(&self, metric: &Metric) -> Option<f64> {
        self.slots.get(metric).and_then(|&i| self.values[i].0)
    }

    /// How a distance or drive time was measured.
    pub fn route(&self, metric: &Metric) -> Option<Route> {
        self.slots.get(metric).and_then(|&i| self.values[i].1)
    }
}

/// For each `departures_within` of the rules, the layer's stops weighted by their departures per
/// hour in the window; a layer whose stops carry no timetable gets none.
fn departure_indexes(db: Handle<'_>, rules: &RuleSet) -> Result<HashMap<(String, ServiceWindow), PointIndex>, SitingError> {
    let mut out = HashMap::new();
    for metric in rules.metrics() {
        let Metric::DeparturesWithin { layer, window, .. } = metric else { continue };
        let stops: Vec<queries::PointRow> = db
            .tagged_points(&layer)?
            .into_iter()
            .enumerate()
            .filter_map(|(i, p)| Some(queries::PointRow { id: i.to_string(), x: p.x, y: p.y, weight: p.tags.get(window.tag())?.parse().ok()? }))
            .collect();
        if !stops.is_empty() {
            out.insert((layer, window), PointIndex::new(stops));
        }
    }
    Ok(out)
}

impl SitingContext {
    /// Builds on the spine's [`SpatialIndex`] (point layers, areas); adds what only siting
    /// needs: polygon-edge indexes, the population raster, open housing and incident density.
    pub fn build(db: Handle<'_>, config: &Config, index: Arc<SpatialIndex>, release: &Release) -> Result<SitingContext, SitingError> {
        let rules = crate::siting::rules::load(&config.project.rules, config)?;
        let mut polygons = HashMap::new();
        for metric in rules.metrics() {
            let Metric::DistanceTo { layer, .. } = metric else {
                continue;
            };
            if config.layer(&layer)?.geometry == GeometryType::Polygon {
                let shapes: Vec<_> = db.feature_polygons(&layer)?.into_iter().map(|a| a.polygon).collect();
                polygons.insert(layer.clone(), PolygonIndex::new(&shapes));
            }
        }
        let areas: Vec<&Area> = index.assignment_areas(config).into_iter().flat_map(AreaIndex::iter).collect();
        let bbox = crate::spatial::bounds_of(areas.iter().filter_map(|a| geo::BoundingRect::bounding_rect(&a.polygon)));
        let raster = if areas.is_empty() { Grid::covering([0.0, 0.0, RASTER_M, RASTER_M], Metres(RASTER_M)) } else { Grid::covering(bbox, Metres(RASTER_M)) };
        let mut population = Vec::new();
        for layer in config.population_layers() {
            population.extend(db.feature_points(layer)?);
        }
        let has_population = !population.is_empty();
        let residents = spread_population(&raster, &population, rules.population_cell_m);
        // Which raster cells lie in a delbydel: beyond them no residents were delivered.
        let covered: Vec<bool> = match index.assignment_areas(config) {
            Some(areas) => crate::parallel::map(&(0..raster.len()).collect::<Vec<_>>(), crate::parallel::cores(), |&i| {
                let (x, y) = raster.centre(i);
                areas.locate(x, y).is_some()
            }),
            None => vec![true; raster.len()],
        };
        let housing: Vec<_> = db.housing_sites()?.into_iter().filter(|h| h.closed.is_none()).collect();
        let housing_index = PointIndex::new(housing.iter().map(|h| queries::PointRow { id: h.id.clone(), x: h.x, y: h.y, weight: h.units as f64 }).collect());
        let bases =
            PointIndex::new(housing.iter().filter(|h| h.has_staff_base).map(|h| queries::PointRow { id: h.id.clone(), x: h.x, y: h.y, weight: 1.0 }).collect());
        let raw_density = IncidentDensity::latest_year(Incidents::Raw(db), &raster, &residents)?;
        let released_density = IncidentDensity::latest_year(Incidents::Released(release), &raster, &residents)?;
        let travel = Travel::build(db, &rules, &index, &polygons, &bases_of(&housing))?;
        let departures = departure_indexes(db, &rules)?;
        let metrics = rules.metrics();
        let slots = metrics.iter().enumerate().map(|(i, m)| (m.clone(), i)).collect();
        let assign_layer = config.project.assign_layer.clone();
        Ok(SitingContext {
            rules,
            index,
            assign_layer,
            polygons,
            raster,
            residents,
            covered,
            housing,
            housing_index,
            has_population,
            bases,
            raw_density,
            released_density,
            travel,
            departures,
            metrics,
            slots,
        })
    }

    /// The street network, when one is configured and imported.
    pub fn travel(&self) -> Option<&Travel> {
        self.travel.as_ref()
    }

    /// The study areas (delbydeler), for surfaces.
    pub(crate) fn areas(&self) -> impl Iterator<Item = &Area> {
        self.index.areas.get(&self.assign_layer).into_iter().flat_map(AreaIndex::iter)
    }

    pub fn rules(&self) -> &RuleSet {
        &self.rules
    }

    pub fn group(&self, group: u8) -> Result<&GroupRules, SitingError> {
        self.rules.group(group).ok_or(SitingError::UnknownGroup(group))
    }

    /// Measures every metric of the rule set at a point (EPSG:25832), once for all groups. The
    /// incident factor comes from the raw incidents for analysts and from the release otherwise.
    pub fn measure(&self, x: f64, y: f64, policy: &Policy) -> SiteMetrics<'_> {
        let density = if policy.role.is_internal() { &self.raw_density } else { &self.released_density };
        let snaps = self.snaps(x, y);
        SiteMetrics { slots: &self.slots, values: self.metrics.iter().map(|m| self.metric(x, y, m, density, &snaps)).collect() }
    }

    /// One metric at a point (EPSG:25832), as [`SitingContext::measure`] measures it.
    pub fn metric_at(&self, x: f64, y: f64, metric: &Metric, policy: &Policy) -> Option<f64> {
        let density = if policy.role.is_internal() { &self.raw_density } else { &self.released_density };
        self.metric(x, y, metric, density, &self.snaps(x, y)).0
    }

    fn snaps(&self, x: f64, y: f64) -> Snaps<'_> {
        Snaps { travel: self.travel.as_ref(), at: (x, y), walk: std::cell::OnceCell::new(), drive: std::cell::OnceCell::new() }
    }

    fn metric(&self, x: f64, y: f64, metric: &Metric, density: &IncidentDensity, snaps: &Snaps) -> (Option<f64>, Option<Route>) {
        match metric {
            Metric::DistanceTo { layer, along } => self.distance_to(x, y, layer, *along, snaps),
            Metric::StaffBaseMinutes => self.staff_base_minutes(x, y, snaps),
            other => (self.count_or_share(x, y, other, density), None),
        }
    }

    /// Metres to a layer's nearest feature: in a straight line, and on foot where the network
    /// covers the way; the rule's `along` picks which one scores.
    fn distance_to(&self, x: f64, y: f64, layer: &str, along: Along, snaps: &Snaps) -> (Option<f64>, Option<Route>) {
        let straight = match (self.polygons.get(layer), self.index.points.get(layer)) {
            (Some(index), _) => index.distance(x, y),
            (_, Some(index)) => index.nearest(x, y, 1).first().map(|n| n.distance.0),
            _ => None,
        };
        let walk = self.travel.as_ref().and_then(|t| t.walk_m(layer, snaps.walk(), x, y));
        let (value, basis) = match (along, walk) {
            (Along::Walk, Some(w)) => (Some(w), Basis::Walk),
            (Along::Walk, None) => (straight, Basis::StraightFallback),
            (Along::Straight, _) => (straight, Basis::Straight),
        };
        (value, straight.map(|_| Route { basis, straight_m: straight, walk_m: walk }))
    }

    /// Minutes by car from the nearest existing staff base: along the streets where the network
    /// covers the way, else the straight line times the detour factor at an average speed.
    fn staff_base_minutes(&self, x: f64, y: f64, snaps: &Snaps) -> (Option<f64>, Option<Route>) {
        let Some(nearest) = self.bases.nearest(x, y, 1).first().map(|n| n.distance.0) else {
            return (None, None);
        };
        let driven = self.travel.as_ref().and_then(|t| t.drive_minutes(snaps.drive(), x, y, &self.rules.staff_base));
        let (minutes, basis) = match driven {
            Some(m) => (m, Basis::Drive),
            None => (self.rules.staff_base.minutes(nearest), Basis::DriveEstimate),
        };
        (Some(minutes), Some(Route { basis, straight_m: Some(nearest), walk_m: None }))
    }

    fn count_or_share(&self, x: f64, y: f64, metric: &Metric, density: &IncidentDensity) -> Option<f64> {
        match metric {
            Metric::Units | Metric::DistanceTo { .. } | Metric::StaffBaseMinutes => None,
            // Without a population grid or housing data these are unknown, not zero.
            Metric::PopulationWithin { radius_m } => self.has_population.then(|| self.residents_within(x, y, *radius_m)).flatten(),
            Metric::HousingUnitsWithin { .. } | Metric::GroupSitesWithin { .. } if self.housing.is_empty() => None,
            Metric::HousingUnitsWithin { radius_m } => Some(self.housing_index.within(x, y, Metres(*radius_m)).weight),
            Metric::GroupSitesWithin { radius_m, groups } => {
                let r2 = radius_m * radius_m;
                Some(
                    self.housing.iter().filter(|h| h.group.is_some_and(|g| groups.contains(&(g as u8))) && (h.x - x).powi(2) + (h.y - y).powi(2) <= r2).count()
                        as f64,
                )
            }
            Metric::IncidentPercentile => density.percentile(self.raster.index_of(x, y)?),
            Metric::DeparturesWithin { layer, radius_m, window } => {
                self.departures.get(&(layer.clone(), *window)).map(|stops| stops.within(x, y, Metres(*radius_m)).weight)
            }
        }
    }

    /// Residents whose raster cell centre lies within the radius; `None` when part of the circle
    /// lies beyond the delbydeler, where no residents were delivered (a count there would read
    /// the missing as none, and a site by the border as shielded).
    fn residents_within(&self, x: f64, y: f64, radius_m: f64) -> Option<f64> {
        let centre = self.raster.index_of(x, y)?;
        let (cx, cy) = self.raster.centre(centre);
        let r2 = radius_m * radius_m;
        let reach = (radius_m / RASTER_M).ceil() as isize + 1;
        let mut total = 0.0;
        for dr in -reach..=reach {
            for dc in -reach..=reach {
                let (px, py) = (cx + dc as f64 * RASTER_M, cy + dr as f64 * RASTER_M);
                if (px - x).powi(2) + (py - y).powi(2) <= r2 {
                    let i = self.raster.offset(centre, (dc, dr)).filter(|&i| self.covered[i])?;
                    total += self.residents[i];
                }
            }
        }
        Some(total)
    }
}

/// The positions of the open sites with a staff base.
fn bases_of(housing: &[queries::HousingSite]) -> Vec<[f64; 2]> {
    housing.iter().filter(|h| h.has_staff_base).map(|h| [h.x, h.y]).collect()
}

impl Travel {
    /// The network of the rule file's `[network]`, or `None` when none is configured or its
    /// layer holds no streets.
    fn build(
        db: Handle<'_>,
        rules: &RuleSet,
        index: &SpatialIndex,
        polygons: &HashMap<String, PolygonIndex>,
        bases: &[[f64; 2]],
    ) -> Result<Option<Travel>, SitingError> {
        let Some(profile) = &rules.network else {
            return Ok(None);
        };
        let Some(network) = Network::from_store(&db, profile)? else {
            return Ok(None);
        };
        let mut walk_from = HashMap::new();
        for metric in rules.metrics() {
            if let Metric::DistanceTo { layer, .. } = metric {
                // Polygon layers are measured to their edge, in a straight line only.
                if let (false, Some(points)) = (polygons.contains_key(&layer), index.points.get(&layer)) {
                    walk_from.entry(layer).or_insert_with(|| NearestOnNetwork::build(&network, Mode::Walk, &points.positions()));
                }
            }
        }
        let drive_from_bases = NearestOnNetwork::build(&network, Mode::Drive, bases);
        Ok(Some(Travel { network, walk_from, drive_from_bases }))
    }

    /// Metres on foot from a layer's nearest feature, or `None` when the site is off the network,
    /// no feature reaches it along the network, or a feature the network does not reach lies
    /// nearer in a straight line than the walk (it may be the nearest on foot).
    fn walk_m(&self, layer: &str, site: Option<&Snap>, x: f64, y: f64) -> Option<f64> {
        let field = self.walk_from.get(layer)?;
        let walk = field.cost_at(&self.network, site?)?;
        field.nearest_off_network(x, y).is_none_or(|off| off >= walk).then_some(walk)
    }

    /// Metres on foot from a layer's nearest feature to a point (EPSG:25832), as siting measures
    /// it; `None` where the network does not cover the way.
    pub fn walk_to(&self, layer: &str, x: f64, y: f64) -> Option<f64> {
        let site = self.network.snap(x, y, Mode::Walk, self.network.profile().max_snap_m);
        self.walk_m(layer, site.as_ref(), x, y)
    }

    /// Minutes by car from the nearest staff base along the streets (the overhead for starting
    /// and parking included), with the same conditions as [`Travel::walk_m`]: a base off the
    /// network whose straight-line estimate beats the drive may be the nearest.
    fn drive_minutes(&self, site: Option<&Snap>, x: f64, y: f64, estimate: &StaffBase) -> Option<f64> {
        let seconds = self.drive_from_bases.cost_at(&self.network, site?)?;
        let minutes = seconds / 60.0 + self.network.profile().drive_overhead_min;
        self.drive_from_bases.nearest_off_network(x, y).is_none_or(|off| estimate.minutes(off) >= minutes).then_some(minutes)
    }
}

/// Incident density of the latest year on the raster, and its distribution over populated cells.
struct IncidentDensity {
    per_km2: Vec<f64>,
    /// Densities of populated cells, sorted (for percentiles).
    populated: Vec<f64>,
}

impl IncidentDensity {
    fn latest_year(incidents: Incidents, raster: &Grid, residents: &[f64]) -> Result<IncidentDensity, SitingError> {
        let latest = incidents.years(None).map_err(|e| SitingError::BadParameter(e.to_string()))?.map(|(_, last)| last);
        let points = match latest {
            Some(year) => incidents
                .points(&queries::IncidentFilter { years: Some((year, year)), ..Default::default() }, false)
                .map_err(|e| SitingError::BadParameter(e.to_string()))?,
            None => Vec::new(),
        };
        let per_km2 = kde(&points, raster, Metres(300.0), &Quartic).per_km2;
        let mut populated: Vec<f64> = (0..raster.len()).filter(|&i| residents[i] > 0.0).map(|i| per_km2[i]).collect();
        populated.sort_by(f64::total_cmp);
        Ok(IncidentDensity { per_km2, populated })
    }

    /// The share of populated cells with a lower density, in per cent.
    fn percentile(&self, i: usize) -> Option<f64> {
        let below = self.populated.partition_point(|d| *d < self.per_km2[i]);
        (!self.populated.is_empty()).then(|| 100.0 * below as f64 / self.populated.len() as f64)
    }
}

/// Spreads each population cell's residents evenly over the raster cells its square covers.
fn spread_population(raster: &Grid, cells: &[queries::PointRow], cell_m: f64) -> Vec<f64> {
    let mut residents = vec![0.0; raster.len()];
    let steps = (cell_m / RASTER_M).round().max(1.0) as usize;
    let sub = cell_m / steps as f64;
    for c in cells {
        let share = c.weight / (steps * steps) as f64;
        for i in 0..steps {
            for j in 0..steps {
                let x = c.x - cell_m / 2.0 + (i as f64 + 0.5) * sub;
                let y = c.y - cell_m / 2.0 + (j as f64 + 0.5) * sub;
                if let Some(k) = raster.index_of(x, y) {
                    residents[k] += share;
                }
            }
        }
    }
    residents
}
