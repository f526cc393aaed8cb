//! Operations: backup while the server runs (an import under way included), restore into a new
//! file, and the restored database measured byte for byte as the original.

use crate::common::{Server, bomiljo, query, token};

/// Incidents in the fictional city (x 595-599.8 km, y 6641-6644.6 km) in 2025, ids not in the demo.
fn incidents(rows: usize) -> String {
    let mut csv = String::from("id,date,category,x,y\n");
    for i in 0..rows {
        let (x, y) = (595_200.0 + (i * 37 % 4400) as f64, 6_641_200.0 + (i * 53 % 3200) as f64);
        csv.push_str(&format!("ops-{i},2025-03-{:02},disturbance,{x:.1},{y:.1}\n", 1 + i % 28));
    }
    csv
}

fn backup_by_api(server: &Server, out: &std::path::Path, admin: &str) -> serde_json::Value {
    let (status, answer) = server.post_json("/api/admin/backup", &serde_json::json!({ "out": out }), Some(admin));
    assert_eq!(status, 200, "{answer}");
    answer
}

/// `measure` of 2025 per delbydel as CSV, exact counts (the analyst's view).
fn measured(db: &std::path::Path) -> String {
    let out = bomiljo(db, &["measure", "--year", "2025", "--format", "csv"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap()
}

fn restored(dir: &std::path::Path, backup: &std::path::Path, name: &str) -> std::path::PathBuf {
    let db = dir.join(name);
    let out = bomiljo(&db, &["restore", "--from", backup.to_str().unwrap()]);
    assert!(out.status.success(), "restore of {}: {}{}", backup.display(), String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    db
}

#[test]
fn a_backup_taken_during_an_import_restores_to_before_or_after_it_never_between() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("demo.duckdb");
    let out = bomiljo(&db, &["demo", "--no-serve", "--out", dir.path().join("files").to_str().unwrap()]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let admin = token(&db, "admin");
    let server = Server::start(&db, 0).expect("server starts");
    // The server writes backups only into its backup folder (beside the database by default).
    let backups = dir.path().join("backups");
    let (status, answer) = server.post_json("/api/admin/backup", &serde_json::json!({ "out": dir.path().join("elsewhere") }), Some(&admin));
    assert!(status == 400 && answer["error"].as_str().unwrap().contains("backups"), "{answer}");
    let (status, _) = server.post_json("/api/admin/backup", &serde_json::json!({ "out": "../escape" }), Some(&admin));
    assert_eq!(status, 400);
    let before = backups.join("before");
    backup_by_api(&server, &before, &admin);

    // An import of 300,000 rows takes seconds; the CLI asks the server for a backup meanwhile.
    let body = incidents(300_000).into_bytes();
    let (base, admin_for_import) = (server.base().to_string(), admin.clone());
    let import = std::thread::spawn(move || {
        let agent: ureq::Agent = ureq::Agent::config_builder().http_status_as_error(false).build().into();
        let mut response = agent
            .post(&format!("{base}/api/admin/import/incidents_police?filename=ops.csv&mode=append"))
            .header("Authorization", &format!("Bearer {admin_for_import}"))
            .send(&body[..])
            .unwrap();
        (response.status().as_u16(), response.body_mut().read_to_string().unwrap())
    });
    std::thread::sleep(std::time::Duration::from_millis(400));
    let during = backups.join("during");
    let cli = std::process::Command::new(env!("CARGO_BIN_EXE_bomiljo"))
        .args(["--db", db.to_str().unwrap(), "backup", "--out", during.to_str().unwrap()])
        .env("BOMILJO_TOKEN", &admin)
        .output()
        .unwrap();
    assert!(cli.status.success(), "{}", String::from_utf8_lossy(&cli.stderr));
    assert!(String::from_utf8_lossy(&cli.stdout).contains("the server at"), "the CLI asked the server: {}", String::from_utf8_lossy(&cli.stdout));
    let (status, answer) = import.join().unwrap();
    assert_eq!(status, 200, "{answer}");
    let after = backups.join("after");
    backup_by_api(&server, std::path::Path::new("after"), &admin);
    // A backup never overwrites another.
    let (status, _) = server.post_json("/api/admin/backup", &serde_json::json!({ "out": after }), Some(&admin));
    assert_eq!(status, 400);
    assert!(server.stop());

    // Only the owner may read a backup (it holds everything).
    use std::os::unix::fs::PermissionsExt;
    assert_eq!(std::fs::metadata(&after).unwrap().permissions().mode() & 0o777, 0o700);
    let [r_before, r_during, r_after] =
        [("before", &before), ("during", &during), ("after", &after)].map(|(n, b)| restored(dir.path(), b, &format!("{n}.duckdb")));
    let original = measured(&db);
    assert_eq!(measured(&r_after), original, "the restored database measures byte for byte as the original");
    assert_ne!(measured(&r_before), original, "the import changed the 2025 figures (else this test proves nothing)");
    let middle = measured(&r_during);
    assert!(middle == original || middle == measured(&r_before), "a backup during the import holds all of it or none");
    let rows = |db: &std::path::Path| query::<i64>(db, "SELECT count(*) FROM incidents WHERE id LIKE 'ops-%'");
    assert_eq!((rows(&r_before), rows(&r_after)), (0, 300_000));
    assert!([0, 300_000].contains(&rows(&r_during)));

    // Ids given out before the backup are not given out again after the restore.
    let audits_before: i64 = query(&r_after, "SELECT max(id) FROM audit");
    token(&r_after, "analyst");
    let (max, distinct, all): (i64, i64, i64) =
        (query(&r_after, "SELECT max(id) FROM audit"), query(&r_after, "SELECT count(DISTINCT id) FROM audit"), query(&r_after, "SELECT count(*) FROM audit"));
    assert!(max > audits_before && distinct == all, "audit ids continue after a restore: {max} {distinct} {all}");
}

#[test]
fn a_restore_refuses_an_existing_file_and_a_folder_that_is_no_backup_and_leaves_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let db = crate::common::two_squares_db(dir.path());
    let backup = dir.path().join("b");
    let out = bomiljo(&db, &["backup", "--out", backup.to_str().unwrap()]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let out = bomiljo(&db, &["restore", "--from", backup.to_str().unwrap()]);
    assert!(
        !out.status.success() && String::from_utf8_lossy(&out.stderr).contains("the file (or its .wal) exists"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let target = dir.path().join("new.duckdb");
    let out = bomiljo(&target, &["restore", "--from", dir.path().to_str().unwrap()]);
    assert!(!out.status.success() && String::from_utf8_lossy(&out.stderr).contains("made by `bomiljo backup`"), "{}", String::from_utf8_lossy(&out.stderr));
    // A backup whose files do not hold what its manifest counts is refused, and no file is left.
    let manifest = backup.join("bomiljo-backup.json");
    let original = std::fs::read_to_string(&manifest).unwrap();
    std::fs::write(&manifest, original.replacen("\"areas\": ", "\"areas\": 1000", 1)).unwrap();
    let out = bomiljo(&target, &["restore", "--from", backup.to_str().unwrap()]);
    assert!(
        !out.status.success() && String::from_utf8_lossy(&out.stderr).contains("differ from the backup's manifest"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(!target.exists() && !dir.path().join("new.duckdb.restoring").exists());
    // A restore runs the backup's SQL: SQL the backup did not write is refused unrun.
    std::fs::write(&manifest, &original).unwrap();
    let schema = backup.join("schema.sql");
    let sql = std::fs::read_to_string(&schema).unwrap();
    let planted = dir.path().join("planted.csv");
    std::fs::write(&schema, format!("{sql}\nCOPY (SELECT 1) TO '{}';\n", planted.display())).unwrap();
    let out = bomiljo(&target, &["restore", "--from", backup.to_str().unwrap()]);
    let said = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success() && said.contains("differ from those the backup wrote"), "{said}");
    assert!(!planted.exists() && !target.exists());
    // A manifest too large to be bomiljo's is refused before it is read.
    std::fs::write(&manifest, vec![b' '; (1 << 20) + 1]).unwrap();
    let out = bomiljo(&target, &["restore", "--from", backup.to_str().unwrap()]);
    let said = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success() && said.contains("not a manifest bomiljo wrote"), "{said}");
}

/// A free port on loopback (bound and released).
fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// The container runs `bomiljo serve` configured by its environment alone (Dockerfile `ENV`),
/// logs JSON lines, and answers its health check (`bomiljo health`): tested without an image,
/// since this machine builds none.
#[test]
fn the_server_runs_as_the_container_runs_it_configured_by_its_environment() {
    let dockerfile = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/Dockerfile")).unwrap();
    let variables: Vec<&str> =
        dockerfile.lines().filter_map(|l| l.trim().split_once('=')).map(|(k, _)| k.trim()).filter(|k| k.starts_with("BOMILJO_")).collect();
    assert!(variables.len() >= 5, "{variables:?}");
    let cli = [include_str!("../../src/cli/mod.rs"), include_str!("../../src/cli/serve.rs"), include_str!("../../src/main.rs")].concat();
    for name in &variables {
        assert!(cli.contains(&format!("\"{name}\"")), "the Dockerfile sets {name}, which bomiljo does not read");
    }
    assert!(dockerfile.contains("HEALTHCHECK") && dockerfile.contains("CMD [\"bomiljo\", \"health\"]") && dockerfile.contains("USER bomiljo"));

    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("data.duckdb");
    let out = bomiljo(&db, &["demo", "--no-serve", "--out", dir.path().join("files").to_str().unwrap()]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let port = free_port().to_string();
    let env = [
        ("BOMILJO_CONFIG", env!("CARGO_MANIFEST_DIR")),
        ("BOMILJO_DB", db.to_str().unwrap()),
        ("BOMILJO_HOST", "127.0.0.1"),
        ("BOMILJO_PORT", port.as_str()),
        ("BOMILJO_LOG_FORMAT", "json"),
    ];
    let mut server = std::process::Command::new(env!("CARGO_BIN_EXE_bomiljo"))
        .arg("serve")
        .envs(env)
        .env("BOMILJO_LOG", "info")
        .current_dir(dir.path())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let health = |extra: &[&str]| std::process::Command::new(env!("CARGO_BIN_EXE_bomiljo")).arg("health").args(extra).envs(env).output().unwrap();
    let ready = (0..150).any(|_| {
        std::thread::sleep(std::time::Duration::from_millis(100));
        health(&[]).status.success()
    });
    let live = health(&["--live"]);
    server.kill().unwrap();
    let output = server.wait_with_output().unwrap();
    let log = String::from_utf8_lossy(&output.stderr);
    assert!(ready, "the health check never passed: {log}");
    assert!(String::from_utf8_lossy(&live.stdout).contains("\"alive\""));
    let json_lines: Vec<serde_json::Value> = log.lines().filter_map(|l| serde_json::from_str(l).ok()).collect();
    assert!(json_lines.iter().any(|l| l["level"] == "INFO" && l["message"].is_string()), "JSON log lines: {log}");
    // Not ready is an error the health check reports (nothing listens on this port).
    let nobody = health(&["--url", &format!("http://127.0.0.1:{}", free_port())]);
    assert!(!nobody.status.success());
}
