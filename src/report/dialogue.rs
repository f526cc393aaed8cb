//! The neighbour-dialogue report: honest, privacy-safe facts about the area around a planned
//! home, as public material. Facts are gathered as data ([`DialogueFacts`]), always pass the
//! public privacy policy, and are then laid out as blocks for the PDF writer ([`super::pdf`]).
//!
//! What the report never holds: any housing site other than the planned one, any count under k,
//! any label of the people who will live there (it describes housing, not people).

use std::collections::BTreeMap;
use std::path::Path;

use geo::{BoundingRect, Intersects};
use serde::Deserialize;

use super::pdf::{Block, MapBlock, StreetLine};
use crate::analysis::grid::Grid;
use crate::analysis::kde::{Quartic, Support, WeightedPoint, kde_with};
use crate::analysis::network::isochrone::{Direction, isochrone};
use crate::analysis::trend::{Trend, trend};
use crate::config::Config;
use crate::figure::Figure;
use crate::index::network::Mode;
use crate::index::{AreaIndex, SpatialIndex};
use crate::measurement::{Geography, Incidents, MeasureError};
use crate::privacy::{Count, Policy, Redact, Role};
use crate::release::{PublicBeforeAfter, Release};
use crate::spatial::{Metres, SsbCell, SsbProjection};
use crate::store::queries::StreetRow;
use crate::store::{AreaRow, IncidentFilter};

/// Language of the report.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Lang {
    Nb,
    En,
}

/// What to report on.
#[derive(Clone, Debug)]
pub struct DialogueParams {
    /// The planned site, EPSG:25832.
    pub x: f64,
    pub y: f64,
    pub radius_m: f64,
    /// The kind of housing, in neutral words (e.g. "samlokaliserte boliger med personalbase").
    pub housing_type: String,
    /// The matrix group of the planned housing, when known: its distances are quoted.
    pub group: Option<u8>,
    /// Draw where a staff base can lie and reach the home in 5 minutes by car: only for housing
    /// whose rules ask for that (`GroupRules::measures_staff_base`); ordinary dwellings have no
    /// staff base, and the area would only crowd the map.
    pub staff_base_area: bool,
    pub lang: Lang,
}

/// The housing type the sheet names: the one given, else the group's housing type from the rule
/// file in the sheet's language, else clustered homes with a staff base.
///
/// ```
/// use bomiljo::report::dialogue::{housing_type, Lang};
/// assert_eq!(housing_type(None, None, Lang::En), "clustered homes with a staff base");
/// assert_eq!(housing_type(Some("to småhus"), None, Lang::En), "to småhus");
/// ```
pub fn housing_type(given: Option<&str>, group: Option<&crate::analysis::siting::GroupRules>, lang: Lang) -> String {
    let lower_first = |s: &str| s.chars().next().map(|c| c.to_lowercase().chain(s.chars().skip(1)).collect()).unwrap_or_default();
    match (given, group, lang) {
        (Some(given), _, _) => given.to_string(),
        (None, Some(g), Lang::Nb) => lower_first(&g.housing_nb),
        (None, Some(g), Lang::En) => lower_first(&g.housing_en),
        (None, None, Lang::Nb) => "samlokaliserte boliger med personalbase".into(),
        (None, None, Lang::En) => "clustered homes with a staff base".into(),
    }
}

/// Counts per source and year as shown.
pub type Shown = BTreeMap<String, BTreeMap<i32, Count>>;

/// A source's rate per 1,000 inhabitants near the site, in the delbydel and in the city.
pub type RateRow = (String, Option<f64>, Option<f64>, Option<f64>);

