//! The command line: clap definitions and the glue from each subcommand to the library.

use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;

use anyhow::{Context, Result};
use clap::{Args, Parser, Subcommand};

use bomiljo::analysis::indicators::Indicator;
use bomiljo::analysis::siting::Explanation;
use bomiljo::api::{self, AppState};
use bomiljo::config::Config;
use bomiljo::demo::{self, DemoOptions};
use bomiljo::import::{import_file, ImportError, ImportMode, ImportOptions};
use bomiljo::measurement::{self, Level};
use bomiljo::privacy::{Policy, Role};
use bomiljo::report::dialogue;
use bomiljo::siting::{self, Candidate, SitingContext};
use bomiljo::spatial::{Crs, Transformer, ANALYSIS_CRS};
use bomiljo::store::{audit, ops, tokens, OpenMode, Store};

/// bomiljo: neighbourhood monitoring for housing in Oslo's drug and mental-health field.
#[derive(Parser)]
#[command(name = "bomiljo", version, about)]
pub struct Cli {
    /// The DuckDB database file.
    #[arg(long, global = true, env = "BOMILJO_DB", default_value = "bomiljo.duckdb")]
    pub db: PathBuf,
    /// Folder with bomiljo.toml, layers/ and web/ (default: ./ if it has bomiljo.toml, else the
    /// source tree this binary was built from).
    #[arg(long, global = true, env = "BOMILJO_CONFIG")]
    pub config: Option<PathBuf>,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand)]
