//! The measurement end to end, on hand-built data whose answers are known: two 1 km squares
//! (0101 with 2,000 residents, 0202 with 500), police incidents 0101: 20 in 2023 and 30 in 2024;
//! 0202: 3 in 2024.

use crate::common;

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use crate::common::{Server, bomiljo, import_ok, rectangles, two_squares_db};

fn measured_db(dir: &Path) -> PathBuf {
    let db = two_squares_db(dir);
    let population = dir.join("population.csv");
    std::fs::write(&population, "id,pop_tot,x,y\nc1,2000,597500,6642500\nc2,500,598500,6642500\n").unwrap();
    import_ok(&db, "population", &population, &["--field", "population=pop_tot"]);
    let mut csv = String::from("id,date,category,x,y\n");
    let mut n = 0;
    let mut add = |count: usize, year: i32, x0: f64| {
        for i in 0..count {
            n += 1;
            let (x, y) = (x0 + (i % 5) as f64 * 100.0, 6_642_150.0 + (i / 5 % 5) as f64 * 100.0);
            writeln!(csv, "i{n},{year}-0{}-15,drugs,{x},{y}", 1 + i % 9).unwrap();
        }
    };
    add(20, 2023, 597_150.0);
    add(30, 2024, 597_150.0);
    add(3, 2024, 598_450.0);
    let path = dir.join("police.csv");
    std::fs::write(&path, csv).unwrap();
    import_ok(&db, "incidents_police", &path, &[]);
    db
}

/// Two-sided exact binomial p-value, computed here independently of the crate's statrs code.
fn binomial_two_sided(k: u64, n: u64) -> f64 {
    let ln_choose = |n: u64, k: u64| (1..=k).map(|i| ((n - k + i) as f64).ln() - (i as f64).ln()).sum::<f64>();
    let pmf = |i: u64| (ln_choose(n, i) - n as f64 * 2f64.ln()).exp();
    let observed = pmf(k);
    (0..=n).map(pmf).filter(|p| *p <= observed * (1.0 + 1e-7)).sum::<f64>().min(1.0)
}

fn row<'a>(rows: &'a serde_json::Value, code: &str) -> &'a serde_json::Value {
    rows.as_array().unwrap().iter().find(|r| r["code"] == code && r["source"] == "police").unwrap()
}

