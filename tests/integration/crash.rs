//! Crash safety: an import killed with SIGKILL at a random moment, 20 times. After each kill the
//! database opens cleanly, passes `bomiljo check`, and holds either the whole batch or none of it.

use std::fmt::Write as _;
use std::process::{Command, Stdio};
use std::time::Instant;

use crate::common::{bomiljo, query, two_squares_db};

const ROWS: usize = 60_000;

#[test]
#[ignore = "heavy proof: run by `make proof` (and CI)"]
fn sigkill_during_imports_leaves_all_or_nothing_twenty_times() {
    let dir = tempfile::tempdir().unwrap();
    let db = two_squares_db(dir.path());
    let mut csv = String::with_capacity(ROWS * 48);
    csv.push_str("id,date,category,x,y\n");
    for i in 0..ROWS {
        writeln!(csv, "k{i},2024-{:02}-{:02},disturbance,{},{}", 1 + i % 12, 1 + i % 28, 597_010 + (i % 1980), 6_642_010 + (i / 1980 % 980)).unwrap();
    }
    let file = dir.path().join("big.csv");
    std::fs::write(&file, csv).unwrap();

    // How long a whole import takes here, so the kills spread over its whole span.
    let started = Instant::now();
    let out = bomiljo(&db, &["import", "incidents_police", file.to_str().unwrap()]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let full = started.elapsed();
    assert_eq!(query::<i64>(&db, "SELECT count(*) FROM incidents"), ROWS as i64);
    assert!(bomiljo(&db, &["check"]).status.success());
    // Each round starts from a copy of a database with the areas but no incidents.
    let template_dir = dir.path().join("template");
    std::fs::create_dir_all(&template_dir).unwrap();
    let template = two_squares_db(&template_dir);
    let fresh = dir.path().join("round.duckdb");

    // A small deterministic generator for the kill moments (no clock-seeded randomness).
    let mut seed: u64 = 0x5eed;
    let mut outcomes = (0, 0);
    for round in 0..20 {
        seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        let fraction = (seed >> 33) as f64 / (1u64 << 31) as f64;
        let delay = full.mul_f64(fraction * 1.1);
        let _ = std::fs::remove_file(fresh.with_extension("duckdb.wal"));
        std::fs::copy(&template, &fresh).unwrap();
        let mut child = Command::new(env!("CARGO_BIN_EXE_bomiljo"))
            .args(["--config", env!("CARGO_MANIFEST_DIR"), "--db"])
            .arg(&fresh)
            .args(["import", "incidents_police"])
            .arg(&file)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(delay);
        let _ = Command::new("kill").args(["-KILL", &child.id().to_string()]).status();
        let _ = child.wait();
        let n: i64 = query(&fresh, "SELECT count(*) FROM incidents");
        assert!(n == 0 || n == ROWS as i64, "round {round} (killed after {delay:?}): {n} rows, neither none nor all");
        let check = bomiljo(&fresh, &["check"]);
        assert!(check.status.success(), "round {round}: {}", String::from_utf8_lossy(&check.stdout));
        if n == 0 {
            outcomes.0 += 1
        } else {
            outcomes.1 += 1
        }
        eprintln!("round {round}: killed after {:?} of {:?}: {n} rows", delay, full);
    }
    eprintln!("crash test: {} rounds left nothing, {} rounds the whole batch", outcomes.0, outcomes.1);
    assert!(outcomes.0 > 0, "some kills must land before the commit (otherwise the test proves nothing)");
}
