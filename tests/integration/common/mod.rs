//! Helpers shared by the integration tests: run the real binary, find fixtures and the shared
//! Oslo data, and read back what a database holds.
#![allow(dead_code, reason = "each test file uses a different subset")]

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};

use bomiljo::store::{OpenMode, Store};

pub fn fixture(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures").join(rel)
}

/// A file of the real Oslo data in ../shared/data/oslo (never copied into the project).
pub fn oslo(file: &str) -> PathBuf {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/data/oslo").join(file);
    assert!(path.is_file(), "{} is missing: the tests read Oslo's real data from ../shared", path.display());
    path
}

/// Runs `bomiljo --db DB args...` with the project's configuration.
pub fn bomiljo(db: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_bomiljo"))
        .arg("--db")
        .arg(db)
        .arg("--config")
        .arg(env!("CARGO_MANIFEST_DIR"))
        .args(args)
        .env("BOMILJO_LOG", "warn")
        .output()
        .expect("the bomiljo binary runs")
}

/// Runs an import and asserts it succeeded.
pub fn import_ok(db: &Path, layer: &str, file: &Path, extra: &[&str]) -> String {
    let file = file.to_string_lossy();
    let mut args = vec!["import", layer, &file];
    args.extend_from_slice(extra);
    let out = bomiljo(db, &args);
    assert!(out.status.success(), "import of {file} into {layer} failed:\n{}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Everything an import could change: row counts, a checksum of incident positions, the import
/// log and the list of tables (a leftover staging table would show here).
pub fn fingerprint(db: &Path) -> String {
    let store = Store::open(db, OpenMode::MustExist).expect("database opens");
    store
        .conn()
        .query_row(
            "SELECT concat_ws(' | ',
                (SELECT count(*) FROM areas), (SELECT count(*) FROM features),
                (SELECT count(*) FROM housing), (SELECT count(*) FROM incidents),
                (SELECT coalesce(sum(x + y), 0) FROM incidents), (SELECT count(*) FROM import_log),
                (SELECT string_agg(table_name, ',' ORDER BY table_name) FROM duckdb_tables()))",
            [],
            |r| r.get(0),
        )
        .expect("fingerprint query")
}

/// One query returning a single value.
pub fn query<T: duckdb::types::FromSql>(db: &Path, sql: &str) -> T {
    let store = Store::open(db, OpenMode::MustExist).expect("database opens");
    store.conn().query_row(sql, [], |r| r.get(0)).unwrap_or_else(|e| panic!("{sql}: {e}"))
}

/// A copy of the project's configuration in `dir/config` (layers, rules, texts, bomiljo.toml; web
/// linked), for tests that edit it; returns its path.
pub fn copy_config(dir: &Path) -> PathBuf {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let cfg = dir.join("config");
    for sub in ["layers", "rules", "texts"] {
        std::fs::create_dir_all(cfg.join(sub)).unwrap();
        for entry in std::fs::read_dir(root.join(sub)).unwrap() {
            let entry = entry.unwrap();
            std::fs::copy(entry.path(), cfg.join(sub).join(entry.file_name())).unwrap();
        }
    }
    std::os::unix::fs::symlink(root.join("web"), cfg.join("web")).unwrap();
    std::fs::copy(root.join("bomiljo.toml"), cfg.join("bomiljo.toml")).unwrap();
    cfg
}

/// Writes a GeoJSON FeatureCollection in EPSG:25832 of axis-aligned rectangles, each given as its
/// properties (a JSON object) and `[x0, y0, x1, y1]`; returns its path.
pub fn rectangles(dir: &Path, name: &str, features: &[(&str, [i64; 4])]) -> PathBuf {
    let features: Vec<String> = features
        .iter()
        .map(|(properties, [x0, y0, x1, y1])| {
            format!(r#"{{"type": "Feature", "properties": {properties}, "geometry": {{"type": "Polygon", "coordinates": [[[{x0}, {y0}], [{x1}, {y0}], [{x1}, {y1}], [{x0}, {y1}], [{x0}, {y0}]]]}}}}"#)
        })
        .collect();
    let path = dir.join(name);
    std::fs::write(
        &path,
        format!(
            r#"{{"type": "FeatureCollection", "crs": {{"type": "name", "properties": {{"name": "EPSG:25832"}}}}, "features": [{}]}}"#,
            features.join(",\n")
        ),
    )
    .unwrap();
    path
}

/// A fresh database holding the two hand-built 1 km squares (delbydeler 0101 and 0202).
pub fn two_squares_db(dir: &Path) -> PathBuf {
    let db = dir.join("t.duckdb");
    import_ok(&db, "delbydeler", &fixture("areas/two_squares_25832.geojson"), &[]);
    db
}

/// A running `bomiljo serve`, stopped with SIGTERM on drop.
pub struct Server {
    child: Child,
    base: String,
    /// What the server wrote to standard error after it started listening.
    log: std::sync::Arc<std::sync::Mutex<Vec<String>>>,
}

impl Server {
    pub fn base(&self) -> &str {
        &self.base
    }

    pub fn start(db: &Path, port: u16) -> Result<Server, String> {
        Server::spawn(db, port, Path::new(env!("CARGO_MANIFEST_DIR")))
    }

    /// A server reading another configuration folder.
    pub fn start_with_config(db: &Path, config: &Path) -> Result<Server, String> {
        Server::spawn(db, 0, config)
    }

    /// A server reading another configuration folder, allowed `open_files` file descriptors.
    pub fn start_with_open_files(db: &Path, config: &Path, open_files: u32) -> Result<Server, String> {
        Server::launch(db, 0, config, Some(open_files))
    }

    /// The lines the server has logged since it started listening.
    pub fn log(&self) -> Vec<String> {
        self.log.lock().unwrap().clone()
    }

    fn spawn(db: &Path, port: u16, config: &Path) -> Result<Server, String> {
        Server::launch(db, port, config, None)
    }

    #[allow(clippy::zombie_processes, reason = "the returned Server owns the child and waits for it on drop")]
    fn launch(db: &Path, port: u16, config: &Path, open_files: Option<u32>) -> Result<Server, String> {
        let mut command = match open_files {
            Some(n) => {
                let mut sh = Command::new("sh");
                sh.arg("-c").arg(format!("ulimit -n {n}; exec \"$0\" \"$@\"")).arg(env!("CARGO_BIN_EXE_bomiljo"));
                sh
            }
            None => Command::new(env!("CARGO_BIN_EXE_bomiljo")),
        };
        let mut child = command
            .arg("--config")
            .arg(config)
            .arg("--db")
            .arg(db)
            .args(["serve", "--port", &port.to_string()])
            .env("BOMILJO_LOG", "warn")
            .stderr(Stdio::piped())
            .spawn()
            .expect("bomiljo starts");
        let mut stderr = BufReader::new(child.stderr.take().unwrap());
        let mut seen = String::new();
        loop {
            let mut line = String::new();
            if stderr.read_line(&mut line).unwrap_or(0) == 0 {
                let _ = child.wait();
                return Err(seen);
            }
            if let Some(url) = line.trim().strip_prefix("bomiljo: listening on ") {
                let base = url.trim_end_matches('/').to_string();
                let log = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
                let lines = log.clone();
                std::thread::spawn(move || stderr.lines().map_while(Result::ok).for_each(|line| lines.lock().unwrap().push(line)));
                return Ok(Server { child, base, log });
            }
            seen.push_str(&line);
        }
    }

    pub fn get(&self, path: &str) -> (u16, String) {
        self.get_with(path, None)
    }

    /// GET with an optional bearer token; returns status and body text.
    pub fn get_with(&self, path: &str, token: Option<&str>) -> (u16, String) {
        let (status, bytes) = self.get_bytes_with(path, token);
        (status, String::from_utf8_lossy(&bytes).into_owned())
    }

    /// GET returning raw bytes (tiles, PDFs).
    pub fn get_bytes(&self, path: &str) -> (u16, Vec<u8>) {
        self.get_bytes_with(path, None)
    }

    pub fn get_bytes_with(&self, path: &str, token: Option<&str>) -> (u16, Vec<u8>) {
        let agent: ureq::Agent = ureq::Agent::config_builder().http_status_as_error(false).build().into();
        let mut request = agent.get(&format!("{}{path}", self.base));
        if let Some(t) = token {
            request = request.header("Authorization", &format!("Bearer {t}"));
        }
        let mut response = request.call().expect("request succeeds");
        (response.status().as_u16(), response.body_mut().read_to_vec().expect("body"))
    }

    /// GET with an optional bearer token; returns status and the Content-Type header.
    pub fn content_type(&self, path: &str, token: Option<&str>) -> (u16, String) {
        let agent: ureq::Agent = ureq::Agent::config_builder().http_status_as_error(false).build().into();
        let mut request = agent.get(&format!("{}{path}", self.base));
        if let Some(t) = token {
            request = request.header("Authorization", &format!("Bearer {t}"));
        }
        let response = request.call().expect("request succeeds");
        let content_type = response.headers().get("content-type").and_then(|v| v.to_str().ok()).unwrap_or_default().to_string();
        (response.status().as_u16(), content_type)
    }

    /// POST a JSON body; returns status and parsed body.
    pub fn post_json(&self, path: &str, body: &serde_json::Value, token: Option<&str>) -> (u16, serde_json::Value) {
        let agent: ureq::Agent = ureq::Agent::config_builder().http_status_as_error(false).build().into();
        let mut request = agent.post(&format!("{}{path}", self.base));
        if let Some(t) = token {
            request = request.header("Authorization", &format!("Bearer {t}"));
        }
        let mut response = request.send_json(body).expect("request succeeds");
        let text = response.body_mut().read_to_string().expect("body is text");
        (response.status().as_u16(), serde_json::from_str(&text).unwrap_or(serde_json::Value::String(text)))
    }

    pub fn get_json_as(&self, path: &str, token: &str) -> serde_json::Value {
        let (status, body) = self.get_with(path, Some(token));
        assert_eq!(status, 200, "{path}: {body}");
        serde_json::from_str(&body).expect("JSON body")
    }

    pub fn get_json(&self, path: &str) -> serde_json::Value {
        let (status, body) = self.get(path);
        assert_eq!(status, 200, "{path}: {body}");
        serde_json::from_str(&body).expect("JSON body")
    }

    /// Sends SIGTERM and returns whether the server exited cleanly.
    pub fn stop(mut self) -> bool {
        let pid = self.child.id().to_string();
        Command::new("kill").args(["-TERM", &pid]).status().expect("kill runs");
        self.child.wait().expect("server exits").success()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Creates a token for a role and returns its secret.
pub fn token(db: &Path, role: &str) -> String {
    let out = bomiljo(db, &["token", "create", "--role", role, "--name", &format!("test-{role}")]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

/// Words of a PDF whose boxes overlap another word's on the same page (from `pdftotext
/// -bbox`), as "page N: 'a' and 'b'"; empty when no text collides.
pub fn overlapping_words(pdf: &Path) -> Vec<String> {
    let out = Command::new("pdftotext").arg("-bbox").arg(pdf).arg("-").output().expect("pdftotext runs (poppler-utils)");
    assert!(out.status.success());
    let xhtml = String::from_utf8_lossy(&out.stdout);
    let attribute = |tag: &str, name: &str| -> f64 {
        let start = tag.find(&format!("{name}=\"")).expect("attribute") + name.len() + 2;
        tag[start..].split('"').next().unwrap().parse().unwrap()
    };
    let mut found = Vec::new();
    for (page, body) in xhtml.split("<page ").skip(1).enumerate() {
        let words: Vec<([f64; 4], String)> = body
            .split("<word ")
            .skip(1)
            .map(|w| {
                let (tag, rest) = w.split_once('>').unwrap();
                let text = rest.split("</word>").next().unwrap().to_string();
                ([attribute(tag, "xMin"), attribute(tag, "yMin"), attribute(tag, "xMax"), attribute(tag, "yMax")], text)
            })
            .collect();
        for (i, (a, ta)) in words.iter().enumerate() {
            for (b, tb) in &words[i + 1..] {
                // Half a point of slack: glyph boxes of neighbouring words may touch.
                let overlap_x = a[2].min(b[2]) - a[0].max(b[0]);
                let overlap_y = a[3].min(b[3]) - a[1].max(b[1]);
                if overlap_x > 0.5 && overlap_y > 0.5 {
                    found.push(format!("page {}: '{ta}' and '{tb}'", page + 1));
                }
            }
        }
    }
    found
}

/// Renders every page of a PDF to PNG (pdftoppm, 50 dpi) into `dir`; returns the files.
pub fn render_pages(pdf: &Path, dir: &Path) -> Vec<PathBuf> {
    let prefix = dir.join(pdf.file_stem().unwrap());
    let out = Command::new("pdftoppm").args(["-png", "-r", "50"]).arg(pdf).arg(&prefix).output().expect("pdftoppm runs (poppler-utils)");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let stem = pdf.file_stem().unwrap().to_string_lossy().to_string();
    let mut pages: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "png") && p.file_name().unwrap().to_string_lossy().starts_with(&stem))
        .collect();
    pages.sort();
    pages
}

/// A public count: an estimate from the release (never an exact count) with its standard
/// deviation, the whole numbers of its 95 % interval and the text shown.
pub fn assert_public_figure(count: &serde_json::Value) {
    let (estimate, sd) = (count["estimate"].as_f64(), count["sd"].as_f64());
    let (low, high) = (count["low"].as_u64(), count["high"].as_u64());
    assert!(estimate.is_some() && sd.is_some_and(|sd| sd > 0.0) && low <= high && count["text"].is_string(), "public count {count}");
}

/// A copy of the project's configuration with some `[limits]` values changed.
pub fn config_with(dir: &Path, limits: &[(&str, u64)]) -> std::path::PathBuf {
    let cfg = copy_config(dir);
    let toml: String = std::fs::read_to_string(cfg.join("bomiljo.toml"))
        .unwrap()
        .lines()
        .map(|line| match limits.iter().find(|(key, _)| line.starts_with(&format!("{key} = "))) {
            Some((key, value)) => format!("{key} = {value}\n"),
            None => format!("{line}\n"),
        })
        .collect();
    std::fs::write(cfg.join("bomiljo.toml"), toml).unwrap();
    cfg
}