pub enum Command {
    /// List the layers defined in layers/*.toml.
    Layers {
        /// Print JSON instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// Import a GeoJSON, CSV or Parquet file into a layer (all or nothing).
    Import {
        /// Layer name, e.g. delbydeler or incidents_police (see `bomiljo layers`).
        layer: String,
        file: PathBuf,
        /// CRS of the coordinates, overriding the file: EPSG:4326, EPSG:25832 or EPSG:25833.
        #[arg(long)]
        crs: Option<String>,
        /// Read a field (or the x, y, lon, lat coordinates) from another column: --field date=Dato
        /// --field x=Øst (repeatable).
        #[arg(long = "field", value_name = "NAME=COLUMN", value_parser = parse_field)]
        fields: Vec<(String, String)>,
        /// replace: the file is the whole layer (the default for areas, population, points of
        /// interest and housing); append: add rows, replacing rows with the same id (the default
        /// for incidents). Superseded rows are kept for `bomiljo layer undo`.
        #[arg(long, value_parser = parse_mode)]
        mode: Option<ImportMode>,
        /// Read and check every row, list the category labels found and how each maps, and
        /// write nothing.
        #[arg(long)]
        dry_run: bool,
        /// Repair invalid polygons (self-crossing rings, overlapping parts) and say what changed,
        /// instead of refusing the file.
        #[arg(long)]
        make_valid: bool,
        /// The table of a GeoPackage, or the sheet of an Excel workbook, when it holds several.
        #[arg(long)]
        source_layer: Option<String>,
        #[command(flatten)]
        dialect: DialectArgs,
        /// Who is importing, for the import log.
        #[arg(long, env = "USER", default_value = "unknown")]
        user: String,
    },
    /// A layer's import history, and undo of its newest import.
    Layer {
        #[command(subcommand)]
        what: LayerCommand,
    },
    /// Serve the API and the map page.
    Serve(ServeArgs),
    /// Generate a demo dataset (deterministic), import it, and serve it.
    Demo {
        /// Real area polygons to generate on (e.g. ../shared/data/oslo/delbydeler.geojson);
        /// a fictional city when absent.
        #[arg(long)]
        areas: Option<PathBuf>,
        /// A real population file (e.g. ../shared/data/oslo/befolkning_250m_2023.geojson).
        #[arg(long)]
        population: Option<PathBuf>,
        /// Further real files to import: --import bydeler=FILE --import marka=FILE (repeatable).
        #[arg(long = "import", value_name = "LAYER=FILE", value_parser = parse_field)]
        extra: Vec<(String, String)>,
        #[arg(long, default_value_t = 2026)]
        seed: u64,
        /// Where to write the generated files.
        #[arg(long, default_value = "data/demo")]
        out: PathBuf,
        /// Build the database and stop instead of serving it.
        #[arg(long)]
        no_serve: bool,
        #[command(flatten)]
        serve: ServeArgs,
    },
    /// Indicators per delbydel (or bydel), incident source and year.
    Measure {
        #[arg(long)]
        year: i32,
        /// delbydel or bydel.
        #[arg(long, default_value = "delbydel", value_parser = parse_level)]
        level: Level,
        #[arg(long, value_enum, default_value_t = TableFormat::Table)]
        format: TableFormat,
        /// Whose view: analyst (exact counts; the default for someone holding the database
        /// file) or public (counts under k shown as "<k").
        #[arg(long, default_value = "analyst", value_parser = parse_role)]
        role: Role,
    },
    /// Score candidate sites for a matrix group (or all groups) with explanations.
    Score {
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
    },
    /// Check the siting rule file (or another one) for errors.
    Rules {
        #[command(subcommand)]
        what: RulesCommand,
    },
    /// Write a report.
    Report {
        #[command(subcommand)]
        what: ReportCommand,
    },
    /// Show or export the audit log.
    Audit {
        #[arg(long, default_value_t = 100)]
        limit: usize,
        #[arg(long, value_enum, default_value_t = DataFormat::Json)]
        format: DataFormat,
    },
    /// Export every layer (and the import and audit logs) as Parquet, for backup or a larger engine.
    Export {
        /// Output folder.
        #[arg(long)]
        out: PathBuf,
    },
    /// Check the database and the configuration; exits non-zero on any problem.
    Check,
    /// Manage API tokens (roles: public, analyst, admin).
    Token {
        #[command(subcommand)]
        what: TokenCommand,
    },
    /// The public release every public figure comes from (see PRIVACY.md).
    Release {
        #[command(subcommand)]
        what: ReleaseCommand,
    },
    /// Run a benchmark and print its figures.
    Bench {
        #[command(subcommand)]
        what: BenchCommand,
    },
}

#[derive(Args)]
pub struct ServeArgs {
    #[arg(long, default_value = "127.0.0.1")]
    pub host: IpAddr,
    /// Port to listen on (0 picks a free one).
    #[arg(long, default_value_t = 8080)]
    pub port: u16,
}

/// How a CSV file is written, when detection gets it wrong.
#[derive(Args)]
pub struct DialectArgs {
    /// CSV separator: ';', ',' or 'tab' (detected from the header row).
    #[arg(long, value_parser = parse_delimiter)]
    delimiter: Option<u8>,
    /// Decimal mark of numbers: comma or point (comma for semicolon files, else point).
    #[arg(long, value_parser = ["comma", "point"])]
    decimal: Option<String>,
    /// Text encoding: utf-8 or windows-1252 (detected: UTF-8 when valid, else Windows-1252).
    #[arg(long)]
    encoding: Option<bomiljo::import::csv::Encoding>,
    /// Date format of the date column, e.g. %d/%m/%Y (YYYY-MM-DD and dd.mm.yyyy are read without it).
    #[arg(long)]
    date_format: Option<String>,
    /// Accept dates after today (refused by default as typing errors).
    #[arg(long)]
    allow_future: bool,
}

impl DialectArgs {
    fn csv(&self) -> bomiljo::import::csv::Dialect {
        bomiljo::import::csv::Dialect { delimiter: self.delimiter, decimal_comma: self.decimal.as_deref().map(|d| d == "comma"), encoding: self.encoding }
    }
}

fn parse_delimiter(s: &str) -> Result<u8, String> {
    match s {
        "tab" | "\\t" => Ok(b'\t'),
        one if one.len() == 1 && one.is_ascii() => Ok(one.as_bytes()[0]),
        other => Err(format!("'{other}' is not one character (or 'tab')")),
    }
}

#[derive(Subcommand)]
pub enum LayerCommand {
    /// Every import of the layer, newest first, with its mode and whether it was undone.
    History { layer: String },
    /// Reverse the layer's newest import: its rows go, the rows it superseded come back.
    Undo { layer: String },
}

#[derive(Subcommand)]
pub enum RulesCommand {
    /// Validate a rule file; prints a summary or every error with file and rule.
    Check { file: Option<PathBuf> },
}

#[derive(Subcommand)]
pub enum ReportCommand {
    /// The neighbour-dialogue fact sheet for a planned site (PDF, public material).
    Dialogue {
        /// The planned site as LAT,LON in degrees.
        #[arg(long, value_parser = parse_lat_lon)]
        at: (f64, f64),
        /// Radius of the area described, metres.
        #[arg(long, default_value_t = 500.0)]
        radius: f64,
        /// The kind of housing, in neutral words.
        #[arg(long, default_value = "samlokaliserte boliger med personalbase")]
        housing_type: String,
        #[arg(long, value_enum, default_value_t = Language::Nb)]
        lang: Language,
        /// Where to write the PDF.
        #[arg(long, default_value = "nabodialog.pdf")]
        out: PathBuf,
    },
    /// The annual bomiljø report: one HTML page per bydel.
    Annual {
        #[arg(long)]
        year: i32,
        /// Output folder.
        #[arg(long, default_value = "reports")]
        out: PathBuf,
        /// public (default: the report can be shared) or analyst (all counts).
        #[arg(long, default_value = "public", value_parser = parse_role)]
        role: Role,
        /// Also write each bydel as PDF.
        #[arg(long)]
        pdf: bool,
    },
}

#[derive(Subcommand)]
pub enum TokenCommand {
    /// Create a token; its secret is printed once and stored only as a hash.
    Create {
        #[arg(long, value_parser = parse_role)]
        role: Role,
        #[arg(long)]
        name: String,
        /// Days until it expires (never when absent).
        #[arg(long)]
        days: Option<u32>,
    },
    /// List tokens (names, roles, dates; never secrets).
    List,
    /// Revoke every token with this name.
    Revoke { name: String },
}

#[derive(Subcommand)]
pub enum ReleaseCommand {
    /// Count every fixed unit with noise and store a new release version.
    Build,
    /// The current release: version, budget, accuracy per level and the budget spent.
    Show,
}

#[derive(Subcommand)]
pub enum BenchCommand {
    /// Time to build the public release, its accuracy and the choropleth's rank agreement.
    Release {
        /// Years of incidents per source.
        #[arg(long, default_value_t = 10)]
        years: i32,
        /// Area polygons (default: Oslo's real delbydeler from ../shared/data/oslo).
        #[arg(long)]
        areas: Option<PathBuf>,
    },
    /// Time to produce neighbour-dialogue PDFs.
    Report {
        #[arg(long, default_value_t = 20)]
        reports: usize,
        #[arg(long)]
        areas: Option<PathBuf>,
    },
    /// Requests/s and p50/p99 for /api/areas, a heat tile and POST /api/score on loopback.
    Serve {
        #[arg(long, default_value_t = 5000)]
        requests: usize,
        #[arg(long, default_value_t = 64)]
        concurrency: usize,
        /// Real area polygons for the demo database (a fictional city when absent).
        #[arg(long)]
        areas: Option<PathBuf>,
    },
    /// Score 100k random candidates for all eight groups, and a city-wide 50 m surface.
    Siting {
        #[arg(long, default_value_t = 100_000)]
        candidates: usize,
        /// A database to measure against (default: a demo built on Oslo's real delbydeler).
        #[arg(long)]
        areas: Option<PathBuf>,
    },
    /// KDE over the city, indicators for every delbydel and year, and Gi* on the city grid.
    Measure {
        #[arg(long, default_value_t = 1_000_000)]
        incidents: usize,
        /// Area polygons (default: Oslo's real delbydeler from ../shared/data/oslo).
        #[arg(long)]
        areas: Option<PathBuf>,
    },
    /// Import of generated incident rows and assignment of points to delbydeler.
    Import {
        #[arg(long, default_value_t = 1_000_000)]
        rows: usize,
        /// Area polygons (default: Oslo's real delbydeler from ../shared/data/oslo).
        #[arg(long)]
        areas: Option<PathBuf>,
    },
}

fn parse_lat_lon(s: &str) -> Result<(f64, f64), String> {
    let (lat, lon) = s.split_once(',').ok_or_else(|| format!("'{s}' is not LAT,LON, e.g. 59.91,10.75"))?;
    let parse = |v: &str| v.trim().parse::<f64>().map_err(|_| format!("'{v}' in '{s}' is not a number"));
    let (lat, lon) = (parse(lat)?, parse(lon)?);
    if !(-90.0..=90.0).contains(&lat) || !(-180.0..=180.0).contains(&lon) {
        return Err(format!("'{s}' is not LAT,LON in degrees"));
    }
    Ok((lat, lon))
}

/// How `measure` prints: a table for people, JSON or CSV for tools.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum TableFormat {
    Table,
    Json,
    Csv,
}