/// Everything the report says, before layout.
#[derive(Clone, Debug)]
pub struct DialogueFacts {
    pub params: DialogueParams,
    pub delbydel: Option<(String, String)>,
    /// The bydel's code (for its contact entry).
    pub bydel: Option<String>,
    pub years: Vec<i32>,
    pub sources: Vec<String>,
    pub near: Shown,
    pub area: Shown,
    /// Per source, the latest year per 1,000 inhabitants: near the site, in the delbydel, in the city.
    pub rates: Vec<RateRow>,
    pub residents_near: f64,
    /// The delbydel's trend per source over the report's years.
    pub trends: Vec<(String, Option<Trend>)>,
    /// The one public before/after result of the release.
    pub experience: PublicBeforeAfter,
    /// How accurate the released figures are, in plain words.
    pub accuracy: String,
    /// Metres to the nearest school, kindergarten and public-transport stop: in a straight line,
    /// and on foot where the street network covers the way.
    pub distances: Vec<(&'static str, Option<f64>, Option<f64>)>,
    /// What the rules say about this kind of housing, in neutral words.
    pub recommendation: Vec<String>,
    pub map: MapBlock,
    /// When the staff base's drive area covers (nearly) the whole map, it is said instead of
    /// drawn: its minutes.
    pub reach_fills_map: Option<f64>,
    /// Incidents within the bandwidth of each heat cell, for suppression.
    heat_support: Vec<f64>,
}

/// Report texts from `texts/dialogue.toml`, in the sheet's language.
#[derive(Clone, Debug, Deserialize)]
pub struct Texts {
    pub title: String,
    pub intro: String,
    pub qa: Vec<(String, String)>,
    /// The contact section when the site's bydel has no filled-in entry in `[contacts]`.
    pub no_contact: String,
    /// Per bydel code: whom neighbours contact and the neighbour meeting (shared by both languages).
    #[serde(skip)]
    pub contacts: BTreeMap<String, Contact>,
}

/// A bydel's contact person and neighbour meeting, as the bydel fills them in.
#[derive(Clone, Debug, Deserialize)]
pub struct Contact {
    pub person: String,
    pub phone: String,
    pub email: String,
    pub meeting_nb: String,
    pub meeting_en: String,
}

impl Contact {
    /// The entry's fields; an entry with an empty field or a `[placeholder]` is not ready to print.
    fn fields(&self) -> [&str; 5] {
        [&self.person, &self.phone, &self.email, &self.meeting_nb, &self.meeting_en]
    }

    fn is_filled(&self) -> bool {
        self.fields().iter().all(|f| !f.trim().is_empty() && placeholder(f).is_none())
    }
}

#[derive(Deserialize)]
struct TextFile {
    nb: Texts,
    en: Texts,
    #[serde(default)]
    contacts: BTreeMap<String, Contact>,
}

/// The first `[...]` in a text: a placeholder a bydel has not filled in yet.
fn placeholder(text: &str) -> Option<&str> {
    let start = text.find('[')?;
    let end = start + text[start..].find(']')?;
    Some(&text[start..=end])
}

/// Reads the texts; refuses a file whose printed texts still hold a `[placeholder]` (a sheet must
/// never print "\[navn\]"). Contact entries with placeholders are not refused: the sheet leaves
/// them out until they are filled.
pub fn load_texts(config: &Config, lang: Lang) -> Result<Texts, crate::config::ConfigError> {
    let path = config.dir.join("texts/dialogue.toml");
    let text = std::fs::read_to_string(&path).map_err(|source| crate::config::ConfigError::Read { path: path.clone(), source })?;
    let file: TextFile = toml::from_str(&text).map_err(|e| crate::config::ConfigError::Parse { path: path.clone(), message: e.to_string() })?;
    let (mut texts, section) = match lang {
        Lang::Nb => (file.nb, "nb"),
        Lang::En => (file.en, "en"),
    };
    let printed = [&texts.title, &texts.intro, &texts.no_contact].into_iter().chain(texts.qa.iter().flat_map(|(q, a)| [q, a]));
    if let Some(found) = printed.filter_map(|t| placeholder(t)).next() {
        return Err(crate::config::ConfigError::Invalid {
            path,
            message: format!("[{section}] still holds the placeholder '{found}'; fill it in (or remove it) before neighbour-dialogue sheets are printed"),
        });
    }
    texts.contacts = file.contacts;
    Ok(texts)
}

/// Years reported: the last five with data.
const YEARS: i32 = 5;

/// Everything the sheet reads: the public release and public reference data, never raw rows.
pub struct Sources<'a> {
    pub config: &'a Config,
    pub release: &'a Release,
    pub geography: &'a Geography,
    /// Schools, kindergartens and stops (public reference layers).
    pub index: &'a SpatialIndex,
    /// The street network (public data), for distances on foot and the drive area on the map.
    pub travel: Option<&'a crate::siting::Travel>,
    /// The siting rules in force (what the sheet says the guidelines ask), read once by the
    /// caller; `None` when they did not load.
    pub rules: Option<&'a crate::analysis::siting::RuleSet>,
}

