//! `bomiljo rules check [FILE]`: validates a siting rule file.

use std::path::PathBuf;

use anyhow::Result;
use clap::Subcommand;

use super::Context;

#[derive(Subcommand)]
pub enum RulesCommand {
    /// Validate a rule file; prints a summary or every error with file and rule.
    Check { file: Option<PathBuf> },
}

pub fn run(ctx: &Context, command: RulesCommand) -> Result<()> {
    let RulesCommand::Check { file } = command;
    let path = file.unwrap_or_else(|| ctx.config.project.rules.clone());
    let rules = bomiljo::siting::rules::load(&path, &ctx.config)?;
    for g in &rules.groups {
        println!("group {}: {} constraints, {} factors ({})", g.group, g.constraints.len(), g.factors.len(), g.location_nb);
    }
    println!("{}: ok ({})", path.display(), rules.name);
    Ok(())
}
