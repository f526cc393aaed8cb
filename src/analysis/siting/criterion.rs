//! The rule types: what is measured ([`Metric`]), how it is judged ([`Constraint`], [`Factor`]
//! with a [`Curve`]), and each group's set of them. Loaded from `rules/*.toml` by
//! [`crate::siting::rules`].

use serde::Serialize;

/// A measurable property of a site. Measured once per site and shared by every group.
#[derive(Clone, Debug, PartialEq, Serialize, schemars::JsonSchema)]
#[serde(tag = "metric", rename_all = "snake_case")]
pub enum Metric {
    /// Proposed units (residents) at the site.
    Units,
    /// Metres to the nearest feature of a layer (polygon layers: to the polygon, 0 inside),
    /// in a straight line or on foot along the streets, as the rule says.
    DistanceTo { layer: String, along: Along },
    /// Residents within a radius, from the population grid.
    PopulationWithin { radius_m: f64 },
    /// Existing housing units within a radius (internal data).
    HousingUnitsWithin { radius_m: f64 },
    /// Existing sites of some matrix groups within a radius (internal data).
    GroupSitesWithin { radius_m: f64, groups: Vec<u8> },
    /// Local incident density as a percentile (0-100) of the city's populated cells.
    IncidentPercentile,
    /// Minutes by car to a staff base (0 when the site has its own).
    StaffBaseMinutes,
    /// Departures per hour from the stops of a layer within a radius (straight line), on the
    /// timetable's reference weekday in a window of the day.
    DeparturesWithin { layer: String, radius_m: f64, window: ServiceWindow },
}

/// The part of a weekday departures are counted in (`window = "day" | "evening"`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum ServiceWindow {
    /// 07:00-19:00.
    #[default]
    Day,
    /// 19:00-23:00.
    Evening,
}

impl ServiceWindow {
    /// The tag a stop's departures per hour in the window are kept under (written by the GTFS
    /// import: `import::timetable::Window::column`).
    pub fn tag(self) -> &'static str {
        match self {
            ServiceWindow::Day => "departures_day",
            ServiceWindow::Evening => "departures_evening",
        }
    }
}

// Metrics key the per-site measurements; radii are compared by their bits (they come from TOML
// and are never NaN).
impl Eq for Metric {}

impl std::hash::Hash for Metric {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        std::mem::discriminant(self).hash(state);
        match self {
            Metric::DistanceTo { layer, along } => {
                layer.hash(state);
                along.hash(state);
            }
            Metric::PopulationWithin { radius_m } | Metric::HousingUnitsWithin { radius_m } => radius_m.to_bits().hash(state),
            Metric::GroupSitesWithin { radius_m, groups } => {
                radius_m.to_bits().hash(state);
                groups.hash(state);
            }
            Metric::DeparturesWithin { layer, radius_m, window } => {
                layer.hash(state);
                radius_m.to_bits().hash(state);
                window.hash(state);
            }
            Metric::Units | Metric::IncidentPercentile | Metric::StaffBaseMinutes => {}
        }
    }
}

impl Metric {
    /// The layer whose data measures the metric, for "import X to measure this".
    pub fn layer(&self) -> &str {
        match self {
            Metric::Units => "(proposed units)",
            Metric::DistanceTo { layer, .. } | Metric::DeparturesWithin { layer, .. } => layer,
            Metric::PopulationWithin { .. } => "population",
            Metric::HousingUnitsWithin { .. } | Metric::GroupSitesWithin { .. } | Metric::StaffBaseMinutes => "housing",
            Metric::IncidentPercentile => "incidents_*",
        }
    }

    /// The unit a measured value is in, for column names ("school_distance_m").
    pub fn unit(&self) -> &'static str {
        match self {
            Metric::Units | Metric::HousingUnitsWithin { .. } => "units",
            Metric::DistanceTo { .. } => "m",
            Metric::PopulationWithin { .. } => "residents",
            Metric::GroupSitesWithin { .. } => "sites",
            Metric::IncidentPercentile => "percentile",
            Metric::StaffBaseMinutes => "minutes",
            Metric::DeparturesWithin { .. } => "departures_per_hour",
        }
    }

    /// Whether the metric rests on internal data (housing sites): hidden from the public role.
    pub fn uses_internal_data(&self) -> bool {
        matches!(self, Metric::HousingUnitsWithin { .. } | Metric::GroupSitesWithin { .. } | Metric::StaffBaseMinutes)
    }

    /// Decimal places shown in sentences.
    fn decimals(&self) -> usize {
        match self {
            Metric::StaffBaseMinutes | Metric::DeparturesWithin { .. } => 1,
            _ => 0,
        }
    }
}

/// How a rule measures a distance (`along = "straight" | "walk"` in the rule file).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Along {
    /// In a straight line: what "a little away from" a school may mean.
    #[default]
    Straight,
    /// On foot along the street network, where it covers the way; in a straight line elsewhere.
    Walk,
}