pub fn gather(src: &Sources, params: &DialogueParams) -> Result<DialogueFacts, MeasureError> {
    if !(100.0..=2000.0).contains(&params.radius_m) {
        return Err(MeasureError::BadParameter(format!("radius = {} m is outside 100-2000 m", params.radius_m)));
    }
    let (x, y) = (params.x, params.y);
    let release = src.release;
    let index = AreaIndex::new(src.geography.areas.clone());
    let site_area = index.locate(x, y);
    let delbydel = site_area.map(|a| (a.code.clone(), a.name.clone().unwrap_or_default()));
    let bydel = site_area.and_then(|a| a.parent_code.clone());
    // The last YEARS years the release has; none (and so no figures) before any data: the
    // release has no table for year 0, so every count of it reads "ingen data".
    let last = release.years(None).map_or(0, |(_, last)| last);
    let years: Vec<i32> = if last == 0 { Vec::new() } else { (last - YEARS + 1..=last).collect() };
    let sources = crate::measurement::sources(src.config);
    // The circle's figures are the released cells whose centre lies inside it.
    let projection = SsbProjection::new();
    let inside = |cell: &SsbCell| projection.centre(*cell).is_some_and(|(cx, cy)| (cx - x).hypot(cy - y) <= params.radius_m);
    let table = |s: &str, y: i32| release.table(s, y);
    // Each figure is the estimate of that very sum, with its own variance.
    let near_count = |s: &str, y: i32| table(s, y).map(|t| t.pieces_where(|c| inside(&c)));
    let code = delbydel.as_ref().map(|(code, _)| code.clone());
    let area_count = |s: &str, y: i32| code.as_ref().and_then(|code| table(s, y)?.area(code));
    let city_count = |s: &str, y: i32| table(s, y).map(|t| t.city());
    let residents_near: f64 =
        src.config.population_layers().filter_map(|layer| src.index.points.get(layer)).map(|people| people.within(x, y, Metres(params.radius_m)).weight).sum();
    let area_population = code.as_ref().and_then(|code| src.geography.infos.iter().find(|a| &a.code == code)?.population);
    let city_population: f64 = src.geography.population.iter().map(|p| p.weight).sum();
    let per_1000 = |n: Option<Figure>, people: Option<f64>| Some(n?.estimate.max(0.0) / people.filter(|p| *p >= 100.0)? * 1000.0);
    let rates = sources
        .iter()
        .map(|s| {
            (
                s.clone(),
                per_1000(near_count(s, last), Some(residents_near)),
                per_1000(area_count(s, last), area_population),
                per_1000(city_count(s, last), Some(city_population)),
            )
        })
        .collect();
    let trends = sources
        .iter()
        .map(|s| (s.clone(), years.iter().map(|&y| Some((y, area_count(s, y)?.shown()))).collect::<Option<Vec<_>>>().and_then(|series| trend(&series))))
        .collect();
    // A source-year without data stays out of the table ("–"), not zero.
    let shown = |count: &dyn Fn(&str, i32) -> Option<Figure>| -> Shown {
        sources.iter().map(|s| (s.clone(), years.iter().filter_map(|&y| Some((y, Count::of(count(s, y)?)))).collect())).collect()
    };
    let distances = ["schools", "kindergartens", "transit_stops"]
        .into_iter()
        .map(|layer| {
            let straight = src.index.points.get(layer).and_then(|points| points.nearest(x, y, 1).first().map(|n| n.distance.0));
            (layer, straight, src.travel.and_then(|t| t.walk_to(layer, x, y)))
        })
        .collect();
    let streets =
        src.config.project.streets.as_ref().filter(|_| !src.geography.streets.is_empty()).map(|s| (s.attribution.as_str(), src.geography.streets.as_slice()));
    let (mut map, heat_support) = map_block(release, &src.geography.areas, streets, params, last)?;
    // Where a staff base can lie and reach the home in the minutes (towards it: one-way streets).
    map.reach = src
        .travel
        .filter(|_| params.staff_base_area)
        .and_then(|t| isochrone(&t.network, x, y, Mode::Drive, REACH_MINUTES, Direction::To))
        .filter(|area| area.reached_m > 0.0)
        .map(|area| (REACH_MINUTES, area.area));
    // A fill over the whole frame says nothing and hides the map: then the caption says it.
    let reach_fills_map = map.reach.as_ref().filter(|(_, area)| share_of_frame(area, map.bbox) >= REACH_FILLS_MAP).map(|(minutes, _)| *minutes);
    if reach_fills_map.is_some() {
        map.reach = None;
    }
    Ok(DialogueFacts {
        params: params.clone(),
        delbydel,
        bydel,
        near: shown(&near_count),
        area: shown(&area_count),
        years,
        sources: sources.clone(),
        rates,
        residents_near,
        trends,
        experience: release.settings.before_after.clone(),
        accuracy: match params.lang {
            Lang::Nb => release.accuracy_nb(),
            Lang::En => release.accuracy_en(),
        },
        distances,
        recommendation: src.rules.map(|rules| recommendation(rules, params)).unwrap_or_default(),
        map,
        reach_fills_map,
        heat_support,
    })
}