#[test]
fn measure_prints_counts_rates_changes_and_exact_p_values() {
    let dir = tempfile::tempdir().unwrap();
    let db = measured_db(dir.path());
    let out = bomiljo(&db, &["measure", "--year", "2024", "--format", "json"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let rows: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    // One object per delbydel and source with data: 2 areas x police (fire and waste have none).
    assert_eq!(rows.as_array().unwrap().len(), 2);
    let a = row(&rows, "0101");
    assert_eq!((a["year"].as_i64(), a["count"].as_i64(), a["change"].as_i64()), (Some(2024), Some(30), Some(10)));
    assert_eq!(a["rate_per_1000"].as_f64(), Some(15.0));
    assert_eq!(a["per_km2"].as_f64(), Some(30.0));
    assert!((a["p_value"].as_f64().unwrap() - binomial_two_sided(30, 50)).abs() < 1e-9, "{a}");
    // City: 33 incidents / 2,500 residents = 13.2 per 1,000.
    assert!((a["ratio_to_city"].as_f64().unwrap() - 15.0 / 13.2).abs() < 1e-9);
    let b = row(&rows, "0202");
    assert_eq!((b["count"].as_i64(), b["rate_per_1000"].as_f64(), b["rank"].as_i64()), (Some(3), Some(6.0), Some(2)));
    assert_eq!(a["rank"].as_i64(), Some(1));

    // The public view is the release: 0202's 3 is never shown as such, and whatever is shown
    // below k blanks what it would reveal.
    let out = bomiljo(&db, &["measure", "--year", "2024", "--format", "json", "--role", "public"]);
    let rows: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let b = row(&rows, "0202");
    assert_public_count(&b["count"]);
    if b["count"] == "<5" {
        assert!(b["rate_per_1000"].is_null() && b["change"].is_null());
    }
    assert!(b["p_value"].is_null(), "no exact test on noisy counts: {b}");
    let out = bomiljo(&db, &["measure", "--year", "2024", "--level", "bydel", "--format", "csv"]);
    let csv = String::from_utf8_lossy(&out.stdout);
    assert!(csv.lines().any(|l| l.starts_with("01,") && l.contains(",police,2024,30,")), "{csv}");
}

#[test]
fn the_api_suppresses_small_counts_for_the_public_and_not_for_analysts() {
    let dir = tempfile::tempdir().unwrap();
    let db = measured_db(dir.path());
    let token = common::token(&db, "analyst");
    let server = Server::start(&db, 0).expect("server starts");
    let public = server.get_json("/api/measurement?year=2024");
    assert_public_count(&row(&public, "0202")["count"]);
    assert_close(&row(&public, "0101")["count"], 30);
    let analyst = server.get_json_as("/api/measurement?year=2024", &token);
    assert_eq!(row(&analyst, "0202")["count"], 3);
    let (status, body) = server.get_with("/api/measurement?year=2024", Some("bmj_forged"));
    assert_eq!(status, 401, "{body}");
    let (status, csv) = server.get("/api/measurement?year=2024&format=csv");
    assert_eq!(status, 200);
    let line = csv.lines().find(|l| l.starts_with("0202,") && l.contains(",police,")).unwrap();
    // In CSV a public count is its text with the interval, never a bare number.
    let field = line.split(',').nth(5).unwrap();
    assert!(field.contains('–') && field.parse::<u64>().is_err(), "{line}");

    // The public series is the release's: the recorded 20 and 30, each within the noise.
    let series = server.get_json("/api/series?code=0101&source=police");
    let points = series["points"].as_array().unwrap();
    assert_eq!(points.iter().map(|p| p["year"].as_i64().unwrap()).collect::<Vec<_>>(), [2023, 2024]);
    assert_close(&points[0]["count"], 20);
    assert_close(&points[1]["count"], 30);
    let analyst = server.get_json_as("/api/series?code=0101&source=police", &token);
    assert_eq!(analyst["points"], serde_json::json!([{ "year": 2023, "count": 20 }, { "year": 2024, "count": 30 }]));
    // Every month of the source's two years, the empty ones as zeros; 0202's empty 2023 is a zero
    // year, not a gap.
    let monthly = server.get_json_as("/api/series?code=0202&source=police&monthly=true", &token);
    let months = monthly["points"].as_array().unwrap();
    assert_eq!(months.len(), 24);
    assert_eq!(months.iter().map(|m| m["count"].as_u64().unwrap()).sum::<u64>(), 3);
    let yearly = server.get_json_as("/api/series?code=0202&source=police", &token);
    assert_eq!(yearly["points"], serde_json::json!([{ "year": 2023, "count": 0 }, { "year": 2024, "count": 3 }]));
    assert!(server.stop());
}

#[test]
fn heatmaps_blank_cells_resting_on_fewer_than_k_incidents_for_the_public() {
    let dir = tempfile::tempdir().unwrap();
    let db = measured_db(dir.path());
    let token = common::token(&db, "analyst");
    let server = Server::start(&db, 0).expect("server starts");
    let query = "/api/heatmap?source=police&year=2024&cell_m=100&bandwidth_m=300";
    let public = server.get_json(query);
    let analyst = server.get_json_as(query, &token);
    // The analyst surface has thin cells (the k rule has work to do); the public one, drawn from
    // the release's estimates, may cover other cells (an estimate is not zero where the truth
    // is), so counting cells proves nothing: every public cell must rest on at least k = 5.
    let supports = |fc: &serde_json::Value| -> Vec<u64> {
        fc["features"].as_array().unwrap().iter().map(|f| f["properties"]["incidents_within_bandwidth"].as_u64().unwrap_or(0)).collect()
    };
    assert!(supports(&analyst).iter().any(|&n| n < 5), "the analyst surface has no thin cell to blank");
    let public_supports = supports(&public);
    assert!(!public_supports.is_empty());
    assert!(public_supports.iter().all(|&n| n >= 5), "public cells rest on {public_supports:?}");
    // The whole analyst surface integrates to the 2024 incidents (30 + 3) within the grid,
    // less what the kernel spreads outside the two squares.
    let integral: f64 = analyst["features"].as_array().unwrap().iter().map(|f| f["properties"]["value"].as_f64().unwrap() * 0.01).sum();
    assert!(integral > 20.0 && integral < 33.0, "{integral}");

    // A z14 tile over the squares: a 256 px PNG with coloured pixels; one over the sea: empty.
    let (status, png) = server.get_bytes("/tiles/heat/14/8680/4766.png?source=police&year=2024");
    assert_eq!(status, 200);
    let (info, pixels) = decode_png(&png);
    assert_eq!((info.0, info.1), (256, 256));
    assert!(pixels.chunks(4).any(|p| p[3] > 0), "tile over the data is empty");
    // The kernel's far tails are left clear, not painted in the ramp's darkest colour over the
    // whole city (viridis at 0 is #440154): the legend's floor is 1 % of the maximum.
    let darkest = |p: &[u8]| p[3] > 0 && (i32::from(p[0]) - 68).abs() + i32::from(p[1]) + (i32::from(p[2]) - 84).abs() < 20;
    assert!(!pixels.chunks(4).any(darkest), "the heat map paints its zero class");
    let legend = server.get_json("/api/heatmap/legend?source=police&year=2024");
    assert!((legend["floor"].as_f64().unwrap() - legend["max"].as_f64().unwrap() * 0.01).abs() < 1e-9, "{legend}");
    assert!((legend["stops"][0]["value"].as_f64().unwrap() / legend["floor"].as_f64().unwrap() - 1.0).abs() < 1e-9, "the first stop is the floor: {legend}");
    let (_, far) = server.get_bytes("/tiles/heat/14/8600/4700.png?source=police&year=2024");
    assert!(decode_png(&far).1.chunks(4).all(|p| p[3] == 0));
    let (status, body) = server.get("/api/heatmap?cell_m=5");
    assert_eq!(status, 400, "{body}");
    assert!(body.contains("cell_m = 5 is outside 25-250 m"), "{body}");

    // The whole surface as a GeoTIFF: its size and origin are the grid's, and it carries every
    // cell (GDAL and QGIS read it in `make proof`, scripts/gis_clients.py).
    let (status, tiff) = server.get_bytes("/api/heatmap/geotiff?source=police&year=2024&cell_m=100&bandwidth_m=300");
    assert_eq!(status, 200);
    assert_eq!(&tiff[..4], b"II*\0");
    let size = |tag: u16| {
        let n = u16::from_le_bytes([tiff[8], tiff[9]]) as usize;
        (0..n)
            .map(|i| 10 + 12 * i)
            .find(|&at| u16::from_le_bytes([tiff[at], tiff[at + 1]]) == tag)
            .map(|at| u32::from_le_bytes(tiff[at + 8..at + 12].try_into().unwrap()))
    };
    // The two squares span 597000-599000 E, 6642000-6643000 N: 20 x 10 cells of 100 m.
    assert_eq!((size(256), size(257)), (Some(20), Some(10)));
    assert!(server.stop());
    let out = dir.path().join("heat.tif");
    let run = bomiljo(&db, &["measure", "heat", "--source", "police", "--year", "2024", "--cell-m", "100", "--out", out.to_str().unwrap()]);
    let said = String::from_utf8_lossy(&run.stdout);
    assert!(run.status.success() && said.contains("cells of 100 m in EPSG:25832"), "{said}{}", String::from_utf8_lossy(&run.stderr));
    assert_eq!(std::fs::read(&out).unwrap()[..4], *b"II*\0");
}

fn decode_png(bytes: &[u8]) -> ((u32, u32), Vec<u8>) {
    let decoder = png::Decoder::new(std::io::Cursor::new(bytes));
    let mut reader = decoder.read_info().unwrap();
    let mut buf = vec![0; reader.output_buffer_size().unwrap()];
    let info = reader.next_frame(&mut buf).unwrap();
    ((info.width, info.height), buf)
}

#[test]
fn the_annual_report_has_a_page_per_bydel_and_hides_small_counts_by_default() {
    let dir = tempfile::tempdir().unwrap();
    let db = measured_db(dir.path());
    // A second source with a long name ("Brann og redning") for the table layout.
    let fire: String = (0..12).map(|i| format!("b{i},202{},fire,{},6642300\n", 3 + i % 2, 597_150 + (i % 4) * 100)).collect();
    std::fs::write(dir.path().join("fire.csv"), format!("id,date,category,x,y\n{}", fire.replace(",fire,", "-06-15,fire,"))).unwrap();
    import_ok(&db, "incidents_fire", &dir.path().join("fire.csv"), &[]);
    let out = dir.path().join("reports");
    let run = bomiljo(&db, &["report", "annual", "--year", "2024", "--pdf", "--out", out.to_str().unwrap()]);
    assert!(run.status.success(), "{}", String::from_utf8_lossy(&run.stderr));
    let folder = out.join("annual-2024");
    let index = std::fs::read_to_string(folder.join("index.html")).unwrap();
    assert!(index.contains("bydel-01.html") && index.contains("bydel-02.html"), "{index}");
    let page = std::fs::read_to_string(folder.join("bydel-02.html")).unwrap();
    let police_row = |page: &str| page.lines().find(|l| l.starts_with("<tr><td>0202</td>") && l.contains("politi")).unwrap().to_string();
    // The public report is computed from the release and says so; its count cell is an estimate
    // with its interval ("0–5" where the interval reaches zero, "7 (3–11)" otherwise).
    let count_cell = |row: &str| row.split("</td><td>").nth(3).unwrap().to_string();
    let row = police_row(&page);
    assert!(count_cell(&row).contains('–'), "{row}");
    assert!(page.contains("<svg") && page.contains("Bomiljømåling 2024") && page.contains("offentlig utgivelse nr. 1"));
    // The PDF version says the same, as extracted text.
    let text = std::process::Command::new("pdftotext").args(["-layout"]).arg(folder.join("bydel-02.pdf")).arg("-").output().unwrap();
    let text = String::from_utf8_lossy(&text.stdout);
    let row = text.lines().find(|l| l.contains("0202") && l.contains("politi")).unwrap_or_else(|| panic!("{text}"));
    assert!(row.split_whitespace().any(|word| word.contains('–') && word.chars().any(|c| c.is_ascii_digit())), "{row}");
    // Laid out, not piled up: no two words overlap on any page (the source column once ran into
    // the count: "brann og re56ning"), every page renders, and the map and charts are there.
    for bydel in ["01", "02"] {
        let pdf = folder.join(format!("bydel-{bydel}.pdf"));
        assert_eq!(common::overlapping_words(&pdf), Vec::<String>::new(), "bydel {bydel}");
        let pages = common::render_pages(&pdf, dir.path());
        assert!(!pages.is_empty());
        for page in &pages {
            let ((w, h), pixels) = decode_png(&std::fs::read(page).unwrap());
            assert!(w > 300 && h > 400, "{}", page.display());
            assert!(pixels.chunks(3).any(|p| p[0] < 200), "{} is blank", page.display());
        }
    }
    assert!(text.contains("Kart") && text.contains("Utvikling, alle kilder") && text.contains("trend:"), "{text}");
    // The map names its delbydel with its figure; the public tables print no column of dashes
    // (the release has no per-area test of the change), and the trend says what its figure is.
    let name = |code: &str| -> String {
        let areas: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(common::fixture("areas/two_squares_25832.geojson")).unwrap()).unwrap();
        areas["features"].as_array().unwrap().iter().find(|f| f["properties"]["DELBYDEL"] == code).unwrap()["properties"]["DELBYDELSN"]
            .as_str()
            .unwrap()
            .to_string()
    };
    let map_text = text.split("Kart").nth(1).unwrap().split("Hendelser per 1 000 innbyggere, alle kilder").next().unwrap();
    assert!(map_text.split_whitespace().collect::<Vec<_>>().windows(2).any(|w| w[0] == name("0202") && w[1].contains(',')), "{map_text}");
    assert!(!page.contains("<th>q</th>"), "the public table has a q column of dashes");
    assert!(!page.contains(", spredning "), "an unexplained \"spredning 0,4\" in a trend: {page}");
    // No area has fewer than no incidents: a negative estimate is printed as 0.
    assert!(!page.contains("(−") && !page.contains(" −0,") && !page.contains(" −1,") && !page.contains(" −2,"), "{page}");
    // Two years of data (2023-2024) are too few for patterns over time: said, not left out.
    assert!(page.contains("Fremvoksende varme og kalde soner") && page.contains("trenger minst 3 år der hver kilde har data"), "{page}");
    // The charts are public output too: 0202's 3 incidents of 2024 (and any count under k) never
    // appear as a number under its bars; every count there is 0 or at least k. (Whether the 2024
    // bar reads "<5" depends on the release's noise: 3 + noise reached 9 in one run in ~200.)
    let public = std::process::Command::new("pdftotext").arg(folder.join("bydel-02.pdf")).arg("-").output().unwrap();
    let public = String::from_utf8_lossy(&public.stdout);
    let charts = public.split("Utvikling, alle kilder").nth(1).unwrap().split("Fremvoksende varme og kalde soner").next().unwrap();
    // A small number is only shown as an estimate followed by its interval ("3 (1–5)").
    let words: Vec<&str> = charts.split_whitespace().collect();
    for (i, n) in words.iter().enumerate().filter_map(|(i, w)| Some((i, w.parse::<u64>().ok()?))).filter(|(_, n)| !(2000..=2100).contains(n)) {
        let estimate = words.get(i + 1).is_some_and(|w| w.starts_with('(') && w.contains('–'));
        let per_1000 = words.get(i + 1) == Some(&"000");
        assert!(n == 0 || n >= 5 || estimate || per_1000, "count {n} under k in the public charts:\n{charts}");
    }

    // The internal version (analyst role) has the recorded figures: 0202's 3, 0101's 30 at 15 per 1,000.
    let internal = dir.path().join("internal");
    let run = bomiljo(&db, &["report", "annual", "--year", "2024", "--role", "analyst", "--out", internal.to_str().unwrap()]);
    assert!(run.status.success());
    let page = std::fs::read_to_string(internal.join("annual-2024/bydel-02.html")).unwrap();
    assert!(police_row(&page).contains("<td>3</td>"));
    assert!(page.contains("<th>q</th>"), "the recorded counts are tested, and the q column says so");
    let page = std::fs::read_to_string(internal.join("annual-2024/bydel-01.html")).unwrap();
    assert!(page.contains("Politi: 30 hendelser (15,0 per 1 000 innbyggere)"), "{page}");

    // The served public report is anyone's, file by file (a bydel's PDF for the page's link) and
    // as a zip: the same pages the command wrote from the same release.
    let server = common::Server::start(&db, 0).expect("server starts");
    let (status, served) = server.get("/api/reports/annual/2024/bydel-02.html");
    assert_eq!(status, 200, "{served}");
    assert_eq!(served, std::fs::read_to_string(folder.join("bydel-02.html")).unwrap());
    assert_eq!(server.content_type("/api/reports/annual/2024/bydel-02.pdf", None), (200, "application/pdf".to_string()));
    let (status, zipped) = server.get_bytes("/api/reports/annual?year=2024&pdf=true");
    assert_eq!(status, 200);
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(zipped)).unwrap();
    let mut names: Vec<String> = archive.file_names().map(String::from).collect();
    names.sort();
    assert_eq!(names, ["bydel-01.html", "bydel-01.pdf", "bydel-02.html", "bydel-02.pdf", "index.html"]);
    let mut index = String::new();
    std::io::Read::read_to_string(&mut archive.by_name("index.html").unwrap(), &mut index).unwrap();
    assert!(index.contains("bydel-02.html"));
    // The recorded counts stay staff-only; a wrong file or year is named, not a blank answer.
    assert_eq!(server.get("/api/reports/annual?year=2024&role=analyst").0, 401, "the recorded counts need a token");
    let (status, body) = server.get("/api/reports/annual/2024/bydel-2.pdf");
    assert!(status == 404 && body.contains("bydel-02.pdf"), "{status} {body}");
    let (status, body) = server.get("/api/reports/annual/1990/index.html");
    assert!(status == 400 && body.contains("2023-2024"), "{status} {body}");
    server.stop();
}

