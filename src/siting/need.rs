//! Housing need against supply, per survey year, bydel and matrix group.
//!
//! The need comes from the annual housing-need surveys (*boligbehovskartlegging*, the `need`
//! layer); the supply from the housing layer (units, group, opening and closing dates). For a
//! survey year *Y*, a site is
//!
//! - **in place** when it opened on or before 31 December of *Y* (or its opening date is not
//!   known) and had not closed by then;
//! - **planned** when it opens after *Y* (a site the housing layer holds with a later date), or
//!   when it is a site of an adopted scenario (the plan, saved by an analyst).
//!
//! and the **gap** is the need less the units in place (the gap after planned sites subtracts
//! those too). A bydel with no survey row for a group is *ikke kartlagt*: its need is `None`,
//! never 0, and so is its gap; the city's figure adds the bydeler that reported and says how
//! many did.
//!
//! ```
//! use bomiljo::siting::need::{NeedBook, SupplySite};
//! use bomiljo::store::queries::NeedRow;
//! let survey = vec![NeedRow { year: 2024, bydel: "10".into(), group: 5, housing_type: "gruppe 5".into(), units: 12 }];
//! let supply = vec![SupplySite { bydel: Some("10".into()), group: Some(5), units: 5, opened: None, closed: None, adopted: false }];
//! let book = NeedBook::new(survey, supply, vec!["10".into(), "11".into()]);
//! let grorud = book.balance(2024, Some("10"), 5);
//! assert_eq!((grorud.needed, grorud.in_place, grorud.gap), (Some(12), Some(5), Some(7)));
//! assert_eq!(book.balance(2024, Some("11"), 5).needed, None); // ikke kartlagt
//! ```

use chrono::NaiveDate;
use serde::Serialize;

use crate::store::Database;
use crate::store::queries::{HousingSite, NeedRow};
use crate::store::scenarios::Scenario;

/// The matrix groups, 1 to 8.
pub const GROUPS: std::ops::RangeInclusive<u8> = 1..=8;

/// A housing site as supply: where, for which group, how many units and when.
#[derive(Clone, Debug, PartialEq)]
pub struct SupplySite {
    /// `None` when the site lies outside every delbydel.
    pub bydel: Option<String>,
    /// `None` when the housing layer does not say.
    pub group: Option<u8>,
    pub units: i64,
    pub opened: Option<NaiveDate>,
    pub closed: Option<NaiveDate>,
    /// A site of an adopted scenario: planned, never in place.
    pub adopted: bool,
}

impl SupplySite {
    /// A stored site, its bydel looked up from its delbydel with `bydel_of`.
    pub fn from_stored(site: &HousingSite, bydel_of: impl Fn(&str) -> Option<String>) -> SupplySite {
        let date = |d: &Option<String>| d.as_deref().and_then(|d| NaiveDate::parse_from_str(d, "%Y-%m-%d").ok());
        SupplySite {
            bydel: site.delbydel.as_deref().and_then(bydel_of),
            group: site.group.and_then(|g| u8::try_from(g).ok()),
            units: site.units,
            opened: date(&site.opened),
            closed: date(&site.closed),
            adopted: false,
        }
    }

    fn in_place_at(&self, day: NaiveDate) -> bool {
        !self.adopted && self.opened.is_none_or(|o| o <= day) && self.closed.is_none_or(|c| c > day)
    }

    fn planned_after(&self, day: NaiveDate) -> bool {
        self.adopted || (self.opened.is_some_and(|o| o > day) && self.closed.is_none_or(|c| c > day))
    }
}

/// Need against supply for one survey year, bydel (or the city) and group.
#[derive(Clone, Debug, PartialEq, Serialize, schemars::JsonSchema)]
pub struct Balance {
    pub year: i32,
    /// The bydel's code; `None` for the whole city.
    pub bydel: Option<String>,
    pub group: u8,
    /// Homes needed; `None` when not surveyed (*ikke kartlagt*).
    pub needed: Option<i64>,
    /// How many bydeler the need adds up (1 or 0 for a bydel).
    pub surveyed: u32,
    /// Units in place at the end of the survey year; `None` when not shown (public).
    pub in_place: Option<i64>,
    /// Units of sites opening after the survey year; `None` when not shown (public).
    pub planned: Option<i64>,
    /// Needed less in place; `None` when either is unknown.
    pub gap: Option<i64>,
    /// Needed less in place and planned.
    pub gap_after_planned: Option<i64>,
}

impl Balance {
    /// Sorts the most homes still lacking first, the unknown last.
    pub fn siting_order(&self) -> (bool, std::cmp::Reverse<i64>) {
        (self.gap_after_planned.is_none(), std::cmp::Reverse(self.gap_after_planned.unwrap_or(0)))
    }

