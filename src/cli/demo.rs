//! `bomiljo demo`: a deterministic demo dataset, imported and served.

use std::path::PathBuf;

use anyhow::Result;
use clap::Args;

use super::{Context, parse_pair, serve};
use bomiljo::demo::{self, DemoOptions};

#[derive(Args)]
pub struct DemoArgs {
    /// Real area polygons to generate on (e.g. ../shared/data/oslo/delbydeler.geojson);
    /// a fictional city when absent.
    #[arg(long)]
    areas: Option<PathBuf>,
    /// A real population file (e.g. ../shared/data/oslo/befolkning_250m_2023.geojson).
    #[arg(long)]
    population: Option<PathBuf>,
    /// Further real files to import: --import bydeler=FILE --import marka=FILE (repeatable).
    #[arg(long = "import", value_name = "LAYER=FILE", value_parser = parse_pair)]
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
    serve: serve::ServeArgs,
}

pub fn run(ctx: &Context, args: DemoArgs) -> Result<()> {
    let mut store = ctx.store_or_new()?;
    let extra = args.extra.into_iter().map(|(layer, file)| (layer, PathBuf::from(file))).collect();
    let options = DemoOptions { areas: args.areas, population: args.population, extra, seed: args.seed, out_dir: args.out, ..DemoOptions::default() };
    for summary in demo::build(&mut store, &ctx.config, &options)? {
        println!("{summary}");
    }
    println!("demo database ready: {}", ctx.db.display());
    if !args.no_serve {
        serve::serve(ctx.config.clone(), store, &args.serve)?;
    }
    Ok(())
}