#[test]
fn before_after_shows_sites_to_analysts_only_and_hotspots_are_served() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("demo.duckdb");
    let files = dir.path().join("files");
    let out = bomiljo(&db, &["demo", "--no-serve", "--out", files.to_str().unwrap()]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let token = common::token(&db, "analyst");
    let server = Server::start(&db, 0).expect("server starts");
    let analyst = server.get_json_as("/api/before-after?years=2", &token);
    let sites = analyst["sites"].as_array().unwrap();
    assert_eq!(sites.len() as u64, analyst["site_count"].as_u64().unwrap());
    assert!(!sites.is_empty(), "the demo has sites opened 2021-2023 with two years on each side");
    // The public gets the release's one fixed result: no sites, no site count, no parameters.
    let public = server.get_json("/api/before-after");
    assert!(public.get("sites").is_none() && public.get("site_count").is_none(), "{public}");
    assert_eq!((public["radius_m"].as_f64(), public["years"].as_i64()), (Some(300.0), Some(3)));
    assert!(public["conclusion_nb"].as_str().unwrap().len() > 20);
    assert!(!serde_json::to_string(&public).unwrap().contains("site-"), "a site id leaked: {public}");
    assert_eq!(server.get("/api/before-after?radius_m=250").0, 400);

    let hot = server.get_json("/api/hotspots?source=police&cell_m=250&band_m=500");
    assert_eq!(hot["type"], "FeatureCollection");
    assert!(hot["features"].as_array().unwrap().iter().any(|f| f["properties"]["level"].as_i64() > Some(0)), "the demo's planted hotspots are found");
    // The note and the map agree: cold cells shown means cold spots are detectable, and "cannot
    // be detected" comes with no cold cell (the note once came from a normal z while the cells'
    // p-values came from the exact reference: 1,864 cold cells under "cannot be detected").
    for source in ["police", "fire", "waste"] {
        let answer = server.get_json(&format!("/api/hotspots?source={source}&year=2024"));
        let cold = answer["features"].as_array().unwrap().iter().filter(|f| f["properties"]["level"].as_i64() < Some(0)).count();
        assert!(cold == 0 || answer["note"].is_null(), "{source}: {cold} cold cells under the note {}", answer["note"]);
    }
    let per_1000 = server.get_json("/api/heatmap?source=police&per_1000=true&cell_m=250&bandwidth_m=500");
    assert_eq!(per_1000["unit"], "incidents per 1,000 inhabitants per year");
    assert!(!per_1000["features"].as_array().unwrap().is_empty());
    assert!(server.stop());
}