/// How a site's distance or drive time was measured: the basis of the figure, and the other
/// figure beside it, for the sentence and the API.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, schemars::JsonSchema)]
pub struct Route {
    pub basis: Basis,
    /// Metres to the nearest feature in a straight line.
    pub straight_m: Option<f64>,
    /// Metres on foot along the streets to the nearest feature, where the network covers the way.
    pub walk_m: Option<f64>,
}

/// What a figure rests on.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Basis {
    /// On foot along the streets.
    Walk,
    /// In a straight line, as the rule asks.
    Straight,
    /// In a straight line because the street network does not cover the way (the rule asks for
    /// walking).
    StraightFallback,
    /// By car along the streets.
    Drive,
    /// By car, estimated from the straight line (detour factor and an average speed) because the
    /// network does not cover the way.
    DriveEstimate,
    /// The staff base is at the site.
    OnSite,
}

/// The words `{basis}` stands for in the rule texts, per [`Basis`] (`[basis]` in the rule file).
/// `{straight}` and `{walk}` in them are the route's other figures, in metres.
#[derive(Clone, Debug, Default, PartialEq, serde::Deserialize, Serialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct BasisTexts {
    pub walk_nb: String,
    pub walk_en: String,
    pub straight_nb: String,
    pub straight_en: String,
    /// In a straight line, with the walking figure beside it.
    pub straight_walk_nb: String,
    pub straight_walk_en: String,
    pub fallback_nb: String,
    pub fallback_en: String,
    pub drive_nb: String,
    pub drive_en: String,
    pub drive_estimate_nb: String,
    pub drive_estimate_en: String,
    pub on_site_nb: String,
    pub on_site_en: String,
}

impl BasisTexts {
    /// Every text with its key, for checking.
    pub fn texts(&self) -> [(&'static str, &str); 14] {
        [
            ("walk_nb", &self.walk_nb),
            ("walk_en", &self.walk_en),
            ("straight_nb", &self.straight_nb),
            ("straight_en", &self.straight_en),
            ("straight_walk_nb", &self.straight_walk_nb),
            ("straight_walk_en", &self.straight_walk_en),
            ("fallback_nb", &self.fallback_nb),
            ("fallback_en", &self.fallback_en),
            ("drive_nb", &self.drive_nb),
            ("drive_en", &self.drive_en),
            ("drive_estimate_nb", &self.drive_estimate_nb),
            ("drive_estimate_en", &self.drive_estimate_en),
            ("on_site_nb", &self.on_site_nb),
            ("on_site_en", &self.on_site_en),
        ]
    }

    /// The words for a route, in bokmål or English.
    pub fn words(&self, route: &Route, english: bool) -> String {
        let pick = |nb: &String, en: &String| if english { en.clone() } else { nb.clone() };
        let template = match (route.basis, route.walk_m) {
            (Basis::Walk, _) => pick(&self.walk_nb, &self.walk_en),
            (Basis::Straight, Some(_)) => pick(&self.straight_walk_nb, &self.straight_walk_en),
            (Basis::Straight, None) => pick(&self.straight_nb, &self.straight_en),
            (Basis::StraightFallback, _) => pick(&self.fallback_nb, &self.fallback_en),
            (Basis::Drive, _) => pick(&self.drive_nb, &self.drive_en),
            (Basis::DriveEstimate, _) => pick(&self.drive_estimate_nb, &self.drive_estimate_en),
            (Basis::OnSite, _) => pick(&self.on_site_nb, &self.on_site_en),
        };
        let metres = |v: Option<f64>| v.map_or_else(|| "–".to_string(), |v| format!("{v:.0}"));
        template.replace("{straight}", &metres(route.straight_m)).replace("{walk}", &metres(route.walk_m))
    }
}

/// A linear score curve: 1 at `full_at`, 0 at `zero_at`, straight in between, flat outside.
/// `full_at < zero_at` means less is better; `full_at > zero_at` means more is better.
///
/// ```
/// use bomiljo::analysis::siting::Curve;
/// let near = Curve { full_at: 400.0, zero_at: 1200.0 };
/// assert_eq!((near.score(300.0), near.score(800.0), near.score(2000.0)), (1.0, 0.5, 0.0));
/// let far = Curve { full_at: 500.0, zero_at: 100.0 };
/// assert_eq!((far.score(50.0), far.score(300.0), far.score(900.0)), (0.0, 0.5, 1.0));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Serialize, schemars::JsonSchema)]
pub struct Curve {
    pub full_at: f64,
    pub zero_at: f64,
}

impl Curve {
    pub fn score(&self, value: f64) -> f64 {
        if self.full_at == self.zero_at {
            return if value <= self.full_at { 1.0 } else { 0.0 };
        }
        ((self.zero_at - value) / (self.zero_at - self.full_at)).clamp(0.0, 1.0)
    }
}

/// The limit a constraint sets.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Bound {
    Min(f64),
    Max(f64),
}

