//! `bomiljo export --out DIR [--format parquet|geoparquet]`: every layer (and, as plain Parquet,
//! the logs) for another engine.

use bomiljo::store::Database;
use std::path::PathBuf;

use anyhow::Result;
use clap::{Args, ValueEnum};

use super::Context;
use bomiljo::store::geoparquet::AreaMeasures;

#[derive(Args)]
pub struct ExportArgs {
    /// Output folder.
    #[arg(long)]
    out: PathBuf,
    /// `parquet`: each table as stored, and the import and audit logs. `geoparquet`: GeoParquet
    /// 1.1 (WKB geometry, bbox covering, CRS as PROJJSON), incidents partitioned by source and
    /// year, for Spark with Sedona, SedonaDB, GeoPandas or DuckDB.
    #[arg(long, value_enum, default_value_t = ExportFormat::Parquet)]
    format: ExportFormat,
    /// GeoParquet: include the housing layer (internal data: sites of vulnerable residents).
    #[arg(long)]
    with_housing: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
enum ExportFormat {
    Parquet,
    Geoparquet,
}

pub fn run(ctx: &Context, args: &ExportArgs) -> Result<()> {
    let store = ctx.store()?;
    let written: Vec<(PathBuf, i64)> = match args.format {
        ExportFormat::Parquet => store.export_parquet(&ctx.config, &args.out)?,
        ExportFormat::Geoparquet => {
            // What measurement divides by, so another engine computes the same rates.
            let geography = bomiljo::measurement::Geography::load(&store, &ctx.config)?;
            let measures: Vec<AreaMeasures> = geography
                .infos
                .iter()
                .map(|a| AreaMeasures { code: a.code.clone(), residents: a.population, km2: a.area_km2, km2_basis: a.km2_basis.as_str() })
                .collect();
            store.export_geoparquet(&ctx.config, &args.out, args.with_housing, &measures)?.into_iter().map(|e| (e.path, e.rows)).collect()
        }
    };
    let rows: i64 = written.iter().map(|(_, n)| n).sum();
    for (path, n) in &written {
        println!("{n:>10} rows  {}", path.display());
    }
    let detail = format!("{} ({:?}{})", args.out.display(), args.format, if args.with_housing { ", with housing" } else { "" });
    ctx.audit(&store, "admin", "export", &detail, Some(rows))
}