    /// The same figure without the supply (the public sees the need only: supply is the
    /// housing layer's, which never shapes a public output).
    pub fn need_only(self) -> Balance {
        Balance { in_place: None, planned: None, gap: None, gap_after_planned: None, ..self }
    }
}

/// The need where a site lies, said as a planner writes it in a case.
#[derive(Clone, Debug, PartialEq, Serialize, schemars::JsonSchema)]
pub struct NeedAtSite {
    #[serde(flatten)]
    pub balance: Balance,
    pub bydel_name: Option<String>,
    /// "Bydel Grorud mangler 7 boliger i gruppe 5 (kartlegging 2024; …)": what is still lacking
    /// after the homes opened or planned since the survey.
    pub text_nb: String,
    pub text_en: String,
}

impl NeedAtSite {
    /// The balance in words; `balance.in_place` is `None` when the caller may not see supply.
    pub fn new(balance: Balance, bydel_name: Option<String>) -> NeedAtSite {
        let code = balance.bydel.clone().unwrap_or_default();
        let (nb_name, en_name) = match &bydel_name {
            Some(name) => (format!("Bydel {name}"), format!("Bydel {name}")),
            None => (format!("Bydel {code}"), format!("Bydel {code}")),
        };
        let (year, group) = (balance.year, balance.group);
        let (text_nb, text_en) = match (balance.needed, balance.gap_after_planned) {
            (None, _) => (
                format!("{nb_name}: behovet i gruppe {group} er ikke kartlagt (kartlegging {year})"),
                format!("{en_name}: the need in group {group} was not surveyed (survey {year})"),
            ),
            (Some(needed), None) => (
                format!("{nb_name} meldte behov for {needed} boliger i gruppe {group} (kartlegging {year})"),
                format!("{en_name} reported a need for {needed} homes in group {group} (survey {year})"),
            ),
            (Some(_), Some(gap)) if gap > 0 => (
                format!(
                    "{nb_name} mangler {gap} {} i gruppe {group} (kartlegging {year}; boliger åpnet eller planlagt siden er regnet med)",
                    if gap == 1 { "bolig" } else { "boliger" }
                ),
                format!(
                    "{en_name} lacks {gap} {} in group {group} (survey {year}; homes opened or planned since are counted)",
                    if gap == 1 { "home" } else { "homes" }
                ),
            ),
            (Some(needed), Some(_)) => {
                let (in_place, planned) = (balance.in_place.unwrap_or_default(), balance.planned.unwrap_or_default());
                (
                    format!(
                        "{nb_name} har dekket behovet i gruppe {group}: {needed} meldt, {in_place} i drift og {planned} åpnet eller planlagt siden (kartlegging {year})"
                    ),
                    format!(
                        "{en_name} has met its need in group {group}: {needed} reported, {in_place} in place and {planned} opened or planned since (survey {year})"
                    ),
                )
            }
        };
        NeedAtSite { balance, bydel_name, text_nb, text_en }
    }
}

/// Every survey row and every site: the basis of [`Balance`]s, built once per data version.
#[derive(Clone, Debug, Default)]
pub struct NeedBook {
    survey: Vec<NeedRow>,
    supply: Vec<SupplySite>,
    /// The bydeler of the geography, in code order.
    bydeler: Vec<String>,
    /// Whether a housing layer is imported: without one, homes in place are unknown, not 0.
    housing_known: bool,
    /// Whether the need layers are public.
    public: bool,
}

/// What a [`NeedBook`] is made from, as stored.
pub struct Stored {
    pub survey: Vec<NeedRow>,
    pub housing: Vec<HousingSite>,
    pub scenarios: Vec<Scenario>,
}

impl NeedBook {
    /// The surveys, housing sites and adopted scenarios stored, placed in the geography's bydeler.
    pub fn load(
        store: &crate::store::Store,
        config: &crate::config::Config,
        geography: &crate::measurement::Geography,
    ) -> Result<NeedBook, crate::store::StoreError> {
        let stored = Stored { survey: store.need_survey(config)?, housing: store.housing_sites()?, scenarios: store.scenarios()? };
        Ok(NeedBook::from_stored(stored, config, geography))
    }

