//! `bomiljo import LAYER FILE`: one file into one layer, all or nothing (see `bomiljo::import`).

use std::path::PathBuf;

use anyhow::{Context as _, Result};
use clap::Args;

use super::{parse_pair, Context, Outcome};
use bomiljo::import::{csv::Encoding, import_file, ImportError, ImportMode, ImportOptions};
use bomiljo::spatial::Crs;
use bomiljo::store::StoreError;

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
    /// The table of a GeoPackage, the sheet of an Excel workbook or the feature type of a GML
    /// file, when it holds several.
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
    let mut store = match ctx.store_or_new() {
        Ok(store) => store,
        Err(e) if matches!(e.downcast_ref::<StoreError>(), Some(StoreError::Locked { .. })) => return send_to_server(ctx, &args, e),
        Err(e) => return Err(e),
    };
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
        consequences: bomiljo::import::shapes_the_release(&ctx.config, &args.layer).then_some(bomiljo::release::cost_lines as bomiljo::import::Consequences),
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

/// The database is held by another process: a running `bomiljo serve` takes the file over HTTP
/// (with an admin token in `BOMILJO_TOKEN`); otherwise say exactly what to do.
fn send_to_server(ctx: &Context, args: &ImportArgs, locked: anyhow::Error) -> Result<Outcome> {
    let Some(url) = bomiljo::api::server::running_server(&ctx.db) else {
        return Err(locked);
    };
    let name = args.file.file_name().and_then(|n| n.to_str()).unwrap_or("data");
    let mut query = format!("filename={name}");
    if let Some(mode) = args.mode {
        query.push_str(&format!("&mode={}", mode.as_str()));
    }
    if args.dry_run {
        query.push_str("&dry_run=true");
    }
    if let Some(crs) = &args.crs {
        query.push_str(&format!("&crs={crs}"));
    }
    let target = format!("{url}api/admin/import/{}?{query}", args.layer);
    let token = std::env::var("BOMILJO_TOKEN").ok().filter(|t| !t.is_empty());
    let unsupported =
        !args.fields.is_empty() || args.date_format.is_some() || args.delimiter.is_some() || args.encoding.is_some() || args.source_layer.is_some();
    let (Some(token), false) = (token, unsupported) else {
        anyhow::bail!(
            "{} is held by the bomiljo server at {url}; send the file to it with an admin token:\n    BOMILJO_TOKEN=<admin token> bomiljo --db {} import {} {}\n    curl -H \"Authorization: Bearer <admin token>\" --data-binary @{} \"{target}\"\n{}or stop the server and import again.",
            ctx.db.display(),
            ctx.db.display(),
            args.layer,
            args.file.display(),
            args.file.display(),
            if unsupported { "(--field, --date-format, --delimiter, --encoding and --source-layer are not sent over HTTP: map the columns in the layer's TOML) " } else { "" }
        );
    };
    let body = std::fs::read(&args.file).with_context(|| format!("reading {}", args.file.display()))?;
    let agent: ureq::Agent = ureq::Agent::config_builder().http_status_as_error(false).build().into();
    let mut response = agent
        .post(&target)
        .header("Authorization", &format!("Bearer {token}"))
        .send(&body[..])
        .with_context(|| format!("sending {} to {url}", args.file.display()))?;
    let status = response.status().as_u16();
    let answer: serde_json::Value = response.body_mut().read_json().unwrap_or_default();
    match status {
        200 => {
            println!("sent to the server at {url}: {}", answer["report"].as_str().unwrap_or_default());
            Ok(Outcome::Success)
        }
        422 => {
            eprintln!("{}", answer["error"].as_str().unwrap_or_default());
            Ok(Outcome::Rejected)
        }
        _ => anyhow::bail!("the server at {url} answered {status}: {}", answer["error"].as_str().unwrap_or_default()),
    }
}