/// The share of the map the drive area may cover and still be drawn.
const REACH_FILLS_MAP: f64 = 0.85;

/// The share of the frame `[x0, y0, x1, y1]` an area covers.
fn share_of_frame(area: &geo::MultiPolygon<f64>, [x0, y0, x1, y1]: [f64; 4]) -> f64 {
    use geo::{Area, BooleanOps};
    let frame = geo::Rect::new(geo::coord! { x: x0, y: y0 }, geo::coord! { x: x1, y: y1 }).to_polygon();
    area.intersection(&geo::MultiPolygon(vec![frame])).unsigned_area() / ((x1 - x0) * (y1 - y0))
}

/// Minutes by car of the area drawn around the planned home: the matrix asks for a staff base
/// within 5 minutes by car (seed 000, line 4555).
const REACH_MINUTES: f64 = 5.0;

/// The map: streets (with their credit), delbydel boundaries and names, a neutral heat layer of
/// all released incidents in the latest year.
fn map_block(
    release: &Release,
    areas: &[AreaRow],
    streets: Option<(&str, &[StreetRow])>,
    params: &DialogueParams,
    year: i32,
) -> Result<(MapBlock, Vec<f64>), MeasureError> {
    let half = params.radius_m * 1.8;
    let bbox = [params.x - half, params.y - half, params.x + half, params.y + half];
    let view = geo::Rect::new(geo::coord! { x: bbox[0], y: bbox[1] }, geo::coord! { x: bbox[2], y: bbox[3] });
    let in_view: Vec<&AreaRow> = areas.iter().filter(|a| a.polygon.bounding_rect().is_some_and(|r| r.intersects(&view))).collect();
    let boundaries = in_view.iter().map(|a| a.polygon.clone()).collect();
    // Each delbydel's name at a point inside it (inside the part in view when it reaches beyond).
    let labels = in_view
        .iter()
        .filter_map(|a| {
            let visible = geo::BooleanOps::intersection(&a.polygon, &geo::MultiPolygon(vec![view.to_polygon()]));
            let at = geo::InteriorPoint::interior_point(&visible)?;
            Some((at.x(), at.y(), a.name.clone().unwrap_or_else(|| a.code.clone())))
        })
        .collect();
    let grid = Grid::covering(bbox, Metres((half / 30.0).max(25.0)));
    let filter = IncidentFilter { years: Some((year, year)), ..Default::default() };
    let points: Vec<WeightedPoint> = Incidents::Released(release)
        .points(&filter, false)?
        .into_iter()
        .filter(|p| (p.x - params.x).abs() < half + 400.0 && (p.y - params.y).abs() < half + 400.0)
        .collect();
    let density = kde_with(&points, &grid, Metres(300.0), &Quartic, Support::Weights);
    let heat = density.per_km2.iter().map(|v| (*v > 0.0).then_some(*v)).collect();
    let credit = streets.map(|(credit, _)| credit.to_string());
    let (streets, street_names) = streets.map(|(_, rows)| streets_in_view(rows, view)).unwrap_or_default();
    let map =
        MapBlock { bbox, boundaries, grid, heat, site: (params.x, params.y), radius_m: params.radius_m, labels, streets, street_names, credit, reach: None };
    Ok((map, density.support))
}