    /// [`NeedBook::load`] from rows already read.
    pub fn from_stored(Stored { survey, housing, scenarios }: Stored, config: &crate::config::Config, geography: &crate::measurement::Geography) -> NeedBook {
        let bydel_of: std::collections::HashMap<&str, &str> = geography.infos.iter().filter_map(|a| Some((a.code.as_str(), a.bydel.as_deref()?))).collect();
        let mut supply: Vec<SupplySite> = housing.iter().map(|s| SupplySite::from_stored(s, |d| bydel_of.get(d).map(|b| b.to_string()))).collect();
        let adopted: Vec<&Scenario> = scenarios.iter().filter(|s| s.adopted).collect();
        if !adopted.is_empty() {
            let areas = crate::index::AreaIndex::new(geography.areas.clone());
            for scenario in adopted {
                supply.extend(scenario.sites.iter().map(|site| SupplySite {
                    bydel: areas.locate(site.x, site.y).and_then(|a| a.parent_code.clone()),
                    group: Some(scenario.group),
                    units: i64::from(site.units.unwrap_or(0)),
                    opened: None,
                    closed: None,
                    adopted: true,
                }));
            }
        }
        let bydeler = bydel_of.values().map(|b| b.to_string()).chain(geography.bydel_names.keys().cloned()).collect();
        // The need is public only as far as every need layer is.
        let public = config.layers_of(crate::config::LayerKind::Need).all(|l| l.visibility == crate::config::Visibility::Public);
        NeedBook { public, ..NeedBook::new(survey, supply, bydeler) }
    }

    /// Whether a housing layer is imported (else supply and gaps are unknown).
    pub fn housing_known(&self) -> bool {
        self.housing_known
    }

    /// Whether the public may see the need (the need layers are public); supply never is.
    pub fn is_public(&self) -> bool {
        self.public
    }

    /// `supply` holds the housing layer's sites (and adopted scenarios'); an empty housing layer
    /// is read as "not imported" (supply unknown).
    pub fn new(survey: Vec<NeedRow>, supply: Vec<SupplySite>, mut bydeler: Vec<String>) -> NeedBook {
        bydeler.sort();
        bydeler.dedup();
        let housing_known = supply.iter().any(|s| !s.adopted);
        NeedBook { survey, supply, bydeler, housing_known, public: true }
    }

    /// The survey years held, oldest first.
    pub fn years(&self) -> Vec<i32> {
        let mut years: Vec<i32> = self.survey.iter().map(|r| r.year).collect();
        years.dedup();
        years
    }

    /// The survey a report on `year` shows: that year's, else the newest before it.
    pub fn survey_for(&self, year: i32) -> Option<i32> {
        self.years().into_iter().rfind(|&y| y <= year)
    }

    /// The newest survey year, if any survey is imported.
    pub fn latest_year(&self) -> Option<i32> {
        self.survey.last().map(|r| r.year)
    }

    pub fn bydeler(&self) -> &[String] {
        &self.bydeler
    }

    /// Need against supply in `bydel` (`None`: the city) for `group` in survey year `year`.
    ///
    /// The city's supply is counted in the bydeler whose need it is set against (those that
    /// reported; every bydel when none did), never in a bydel that did not report or outside
    /// every bydel. Without a housing layer the supply is unknown (`None`), and so is the gap.
    pub fn balance(&self, year: i32, bydel: Option<&str>, group: u8) -> Balance {
        let reported: std::collections::BTreeMap<&str, i64> =
            self.survey.iter().filter(|r| r.year == year && r.group == group && bydel.is_none_or(|b| r.bydel == b)).fold(Default::default(), |mut by, r| {
                *by.entry(r.bydel.as_str()).or_insert(0) += r.units;
                by
            });
        let here = |b: &Option<String>| match (bydel, b.as_deref()) {
            (Some(code), site) => site == Some(code),
            (None, Some(site)) => reported.is_empty() || reported.contains_key(site),
            (None, None) => false,
        };
        let needed = (!reported.is_empty()).then(|| reported.values().sum::<i64>());
        if !self.housing_known {
            return Balance {
                year,
                bydel: bydel.map(str::to_string),
                group,
                needed,
                surveyed: reported.len() as u32,
                in_place: None,
                planned: None,
                gap: None,
                gap_after_planned: None,
            };
        }
        let end = NaiveDate::from_ymd_opt(year, 12, 31).unwrap_or(NaiveDate::MAX);
        let units = |keep: &dyn Fn(&SupplySite) -> bool| -> i64 {
            self.supply.iter().filter(|s| s.group == Some(group) && here(&s.bydel) && keep(s)).map(|s| s.units).sum()
        };
        let in_place = units(&|s| s.in_place_at(end));
        let planned = units(&|s| s.planned_after(end));
        Balance {
            year,
            bydel: bydel.map(str::to_string),
            group,
            needed,
            surveyed: reported.len() as u32,
            in_place: Some(in_place),
            planned: Some(planned),
            gap: needed.map(|n| n - in_place),
            gap_after_planned: needed.map(|n| n - in_place - planned),
        }
    }

