//! The command line: clap definitions and the glue from each subcommand to the library.

use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;

use anyhow::{Context, Result};
use clap::{Args, Parser, Subcommand};

use bomiljo::api::{self, AppState};
use bomiljo::config::Config;
use bomiljo::demo::{self, DemoOptions};
use bomiljo::import::{import_file, ImportError, ImportOptions};
use bomiljo::analysis::indicators::Indicator;
use bomiljo::measurement::{self, Level};
use bomiljo::privacy::{Policy, Role};
use bomiljo::spatial::Crs;
use bomiljo::store::{tokens, OpenMode, Store};

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
        /// Read a field from another column: --field date=dato (repeatable).
        #[arg(long = "field", value_name = "NAME=COLUMN", value_parser = parse_field)]
        fields: Vec<(String, String)>,
        /// Who is importing, for the import log.
        #[arg(long, env = "USER", default_value = "unknown")]
        user: String,
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
        /// Real bydel polygons, for names (e.g. ../shared/data/oslo/bydeler_befolkning_2024.geojson).
        #[arg(long)]
        bydeler: Option<PathBuf>,
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
        /// table, json or csv.
        #[arg(long, default_value = "table")]
        format: String,
        /// Whose view: analyst (exact counts; the default for someone holding the database
        /// file) or public (counts under k shown as "<k").
        #[arg(long, default_value = "analyst", value_parser = parse_role)]
        role: Role,
    },
    /// Write a report.
    Report {
        #[command(subcommand)]
        what: ReportCommand,
    },
    /// Manage API tokens (roles: public, analyst, admin).
    Token {
        #[command(subcommand)]
        what: TokenCommand,
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

#[derive(Subcommand)]
pub enum ReportCommand {
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
pub enum BenchCommand {
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
        Command::Import { layer, file, crs, fields, user } => {
            let crs = crs.as_deref().map(Crs::parse).transpose()?;
            let mut store = Store::open(&cli.db, OpenMode::CreateIfMissing)?;
            let options = ImportOptions { crs, fields, imported_by: user, progress: true };
            match import_file(&mut store, &config, &layer, &file, &options) {
                Ok(summary) => println!("{summary}"),
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
        Command::Demo { areas, population, bydeler, seed, out, no_serve, serve: args } => {
            let mut store = Store::open(&cli.db, OpenMode::CreateIfMissing)?;
            let options = DemoOptions { areas, population, bydeler, seed, out_dir: out, ..DemoOptions::default() };
            for summary in demo::build(&mut store, &config, &options)? {
                println!("{summary}");
            }
            println!("demo database ready: {}", cli.db.display());
            if !no_serve {
                serve(config, store, &args)?;
            }
        }
        Command::Measure { year, level, format, role } => {
            let store = Store::open(&cli.db, OpenMode::MustExist)?;
            let rows = measurement::measure(store.conn(), &config, year, level)?;
            let rows = Policy::new(role, config.project.min_count).apply(rows);
            match format.as_str() {
                "json" => println!("{}", serde_json::to_string_pretty(&rows)?),
                "csv" => print!("{}", measurement::indicators_csv(&rows)),
                "table" => print_indicators(&rows),
                other => anyhow::bail!("--format {other}: use table, json or csv"),
            }
        }
        Command::Report { what: ReportCommand::Annual { year, out, role } } => {
            let store = Store::open(&cli.db, OpenMode::MustExist)?;
            let out = out.join(format!("annual-{year}"));
            let files = bomiljo::report::annual::write(store.conn(), &config, year, &Policy::new(role, config.project.min_count), &out)?;
            println!("wrote {} files to {}", files.len(), out.display());
        }
        Command::Token { what } => {
            let store = Store::open(&cli.db, OpenMode::MustExist)?;
            match what {
                TokenCommand::Create { role, name, days } => {
                    let secret = tokens::create(store.conn(), &name, role, days)?;
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
        Command::Bench { what: BenchCommand::Import { rows, areas } } => {
            bomiljo::bench::import(&config, &bench_areas(&config, areas)?, rows)?;
        }
        Command::Bench { what: BenchCommand::Measure { incidents, areas } } => {
            bomiljo::bench::measure(&config, &bench_areas(&config, areas)?, incidents)?;
        }
    }
    Ok(Outcome::Success)
}

fn bench_areas(config: &Config, given: Option<PathBuf>) -> Result<PathBuf> {
    let areas = given.unwrap_or_else(|| config.dir.join("../shared/data/oslo/delbydeler.geojson"));
    anyhow::ensure!(areas.is_file(), "areas file {} not found; pass --areas FILE", areas.display());
    Ok(areas)
}

fn print_indicators(rows: &[Indicator]) {
    println!("{:<6} {:<24} {:<7} {:>6} {:>8} {:>9} {:>7} {:>8} {:>6} {:>5}", "kode", "navn", "kilde", "antall", "per 1000", "endring", "p", "mot byen", "rang", "år");
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
        println!(
            "{:<18} {:<11} {:<8} {:<9} {:<8} {}",
            l.name,
            kind,
            geometry,
            visibility,
            l.source.as_deref().unwrap_or("-"),
            l.title_nb
        );
    }
    Ok(())
}
