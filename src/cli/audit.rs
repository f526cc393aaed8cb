//! `bomiljo audit`: the audit log as JSON or CSV.

use anyhow::Result;
use bomiljo::store::Database;
use clap::Args;

use super::{Context, DataFormat};
use bomiljo::store::audit;

#[derive(Args)]
pub struct AuditArgs {
    #[arg(long, default_value_t = 100)]
    limit: usize,
    #[arg(long, value_enum, default_value_t = DataFormat::Json)]
    format: DataFormat,
}

pub fn run(ctx: &Context, args: &AuditArgs) -> Result<()> {
    let store = ctx.store()?;
    let events = store.audit_events(args.limit)?;
    match args.format {
        DataFormat::Csv => print!("{}", audit::to_csv(&events)),
        DataFormat::Json => println!("{}", serde_json::to_string_pretty(&events)?),
    }
    Ok(())
}
