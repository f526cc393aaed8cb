//! The `bomiljo` binary: parse the command line, run it, turn the outcome into an exit code.

mod cli;

use clap::Parser;

fn main() -> std::process::ExitCode {
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_env_filter(tracing_subscriber::EnvFilter::try_from_env("BOMILJO_LOG").unwrap_or_else(|_| "bomiljo=info,warn".into()))
        .init();
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
