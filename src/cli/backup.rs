//! `bomiljo backup --out DIR` and `bomiljo restore --from DIR`: a consistent copy of the whole
//! database, taken while the server runs, and a new database file made from one.

use std::path::{Path, PathBuf};

use anyhow::{Context as _, Result};
use clap::Args;

use super::Context;
use bomiljo::store::{Database, Store, backup};

#[derive(Args)]
pub struct BackupArgs {
    /// A new folder for the backup (absolute when the server takes it).
    #[arg(long)]
    out: PathBuf,
}

#[derive(Args)]
pub struct RestoreArgs {
    /// A folder made by `bomiljo backup`.
    #[arg(long)]
    from: PathBuf,
}

/// Takes the backup itself, or asks the server holding the database to take it.
pub fn backup(ctx: &Context, args: &BackupArgs) -> Result<()> {
    let store = match ctx.store() {
        Ok(store) => store,
        Err(e) => match super::held_by_server(ctx, &e) {
            Some(url) => return ask_server(ctx, &url, &args.out),
            None => return Err(e),
        },
    };
    let started = std::time::Instant::now();
    let manifest = store.backup(&args.out)?;
    store.audit(&ctx.actor(), "admin", "backup", &args.out.display().to_string(), Some(manifest.rows()))?;
    println!("{}", summary(&manifest, &args.out, started.elapsed().as_secs_f64()));
    Ok(())
}

/// Makes `--db` (a new file) from a backup, migrates it to this bomiljo's schema and checks it.
pub fn restore(ctx: &Context, args: &RestoreArgs) -> Result<()> {
    let started = std::time::Instant::now();
    let manifest = backup::restore(&args.from, &ctx.db)?;
    let store = Store::open(&ctx.db, bomiljo::store::OpenMode::MustExist)?;
    let problems = store.check(&ctx.config)?;
    store.audit(&ctx.actor(), "admin", "restore", &args.from.display().to_string(), Some(manifest.rows()))?;
    println!(
        "restored {} from {} (taken {} by bomiljo {}, schema {}): {} tables, {} rows in {:.1} s",
        ctx.db.display(),
        args.from.display(),
        manifest.taken_at,
        manifest.bomiljo,
        manifest.schema_version,
        manifest.tables.len(),
        manifest.rows(),
        started.elapsed().as_secs_f64()
    );
    for problem in &problems {
        println!("problem: {problem}");
    }
    anyhow::ensure!(problems.is_empty(), "the restored database has {} problem(s); see `bomiljo check`", problems.len());
    Ok(())
}

fn summary(manifest: &backup::Manifest, out: &Path, seconds: f64) -> String {
    format!(
        "backed up {} tables, {} rows (schema {}) into {} in {seconds:.1} s",
        manifest.tables.len(),
        manifest.rows(),
        manifest.schema_version,
        out.display()
    )
}

/// `POST /api/admin/backup` on the running server (an admin token in `BOMILJO_TOKEN`): the
/// server writes the backup, so `out` is a path on its machine.
fn ask_server(ctx: &Context, url: &str, out: &Path) -> Result<()> {
    let out = std::path::absolute(out).with_context(|| format!("{} as an absolute path", out.display()))?;
    let Some(token) = super::server_token() else {
        anyhow::bail!(
            "{} is held by the bomiljo server at {url}; ask it for the backup with an admin token:\n    BOMILJO_TOKEN=<admin token> bomiljo --db {} backup --out {}",
            ctx.db.display(),
            ctx.db.display(),
            out.display()
        );
    };
    let agent = super::server_agent();
    let body = serde_json::json!({ "out": out });
    let mut response = agent
        .post(&format!("{url}api/admin/backup"))
        .header("Authorization", &format!("Bearer {token}"))
        .send_json(&body)
        .with_context(|| format!("asking the server at {url} for a backup"))?;
    let status = response.status().as_u16();
    let answer: serde_json::Value = response.body_mut().read_json().unwrap_or_default();
    anyhow::ensure!(status == 200, "the server at {url} answered {status}: {}", answer["error"].as_str().unwrap_or_default());
    let manifest: backup::Manifest = serde_json::from_value(answer["manifest"].clone()).context("reading the server's answer")?;
    println!("the server at {url} {}", summary(&manifest, &out, answer["seconds"].as_f64().unwrap_or_default()));
    Ok(())
}
