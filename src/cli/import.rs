//! `bomiljo import LAYER FILE`: one file into one layer, all or nothing (see `bomiljo::import`).

use std::path::PathBuf;

use anyhow::{Context as _, Result};
use clap::Args;

use super::{Context, Outcome, parse_pair};
use bomiljo::import::{ImportError, ImportMode, ImportOptions, csv::Encoding, import_file};
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
    /// The table of a GeoPackage, the sheet of an Excel workbook or the feature type of a GML
    /// file, when it holds several.
    #[arg(long)]
    source_layer: Option<String>,
    /// CSV separator: ';', ',' or 'tab' (detected from the header row).
    #[arg(long, value_parser = bomiljo::import::csv::parse_delimiter)]
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
    /// Import the valid rows and set the rejected ones aside in --rejects (never the default:
    /// without it a file with any bad row is refused whole).
    #[arg(long, requires = "rejects")]
    keep_valid: bool,
    /// With --keep-valid: the CSV file that lists every rejected row (file, line, reason).
    #[arg(long, value_name = "FILE", requires = "keep_valid")]
    rejects: Option<PathBuf>,
    /// Who is importing, for the import log.
    #[arg(long, env = "USER", default_value = "unknown")]
    user: String,
}

/// Imports the file; a rejected file lists its bad rows on stderr and exits with 2.
pub fn run(ctx: &Context, args: ImportArgs) -> Result<Outcome> {
    let mut store = match ctx.store_or_new() {
        Ok(store) => store,
        Err(e) => match super::held_by_server(ctx, &e) {
            Some(url) => return send_to_server(ctx, &args, &url),
            None => return Err(e),
        },
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
        keep_valid: args.rejects.filter(|_| args.keep_valid),
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
fn send_to_server(ctx: &Context, args: &ImportArgs, url: &str) -> Result<Outcome> {
    let name = args.file.file_name().and_then(|n| n.to_str()).unwrap_or("data");
    let parameters = http_parameters(args, name);
    let target = format!("{url}api/admin/import/{}", args.layer);
    let Some(token) = super::server_token() else {
        let query: Vec<String> = parameters.iter().map(|(k, v)| format!("{k}={v}")).collect();
        anyhow::bail!(
            "{} is held by the bomiljo server at {url}; send the file to it with an admin token:\n    BOMILJO_TOKEN=<admin token> bomiljo --db {} import {} {}\n    curl -H \"Authorization: Bearer <admin token>\" --data-binary @{} \"{target}?{}\"\nor stop the server and import again.",
            ctx.db.display(),
            ctx.db.display(),
            args.layer,
            args.file.display(),
            args.file.display(),
            query.join("&")
        );
    };
    let body = std::fs::read(&args.file).with_context(|| format!("reading {}", args.file.display()))?;
    let agent = super::server_agent();
    let mut request = agent.post(&target).header("Authorization", &format!("Bearer {token}"));
    for (key, value) in &parameters {
        request = request.query(key, value);
    }
    let mut response = request.send(&body[..]).with_context(|| format!("sending {} to {url}", args.file.display()))?;
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

/// The import's options as the server's query parameters: the same import over HTTP as here.
fn http_parameters(args: &ImportArgs, name: &str) -> Vec<(&'static str, String)> {
    let mut parameters = vec![("filename", name.to_string())];
    let mut add = |key: &'static str, value: Option<String>| parameters.extend(value.map(|v| (key, v)));
    add("mode", args.mode.map(|m| m.as_str().to_string()));
    add("dry_run", args.dry_run.then(|| "true".into()));
    add("crs", args.crs.clone());
    add("fields", (!args.fields.is_empty()).then(|| args.fields.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join(",")));
    add("date_format", args.date_format.clone());
    add("delimiter", args.delimiter.map(|d| if d == b'\t' { "tab".to_string() } else { char::from(d).to_string() }));
    add("decimal", args.decimal.clone());
    add("encoding", args.encoding.map(|e| e.to_string()));
    add("source_layer", args.source_layer.clone());
    add("make_valid", args.make_valid.then(|| "true".into()));
    add("allow_future", args.allow_future.then(|| "true".into()));
    parameters
}
