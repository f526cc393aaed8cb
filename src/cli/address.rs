//! `bomiljo address QUERY`: addresses by street address or gnr/bnr from the address layer
//! (`[map] addresses`), with their position, as a planner finds a site named in a case file.

use anyhow::Result;
use clap::Args;

use super::Context;
use bomiljo::config::Config;
use bomiljo::index::addresses::{AddressIndex, AddressQuery};
use bomiljo::spatial::{ANALYSIS_CRS, Crs, Transformer};
use bomiljo::store::Store;

#[derive(Args)]
pub struct AddressArgs {
    /// "Trondheimsveien 2A", "trondheimsv 2", "228/100" or "gnr 228 bnr 100".
    query: String,
    /// Print JSON.
    #[arg(long)]
    json: bool,
}

pub fn run(ctx: &Context, args: &AddressArgs) -> Result<()> {
    let store = ctx.store()?;
    let index = loaded(&store, &ctx.config)?;
    let to_wgs84 = Transformer::new(ANALYSIS_CRS, Crs::Wgs84);
    let hits = index.search(&args.query, 20);
    if args.json {
        let rows: Vec<_> = hits
            .iter()
            .map(|a| {
                let (lon, lat) = to_wgs84.apply(a.x, a.y).unwrap_or((f64::NAN, f64::NAN));
                serde_json::json!({ "text": a.text, "postnummer": a.postnummer, "poststed": a.poststed, "gnr": a.gnr, "bnr": a.bnr, "lat": lat, "lon": lon })
            })
            .collect();
        println!("{}", serde_json::to_string_pretty(&rows)?);
        return Ok(());
    }
    if hits.is_empty() {
        anyhow::bail!("no address matches '{}'", args.query);
    }
    for a in hits {
        let (lon, lat) = to_wgs84.apply(a.x, a.y)?;
        let unit = match (a.gnr, a.bnr) {
            (Some(g), Some(b)) => format!("{g}/{b}"),
            _ => "-".into(),
        };
        println!(
            "{lat:.6},{lon:.6}  {:<32} {:>8}  {}",
            a.text,
            unit,
            [a.postnummer.as_deref(), a.poststed.as_deref()].into_iter().flatten().collect::<Vec<_>>().join(" ")
        );
    }
    Ok(())
}

/// The address index, or an error saying how to get one.
fn loaded(store: &Store, config: &Config) -> Result<AddressIndex> {
    let Some(layer) = &config.project.addresses else {
        anyhow::bail!("no address layer is configured: set [map] addresses in bomiljo.toml");
    };
    let index = AddressIndex::load(store, config)?;
    anyhow::ensure!(!index.is_empty(), "no addresses are imported; import Kartverket's address CSV with `bomiljo import {layer} FILE`");
    Ok(index)
}

/// The position (lat, lon) of the one address `text` names: a street address must match one
/// address; a gnr/bnr takes its first address (its addresses lie on one property).
pub fn locate(store: &Store, config: &Config, text: &str) -> Result<(f64, f64)> {
    let index = loaded(store, config)?;
    let hits = index.search(text, 10);
    let unit = matches!(AddressQuery::parse(text), Some(AddressQuery::Unit { .. }));
    let Some(first) = hits.first() else { anyhow::bail!("no address matches '{text}'; try `bomiljo address '{text}'`") };
    if hits.len() > 1 && !unit {
        let names: Vec<&str> = hits.iter().map(|a| a.text.as_str()).collect();
        anyhow::bail!("'{text}' matches {} addresses ({}); give the house number and letter", hits.len(), names.join(", "));
    }
    let (lon, lat) = Transformer::new(ANALYSIS_CRS, Crs::Wgs84).apply(first.x, first.y)?;
    eprintln!("{}: {lat:.6}, {lon:.6}", first.text);
    Ok((lat, lon))
}
