//! Scoring a candidate site for a matrix group: constraints (pass/fail) and weighted factors
//! (0-1 by a documented curve), each explained in a sentence a planner can paste into a case
//! file. Pure: the site's measured metrics come in, an `Explanation` goes out.
//!
//! # References
//! PRIOslo/Velferdsetaten, *Matrise for rusfeltet*, revised February 2026 (seed 000, lines
//! 3590-4850); Oslo city council case 314/2004 (seed 002, line 1886).

pub mod criterion;
pub mod score;
pub mod sensitivity;
pub mod what_if;

pub use criterion::{Along, Basis, BasisTexts, Bound, Constraint, Curve, Factor, GroupRules, Metric, Route, RuleSet, ServiceWindow, StaffBase};
pub use score::{ConstraintResult, Explanation, FactorResult, Measured, Verdict, quick_score, score};
