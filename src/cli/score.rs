//! `bomiljo score`: one site for a matrix group (or all eight), or a CSV of candidates ranked,
//! each with the explanation a planner can defend.

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{Context as _, Result};
use clap::Args;

use super::{parse_lat_lon, parse_role, Context, Language};
use bomiljo::analysis::siting::Explanation;
use bomiljo::privacy::{Policy, Role};
use bomiljo::siting::{self, Candidate, Ranked, SitingContext, SitingError};

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
    let release = ctx.release_for_reading(&mut store)?;
    let index = std::sync::Arc::new(bomiljo::index::SpatialIndex::build_public(&store, config)?);
    let siting_context = SitingContext::build(store.conn(), config, index, &release)?;
    let policy = Policy::new(args.role, config.project.min_count);
    let coverage = bomiljo::index::Coverage::load(store.conn(), config)?;
    if let Some(path) = &args.sites {
        let candidates = read_candidates(ctx, &coverage, path)?;
        let group = args.group.unwrap_or(1);
        let ranked = siting::rank(&siting_context, group, &candidates, &policy)?;
        let as_json = args.json || args.out.as_ref().is_some_and(|p| p.extension().is_some_and(|e| e == "json"));
        let sink: Box<dyn Write> = match &args.out {
            Some(path) => Box::new(std::fs::File::create(path).with_context(|| format!("writing {}", path.display()))?),
            None => Box::new(std::io::stdout().lock()),
        };
        let explain = |r: &Ranked| siting::score_site(&siting_context, group, &candidates[r.index], &policy);
        return write_ranked(&ranked, &candidates, explain, std::io::BufWriter::new(sink), as_json);
    }
    let (lat, lon) = args.at.expect("clap requires --at without --sites");
    let site = ctx.site_at(&coverage, lat, lon, args.units)?;
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

/// Reads candidates from CSV: lat, lon, and optionally a label (or id, or name) and units.
fn read_candidates(ctx: &Context, coverage: &bomiljo::index::Coverage, path: &Path) -> Result<Vec<Candidate>> {
    let mut reader = csv::Reader::from_path(path).with_context(|| format!("reading {}", path.display()))?;
    let headers = reader.headers()?.clone();
    let column = |name: &str| headers.iter().position(|h| h.eq_ignore_ascii_case(name));
    let (Some(lat), Some(lon)) = (column("lat"), column("lon")) else {
        anyhow::bail!("{}: needs columns lat and lon (and optionally label, units)", path.display());
    };
    let label = column("label").or_else(|| column("id")).or_else(|| column("name"));
    let units = column("units");
    let mut out = Vec::new();
    let mut record = csv::StringRecord::new();
    while reader.read_record(&mut record)? {
        let line = record.position().map_or(0, |p| p.line());
        let number = |c: usize| record.get(c).and_then(|v| v.trim().parse::<f64>().ok()).with_context(|| format!("{}:{line}: not a number", path.display()));
        let units = units
            .and_then(|c| record.get(c))
            .filter(|v| !v.trim().is_empty())
            .map(|v| v.trim().parse::<u32>())
            .transpose()
            .with_context(|| format!("{}:{line}: units is not a whole number", path.display()))?;
        let mut site = ctx.site_at(coverage, number(lat)?, number(lon)?, units).with_context(|| format!("{}:{line}", path.display()))?;
        site.label = Some(label.and_then(|c| record.get(c)).map_or_else(|| format!("line {line}"), str::to_string));
        out.push(site);
    }
    Ok(out)
}

/// Sites explained and written per chunk, in rank order: memory holds one chunk of
/// explanations, not the whole batch (100k sites as JSON would be about 500 MB).
const EXPLAIN_CHUNK: usize = 4096;

/// Writes the ranking as CSV (rank, label, score, passed, summary) or as a JSON array of
/// explanations.
fn write_ranked(
    ranked: &[Ranked],
    candidates: &[Candidate],
    explain: impl Fn(&Ranked) -> Result<Explanation, SitingError> + Sync,
    mut out: impl Write,
    as_json: bool,
) -> Result<()> {
    let label = |r: &Ranked| candidates[r.index].label.clone().unwrap_or_default();
    if as_json {
        out.write_all(b"[")?;
        each_explained(ranked, &explain, |rank, r, e| {
            out.write_all(if rank == 1 { b"\n" } else { b",\n" })?;
            serde_json::to_writer(&mut out, &serde_json::json!({ "rank": rank, "label": label(r), "rank_score": e.score, "explanation": e }))?;
            Ok(())
        })?;
        out.write_all(b"\n]\n")?;
    } else {
        let mut w = csv::Writer::from_writer(&mut out);
        w.write_record(["rank", "label", "score", "passed", "summary"])?;
        each_explained(ranked, &explain, |rank, r, e| {
            w.write_record([rank.to_string(), label(r), format!("{:.1}", e.score), e.passed.to_string(), e.summary])?;
            Ok(())
        })?;
        w.flush()?;
    }
    out.flush()?;
    Ok(())
}

/// Calls `write` with (rank, site, explanation) in rank order, explaining each chunk of sites on
/// every core as its turn comes.
fn each_explained(
    ranked: &[Ranked],
    explain: &(impl Fn(&Ranked) -> Result<Explanation, SitingError> + Sync),
    mut write: impl FnMut(usize, &Ranked, Explanation) -> Result<()>,
) -> Result<()> {
    for (c, chunk) in ranked.chunks(EXPLAIN_CHUNK).enumerate() {
        let explained = bomiljo::parallel::map(chunk, bomiljo::parallel::cores(), explain);
        for (k, (r, e)) in chunk.iter().zip(explained).enumerate() {
            write(c * EXPLAIN_CHUNK + k + 1, r, e?)?;
        }
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
