//! `bomiljo health [--live] [--url URL]`: asks a running server whether it is ready (or alive),
//! for a container's health check without curl in the image.

use anyhow::{Context as _, Result};
use clap::Args;

#[derive(Args)]
pub struct HealthArgs {
    /// Only whether the process answers (the liveness probe), not whether it is ready.
    #[arg(long)]
    live: bool,
    /// The server's base address (default: this machine on BOMILJO_PORT, else 8080).
    #[arg(long)]
    url: Option<String>,
}

pub fn run(args: &HealthArgs) -> Result<()> {
    let base = match &args.url {
        Some(url) => url.trim_end_matches('/').to_string(),
        None => format!("http://127.0.0.1:{}", std::env::var("BOMILJO_PORT").unwrap_or_else(|_| "8080".into())),
    };
    let url = format!("{base}/api/health/{}", if args.live { "live" } else { "ready" });
    let agent: ureq::Agent = ureq::Agent::config_builder().http_status_as_error(false).timeout_global(Some(std::time::Duration::from_secs(5))).build().into();
    let mut response = agent.get(&url).call().with_context(|| format!("asking {url}"))?;
    let status = response.status().as_u16();
    let body = response.body_mut().read_to_string().unwrap_or_default();
    anyhow::ensure!(status == 200, "{url} answered {status}: {body}");
    println!("{body}");
    Ok(())
}
