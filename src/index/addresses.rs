//! Addresses found by what people type: a street address ("Trondheimsveien 2A", "trondheimsv 2 a")
//! or a cadastral unit, gnr/bnr ("228/100", "gnr 228 bnr 100", "228/100/0/0"). Built once from the
//! address layer (Kartverket's *Matrikkelen - Adresse*) and searched in memory: no query leaves
//! the server.
//!
//! Street names match case, accents, spaces and punctuation ignored, and by their beginning
//! ("trondheimsv" finds "Trondheimsveien"); a house number must match exactly, a letter when given.
//!
//! ```
//! use bomiljo::index::addresses::{Address, AddressIndex};
//! let at = |street: &str, number: u32, letter: &str, gnr: u32, bnr: u32| Address {
//!     street: street.into(), number: Some(number), letter: letter.into(), gnr: Some(gnr), bnr: Some(bnr),
//!     text: format!("{street} {number}{letter}"), postnummer: None, poststed: None, x: 0.0, y: 0.0,
//! };
//! let index = AddressIndex::new(vec![at("Trondheimsveien", 2, "A", 228, 100), at("Trondheimsveien", 2, "B", 228, 100), at("Øvre Slottsgate", 2, "", 207, 50)]);
//! assert_eq!(index.search("trondheimsv 2b", 10).iter().map(|a| a.text.as_str()).collect::<Vec<_>>(), ["Trondheimsveien 2B"]);
//! assert_eq!(index.search("ovre slottsgate 2", 10)[0].text, "Øvre Slottsgate 2");
//! assert_eq!(index.search("gnr 228 bnr 100", 10).len(), 2);
//! assert!(index.search("Trondheimsveien 3", 10).is_empty());
//! ```

use std::collections::{BTreeMap, HashMap};

use crate::config::labels::place_key as key;
use crate::store::Database;

/// One address, in EPSG:25832.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct Address {
    /// As Kartverket writes it: "Trondheimsveien 2A".
    pub text: String,
    pub street: String,
    pub number: Option<u32>,
    /// The house letter ("A"), empty when none.
    pub letter: String,
    pub gnr: Option<u32>,
    pub bnr: Option<u32>,
    pub postnummer: Option<String>,
    pub poststed: Option<String>,
    pub x: f64,
    pub y: f64,
}

impl Address {
    /// An address from the layer's point: Kartverket's columns kept as tags.
    fn from_tagged(p: crate::store::queries::TaggedPoint) -> Address {
        let tag = |k: &str| p.tags.get(k).map(|v| v.trim().to_string()).filter(|v| !v.is_empty());
        let number = |k: &str| tag(k).and_then(|v| v.parse().ok());
        let street = tag("adressenavn").unwrap_or_default();
        let (n, letter): (Option<u32>, String) = (number("nummer"), tag("bokstav").unwrap_or_default());
        let text = p.name.clone().unwrap_or_else(|| format!("{street} {}{letter}", n.map(|n| n.to_string()).unwrap_or_default()));
        Address {
            text,
            street,
            number: n,
            letter,
            gnr: number("gardsnummer"),
            bnr: number("bruksnummer"),
            postnummer: tag("postnummer"),
            poststed: tag("poststed"),
            x: p.x,
            y: p.y,
        }
    }
}

/// What a search asks for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AddressQuery {
    /// A street (the beginning of its name, folded), a house number and letter when given.
    Street { street: String, number: Option<u32>, letter: Option<String> },
    /// A cadastral unit: gårdsnummer and bruksnummer.
    Unit { gnr: u32, bnr: u32 },
}

