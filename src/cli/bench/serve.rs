//! `bomiljo bench serve`: the server on a demo database on loopback, loaded with 64 concurrent
//! clients per endpoint: `/api/areas`, a heat map tile and `POST /api/score`, and the light
//! routes again under a flood of idle connections from another address.
//!
//! `bomiljo bench cost`: the CPU time of every public request over a grid of the parameters a
//! caller may send, one request at a time.

use std::net::SocketAddr;
use std::path::Path;
use std::time::Duration;

use bomiljo::api::{AppState, ServeError};
use bomiljo::config::Config;
use bomiljo::load::{self, Request};
use bomiljo::spatial::{ANALYSIS_CRS, Crs, Transformer};
use bomiljo::store::Database;
use bomiljo::store::{OpenMode, Store};

/// The production server (connection caps, first-byte deadline) on a demo database, on a port of
/// loopback, and a place inside the first delbydel to ask about.
struct DemoServer {
    runtime: tokio::runtime::Runtime,
    addr: SocketAddr,
    /// A point inside the first delbydel, WGS84.
    lon: f64,
    lat: f64,
    /// The z13 tile holding that point.
    tile: (u32, u32, u32),
    /// The demo's first and last year.
    years: (i32, i32),
    _dir: tempfile::TempDir,
}

impl DemoServer {
    fn start(config: &Config, areas_file: Option<&Path>) -> anyhow::Result<DemoServer> {
        let dir = tempfile::tempdir().map_err(ServeError::Io)?;
        let mut store = Store::open(&dir.path().join("bench.duckdb"), OpenMode::CreateIfMissing)?;
        // Real streets when the shared data has them, so travel areas can be drawn.
        let roads = Path::new("../shared/data/oslo/osm_roads_sentrum.geojson");
        let extra = if roads.is_file() { vec![("roads".to_string(), roads.to_path_buf())] } else { Vec::new() };
        let options = bomiljo::demo::DemoOptions { areas: areas_file.map(Path::to_path_buf), extra, out_dir: dir.path().join("files"), ..Default::default() };
        bomiljo::demo::build(&mut store, config, &options)?;
        let areas = bomiljo::index::AreaIndex::from_rows(store.areas(&config.project.assign_layer)?);
        let centre =
            areas.iter().next().and_then(|a| geo::InteriorPoint::interior_point(&a.polygon)).map(|p| (p.x(), p.y())).unwrap_or((597_500.0, 6_642_500.0));
        let (lon, lat) =
            Transformer::new(ANALYSIS_CRS, Crs::Wgs84).apply(centre.0, centre.1).map_err(|e| ServeError::Io(std::io::Error::other(e.to_string())))?;
        let z = 13;
        let n = 2f64.powi(z);
        let tx = ((lon + 180.0) / 360.0 * n) as u32;
        let ty = ((1.0 - lat.to_radians().tan().asinh() / std::f64::consts::PI) / 2.0 * n) as u32;
        // One client address sends every request: the per-address rate limit would measure itself.
        let mut config = config.clone();
        config.project.limits.public_per_minute = u32::MAX;
        let state = AppState::new(config, store)?;
        let runtime = tokio::runtime::Runtime::new().map_err(ServeError::Io)?;
        let listener = runtime.block_on(tokio::net::TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], 0)))).map_err(ServeError::Io)?;
        let addr = listener.local_addr().map_err(ServeError::Io)?;
        runtime.spawn(bomiljo::api::serve_listener(state, listener));
        Ok(DemoServer { runtime, addr, lon, lat, tile: (z as u32, tx, ty), years: options.years, _dir: dir })
    }
}

