//! The integration tests: one crate, so the library and DuckDB are linked once. Each module is a
//! capability (import, measurement, siting, the release, privacy attacks, security, …) and runs the
//! real binary, the real server or the in-process router against real files and databases.
//! The heavy proofs (`crash`, `load`, the largest hostile files, the connection floods) are
//! `#[ignore]`d here and run by `make proof`, which keeps the cold `make test` under ten minutes.

#![allow(clippy::unwrap_used, reason = "a test that cannot unwrap should fail loudly")]

mod common;

mod addresses;
mod architecture;
mod attacks;
mod cli_serve;
mod crash;
mod dialogue;
mod export;
mod fuzz_import;
mod gis_api;
mod hostile;
mod import_files;
mod import_formats;
mod import_oslo;
mod import_rejects;
mod layers;
mod load;
mod measurement;
mod need;
mod network;
mod operations;
mod privacy;
mod release;
mod security;
mod serve_import;
mod siting;
mod snapshot;
