//! A count as estimated: an unbiased value with its variance, and how it is shown.
//!
//! Counts read from the raw rows are exact (variance 0). Counts from the public release are
//! generalised least-squares estimates ([`crate::release::gls`]): unbiased for the unit or sum
//! they describe, possibly negative or fractional, with the variance of that very sum. Whole
//! numbers and non-negativity are display: the figure is shown as its rounded value with a 95 %
//! interval, and as "0–h" when the interval reaches zero, so that a quiet place is never printed
//! as if incidents happened there.
//!
//! ```
//! use bomiljo::figure::Figure;
//! let busy = Figure::new(41.6, 9.0);
//! assert_eq!(busy.interval(), (36, 47));
//! assert_eq!(busy.text(), "42 (36–47)");
//! let quiet = Figure::new(1.2, 9.0);
//! assert_eq!(quiet.text(), "0–7");
//! assert_eq!(Figure::exact(3).text(), "3");
//! // Independent figures (different sources or years) add up, estimates and variances both.
//! let both = busy + quiet;
//! assert!((both.estimate - 42.8).abs() < 1e-9 && both.variance == 18.0);
//! ```

use serde::{Serialize, Serializer};

/// The normal quantile of a two-sided 95 % interval.
pub const Z95: f64 = 1.959_963_984_540_054;

/// An estimated count and its variance.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Figure {
    pub estimate: f64,
    pub variance: f64,
}

impl Figure {
    pub fn new(estimate: f64, variance: f64) -> Figure {
        Figure { estimate, variance }
    }

    /// A count known exactly.
    pub fn exact(n: u64) -> Figure {
        Figure { estimate: n as f64, variance: 0.0 }
    }

    pub fn is_exact(&self) -> bool {
        self.variance == 0.0
    }

    pub fn sd(&self) -> f64 {
        self.variance.max(0.0).sqrt()
    }

    /// The count as a whole number for display and for methods that need one: rounded, never
    /// below 0 (the estimate itself stays as it is).
    pub fn shown(&self) -> u64 {
        self.estimate.round().max(0.0) as u64
    }

    /// The whole numbers inside the 95 % interval `estimate ± 1.96·sd` (a true count is a
    /// non-negative integer, so it lies in the interval exactly when it lies in this range).
    pub fn interval(&self) -> (u64, u64) {
        let half = Z95 * self.sd();
        let low = (self.estimate - half - 1e-9).ceil().max(0.0) as u64;
        let high = (self.estimate + half + 1e-9).floor().max(0.0) as u64;
        (low.min(high), high)
    }

    /// Whether 0 lies in the 95 % interval: the data cannot tell this figure from no incidents.
    pub fn may_be_zero(&self) -> bool {
        self.interval().0 == 0
    }

    /// The figure in words that do not depend on the language: "42 (36–47)", "0–7", or "3" when
    /// exact.
    pub fn text(&self) -> String {
        if self.is_exact() {
            return self.shown().to_string();
        }
        match self.interval() {
            (0, high) => format!("0–{high}"),
            (low, high) => format!("{} ({low}–{high})", self.shown().clamp(low, high)),
        }
    }
}

impl std::ops::Add for Figure {
    type Output = Figure;

    /// The sum of two independent figures.
    fn add(self, other: Figure) -> Figure {
        Figure { estimate: self.estimate + other.estimate, variance: self.variance + other.variance }
    }
}

impl std::ops::AddAssign for Figure {
    fn add_assign(&mut self, other: Figure) {
        *self = *self + other;
    }
}

impl std::iter::Sum for Figure {
    fn sum<I: Iterator<Item = Figure>>(iter: I) -> Figure {
        iter.fold(Figure::default(), |a, b| a + b)
    }
}

/// As JSON: the estimate (one decimal), its standard deviation, the 95 % interval in whole
/// numbers and the text shown.
impl Serialize for Figure {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        let (low, high) = self.interval();
        let mut out = s.serialize_struct("Figure", 5)?;
        out.serialize_field("estimate", &((self.estimate * 10.0).round() / 10.0))?;
        out.serialize_field("sd", &((self.sd() * 100.0).round() / 100.0))?;
        out.serialize_field("low", &low)?;
        out.serialize_field("high", &high)?;
        out.serialize_field("text", &self.text())?;
        out.end()
    }
}

impl schemars::JsonSchema for Figure {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Figure".into()
    }

    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "description": "An estimated count from the public release: the unbiased estimate (may be below 0 or fractional: the noise is kept honest), its standard deviation, the whole numbers in its 95 % interval and the text to show (\"42 (36–47)\", or \"0–7\" when the interval reaches zero).",
            "type": "object",
            "required": ["estimate", "sd", "low", "high", "text"],
            "properties": {
                "estimate": { "type": "number" },
                "sd": { "type": "number", "minimum": 0 },
                "low": { "type": "integer", "minimum": 0 },
                "high": { "type": "integer", "minimum": 0 },
                "text": { "type": "string" }
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_interval_holds_exactly_the_integers_within_the_real_interval() {
        let f = Figure::new(2.0, 1.0);
        // 2 ± 1.96: 0.04 … 3.96 → 1 … 3.
        assert_eq!(f.interval(), (1, 3));
        assert!(!f.may_be_zero());
        assert_eq!(Figure::new(-3.0, 1.0).interval(), (0, 0));
        assert_eq!(Figure::new(-3.0, 1.0).text(), "0–0");
        assert_eq!(Figure::new(0.4, 4.0).text(), "0–4");
    }
}
