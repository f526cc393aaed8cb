//! `bomiljo token create|list|revoke`: API tokens, stored as hashes.

use anyhow::Result;
use bomiljo::store::Database;
use clap::Subcommand;

use super::{Context, parse_role};
use bomiljo::privacy::Role;

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

pub fn run(ctx: &Context, command: TokenCommand) -> Result<()> {
    let store = ctx.store()?;
    match command {
        TokenCommand::Create { role, name, days } => {
            let secret = store.create_token(&name, role, days)?;
            ctx.audit(&store, "admin", "token", &format!("create {name} ({role:?})"), None)?;
            eprintln!("token '{name}' ({role:?}) created; it is shown only this once:");
            println!("{secret}");
        }
        TokenCommand::List => println!("{}", serde_json::to_string_pretty(&store.tokens()?)?),
        TokenCommand::Revoke { name } => {
            let n = store.revoke_token(&name)?;
            anyhow::ensure!(n > 0, "no active token named '{name}'");
            println!("revoked {n} token(s) named '{name}'");
        }
    }
    Ok(())
}