/// JSON or CSV.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum DataFormat {
    Json,
    Csv,
}

/// Bokmål or English.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Language {
    Nb,
    En,
}

fn parse_role(s: &str) -> Result<Role, String> {
    Role::parse(s).ok_or_else(|| format!("'{s}' is not a role: public, analyst or admin"))
}

fn parse_level(s: &str) -> Result<Level, String> {
    match s {
        "delbydel" => Ok(Level::Delbydel),
        "bydel" => Ok(Level::Bydel),
        _ => Err(format!("'{s}' is not a level: delbydel or bydel")),
    }
}

fn parse_mode(s: &str) -> Result<ImportMode, String> {
    s.parse()
}

fn parse_field(s: &str) -> Result<(String, String), String> {
    s.split_once('=')
        .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
        .filter(|(k, v)| !k.is_empty() && !v.is_empty())
        .ok_or_else(|| format!("'{s}' is not NAME=COLUMN, e.g. date=dato"))
}

/// What `main` should exit with.
pub enum Outcome {
    Success,
    /// An import was rejected: the rows were listed; exit non-zero.
    Rejected,
}

pub fn run(cli: Cli) -> Result<Outcome> {
    let config_dir = cli.config.clone().unwrap_or_else(Config::default_dir);
    let config = Config::load(&config_dir)?;
    match cli.command {
        Command::Layers { json } => list_layers(&config, json)?,
        Command::Layer { what: LayerCommand::History { layer } } => {
            config.layer(&layer)?;
            let store = Store::open(&cli.db, OpenMode::MustExist)?;
            print_history(&layer, &bomiljo::store::write::history(store.conn(), &layer)?);
        }
        Command::Layer { what: LayerCommand::Undo { layer } } => {
            let mut store = Store::open(&cli.db, OpenMode::CreateIfMissing)?;
            match bomiljo::import::undo_last(&mut store, &config, &layer)? {
                Some(summary) => {
                    println!("{summary}");
                    audit::record(store.conn(), &actor(), "admin", "undo import", &layer, Some(summary.written.rows as i64))?;
                }
                None => anyhow::bail!("layer {layer} has no import to undo (see `bomiljo layer history {layer}`)"),
            }
        }
        Command::Import { layer, file, crs, fields, mode, dry_run, make_valid, source_layer, dialect, user } => {
            let crs = crs.as_deref().map(Crs::parse).transpose()?;
            let mut store = Store::open(&cli.db, OpenMode::CreateIfMissing)?;
            let options = ImportOptions {
                crs,
                fields,
                imported_by: user,
                progress: true,
                mode,
                dry_run,
                dialect: dialect.csv(),
                date_format: dialect.date_format.clone(),
                allow_future: dialect.allow_future,
                make_valid,
                source_layer,
            };
            match import_file(&mut store, &config, &layer, &file, &options) {
                Ok(summary) => {
                    println!("{summary}");
                    if !summary.dry_run {
                        audit::record(store.conn(), &actor(), "admin", "import", &format!("{layer} <- {}", file.display()), Some(summary.written.rows as i64))?;
                    }
                }
                Err(rejected @ ImportError::Rejected { .. }) => {
                    eprintln!("{rejected}");
                    return Ok(Outcome::Rejected);
                }
                Err(e) => return Err(e.into()),
            }
        }
        Command::Serve(args) => {
            let store = Store::open(&cli.db, OpenMode::MustExist)?;
            serve(config, store, &args)?;
        }
        Command::Demo { areas, population, extra, seed, out, no_serve, serve: args } => {
            let mut store = Store::open(&cli.db, OpenMode::CreateIfMissing)?;
            let extra = extra.into_iter().map(|(layer, file)| (layer, PathBuf::from(file))).collect();
            let options = DemoOptions { areas, population, extra, seed, out_dir: out, ..DemoOptions::default() };
            for summary in demo::build(&mut store, &config, &options)? {
                println!("{summary}");
            }
            println!("demo database ready: {}", cli.db.display());
            if !no_serve {
                serve(config, store, &args)?;
            }
        }
        Command::Measure { year, level, format, role } => {
            let mut store = Store::open(&cli.db, OpenMode::MustExist)?;
            let release = bomiljo::release::current(store.conn_mut(), &config)?;
            let geography = measurement::Geography::load(store.conn(), &config)?;
            let incidents = if role.is_internal() { measurement::Incidents::Raw(store.conn()) } else { measurement::Incidents::Released(&release) };
            let rows = measurement::measure(&geography, incidents, &config, year, level)?;
            let missing: Vec<String> =
                measurement::coverage(incidents, &config)?.into_iter().filter_map(|(source, years)| measurement::no_data_note(&source, years, year)).collect();
            let rows = Policy::new(role, config.project.min_count).apply(rows);
            match format {
                TableFormat::Json => println!("{}", serde_json::to_string_pretty(&rows)?),
                TableFormat::Csv => print!("{}", measurement::indicators_csv(&rows)),
                TableFormat::Table => {
                    print_indicators(&rows);
                    missing.iter().for_each(|note| println!("{note}"));
                }
            }
        }
        Command::Score { group, all_groups, at, sites, units, json, out, lang, role } => {
            let mut store = Store::open(&cli.db, OpenMode::MustExist)?;
            let release = bomiljo::release::current(store.conn_mut(), &config)?;
            let index = std::sync::Arc::new(bomiljo::index::SpatialIndex::build_public(&store, &config)?);
            let ctx = SitingContext::build(store.conn(), &config, index, &release)?;
            let policy = Policy::new(role, config.project.min_count);
            let en = lang == Language::En;
            if let Some(path) = sites {
                let candidates = read_candidates(&path, &config)?;
                let ranked = siting::compare(&ctx, group.unwrap_or(1), &candidates, &policy)?;
                write_ranked(&ranked, out.as_deref(), json)?;
            } else {
                let (lat, lon) = at.expect("clap requires --at without --sites");
                let site = candidate_at(&config, lat, lon, units)?;
                let results = if all_groups {
                    siting::score_all_groups(&ctx, &site, &policy)
                } else {
                    vec![siting::score_site(&ctx, group.unwrap_or(1), &site, &policy)?]
                };
                if json {
                    let value = if all_groups { serde_json::to_value(&results)? } else { serde_json::to_value(&results[0])? };
                    println!("{}", serde_json::to_string_pretty(&value)?);
                } else {
                    for e in &results {
                        print_explanation(e, en);
                    }
                }
            }
        }
        Command::Rules { what: RulesCommand::Check { file } } => {
            let path = file.unwrap_or_else(|| config.project.rules.clone());
            let rules = bomiljo::config::rules::load(&path, &config)?;
            for g in &rules.groups {
                println!("group {}: {} constraints, {} factors ({})", g.group, g.constraints.len(), g.factors.len(), g.location_nb);
            }
            println!("{}: ok ({})", path.display(), rules.name);
        }
        Command::Report { what: ReportCommand::Dialogue { at: (lat, lon), radius, housing_type, lang, out } } => {
            let mut store = Store::open(&cli.db, OpenMode::MustExist)?;
            let site = candidate_at(&config, lat, lon, None)?;
            let lang = match lang {
                Language::Nb => dialogue::Lang::Nb,
                Language::En => dialogue::Lang::En,
            };
            let params = dialogue::DialogueParams { x: site.x, y: site.y, radius_m: radius, housing_type, lang };
            let release = bomiljo::release::current(store.conn_mut(), &config)?;
            let geography = measurement::Geography::load(store.conn(), &config)?;
            let index = bomiljo::index::SpatialIndex::build_public(&store, &config)?;
            dialogue::write_file(&dialogue::Sources { config: &config, release: &release, geography: &geography, index: &index }, &params, &out)?;
            println!("wrote {}", out.display());
            audit::record(store.conn(), &actor(), "public", "report", &format!("dialogue {lat},{lon} r={radius} -> {}", out.display()), None)?;
        }
        Command::Report { what: ReportCommand::Annual { year, out, role, pdf } } => {
            let mut store = Store::open(&cli.db, OpenMode::MustExist)?;
            let release = bomiljo::release::current(store.conn_mut(), &config)?;
            let out = out.join(format!("annual-{year}"));
            let files = bomiljo::report::annual::write(&store, &release, &config, year, &Policy::new(role, config.project.min_count), &out, pdf)?;
            println!("wrote {} files to {}", files.len(), out.display());
            audit::record(
                store.conn(),
                &actor(),
                &format!("{role:?}").to_lowercase(),
                "report",
                &format!("annual {year} -> {}", out.display()),
                Some(files.len() as i64),
            )?;
        }
        Command::Audit { limit, format } => {
            let store = Store::open(&cli.db, OpenMode::MustExist)?;
            let events = audit::list(store.conn(), limit)?;
            match format {
                DataFormat::Csv => print!("{}", audit::to_csv(&events)),
                DataFormat::Json => println!("{}", serde_json::to_string_pretty(&events)?),
            }
        }
        Command::Export { out } => {
            let store = Store::open(&cli.db, OpenMode::MustExist)?;
            let written = ops::export_parquet(store.conn(), &config, &out)?;
            let rows: i64 = written.iter().map(|(_, n)| n).sum();
            for (path, n) in &written {
                println!("{n:>10} rows  {}", path.display());
            }
            audit::record(store.conn(), &actor(), "admin", "export", &out.display().to_string(), Some(rows))?;
        }
        Command::Check => {
            let store = Store::open(&cli.db, OpenMode::MustExist)?;
            bomiljo::config::rules::load(&config.project.rules, &config)?;
            let mut problems = ops::check(store.conn(), &config)?;
            problems.extend(overlapping_areas(&store, &config)?);
            let counts = bomiljo::store::queries::layer_counts(store.conn())?;
            println!("database {} (schema {}), configuration {}", cli.db.display(), store.schema_version()?, config.dir.display());
            for (layer, n) in &counts {
                println!("{n:>10}  {layer}");
            }
            if problems.is_empty() {
                println!("check: ok");
            } else {
                for p in &problems {
                    println!("problem: {p}");
                }
                anyhow::bail!("check found {} problem(s)", problems.len());
            }
        }
        Command::Token { what } => {
            let store = Store::open(&cli.db, OpenMode::MustExist)?;
            match what {
                TokenCommand::Create { role, name, days } => {
                    let secret = tokens::create(store.conn(), &name, role, days)?;
                    audit::record(store.conn(), &actor(), "admin", "token", &format!("create {name} ({role:?})"), None)?;
                    eprintln!("token '{name}' ({role:?}) created; it is shown only this once:");
                    println!("{secret}");
                }
                TokenCommand::List => println!("{}", serde_json::to_string_pretty(&tokens::list(store.conn())?)?),
                TokenCommand::Revoke { name } => {
                    let n = tokens::revoke(store.conn(), &name)?;
                    anyhow::ensure!(n > 0, "no active token named '{name}'");
                    println!("revoked {n} token(s) named '{name}'");
                }
            }
        }
        Command::Release { what: ReleaseCommand::Build } => {
            let mut store = Store::open(&cli.db, OpenMode::MustExist)?;
            let published = bomiljo::release::publish(store.conn_mut(), &config, &actor())?;
            print_release(&published.release);
            println!(
                "built in {:.0} ms; source-years measured afresh (each spends its budget once more): {}",
                published.seconds * 1000.0,
                if published.remeasured.is_empty() { "none".to_string() } else { published.remeasured.join(", ") }
            );
        }
        Command::Release { what: ReleaseCommand::Show } => {
            let store = Store::open(&cli.db, OpenMode::MustExist)?;
            match bomiljo::release::latest(store.conn())? {
                Some(release) => print_release(&release),
                None => println!("no release yet: `bomiljo release build` (or `serve`) builds one"),
            }
        }
        Command::Bench { what: BenchCommand::Release { years, areas } } => {
            bomiljo::bench::release(&config, &bench_areas(&config, areas)?, years)?;
        }
        Command::Bench { what: BenchCommand::Import { rows, areas } } => {
            bomiljo::bench::import(&config, &bench_areas(&config, areas)?, rows)?;
        }
        Command::Bench { what: BenchCommand::Report { reports, areas } } => {
            bomiljo::bench::report(&config, &bench_areas(&config, areas)?, reports)?;
        }
        Command::Bench { what: BenchCommand::Serve { requests, concurrency, areas } } => {
            bomiljo::bench::serve(&config, areas.as_deref(), requests, concurrency)?;
        }
        Command::Bench { what: BenchCommand::Siting { candidates, areas } } => {
            bomiljo::bench::siting(&config, &bench_areas(&config, areas)?, candidates)?;
        }
        Command::Bench { what: BenchCommand::Measure { incidents, areas } } => {
            bomiljo::bench::measure(&config, &bench_areas(&config, areas)?, incidents)?;
        }
    }
    Ok(Outcome::Success)
}