/// A public count is never exact: an estimate from the release with its interval.
fn assert_public_count(count: &serde_json::Value) {
    common::assert_public_figure(count);
}

/// A released estimate close to the recorded count, whose interval holds it (σ ≈ 1.4 at the
/// default budget; ±8 is beyond 5σ).
fn assert_close(count: &serde_json::Value, recorded: i64) {
    common::assert_public_figure(count);
    let estimate = count["estimate"].as_f64().unwrap();
    assert!((estimate - recorded as f64).abs() <= 8.0, "released {estimate}, recorded {recorded}");
}

#[test]
fn a_sources_first_year_has_no_change_and_a_year_without_data_has_no_rows() {
    let dir = tempfile::tempdir().unwrap();
    let db = measured_db(dir.path());
    // 2023 is the police data's first year: nothing to compare with, so no change and no p-value
    // (not a change from an empty year with p ≈ 0).
    let out = bomiljo(&db, &["measure", "--year", "2023", "--format", "json"]);
    let rows: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let police: Vec<&serde_json::Value> = rows.as_array().unwrap().iter().filter(|r| r["source"] == "police").collect();
    assert_eq!(police.len(), 2);
    for r in &police {
        assert!(r["previous"].is_null() && r["change"].is_null() && r["p_value"].is_null(), "{r}");
    }
    assert_eq!(row(&rows, "0101")["count"], 20);
    // Fire and waste have no data at all, police none in 2022: no rows of zeros ranked 1.
    assert!(rows.as_array().unwrap().iter().all(|r| r["source"] == "police"), "{rows}");
    // A year no source has data for is an error that says which years have, not an empty table.
    let out = bomiljo(&db, &["measure", "--year", "2022", "--format", "json"]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success() && err.contains("no incident data in 2022: data cover police 2023-2024"), "{err}");
}

