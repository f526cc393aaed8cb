//! `bomiljo measure --year Y`: indicators per delbydel (or bydel), source and year.

use anyhow::Result;
use clap::Args;

use super::{parse_role, Context, TableFormat};
use bomiljo::analysis::indicators::Indicator;
use bomiljo::measurement::{self, Level};
use bomiljo::privacy::{Policy, Role};

#[derive(Args)]
pub struct MeasureArgs {
    #[arg(long)]
    year: i32,
    /// delbydel or bydel.
    #[arg(long, default_value = "delbydel", value_parser = parse_level)]
    level: Level,
    #[arg(long, value_enum, default_value_t = TableFormat::Table)]
    format: TableFormat,
    /// Whose view: analyst (exact counts; the default for someone holding the database
    /// file) or public (the release: counts under k shown as "<k").
    #[arg(long, default_value = "analyst", value_parser = parse_role)]
    role: Role,
}

fn parse_level(s: &str) -> Result<Level, String> {
    match s {
        "delbydel" => Ok(Level::Delbydel),
        "bydel" => Ok(Level::Bydel),
        _ => Err(format!("'{s}' is not a level: delbydel or bydel")),
    }
}

/// Prints the indicators; the table also names every source without data for the year.
pub fn run(ctx: &Context, args: &MeasureArgs) -> Result<()> {
    let config = &ctx.config;
    let mut store = ctx.store()?;
    let release = bomiljo::release::current(store.conn_mut(), config)?;
    let geography = measurement::Geography::load(store.conn(), config)?;
    let incidents = if args.role.is_internal() { measurement::Incidents::Raw(store.conn()) } else { measurement::Incidents::Released(&release) };
    let rows = measurement::measure(&geography, incidents, config, args.year, args.level)?;
    let missing: Vec<String> =
        measurement::coverage(incidents, config)?.into_iter().filter_map(|(source, years)| measurement::no_data_note(&source, years, args.year)).collect();
    let rows = Policy::new(args.role, config.project.min_count).apply(rows);
    match args.format {
        TableFormat::Json => println!("{}", serde_json::to_string_pretty(&rows)?),
        TableFormat::Csv => print!("{}", measurement::indicators_csv(&rows)),
        TableFormat::Table => {
            print_indicators(&rows);
            missing.iter().for_each(|note| println!("{note}"));
        }
    }
    Ok(())
}

fn print_indicators(rows: &[Indicator]) {
    println!(
        "{:<6} {:<24} {:<7} {:>6} {:>8} {:>9} {:>7} {:>8} {:>6} {:>5}",
        "kode", "navn", "kilde", "antall", "per 1000", "endring", "p", "mot byen", "rang", "år"
    );
    let f = |v: Option<f64>, d: usize| v.map_or("-".to_string(), |v| format!("{v:.d$}"));
    for r in rows {
        println!(
            "{:<6} {:<24} {:<7} {:>6} {:>8} {:>9} {:>7} {:>8} {:>6} {:>5}",
            r.code,
            r.name.as_deref().unwrap_or("").chars().take(24).collect::<String>(),
            r.source,
            r.count.to_string(),
            f(r.rate_per_1000, 1),
            r.change.map_or("-".into(), |c| format!("{c:+}")),
            f(r.p_value, 3),
            f(r.ratio_to_city, 2),
            r.rank.map_or("-".into(), |k| format!("{k}/{}", r.ranked)),
            r.year
        );
    }
}
