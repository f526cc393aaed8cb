//! The neighbour-dialogue PDF is public material. A planned site 200 m from an existing housing
//! site with few incidents: the PDF must hold no count under k, no other site, and no label of
//! residents. Checked by extracting the text (pdftotext) and rendering a page (pdftoppm).

use crate::common;

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::common::{Server, bomiljo, import_ok, two_squares_db};

const PLANNED: &str = "59.908458,10.743331"; // (597500, 6642500)

fn db_with_a_neighbouring_site(dir: &Path) -> PathBuf {
    let db = two_squares_db(dir);
    let housing = dir.join("housing.csv");
    std::fs::write(&housing, "id,units,group,has_staff_base,opened,x,y\nh-hemmelig-42,9,6,true,2021-04-01,597700,6642500\n").unwrap();
    import_ok(&db, "housing", &housing, &[]);
    let population = dir.join("population.csv");
    std::fs::write(&population, "id,pop_tot,x,y\nc1,1200,597500,6642500\nc2,800,598500,6642500\n").unwrap();
    import_ok(&db, "population", &population, &["--field", "population=pop_tot"]);
    // Inside the 500 m circle: 3 police incidents in 2024, 2 fire incidents in 2023. In the
    // corner of the same delbydel (0101), 636 m away and outside the circle: 40 a year, 2020-2024.
    let mut csv = String::from("id,date,category,x,y\n");
    for i in 0..3 {
        writeln!(csv, "n{i},2024-03-0{},disturbance,{},6642550", i + 1, 597_450 + i * 100).unwrap();
    }
    for i in 0..40 {
        for year in 2020..=2024 {
            writeln!(csv, "f{year}-{i},{year}-05-{:02},drugs,597060,6642060", 1 + i % 28).unwrap();
        }
    }
    let police = dir.join("police.csv");
    std::fs::write(&police, csv).unwrap();
    import_ok(&db, "incidents_police", &police, &[]);
    let fire = dir.join("fire.csv");
    std::fs::write(&fire, "id,date,category,x,y\nb1,2023-01-10,fire,597550,6642450\nb2,2023-02-11,false_alarm,597450,6642450\n").unwrap();
    import_ok(&db, "incidents_fire", &fire, &[]);
    db
}

fn pdftotext(pdf: &Path) -> String {
    let out = Command::new("pdftotext").args(["-layout"]).arg(pdf).arg("-").output().expect("pdftotext runs (poppler-utils)");
    assert!(out.status.success());
    String::from_utf8(out.stdout).unwrap()
}

/// Every bare number in the incident table rows is 0 or at least k: a smaller one is only shown
/// as an estimate followed by its interval ("4 (2–6)").
fn assert_no_small_counts(text: &str, k: u64) {
    let rows: Vec<&str> = text
        .lines()
        .filter(|l| l.contains("innen sirkelen") || l.contains("i delbydelen") || l.contains("inside the circle") || l.contains("in the sub-district"))
        .collect();
    assert!(rows.len() >= 6, "incident table rows:\n{text}");
    for row in rows.iter().filter(|r| !r.contains("per 1")) {
        let words: Vec<&str> = row.split_whitespace().collect();
        for (i, cell) in words.iter().enumerate().filter(|(_, c)| c.chars().all(|ch| ch.is_ascii_digit())) {
            let n: u64 = cell.parse().unwrap();
            let estimate = words.get(i + 1).is_some_and(|w| w.starts_with('(') && w.contains('–'));
            assert!(n == 0 || n >= k || estimate, "count {n} under k in: {row}");
        }
    }
}