#[test]
fn changes_carry_q_values_over_every_row_of_their_source() {
    let dir = tempfile::tempdir().unwrap();
    let db = measured_db(dir.path());
    let out = bomiljo(&db, &["measure", "--year", "2024", "--format", "json"]);
    let rows: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    // Two tests for police in 2024: 0101 20 → 30 and 0202 0 → 3, each an exact binomial test.
    let (pa, pb) = (binomial_two_sided(30, 50), binomial_two_sided(3, 3));
    assert!((row(&rows, "0101")["p_value"].as_f64().unwrap() - pa).abs() < 1e-9);
    assert!((row(&rows, "0202")["p_value"].as_f64().unwrap() - pb).abs() < 1e-9);
    // Benjamini-Hochberg by hand for two: the larger p stays, the smaller doubles (capped by it).
    let (lo, hi) = (pa.min(pb), pa.max(pb));
    let q = |p: f64| if p == hi { hi } else { (lo * 2.0).min(hi) };
    assert!((row(&rows, "0101")["q_value"].as_f64().unwrap() - q(pa)).abs() < 1e-9, "{rows}");
    assert!((row(&rows, "0202")["q_value"].as_f64().unwrap() - q(pb)).abs() < 1e-9, "{rows}");
}

#[test]
fn raw_hot_spot_cells_follow_the_snapping_grid() {
    let dir = tempfile::tempdir().unwrap();
    let db = measured_db(dir.path());
    let token = common::token(&db, "analyst");
    let server = Server::start(&db, 0).expect("server starts");
    // 250 m cells over a 100 m snapping grid hold 4, 6 or 9 positions: refused for raw counts.
    let (status, body) = server.get_with("/api/hotspots?source=police&year=2024&cell_m=250", Some(&token));
    assert_eq!(status, 400, "{body}");
    assert!(body.contains("multiple of the 100 m anonymisation grid"), "{body}");
    for ok in ["/api/hotspots?source=police&year=2024", "/api/hotspots?source=police&year=2024&cell_m=300&band_m=600"] {
        let (status, body) = server.get_with(ok, Some(&token));
        assert_eq!(status, 200, "{ok}: {body}");
    }
    // The public's hot spots are on the release's 250 m cells, the default there.
    assert_eq!(server.get("/api/hotspots?source=police&year=2024").0, 200);
    // The public chooses among a few bands and bandwidths (each answer computed once per
    // release); analysts choose freely.
    for (path, allowed) in [
        ("/api/hotspots?source=police&year=2024&band_m=600", "band_m = 250, 500, 750, 1000"),
        ("/api/lisa?year=2024&band_m=5000", "band_m = 250, 500, 750, 1000"),
        ("/api/heatmap?year=2024&bandwidth_m=999", "bandwidth_m = 100, 200, 300, 400, 500, 750, 1000"),
    ] {
        let (status, body) = server.get(path);
        assert_eq!(status, 400, "{path}: {body}");
        assert!(body.contains(allowed), "{path}: {body}");
    }
    assert_eq!(server.get_with("/api/lisa?year=2024&band_m=600", Some(&token)).0, 200);
    let (first, again) = (server.get("/api/lisa?year=2024&band_m=500"), server.get("/api/lisa?year=2024&band_m=500"));
    assert_eq!((first.0, &first.1), (200, &again.1), "a cached public answer is the answer");
    assert!(server.stop());
}

