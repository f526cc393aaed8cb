//! The privacy checkpoint: every output that can leave the municipality passes through here.
//!
//! A [`Policy`] (the caller's [`Role`] and the threshold k from `bomiljo.toml`) decides whether a
//! count is shown exactly or as "<k", and each output type implements [`Redact`] to blank what a
//! suppressed count would reveal (rates, changes, p-values). Internal layers and individual
//! housing sites are never shown to the public role. API handlers, tiles, exports and reports all
//! call [`Policy::apply`]; none re-implements the rule.

use serde::{Serialize, Serializer};

use crate::figure::Figure;

/// Who is asking.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, serde::Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Anyone: aggregates only, small counts suppressed.
    Public,
    /// Municipal analysts: internal layers and site-level results.
    Analyst,
    /// Imports, tokens and audit.
    Admin,
}

impl Role {
    pub fn parse(s: &str) -> Option<Role> {
        match s {
            "public" => Some(Role::Public),
            "analyst" => Some(Role::Analyst),
            "admin" => Some(Role::Admin),
            _ => None,
        }
    }

    /// Whether this role sees internal layers, exact small counts and individual sites.
    pub fn is_internal(self) -> bool {
        self >= Role::Analyst
    }
}

/// A count as shown to someone: exact (raw rows), "<k", or estimated from the public release
/// with its interval.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Count {
    Exact(u64),
    Below(u32),
    Estimated(Figure),
}

impl Count {
    /// A figure as a count: exact when it has no variance (read from the raw rows).
    pub fn of(figure: Figure) -> Count {
        if figure.is_exact() { Count::Exact(figure.shown()) } else { Count::Estimated(figure) }
    }

    /// The exact value, when shown.
    pub fn exact(self) -> Option<u64> {
        match self {
            Count::Exact(n) => Some(n),
            Count::Below(_) | Count::Estimated(_) => None,
        }
    }

    /// The figure behind a shown count (`None` when suppressed).
    pub fn figure(self) -> Option<Figure> {
        match self {
            Count::Exact(n) => Some(Figure::exact(n)),
            Count::Estimated(f) => Some(f),
            Count::Below(_) => None,
        }
    }

    /// Whether the count is hidden as "<k".
    pub fn is_suppressed(self) -> bool {
        matches!(self, Count::Below(_))
    }
}

impl std::fmt::Display for Count {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Count::Exact(n) => write!(f, "{n}"),
            Count::Below(k) => write!(f, "<{k}"),
            Count::Estimated(figure) => write!(f, "{}", figure.text()),
        }
    }
}

impl Serialize for Count {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Count::Exact(n) => s.serialize_u64(*n),
            Count::Below(k) => s.serialize_str(&format!("<{k}")),
            Count::Estimated(figure) => figure.serialize(s),
        }
    }
}

/// In the API's schema a count is a whole number, or the text "<k" when suppressed.
impl schemars::JsonSchema for Count {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Count".into()
    }

    fn json_schema(generator: &mut schemars::SchemaGenerator) -> schemars::Schema {
        let figure = generator.subschema_for::<Figure>();
        schemars::json_schema!({
            "description": "A count: a whole number (exact, for analysts), \"<k\" (e.g. \"<5\") where an exact count is below the disclosure threshold k, or a Figure estimated from the public release with its interval.",
            "oneOf": [{ "type": "integer", "minimum": 0 }, { "type": "string", "pattern": "^<[0-9]+$" }, figure]
        })
    }
}

/// The caller's role and the suppression threshold.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Policy {
    pub role: Role,
    /// Counts below k are shown as "<k" to the public role.
    pub k: u32,
}

impl Policy {
    pub fn new(role: Role, k: u32) -> Policy {
        Policy { role, k }
    }

    /// A count as this caller may see it.
    ///
    /// ```
    /// use bomiljo::privacy::{Count, Policy, Role};
    /// assert_eq!(Policy::new(Role::Public, 5).count(4), Count::Below(5));
    /// assert_eq!(Policy::new(Role::Public, 5).count(0), Count::Exact(0));
    /// assert_eq!(Policy::new(Role::Analyst, 5).count(4), Count::Exact(4));
    /// ```
    ///
    /// Zero is shown: "nothing happened here" identifies no one, and hiding it would make every
    /// quiet area look suspicious.
    pub fn count(&self, n: u64) -> Count {
        if self.role.is_internal() || n == 0 || n >= u64::from(self.k) { Count::Exact(n) } else { Count::Below(self.k) }
    }

    /// A count as this caller may see it: exact counts under k hidden, estimates from the release
    /// (already private, with their interval) as they are.
    pub fn shown(&self, count: Count) -> Count {
        match count {
            Count::Exact(n) => self.count(n),
            other => other,
        }
    }

    /// A figure as this caller may see it (see [`Policy::shown`]).
    pub fn figure(&self, figure: Figure) -> Count {
        self.shown(Count::of(figure))
    }

    /// An optional exact count kept only where this caller may see it exactly (a cell's own
    /// count beside a statistic about its neighbourhood): `None` otherwise.
    ///
    /// ```
    /// use bomiljo::privacy::{Policy, Role};
    /// assert_eq!(Policy::new(Role::Public, 5).exact(Some(3)), None);
    /// assert_eq!(Policy::new(Role::Public, 5).exact(Some(7)), Some(7));
    /// ```
    pub fn exact(&self, count: Option<u64>) -> Option<u64> {
        count.filter(|&n| self.count(n).exact().is_some())
    }

    /// Whether a value computed from `n` events may be shown (for values that are not counts,
    /// such as a density resting on n incidents).
    pub fn shows_value_from(&self, n: u64) -> bool {
        self.role.is_internal() || n >= u64::from(self.k)
    }

    /// Whether a value resting on an estimated number of incidents (a heat cell's support from
    /// the release: a real number, possibly below 0) may be shown.
    pub fn shows_value_resting_on(&self, incidents: f64) -> bool {
        self.shows_value_from(incidents.round().max(0.0) as u64)
    }

    /// Runs the checkpoint over an output.
    pub fn apply<T: Redact>(&self, mut value: T) -> T {
        value.redact(self);
        value
    }
}

/// An output that knows what to blank for a caller.
pub trait Redact {
    fn redact(&mut self, policy: &Policy);
}

impl<T: Redact> Redact for Vec<T> {
    fn redact(&mut self, policy: &Policy) {
        for item in self {
            item.redact(policy);
        }
    }
}
