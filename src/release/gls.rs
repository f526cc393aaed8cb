//! Generalised least squares over a hierarchy of noisy counts: the minimum-variance unbiased
//! estimate of every unit, and the exact variance of any weighted sum of units.
//!
//! # Model
//! Every node of a tree (the city, its bydeler, their delbydeler, and under each delbydel its cell
//! pieces, its categories and its months) has a true count, and most nodes have one noisy
//! measurement `y = truth + e` with known variance. A node may have several *partitions*: lists of
//! children whose true counts add up to its own (a delbydel is split three ways: into cell pieces,
//! into categories and into months). Measurements are independent.
//!
//! # Algorithm
//! For such a tree, GLS with a flat prior is computed in two passes (the Kalman smoother on a
//! tree; Hay, Rastogi, Miklau & Suciu 2010 for one partition per node):
//! 1. *Bottom-up*: a node's estimate from its own subtree combines its own measurement and, per
//!    partition, the sum of its children's estimates, by inverse variance.
//! 2. *Top-down*: the root keeps its bottom-up estimate; every partition shares the difference
//!    between its parent's final estimate and the children's sum in proportion to the children's
//!    bottom-up variances.
//!
//! The result is unbiased for every node and every sum of nodes, and consistent: children add up
//! to their parent exactly. Nothing is clamped or rounded: non-negativity and integers are for
//! display, with the figure's interval ([`crate::figure`]).
//!
//! The variance of a weighted sum `Σ qₙ·Xₙ` follows from the same structure by the law of total
//! variance, level by level from the leaves up: given its parent, a partition's children are the
//! bottom-up estimates conditioned on their sum, with covariance `diag(u) − u·uᵀ/U`, and their
//! expected sum moves with the parent by `Σ qᵢuᵢ / U`.
//!
//! ```
//! use bomiljo::release::gls::Tree;
//! // A total measured with variance 4 and two parts measured with variance 1 each.
//! let mut tree = Tree::default();
//! let total = tree.add(None, 4.0);
//! let a = tree.add(Some((total, 0)), 1.0);
//! let b = tree.add(Some((total, 0)), 1.0);
//! let tree = tree.finish();
//! let estimate = tree.estimate(&[13.0, 5.0, 6.0]);
//! // The total combines 13 (variance 4) with 5 + 6 (variance 2): (13/4 + 11/2) / (1/4 + 1/2) = 11.67.
//! assert!((estimate[total] - 35.0 / 3.0).abs() < 1e-12);
//! assert!((estimate[a] + estimate[b] - estimate[total]).abs() < 1e-12);
//! // The total's variance: 1 / (1/4 + 1/2).
//! assert!((tree.variance(&[(total, 1.0)]) - 4.0 / 3.0).abs() < 1e-12);
//! ```
//!
//! # References
//! Hay, M., Rastogi, V., Miklau, G. & Suciu, D. (2010), "Boosting the Accuracy of Differentially
//! Private Histograms Through Consistency", *PVLDB* 3(1); Cumings-Menon, R. et al. (2022), "The
//! 2020 Census Disclosure Avoidance System: GLS estimates and their uncertainty", US Census Bureau.

/// A node of the tree as it is added: the variance of its own measurement and where it hangs.
#[derive(Clone, Debug)]
struct Node {
    var: f64,
    parent: Option<(usize, usize)>,
    partitions: Vec<Vec<usize>>,
}

/// A tree being assembled, parents before children.
#[derive(Clone, Debug, Default)]
pub struct Tree {
    nodes: Vec<Node>,
}

impl Tree {
    /// Adds a node under `parent`'s partition `p` (partitions are created as they are named; one
    /// left empty takes no part) and returns its index. `var` is the variance of its own
    /// measurement: every node is measured.
    pub fn add(&mut self, parent: Option<(usize, usize)>, var: f64) -> usize {
        let id = self.nodes.len();
        if let Some((p, part)) = parent {
            let partitions = &mut self.nodes[p].partitions;
            if partitions.len() <= part {
                partitions.resize(part + 1, Vec::new());
            }
            partitions[part].push(id);
        }
        self.nodes.push(Node { var, parent, partitions: Vec::new() });
        id
    }

    pub fn len(&self) -> usize {
        self.nodes.len()
    }