#[test]
fn before_after_merges_overlapping_sites_and_compares_inside_the_delbydel() {
    use bomiljo::measurement::{BeforeAfterParams, before_after};
    let dir = tempfile::tempdir().unwrap();
    let db = two_squares_db(dir.path());
    let housing = dir.path().join("housing.csv");
    // s1 and s2 are 100 m apart and opened in 2022: one unit. s3 overlaps s2 and s5 but opened
    // later: left out. s5 sits 50 m from the 0202 border. s4 is in 0202.
    std::fs::write(
        &housing,
        "id,units,group,has_staff_base,opened,x,y\ns1,8,5,true,2022-03-01,597300,6642500\ns2,8,5,true,2022-09-01,597400,6642500\n\
         s3,8,5,true,2023-01-01,597800,6642800\ns5,8,5,true,2022-05-01,597950,6642950\ns4,8,5,true,2022-01-01,598500,6642500\n",
    )
    .unwrap();
    import_ok(&db, "housing", &housing, &[]);
    let mut csv = String::from("id,date,category,x,y\n");
    let mut n = 0;
    let mut add = |count: usize, year: i32, x: i32, y: i32| {
        for _ in 0..count {
            n += 1;
            writeln!(csv, "b{n},{year}-06-15,drugs,{x},{y}").unwrap();
        }
    };
    add(1, 2021, 597_250, 6_642_550); // near s1 and s2
    add(1, 2021, 597_650, 6_642_450); // near s2 only: counted once for the unit
    add(2, 2021, 597_950, 6_642_850); // near s5
    add(5, 2021, 598_050, 6_642_950); // 100 m from s5, but in 0202: neither near nor control for s5
    add(4, 2021, 597_150, 6_642_150); // the rest of 0101
    add(1, 2023, 597_950, 6_642_850);
    add(3, 2023, 597_150, 6_642_150);
    add(1, 2024, 597_150, 6_642_150);
    std::fs::write(dir.path().join("p.csv"), csv).unwrap();
    import_ok(&db, "incidents_police", &dir.path().join("p.csv"), &[]);
    let store = bomiljo::store::Store::open(&db, bomiljo::store::OpenMode::MustExist).unwrap();
    let params = BeforeAfterParams { radius_m: 300.0, years: 1, source: None };
    let result = before_after(&store, &params).unwrap();
    assert_eq!((result.site_count, result.left_out), (3, 1), "{result:?}");
    let unit = |id: &str| result.sites.iter().find(|s| s.id == id).unwrap_or_else(|| panic!("{id}: {result:?}")).counts;
    let pair = unit("s1 + s2");
    assert_eq!((pair.near_before, pair.rest_before, pair.near_after, pair.rest_after), (2, 6, 0, 4));
    let edge = unit("s5");
    assert_eq!((edge.near_before, edge.rest_before, edge.near_after, edge.rest_after), (2, 6, 1, 3), "the 0202 incidents stay out");
    // One source: the fire service has nothing here.
    let fire = before_after(&store, &BeforeAfterParams { source: Some("fire".into()), ..params }).unwrap();
    assert!(fire.sites.iter().all(|s| s.counts.near_before + s.counts.rest_before + s.counts.near_after + s.counts.rest_after == 0));
}

