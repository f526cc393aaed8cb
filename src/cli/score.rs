//! `bomiljo score`: one site for a matrix group (or all eight), or a CSV of candidates ranked,
//! each with the explanation a planner can defend.

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{Context as _, Result};
use clap::Args;

use super::{Context, Language, parse_lat_lon, parse_role};
use bomiljo::analysis::siting::Explanation;
use bomiljo::privacy::{Policy, Role};
use bomiljo::siting::{self, Candidate, Ranked, SitingError};
use bomiljo::snapshot::Snapshot;

#[derive(Args)]
pub struct ScoreArgs {
    /// Matrix group 1-8.
    #[arg(long, required_unless_present = "all_groups")]
    group: Option<u8>,
    /// Score one site for every group instead.
    #[arg(long, conflicts_with_all = ["group", "sites"])]
    all_groups: bool,
    /// One site as LAT,LON in degrees, e.g. 59.91,10.75.
    #[arg(long, value_parser = parse_lat_lon, required_unless_present_any = ["sites", "address"])]
    at: Option<(f64, f64)>,
    /// One site by street address ("Trondheimsveien 2A") or gnr/bnr ("228/100"), from the
    /// address layer.
    #[arg(long, conflicts_with_all = ["at", "sites"])]
    address: Option<String>,
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
    /// What-if: a factor's weight instead of the matrix's, FACTOR=WEIGHT (repeatable; within the
    /// rule file's `[what_if]` range). The explanation names every weight moved.
    #[arg(long = "weight", value_parser = parse_weight, requires = "group")]
    weights: Vec<(String, f64)>,
    /// Batch CSV for Excel on a Norwegian PC: semicolons, decimal commas, a byte-order mark.
    #[arg(long, requires = "sites")]
    excel: bool,
    /// Batch: the sites in the bydeler still lacking the most homes for the group first (the
    /// newest survey's need less the homes in place and those opened or planned since; best
    /// first among equals), with columns `bydel` and `need_gap`; sites where the need is not
    /// surveyed last.
    #[arg(long, requires = "sites")]
    by_need: bool,
    /// Language of the printed explanation.
    #[arg(long, value_enum, default_value_t = Language::Nb)]
    lang: Language,
    #[arg(long, default_value = "analyst", value_parser = parse_role)]
    role: Role,
}

