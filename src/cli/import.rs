//! `bomiljo import LAYER FILE`: one file into one layer, all or nothing (see `bomiljo::import`).

use std::path::PathBuf;

use anyhow::Result;
use clap::Args;

use super::{parse_pair, Context, Outcome};
use bomiljo::import::{csv::Encoding, import_file, ImportError, ImportMode, ImportOptions};
use bomiljo::spatial::Crs;

#[derive(Args)]
pub struct ImportArgs {
    /// Layer name, e.g. delbydeler or incidents_police (see `bomiljo layers`).
    layer: String,
    /// The file; its extension picks the reader (.geojson, .csv, .xlsx, .gpkg, .shp, .gml, .zip, .osm.pbf, .parquet).
    file: PathBuf,
    /// CRS of the coordinates, overriding the file: EPSG:4326, EPSG:25832 or EPSG:25833.
    #[arg(long)]
    crs: Option<String>,
    /// Read a field (or the x, y, lon, lat coordinates) from another column: --field date=Dato
    /// --field x=Øst (repeatable).
    #[arg(long = "field", value_name = "NAME=COLUMN", value_parser = parse_pair)]
    fields: Vec<(String, String)>,
    /// replace: the file is the whole layer (the default for areas, population, points of
    /// interest and housing); append: add rows, replacing rows with the same id (the default
    /// for incidents). Superseded rows are kept for `bomiljo layer undo`.
    #[arg(long, value_parser = |s: &str| s.parse::<ImportMode>())]
    mode: Option<ImportMode>,
    /// Read and check every row, list the category labels found and how each maps, and
    /// write nothing.
    #[arg(long)]
    dry_run: bool,
    /// Repair invalid polygons (self-crossing rings, overlapping parts) and say what changed,
    /// instead of refusing the file.
    #[arg(long)]
    make_valid: bool,
    /// The table of a GeoPackage, or the sheet of an Excel workbook, when it holds several.
    #[arg(long)]
    source_layer: Option<String>,
    /// CSV separator: ';', ',' or 'tab' (detected from the header row).
    #[arg(long, value_parser = parse_delimiter)]
    delimiter: Option<u8>,
    /// Decimal mark of numbers: comma or point (comma for semicolon files, else point).
    #[arg(long, value_parser = ["comma", "point"])]
    decimal: Option<String>,
    /// Text encoding: utf-8 or windows-1252 (detected: UTF-8 when valid, else Windows-1252).
    #[arg(long)]
    encoding: Option<Encoding>,
    /// Date format of the date column, e.g. %d/%m/%Y (YYYY-MM-DD and dd.mm.yyyy are read without it).
    #[arg(long)]
    date_format: Option<String>,
    /// Accept dates after today (refused by default as typing errors).
    #[arg(long)]
    allow_future: bool,
    /// Who is importing, for the import log.
    #[arg(long, env = "USER", default_value = "unknown")]
    user: String,
}

fn parse_delimiter(s: &str) -> Result<u8, String> {
    match s {
        "tab" | "\\t" => Ok(b'\t'),
        one if one.len() == 1 && one.is_ascii() => Ok(one.as_bytes()[0]),
        other => Err(format!("'{other}' is not one character (or 'tab')")),
    }
}

/// Imports the file; a rejected file lists its bad rows on stderr and exits with 2.
pub fn run(ctx: &Context, args: ImportArgs) -> Result<Outcome> {
    let mut store = ctx.store_or_new()?;
    let options = ImportOptions {
        crs: args.crs.as_deref().map(Crs::parse).transpose()?,
        fields: args.fields,
        imported_by: args.user,
        progress: true,
        mode: args.mode,
        dry_run: args.dry_run,
        dialect: bomiljo::import::csv::Dialect {
            delimiter: args.delimiter,
            decimal_comma: args.decimal.as_deref().map(|d| d == "comma"),
            encoding: args.encoding,
        },
        date_format: args.date_format,
        allow_future: args.allow_future,
        make_valid: args.make_valid,
        source_layer: args.source_layer,
    };
    match import_file(&mut store, &ctx.config, &args.layer, &args.file, &options) {
        Ok(summary) => {
            println!("{summary}");
            if !summary.dry_run {
                ctx.audit(&store, "admin", "import", &format!("{} <- {}", args.layer, args.file.display()), Some(summary.written.rows as i64))?;
            }
            Ok(Outcome::Success)
        }
        Err(rejected @ ImportError::Rejected { .. }) => {
            eprintln!("{rejected}");
            Ok(Outcome::Rejected)
        }
        Err(e) => Err(e.into()),
    }
}