pub fn serve(config: &Config, areas_file: Option<&Path>, requests: usize, concurrency: usize) -> anyhow::Result<()> {
    let server = DemoServer::start(config, areas_file)?;
    let (addr, lon, lat, (z, tx, ty)) = (server.addr, server.lon, server.lat, server.tile);
    println!("serving a demo database on {addr}; {requests} requests per endpoint at {concurrency} concurrent connections (public role, rate limit off)");
    let score = format!(r#"{{"group": 5, "lon": {lon}, "lat": {lat}, "units": 8}}"#);
    let light = [("GET /api/health", vec![Request::get("/api/health")]), ("GET /api/areas", vec![Request::get("/api/areas")])];
    let cases = [
        ("GET /tiles/heat (one tile, cached surface)", vec![Request::get(format!("/tiles/heat/{z}/{tx}/{ty}.png"))]),
        ("POST /api/score", vec![Request::post_json("/api/score", score)]),
        (
            "GET /collections/delbydeler/items (1 km² bbox, by geometry)",
            vec![Request::get(format!("/collections/delbydeler/items?bbox={},{},{},{}", lon - 0.009, lat - 0.0045, lon + 0.009, lat + 0.0045))],
        ),
        ("GET /tiles/delbydeler (MVT, clipped and made valid)", vec![Request::get(format!("/tiles/delbydeler/{z}/{tx}/{ty}.mvt"))]),
        ("GET /api/heatmap/geotiff (whole city, 50 m, cached surface)", vec![Request::get("/api/heatmap/geotiff")]),
    ];
    let errors = server.runtime.block_on(async move {
        let mut errors = 0;
        for (name, reqs) in light.iter().chain(&cases) {
            // Warm up: the first heat tile computes the density surface.
            load::run(addr, reqs, concurrency, concurrency.min(8)).await;
            let report = load::run(addr, reqs, requests, concurrency).await;
            errors += report.errors;
            println!("{name}: {report}");
        }
        // Cold rendering: 256 distinct z16 tiles around the same place, each requested once.
        let (cx, cy) = (tx * 8, ty * 8);
        let cold: Vec<Request> = (0..16).flat_map(|i| (0..16).map(move |j| Request::get(format!("/tiles/heat/16/{}/{}.png", cx + i, cy + j)))).collect();
        let report = load::run(addr, &cold, cold.len(), concurrency).await;
        errors += report.errors;
        println!("GET /tiles/heat (256 distinct tiles, rendered on first request): {report}");
        let flood = idle_flood(addr, 1000);
        tokio::time::sleep(Duration::from_millis(500)).await;
        for (name, reqs) in &light {
            let report = load::run(addr, reqs, requests, concurrency).await;
            errors += report.errors;
            println!("{name} while 127.0.0.2 holds up to 1,000 idle connections: {report}");
        }
        flood.abort();
        errors
    });
    // A figure over refused or failed requests measures the refusal, not the service.
    if errors > 0 {
        return Err(ServeError::Io(std::io::Error::other(format!(
            "{errors} requests were not answered with 2xx; the figures above do not measure the service"
        )))
        .into());
    }
    Ok(())
}

/// `connections` idle connections from 127.0.0.2 that never send a byte, each opened again as
/// soon as the server closes it (over the cap per client at once, or at the first-byte deadline).
fn idle_flood(addr: SocketAddr, connections: usize) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut held = tokio::task::JoinSet::new();
        for _ in 0..connections {
            held.spawn(async move {
                loop {
                    if let Ok(mut stream) = idle_connection(addr).await {
                        let mut byte = [0u8; 1];
                        let _ = tokio::io::AsyncReadExt::read(&mut stream, &mut byte).await;
                    }
                    tokio::time::sleep(Duration::from_millis(20)).await;
                }
            });
        }
        while held.join_next().await.is_some() {}
    })
}

async fn idle_connection(addr: SocketAddr) -> std::io::Result<tokio::net::TcpStream> {
    let socket = tokio::net::TcpSocket::new_v4()?;
    socket.bind(SocketAddr::from(([127, 0, 0, 2], 0)))?;
    socket.connect(addr).await
}

/// The process's CPU time (user + system) from `/proc/self/stat`, in seconds (10 ms ticks).
fn cpu_seconds() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    // Fields after the command name (which may hold spaces) are space-separated; utime and
    // stime are fields 14 and 15 of the line, 12 and 13 after the closing parenthesis.
    let after = stat.rsplit_once(')').map_or("", |(_, rest)| rest);
    let fields: Vec<&str> = after.split_whitespace().collect();
    let ticks = |i: usize| fields.get(i).and_then(|f| f.parse::<f64>().ok()).unwrap_or(0.0);
    (ticks(11) + ticks(12)) / 100.0
}

/// Every public request over a grid of the parameters a caller may send, one at a time on a
/// fresh server (nothing cached but what the server computes at start): the CPU seconds each
/// took, the most costly per route, and an error when any took more than `limit_s`.
pub fn cost(config: &Config, areas_file: Option<&Path>, limit_s: f64) -> anyhow::Result<()> {
    let server = DemoServer::start(config, areas_file)?;
    let grid = public_grid(&server);
    println!("{} public requests on a fresh server over the parameters the public may send, one at a time:", grid.len());
    let addr = server.addr;
    let measured: Vec<(String, String, f64, usize)> = server.runtime.block_on(async move {
        let mut out = Vec::new();
        for (route, request) in grid {
            // Let the runtime's idle threads settle so their CPU is not charged to the request.
            tokio::time::sleep(Duration::from_millis(5)).await;
            let before = cpu_seconds();
            let report = load::run(addr, std::slice::from_ref(&request), 1, 1).await;
            out.push((route, request.path, cpu_seconds() - before, report.errors));
        }
        out
    });
    let mut routes: std::collections::BTreeMap<&str, (usize, f64, f64, &str, usize)> = std::collections::BTreeMap::new();
    for (route, path, cpu, errors) in &measured {
        let entry = routes.entry(route).or_insert((0, 0.0, 0.0, "", 0));
        entry.0 += 1;
        entry.1 += cpu;
        entry.4 += errors;
        if *cpu >= entry.2 {
            (entry.2, entry.3) = (*cpu, path);
        }
    }
    for (route, (n, total, max, worst, errors)) in &routes {
        println!(
            "  {route}: {n} requests, mean {:.3} CPU-s, max {max:.2} CPU-s ({worst}){}",
            total / *n as f64,
            if *errors > 0 { format!(", {errors} not 2xx") } else { String::new() }
        );
    }
    let over: Vec<_> = measured.iter().filter(|m| m.2 > limit_s).collect();
    let failed = measured.iter().filter(|m| m.3 > 0).count();
    for (_, path, cpu, _) in &over {
        println!("  over {limit_s} CPU-s: {path} ({cpu:.2} CPU-s)");
    }
    for (_, path, _, _) in measured.iter().filter(|m| m.3 > 0) {
        println!("  not 2xx: {path}");
    }
    if !over.is_empty() || failed > 0 {
        return Err(ServeError::Io(std::io::Error::other(format!(
            "{} public requests cost more than {limit_s} CPU-s and {failed} were not answered with 2xx",
            over.len()
        )))
        .into());
    }
    println!("every public request cost at most {limit_s} CPU-s");
    Ok(())
}

