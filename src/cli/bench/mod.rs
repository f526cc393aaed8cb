//! `bomiljo bench import|measure|siting|serve|cost|report|release`: benchmarks that print their figures.

use std::path::PathBuf;

use anyhow::Result;
use clap::Subcommand;

use super::Context;

mod formats;
mod peers;
mod scale;
mod serve;
mod stages;

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
    /// Import, measurement, a city heat map and a release at growing numbers of incidents: seconds,
    /// rows/s and peak memory per size (each size in a process of its own).
    Scale {
        /// Numbers of incidents, comma-separated.
        #[arg(long, value_delimiter = ',', default_values_t = [1_000_000u64, 10_000_000])]
        sizes: Vec<u64>,
        #[arg(long)]
        areas: Option<PathBuf>,
        /// Run one size in this process and print its figures as JSON (used by the parent).
        #[arg(long, hide = true)]
        one: Option<u64>,
    },
    /// Time to produce neighbour-dialogue PDFs.
    Report {
        #[arg(long, default_value_t = 20)]
        reports: usize,
        #[arg(long)]
        areas: Option<PathBuf>,
    },
    /// Requests/s and p50/p99 on loopback: /api/areas, heat tiles, POST /api/score, OGC API items in a bbox, a vector tile and the heat GeoTIFF.
    Serve {
        #[arg(long, default_value_t = 5000)]
        requests: usize,
        #[arg(long, default_value_t = 64)]
        concurrency: usize,
        /// Real area polygons for the demo database (a fictional city when absent).
        #[arg(long)]
        areas: Option<PathBuf>,
    },
    /// CPU seconds of every public request over the parameters a caller may send, on a fresh
    /// server; fails when one costs more than --max-cpu-s.
    Cost {
        #[arg(long, default_value_t = 0.2)]
        max_cpu_s: f64,
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
    /// bomiljo's rows of the shared peer benchmark (../shared/peers), as JSON lines: assignment,
    /// import, KDE and nearest school + residents within 250 m, on the peers' inputs and checked
    /// against their outputs. Run by `scripts/bench-peers.sh` through the harness.
    Peers {
        /// The harness's work folder (its PEERS_WORK).
        #[arg(long, env = "PEERS_WORK", default_value = "/tmp/peers")]
        work: PathBuf,
        /// Oslo's data (delbydeler, skoler, befolkning).
        #[arg(long, default_value = "../shared/data/oslo")]
        oslo: PathBuf,
    },
    /// Import of generated incident rows (CSV, GeoPackage, Shapefile), a backup of the result and
    /// its restore, and assignment of points to delbydeler.
    Import {
        #[arg(long, default_value_t = 1_000_000)]
        rows: usize,
        /// Area polygons (default: Oslo's real delbydeler from ../shared/data/oslo).
        #[arg(long)]
        areas: Option<PathBuf>,
    },
}

pub fn run(ctx: &Context, command: BenchCommand) -> Result<()> {
    let config = &ctx.config;
    let areas = |given: Option<PathBuf>| -> Result<PathBuf> {
        let areas = given.unwrap_or_else(|| config.dir.join("../shared/data/oslo/delbydeler.geojson"));
        anyhow::ensure!(areas.is_file(), "areas file {} not found; pass --areas FILE", areas.display());
        Ok(areas)
    };
    match command {
        BenchCommand::Scale { sizes, areas: a, one } => match one {
            Some(rows) => {
                scale::one(config, &areas(a)?, rows)?;
            }
            None => scale::run(&std::env::current_exe()?, &config.dir, &areas(a)?, &sizes)?,
        },
        BenchCommand::Release { years, areas: a } => stages::release(config, &areas(a)?, years)?,
        BenchCommand::Import { rows, areas: a } => stages::import(config, &areas(a)?, rows)?,
        BenchCommand::Report { reports, areas: a } => stages::report(config, &areas(a)?, reports)?,
        BenchCommand::Serve { requests, concurrency, areas } => serve::serve(config, areas.as_deref(), requests, concurrency)?,
        BenchCommand::Cost { max_cpu_s, areas } => serve::cost(config, areas.as_deref(), max_cpu_s)?,
        BenchCommand::Siting { candidates, areas: a } => stages::siting(config, &areas(a)?, candidates)?,
        BenchCommand::Peers { work, oslo } => peers::peers(config, &work, &oslo)?,
        BenchCommand::Measure { incidents, areas: a } => stages::measure(config, &areas(a)?, incidents)?,
    }
    Ok(())
}
