//! `bomiljo measure --year Y`: indicators per delbydel (or bydel), source and year;
//! `bomiljo measure emerging`: emerging hot and cold spots over the years.

use anyhow::Result;
use clap::{Args, Subcommand};

use super::{Context, TableFormat, parse_role};
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
    /// Local clusters and outliers: Local Moran's I with 999 conditional permutations and FDR
    Lisa(LisaArgs),
    /// The kernel density surface as a Cloud-Optimized GeoTIFF (EPSG:25832) for GDAL and QGIS
    Heat(HeatArgs),
}

#[derive(Args)]
struct HeatArgs {
    /// One source (fire, police, waste, ...); every source when absent.
    #[arg(long)]
    source: Option<String>,
    /// One category of the source.
    #[arg(long)]
    category: Option<String>,
    /// First year (the latest with data when absent).
    #[arg(long)]
    year: Option<i32>,
    /// Last year of a span.
    #[arg(long)]
    to_year: Option<i32>,
    /// Cell size, metres (25-250).
    #[arg(long, default_value_t = 50.0)]
    cell_m: f64,
    /// Kernel bandwidth, metres (100-1000).
    #[arg(long, default_value_t = 300.0)]
    bandwidth_m: f64,
    /// A delbydel or bydel code to clip to.
    #[arg(long)]
    area: Option<String>,
    /// Incidents per 1,000 inhabitants instead of per km².
    #[arg(long)]
    per_1000: bool,
    /// The GeoTIFF to write.
    #[arg(long)]
    out: std::path::PathBuf,
    /// Whose view: analyst (raw incidents) or public (the release; cells on fewer than k incidents no-data).
    #[arg(long, default_value = "analyst", value_parser = parse_role)]
    role: Role,
}

#[derive(Args)]
struct LisaArgs {
    /// First year (the latest with data when absent).
    #[arg(long)]
    year: Option<i32>,
    /// Last year of a span.
    #[arg(long)]
    to_year: Option<i32>,
    /// One source; every source when absent.
    #[arg(long)]
    source: Option<String>,
    /// Distance band for neighbours, metres.
    #[arg(long, default_value_t = 500.0)]
    band: f64,
    /// Cell size, metres (raw incidents: a multiple of the snapping grid; the release: 250).
    #[arg(long)]
    cell: Option<f64>,
    #[arg(long, value_enum, default_value_t = TableFormat::Table)]
    format: TableFormat,
    /// Whose view: analyst (raw incidents) or public (the release's 250 m cells, counts under k hidden).
    #[arg(long, default_value = "analyst", value_parser = parse_role)]
    role: Role,
}