    pub fn is_empty(&self) -> bool {
        self.nodes.is_empty()
    }

    /// Computes the variances that depend on the structure alone.
    pub fn finish(self) -> Fitted {
        let n = self.nodes.len();
        let mut up_var = vec![0.0; n];
        let mut partition_var: Vec<Vec<f64>> = self.nodes.iter().map(|node| vec![0.0; node.partitions.len()]).collect();
        for i in (0..n).rev() {
            let node = &self.nodes[i];
            let mut precision = 1.0 / node.var;
            for (p, children) in node.partitions.iter().enumerate().filter(|(_, c)| !c.is_empty()) {
                let total: f64 = children.iter().map(|&c| up_var[c]).sum();
                partition_var[i][p] = total;
                precision += 1.0 / total;
            }
            up_var[i] = 1.0 / precision;
        }
        let depth = self.nodes.iter().scan(Vec::with_capacity(n), |depths: &mut Vec<usize>, node| {
            let d = node.parent.map_or(0, |(p, _)| depths[p] + 1);
            depths.push(d);
            Some(d)
        });
        let depth = depth.collect();
        Fitted { nodes: self.nodes, up_var, partition_var, depth }
    }
}

/// A tree with its structural variances, ready to estimate measurements.
#[derive(Clone, Debug)]
pub struct Fitted {
    nodes: Vec<Node>,
    /// Each node's variance from its own subtree (bottom-up).
    up_var: Vec<f64>,
    /// Per node and partition: the sum of the children's `up_var`.
    partition_var: Vec<Vec<f64>>,
    depth: Vec<usize>,
}

impl Fitted {
    pub fn len(&self) -> usize {
        self.nodes.len()
    }

    pub fn is_empty(&self) -> bool {
        self.nodes.is_empty()
    }

    /// The GLS estimate of every node from one measurement per node.
    pub fn estimate(&self, measured: &[f64]) -> Vec<f64> {
        assert_eq!(measured.len(), self.nodes.len(), "one measurement per node");
        let n = self.nodes.len();
        let mut up = vec![0.0; n];
        for i in (0..n).rev() {
            let node = &self.nodes[i];
            let mut weighted = measured[i] / node.var;
            for (p, children) in node.partitions.iter().enumerate().filter(|(_, c)| !c.is_empty()) {
                weighted += children.iter().map(|&c| up[c]).sum::<f64>() / self.partition_var[i][p];
            }
            up[i] = weighted * self.up_var[i];
        }
        let mut out = up.clone();
        for i in 0..n {
            for (p, children) in self.nodes[i].partitions.iter().enumerate() {
                let gap = out[i] - children.iter().map(|&c| up[c]).sum::<f64>();
                for &c in children {
                    out[c] = up[c] + self.up_var[c] / self.partition_var[i][p] * gap;
                }
            }
        }
        out
    }

