//! The privacy ledger: every measurement of every source-year, kept for ever.
//!
//! zCDP composes by addition: each time a source-year's true counts are measured with fresh
//! noise, its incidents lose another ρ, whatever later happens to the span of years or to the
//! layers. So the ledger is append-only and outlives releases, imports and undos:
//! - the same truth at the same budget repeats the round it was measured in (the same noise, the
//!   same figures: nothing new is revealed and nothing is spent);
//! - a new truth is measured in a round above every earlier one (no noise draw is ever used for
//!   two different truths) and adds its ρ;
//! - a source-year whose next measurement would pass the cap is not measured again: it keeps its
//!   last published figures, and every public output says so.
//!
//! ```
//! use bomiljo::release::ledger::{decide, Decision, Entry};
//! let history = vec![Entry { round: 1, rho: 0.5, hash: "a".into() }, Entry { round: 2, rho: 0.5, hash: "b".into() }];
//! // The data went back to what round 1 measured: round 1 again, nothing spent.
//! assert_eq!(decide(&history, "a", 0.5, 2.0), (Decision::Repeat(1), 1.0));
//! // New data: round 3, ρ 1.5 in all.
//! assert_eq!(decide(&history, "c", 0.5, 2.0), (Decision::Measure(3), 1.5));
//! // Past the cap: frozen.
//! assert_eq!(decide(&history, "c", 0.5, 1.2), (Decision::Frozen, 1.0));
//! ```

/// One measurement of a source-year.
#[derive(Clone, Debug, PartialEq)]
pub struct Entry {
    pub round: u32,
    pub rho: f64,
    /// Hash of the true tallies and the budget measured (never published).
    pub hash: String,
}

/// What a build does with one source-year.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Decision {
    /// The truth was measured before in this round: repeat it.
    Repeat(u32),
    /// Measure afresh in this new round.
    Measure(u32),
    /// The cap is reached: keep the last published figures.
    Frozen,
}

/// The decision for a source-year with this `history`, the hash of its truth now, the ρ a
/// measurement costs and the cap; and the ρ spent in all after it.
pub fn decide(history: &[Entry], hash: &str, rho: f64, cap: f64) -> (Decision, f64) {
    let spent: f64 = history.iter().map(|e| e.rho).sum();
    if let Some(earlier) = history.iter().find(|e| e.hash == hash) {
        return (Decision::Repeat(earlier.round), spent);
    }
    if spent + rho > cap * (1.0 + 1e-9) {
        return (Decision::Frozen, spent);
    }
    let round = history.iter().map(|e| e.round).max().unwrap_or(0) + 1;
    (Decision::Measure(round), spent + rho)
}

/// The δ every stated ε is given at.
pub const DELTA: f64 = 1e-6;

/// The (ε, δ) guarantee implied by ρ-zCDP, by the simple conversion ε = ρ + 2√(ρ ln(1/δ))
/// (Bun & Steinke 2016, proposition 1.3); Canonne, Kamath & Steinke (2020) give a tighter one.
///
/// ```
/// use bomiljo::release::ledger::{epsilon, DELTA};
/// assert!((epsilon(0.5, DELTA) - 5.756).abs() < 1e-3);
/// ```
pub fn epsilon(rho: f64, delta: f64) -> f64 {
    rho + 2.0 * (rho * (1.0 / delta).ln()).sqrt()
}

/// How an ε is worked out, for every output that states one.
pub const CONVERSION: &str = "ε = ρ + 2√(ρ ln(1/δ)) at δ = 1e-6 (Bun & Steinke 2016, prop. 1.3)";