/// The streets inside `view` (clipped to it; motorways, trunk and primary roads as major), and
/// each street's name once, at the middle of its longest piece in view, longest first.
fn streets_in_view(rows: &[StreetRow], view: geo::Rect<f64>) -> (Vec<StreetLine>, Vec<(f64, f64, String)>) {
    use geo::{BooleanOps, Euclidean, InterpolatableLine, Length};
    let frame = geo::MultiPolygon(vec![view.to_polygon()]);
    let mut lines = Vec::new();
    let mut longest: BTreeMap<&str, (f64, geo::Point<f64>)> = BTreeMap::new();
    for street in rows.iter().filter(|s| s.lines.bounding_rect().is_some_and(|r| r.intersects(&view))) {
        let inside = frame.clip(&street.lines, false);
        if inside.0.is_empty() {
            continue;
        }
        if let Some(name) = street.name.as_deref() {
            for piece in &inside.0 {
                let length = Euclidean.length(piece);
                if longest.get(name).is_none_or(|(best, _)| length > *best) {
                    if let Some(middle) = piece.point_at_ratio_from_start(&Euclidean, 0.5) {
                        longest.insert(name, (length, middle));
                    }
                }
            }
        }
        let major = matches!(street.class.as_deref(), Some("motorway" | "trunk" | "primary"));
        lines.push(StreetLine { lines: inside, major });
    }
    // The longest streets in view first: where names would collide, theirs are kept.
    let mut names: Vec<(f64, f64, f64, String)> = longest.into_iter().map(|(name, (length, at))| (length, at.x(), at.y(), name.to_string())).collect();
    names.sort_by(|a, b| b.0.total_cmp(&a.0));
    (lines, names.into_iter().map(|(_, x, y, name)| (x, y, name)).collect())
}

/// The rule file's distances for housing of this kind, in words about housing.
fn recommendation(rules: &crate::analysis::siting::RuleSet, params: &DialogueParams) -> Vec<String> {
    let lang = params.lang;
    let wanted = params.housing_type.to_lowercase();
    let named = |g: &&crate::analysis::siting::GroupRules| {
        [&g.housing_nb, &g.housing_en].iter().any(|h| h.to_lowercase().contains(&wanted) || wanted.contains(&h.to_lowercase()))
    };
    let group = match params.group {
        Some(n) => rules.groups.iter().find(|g| g.group == n),
        None => rules.groups.iter().find(named),
    };
    let Some(group) = group else {
        return Vec::new();
    };
    let mut out = Vec::new();
    if let Some(max) = group.constraints.iter().find(|c| c.id == "max_residents") {
        out.push(match lang {
            Lang::Nb => format!("Oslo bystyre har bestemt at det skal bo høyst {:.0} personer på hvert sted.", max.bound.threshold()),
            Lang::En => format!("Oslo city council has decided that at most {:.0} people shall live at each site.", max.bound.threshold()),
        });
    }
    let near: Vec<String> = group
        .factors
        .iter()
        .filter(|f| matches!(&f.metric, crate::analysis::siting::Metric::DistanceTo { layer, .. } if ["transit_stops", "grocery", "pharmacies"].contains(&layer.as_str())))
        .map(|f| {
            let what = match (&f.metric, lang) {
                (crate::analysis::siting::Metric::DistanceTo { layer, .. }, Lang::Nb) => match layer.as_str() {
                    "transit_stops" => "kollektivtransport",
                    "grocery" => "dagligvarebutikk",
                    _ => "apotek",
                },
                (crate::analysis::siting::Metric::DistanceTo { layer, .. }, Lang::En) => match layer.as_str() {
                    "transit_stops" => "public transport",
                    "grocery" => "a grocery store",
                    _ => "a pharmacy",
                },
                _ => "",
            };
            let on_foot = matches!(&f.metric, crate::analysis::siting::Metric::DistanceTo { along: crate::analysis::siting::Along::Walk, .. });
            match (lang, on_foot) {
                (Lang::Nb, true) => format!("{what} innen {:.0} m å gå", f.curve.full_at),
                (Lang::Nb, false) => format!("{what} innen {:.0} m", f.curve.full_at),
                (Lang::En, true) => format!("{what} within {:.0} m on foot", f.curve.full_at),
                (Lang::En, false) => format!("{what} within {:.0} m", f.curve.full_at),
            }
        })
        .collect();
    if !near.is_empty() {
        out.push(match lang {
            Lang::Nb => format!("Retningslinjene for slike boliger anbefaler {} (Velferdsetatens retningslinjer, 2026).", near.join(", ")),
            Lang::En => format!("The guidelines for such housing recommend {} (Velferdsetatens retningslinjer, 2026).", near.join(", ")),
        });
    }
    out
}