impl Bound {
    pub fn threshold(self) -> f64 {
        match self {
            Bound::Min(v) | Bound::Max(v) => v,
        }
    }

    /// Whether a value meets the bound. No value (no such feature in the data) meets a minimum
    /// distance and fails a maximum.
    pub fn passes(self, value: Option<f64>) -> bool {
        match (self, value) {
            (Bound::Min(min), Some(v)) => v >= min,
            (Bound::Max(max), Some(v)) => v <= max,
            (Bound::Min(_), None) => true,
            (Bound::Max(_), None) => false,
        }
    }
}

/// A pass/fail rule.
#[derive(Clone, Debug, PartialEq, Serialize, schemars::JsonSchema)]
pub struct Constraint {
    pub id: String,
    pub metric: Metric,
    pub bound: Bound,
    /// Where the rule comes from, as `seed:line`.
    pub source: String,
    pub text_nb: String,
    pub text_en: String,
}

/// A weighted, scored rule.
#[derive(Clone, Debug, PartialEq, Serialize, schemars::JsonSchema)]
pub struct Factor {
    pub id: String,
    pub metric: Metric,
    pub curve: Curve,
    pub weight: f64,
    pub source: String,
    pub text_nb: String,
    pub text_en: String,
}

/// One matrix group's rules and description.
#[derive(Clone, Debug, PartialEq, Serialize, schemars::JsonSchema)]
pub struct GroupRules {
    pub group: u8,
    pub who_nb: String,
    pub who_en: String,
    pub housing_nb: String,
    pub housing_en: String,
    pub location_nb: String,
    pub location_en: String,
    /// Units assumed when a request does not say.
    pub default_units: u32,
    /// Whether this kind of housing has its staff base on site (groups 4-8).
    pub staff_base_on_site: bool,
    pub source: String,
    pub constraints: Vec<Constraint>,
    pub factors: Vec<Factor>,
}

/// Assumptions behind the staff-base response time.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, schemars::JsonSchema)]
pub struct StaffBase {
    pub speed_kmh: f64,
    pub detour_factor: f64,
}

impl GroupRules {
    /// Whether the group's rules measure the time a staff base needs to reach the home (the
    /// neighbour sheet then shows where a base can lie).
    pub fn measures_staff_base(&self) -> bool {
        self.factors.iter().map(|f| &f.metric).chain(self.constraints.iter().map(|c| &c.metric)).any(|m| *m == Metric::StaffBaseMinutes)
    }
}

impl StaffBase {
    /// Minutes by car for a straight-line distance.
    pub fn minutes(&self, straight_m: f64) -> f64 {
        straight_m * self.detour_factor / (self.speed_kmh * 1000.0 / 60.0)
    }
}

/// A whole rule file.
#[derive(Clone, Debug, PartialEq, Serialize, schemars::JsonSchema)]
pub struct RuleSet {
    pub name: String,
    pub staff_base: StaffBase,
    /// The street network distances and drive times are measured along, where it covers them;
    /// `None`: everything in a straight line.
    pub network: Option<crate::index::network::Profile>,
    /// The words `{basis}` stands for.
    pub basis: BasisTexts,
    /// Side of population grid cells, metres.
    pub population_cell_m: f64,
    /// How far an analyst's what-if may move the weights and thresholds.
    pub what_if: super::what_if::WhatIfRanges,
    pub groups: Vec<GroupRules>,
}

impl RuleSet {
    pub fn group(&self, group: u8) -> Option<&GroupRules> {
        self.groups.iter().find(|g| g.group == group)
    }

    /// Every distinct metric any group uses, in first-use order.
    pub fn metrics(&self) -> Vec<Metric> {
        let mut seen: Vec<Metric> = Vec::new();
        for g in &self.groups {
            for m in g.constraints.iter().map(|c| &c.metric).chain(g.factors.iter().map(|f| &f.metric)) {
                if !seen.contains(m) {
                    seen.push(m.clone());
                }
            }
        }
        seen
    }
}

/// Fills a sentence template: {value}, {threshold}, {full_at}, {zero_at}, and {basis} (how the
/// value was measured, `basis` already in the template's language).
pub fn render(template: &str, metric: &Metric, value: Option<f64>, threshold: Option<f64>, curve: Option<Curve>, basis: &str) -> String {
    let d = metric.decimals();
    let num = |v: f64| {
        let text = format!("{v:.d$}");
        if d > 0 { text.replace('.', ",") } else { text }
    };
    let mut out = template.replace("{value}", &value.map_or_else(|| "–".into(), num)).replace("{basis}", basis);
    if let Some(t) = threshold {
        out = out.replace("{threshold}", &num(t));
    }
    if let Some(c) = curve {
        out = out.replace("{full_at}", &num(c.full_at)).replace("{zero_at}", &num(c.zero_at));
    }
    out
}
