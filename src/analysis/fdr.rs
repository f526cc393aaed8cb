//! The Benjamini-Hochberg false-discovery-rate correction, for the many tests of one table or map
//! (hot spots over thousands of cells, changes over every delbydel and source).
//!
//! # Algorithm
//! Sort the m p-values; the i-th smallest becomes p₍ᵢ₎·m/i, made monotone from the largest down
//! and capped at 1 (`scipy.stats.false_discovery_control(p, method="bh")`).
//!
//! # References
//! Benjamini, Y. & Hochberg, Y. (1995), "Controlling the false discovery rate", *JRSS B* 57(1).

/// Benjamini-Hochberg adjusted p-values (in the input order).
///
/// ```
/// use bomiljo::analysis::fdr::benjamini_hochberg;
/// let q = benjamini_hochberg(&[0.01, 0.04, 0.03, 0.20]);
/// // Sorted 0.01, 0.03, 0.04, 0.20 → ×4/1, ×4/2, ×4/3, ×4/4 → 0.04, 0.06, 0.0533, 0.20,
/// // then made monotone from the top: 0.04, 0.0533, 0.0533, 0.20.
/// assert!((q[0] - 0.04).abs() < 1e-12 && (q[1] - 0.04 * 4.0 / 3.0).abs() < 1e-12);
/// assert!((q[2] - q[1]).abs() < 1e-12 && (q[3] - 0.20).abs() < 1e-12);
/// ```
pub fn benjamini_hochberg(p: &[f64]) -> Vec<f64> {
    let n = p.len();
    let mut order: Vec<usize> = (0..n).collect();
    order.sort_by(|&a, &b| p[a].total_cmp(&p[b]));
    let mut q = vec![0.0; n];
    let mut running = 1.0_f64;
    for (rank, &i) in order.iter().enumerate().rev() {
        running = running.min(p[i] * n as f64 / (rank + 1) as f64);
        q[i] = running.min(1.0);
    }
    q
}

#[cfg(test)]
mod tests {
    use super::benjamini_hochberg;

    #[test]
    fn matches_scipy() {
        // scipy 1.x: false_discovery_control([0.001, 0.008, 0.039, 0.041, 0.042, 0.06, 0.074, 0.205, 0.212, 0.216])
        let q = benjamini_hochberg(&[0.001, 0.008, 0.039, 0.041, 0.042, 0.06, 0.074, 0.205, 0.212, 0.216]);
        let want = [0.01, 0.04, 0.084, 0.084, 0.084, 0.1, 0.105_714_285_714_285_7, 0.216, 0.216, 0.216];
        for (q, w) in q.iter().zip(want) {
            assert!((q - w).abs() < 1e-12, "{q} vs {w}");
        }
    }
}
