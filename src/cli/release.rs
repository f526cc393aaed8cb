//! `bomiljo release build|show`: the disclosure-controlled release behind every public figure.

use anyhow::Result;
use clap::Subcommand;

use super::Context;
use bomiljo::release::Release;

#[derive(Subcommand)]
pub enum ReleaseCommand {
    /// Count every fixed unit with noise and store a new release version.
    Build,
    /// The current release: version, budget, accuracy per level and the budget spent.
    Show,
}

pub fn run(ctx: &Context, command: ReleaseCommand) -> Result<()> {
    let mut store = ctx.store()?;
    match command {
        ReleaseCommand::Build => {
            let published = bomiljo::release::publish(&mut store, &ctx.config, &ctx.actor(), "admin")?;
            print_release(&published.release);
            let remeasured = if published.remeasured.is_empty() { "none".to_string() } else { published.remeasured.join(", ") };
            println!("built in {:.0} ms; source-years measured afresh (each spends its budget once more): {remeasured}", published.seconds * 1000.0);
        }
        ReleaseCommand::Show => match bomiljo::release::latest(&store)? {
            Some(release) => print_release(&release),
            None => println!("no release yet: `bomiljo release build` (or `serve`) builds one"),
        },
    }
    Ok(())
}

fn print_release(release: &Release) {
    let budget = &release.settings.budget;
    println!("release {} built {}", release.version, release.built_at);
    println!("budget: rho = {} per source and year (zCDP), split across levels:", budget.rho_per_source_year);
    for l in &release.settings.levels {
        println!("  {:<9} rho {:.3}  sigma {:.2}  within ±{} in 95 % of cases", l.level, l.rho, l.sigma, l.within_95);
    }
    println!("spent per source-year (cap: rho {} each; {}):", release.settings.cap, bomiljo::release::ledger::CONVERSION);
    for (key, spent) in &release.spent {
        let frozen = if spent.frozen { "  FROZEN: cap reached, shows its last published figures" } else { "" };
        let epsilon = bomiljo::release::ledger::epsilon(spent.rho, bomiljo::release::ledger::DELTA);
        println!("  {key}: round {}, rho spent {:.2} (epsilon {epsilon:.1}){frozen}", spent.rounds, spent.rho);
    }
    println!("{}", release.accuracy_en());
}