#[derive(Args)]
struct EmergingArgs {
    /// One source (fire, police, waste, ...); every source with data when absent.
    #[arg(long)]
    source: Option<String>,
    /// One category of the source (analysts only: the release has categories per delbydel).
    #[arg(long)]
    category: Option<String>,
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

/// Runs `work` on the incidents `role` may see (analysts: the raw incidents; the public: the
/// release) with the reference geography.
fn with_incidents<T>(
    ctx: &Context,
    role: Role,
    work: impl FnOnce(&measurement::Geography, measurement::Incidents) -> Result<T, measurement::MeasureError>,
) -> Result<T> {
    let config = &ctx.config;
    let mut store = ctx.store()?;
    let geography = measurement::Geography::load(&store, config)?;
    if role.is_internal() {
        return Ok(work(&geography, measurement::Incidents::Raw(store.handle()))?);
    }
    let release = ctx.release_for_reading(&mut store)?;
    Ok(work(&geography, measurement::Incidents::Released(&release))?)
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
    match &args.what {
        Some(MeasureCommand::Emerging(emerging)) => return run_emerging(ctx, emerging),
        Some(MeasureCommand::Lisa(lisa)) => return run_lisa(ctx, lisa),
        Some(MeasureCommand::Heat(heat)) => return run_heat(ctx, heat),
        None => {}
    }
    let year = args.year.expect("clap requires --year without a subcommand");
    let config = &ctx.config;
    // A serving process holds the database: ask it instead (the same figures, by the same code).
    let held = bomiljo::api::server::running_server(&ctx.db).and_then(|_| ctx.store().err()).and_then(|e| super::held_by_server(ctx, &e));
    if let Some(url) = held {
        return measure_through_server(&url, args, year);
    }
    let (rows, missing) = with_incidents(ctx, args.role, |geography, incidents| {
        let rows = measurement::measure(geography, incidents, config, year, args.level)?;
        let missing: Vec<String> =
            measurement::coverage(incidents, config)?.into_iter().filter_map(|(source, years)| measurement::no_data_note(&source, years, year)).collect();
        Ok((rows, missing))
    })?;
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
    let params = measurement::EmergingParams {
        source: args.source.clone(),
        category: args.category.clone(),
        band_m: args.band,
        area: args.area.clone(),
        ..Default::default()
    };
    let found = with_incidents(ctx, args.role, |geography, incidents| measurement::emerging(geography, incidents, config, &params))?;
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

/// Prints Local Moran's I: every cell as JSON or CSV; as a table, the significant ones (q < 0.05)
/// by quadrant.
fn run_lisa(ctx: &Context, args: &LisaArgs) -> Result<()> {
    let config = &ctx.config;
    let params =
        measurement::LisaParams { source: args.source.clone(), year: args.year, to_year: args.to_year, cell_m: args.cell, band_m: Some(args.band), area: None };
    let cells = with_incidents(ctx, args.role, |geography, incidents| measurement::lisa(geography, incidents, config, &params))?;
    let cells = Policy::new(args.role, config.project.min_count).apply(cells);
    let to_wgs84 = bomiljo::spatial::Transformer::new(bomiljo::spatial::ANALYSIS_CRS, bomiljo::spatial::Crs::Wgs84);
    let centre = |cell: &measurement::LisaCell| {
        let [x, y] = cell.centre;
        (x, y, to_wgs84.apply(x, y).unwrap_or((f64::NAN, f64::NAN)))
    };
    match args.format {
        TableFormat::Json => println!("{}", serde_json::to_string_pretty(&cells)?),
        TableFormat::Csv => {
            println!("x,y,lon,lat,count,quadrant,i,p,q");
            for cell in &cells {
                let (x, y, (lon, lat)) = centre(cell);
                let quadrant = serde_json::to_value(cell.quadrant)?;
                let count = cell.count.map_or(String::new(), |n| n.to_string());
                println!("{x:.1},{y:.1},{lon:.6},{lat:.6},{count},{},{:.6},{:.4},{:.4}", quadrant.as_str().unwrap_or_default(), cell.i, cell.p, cell.q);
            }
        }
        TableFormat::Table => {
            let significant: Vec<&measurement::LisaCell> = cells.iter().filter(|c| c.q < 0.05).collect();
            println!(
                "Lokal Moran's I: {} celler, {} signifikante (q < 0,05, {} permutasjoner)",
                cells.len(),
                significant.len(),
                measurement::LISA_PERMUTATIONS
            );
            for cell in significant {
                let (_, _, (lon, lat)) = centre(cell);
                println!(
                    "{lat:>10.5} {lon:>10.5}  {:<10} I = {:>7.3}  q = {:.4}",
                    serde_json::to_value(cell.quadrant)?.as_str().unwrap_or_default(),
                    cell.i,
                    cell.q
                );
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

/// Writes the heat surface as a GeoTIFF and says what it holds.
fn run_heat(ctx: &Context, args: &HeatArgs) -> Result<()> {
    let params = measurement::HeatParams {
        source: args.source.clone(),
        category: args.category.clone(),
        year: args.year,
        to_year: args.to_year,
        cell_m: args.cell_m,
        bandwidth_m: args.bandwidth_m,
        area: args.area.clone(),
        weighted: false,
        per_1000: args.per_1000,
    };
    let config = &ctx.config;
    let surface = with_incidents(ctx, args.role, |geography, incidents| measurement::heat(geography, incidents, config, &params))?;
    let shown = Policy::new(args.role, config.project.min_count).apply(surface);
    let grid = shown.grid();
    let tiff = bomiljo::render::geotiff::cloud_optimized(grid, &shown.values, bomiljo::spatial::ANALYSIS_CRS.epsg());
    std::fs::write(&args.out, &tiff).map_err(|e| anyhow::anyhow!("writing {}: {e}", args.out.display()))?;
    let valued = shown.values.iter().flatten().count();
    println!(
        "wrote {}: {} × {} cells of {} m in {}, {valued} with a value ({}), {}-{}; no-data {}",
        args.out.display(),
        grid.cols,
        grid.rows,
        grid.cell.0,
        bomiljo::spatial::ANALYSIS_CRS,
        shown.unit,
        shown.years.0,
        shown.years.1,
        bomiljo::render::geotiff::NO_DATA
    );
    Ok(())
}

/// `measure` answered by the server that holds the database (`/api/measurement`), as the role
/// asks: the public's without a token, an analyst's with `BOMILJO_TOKEN`. JSON and CSV come as the
/// server writes them; the table format prints the CSV.
fn measure_through_server(url: &str, args: &MeasureArgs, year: i32) -> Result<()> {
    let level = match args.level {
        Level::Delbydel => "delbydel",
        Level::Bydel => "bydel",
    };
    let format = if args.format == TableFormat::Json { "json" } else { "csv" };
    let token = super::server_token();
    if args.role.is_internal() && token.is_none() {
        anyhow::bail!(
            "the database is held by the bomiljo server at {url}; set BOMILJO_TOKEN to an analyst token to measure through it (or pass --role public)"
        );
    }
    let agent = super::server_agent();
    let mut request = agent.get(format!("{url}api/measurement")).query("year", year.to_string()).query("level", level).query("format", format);
    if let (true, Some(token)) = (args.role.is_internal(), &token) {
        request = request.header("Authorization", &format!("Bearer {token}"));
    }
    let mut response = request.call().map_err(|e| anyhow::anyhow!("asking the server at {url}: {e}"))?;
    let status = response.status().as_u16();
    let body = response.body_mut().read_to_string()?;
    if status != 200 {
        let error = serde_json::from_str::<serde_json::Value>(&body).ok().and_then(|v| v["error"].as_str().map(str::to_string)).unwrap_or(body);
        anyhow::bail!("the server at {url} answered {status}: {error}");
    }
    eprintln!("(measured by the server at {url}, which holds the database)");
    print!("{body}");
    Ok(())
}
