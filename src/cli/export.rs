//! `bomiljo export --out DIR`: every layer and the logs as Parquet.

use std::path::PathBuf;

use anyhow::Result;
use clap::Args;

use super::Context;

#[derive(Args)]
pub struct ExportArgs {
    /// Output folder.
    #[arg(long)]
    out: PathBuf,
}

pub fn run(ctx: &Context, args: &ExportArgs) -> Result<()> {
    let store = ctx.store()?;
    let written = bomiljo::store::ops::export_parquet(store.conn(), &ctx.config, &args.out)?;
    let rows: i64 = written.iter().map(|(_, n)| n).sum();
    for (path, n) in &written {
        println!("{n:>10} rows  {}", path.display());
    }
    ctx.audit(&store, "admin", "export", &args.out.display().to_string(), Some(rows))
}