#[test]
fn the_pdf_holds_no_small_count_no_other_site_and_no_resident_labels() {
    let dir = tempfile::tempdir().unwrap();
    let db = db_with_a_neighbouring_site(dir.path());
    let pdf = dir.path().join("nabodialog.pdf");
    let out = bomiljo(&db, &["report", "dialogue", "--at", PLANNED, "--radius", "500", "--out", pdf.to_str().unwrap()]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let text = pdftotext(&pdf);
    assert!(text.contains("Fakta om nærområdet") && text.contains("Delbydel: Vest"), "{text}");
    // The map names the delbydeler it shows (the neighbouring Øst too), so neighbours can place the circle.
    let page_one = text.split('\u{c}').next().unwrap();
    assert!(page_one.contains("grenser og navn") && page_one.matches("Øst").count() >= 1, "{page_one}");
    // The figures come from the public release, and the sheet says so and how accurate they are.
    assert!(text.contains("offentlig utgivelse nr. 1") && text.contains("midtpunktet sitt i sirkelen"), "{text}");
    assert_no_small_counts(&text, 5);
    // The existing site: neither its id, its position, its size nor its opening date.
    for leak in ["h-hemmelig", "597700", "10.7469", "2021-04-01"] {
        assert!(!text.contains(leak), "{leak} leaked:\n{text}");
    }
    // Words that label people rather than housing.
    let lower = text.to_lowercase();
    for label in ["gruppe", "rus", "psyki", "narkoti", "kriminel"] {
        assert!(!lower.contains(label), "'{label}' in the report:\n{text}");
    }
    // The delbydel's 40 police incidents a year (43 in 2024) are large enough to show; released
    // with noise, each stays close (σ ≈ 1.7 at the default budget: ±8 is beyond 4σ).
    let row = text.lines().find(|l| l.contains("Politi i delbydelen")).unwrap();
    // Each figure is "40 (37–43)": the estimate, then its interval.
    let shown: Vec<i64> = row.split_whitespace().skip(3).filter_map(|c| c.parse().ok()).collect();
    assert_eq!(shown.len(), 5, "{row}");
    for (shown, truth) in shown.iter().zip([40, 40, 40, 40, 43]) {
        assert!((shown - truth).abs() <= 8, "{shown} vs {truth}: {row}");
    }
    assert!(text.contains("Nærmeste holdeplass") && text.contains("Spørsmål og svar"));
    // Numbers read as Norwegian prose: residents with their unit, no "0 % a year" of change.
    assert!(text.contains("innbyggere)") && !text.contains("omtrent 0 %"), "{text}");
    // Waste was never imported and fire only for 2023: "–" (no data), never 0.
    let waste = text.lines().find(|l| l.contains("Renovasjon i delbydelen")).unwrap();
    assert_eq!(waste.split_whitespace().skip(3).collect::<Vec<_>>(), ["–"; 5], "{waste}");
    let fire = text.lines().find(|l| l.contains("Brann og redning i delbydelen")).unwrap();
    // A year's figure is one word ("0–4") or an estimate and its interval ("3 (1–5)").
    let mut cells: Vec<String> = Vec::new();
    for word in fire.split_whitespace().skip(5) {
        match cells.last_mut().filter(|_| word.starts_with('(')) {
            Some(figure) => figure.push_str(&format!(" {word}")),
            None => cells.push(word.to_string()),
        }
    }
    assert_eq!(cells.len(), 5, "{fire}");
    assert_eq!((cells[..3].to_vec(), cells[4].as_str()), (vec!["–".to_string(); 3], "–"), "{fire}");
}

/// A tagged PDF (PDF/UA's structure) with its title and language, whose tags read as the sheet:
/// headings, paragraphs with their words apart, a table with header cells, the map a figure.
#[test]
fn the_sheet_is_a_tagged_pdf_with_its_title_and_language() {
    let dir = tempfile::tempdir().unwrap();
    let db = db_with_a_neighbouring_site(dir.path());
    for (lang, title, figure) in [("nb", "Fakta om nærområdet", "Kart over området"), ("en", "Facts about the neighbourhood", "Map of the area")] {
        let pdf = dir.path().join(format!("{lang}.pdf"));
        let out = bomiljo(&db, &["report", "dialogue", "--at", PLANNED, "--lang", lang, "--out", pdf.to_str().unwrap()]);
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        let info = String::from_utf8_lossy(&Command::new("pdfinfo").arg(&pdf).output().expect("pdfinfo runs (poppler-utils)").stdout).to_string();
        assert!(info.lines().any(|l| l.starts_with("Tagged:") && l.ends_with("yes")), "{info}");
        assert!(info.lines().any(|l| l.starts_with("Title:") && l.ends_with(title)), "{info}");
        let bytes = std::fs::read(&pdf).unwrap();
        let holds = |needle: &[u8]| bytes.windows(needle.len()).any(|w| w == needle);
        assert!(holds(format!("/Lang({lang})").as_bytes()) || holds(format!("/Lang ({lang})").as_bytes()), "no /Lang({lang})");
        let structure = String::from_utf8_lossy(&Command::new("pdfinfo").arg("-struct-text").arg(&pdf).output().unwrap().stdout).to_string();
        for tag in ["H1", "H2", "P (block)", "Table", "TH", "TD", "Figure"] {
            assert!(structure.contains(tag), "no {tag} in the structure:\n{structure}");
        }
        assert!(structure.contains(&format!("\"{title}\"")), "{structure}");
        // The map's text alternative, in the figure's /Alt (PDF text: a UTF-16 hex string).
        let hex: String = figure.encode_utf16().map(|u| format!("{u:04X}")).collect();
        assert!(holds(format!("/Alt<FEFF{hex}").as_bytes()) || holds(format!("/Alt({figure}").as_bytes()), "no text alternative for the map");
        if lang == "nb" {
            assert!(structure.contains("en sirkel med radius"), "the words of a wrapped line run together:\n{structure}");
        }
    }
}

#[test]
fn the_first_page_renders_with_a_map() {
    let dir = tempfile::tempdir().unwrap();
    let db = db_with_a_neighbouring_site(dir.path());
    let pdf = dir.path().join("r.pdf");
    let out = bomiljo(&db, &["report", "dialogue", "--at", PLANNED, "--out", pdf.to_str().unwrap()]);
    assert!(out.status.success());
    let prefix = dir.path().join("page");
    let status = Command::new("pdftoppm").args(["-r", "50", "-png", "-f", "1", "-l", "1"]).arg(&pdf).arg(&prefix).status().expect("pdftoppm runs");
    assert!(status.success());
    let png = std::fs::read(dir.path().join("page-1.png")).unwrap();
    let decoder = png::Decoder::new(std::io::Cursor::new(png));
    let mut reader = decoder.read_info().unwrap();
    let mut buf = vec![0; reader.output_buffer_size().unwrap()];
    let info = reader.next_frame(&mut buf).unwrap();
    // A4 at 50 dpi is about 413 x 585 px.
    assert!((400..430).contains(&info.width) && (570..600).contains(&info.height), "{}x{}", info.width, info.height);
    let channels = buf.len() / (info.width * info.height) as usize;
    // The orange site marker (230, 120, 20) is drawn in the map.
    let orange = buf.chunks(channels).filter(|p| p[0] > 200 && (90..150).contains(&p[1]) && p[2] < 60).count();
    assert!(orange > 3, "the site marker is on the page ({orange} px)");
    let inked = buf.chunks(channels).filter(|p| p[0] < 200).count();
    assert!(inked > 2_000, "the page has text and a map ({inked} px)");
}

#[test]
fn the_api_serves_the_same_public_report_whoever_asks() {
    let dir = tempfile::tempdir().unwrap();
    let db = db_with_a_neighbouring_site(dir.path());
    let token = common::token(&db, "analyst");
    let server = Server::start(&db, 0).expect("server starts");
    let (status, bytes) = server.get_bytes("/api/reports/dialogue.pdf?lat=59.908458&lon=10.743331&radius=500&lang=en");
    assert_eq!(status, 200);
    assert!(bytes.starts_with(b"%PDF"));
    let pdf = dir.path().join("api.pdf");
    std::fs::write(&pdf, &bytes).unwrap();
    let text = pdftotext(&pdf);
    assert!(text.contains("Facts about the neighbourhood"), "{text}");
    assert_no_small_counts(&text, 5);
    // An analyst token changes nothing: the report is public material.
    let (_, as_analyst) = server.get_bytes_with("/api/reports/dialogue.pdf?lat=59.908458&lon=10.743331&radius=500", Some(&token));
    std::fs::write(&pdf, &as_analyst).unwrap();
    let text = pdftotext(&pdf);
    assert_no_small_counts(&text, 5);
    assert!(!text.contains("h-hemmelig"));
    let (status, body) = server.get("/api/reports/dialogue.pdf?lat=59.91&lon=10.74&radius=50");
    assert_eq!(status, 400, "{body}");
    // The siting panel's link names the chosen group: a group 7 site is "small houses", in the
    // sheet's language, not the clustered homes of the default.
    for (lang, words, not) in [("en", "small houses", "Clustered homes"), ("nb", "småhus", "samlokaliserte")] {
        let (status, bytes) = server.get_bytes(&format!("/api/reports/dialogue.pdf?lat=59.908458&lon=10.743331&radius=500&group=7&lang={lang}"));
        assert_eq!(status, 200);
        std::fs::write(&pdf, &bytes).unwrap();
        let text = pdftotext(&pdf).to_lowercase();
        assert!(text.contains(words) && !text.contains(&not.to_lowercase()), "{lang}: {text}");
    }
    assert_eq!(server.get("/api/reports/dialogue.pdf?lat=59.908458&lon=10.743331&group=9").0, 400);
    assert!(server.stop());
}

/// The sheet for PLANNED with the texts in `cfg`, as text; or the command's error.
fn sheet_with_config(db: &Path, cfg: &Path, lang: &str) -> Result<String, String> {
    let pdf = cfg.join(format!("sheet-{lang}.pdf"));
    let out = Command::new(env!("CARGO_BIN_EXE_bomiljo"))
        .args(["--db", db.to_str().unwrap(), "--config", cfg.to_str().unwrap()])
        .args(["report", "dialogue", "--at", PLANNED, "--radius", "500", "--lang", lang, "--out", pdf.to_str().unwrap()])
        .env("BOMILJO_LOG", "warn")
        .output()
        .unwrap();
    if out.status.success() { Ok(pdftotext(&pdf)) } else { Err(String::from_utf8_lossy(&out.stderr).into_owned()) }
}

#[test]
fn contacts_come_from_the_bydels_entry_and_no_placeholder_is_ever_printed() {
    let dir = tempfile::tempdir().unwrap();
    let db = db_with_a_neighbouring_site(dir.path());
    let cfg = common::copy_config(dir.path());
    let texts = cfg.join("texts/dialogue.toml");
    let shipped = std::fs::read_to_string(&texts).unwrap();
    // As shipped: no bydel has filled in its entry, so the sheet says whom to ask instead.
    let text = sheet_with_config(&db, &cfg, "nb").unwrap();
    assert!(text.contains("Bydelen oppgir kontaktperson"), "{text}");
    assert!(!text.contains('[') && !text.contains(']'), "a placeholder was printed:\n{text}");
    // An entry still holding a placeholder is left out, not printed.
    let half_done = "\n[contacts.\"01\"]\nperson = \"[navn]\"\nphone = \"21 80 21 80\"\nemail = \"post@bydel.no\"\nmeeting_nb = \"Skolen, 12. mars\"\nmeeting_en = \"The school, 12 March\"\n";
    std::fs::write(&texts, format!("{}{half_done}", shipped.replace("[contacts]\n", ""))).unwrap();
    let text = sheet_with_config(&db, &cfg, "nb").unwrap();
    assert!(!text.contains("[navn]") && text.contains("Bydelen oppgir kontaktperson"), "{text}");
    // Filled in: the bydel's person and meeting, the meeting in the sheet's language.
    std::fs::write(&texts, format!("{}{}", shipped.replace("[contacts]\n", ""), half_done.replace("[navn]", "Kari Nordmann"))).unwrap();
    let text = sheet_with_config(&db, &cfg, "nb").unwrap();
    assert!(text.contains("Kontaktperson i bydelen: Kari Nordmann, 21 80 21 80, post@bydel.no") && text.contains("Nabomøte: Skolen, 12. mars"), "{text}");
    let text = sheet_with_config(&db, &cfg, "en").unwrap();
    assert!(text.contains("Neighbour meeting: The school, 12 March"), "{text}");
    // Both languages laid out without a word on top of another, every page rendered.
    for lang in ["nb", "en"] {
        let pdf = cfg.join(format!("sheet-{lang}.pdf"));
        assert_eq!(common::overlapping_words(&pdf), Vec::<String>::new(), "{lang}");
        assert!(common::render_pages(&pdf, dir.path()).len() >= 2, "{lang}");
    }
    // A placeholder in a printed text refuses the sheet and says where.
    std::fs::write(&texts, shipped.replace("intro = \"Dette faktaarket", "intro = \"[bydel] Dette faktaarket")).unwrap();
    let err = sheet_with_config(&db, &cfg, "nb").unwrap_err();
    assert!(err.contains("dialogue.toml") && err.contains("[nb] still holds the placeholder '[bydel]'"), "{err}");
}

/// With Oslo's streets imported, the sheet's map names streets near the site (so neighbours can
/// place the circle) and credits OpenStreetMap. Which streets are near is worked out here from
/// the file, in local metres around the site.
#[test]
fn the_map_names_the_streets_around_the_site_and_credits_openstreetmap() {
    let dir = tempfile::tempdir().unwrap();
    let db = db_with_a_neighbouring_site(dir.path());
    let roads = common::oslo("osm_roads_sentrum.geojson");
    import_ok(&db, "roads", &roads, &[]);
    let pdf = dir.path().join("gater.pdf");
    let out = bomiljo(&db, &["report", "dialogue", "--at", PLANNED, "--radius", "300", "--out", pdf.to_str().unwrap()]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let page_one = pdftotext(&pdf).split('\u{c}').next().unwrap().to_string();
    // The credit in the map itself (the caption under it says "gater (OpenStreetMap)").
    assert!(page_one.contains("OpenStreetMap-bidragsytere"), "{page_one}");
    // Metres from the site on a local plane (well under 1 m off within a few km).
    let (lat0, lon0) = (59.908458_f64, 10.743331_f64);
    let metres = |c: &serde_json::Value| {
        let (lon, lat) = (c[0].as_f64().unwrap(), c[1].as_f64().unwrap());
        ((lon - lon0) * 111_320.0 * lat0.to_radians().cos(), (lat - lat0) * 110_574.0)
    };
    let file: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&roads).unwrap()).unwrap();
    let mut near = std::collections::BTreeSet::new();
    for way in file["features"].as_array().unwrap() {
        let Some(name) = way["properties"]["name"].as_str() else { continue };
        let closest = way["geometry"]["coordinates"].as_array().unwrap().iter().map(&metres).map(|(x, y)| x.hypot(y)).fold(f64::MAX, f64::min);
        if closest < 250.0 {
            near.insert(name);
        }
    }
    let near_named = near.iter().filter(|n| page_one.contains(*n)).count();
    assert!(near_named >= 2, "of the streets within 250 m ({near:?}) the map names {near_named}:\n{page_one}");
}