/// Who runs the command, for the audit log.
fn print_release(release: &bomiljo::release::Release) {
    let budget = &release.settings.budget;
    println!("release {} built {}", release.version, release.built_at);
    println!("budget: rho = {} per source and year (zCDP), split across levels:", budget.rho_per_source_year);
    for l in &release.settings.levels {
        println!("  {:<9} rho {:.3}  sigma {:.2}  within ±{} in 95 % of cases", l.level, l.rho, l.sigma, l.within_95);
    }
    for (key, spent) in &release.spent {
        println!("  {key}: measured {} time(s), rho spent {:.2}", spent.rounds, spent.rho);
    }
    println!("{}", release.accuracy_en());
}

fn actor() -> String {
    format!("cli:{}", std::env::var("USER").unwrap_or_else(|_| "unknown".into()))
}

fn bench_areas(config: &Config, given: Option<PathBuf>) -> Result<PathBuf> {
    let areas = given.unwrap_or_else(|| config.dir.join("../shared/data/oslo/delbydeler.geojson"));
    anyhow::ensure!(areas.is_file(), "areas file {} not found; pass --areas FILE", areas.display());
    Ok(areas)
}

fn candidate_at(config: &Config, lat: f64, lon: f64, units: Option<u32>) -> Result<Candidate> {
    let (x, y) = Transformer::new(Crs::Wgs84, ANALYSIS_CRS).apply(lon, lat)?;
    anyhow::ensure!(config.project.extent.contains(x, y), "{lat},{lon} is outside {}; give LAT,LON in degrees", config.project.municipality);
    Ok(Candidate { label: None, x, y, units, staff_base_on_site: None })
}

