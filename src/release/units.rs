//! The fixed units of one source-year as a tree: the city, its bydeler, their delbydeler, and
//! under each delbydel three partitions: its cell pieces, its categories and its months.
//!
//! The tree is fixed by geometry and configuration alone (never by the data), so it can be
//! rebuilt from a stored release and used to state the variance of any sum of its units.

use std::collections::BTreeMap;

use super::gls::{Fitted, Tree};
use crate::spatial::SsbCell;

/// One released unit.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Unit {
    City,
    Bydel(String),
    Delbydel(String),
    /// A delbydel's count of one category.
    Category(String, String),
    /// A delbydel's count of one month (1-12).
    Month(String, u8),
    /// The part of an SSB cell inside one delbydel.
    Piece(SsbCell, String),
}

/// The partitions of a delbydel, in the order they are added.
const CELLS: usize = 0;
const CATEGORIES: usize = 1;
const MONTHS: usize = 2;

impl Unit {
    /// The level whose budget share measures this unit.
    pub fn level(&self) -> &'static str {
        match self {
            Unit::City => "city",
            Unit::Bydel(_) => "bydel",
            Unit::Delbydel(_) => "delbydel",
            Unit::Category(..) => "category",
            Unit::Month(..) => "month",
            Unit::Piece(..) => "cell",
        }
    }

    /// The unit's address as stored (and as the noise is keyed): (unit, detail).
    pub fn address(&self) -> (String, String) {
        match self {
            Unit::City => (String::new(), String::new()),
            Unit::Bydel(code) | Unit::Delbydel(code) => (code.clone(), String::new()),
            Unit::Category(code, category) => (code.clone(), category.clone()),
            Unit::Month(code, month) => (code.clone(), month.to_string()),
            Unit::Piece(cell, code) => (cell.id().to_string(), code.clone()),
        }
    }

    /// The unit a stored row names, if its level is known.
    pub fn parse(level: &str, unit: &str, detail: &str) -> Option<Unit> {
        Some(match level {
            "city" => Unit::City,
            "bydel" => Unit::Bydel(unit.to_string()),
            "delbydel" => Unit::Delbydel(unit.to_string()),
            "category" => Unit::Category(unit.to_string(), detail.to_string()),
            "month" => Unit::Month(unit.to_string(), detail.parse().ok().filter(|m| (1..=12).contains(m))?),
            "cell" => Unit::Piece(SsbCell::from_id(unit.parse().ok()?), detail.to_string()),
            _ => return None,
        })
    }
}

/// The units of a source-year with their tree.
#[derive(Debug)]
pub struct Units {
    pub tree: Fitted,
    /// Every node's unit, parents before children.
    pub units: Vec<Unit>,
    index: BTreeMap<Unit, usize>,
}

impl Units {
    /// The tree for these delbydeler (code → bydel), cell pieces (cell, delbydel) and
    /// categories, with each level's noise variance.
    pub fn new(areas: &BTreeMap<String, String>, pieces: &[(SsbCell, String)], categories: &[String], variance: impl Fn(&str) -> f64) -> Units {
        let mut tree = Tree::default();
        let mut units = Vec::new();
        let mut add = |tree: &mut Tree, parent: Option<(usize, usize)>, unit: Unit| {
            let id = tree.add(parent, variance(unit.level()));
            units.push(unit);
            id
        };
        let city = add(&mut tree, None, Unit::City);
        let mut by_bydel: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
        for (code, bydel) in areas {
            by_bydel.entry(bydel.as_str()).or_default().push(code.as_str());
        }
        let mut pieces_of: BTreeMap<&str, Vec<SsbCell>> = BTreeMap::new();
        for (cell, code) in pieces {
            pieces_of.entry(code.as_str()).or_default().push(*cell);
        }
        for (bydel, members) in by_bydel {
            let b = add(&mut tree, Some((city, 0)), Unit::Bydel(bydel.to_string()));
            for code in members {
                let d = add(&mut tree, Some((b, 0)), Unit::Delbydel(code.to_string()));
                // A partition may be empty (a sliver with no cell piece, a source without
                // categories): the tree then has nothing to combine for it.
                for cell in pieces_of.get(code).into_iter().flatten() {
                    add(&mut tree, Some((d, CELLS)), Unit::Piece(*cell, code.to_string()));
                }
                for category in categories {
                    add(&mut tree, Some((d, CATEGORIES)), Unit::Category(code.to_string(), category.clone()));
                }
                for month in 1..=12 {
                    add(&mut tree, Some((d, MONTHS)), Unit::Month(code.to_string(), month));
                }
            }
        }
        let index = units.iter().enumerate().map(|(i, u)| (u.clone(), i)).collect();
        Units { tree: tree.finish(), units, index }
    }

    /// The node of a unit.
    pub fn node(&self, unit: &Unit) -> Option<usize> {
        self.index.get(unit).copied()
    }
}