impl Redact for DialogueFacts {
    /// The report is public material whoever asks: counts under k become "<k", rates that rest
    /// on a suppressed count and trends over suppressed years are dropped, heat cells resting on
    /// fewer than k incidents are blank, and site-level experience is removed.
    fn redact(&mut self, policy: &Policy) {
        let last = self.years.last().copied().unwrap_or_default();
        for shown in [&mut self.near, &mut self.area] {
            for by_year in shown.values_mut() {
                for c in by_year.values_mut() {
                    *c = policy.shown(*c);
                }
            }
        }
        for (source, near, area, _) in &mut self.rates {
            let hidden = |s: &Shown| s.get(source.as_str()).and_then(|m| m.get(&last)).is_some_and(|c| c.is_suppressed());
            if hidden(&self.near) {
                *near = None;
            }
            if hidden(&self.area) {
                *area = None;
            }
        }
        for (source, t) in &mut self.trends {
            if self.area.get(source.as_str()).is_some_and(|m| m.values().any(|c| c.is_suppressed())) {
                *t = None;
            }
        }
        for (v, s) in self.map.heat.iter_mut().zip(&self.heat_support) {
            if !policy.shows_value_resting_on(*s) {
                *v = None;
            }
        }
    }
}

/// Gathers the facts for `params`, always through the public policy, and writes the PDF.
pub fn render(src: &Sources, params: &DialogueParams) -> Result<Vec<u8>, super::ReportError> {
    let public = Policy::new(Role::Public, src.config.project.min_count);
    let facts = public.apply(gather(src, params)?);
    let texts = load_texts(src.config, params.lang)?;
    let blocks = layout(&facts, &texts, public.k);
    let lang = match params.lang {
        Lang::Nb => "nb",
        Lang::En => "en",
    };
    Ok(super::pdf::write(&texts.title, lang, &blocks)?)
}

/// Writes the report to a file.
pub fn write_file(src: &Sources, params: &DialogueParams, out: &Path) -> Result<(), super::ReportError> {
    let pdf = render(src, params)?;
    std::fs::write(out, pdf).map_err(|source| super::ReportError::Write { path: out.to_path_buf(), source })
}

/// Words of the report in each language.
struct Words {
    lang: Lang,
}

impl Words {
    fn pick<'a>(&self, nb: &'a str, en: &'a str) -> &'a str {
        match self.lang {
            Lang::Nb => nb,
            Lang::En => en,
        }
    }

    fn source(&self, s: &str) -> String {
        match (s, self.lang) {
            ("fire", Lang::Nb) => "Brann og redning".into(),
            ("police", Lang::Nb) => "Politi".into(),
            ("waste", Lang::Nb) => "Renovasjon".into(),
            ("fire", Lang::En) => "Fire and rescue".into(),
            ("police", Lang::En) => "Police".into(),
            ("waste", Lang::En) => "Waste services".into(),
            (other, _) => other.into(),
        }
    }

    fn number(&self, v: f64, digits: usize) -> String {
        super::number(v, digits, self.lang == Lang::Nb)
    }
}

