//! The `bomiljo` binary: parse the command line, run it, turn the outcome into an exit code.

mod cli;

use clap::Parser;

/// Imports hand millions of small allocations from the reading thread to the writing one;
/// glibc's allocator spent more than a second of system time returning them (1M rows).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    let filter = tracing_subscriber::EnvFilter::try_from_env("BOMILJO_LOG").unwrap_or_else(|_| "bomiljo=info,warn".into());
    let logs = tracing_subscriber::fmt().with_writer(std::io::stderr).with_env_filter(filter);
    // One JSON object per line for a log collector (CloudWatch, Loki): BOMILJO_LOG_FORMAT=json.
    if std::env::var("BOMILJO_LOG_FORMAT").is_ok_and(|f| f == "json") {
        logs.json().flatten_event(true).init();
    } else {
        logs.init();
    }
    match cli::run(cli::Cli::parse()) {
        Ok(cli::Outcome::Success) => std::process::ExitCode::SUCCESS,
        // An import rejected for bad rows: the rows have been listed on stderr.
        Ok(cli::Outcome::Rejected) => std::process::ExitCode::from(2),
        Err(e) => {
            eprintln!("error: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}
