//! `bomiljo report dialogue|annual`: the neighbour-dialogue sheet and the annual report.

use std::path::PathBuf;

use anyhow::Result;
use clap::Subcommand;

use super::{Context, Language, parse_lat_lon, parse_role};
use bomiljo::measurement::Incidents;
use bomiljo::privacy::{Policy, Role};
use bomiljo::report::dialogue;

#[derive(Subcommand)]
pub enum ReportCommand {
    /// The neighbour-dialogue fact sheet for a planned site (PDF, public material).
    Dialogue {
        /// The planned site as LAT,LON in degrees.
        #[arg(long, value_parser = parse_lat_lon)]
        at: (f64, f64),
        /// Radius of the area described, metres.
        #[arg(long, default_value_t = 500.0)]
        radius: f64,
        /// The kind of housing, in neutral words (default: the group's housing type, or clustered
        /// homes with a staff base).
        #[arg(long)]
        housing_type: Option<String>,
        /// Matrix group 1-8 of the planned housing: names its housing type and quotes its distances.
        #[arg(long)]
        group: Option<u8>,
        #[arg(long, value_enum, default_value_t = Language::Nb)]
        lang: Language,
        /// Where to write the PDF.
        #[arg(long, default_value = "nabodialog.pdf")]
        out: PathBuf,
    },
    /// The annual bomiljø report: one HTML page per bydel.
    Annual {
        #[arg(long)]
        year: i32,
        /// Output folder.
        #[arg(long, default_value = "reports")]
        out: PathBuf,
        /// public (default: the report can be shared) or analyst (all counts).
        #[arg(long, default_value = "public", value_parser = parse_role)]
        role: Role,
        /// Also write each bydel as PDF.
        #[arg(long)]
        pdf: bool,
    },
}

pub fn run(ctx: &Context, command: ReportCommand) -> Result<()> {
    let config = &ctx.config;
    let mut store = match ctx.store() {
        Ok(store) => store,
        // A serving process holds the database: the annual report is made by it instead.
        Err(e) => match (&command, super::held_by_server(ctx, &e)) {
            (ReportCommand::Annual { year, out, role, pdf }, Some(url)) => return annual_through_server(&url, *year, out, *role, *pdf),
            _ => return Err(e),
        },
    };
    // The served world, as the server builds it (its rules in force, read once).
    let world = ctx.snapshot(&mut store)?;
    let release = &world.release;
    match command {
        ReportCommand::Dialogue { at: (lat, lon), radius, housing_type, group, lang, out } => {
            let site = ctx.site_at(&world.coverage, lat, lon, None)?;
            let lang = match lang {
                Language::Nb => dialogue::Lang::Nb,
                Language::En => dialogue::Lang::En,
            };
            // The group's housing type and what the guidelines ask of it.
            let rules = match group {
                Some(n) => Some(world.siting.rules().group(n).ok_or_else(|| anyhow::anyhow!("no matrix group {n}: 1-8"))?.clone()),
                None => None,
            };
            let housing_type = dialogue::housing_type(housing_type.as_deref(), rules.as_ref(), lang);
            let staff_base_area = rules.as_ref().is_some_and(|g| g.measures_staff_base());
            let params = dialogue::DialogueParams { x: site.x, y: site.y, radius_m: radius, housing_type, group, staff_base_area, lang };
            let sources = dialogue::Sources {
                config,
                release,
                geography: &world.geography,
                index: &world.reference,
                travel: world.siting.travel(),
                rules: Some(world.siting.rules()),
            };
            dialogue::write_file(&sources, &params, &out)?;
            println!("wrote {}", out.display());
            ctx.audit(&store, "public", "report", &format!("dialogue {lat},{lon} r={radius} -> {}", out.display()), None)?;
        }
        ReportCommand::Annual { year, out, role, pdf } => {
            let out = out.join(format!("annual-{year}"));
            let incidents = if role.is_internal() { Incidents::Raw(store.handle()) } else { Incidents::Released(release) };
            let policy = Policy::new(role, config.project.min_count);
            let files = bomiljo::report::annual::write(&world.geography, &world.need(), incidents, release, config, year, &policy, &out, pdf)?;
            println!("wrote {} files to {}", files.len(), out.display());
            let role_name = format!("{role:?}").to_lowercase();
            ctx.audit(&store, &role_name, "report", &format!("annual {year} -> {}", out.display()), Some(files.len() as i64))?;
        }
    }
    Ok(())
}

/// Asks the server that holds the database for the annual report (`GET /api/reports/annual`,
/// with `BOMILJO_TOKEN`) and unpacks it where `report annual` would have written it.
fn annual_through_server(url: &str, year: i32, out: &std::path::Path, role: Role, pdf: bool) -> Result<()> {
    let token = super::server_token().ok_or_else(|| {
        anyhow::anyhow!("the database is held by the bomiljo server at {url}; set BOMILJO_TOKEN to an analyst token to have it make the report")
    })?;
    let role_name = if role.is_internal() { "analyst" } else { "public" };
    let agent = super::server_agent();
    let mut response = agent
        .get(format!("{url}api/reports/annual"))
        .query("year", year.to_string())
        .query("role", role_name)
        .query("pdf", pdf.to_string())
        .header("Authorization", &format!("Bearer {token}"))
        .call()
        .map_err(|e| anyhow::anyhow!("asking the server at {url}: {e}"))?;
    let status = response.status().as_u16();
    let body = response.body_mut().with_config().limit(1 << 30).read_to_vec()?;
    if status != 200 {
        let text = String::from_utf8_lossy(&body);
        let error = serde_json::from_str::<serde_json::Value>(&text).ok().and_then(|v| v["error"].as_str().map(str::to_string)).unwrap_or(text.to_string());
        anyhow::bail!("the server at {url} answered {status}: {error}");
    }
    let out = out.join(format!("annual-{year}"));
    std::fs::create_dir_all(&out)?;
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(body))?;
    for i in 0..archive.len() {
        let mut entry = archive.by_index(i)?;
        // Names are the server's own flat file names; anything else is not written.
        let Some(name) = entry.enclosed_name().filter(|n| n.components().count() == 1) else { continue };
        let mut file = std::fs::File::create(out.join(name))?;
        std::io::copy(&mut entry, &mut file)?;
    }
    println!("wrote {} files to {} (made by the server at {url}, which holds the database)", archive.len(), out.display());
    Ok(())
}