/// The report as blocks: page 1 map and counts, page 2 comparisons and guidelines, page 3
/// questions and answers.
fn layout(f: &DialogueFacts, texts: &Texts, k: u32) -> Vec<Block> {
    let w = Words { lang: f.params.lang };
    let mut b = vec![
        Block::Title(texts.title.clone()),
        Block::Text(format!(
            "{}: {}. {} {} m. {}",
            w.pick("Planlagt", "Planned"),
            f.params.housing_type,
            w.pick("Området i dette arket er en sirkel med radius", "The area in this sheet is a circle with radius"),
            f.params.radius_m,
            f.delbydel.as_ref().map(|(_, n)| format!("{} {n}.", w.pick("Delbydel:", "Sub-district:"))).unwrap_or_default()
        )),
        Block::Text(texts.intro.clone()),
        Block::Map(Box::new(f.map.clone())),
        Block::Note(format!(
            "{} {}{} {}{}",
            w.pick("Kart:", "Map:"),
            if f.map.credit.is_some() { w.pick("gater (OpenStreetMap), ", "streets (OpenStreetMap), ") } else { "" },
            w.pick("grenser og navn for delbydeler (Oslo kommune), sirkelen viser området, punktet den planlagte boligen. Skyggen viser hvor hendelser samler seg (alle kilder,", "sub-district boundaries and names (Oslo kommune); the circle is the area, the dot the planned home. The shading shows where incidents gather (all sources,"),
            w.pick(&format!("{}). Befolkning: SSB.", f.years.last().unwrap_or(&0)), &format!("{}). Population: Statistics Norway.", f.years.last().unwrap_or(&0))),
            match (&f.map.reach, f.reach_fills_map) {
                (Some((minutes, _)), _) => w.pick(
                    &format!(" Det blå feltet viser hvor en personalbase kan ligge og nå boligen på {minutes:.0} minutter med bil langs gatene; retningslinjene ber om personalbase innen 5 minutter."),
                    &format!(" The blue area shows where a staff base can lie and reach the home in {minutes:.0} minutes by car along the streets; the guidelines ask for a staff base within 5 minutes.")
                ).to_string(),
                (None, Some(minutes)) => w.pick(
                    &format!(" Fra nesten hele kartutsnittet når en personalbase boligen på {minutes:.0} minutter med bil langs gatene; retningslinjene ber om personalbase innen 5 minutter."),
                    &format!(" From almost all of the map a staff base reaches the home in {minutes:.0} minutes by car along the streets; the guidelines ask for a staff base within 5 minutes.")
                ).to_string(),
                (None, None) => String::new(),
            }
        )),
        Block::Heading(w.pick("Registrerte hendelser per år", "Recorded incidents per year").into()),
    ];
    let header: Vec<String> = std::iter::once(String::new()).chain(f.years.iter().map(|y| y.to_string())).collect();
    let mut rows = vec![header];
    for (label, shown) in [(w.pick("innen sirkelen", "inside the circle"), &f.near), (w.pick("i delbydelen", "in the sub-district"), &f.area)] {
        for source in &f.sources {
            let cells =
                shown.get(source).map(|m| f.years.iter().map(|y| m.get(y).map_or("–".into(), |c| c.to_string())).collect::<Vec<_>>()).unwrap_or_default();
            rows.push(std::iter::once(format!("{} {label}", w.source(source))).chain(cells).collect());
        }
    }
    b.push(Block::Table(rows));
    b.push(Block::Note(format!(
        "{} {} {k} {}",
        w.pick(
            "Tallene innen sirkelen er summen for de offentlige rutene på 250 m som har midtpunktet sitt i sirkelen.",
            "The figures inside the circle are the sum of the public 250 m cells whose centre lies in the circle."
        ),
        w.pick("Tall under", "Counts under"),
        w.pick(
            &format!("vises som «<{k}» for å verne enkeltpersoner. «–»: ingen data."),
            &format!("are shown as \"<{k}\" to protect individuals. \"–\": no data.")
        )
    )));
    b.push(Block::Note(f.accuracy.clone()));
    b.push(Block::PageBreak);
    b.push(Block::Heading(w.pick("Sammenlignet med resten av byen", "Compared with the rest of the city").into()));
    let year = f.years.last().copied().unwrap_or_default();
    for (source, near, area, city) in &f.rates {
        let v = |x: &Option<f64>| x.map_or_else(|| w.pick("ikke oppgitt", "not given").to_string(), |v| w.number(v, 1));
        b.push(Block::Text(format!(
            "{} {year}: {} {} ({} {} {}), {} {}, {} {} {}.",
            w.source(source),
            v(near),
            w.pick("per 1 000 innbyggere innen sirkelen", "per 1,000 inhabitants inside the circle"),
            w.pick("om lag", "about"),
            w.number(f.residents_near, 0),
            w.pick("innbyggere", "inhabitants"),
            v(area),
            w.pick("i delbydelen", "in the sub-district"),
            w.pick("og", "and"),
            v(city),
            w.pick("i hele byen", "in the whole city")
        )));
    }
    b.push(Block::Heading(w.pick("Utviklingen i delbydelen", "The trend in the sub-district").into()));
    for (source, t) in &f.trends {
        b.push(Block::Text(match t {
            // A change that rounds to 0 % a year is no change to speak of ("omtrent 0 % per år").
            Some(t) if t.pct_per_year.abs() < 0.5 => format!(
                "{}: {} {}.",
                w.source(source),
                w.pick("har vært omtrent uendret", "has stayed about the same"),
                w.pick(&format!("de siste {} årene", t.years), &format!("over the last {} years", t.years))
            ),
            Some(t) => {
                let (dir_nb, dir_en) = if t.pct_per_year >= 0.0 { ("økt", "risen") } else { ("gått ned", "fallen") };
                let sure = if t.p_value < 0.05 {
                    w.pick("en tydelig utvikling", "a clear development")
                } else {
                    w.pick("innenfor det som kan skyldes tilfeldigheter", "within what chance could explain")
                };
                format!(
                    "{}: {} {} {} {} % {} ({sure}).",
                    w.source(source),
                    w.pick("har", "has"),
                    w.pick(dir_nb, dir_en),
                    w.pick("med omtrent", "by about"),
                    w.number(t.pct_per_year.abs(), 0),
                    w.pick(&format!("per år de siste {} årene", t.years), &format!("a year over the last {} years", t.years))
                )
            }
            None => format!("{}: {}", w.source(source), w.pick("for få hendelser til å si noe om utviklingen.", "too few incidents to describe a trend.")),
        }));
    }
    b.push(Block::Heading(w.pick("Erfaring fra andre boliger i Oslo", "Experience from other housing in Oslo").into()));
    b.push(Block::Text(match f.params.lang {
        Lang::Nb => f.experience.conclusion_nb.clone(),
        Lang::En => f.experience.conclusion_en.clone(),
    }));
    b.push(Block::Heading(w.pick("Avstander naboer ofte spør om", "Distances neighbours often ask about").into()));
    for (layer, straight, walk) in &f.distances {
        let what = match *layer {
            "schools" => w.pick("Nærmeste skole", "Nearest school"),
            "kindergartens" => w.pick("Nærmeste barnehage", "Nearest kindergarten"),
            _ => w.pick("Nærmeste holdeplass", "Nearest public-transport stop"),
        };
        // Rounded to 10 m: a neighbouring building would read "0 m".
        let metres = |d: f64| format!("{} m", w.number((d / 10.0).round() * 10.0, 0));
        b.push(Block::Text(format!(
            "{what}: {}",
            match (straight, walk) {
                (None, _) => w.pick("ikke i datagrunnlaget", "not in the data").to_string(),
                (Some(d), _) if *d < 10.0 =>
                    w.pick("under 10 m (samme sted eller tomten ved siden av)", "under 10 m (the same place or the plot next door)").to_string(),
                (Some(d), Some(on_foot)) => format!(
                    "{} {}, {} {}",
                    metres(*d),
                    w.pick("i luftlinje", "in a straight line"),
                    metres(*on_foot),
                    w.pick("til fots langs gatene", "on foot along the streets")
                ),
                (Some(d), None) => format!("{} {}", metres(*d), w.pick("i luftlinje", "in a straight line")),
            }
        )));
    }
    if !f.recommendation.is_empty() {
        b.push(Block::Heading(w.pick("Hva retningslinjene sier om slike boliger", "What the guidelines say about such housing").into()));
        b.extend(f.recommendation.iter().cloned().map(Block::Text));
    }
    b.push(Block::PageBreak);
    b.push(Block::Heading(w.pick("Spørsmål og svar", "Questions and answers").into()));
    for (q, a) in &texts.qa {
        b.push(Block::Bold(q.clone()));
        b.push(Block::Text(a.clone()));
    }
    b.push(Block::Heading(w.pick("Kontakt", "Contact").into()));
    match f.bydel.as_ref().and_then(|code| texts.contacts.get(code)).filter(|c| c.is_filled()) {
        Some(c) => {
            b.push(Block::Text(format!("{} {}, {}, {}", w.pick("Kontaktperson i bydelen:", "Contact in the district:"), c.person, c.phone, c.email)));
            b.push(Block::Text(format!("{} {}", w.pick("Nabomøte:", "Neighbour meeting:"), w.pick(&c.meeting_nb, &c.meeting_en))));
        }
        // No entry yet: the sheet says so and leaves lines to write on before the meeting, so the
        // answer that points here ("står under «Kontakt»") is never left hanging.
        None => {
            b.extend(texts.no_contact.lines().map(|l| Block::Text(l.to_string())));
            let blank = "_".repeat(40);
            for label in [
                w.pick("Kontaktperson i bydelen:", "Contact in the district:"),
                w.pick("Telefon og e-post:", "Phone and e-mail:"),
                w.pick("Nabomøte (tid og sted):", "Neighbour meeting (time and place):"),
            ] {
                b.push(Block::Text(format!("{label} {blank}")));
            }
        }
    }
    b
}
