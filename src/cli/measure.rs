//! `bomiljo measure --year Y`: indicators per delbydel (or bydel), source and year;
//! `bomiljo measure emerging`: emerging hot and cold spots over the years.

use anyhow::Result;
use clap::{Args, Subcommand};

use super::{parse_role, Context, TableFormat};
use bomiljo::analysis::indicators::Indicator;
use bomiljo::measurement::{self, Level};
use bomiljo::privacy::{Policy, Role};

#[derive(Args)]
#[command(args_conflicts_with_subcommands = true, subcommand_negates_reqs = true)]
pub struct MeasureArgs {
    #[command(subcommand)]
    what: Option<MeasureCommand>,
    #[arg(long, required = true)]
    year: Option<i32>,
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

#[derive(Subcommand)]
enum MeasureCommand {
    /// Emerging hot and cold spots: Gi* per cell and year, Mann-Kendall, Esri's 17 patterns
    Emerging(EmergingArgs),
}

#[derive(Args)]
struct EmergingArgs {
    /// One source (fire, police, waste, ...); every source with data when absent.
    #[arg(long)]
    source: Option<String>,
    /// Distance band for neighbours, metres.
    #[arg(long, default_value_t = 500.0)]
    band: f64,
    /// A delbydel or bydel code to clip to.
    #[arg(long)]
    area: Option<String>,
    #[arg(long, value_enum, default_value_t = TableFormat::Table)]
    format: TableFormat,
    /// Whose view: analyst (raw incidents on 200 m cells) or public (the release's 250 m cells).
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
    if let Some(MeasureCommand::Emerging(emerging)) = &args.what {
        return run_emerging(ctx, emerging);
    }
    let year = args.year.expect("clap requires --year without a subcommand");
    let config = &ctx.config;
    let mut store = ctx.store()?;
    let release = bomiljo::release::current(store.conn_mut(), config)?;
    let geography = measurement::Geography::load(store.conn(), config)?;
    let incidents = if args.role.is_internal() { measurement::Incidents::Raw(store.conn()) } else { measurement::Incidents::Released(&release) };
    let rows = measurement::measure(&geography, incidents, config, year, args.level)?;
    let missing: Vec<String> =
        measurement::coverage(incidents, config)?.into_iter().filter_map(|(source, years)| measurement::no_data_note(&source, years, year)).collect();
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

/// Prints the emerging hot and cold spots: how many cells each pattern has, then every cell with
/// a pattern (centre in WGS84, the pattern in words, H/K/· per year).
fn run_emerging(ctx: &Context, args: &EmergingArgs) -> Result<()> {
    let config = &ctx.config;
    let mut store = ctx.store()?;
    let release = bomiljo::release::current(store.conn_mut(), config)?;
    let geography = measurement::Geography::load(store.conn(), config)?;
    let incidents = if args.role.is_internal() { measurement::Incidents::Raw(store.conn()) } else { measurement::Incidents::Released(&release) };
    let params = measurement::EmergingParams { source: args.source.clone(), band_m: args.band, area: args.area.clone(), ..Default::default() };
    let found = measurement::emerging(&geography, incidents, config, &params)?;
    let to_wgs84 = bomiljo::spatial::Transformer::new(bomiljo::spatial::ANALYSIS_CRS, bomiljo::spatial::Crs::Wgs84);
    let centre = |cell: &measurement::EmergingCell| to_wgs84.apply(cell.centre[0], cell.centre[1]).unwrap_or((f64::NAN, f64::NAN));
    let states = |cell: &measurement::EmergingCell| -> String {
        cell.states
            .iter()
            .map(|s| match s {
                bomiljo::analysis::emerging::State::Hot => 'H',
                bomiljo::analysis::emerging::State::Cold => 'K',
                bomiljo::analysis::emerging::State::NotSignificant => '·',
            })
            .collect()
    };
    match args.format {
        TableFormat::Json => println!("{}", serde_json::to_string_pretty(&found)?),
        TableFormat::Csv => {
            println!("lon,lat,pattern,label,states,trend_z,trend_p");
            for cell in &found.cells {
                let (lon, lat) = centre(cell);
                let pattern = serde_json::to_value(cell.pattern)?;
                let kind = format!("{}_{}", pattern["kind"].as_str().unwrap_or_default(), pattern["side"].as_str().unwrap_or_default());
                let f = |v: Option<f64>| v.map_or(String::new(), |v| format!("{v:.4}"));
                println!("{lon:.6},{lat:.6},{kind},{},{},{},{}", cell.label, states(cell), f(cell.trend_z), f(cell.trend_p));
            }
        }
        TableFormat::Table => {
            println!("Fremvoksende varme og kalde soner {}-{} ({})", found.years.0, found.years.1, found.sources.join(", "));
            for (label, n) in &found.summary {
                println!("  {label:<28} {n:>6} celler");
            }
            for cell in &found.cells {
                let (lon, lat) = centre(cell);
                println!("{lat:>10.5} {lon:>10.5}  {:<28} {}", cell.label, states(cell));
            }
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
