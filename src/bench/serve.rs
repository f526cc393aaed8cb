//! `bomiljo bench serve`: the server on a demo database on loopback, loaded with 64 concurrent
//! clients per endpoint: `/api/areas`, a heat map tile and `POST /api/score`.

use std::net::SocketAddr;
use std::path::Path;

use super::load::{self, Request};
use crate::api::{router, AppState, ServeError};
use crate::config::Config;
use crate::spatial::{Crs, Transformer, ANALYSIS_CRS};
use crate::store::{OpenMode, Store};

pub fn serve(config: &Config, areas_file: Option<&Path>, requests: usize, concurrency: usize) -> Result<(), crate::Error> {
    let dir = tempfile::tempdir().map_err(ServeError::Io)?;
    let mut store = Store::open(&dir.path().join("bench.duckdb"), OpenMode::CreateIfMissing)?;
    let options = crate::demo::DemoOptions { areas: areas_file.map(Path::to_path_buf), out_dir: dir.path().join("files"), ..Default::default() };
    crate::demo::build(&mut store, config, &options)?;
    let areas = crate::index::AreaIndex::from_rows(store.areas(&config.project.assign_layer)?);
    let centre = areas.iter().next().and_then(|a| geo::InteriorPoint::interior_point(&a.polygon)).map(|p| (p.x(), p.y())).unwrap_or((597_500.0, 6_642_500.0));
    let (lon, lat) = Transformer::new(ANALYSIS_CRS, Crs::Wgs84).apply(centre.0, centre.1).map_err(|e| ServeError::Io(std::io::Error::other(e.to_string())))?;
    let z = 13;
    let n = 2f64.powi(z);
    let tx = ((lon + 180.0) / 360.0 * n) as u32;
    let ty = ((1.0 - lat.to_radians().tan().asinh() / std::f64::consts::PI) / 2.0 * n) as u32;
    // One client address sends every request: the per-address rate limit would measure itself.
    let mut config = config.clone();
    config.project.limits.public_per_minute = u32::MAX;
    let state = AppState::new(config, store)?;
    let runtime = tokio::runtime::Runtime::new().map_err(ServeError::Io)?;
    runtime
        .block_on(async move {
            let listener = tokio::net::TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], 0))).await.map_err(ServeError::Io)?;
            let addr = listener.local_addr().map_err(ServeError::Io)?;
            tokio::spawn(async move { axum::serve(listener, router(state)).await });
            println!(
                "serving a demo database on {addr}; {requests} requests per endpoint at {concurrency} concurrent connections (public role, rate limit off)"
            );
            let score = format!(r#"{{"group": 5, "lon": {lon}, "lat": {lat}, "units": 8}}"#);
            let cases = [
                ("GET /api/areas", vec![Request::get("/api/areas")]),
                ("GET /tiles/heat (one tile, cached surface)", vec![Request::get(format!("/tiles/heat/{z}/{tx}/{ty}.png"))]),
                ("POST /api/score", vec![Request::post_json("/api/score", score)]),
                (
                    "GET /collections/delbydeler/items (1 km² bbox, by geometry)",
                    vec![Request::get(format!("/collections/delbydeler/items?bbox={},{},{},{}", lon - 0.009, lat - 0.0045, lon + 0.009, lat + 0.0045))],
                ),
                ("GET /tiles/delbydeler (MVT, clipped and made valid)", vec![Request::get(format!("/tiles/delbydeler/{z}/{tx}/{ty}.mvt"))]),
                ("GET /api/heatmap/geotiff (whole city, 50 m, cached surface)", vec![Request::get("/api/heatmap/geotiff")]),
            ];
            let mut errors = 0;
            for (name, reqs) in cases {
                // Warm up: the first heat tile computes the density surface.
                load::run(addr, &reqs, concurrency, concurrency.min(8)).await;
                let report = load::run(addr, &reqs, requests, concurrency).await;
                errors += report.errors;
                println!("{name}: {report}");
            }
            // Cold rendering: 256 distinct z16 tiles around the same place, each requested once.
            let (cx, cy) = (tx * 8, ty * 8);
            let cold: Vec<Request> = (0..16).flat_map(|i| (0..16).map(move |j| Request::get(format!("/tiles/heat/16/{}/{}.png", cx + i, cy + j)))).collect();
            let report = load::run(addr, &cold, cold.len(), concurrency).await;
            errors += report.errors;
            println!("GET /tiles/heat (256 distinct tiles, rendered on first request): {report}");
            Ok::<usize, ServeError>(errors)
        })
        .and_then(|errors| {
            // A figure over refused or failed requests measures the refusal, not the service.
            if errors > 0 {
                Err(ServeError::Io(std::io::Error::other(format!(
                    "{errors} requests were not answered with 2xx; the figures above do not measure the service"
                ))))
            } else {
                Ok(())
            }
        })?;
    Ok(())
}