/// The public requests the cost bench sends: each route with the costliest values of each
/// parameter the public may choose (the largest areas, the finest cells, the widest bands and
/// bandwidths, every span of years from the first to the last, every source).
fn public_grid(server: &DemoServer) -> Vec<(String, Request)> {
    use bomiljo::measurement::{PUBLIC_BANDS_M, PUBLIC_BANDWIDTHS_M, PUBLIC_HEAT_CELLS_M};
    let (lon, lat, (z, tx, ty), (first, last)) = (server.lon, server.lat, server.tile, server.years);
    let mut grid: Vec<(String, Request)> = Vec::new();
    let mut get = |route: &str, path: String| grid.push((route.to_string(), Request::get(path)));
    let sources = ["", "&source=police", "&source=fire", "&source=waste"];
    let spans = [format!("year={last}"), format!("year={first}&to_year={last}")];
    for path in ["/api/areas", "/api/release", "/api/layers", "/api/rules", "/api/map", "/collections", "/api/openapi.json"] {
        get("metadata", path.to_string());
    }
    for level in ["delbydel", "bydel"] {
        get("/api/measurement", format!("/api/measurement?level={level}&year={last}"));
    }
    for source in sources {
        get("/api/series", format!("/api/series?monthly=true{source}"));
        for span in &spans {
            for band in PUBLIC_BANDS_M {
                get("/api/hotspots", format!("/api/hotspots?{span}&band_m={band}{source}"));
                get("/api/lisa", format!("/api/lisa?{span}&band_m={band}{source}"));
            }
            for cell in PUBLIC_HEAT_CELLS_M {
                for bandwidth in PUBLIC_BANDWIDTHS_M {
                    let query = format!("{span}&cell_m={cell}&bandwidth_m={bandwidth}{source}");
                    get("/api/heatmap/legend", format!("/api/heatmap/legend?{query}"));
                    get("/tiles/heat", format!("/tiles/heat/{z}/{tx}/{ty}.png?{query}"));
                }
            }
        }
        for band in PUBLIC_BANDS_M {
            get("/api/emerging", format!("/api/emerging?band_m={band}{source}"));
        }
        get("/api/heatmap/geotiff", format!("/api/heatmap/geotiff?year={first}&to_year={last}&cell_m=50&bandwidth_m=1000{source}"));
    }
    for group in 1..=8 {
        get("/api/suitability", format!("/api/suitability?group={group}&cell_m=250"));
        get("/api/suitability", format!("/api/suitability?group={group}&cell_m=50&area=01"));
        for (zoom, x, y) in [(10, tx >> 3, ty >> 3), (11, tx >> 2, ty >> 2), (z, tx, ty)] {
            get("/tiles/suitability", format!("/tiles/suitability/{zoom}/{x}/{y}.png?group={group}&cell_m=50"));
        }
        get("/api/score/groups", format!("/api/score/groups?lon={lon}&lat={lat}&units=8"));
    }
    for (mode, minutes) in [("walk", 30), ("drive", 15)] {
        for direction in ["from", "to"] {
            get("/api/isochrone", format!("/api/isochrone?lon={lon}&lat={lat}&mode={mode}&minutes={minutes}&direction={direction}"));
        }
    }
    get("/api/reports/dialogue.pdf", format!("/api/reports/dialogue.pdf?lon={lon}&lat={lat}&radius=1000&group=5"));
    get("/api/before-after", "/api/before-after".to_string());
    for layer in ["delbydeler", "schools", "population"] {
        get("/collections/{layer}/items", format!("/collections/{layer}/items?limit=10000"));
    }
    for layer in ["delbydeler", "bydeler", "incidents"] {
        for zoom in [10, 13, 16] {
            let scale = 2u32.pow(zoom.max(13) - 13);
            let (x, y) = if zoom >= 13 { (tx * scale, ty * scale) } else { (tx >> (13 - zoom), ty >> (13 - zoom)) };
            get("/tiles/{layer} (MVT)", format!("/tiles/{layer}/{zoom}/{x}/{y}.mvt"));
        }
    }
    let score = format!(r#"{{"group": 5, "lon": {lon}, "lat": {lat}, "units": 8}}"#);
    grid.push(("POST /api/score".to_string(), Request::post_json("/api/score", score)));
    grid
}