impl AddressQuery {
    /// The query a text asks; `None` for text with no letters and no gnr/bnr.
    ///
    /// ```
    /// use bomiljo::index::addresses::AddressQuery;
    /// assert_eq!(AddressQuery::parse("gnr. 208, bnr. 151"), Some(AddressQuery::Unit { gnr: 208, bnr: 151 }));
    /// assert_eq!(AddressQuery::parse("208/151/0/0"), Some(AddressQuery::Unit { gnr: 208, bnr: 151 }));
    /// assert_eq!(
    ///     AddressQuery::parse("Trondheimsveien 2 a"),
    ///     Some(AddressQuery::Street { street: "trondheimsveien".into(), number: Some(2), letter: Some("a".into()) })
    /// );
    /// ```
    pub fn parse(text: &str) -> Option<AddressQuery> {
        let lower = text.trim().to_lowercase();
        let cadastral = lower.contains('/') || lower.starts_with("gnr");
        // "Trondheimsveien 2A, 0550 Oslo": the address is what comes before the postcode.
        let lower = if cadastral { lower } else { lower.split(',').next().unwrap_or_default().to_string() };
        let spaced: String = lower.replace("gnr", " ").replace("bnr", " ").chars().map(|c| if matches!(c, '/' | '.' | ',') { ' ' } else { c }).collect();
        let tokens: Vec<&str> = spaced.split_whitespace().collect();
        if cadastral && (2..=4).contains(&tokens.len()) && tokens.iter().all(|t| t.bytes().all(|b| b.is_ascii_digit())) {
            return Some(AddressQuery::Unit { gnr: tokens[0].parse().ok()?, bnr: tokens[1].parse().ok()? });
        }
        let words: Vec<&str> = lower.split_whitespace().collect();
        let at_number = words.iter().position(|w| w.starts_with(|c: char| c.is_ascii_digit())).unwrap_or(words.len());
        let street = key(&words[..at_number].join(" "));
        // One letter finds half a city: a street is asked by two letters at least.
        if street.chars().count() < 2 {
            return None;
        }
        let rest = words[at_number..].concat();
        let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
        let letter: String = rest[digits.len()..].chars().collect();
        // A house number is a number, and a house letter one letter: anything else finds nothing
        // rather than every number of the street.
        let number = if digits.is_empty() { None } else { Some(digits.parse().ok()?) };
        if letter.chars().count() > 1 || letter.chars().any(|c| !c.is_alphabetic()) {
            return None;
        }
        Some(AddressQuery::Street { street, number, letter: (!letter.is_empty()).then_some(letter) })
    }
}

/// The addresses of a municipality, by street and by cadastral unit.
#[derive(Clone, Debug, Default)]
pub struct AddressIndex {
    addresses: Vec<Address>,
    /// Positions in `addresses` by folded street name.
    by_street: BTreeMap<String, Vec<usize>>,
    by_unit: HashMap<(u32, u32), Vec<usize>>,
}

impl AddressIndex {
    pub fn new(addresses: Vec<Address>) -> AddressIndex {
        let mut by_street: BTreeMap<String, Vec<usize>> = BTreeMap::new();
        let mut by_unit: HashMap<(u32, u32), Vec<usize>> = HashMap::new();
        for (i, a) in addresses.iter().enumerate() {
            by_street.entry(key(&a.street)).or_default().push(i);
            if let (Some(gnr), Some(bnr)) = (a.gnr, a.bnr) {
                by_unit.entry((gnr, bnr)).or_default().push(i);
            }
        }
        // Each street's addresses by house number and letter, so a search stops at its limit.
        for at in by_street.values_mut().chain(by_unit.values_mut()) {
            at.sort_by(|&i, &j| (addresses[i].number, &addresses[i].letter).cmp(&(addresses[j].number, &addresses[j].letter)));
        }
        AddressIndex { addresses, by_street, by_unit }
    }

    /// The addresses of the configured address layer (`[map] addresses`); empty when there is
    /// none or nothing is imported.
    pub fn load(store: &crate::store::Store, config: &crate::config::Config) -> Result<AddressIndex, crate::store::StoreError> {
        let Some(layer) = &config.project.addresses else { return Ok(AddressIndex::default()) };
        Ok(AddressIndex::new(store.tagged_points(layer)?.into_iter().map(Address::from_tagged).collect()))
    }

    pub fn len(&self) -> usize {
        self.addresses.len()
    }

    pub fn is_empty(&self) -> bool {
        self.addresses.is_empty()
    }

    /// At most `limit` addresses for `text`: the street named exactly first, then the streets it
    /// begins in name order, each by house number and letter. The work is bounded by the
    /// streets the name begins, not by the answer: a search stops at `limit`.
    pub fn search(&self, text: &str, limit: usize) -> Vec<&Address> {
        match AddressQuery::parse(text) {
            None => Vec::new(),
            Some(AddressQuery::Unit { gnr, bnr }) => self.by_unit.get(&(gnr, bnr)).into_iter().flatten().take(limit).map(|&i| &self.addresses[i]).collect(),
            // The range starts at the name itself: a street named exactly comes first.
            Some(AddressQuery::Street { street, number, letter }) => self
                .by_street
                .range(street.clone()..)
                .take_while(|(name, _)| name.starts_with(&street))
                .flat_map(|(_, at)| at.iter().map(|&i| &self.addresses[i]))
                .filter(|a| number.is_none_or(|n| a.number == Some(n)) && letter.as_ref().is_none_or(|l| a.letter.to_lowercase() == *l))
                .take(limit)
                .collect(),
        }
    }
}
