//! The command line: [`Cli`] and its subcommands, one module per command (its clap arguments and
//! a documented `run`), and the [`Context`] every command starts from: the configuration, the
//! database path, and the audit log.

mod address;
mod audit;
mod backup;
mod bench;
mod check;
mod demo;
mod export;
mod health;
mod import;
mod layers;
mod measure;
mod need;
mod network;
mod release;
mod report;
mod rules;
mod score;
mod serve;
mod token;

use bomiljo::store::Database;
use std::path::PathBuf;

use anyhow::Result;
use clap::{Parser, Subcommand};

use bomiljo::config::Config;
use bomiljo::privacy::Role;
use bomiljo::siting::Candidate;
use bomiljo::store::{OpenMode, Store};

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
    Layers(layers::ListArgs),
    /// Import a file into a layer (all or nothing): GeoJSON, CSV, Excel, GeoPackage, Shapefile,
    /// GML, GTFS, OpenStreetMap PBF or Parquet.
    Import(import::ImportArgs),
    /// A layer's import history, and undo of its newest import.
    Layer {
        #[command(subcommand)]
        what: layers::LayerCommand,
    },
    /// Serve the API and the map page.
    Serve(serve::ServeArgs),
    /// Generate a demo dataset (deterministic), import it, and serve it.
    Demo(demo::DemoArgs),
    /// Indicators per delbydel (or bydel), incident source and year.
    Measure(measure::MeasureArgs),
    /// Find addresses by street address or gnr/bnr (the address layer), with their position.
    Address(address::AddressArgs),
    /// Housing need against supply per bydel and matrix group (need surveys and the housing layer).
    Need(need::NeedArgs),
    /// Score candidate sites for a matrix group (or all groups) with explanations.
    Score(score::ScoreArgs),
    /// The street network siting measures along: summary, a route, an isochrone, export.
    Network {
        #[command(subcommand)]
        what: network::NetworkCommand,
    },
    /// Check the siting rule file (or another one) for errors.
    Rules {
        #[command(subcommand)]
        what: rules::RulesCommand,
    },
    /// Write a report.
    Report {
        #[command(subcommand)]
        what: report::ReportCommand,
    },
    /// Show or export the audit log.
    Audit(audit::AuditArgs),
    /// Export every layer (and the import and audit logs) as Parquet, for backup or a larger engine.
    Export(export::ExportArgs),
    /// Check the database and the configuration; exits non-zero on any problem.
    Check,
    /// A consistent copy of the whole database into a new folder, while the server runs (it is
    /// asked to take it, with an admin token in BOMILJO_TOKEN).
    Backup(backup::BackupArgs),
    /// Make the database (--db, a new file) from a backup, and check it.
    Restore(backup::RestoreArgs),
    /// Ask a running server whether it is ready (or alive): a container's health check.
    Health(health::HealthArgs),
    /// Manage API tokens (roles: public, analyst, admin).
    Token {
        #[command(subcommand)]
        what: token::TokenCommand,
    },
    /// The public release every public figure comes from (see PRIVACY.md).
    Release {
        #[command(subcommand)]
        what: release::ReleaseCommand,
    },
    /// Run a benchmark and print its figures.
    Bench {
        #[command(subcommand)]
        what: bench::BenchCommand,
    },
}

/// What `main` should exit with.
pub enum Outcome {
    Success,
    /// An import was rejected: the rows were listed; exit non-zero.
    Rejected,
}

/// Runs one command.
pub fn run(cli: Cli) -> Result<Outcome> {
    let config = Config::load(&cli.config.clone().unwrap_or_else(Config::default_dir))?;
    let ctx = Context { db: cli.db, config };
    match cli.command {
        Command::Import(args) => return import::run(&ctx, args),
        Command::Layers(args) => layers::list(&ctx, &args)?,
        Command::Layer { what } => layers::run(&ctx, what)?,
        Command::Serve(args) => serve::run(&ctx, &args)?,
        Command::Demo(args) => demo::run(&ctx, args)?,
        Command::Measure(args) => measure::run(&ctx, &args)?,
        Command::Need(args) => need::run(&ctx, &args)?,
        Command::Address(args) => address::run(&ctx, &args)?,
        Command::Score(args) => score::run(&ctx, args)?,
        Command::Network { what } => network::run(&ctx, what)?,
        Command::Rules { what } => rules::run(&ctx, what)?,
        Command::Report { what } => report::run(&ctx, what)?,
        Command::Audit(args) => audit::run(&ctx, &args)?,
        Command::Export(args) => export::run(&ctx, &args)?,
        Command::Check => check::run(&ctx)?,
        Command::Backup(args) => backup::backup(&ctx, &args)?,
        Command::Restore(args) => backup::restore(&ctx, &args)?,
        Command::Health(args) => health::run(&args)?,
        Command::Token { what } => token::run(&ctx, what)?,
        Command::Release { what } => release::run(&ctx, what)?,
        Command::Bench { what } => bench::run(&ctx, what)?,
    }
    Ok(Outcome::Success)
}