#[test]
fn per_km2_uses_land_area_once_water_is_imported_and_says_which_it_used() {
    let dir = tempfile::tempdir().unwrap();
    let db = measured_db(dir.path());
    let json = |db: &Path| -> serde_json::Value {
        let out = bomiljo(db, &["measure", "--year", "2024", "--format", "json"]);
        serde_json::from_slice(&out.stdout).unwrap()
    };
    let a = json(&db);
    assert_eq!((row(&a, "0101")["per_km2"].as_f64(), row(&a, "0101")["km2_basis"].as_str()), (Some(30.0), Some("total")));
    // A fjord over the southern half of 0101 (and beyond the square, where it counts for nothing).
    let water = rectangles(dir.path(), "water.geojson", &[(r#"{"id": "fjord", "name": "Fjorden"}"#, [596000, 6641000, 598000, 6642500])]);
    import_ok(&db, "water", &water, &[]);
    let a = json(&db);
    // 30 incidents on 0.5 km² of land.
    assert_eq!((row(&a, "0101")["per_km2"].as_f64(), row(&a, "0101")["km2_basis"].as_str()), (Some(60.0), Some("land")));
    assert_eq!(row(&a, "0202")["km2_basis"].as_str(), Some("land"));
    // The table names the sources without data instead of printing zeros for them.
    let table = String::from_utf8_lossy(&bomiljo(&db, &["measure", "--year", "2024"]).stdout).into_owned();
    assert!(table.contains("fire: ingen data (ikke importert)") && table.contains("waste: ingen data (ikke importert)"), "{table}");
    assert!(!table.lines().any(|l| l.contains(" fire ")), "{table}");
}

/// Emerging hot spots end to end on hand-built incidents (analyst view, 200 m cells, 2015-2024):
/// one incident in every cell every year in each source; police with a cluster in 0101 every year
/// and growing, waste with a cluster in 0202 in the last two years only. The growing one is a hot
/// spot (nearly) every year with a rising trend: intensifying; the new one is hot in 2023 and 2024
/// and never before: consecutive. A year without data for a source is not a year of zeros.
#[test]
fn emerging_hot_spots_tell_a_growing_cluster_from_a_new_one() {
    let dir = tempfile::tempdir().unwrap();
    let db = two_squares_db(dir.path());
    let write = |name: &str, category: &str, cluster: &dyn Fn(i32) -> (usize, (i64, i64))| {
        let mut csv = String::from("id,date,category,x,y\n");
        let mut n = 0;
        let mut add = |count: usize, year: i32, (x, y): (i64, i64)| {
            for _ in 0..count {
                n += 1;
                writeln!(csv, "{name}{n},{year}-06-15,{category},{x},{y}").unwrap();
            }
        };
        for year in 2015..=2024 {
            for col in 0..10 {
                for row in 0..5 {
                    add(1, year, (597_050 + col * 200, 6_642_050 + row * 200));
                }
            }
            let (count, at) = cluster(year);
            add(count, year, at);
        }
        let path = dir.path().join(format!("{name}.csv"));
        std::fs::write(&path, csv).unwrap();
        path
    };
    let police = write("p", "drugs", &|year| (150 + 10 * (year as usize - 2015), (597_450, 6_642_450)));
    import_ok(&db, "incidents_police", &police, &[]);
    let waste = write("w", "littering", &|year| (if year >= 2023 { 60 } else { 0 }, (598_650, 6_642_650)));
    import_ok(&db, "incidents_waste", &waste, &[]);
    let emerging = |source: &str| {
        let out = bomiljo(&db, &["measure", "emerging", "--source", source, "--band", "200", "--format", "json"]);
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        serde_json::from_slice::<serde_json::Value>(&out.stdout).unwrap()
    };
    // The cell holding a point, by its ring (EPSG:25832).
    let cell_at = |found: &serde_json::Value, (x, y): (f64, f64)| {
        found["cells"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| {
                let ring = c["ring"].as_array().unwrap();
                let (x0, y0, x1, y1) = (ring[0][0].as_f64().unwrap(), ring[0][1].as_f64().unwrap(), ring[2][0].as_f64().unwrap(), ring[2][1].as_f64().unwrap());
                x0 < x && x < x1 && y0 < y && y < y1
            })
            .cloned()
    };
    let found = emerging("police");
    assert_eq!(found["years"], serde_json::json!([2015, 2024]));
    let cells: u64 = found["summary"].as_object().unwrap().values().map(|v| v.as_u64().unwrap()).sum();
    assert_eq!(cells, 50, "every 200 m cell of the two squares is classified once: {found}");
    let growing = cell_at(&found, (597_450.0, 6_642_450.0)).expect("the growing cluster has a pattern");
    // Hot in at least 9 of the 10 years, the final one included (the first year's neighbourhood
    // has no earlier year, so less evidence), with a significant rise.
    let hot = growing["states"].as_array().unwrap().iter().filter(|s| *s == "hot").count();
    assert!(hot >= 9 && growing["states"][9] == "hot", "{growing}");
    assert_eq!(growing["label"], "tiltagende varm sone", "{growing}");
    assert!(growing["trend_z"].as_f64().unwrap() > 0.0 && growing["trend_p"].as_f64().unwrap() < 0.05, "{growing}");
    let found = emerging("waste");
    let new = cell_at(&found, (598_650.0, 6_642_650.0)).expect("the new cluster has a pattern");
    let states: Vec<&str> = new["states"].as_array().unwrap().iter().map(|s| s.as_str().unwrap()).collect();
    assert_eq!(&states[8..], ["hot", "hot"], "{new}");
    assert!(!states[..8].contains(&"hot"), "{new}");
    assert_eq!(new["label"], "sammenhengende varm sone", "{new}");
    // The annual report tells each bydel its patterns in a paragraph, with the delbydeler.
    let reports = dir.path().join("reports");
    let run = bomiljo(&db, &["report", "annual", "--year", "2024", "--role", "analyst", "--out", reports.to_str().unwrap()]);
    assert!(run.status.success(), "{}", String::from_utf8_lossy(&run.stderr));
    let page = std::fs::read_to_string(reports.join("annual-2024/bydel-01.html")).unwrap();
    assert!(page.contains("<h2>Fremvoksende varme og kalde soner</h2><p>2015–2024 (politi, renovasjon)"), "{page}");
    // The same analysis as `measure emerging` with its defaults (500 m band, every source): each
    // pattern of Vest's cells with its number of cells, or none.
    let out = bomiljo(&db, &["measure", "emerging", "--format", "json"]);
    let city: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let vest: Vec<&serde_json::Value> = city["cells"].as_array().unwrap().iter().filter(|c| c["delbydel"] == "0101").collect();
    if vest.is_empty() {
        assert!(page.contains("ingen celler i bydelen med et mønster"), "{page}");
    }
    for label in vest.iter().map(|c| c["label"].as_str().unwrap()).collect::<std::collections::BTreeSet<_>>() {
        let cells = vest.iter().filter(|c| c["label"] == label).count();
        let unit = if cells == 1 { "celle" } else { "celler" };
        assert!(page.contains(&format!("{cells} {unit} med {label} (Vest)")), "{label}: {page}");
    }
    // The public get the same analysis from the release's 250 m cells, through the API.
    assert!(bomiljo(&db, &["release", "build"]).status.success());
    let server = Server::start(&db, 0).expect("server starts");
    let public = server.get_json("/api/emerging?source=police&band_m=250");
    assert_eq!(public["type"], "FeatureCollection");
    assert_eq!(public["years"], serde_json::json!([2015, 2024]));
    let features = public["features"].as_array().unwrap();
    assert!(features.iter().any(|f| f["properties"]["pattern"]["side"] == "hot"), "{public}");
    assert!(
        features.iter().all(|f| f["properties"]["states"].as_array().unwrap().len() == 10 && f["properties"]["label_en"].as_str().unwrap().ends_with("spot")),
        "{public}"
    );
    // Local Moran's I of 2024 for the public: on the same cells as the emerging analysis, only
    // significant cells, no count under k.
    let lisa = server.get_json("/api/lisa?source=police&band_m=250");
    let studied: u64 = public["summary"].as_object().unwrap().values().map(|v| v.as_u64().unwrap()).sum();
    assert_eq!(lisa["cells"].as_u64(), Some(studied), "{lisa}");
    assert_eq!(lisa["permutations"], 999);
    let features = lisa["features"].as_array().unwrap();
    for f in features {
        assert!(f["properties"]["q"].as_f64().unwrap() < 0.05, "{f}");
        let count = &f["properties"]["count"];
        assert!(count.is_null() || count.as_u64().is_some_and(|n| n == 0 || n >= 5), "{f}");
    }
    drop(server);
    // Fire with data for 2024 only: all sources together share one year, too few to say anything.
    let fire = dir.path().join("fire.csv");
    std::fs::write(&fire, "id,date,category,x,y\nb1,2024-01-10,fire,597550,6642450\n").unwrap();
    import_ok(&db, "incidents_fire", &fire, &[]);
    let out = bomiljo(&db, &["measure", "emerging"]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success() && err.contains("every counted source (fire, police, waste) has data; they share 2024-2024"), "{err}");
}

#[test]
fn a_series_over_several_sources_covers_only_the_years_every_source_has() {
    // Police 2023-2024, fire from 2024 only: the all-sources series starts in 2024 (a 2023 that
    // counted fire as zero would make a rise of fire's whole count); police alone keeps 2023.
    let dir = tempfile::tempdir().unwrap();
    let db = common::two_squares_db(dir.path());
    std::fs::write(dir.path().join("p.csv"), "id,date,category,x,y\np1,2023-03-03,drugs,597450,6642450\np2,2024-03-03,drugs,597450,6642450\n").unwrap();
    std::fs::write(dir.path().join("f.csv"), "id,date,category,x,y\nf1,2024-05-05,fire,597450,6642450\n").unwrap();
    common::import_ok(&db, "incidents_police", &dir.path().join("p.csv"), &[]);
    common::import_ok(&db, "incidents_fire", &dir.path().join("f.csv"), &[]);
    let store = bomiljo::store::Store::open(&db, bomiljo::store::OpenMode::MustExist).unwrap();
    let years = |sources: &[&str]| -> Vec<i32> {
        let filter = bomiljo::store::IncidentFilter { sources: sources.iter().map(|s| s.to_string()).collect(), ..Default::default() };
        bomiljo::measurement::Incidents::Raw(store.handle()).series(None, &filter, false).unwrap().iter().map(|p| p.0).collect()
    };
    assert_eq!(years(&[]), [2024]);
    assert_eq!(years(&["police", "fire"]), [2024]);
    assert_eq!(years(&["police"]), [2023, 2024]);
}

#[test]
fn a_series_of_an_unknown_category_or_source_is_an_error_that_lists_what_exists() {
    let dir = tempfile::tempdir().unwrap();
    let db = measured_db(dir.path());
    let server = Server::start(&db, 0).expect("server starts");
    let (status, body) = server.get("/api/series?source=police&category=no_such_category");
    assert_eq!(status, 400, "{body}");
    assert!(body.contains("no category 'no_such_category' in source 'police'") && body.contains("disturbance, violence, drugs, welfare_check"), "{body}");
    let (status, body) = server.get("/api/series?source=polise&category=drugs");
    assert_eq!(status, 400, "{body}");
    assert!(body.contains("did you mean 'police'"), "{body}");
    // The layer's own labels stand for their category, as in an import.
    let by_label = server.get_json("/api/series?source=police&category=Narkotika");
    let by_id = server.get_json("/api/series?source=police&category=drugs");
    assert_eq!(by_label["points"], by_id["points"]);
    assert!(server.stop());
}

/// Every parameter that names data, given a wrong value, is a JSON 4xx saying what exists, for
/// the public and for analysts alike; never a 200 with an empty or zero answer.
#[test]
fn every_data_naming_parameter_with_a_wrong_value_says_what_exists() {
    let dir = tempfile::tempdir().unwrap();
    let db = measured_db(dir.path());
    let token = common::token(&db, "analyst");
    let server = Server::start(&db, 0).expect("server starts");
    let site = "lon=10.743331&lat=59.908458";
    let cases = [
        ("/api/measurement?year=1990".to_string(), "no incident data in 1990: data cover police 2023-2024"),
        ("/api/measurement?year=2024&source=police".into(), "unknown field `source`"),
        ("/api/heatmap?source=polise".into(), "did you mean 'police'"),
        ("/api/heatmap?year=1990".into(), "no incident data in 1990: the data cover 2023-2024"),
        ("/api/heatmap?colour=red".into(), "unknown field `colour`"),
        ("/api/heatmap?area=9999".into(), "no delbydel or bydel with code '9999'"),
        ("/api/hotspots?source=nosuch".into(), "unknown source 'nosuch' (sources: fire, police, waste)"),
        ("/api/hotspots?source=fire".into(), "no incident data for source 'fire' has been imported"),
        ("/api/lisa?year=2030".into(), "no incident data in 2030"),
        ("/api/series?code=9999&source=police".into(), "no delbydel or bydel with code '9999'"),
        ("/api/series?code=0101&source=police&category=nosuch".into(), "no category 'nosuch'"),
        ("/api/suitability?group=9".into(), "group 9 is not in the rule set"),
        ("/tiles/incidents/14/8680/4766.mvt?source=nosuch".into(), "unknown source 'nosuch'"),
        (format!("/api/reports/dialogue.pdf?{site}&group=9"), "group 9"),
        ("/collections/nosuch".into(), "no collection 'nosuch'"),
    ];
    for (path, expected) in &cases {
        for token in [None, Some(token.as_str())] {
            let (status, body) = server.get_with(path, token);
            assert!((400..500).contains(&status), "{path} answered {status}: {body}");
            let error = serde_json::from_str::<serde_json::Value>(&body).ok().and_then(|v| v["error"].as_str().map(str::to_string)).unwrap_or_default();
            assert!(error.contains(expected), "{path} ({}): {body}", if token.is_some() { "analyst" } else { "public" });
        }
    }
    // The public release has no 1990 either: tiles say so instead of drawing nothing.
    let (status, body) = server.get("/tiles/incidents/14/8680/4766.mvt?year=1990");
    assert!(status == 400 && body.contains("no incident data in 1990"), "{body}");
    assert!(server.stop());
}

/// The whole city's series counts the incidents inside the delbydeler, for analysts as in the
/// public release, and says so: good_police.csv's 2023 incident lies east of both squares.
#[test]
fn the_city_series_counts_the_delbydeler_and_says_what_it_leaves_out() {
    let dir = tempfile::tempdir().unwrap();
    let db = two_squares_db(dir.path());
    import_ok(&db, "incidents_police", &common::fixture("import/good_police.csv"), &[]);
    let token = common::token(&db, "analyst");
    let server = Server::start(&db, 0).expect("server starts");
    let city = server.get_json_as("/api/series?source=police", &token);
    assert_eq!(city["points"], serde_json::json!([{ "year": 2023, "count": 0 }, { "year": 2024, "count": 3 }]));
    assert!(city["covers"].as_str().unwrap().contains("outside every delbydel"), "{city}");
    assert!(server.get_json("/api/series?source=police")["covers"].is_string());
    assert!(server.get_json_as("/api/series?source=police&code=0101", &token).get("covers").is_none());
    assert!(server.stop());
}
