//! Imports while serving: an admin sends a file to the running server, which imports it in one
//! transaction on a connection of its own while it goes on answering, then derives the release
//! and indexes afresh. Readers see the data before or after, never between; a refused file
//! changes nothing and says why, row by row.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use crate::common::{Server, bomiljo, token};

fn demo_server(dir: &std::path::Path) -> (Server, String, String) {
    let db = dir.join("demo.duckdb");
    let out = bomiljo(&db, &["demo", "--no-serve", "--out", dir.join("files").to_str().unwrap()]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let (admin, analyst) = (token(&db, "admin"), token(&db, "analyst"));
    (Server::start(&db, 0).expect("server starts"), admin, analyst)
}

/// POSTs a file to the import route; status and JSON answer.
fn send(server: &Server, path: &str, body: &[u8], token: &str) -> (u16, serde_json::Value) {
    let agent: ureq::Agent = ureq::Agent::config_builder().http_status_as_error(false).build().into();
    let mut response =
        agent.post(&format!("{}{path}", server.base())).header("Authorization", &format!("Bearer {token}")).send(body).expect("request succeeds");
    let text = response.body_mut().read_to_string().unwrap();
    (response.status().as_u16(), serde_json::from_str(&text).unwrap_or(serde_json::Value::String(text)))
}

fn police_rows(server: &Server, analyst: &str) -> u64 {
    server.get_json_as("/collections/incidents_police/items?limit=1", analyst)["numberMatched"].as_u64().unwrap()
}

/// Incidents in the fictional city (x 595-599.8 km, y 6641-6644.6 km), ids not in the demo.
fn incidents(rows: usize) -> String {
    let mut csv = String::from("id,date,category,x,y\n");
    for i in 0..rows {
        csv.push_str(&format!(
            "live-{i},2025-03-{:02},disturbance,{:.1},{:.1}\n",
            1 + i % 28,
            595_200.0 + (i * 37 % 4400) as f64,
            6_641_200.0 + (i * 53 % 3200) as f64
        ));
    }
    csv
}

#[test]
fn an_import_lands_while_the_server_answers_a_steady_load_without_errors() {
    let dir = tempfile::tempdir().unwrap();
    let (server, admin, analyst) = demo_server(dir.path());
    let before = police_rows(&server, &analyst);
    let release_before = server.get_json_as("/api/admin/release", &admin)["version"].as_i64().unwrap();

    // Readers: public areas, indicators and heat tiles, as fast as they can.
    let done = Arc::new(AtomicBool::new(false));
    let (ok, failed) = (Arc::new(AtomicUsize::new(0)), Arc::new(AtomicUsize::new(0)));
    let base = server.base().to_string();
    let readers: Vec<_> = (0..4)
        .map(|i| {
            let (done, ok, failed, base) = (Arc::clone(&done), Arc::clone(&ok), Arc::clone(&failed), base.clone());
            std::thread::spawn(move || {
                let agent: ureq::Agent = ureq::Agent::config_builder().http_status_as_error(false).build().into();
                let paths = ["/api/areas", "/api/measurement?year=2024", "/tiles/heat/12/2170/1190.png?year=2024", "/api/measurement?year=2025"];
                let mut n = i;
                while !done.load(Ordering::Relaxed) {
                    let status = agent.get(&format!("{base}{}", paths[n % paths.len()])).call().map(|r| r.status().as_u16());
                    if status.is_ok_and(|s| s == 200) { &ok } else { &failed }.fetch_add(1, Ordering::Relaxed);
                    n += 1;
                }
            })
        })
        .collect();
    std::thread::sleep(std::time::Duration::from_millis(300));
    let answered_before = ok.load(Ordering::Relaxed);
    let (status, answer) = send(&server, "/api/admin/import/incidents_police?filename=politi_mars.csv", incidents(30_000).as_bytes(), &admin);
    let answered_during = ok.load(Ordering::Relaxed) - answered_before;
    std::thread::sleep(std::time::Duration::from_millis(300));
    done.store(true, Ordering::Relaxed);
    readers.into_iter().for_each(|r| r.join().unwrap());
    assert_eq!(status, 200, "{answer}");
    assert_eq!(answer["rows"], 30_000, "{answer}");
    let (ok, failed) = (ok.load(Ordering::Relaxed), failed.load(Ordering::Relaxed));
    assert!(answered_during > 10 && failed == 0, "{answered_during} answers while importing ({ok} in all), {failed} errors");
    // The new rows and a new release are served from the next request on.
    assert_eq!(police_rows(&server, &analyst), before + 30_000);
    assert_eq!(server.get_json_as("/api/admin/release", &admin)["version"].as_i64().unwrap(), release_before + 1);
    assert_eq!(answer["release"].as_i64(), Some(release_before + 1));
}

#[test]
fn a_refused_upload_names_its_rows_and_changes_nothing_and_only_admins_may_send() {
    let dir = tempfile::tempdir().unwrap();
    let (server, admin, analyst) = demo_server(dir.path());
    let before = police_rows(&server, &analyst);
    let bad =
        "id,date,category,x,y\nok-1,2025-01-05,disturbance,596000,6642000\nbad-1,2025-13-40,disturbance,596000,6642000\nbad-2,2025-01-05,disturbance,10,20\n";
    let (status, answer) = send(&server, "/api/admin/import/incidents_police?filename=politi.csv", bad.as_bytes(), &admin);
    assert_eq!(status, 422, "{answer}");
    let report = answer["error"].as_str().unwrap();
    assert!(report.contains("politi.csv:3:") && report.contains("politi.csv:4:") && report.contains("nothing was written"), "{report}");
    assert!(!report.contains("/tmp"), "the report names the file as sent: {report}");
    assert_eq!(police_rows(&server, &analyst), before);
    // A dry run checks and writes nothing.
    let (status, answer) = send(&server, "/api/admin/import/incidents_police?filename=politi.csv&dry_run=true", incidents(10).as_bytes(), &admin);
    assert_eq!((status, answer["dry_run"].as_bool()), (200, Some(true)), "{answer}");
    assert_eq!(police_rows(&server, &analyst), before);
    // Analysts may read everything but may not write.
    let (status, _) = send(&server, "/api/admin/import/incidents_police?filename=politi.csv", incidents(10).as_bytes(), &analyst);
    assert_eq!(status, 403);
    let (status, answer) = send(&server, "/api/admin/import/nosuchlayer?filename=x.csv", b"id\n", &admin);
    assert_eq!(status, 404, "{answer}");
    // Asked for, the valid row is imported and the refused ones are set aside, each named.
    let (status, answer) = send(&server, "/api/admin/import/incidents_police?filename=politi.csv&keep_valid=true", bad.as_bytes(), &admin);
    assert_eq!(status, 200, "{answer}");
    assert_eq!((answer["rows"].as_u64(), answer["set_aside"]["total"].as_u64()), (Some(1), Some(2)), "{answer}");
    let lines: Vec<u64> = answer["set_aside"]["rows"].as_array().unwrap().iter().map(|r| r["line"].as_u64().unwrap()).collect();
    assert_eq!(lines, [3, 4], "{answer}");
    assert_eq!(answer["set_aside"]["rows"][0]["file"], "politi.csv");
    assert_eq!(police_rows(&server, &analyst), before + 1);
}

#[test]
fn the_cli_sends_a_file_to_the_server_that_holds_the_database_or_says_how() {
    let dir = tempfile::tempdir().unwrap();
    let (server, admin, analyst) = demo_server(dir.path());
    let before = police_rows(&server, &analyst);
    let file = dir.path().join("politi_april.csv");
    std::fs::write(&file, incidents(500)).unwrap();
    let import_with = |file: &std::path::Path, token: Option<&str>, extra: &[&str]| {
        let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_bomiljo"));
        command
            .args(["--config", env!("CARGO_MANIFEST_DIR"), "--db"])
            .arg(dir.path().join("demo.duckdb"))
            .args(["import", "incidents_police"])
            .arg(file)
            .args(extra);
        command.env("BOMILJO_LOG", "warn").env_remove("BOMILJO_TOKEN");
        if let Some(t) = token {
            command.env("BOMILJO_TOKEN", t);
        }
        let out = command.output().unwrap();
        (out.status.success(), String::from_utf8_lossy(&out.stdout).into_owned(), String::from_utf8_lossy(&out.stderr).into_owned())
    };
    let import = |token: Option<&str>| import_with(&file, token, &[]);
    let (ok, _, err) = import(None);
    assert!(
        !ok && err.contains(&format!("held by the bomiljo server at {}/", server.base()))
            && err.contains("curl")
            && err.contains("api/admin/import/incidents_police?filename=politi_april.csv"),
        "{err}"
    );
    assert_eq!(police_rows(&server, &analyst), before);
    let (ok, out, err) = import(Some(&admin));
    assert!(ok, "{err}");
    assert!(out.contains("sent to the server") && out.contains("500 rows"), "{out}");
    assert_eq!(police_rows(&server, &analyst), before + 500);

    // The import over HTTP takes the CLI's reading options: a semicolon file whose columns are
    // Dato and Øst/Nord, mapped with --field (non-ASCII names travel encoded).
    let norsk = dir.path().join("politi_mai.csv");
    let rows = incidents(40).replace("live-", "mai-").replace("2025-03-", "2025-05-").replace(',', ";");
    std::fs::write(&norsk, rows.replacen("id;date;category;x;y", "id;Dato;category;Øst;Nord", 1)).unwrap();
    let mapped = ["--field", "date=Dato", "--field", "x=Øst", "--field", "y=Nord", "--delimiter", ";"];
    let (ok, out, err) = import_with(&norsk, Some(&admin), &mapped);
    assert!(ok && out.contains("40 rows"), "{out}{err}");
    assert_eq!(police_rows(&server, &analyst), before + 540);
}

/// An upload that stops halfway holds no lock: another import lands meanwhile (before, the
/// stalled upload held the import lock and every other import got 409 for as long as it hung).
#[test]
fn a_stalled_upload_does_not_hold_up_other_imports() {
    use std::io::Write;
    let dir = tempfile::tempdir().unwrap();
    let (server, admin, analyst) = demo_server(dir.path());
    let before = police_rows(&server, &analyst);
    let address = server.base().trim_start_matches("http://").to_string();
    let mut stalled = std::net::TcpStream::connect(&address).unwrap();
    write!(
        stalled,
        "POST /api/admin/import/incidents_police?filename=stalled.csv HTTP/1.1\r\nHost: {address}\r\nAuthorization: Bearer {admin}\r\nContent-Length: 100000\r\n\r\nid,date,category,x,y\n"
    )
    .unwrap();
    stalled.flush().unwrap();
    std::thread::sleep(std::time::Duration::from_millis(300));
    let (status, answer) = send(&server, "/api/admin/import/incidents_police?filename=politi.csv", incidents(25).as_bytes(), &admin);
    assert_eq!(status, 200, "{answer}");
    assert_eq!(police_rows(&server, &analyst), before + 25);
    drop(stalled);
}
