//! Post-processing of noisy counts: non-negative integers whose parts add up to their total.
//!
//! # Algorithm
//! Given real estimates uᵢ of the parts and the integer total T they must add up to:
//! 1. the Euclidean projection onto {x ≥ 0, Σx = T}: x = max(u − θ, 0) with θ chosen so that the
//!    parts sum to T (Duchi et al. 2008, sort-based);
//! 2. controlled rounding: floor every part, then add 1 to the parts with the largest fractional
//!    remainders (ties to the lower index) until they sum to T.
//!
//! Post-processing never touches the true counts, so it cannot weaken the privacy guarantee.
//!
//! ```
//! use bomiljo::release::consistency::fit_to_total;
//! // Noisy parts 3.4, −1.2, 2.9 of a total of 6: the negative part goes to zero, the rest share
//! // the difference, and the result is integers that sum to 6.
//! assert_eq!(fit_to_total(&[3.4, -1.2, 2.9], 6), vec![3, 0, 3]);
//! assert_eq!(fit_to_total(&[0.2, 0.1], 0), vec![0, 0]);
//! ```
//!
//! # References
//! Duchi, J., Shalev-Shwartz, S., Singer, Y. & Chandra, T. (2008), "Efficient projections onto
//! the ℓ1-ball for learning in high dimensions", *ICML*; Abowd, J. et al. (2022), "The 2020
//! Census Disclosure Avoidance System TopDown Algorithm", *Harvard Data Science Review*.

/// Non-negative integers summing to `total`, closest to `estimates`. Empty when there are no
/// parts.
pub fn fit_to_total(estimates: &[f64], total: u64) -> Vec<u64> {
    if estimates.is_empty() {
        return Vec::new();
    }
    let projected = project_to_simplex(estimates, total as f64);
    round_to_total(&projected, total)
}

/// The closest point (in L2) to `u` with non-negative parts summing to `total`.
fn project_to_simplex(u: &[f64], total: f64) -> Vec<f64> {
    let mut sorted = u.to_vec();
    sorted.sort_by(|a, b| b.total_cmp(a));
    let mut running = 0.0;
    let mut theta = 0.0;
    for (j, value) in sorted.iter().enumerate() {
        running += value;
        let candidate = (running - total) / (j + 1) as f64;
        // The largest part always stays in (for a total of 0 it lands exactly on 0).
        if j == 0 || value - candidate > 0.0 {
            theta = candidate;
        }
    }
    u.iter().map(|v| (v - theta).max(0.0)).collect()
}

/// Integers (floors plus one for the largest remainders) that sum to `total`.
fn round_to_total(x: &[f64], total: u64) -> Vec<u64> {
    let mut out: Vec<u64> = x.iter().map(|v| v.floor().max(0.0) as u64).collect();
    let assigned: u64 = out.iter().sum();
    let mut by_remainder: Vec<usize> = (0..x.len()).collect();
    by_remainder.sort_by(|&a, &b| (x[b] - x[b].floor()).total_cmp(&(x[a] - x[a].floor())).then(a.cmp(&b)));
    if assigned <= total {
        for &i in by_remainder.iter().cycle().take((total - assigned) as usize) {
            out[i] += 1;
        }
    } else {
        // Floating error can overshoot: take units back from the smallest remainders.
        let mut excess = assigned - total;
        while excess > 0 {
            for &i in by_remainder.iter().rev() {
                if excess > 0 && out[i] > 0 {
                    out[i] -= 1;
                    excess -= 1;
                }
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn parts_are_non_negative_and_sum_to_the_total(parts in proptest::collection::vec(-20.0f64..50.0, 1..40), total in 0u64..500) {
            let fitted = fit_to_total(&parts, total);
            prop_assert_eq!(fitted.len(), parts.len());
            prop_assert_eq!(fitted.iter().sum::<u64>(), total);
        }

        #[test]
        fn consistent_estimates_are_kept(parts in proptest::collection::vec(0u64..30, 1..20)) {
            let total = parts.iter().sum();
            let as_f64: Vec<f64> = parts.iter().map(|&p| p as f64).collect();
            prop_assert_eq!(fit_to_total(&as_f64, total), parts);
        }
    }

    #[test]
    fn a_total_of_zero_gives_zeros_whatever_the_noise() {
        // Found by the property above: a lone noisy part of a zero total must not survive.
        assert_eq!(fit_to_total(&[14.92], 0), vec![0]);
        assert_eq!(fit_to_total(&[3.0, 7.5, -2.0], 0), vec![0, 0, 0]);
    }

    #[test]
    fn projection_shifts_every_positive_part_equally() {
        // u = (5, 1, 0), T = 3: θ = 1.5 → (3.5, 0, 0)? No: θ from the two largest is (6 − 3)/2 =
        // 1.5, and 1 − 1.5 < 0, so only the first stays: θ = 5 − 3 = 2 → (3, 0, 0).
        assert_eq!(project_to_simplex(&[5.0, 1.0, 0.0], 3.0), vec![3.0, 0.0, 0.0]);
        // u = (2, 2), T = 6: both shift up by 1.
        assert_eq!(project_to_simplex(&[2.0, 2.0], 6.0), vec![3.0, 3.0]);
    }
}