    /// The variance of the estimate of `Σ q·X` over the given (node, weight) pairs. A node may
    /// appear more than once (weights add up).
    pub fn variance(&self, query: &[(usize, f64)]) -> f64 {
        let mut weight: std::collections::BTreeMap<(usize, usize), f64> = std::collections::BTreeMap::new();
        for &(node, q) in query {
            *weight.entry((usize::MAX - self.depth[node], node)).or_default() += q;
        }
        let mut variance = 0.0;
        // Deepest first: a level's weights, once conditioned on, move up to its parents.
        while let Some(((key, _), _)) = weight.first_key_value().map(|(k, v)| (*k, *v)) {
            let level = key;
            let mut groups: std::collections::BTreeMap<(usize, usize), (f64, f64, f64)> = std::collections::BTreeMap::new();
            while let Some((&(l, node), &q)) = weight.first_key_value() {
                if l != level {
                    break;
                }
                weight.pop_first();
                match self.nodes[node].parent {
                    None => variance += q * q * self.up_var[node],
                    Some(parent) => {
                        let u = self.up_var[node];
                        let g = groups.entry(parent).or_default();
                        g.0 += q * q * u;
                        g.1 += q * u;
                    }
                }
            }
            for ((parent, p), (sum_q2u, sum_qu, _)) in groups {
                let total = self.partition_var[parent][p];
                variance += sum_q2u - sum_qu * sum_qu / total;
                *weight.entry((usize::MAX - self.depth[parent], parent)).or_default() += sum_qu / total;
            }
        }
        variance
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use rand_chacha::ChaCha20Rng;
    use rand_distr::{Distribution, Normal};

    /// A city of two bydeler, the first with two delbydeler each split into three cells and two
    /// categories, the second with one delbydel of two cells; and each node's truth.
    fn city() -> (Fitted, Vec<f64>, Vec<usize>) {
        let mut t = Tree::default();
        let mut truth = Vec::new();
        let mut leaves = Vec::new();
        let root = t.add(None, 20.0);
        truth.push(0.0);
        let plan: [&[&[f64]]; 2] = [&[&[0.0, 3.0, 9.0], &[1.0, 0.0, 0.0]], &[&[4.0, 0.0]]];
        for bydel in plan {
            let b = t.add(Some((root, 0)), 10.0);
            truth.push(0.0);
            for cells in bydel {
                let d = t.add(Some((b, 0)), 3.0);
                truth.push(0.0);
                let total: f64 = cells.iter().sum();
                for &c in *cells {
                    leaves.push(t.add(Some((d, 0)), 3.3));
                    truth.push(c);
                }
                // Categories: a part and the rest.
                t.add(Some((d, 1)), 10.0);
                truth.push((total / 2.0).floor());
                t.add(Some((d, 1)), 10.0);
                truth.push(total - (total / 2.0).floor());
                truth[d] = total;
                truth[b] += total;
                truth[root] += total;
            }
        }
        (t.finish(), truth, leaves)
    }

    fn measure(tree: &Fitted, truth: &[f64], rng: &mut ChaCha20Rng) -> Vec<f64> {
        truth.iter().zip(&tree.nodes).map(|(t, n)| t + Normal::new(0.0, n.var.sqrt()).expect("finite variance").sample(rng)).collect()
    }

    /// The GLS estimate computed the textbook way: unknowns are the leaves of the first
    /// partition, each measurement is a sum of leaves, and β = (AᵀWA)⁻¹AᵀWy by Gauss-Jordan.
    fn dense_gls(tree: &Fitted, measured: &[f64]) -> (Vec<f64>, Vec<Vec<f64>>) {
        let n = tree.nodes.len();
        // The leaves under each node, along first partitions only (every partition spans them).
        let mut under: Vec<Vec<usize>> = vec![Vec::new(); n];
        let spine: Vec<usize> = (0..n).filter(|&i| tree.nodes[i].partitions.is_empty() && tree.nodes[i].parent.is_some_and(|(_, p)| p == 0)).collect();
        for (k, &leaf) in spine.iter().enumerate() {
            let mut at = Some(leaf);
            while let Some(i) = at {
                under[i].push(k);
                at = tree.nodes[i].parent.map(|(p, _)| p);
            }
        }
        // Nodes in a later partition (categories) are their own unknowns: add them with the
        // constraint folded in as a very precise measurement of (their sum − their parent).
        let extra: Vec<usize> = (0..n).filter(|&i| tree.nodes[i].parent.is_some_and(|(_, p)| p > 0)).collect();
        let m = spine.len() + extra.len();
        let column = |i: usize| extra.iter().position(|&e| e == i).map(|k| spine.len() + k);
        let mut rows: Vec<(Vec<f64>, f64, f64)> = Vec::new();
        for i in 0..n {
            let mut a = vec![0.0; m];
            match column(i) {
                Some(c) => a[c] = 1.0,
                None => under[i].iter().for_each(|&k| a[k] = 1.0),
            }
            rows.push((a, measured[i], tree.nodes[i].var));
        }
        for (i, node) in tree.nodes.iter().enumerate() {
            for children in node.partitions.iter().skip(1) {
                let mut a = vec![0.0; m];
                children.iter().for_each(|&c| a[column(c).expect("a later partition")] = 1.0);
                under[i].iter().for_each(|&k| a[k] -= 1.0);
                rows.push((a, 0.0, 1e-7));
            }
        }
        let mut normal = vec![vec![0.0; 2 * m + 1]; m];
        for (a, y, v) in &rows {
            for r in 0..m {
                for c in 0..m {
                    normal[r][c] += a[r] * a[c] / v;
                }
                normal[r][2 * m] += a[r] * y / v;
            }
        }
        for (r, row) in normal.iter_mut().enumerate() {
            row[m + r] = 1.0;
        }
        for col in 0..m {
            let pivot = (col..m).max_by(|&a, &b| normal[a][col].abs().total_cmp(&normal[b][col].abs())).expect("rows");
            normal.swap(col, pivot);
            let p = normal[col][col];
            normal[col].iter_mut().for_each(|x| *x /= p);
            for r in 0..m {
                if r != col {
                    let f = normal[r][col];
                    let pivot_row = normal[col].clone();
                    normal[r].iter_mut().zip(pivot_row).for_each(|(x, p)| *x -= f * p);
                }
            }
        }
        let beta: Vec<f64> = (0..n)
            .map(|i| match column(i) {
                Some(c) => normal[c][2 * m],
                None => under[i].iter().map(|&k| normal[k][2 * m]).sum(),
            })
            .collect();
        let covariance = (0..m).map(|r| normal[r][m..2 * m].to_vec()).collect();
        (beta, covariance)
    }

    #[test]
    fn the_two_passes_equal_the_textbook_solution() {
        let (tree, truth, leaves) = city();
        let mut rng = ChaCha20Rng::seed_from_u64(11);
        let measured = measure(&tree, &truth, &mut rng);
        let fast = tree.estimate(&measured);
        let (dense, covariance) = dense_gls(&tree, &measured);
        for (i, (a, b)) in fast.iter().zip(&dense).enumerate() {
            assert!((a - b).abs() < 1e-4, "node {i}: {a} vs {b}");
        }
        // The variance of a sum of leaves (cells of two delbydeler, as a circle would take).
        let query = [leaves[1], leaves[2], leaves[3], leaves[6]];
        let exact: f64 = query
            .iter()
            .enumerate()
            .flat_map(|(a, _)| query.iter().enumerate().map(move |(b, _)| (a, b)))
            .map(|(a, b)| covariance[leaf_column(&leaves, query[a])][leaf_column(&leaves, query[b])])
            .sum();
        let fast = tree.variance(&query.map(|n| (n, 1.0)));
        assert!((fast - exact).abs() < 1e-4 * exact, "{fast} vs {exact}");
    }

    fn leaf_column(leaves: &[usize], node: usize) -> usize {
        leaves.iter().position(|&l| l == node).expect("a leaf")
    }

    #[test]
    fn estimates_are_unbiased_and_their_variance_is_right() {
        let (tree, truth, leaves) = city();
        let mut rng = ChaCha20Rng::seed_from_u64(5);
        let queries: Vec<Vec<(usize, f64)>> = vec![
            vec![(leaves[0], 1.0)],
            vec![(leaves[0], 1.0), (leaves[1], 1.0), (leaves[4], 1.0), (leaves[7], 1.0)],
            vec![(0, 1.0)],
            vec![(1, 1.0), (leaves[7], 1.0)],
            vec![(2, 1.0), (leaves[0], -1.0)],
        ];
        let runs = 40_000;
        let mut sums = vec![(0.0, 0.0); queries.len()];
        for _ in 0..runs {
            let estimate = tree.estimate(&measure(&tree, &truth, &mut rng));
            for (q, query) in queries.iter().enumerate() {
                let error: f64 = query.iter().map(|&(n, w)| w * (estimate[n] - truth[n])).sum();
                sums[q].0 += error;
                sums[q].1 += error * error;
            }
        }
        for (q, query) in queries.iter().enumerate() {
            let mean = sums[q].0 / runs as f64;
            let variance = sums[q].1 / runs as f64 - mean * mean;
            let stated = tree.variance(query);
            assert!(mean.abs() < 4.0 * (stated / runs as f64).sqrt(), "query {q}: bias {mean}");
            assert!((variance / stated - 1.0).abs() < 0.04, "query {q}: variance {variance} vs stated {stated}");
        }
    }

    #[test]
    fn parts_add_up_to_their_parent() {
        let (tree, truth, _) = city();
        let estimate = tree.estimate(&measure(&tree, &truth, &mut ChaCha20Rng::seed_from_u64(2)));
        for (i, node) in tree.nodes.iter().enumerate() {
            for children in &node.partitions {
                let sum: f64 = children.iter().map(|&c| estimate[c]).sum();
                assert!((sum - estimate[i]).abs() < 1e-9);
            }
        }
    }
}