/// Reads candidates from CSV: label, lat, lon, and optionally units.
fn read_candidates(path: &std::path::Path, config: &Config) -> Result<Vec<Candidate>> {
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
        let mut site = candidate_at(config, number(lat)?, number(lon)?, units).with_context(|| format!("{}:{line}", path.display()))?;
        site.label = Some(label.and_then(|c| record.get(c)).map_or_else(|| format!("line {line}"), str::to_string));
        out.push(site);
    }
    Ok(out)
}

fn write_ranked(ranked: &[(Candidate, Explanation)], out: Option<&std::path::Path>, json: bool) -> Result<()> {
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

/// Areas of one layer covering the same ground, one sentence per pair.
fn overlapping_areas(store: &Store, config: &Config) -> Result<Vec<String>> {
    let mut problems = Vec::new();
    for layer in config.layers.iter().filter(|l| l.kind == bomiljo::config::LayerKind::Areas) {
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

fn print_history(layer: &str, entries: &[bomiljo::store::write::HistoryEntry]) {
    if entries.is_empty() {
        println!("layer {layer} has never been imported");
        return;
    }
    println!("{:>6}  {:19}  {:7}  {:>8}  {:>8}  {:12}  file", "import", "finished", "mode", "rows", "replaced", "by");
    for e in entries {
        let state = e.undone_at.as_ref().map_or(String::new(), |at| format!("  (undone {at})"));
        println!("{:>6}  {:19}  {:7}  {:>8}  {:>8}  {:12}  {}{state}", e.import_id, e.finished_at, e.mode, e.rows, e.replaced, e.imported_by, e.file);
    }
}

fn print_indicators(rows: &[Indicator]) {
    println!(
        "{:<6} {:<24} {:<7} {:>6} {:>8} {:>9} {:>7} {:>8} {:>6} {:>5}",
        "kode", "navn", "kilde", "antall", "per 1000", "endring", "p", "mot byen", "rang", "år"
    );
    let f = |v: Option<f64>, d: usize| v.map_or("-".to_string(), |v| format!("{v:.d$}"));
    for r in rows {
        println!(
            "{:<6} {:<24} {:<7} {:>6} {:>8} {:>9} {:>7} {:>8} {:>6} {:>5}",
            r.code,
            r.name.as_deref().unwrap_or("").chars().take(24).collect::<String>(),
            r.source,
            r.count.to_string(),
            f(r.rate_per_1000, 1),
            r.change.map_or("-".into(), |c| format!("{c:+}")),
            f(r.p_value, 3),
            f(r.ratio_to_city, 2),
            r.rank.map_or("-".into(), |k| format!("{k}/{}", r.ranked)),
            r.year
        );
    }
}

fn serve(config: Config, store: Store, args: &ServeArgs) -> Result<()> {
    let state = AppState::new(config, store)?;
    let runtime = tokio::runtime::Runtime::new().context("starting the async runtime")?;
    runtime.block_on(api::serve(state, SocketAddr::new(args.host, args.port)))?;
    Ok(())
}

fn list_layers(config: &Config, json: bool) -> Result<()> {
    if json {
        println!("{}", serde_json::to_string_pretty(&config.layers)?);
        return Ok(());
    }
    println!("{:<18} {:<11} {:<8} {:<9} {:<8} title", "layer", "kind", "geometry", "visibility", "source");
    for l in &config.layers {
        let kind = format!("{:?}", l.kind).to_lowercase();
        let geometry = format!("{:?}", l.geometry).to_lowercase();
        let visibility = format!("{:?}", l.visibility).to_lowercase();
        println!("{:<18} {:<11} {:<8} {:<9} {:<8} {}", l.name, kind, geometry, visibility, l.source.as_deref().unwrap_or("-"), l.title_nb);
    }
    Ok(())
}
