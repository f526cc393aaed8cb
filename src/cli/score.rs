//! `bomiljo score`: one site for a matrix group (or all eight), or a CSV of candidates ranked,
//! each with the explanation a planner can defend.

use std::path::{Path, PathBuf};

use anyhow::{Context as _, Result};
use clap::Args;

use super::{parse_lat_lon, parse_role, Context, Language};
use bomiljo::analysis::siting::Explanation;
use bomiljo::privacy::{Policy, Role};
use bomiljo::siting::{self, Candidate, SitingContext};

#[derive(Args)]
pub struct ScoreArgs {
    /// Matrix group 1-8.
    #[arg(long, required_unless_present = "all_groups")]
    group: Option<u8>,
    /// Score one site for every group instead.
    #[arg(long, conflicts_with_all = ["group", "sites"])]
    all_groups: bool,
    /// One site as LAT,LON in degrees, e.g. 59.91,10.75.
    #[arg(long, value_parser = parse_lat_lon, required_unless_present = "sites")]
    at: Option<(f64, f64)>,
    /// A CSV of candidates with columns label, lat, lon and optionally units.
    #[arg(long, conflicts_with = "at")]
    sites: Option<PathBuf>,
    /// Proposed units (the group's usual number when absent).
    #[arg(long)]
    units: Option<u32>,
    /// Print JSON (with --sites: write JSON or CSV to --out by its extension).
    #[arg(long)]
    json: bool,
    /// Where to write batch results (.csv or .json); standard output when absent.
    #[arg(long)]
    out: Option<PathBuf>,
    /// Language of the printed explanation.
    #[arg(long, value_enum, default_value_t = Language::Nb)]
    lang: Language,
    #[arg(long, default_value = "analyst", value_parser = parse_role)]
    role: Role,
}

pub fn run(ctx: &Context, args: ScoreArgs) -> Result<()> {
    let config = &ctx.config;
    let mut store = ctx.store()?;
    let release = bomiljo::release::current(store.conn_mut(), config)?;
    let index = std::sync::Arc::new(bomiljo::index::SpatialIndex::build_public(&store, config)?);
    let siting_context = SitingContext::build(store.conn(), config, index, &release)?;
    let policy = Policy::new(args.role, config.project.min_count);
    if let Some(path) = &args.sites {
        let candidates = read_candidates(ctx, path)?;
        let ranked = siting::compare(&siting_context, args.group.unwrap_or(1), &candidates, &policy)?;
        return write_ranked(&ranked, args.out.as_deref(), args.json);
    }
    let (lat, lon) = args.at.expect("clap requires --at without --sites");
    let site = ctx.site_at(lat, lon, args.units)?;
    let results = if args.all_groups {
        siting::score_all_groups(&siting_context, &site, &policy)
    } else {
        vec![siting::score_site(&siting_context, args.group.unwrap_or(1), &site, &policy)?]
    };
    if args.json {
        let value = if args.all_groups { serde_json::to_value(&results)? } else { serde_json::to_value(&results[0])? };
        println!("{}", serde_json::to_string_pretty(&value)?);
    } else {
        for e in &results {
            print_explanation(e, args.lang == Language::En);
        }
    }
    Ok(())
}

/// Reads candidates from CSV: label, lat, lon, and optionally units.
fn read_candidates(ctx: &Context, path: &Path) -> Result<Vec<Candidate>> {
    let mut reader = csv::Reader::from_path(path).with_context(|| format!("reading {}", path.display()))?;
    let headers = reader.headers()?.clone();
    let column = |name: &str| headers.iter().position(|h| h.eq_ignore_ascii_case(name));
    let (Some(lat), Some(lon)) = (column("lat"), column("lon")) else {
        anyhow::bail!("{}: needs columns lat and lon (and optionally label, units)", path.display());
    };
    let (label, units) = (column("label"), column("units"));
    let mut out = Vec::new();
    for (i, record) in reader.records().enumerate() {
        let record = record?;
        let line = i + 2;
        let number = |c: usize| record.get(c).and_then(|v| v.trim().parse::<f64>().ok()).with_context(|| format!("{}:{line}: not a number", path.display()));
        let units = units
            .and_then(|c| record.get(c))
            .filter(|v| !v.trim().is_empty())
            .map(|v| v.trim().parse::<u32>())
            .transpose()
            .with_context(|| format!("{}:{line}: units is not a whole number", path.display()))?;
        let mut site = ctx.site_at(number(lat)?, number(lon)?, units).with_context(|| format!("{}:{line}", path.display()))?;
        site.label = Some(label.and_then(|c| record.get(c)).map_or_else(|| format!("line {line}"), str::to_string));
        out.push(site);
    }
    Ok(out)
}

fn write_ranked(ranked: &[(Candidate, Explanation)], out: Option<&Path>, json: bool) -> Result<()> {
    let as_json = json || out.is_some_and(|p| p.extension().is_some_and(|e| e == "json"));
    let text = if as_json {
        serde_json::to_string_pretty(
            &ranked.iter().map(|(c, e)| serde_json::json!({ "label": c.label, "rank_score": e.score, "explanation": e })).collect::<Vec<_>>(),
        )?
    } else {
        let mut w = csv::Writer::from_writer(Vec::new());
        w.write_record(["rank", "label", "score", "passed", "summary"])?;
        for (i, (c, e)) in ranked.iter().enumerate() {
            w.write_record([(i + 1).to_string(), c.label.clone().unwrap_or_default(), format!("{:.1}", e.score), e.passed.to_string(), e.summary.clone()])?;
        }
        String::from_utf8(w.into_inner()?)?
    };
    match out {
        Some(path) => std::fs::write(path, text).with_context(|| format!("writing {}", path.display()))?,
        None => print!("{text}"),
    }
    Ok(())
}

fn print_explanation(e: &Explanation, en: bool) {
    println!("{}", if en { &e.summary_en } else { &e.summary });
    for c in &e.constraints {
        println!("  [{}] {}", if c.passed { "ok" } else { "NEI" }, if en { &c.text_en } else { &c.text });
    }
    for f in &e.factors {
        let sub = f.subscore.map_or("  – ".to_string(), |s| format!("{:.2}", s));
        println!("  {sub} × {:<3} {}", f.weight, if en { &f.text_en } else { &f.text });
    }
    println!();
}
