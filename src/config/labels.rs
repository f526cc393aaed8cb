//! Category labels as agencies write them, mapped to a layer's categories.
//!
//! Each agency exports its own words ("Vold", "Ordensforstyrrelse", "uro", "Narkotikabeslag").
//! A layer file lists them once, many labels to one category:
//!
//! ```toml
//! categories = ["disturbance", "violence"]
//! [category_labels]
//! disturbance = ["uro", "ordensforstyrrelse"]
//! violence = ["vold", "legemsbeskadigelse"]
//! ```
//!
//! so a new export is a TOML edit, not a code change. Matching ignores case, accents and
//! punctuation ([`normalise`]); a category's own name always matches itself.

use std::collections::{BTreeMap, HashMap};

use serde::Serialize;

/// The labels of one layer, normalised, each with its category.
#[derive(Clone, Debug, Default, Serialize)]
pub struct CategoryLabels {
    categories: Vec<String>,
    #[serde(skip)]
    by_label: HashMap<String, usize>,
    /// Every label as written in the layer file, for suggestions.
    labels: Vec<String>,
}

impl CategoryLabels {
    /// Checks that every label names a known category and no label maps to two categories.
    ///
    /// ```
    /// use bomiljo::config::CategoryLabels;
    /// let labels = [("violence".to_string(), vec!["Vold".to_string(), "legemsbeskadigelse".to_string()])].into();
    /// let map = CategoryLabels::new(vec!["violence".into(), "drugs".into()], labels).unwrap();
    /// assert_eq!(map.category_of("VOLD"), Some("violence"));
    /// assert_eq!(map.category_of(" Legemsbeskadigelse "), Some("violence"));
    /// assert_eq!(map.category_of("drugs"), Some("drugs"));
    /// assert_eq!(map.category_of("innbrudd"), None);
    /// ```
    pub fn new(categories: Vec<String>, labels: BTreeMap<String, Vec<String>>) -> Result<CategoryLabels, String> {
        let mut by_label = HashMap::new();
        let mut written = Vec::new();
        for (i, category) in categories.iter().enumerate() {
            by_label.insert(normalise(category), i);
        }
        for (category, list) in labels {
            let Some(i) = categories.iter().position(|c| *c == category) else {
                let hint = super::suggest(&category, categories.iter().map(String::as_str));
                return Err(format!("[category_labels] {category}: not one of the layer's categories{hint} ({})", categories.join(", ")));
            };
            for label in list {
                match by_label.insert(normalise(&label), i) {
                    Some(j) if j != i => {
                        return Err(format!("[category_labels]: label '{label}' is listed under both {} and {category}", categories[j]));
                    }
                    _ => written.push(label),
                }
            }
        }
        Ok(CategoryLabels { categories, by_label, labels: written })
    }

    /// The category a label from a file stands for.
    pub fn category_of(&self, label: &str) -> Option<&str> {
        self.by_label.get(&normalise(label)).map(|&i| self.categories[i].as_str())
    }

    pub fn categories(&self) -> &[String] {
        &self.categories
    }

    /// Every label and category name a file may use, for "did you mean".
    pub fn known(&self) -> impl Iterator<Item = &str> {
        self.categories.iter().chain(&self.labels).map(String::as_str)
    }
}

/// Lower case, Latin accents removed (é → e; æ, ø and å are Norwegian letters and kept),
/// runs of space, `_`, `-` and `/` folded to one space, trimmed.
///
/// ```
/// assert_eq!(bomiljo::config::labels::normalise("  Orden-forstyrrelse  "), "orden forstyrrelse");
/// assert_eq!(bomiljo::config::labels::normalise("Kafé_Bråk"), "kafe bråk");
/// ```
pub fn normalise(label: &str) -> String {
    let folded: String = label
        .to_lowercase()
        .chars()
        .map(|c| match c {
            'á' | 'à' | 'â' | 'ä' | 'ã' => 'a',
            'é' | 'è' | 'ê' | 'ë' => 'e',
            'í' | 'ì' | 'î' | 'ï' => 'i',
            'ó' | 'ò' | 'ô' | 'ö' | 'õ' => 'o',
            'ú' | 'ù' | 'û' | 'ü' => 'u',
            '_' | '-' | '/' => ' ',
            other => other,
        })
        .collect();
    folded.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// A place name (bydel, street) for lookups: [`normalise`]d, spaces and punctuation dropped,
/// and æ, ø, å as people type them without a Norwegian keyboard, so that "St. Hanshaugen" finds
/// "St.Hanshaugen" and "ovre slottsgate" finds "Øvre Slottsgate".
///
/// ```
/// use bomiljo::config::labels::place_key;
/// assert_eq!(place_key("St. Hanshaugen"), place_key("St.Hanshaugen"));
/// assert_eq!(place_key("Øvre Slottsgate"), "ovreslottsgate");
/// assert_eq!(place_key("Grünerløkka"), place_key("grunerlokka"));
/// ```
pub fn place_key(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    for c in normalise(name).chars().filter(|c| c.is_alphanumeric()) {
        match c {
            'æ' => out.push_str("ae"),
            'ø' => out.push('o'),
            'å' => out.push('a'),
            _ => out.push(c),
        }
    }
    out
}