/// What every command starts from.
pub struct Context {
    pub db: PathBuf,
    pub config: Config,
}

impl Context {
    /// The database, which must exist.
    fn store(&self) -> Result<Store> {
        Ok(Store::open(&self.db, OpenMode::MustExist)?)
    }

    /// The database, created when missing (imports).
    fn store_or_new(&self) -> Result<Store> {
        Ok(Store::open(&self.db, OpenMode::CreateIfMissing)?)
    }

    /// Who runs the command, for the audit log and the release log: `cli:$USER`.
    fn actor(&self) -> String {
        format!("cli:{}", std::env::var("USER").unwrap_or_else(|_| "unknown".into()))
    }

    /// The newest stored public release for a reading command (reading publishes only the first
    /// release of a database that has none); a note on standard error when the data changed since
    /// it was built.
    fn release_for_reading(&self, store: &mut Store) -> Result<bomiljo::release::Release> {
        let (release, stale) = bomiljo::release::first_or_newest(store, &self.config, &self.actor())?;
        if stale {
            eprintln!(
                "note: the data changed since public release {} was built; its figures are shown. Publish a new one with `bomiljo release build`.",
                release.version
            );
        }
        Ok(release)
    }

    /// What a reading command works from: the newest stored release (as
    /// [`Context::release_for_reading`]) and everything the served world derives from the store
    /// with it, built as the server builds it.
    fn snapshot(&self, store: &mut Store) -> Result<bomiljo::snapshot::Snapshot> {
        let release = self.release_for_reading(store)?;
        Ok(bomiljo::snapshot::Snapshot::build(&self.config, store, release)?)
    }

    /// Records what the command did in the audit log.
    fn audit(&self, store: &Store, role: &str, action: &str, detail: &str, rows: Option<i64>) -> Result<()> {
        Ok(store.audit(&self.actor(), role, action, detail, rows)?)
    }

    /// A site given as degrees, checked to lie in the municipality's delbydeler and not in water.
    fn site_at(&self, coverage: &bomiljo::index::Coverage, lat: f64, lon: f64, units: Option<u32>) -> Result<Candidate> {
        let (x, y) = self.config.project.site_from_lonlat(bomiljo::spatial::LonLat { lon, lat }).map_err(anyhow::Error::msg)?;
        coverage.site(x, y).map_err(|e| anyhow::anyhow!("({lat}, {lon}): {e}"))?;
        Ok(Candidate { label: None, x, y, units, staff_base_on_site: None })
    }
}

/// Output of tables: a terminal table, JSON or CSV.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum TableFormat {
    Table,
    Json,
    Csv,
}

/// Output of records: JSON or CSV.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum DataFormat {
    Json,
    Csv,
}

/// Language of printed text: bokmål or English.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Language {
    Nb,
    En,
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

fn parse_role(s: &str) -> Result<Role, String> {
    Role::parse(s).ok_or_else(|| format!("'{s}' is not a role: public, analyst or admin"))
}

/// `NAME=VALUE`, e.g. `date=Dato` or `bydeler=FILE`.
use bomiljo::import::parse_pair;

/// A client for asking a bomiljo server: every status is an answer (the server's JSON error says
/// what is wrong), not a transport failure.
fn server_agent() -> ureq::Agent {
    ureq::Agent::config_builder().http_status_as_error(false).build().into()
}

/// The token for asking the server that holds the database (`BOMILJO_TOKEN`), if one is set.
fn server_token() -> Option<String> {
    std::env::var("BOMILJO_TOKEN").ok().filter(|t| !t.is_empty())
}

/// The address of the `bomiljo serve` that holds the database, when opening it failed because
/// of its lock: commands then ask that server instead.
fn held_by_server(ctx: &Context, e: &anyhow::Error) -> Option<String> {
    let locked = matches!(e.downcast_ref::<bomiljo::store::StoreError>(), Some(bomiljo::store::StoreError::Locked { .. }));
    locked.then(|| bomiljo::api::server::running_server(&ctx.db)).flatten()
}
