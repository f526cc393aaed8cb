//! `bomiljo need [--year Y] [--group G]`: housing need against supply per bydel and matrix
//! group, from the need surveys and the housing layer (see [`bomiljo::siting::need`]).

use anyhow::Result;
use clap::Args;

use super::{Context, TableFormat};
use bomiljo::siting::need::Balance;

#[derive(Args)]
pub struct NeedArgs {
    /// The survey year (the newest when absent).
    #[arg(long)]
    year: Option<i32>,
    /// One matrix group (1-8); every group when absent.
    #[arg(long, value_parser = clap::value_parser!(u8).range(1..=8))]
    group: Option<u8>,
    /// Bydeler ordered by the gap, the largest first (with --group).
    #[arg(long, requires = "group")]
    by_gap: bool,
    #[arg(long, value_enum, default_value_t = TableFormat::Table)]
    format: TableFormat,
}

/// Prints need, units in place and planned, and the gap (the view of someone holding the
/// database file: an analyst's).
pub fn run(ctx: &Context, args: &NeedArgs) -> Result<()> {
    let mut store = ctx.store()?;
    let world = ctx.snapshot(&mut store)?;
    let (book, geography) = (world.need(), &world.geography);
    let years = book.years();
    let Some(year) = args.year.or(book.latest_year()) else {
        anyhow::bail!("no housing-need survey is imported; import one with `bomiljo import need FILE` (columns år, bydel, gruppe, boliger)");
    };
    if !years.contains(&year) {
        anyhow::bail!("no housing-need survey for {year}; surveys held: {}", years.iter().map(i32::to_string).collect::<Vec<_>>().join(", "));
    }
    let rows: Vec<Balance> = match (args.group, args.by_gap) {
        (Some(group), true) => book.bydeler_by_gap(year, group),
        (group, _) => book.table(year).into_iter().filter(|b| group.is_none_or(|g| b.group == g)).collect(),
    };
    let name = |b: &Balance| match &b.bydel {
        Some(code) => geography.bydel_names.get(code).cloned().unwrap_or_else(|| format!("bydel {code}")),
        None => "Oslo".to_string(),
    };
    match args.format {
        TableFormat::Json => println!("{}", serde_json::to_string_pretty(&rows)?),
        TableFormat::Csv => {
            let mut out = csv::Writer::from_writer(std::io::stdout());
            out.write_record(["year", "bydel", "name", "group", "needed", "surveyed", "in_place", "planned", "gap", "gap_after_planned"])?;
            let cell = |v: Option<i64>| v.map(|v| v.to_string()).unwrap_or_default();
            for b in &rows {
                out.write_record([
                    b.year.to_string(),
                    b.bydel.clone().unwrap_or_default(),
                    name(b),
                    b.group.to_string(),
                    cell(b.needed),
                    b.surveyed.to_string(),
                    cell(b.in_place),
                    cell(b.planned),
                    cell(b.gap),
                    cell(b.gap_after_planned),
                ])?;
            }
            out.flush()?;
        }
        TableFormat::Table => {
            println!("Boligbehov og boliger i drift, kartlegging {year} (kartlegginger: {})", years.iter().map(i32::to_string).collect::<Vec<_>>().join(", "));
            println!("{:<6} {:<24} {:>13} {:>8} {:>8} {:>8} {:>10}", "gruppe", "bydel", "behov", "i drift", "planlagt", "mangler", "etter plan");
            let cell = |v: Option<i64>| v.map_or("ikke kartlagt".to_string(), |v| v.to_string());
            for b in &rows {
                let name = if b.bydel.is_none() { format!("Oslo ({} bydeler)", b.surveyed) } else { name(b) };
                let in_place = b.in_place.map(|v| v.to_string()).unwrap_or_default();
                let planned = b.planned.map(|v| v.to_string()).unwrap_or_default();
                let after = b.gap_after_planned.map(|v| v.to_string()).unwrap_or_default();
                println!(
                    "{:<6} {:<24} {:>13} {:>8} {:>8} {:>8} {:>10}",
                    b.group,
                    name,
                    cell(b.needed),
                    in_place,
                    planned,
                    b.gap.map(|v| v.to_string()).unwrap_or_default(),
                    after
                );
            }
            let (without_group, outside) = book.unplaced_units(year);
            if without_group + outside > 0 {
                println!("Ikke med: {without_group} boliger uten gruppe i boliglaget, {outside} utenfor alle delbydeler.");
            }
        }
    }
    Ok(())
}