    /// Every bydel's balance and the city's for `year`, group by group.
    pub fn table(&self, year: i32) -> Vec<Balance> {
        GROUPS
            .flat_map(|group| self.bydeler.iter().map(move |b| (Some(b.as_str()), group)).chain(std::iter::once((None, group))))
            .map(|(bydel, group)| self.balance(year, bydel, group))
            .collect()
    }

    /// The bydeler for `group` in `year`, the most homes still lacking first (the need less the
    /// homes in place and those opened or planned since the survey: what siting should follow);
    /// bydeler not surveyed come last (in code order), since what they lack is not known.
    pub fn bydeler_by_gap(&self, year: i32, group: u8) -> Vec<Balance> {
        let mut rows: Vec<Balance> = self.bydeler.iter().map(|b| self.balance(year, Some(b), group)).collect();
        rows.sort_by_key(Balance::siting_order);
        rows
    }

    /// Units of the housing layer the balances cannot place: without a group, or outside
    /// every bydel (open at the end of `year`).
    pub fn unplaced_units(&self, year: i32) -> (i64, i64) {
        let end = NaiveDate::from_ymd_opt(year, 12, 31).unwrap_or(NaiveDate::MAX);
        let open = self.supply.iter().filter(|s| s.in_place_at(end));
        let (mut without_group, mut outside) = (0, 0);
        for site in open {
            without_group += if site.group.is_none() { site.units } else { 0 };
            outside += if site.bydel.is_none() { site.units } else { 0 };
        }
        (without_group, outside)
    }

    /// The newest survey's balance in `bydel` for `group`, in words; `None` when no survey is
    /// imported, or for the public (`supply_shown` false) when the need layers are internal.
    pub fn at_site(&self, bydel: &str, bydel_name: Option<String>, group: u8, supply_shown: bool) -> Option<NeedAtSite> {
        if !supply_shown && !self.public {
            return None;
        }
        let balance = self.balance(self.latest_year()?, Some(bydel), group);
        Some(NeedAtSite::new(if supply_shown { balance } else { balance.need_only() }, bydel_name))
    }

    /// Whether a survey is imported at all.
    pub fn is_empty(&self) -> bool {
        self.survey.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(year: i32, bydel: &str, group: u8, units: i64) -> NeedRow {
        NeedRow { year, bydel: bydel.into(), group, housing_type: format!("gruppe {group}"), units }
    }

    fn site(bydel: &str, group: u8, units: i64, opened: Option<&str>, closed: Option<&str>) -> SupplySite {
        let date = |d: Option<&str>| d.map(|d| NaiveDate::parse_from_str(d, "%Y-%m-%d").unwrap());
        SupplySite { bydel: Some(bydel.into()), group: Some(group), units, opened: date(opened), closed: date(closed), adopted: false }
    }

    #[test]
    fn a_site_counts_in_place_from_its_opening_and_until_its_closing() {
        let book = NeedBook::new(
            vec![row(2023, "10", 5, 12), row(2024, "10", 5, 14)],
            vec![
                site("10", 5, 4, Some("2023-06-01"), None),
                site("10", 5, 3, Some("2024-03-01"), None),
                site("10", 5, 2, Some("2020-01-01"), Some("2024-01-01")),
            ],
            vec!["10".into()],
        );
        let b2023 = book.balance(2023, Some("10"), 5);
        // 2023: the 2020 site (2) and the June site (4) are in place; the 2024 site is planned.
        assert_eq!((b2023.in_place, b2023.planned, b2023.gap, b2023.gap_after_planned), (Some(6), Some(3), Some(6), Some(3)));
        let b2024 = book.balance(2024, Some("10"), 5);
        // 2024: the 2020 site closed on 1 January; 4 + 3 in place.
        assert_eq!((b2024.in_place, b2024.planned, b2024.gap), (Some(7), Some(0), Some(7)));
    }

    #[test]
    fn the_city_adds_the_bydeler_that_reported_and_says_how_many() {
        let book =
            NeedBook::new(vec![row(2024, "10", 5, 12), row(2024, "11", 5, 3), row(2024, "11", 4, 2)], vec![], vec!["10".into(), "11".into(), "12".into()]);
        let city = book.balance(2024, None, 5);
        assert_eq!((city.needed, city.surveyed), (Some(15), 2));
        assert_eq!(book.balance(2024, None, 7).needed, None);
        let order: Vec<_> = book.bydeler_by_gap(2024, 5).into_iter().map(|b| b.bydel.unwrap()).collect();
        assert_eq!(order, ["10", "11", "12"]);
    }
}