pub fn run(ctx: &Context, args: ScoreArgs) -> Result<()> {
    let config = &ctx.config;
    let mut store = ctx.store()?;
    let world = ctx.snapshot(&mut store)?;
    let (siting_context, coverage) = (&*world.siting, &*world.coverage);
    let policy = Policy::new(args.role, config.project.min_count);
    if let Some(path) = &args.sites {
        let candidates = read_candidates(ctx, coverage, path)?;
        let group = args.group.unwrap_or(1);
        // The weights tried (`--weight`), or the matrix's.
        let what_if = bomiljo::analysis::siting::what_if::WhatIf { weights: args.weights.iter().cloned().collect(), ..Default::default() };
        let (rules, changed) = siting::what_if_rules(siting_context, group, &what_if)?;
        if !changed.is_empty() {
            eprintln!("{}", siting::what_if_words(&changed).1.trim_end());
        }
        let mut ranked = siting::rank_with(siting_context, &rules, &candidates, &policy);
        let need = if args.by_need { Some(need_of_sites(&world, config, &candidates, group, &policy)?) } else { None };
        if let Some(need) = &need {
            ranked.sort_by_key(|r| (need[r.index].1.is_none(), std::cmp::Reverse(need[r.index].1.unwrap_or(0))));
        }
        let as_json = args.json || args.out.as_ref().is_some_and(|p| p.extension().is_some_and(|e| e == "json"));
        let sink: Box<dyn Write> = match &args.out {
            Some(path) => Box::new(std::fs::File::create(path).with_context(|| format!("writing {}", path.display()))?),
            None => Box::new(std::io::stdout().lock()),
        };
        let explain = |r: &Ranked| Ok::<_, SitingError>(siting::score_with(siting_context, &rules, &candidates[r.index], &policy));
        let columns = Columns { need, ..Columns::of(&rules) };
        let form = if as_json {
            Form::Json
        } else if args.excel {
            Form::Excel
        } else {
            Form::Csv
        };
        return write_ranked(&ranked, &candidates, explain, std::io::BufWriter::new(sink), form, &columns);
    }
    let (lat, lon) = match (&args.address, args.at) {
        (Some(text), _) => super::address::locate(&store, config, text)?,
        (None, Some(at)) => at,
        (None, None) => anyhow::bail!("give --at LAT,LON, --address or --sites"),
    };
    let site = ctx.site_at(coverage, lat, lon, args.units)?;
    let results = if args.all_groups {
        siting::score_all_groups(siting_context, &site, &policy)
    } else {
        let group = args.group.unwrap_or(1);
        let what_if = bomiljo::analysis::siting::what_if::WhatIf { weights: args.weights.iter().cloned().collect(), ..Default::default() };
        let (rules, changed) = siting::what_if_rules(siting_context, group, &what_if)?;
        let mut e = siting::score_with(siting_context, &rules, &site, &policy);
        siting::mark_what_if(&mut e, &changed);
        vec![e]
    };
    if args.json {
        let value = if args.all_groups { serde_json::to_value(&results)? } else { serde_json::to_value(&results[0])? };
        println!("{}", serde_json::to_string_pretty(&value)?);
    } else {
        for e in &results {
            print_explanation(e, args.lang == Language::En);
            if !args.all_groups {
                print_flips(e, siting_context.rules().what_if.weight, args.lang == Language::En);
            }
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

/// How batch results are written.
#[derive(Clone, Copy, PartialEq)]
enum Form {
    Json,
    Csv,
    /// CSV as Excel on a Norwegian PC reads it.
    Excel,
}

/// The per-rule columns of a batch CSV: each constraint's measured value (named with its unit)
/// and whether it passed, each factor's value, subscore and weight, in the rule file's order.
struct Columns {
    constraints: Vec<(String, &'static str)>,
    factors: Vec<(String, &'static str)>,
    /// With `--by-need`: each candidate's bydel and the gap there (by candidate index).
    need: Option<Vec<(Option<String>, Option<i64>)>>,
}

/// Each candidate's bydel and the gap there for `group` in the newest survey (`None` where the
/// need is not surveyed); the public role gets no gap (it is made from the housing layer).
fn need_of_sites(
    world: &Snapshot,
    config: &bomiljo::config::Config,
    candidates: &[Candidate],
    group: u8,
    policy: &Policy,
) -> Result<Vec<(Option<String>, Option<i64>)>> {
    anyhow::ensure!(
        policy.role.is_internal(),
        "--by-need orders by the homes still lacking (need less homes in place and planned), which is staff-only (PRIVACY.md); use --role analyst"
    );
    let book = world.need();
    let year = book.latest_year().context("--by-need: no housing-need survey is imported; import one with `bomiljo import need FILE`")?;
    let areas = world.reference.assignment_areas(config).context("--by-need: no delbydeler are imported to place the sites in a bydel")?;
    Ok(candidates
        .iter()
        .map(|c| {
            let bydel = areas.locate(c.x, c.y).and_then(|a| a.parent_code.clone());
            let gap = bydel.as_deref().and_then(|b| book.balance(year, Some(b), group).gap_after_planned);
            (bydel, gap)
        })
        .collect())
}

impl Columns {
    fn of(group: &bomiljo::analysis::siting::GroupRules) -> Columns {
        Columns {
            constraints: group.constraints.iter().map(|c| (c.id.clone(), c.metric.unit())).collect(),
            factors: group.factors.iter().map(|f| (f.id.clone(), f.metric.unit())).collect(),
            need: None,
        }
    }

    fn header(&self) -> Vec<String> {
        let mut h: Vec<String> = ["rank", "label", "score", "passed", "measured_weight_share"].map(String::from).to_vec();
        for (id, unit) in &self.constraints {
            h.extend([format!("{id}_{unit}"), format!("{id}_passed")]);
        }
        for (id, unit) in &self.factors {
            h.extend([format!("{id}_{unit}"), format!("{id}_subscore"), format!("{id}_weight")]);
        }
        if self.need.is_some() {
            h.extend(["bydel", "need_gap"].map(String::from));
        }
        h.push("summary".into());
        h
    }

    /// A site's row: a value not measured (no data, or hidden from the role) is an empty cell,
    /// never 0.
    fn row(&self, rank: usize, index: usize, label: String, e: &Explanation, number: impl Fn(f64, usize) -> String) -> Vec<String> {
        let opt = |v: Option<f64>, digits: usize| v.map_or(String::new(), |v| number(v, digits));
        let mut row = vec![rank.to_string(), label, number(e.score, 1), e.passed.to_string(), number(e.coverage.weight_share, 2)];
        for (id, _) in &self.constraints {
            let c = e.constraints.iter().find(|c| &c.id == id);
            row.extend([opt(c.and_then(|c| c.value), 1), c.map_or(String::new(), |c| c.passed.to_string())]);
        }
        for (id, _) in &self.factors {
            let f = e.factors.iter().find(|f| &f.id == id);
            row.extend([opt(f.and_then(|f| f.value), 1), opt(f.and_then(|f| f.subscore), 3), opt(f.map(|f| f.weight), 1)]);
        }
        if let Some((bydel, gap)) = self.need.as_ref().map(|need| &need[index]) {
            row.extend([bydel.clone().unwrap_or_default(), gap.map(|g| g.to_string()).unwrap_or_default()]);
        }
        row.push(e.summary.clone());
        row
    }
}

/// Writes the ranking as CSV (rank, label, score, passed, then a column per rule's value and
/// outcome, summary) or as a JSON array of explanations.
fn write_ranked(
    ranked: &[Ranked],
    candidates: &[Candidate],
    explain: impl Fn(&Ranked) -> Result<Explanation, SitingError> + Sync,
    mut out: impl Write,
    form: Form,
    columns: &Columns,
) -> Result<()> {
    let label = |r: &Ranked| candidates[r.index].label.clone().unwrap_or_default();
    if form == Form::Json {
        out.write_all(b"[")?;
        each_explained(ranked, &explain, |rank, r, e| {
            out.write_all(if rank == 1 { b"\n" } else { b",\n" })?;
            let mut record = serde_json::json!({ "rank": rank, "label": label(r), "rank_score": e.score, "explanation": e });
            if let Some((bydel, gap)) = columns.need.as_ref().map(|need| &need[r.index]) {
                record["bydel"] = serde_json::json!(bydel);
                record["need_gap"] = serde_json::json!(gap);
            }
            serde_json::to_writer(&mut out, &record)?;
            Ok(())
        })?;
        out.write_all(b"\n]\n")?;
    } else {
        let excel = form == Form::Excel;
        if excel {
            out.write_all("\u{feff}".as_bytes())?;
        }
        let number = |v: f64, digits: usize| {
            let text = format!("{v:.digits$}");
            if excel { text.replace('.', ",") } else { text }
        };
        let mut w = csv::WriterBuilder::new().delimiter(if excel { b';' } else { b',' }).from_writer(&mut out);
        w.write_record(columns.header())?;
        each_explained(ranked, &explain, |rank, r, e| {
            w.write_record(columns.row(rank, r.index, label(r), &e, number))?;
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

/// A FACTOR=WEIGHT pair of `--weight`.
fn parse_weight(s: &str) -> Result<(String, f64), String> {
    let (id, w) = bomiljo::import::parse_pair(s).map_err(|_| format!("'{s}' is not FACTOR=WEIGHT, e.g. transit_stops=3"))?;
    Ok((id, w.parse().map_err(|_| format!("'{w}' is not a number (in --weight {s})"))?))
}

/// Where the verdict would turn, one weight at a time (printed after the explanation).
fn print_flips(e: &Explanation, range: (f64, f64), en: bool) {
    for f in bomiljo::analysis::siting::sensitivity::verdict_flips(e, range) {
        let (then_nb, then_en) = f.verdict_then.words();
        if en {
            println!("  if {} weighed {:.2} instead of {} the site would be {then_en}", f.factor, f.weight_at, f.weight_now);
        } else {
            println!("  om {} veide {:.2} i stedet for {} ville stedet være {then_nb}", f.factor, f.weight_at, f.weight_now);
        }
    }
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
