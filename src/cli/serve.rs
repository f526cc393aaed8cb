//! `bomiljo serve`: the API and the map page over one database.

use std::net::{IpAddr, SocketAddr};

use anyhow::{Context as _, Result};
use clap::Args;

use super::Context;
use bomiljo::api::{self, AppState};
use bomiljo::config::Config;
use bomiljo::store::Store;

#[derive(Args)]
pub struct ServeArgs {
    #[arg(long, env = "BOMILJO_HOST", default_value = "127.0.0.1")]
    pub host: IpAddr,
    /// Port to listen on (0 picks a free one).
    #[arg(long, env = "BOMILJO_PORT", default_value_t = 8080)]
    pub port: u16,
    /// The base map, instead of `[map] basemap` in bomiljo.toml: kartverket (needs the
    /// internet), local (from the data on hand; nothing leaves the server) or none.
    #[arg(long, env = "BOMILJO_BASEMAP", value_parser = ["kartverket", "local", "none"])]
    pub basemap: Option<String>,
}

pub fn run(ctx: &Context, args: &ServeArgs) -> Result<()> {
    serve(ctx.config.clone(), ctx.store()?, args)
}

/// Serves `store` until interrupted (also used by `demo`).
pub fn serve(mut config: Config, store: Store, args: &ServeArgs) -> Result<()> {
    if let Some(name) = &args.basemap {
        let (tiles, attribution) = &config.project.raster;
        config.project.basemap =
            bomiljo::config::project::Basemap::parse(name, tiles, attribution, config.project.streets.as_ref()).map_err(anyhow::Error::msg)?;
    }
    let state = AppState::new(config, store)?;
    let runtime = tokio::runtime::Runtime::new().context("starting the async runtime")?;
    runtime.block_on(api::serve(state, SocketAddr::new(args.host, args.port)))?;
    Ok(())
}
