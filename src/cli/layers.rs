//! `bomiljo layers`, `bomiljo layer history|undo LAYER`: what layers exist and what was imported
//! into them.

use anyhow::Result;
use bomiljo::store::Database;
use clap::{Args, Subcommand};

use super::Context;
use bomiljo::store::write::HistoryEntry;

#[derive(Args)]
pub struct ListArgs {
    /// Print JSON instead of a table.
    #[arg(long)]
    json: bool,
}

#[derive(Subcommand)]
pub enum LayerCommand {
    /// Every import of the layer, newest first, with its mode and whether it was undone.
    History { layer: String },
    /// Reverse the layer's newest import: its rows go, the rows it superseded come back.
    Undo { layer: String },
}

/// Prints every layer of `layers/*.toml`.
pub fn list(ctx: &Context, args: &ListArgs) -> Result<()> {
    let layers = &ctx.config.layers;
    if args.json {
        println!("{}", serde_json::to_string_pretty(layers)?);
        return Ok(());
    }
    println!("{:<18} {:<11} {:<8} {:<9} {:<8} title", "layer", "kind", "geometry", "visibility", "source");
    for l in layers {
        let kind = format!("{:?}", l.kind).to_lowercase();
        let geometry = format!("{:?}", l.geometry).to_lowercase();
        let visibility = format!("{:?}", l.visibility).to_lowercase();
        println!("{:<18} {:<11} {:<8} {:<9} {:<8} {}", l.name, kind, geometry, visibility, l.source.as_deref().unwrap_or("-"), l.title_nb);
    }
    Ok(())
}

pub fn run(ctx: &Context, command: LayerCommand) -> Result<()> {
    match command {
        LayerCommand::History { layer } => {
            ctx.config.layer(&layer)?;
            let store = ctx.store()?;
            print_history(&layer, &store.history(&layer)?);
        }
        LayerCommand::Undo { layer } => {
            let mut store = ctx.store_or_new()?;
            let Some(summary) = bomiljo::import::undo_last(&mut store, &ctx.config, &layer)? else {
                anyhow::bail!("layer {layer} has no import to undo (see `bomiljo layer history {layer}`)");
            };
            println!("{summary}");
            ctx.audit(&store, "admin", "undo import", &layer, Some(summary.written.rows as i64))?;
        }
    }
    Ok(())
}

fn print_history(layer: &str, entries: &[HistoryEntry]) {
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
