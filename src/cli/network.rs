//! `bomiljo network summary|route|isochrone|export|costs`: the street network siting measures
//! along (the rule file's `[network]`), built from the stored line layer.

use std::io::Write;
use std::path::PathBuf;

use anyhow::{Context as _, Result, anyhow};
use clap::Subcommand;

use super::{Context, parse_lat_lon};
use bomiljo::analysis::network::dijkstra::costs_from;
use bomiljo::analysis::network::isochrone::Direction;
use bomiljo::index::network::{Mode, Network};
use bomiljo::siting::travel;

#[derive(Subcommand)]
pub enum NetworkCommand {
    /// Nodes, edges, kilometres on foot and by car, and how much of it hangs together.
    Summary,
    /// The way from one point to another: metres on foot or minutes by car, beside the straight line.
    Route {
        /// LAT,LON in degrees.
        #[arg(long, value_parser = parse_lat_lon)]
        from: (f64, f64),
        #[arg(long, value_parser = parse_lat_lon)]
        to: (f64, f64),
        #[arg(long, default_value = "walk", value_parser = parse_mode)]
        mode: Mode,
    },
    /// The area reachable from a point in some minutes, as a GeoJSON feature (WGS84).
    Isochrone {
        #[arg(long, value_parser = parse_lat_lon)]
        at: (f64, f64),
        #[arg(long, default_value_t = 5.0)]
        minutes: f64,
        #[arg(long, default_value = "drive", value_parser = parse_mode)]
        mode: Mode,
        /// Where a staff base can lie to reach the point in the minutes, instead of where one gets
        /// from it (the two differ on one-way streets).
        #[arg(long)]
        towards: bool,
    },
    /// A mode's graph as CSV arcs `from,to,cost` (metres on foot, seconds by car) and node
    /// positions `node,x,y` (EPSG:25832), for checking against another router (networkx).
    Export {
        #[arg(long, value_parser = parse_mode)]
        mode: Mode,
        /// Folder for arcs.csv and nodes.csv.
        #[arg(long)]
        out: PathBuf,
    },
    /// Least costs between node pairs of a CSV `from,to` (node numbers of `export`), as CSV.
    Costs {
        #[arg(long, value_parser = parse_mode)]
        mode: Mode,
        #[arg(long)]
        pairs: PathBuf,
    },
}

fn parse_mode(text: &str) -> Result<Mode, String> {
    Mode::parse(text).ok_or_else(|| format!("'{text}' is not a mode: walk or drive"))
}

pub fn run(ctx: &Context, what: NetworkCommand) -> Result<()> {
    let network = load(ctx)?;
    match what {
        NetworkCommand::Summary => {
            let s = network.summary();
            println!("nodes {}, edges {}", s.nodes, s.edges);
            println!("on foot: {:.1} km of street, {} arcs; the largest connected part has {} nodes", s.walk_km, s.walk_arcs, s.largest_walk_component);
            println!("by car:  {:.1} km of street, {} arcs", s.drive_km, s.drive_arcs);
        }
        NetworkCommand::Route { from, to, mode } => {
            let (a, b) = (site(ctx, from)?, site(ctx, to)?);
            match travel::trip(&network, mode, a, b) {
                Some(t) => println!("{}", serde_json::to_string_pretty(&t)?),
                None => {
                    return Err(anyhow!(
                        "the street network does not connect the two points by {mode:?} (either lies more than {:.0} m from a usable street, or no way joins them)",
                        network.profile().max_snap_m
                    ));
                }
            }
        }
        NetworkCommand::Isochrone { at, minutes, mode, towards } => {
            let (x, y) = site(ctx, at)?;
            let direction = if towards { Direction::To } else { Direction::From };
            println!("{}", travel::reachable_area(&network, x, y, mode, minutes, direction)?);
        }
        NetworkCommand::Export { mode, out } => export(&network, mode, &out)?,
        NetworkCommand::Costs { mode, pairs } => costs(&network, mode, &pairs)?,
    }
    Ok(())
}

fn load(ctx: &Context) -> Result<Network> {
    let rules = bomiljo::siting::rules::load(&ctx.config.project.rules, &ctx.config)?;
    let profile = rules
        .network
        .ok_or_else(|| anyhow!("the rule file {} has no [network] section; everything is measured in a straight line", ctx.config.project.rules.display()))?;
    let store = ctx.store()?;
    Network::from_store(&store, &profile)?.ok_or_else(|| {
        anyhow!(
            "layer '{}' holds no streets\n    Import them: bomiljo import {} streets.osm.pbf (or an overpass GeoJSON of highway=*)",
            profile.layer,
            profile.layer
        )
    })
}

fn site(ctx: &Context, (lat, lon): (f64, f64)) -> Result<(f64, f64)> {
    ctx.config.project.site_from_lonlat(bomiljo::spatial::LonLat { lon, lat }).map_err(anyhow::Error::msg)
}

fn export(network: &Network, mode: Mode, out: &std::path::Path) -> Result<()> {
    std::fs::create_dir_all(out).with_context(|| format!("creating {}", out.display()))?;
    let mut arcs = std::io::BufWriter::new(std::fs::File::create(out.join("arcs.csv"))?);
    writeln!(arcs, "from,to,cost")?;
    let graph = network.adjacency(mode);
    for node in 0..graph.nodes() as u32 {
        for (head, cost) in graph.arcs(node) {
            writeln!(arcs, "{node},{head},{cost:.17}")?;
        }
    }
    let mut nodes = std::io::BufWriter::new(std::fs::File::create(out.join("nodes.csv"))?);
    writeln!(nodes, "node,x,y")?;
    for (i, [x, y]) in network.nodes().iter().enumerate() {
        writeln!(nodes, "{i},{x:.3},{y:.3}")?;
    }
    Ok(())
}

fn costs(network: &Network, mode: Mode, pairs: &std::path::Path) -> Result<()> {
    let mut reader = csv::Reader::from_path(pairs).with_context(|| format!("reading {}", pairs.display()))?;
    let mut wanted: Vec<(u32, u32)> = Vec::new();
    for (i, row) in reader.records().enumerate() {
        let row = row?;
        let node = |k: usize| -> Result<u32> {
            let n: u32 = row.get(k).unwrap_or_default().trim().parse().with_context(|| format!("{}:{}: not a node number", pairs.display(), i + 2))?;
            if n as usize >= network.nodes().len() {
                return Err(anyhow!("{}:{}: node {n} is not in the network ({} nodes)", pairs.display(), i + 2, network.nodes().len()));
            }
            Ok(n)
        };
        wanted.push((node(0)?, node(1)?));
    }
    let mut out = std::io::stdout().lock();
    writeln!(out, "from,to,cost")?;
    let mut last: Option<(u32, Vec<f64>)> = None;
    for (from, to) in wanted {
        if last.as_ref().is_none_or(|(f, _)| *f != from) {
            last = Some((from, costs_from(network.adjacency(mode), &[(from, 0.0)], f64::INFINITY)));
        }
        let cost = last.as_ref().map_or(f64::INFINITY, |(_, c)| c[to as usize]);
        if cost.is_finite() {
            writeln!(out, "{from},{to},{cost:.17}")?;
        } else {
            writeln!(out, "{from},{to},")?;
        }
    }
    Ok(())
}
