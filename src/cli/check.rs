//! `bomiljo check`: the database against its schema and configuration, and the layers against
//! each other (overlapping areas, population far from what the areas state).

use anyhow::Result;
use bomiljo::store::Database;

use super::Context;
use bomiljo::config::LayerKind;
use bomiljo::store::Store;

pub fn run(ctx: &Context) -> Result<()> {
    let config = &ctx.config;
    let store = ctx.store()?;
    bomiljo::siting::rules::load(&config.project.rules, config)?;
    let mut problems = store.check(config)?;
    problems.extend(overlapping_areas(&store, ctx)?);
    let counts = store.layer_counts()?;
    println!("database {} (schema {}), configuration {}", ctx.db.display(), store.schema_version()?, config.dir.display());
    for (layer, n) in &counts {
        println!("{n:>10}  {layer}");
    }
    problems.extend(points_outside_the_areas(&store, ctx)?);
    if problems.is_empty() {
        println!("check: ok");
        return Ok(());
    }
    for p in &problems {
        println!("problem: {p}");
    }
    anyhow::bail!("check found {} problem(s)", problems.len())
}

/// Areas of one layer covering the same ground, one sentence per layer.
fn overlapping_areas(store: &Store, ctx: &Context) -> Result<Vec<String>> {
    let mut problems = Vec::new();
    for layer in ctx.config.layers.iter().filter(|l| l.kind == LayerKind::Areas) {
        let index = bomiljo::index::AreaIndex::new(store.areas(&layer.name)?);
        let pairs = bomiljo::index::overlapping(&index, 0.01);
        if let Some(first) = pairs.first() {
            problems.push(format!(
                "{} pairs of {} overlap (e.g. {} and {} share {:.0} m², {:.0} % of the smaller); was a second file imported on top (`bomiljo layer history {}`)?",
                pairs.len(),
                layer.name,
                first.first,
                first.second,
                first.shared_m2,
                first.share_of_smaller * 100.0,
                layer.name
            ));
        }
    }
    Ok(problems)
}

/// Stored incidents and housing sites outside every area: each layer's count is printed, and a
/// layer with more than 5 % of its points outside is a problem (the areas may not cover the
/// city, or the points were delivered in the wrong CRS).
fn points_outside_the_areas(store: &Store, ctx: &Context) -> Result<Vec<String>> {
    let areas = &ctx.config.project.assign_layer;
    let mut problems = Vec::new();
    for (layer, outside, stored) in store.unassigned_points()? {
        if outside == 0 {
            continue;
        }
        let share = outside as f64 / stored as f64;
        println!("{outside:>10}  of {stored} {layer} outside every {areas} ({:.1} %)", share * 100.0);
        if share > bomiljo::import::OUTSIDE_WARNING_SHARE {
            problems.push(format!(
                "{outside} of {stored} {layer} ({:.0} %) lie outside every {areas}: were the {areas} replaced by a file that leaves out part of the city (`bomiljo layer history {areas}`)?",
                share * 100.0
            ));
        }
    }
    Ok(problems)
}
