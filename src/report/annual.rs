//! The annual bomiljø report: one HTML page per bydel with a map of its delbydeler (incidents per
//! 1,000 inhabitants, hot spots outlined), the indicator table, trends, the emerging hot and cold
//! spots over the years and the aggregate before/after result, in bokmål.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use super::pdf::{AreaMap, Block};
use super::svg::{View, escape};
use crate::analysis::indicators::Indicator;
use crate::config::Config;
use crate::measurement::{self, BeforeAfterParams, Emerging, EmergingParams, Geography, HotspotParams, Incidents, Level, SeriesParams};
use crate::privacy::Policy;
use crate::release::Release;
use crate::render::ramp;
use crate::siting::need::NeedBook;
use crate::store::AreaRow;

#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    #[error("cannot write report {path}: {source}")]
    Write { path: PathBuf, source: std::io::Error },
    #[error(transparent)]
    Measure(#[from] measurement::MeasureError),
    #[error(transparent)]
    Store(#[from] crate::store::StoreError),
    #[error(transparent)]
    Config(#[from] crate::config::ConfigError),
    #[error(transparent)]
    Pdf(#[from] super::pdf::PdfError),
}

/// Writes `index.html` and one `bydel-XX.html` per bydel into `out`; returns the files written.
/// With `pdf`, each bydel is also written as `bydel-XX.pdf`.
///
/// The public version is computed from the public release only (`Incidents::Released`, the
/// policy's role public); the internal one (analyst role) from the raw incidents. `release`
/// gives the intro's accuracy sentence either way.
#[allow(clippy::too_many_arguments)]
pub fn write(
    geography: &Geography,
    need: &NeedBook,
    incidents: Incidents,
    release: &Release,
    config: &Config,
    year: i32,
    policy: &Policy,
    out: &Path,
    pdf: bool,
) -> Result<Vec<PathBuf>, ReportError> {
    std::fs::create_dir_all(out).map_err(|source| ReportError::Write { path: out.to_path_buf(), source })?;
    let rows = policy.apply(measurement::measure(geography, incidents, config, year, Level::Delbydel)?);
    let bydel_rows = policy.apply(measurement::measure(geography, incidents, config, year, Level::Bydel)?);
    let areas = &geography.areas;
    let bydel_names = &geography.bydel_names;
    let hot = policy.apply(measurement::hotspots(geography, incidents, config, &HotspotParams { year: Some(year), ..HotspotParams::default() })?);
    let experience = match incidents {
        Incidents::Raw(db) => policy.apply(measurement::before_after(&db, &BeforeAfterParams::default())?).conclusion_nb,
        Incidents::Released(release) => release.settings.before_after.conclusion_nb.clone(),
    };
    // Over every year with data from every source; too few years is said, not left blank.
    let emerging = match measurement::emerging(geography, incidents, config, &EmergingParams::default()) {
        Ok(found) => Some(found),
        Err(measurement::MeasureError::BadParameter(_)) => None,
        Err(e) => return Err(e.into()),
    };
    let intro = intro(policy, release);
    // Trends of every delbydel first: "signifikant" holds across the whole report (BH).
    let all_trends = trend_rows(geography, config, incidents, &areas.iter().collect::<Vec<_>>(), policy)?;
    let mut by_bydel: BTreeMap<String, Vec<&AreaRow>> = BTreeMap::new();
    for a in areas {
        by_bydel.entry(a.parent_code.clone().unwrap_or_else(|| "?".into())).or_default().push(a);
    }
    let mut written = Vec::new();
    let mut index = page_head(&format!("Bomiljømåling {year}"));
    writeln!(index, "<h1>Bomiljømåling {year}</h1><p>{}</p><ul>", intro).ok();
    for (bydel, members) in &by_bydel {
        let name = bydel_names.get(bydel).cloned().unwrap_or_else(|| format!("Bydel {bydel}"));
        let file = out.join(format!("bydel-{bydel}.html"));
        let mut html = page_head(&format!("Bomiljømåling {year} – {name}"));
        writeln!(html, "<h1>Bomiljømåling {year}: {}</h1><p>{}</p>", escape(&name), intro).ok();
        let own: Vec<&Indicator> = rows.iter().filter(|r| r.bydel.as_deref() == Some(bydel.as_str())).collect();
        let totals: Vec<&Indicator> = bydel_rows.iter().filter(|r| r.code == *bydel).collect();
        html.push_str(&summary(&totals));
        html.push_str(&map(members, &own, &hot.cells));
        html.push_str(&table(&own));
        let trends: Vec<TrendRow> = all_trends.iter().filter(|t| members.iter().any(|a| a.code == t.code)).cloned().collect();
        html.push_str(&trends_html(&trends));
        let emerging_text = emerging_paragraph(&emerging, members);
        writeln!(html, "<h2>{EMERGING_HEADING}</h2><p>{}</p>", escape(&emerging_text)).ok();
        writeln!(html, "<h2>Erfaring fra etablerte boliger</h2><p>{}</p>", escape(&experience)).ok();
        let need_figures = need_table(need, bydel, year, policy);
        html.push_str(&need_html(&need_figures));
        html.push_str(&method(policy));
        html.push_str("</body></html>\n");
        std::fs::write(&file, html).map_err(|source| ReportError::Write { path: file.clone(), source })?;
        if pdf {
            let figures = BydelFigures { members, totals: &totals, rows: &own, trends: &trends, emerging: &emerging_text, need: &need_figures };
            let blocks = pdf_blocks(&format!("Bomiljømåling {year}: {name}"), policy, &intro, &figures, &experience);
            let pdf_file = out.join(format!("bydel-{bydel}.pdf"));
            std::fs::write(&pdf_file, super::pdf::write(&format!("Bomiljømåling {year}"), "nb", &blocks)?)
                .map_err(|source| ReportError::Write { path: pdf_file.clone(), source })?;
            written.push(pdf_file);
        }
        writeln!(index, "<li><a href=\"bydel-{bydel}.html\">{}</a></li>", escape(&name)).ok();
        written.push(file);
    }
    index.push_str("</ul></body></html>\n");
    let index_path = out.join("index.html");
    std::fs::write(&index_path, index).map_err(|source| ReportError::Write { path: index_path.clone(), source })?;
    written.insert(0, index_path);
    Ok(written)
}

const NEED_HEADING: &str = "Boligbehov";

/// The bydel's housing need per matrix group from the survey a report on `year` shows: a
/// sentence saying which survey (or that there is none), and a table whose first row is the
/// header. Staff reports add the homes in place, planned and the gap; the public one shows the
/// need only, as the city publishes it.
struct NeedFigures {
    caption: String,
    rows: Vec<Vec<String>>,
}

fn need_table(need: &NeedBook, bydel: &str, year: i32, policy: &Policy) -> NeedFigures {
    let supply = policy.role.is_internal();
    if !supply && !need.is_public() {
        return NeedFigures { caption: "Boligbehovet per bydel er ikke offentlig her.".into(), rows: Vec::new() };
    }
    let Some(survey) = need.survey_for(year) else {
        return NeedFigures { caption: format!("Ingen boligbehovskartlegging for {year} eller tidligere er lagt inn."), rows: Vec::new() };
    };
    let mut header = vec!["Gruppe".to_string(), "Behov".to_string()];
    if supply {
        header.extend(["I drift", "Planlagt", "Mangler", "Mangler fortsatt"].map(String::from));
    }
    let mut rows = vec![header];
    let whole = |v: i64| super::number(v as f64, 0, true);
    let number = |v: Option<i64>| v.map_or("ikke kartlagt".to_string(), whole);
    for group in crate::siting::need::GROUPS {
        let b = need.balance(survey, Some(bydel), group);
        let mut row = vec![group.to_string(), number(b.needed)];
        if supply {
            let known = |v: Option<i64>| v.map(whole).unwrap_or_default();
            row.extend([known(b.in_place), known(b.planned), known(b.gap), known(b.gap_after_planned)]);
        }
        rows.push(row);
    }
    let caption = format!(
        "Boliger bydelen har meldt behov for per gruppe i matrisen (boligbehovskartlegging {survey}).{}",
        if supply {
            format!(
                " «I drift»: boliger åpnet innen utgangen av {survey}; «planlagt»: åpnet etter det eller i en vedtatt plan; «mangler fortsatt»: behovet minus begge.{}",
                if need.housing_known() { "" } else { " Boliglaget er ikke importert: hvor mange boliger som finnes, er ukjent." }
            )
        } else {
            String::new()
        }
    );
    NeedFigures { caption, rows }
}

fn need_html(need: &NeedFigures) -> String {
    let mut s = format!("<h2>{NEED_HEADING}</h2><p>{}</p>", escape(&need.caption));
    if let Some((header, body)) = need.rows.split_first() {
        s.push_str("<table><thead><tr>");
        for h in header {
            write!(s, "<th>{}</th>", escape(h)).ok();
        }
        s.push_str("</tr></thead><tbody>");
        for row in body {
            s.push_str("<tr>");
            for cell in row {
                write!(s, "<td>{}</td>", escape(cell)).ok();
            }
            s.push_str("</tr>");
        }
        s.push_str("</tbody></table>");
    }
    s
}

fn page_head(title: &str) -> String {
    format!(
        "<!doctype html><html lang=\"nb\"><head><meta charset=\"utf-8\"><title>{}</title><style>\
         body{{font-family:system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;color:#222}}\
         table{{border-collapse:collapse;width:100%;font-size:.9rem}}th,td{{padding:.2rem .4rem;border-bottom:1px solid #ddd;text-align:right}}\
         th:nth-child(-n+3),td:nth-child(-n+3){{text-align:left}}.note{{color:#555;font-size:.85rem}}\
         </style></head><body>",
        escape(title)
    )
}

fn intro(policy: &Policy, release: &Release) -> String {
    if policy.role.is_internal() {
        "Intern versjon: registrerte tall, alle vises, også små.".into()
    } else {
        format!("{} Tall under {} vises som «&lt;{}».", escape(&release.accuracy_nb()), policy.k, policy.k)
    }
}

fn source_nb(source: &str) -> &str {
    match source {
        "fire" => "brann og redning",
        "police" => "politi",
        "waste" => "renovasjon",
        other => other,
    }
}

fn fmt(v: Option<f64>, digits: usize) -> String {
    v.map_or("–".into(), |v| super::number(v, digits, true))
}

/// A rate per 1,000 as printed: the release's unbiased estimate can fall below 0 where there
/// are few incidents, but no area has fewer than none (the interval tells the uncertainty).
fn rate(r: &Indicator) -> String {
    fmt(r.rate_per_1000.map(|v| v.max(0.0)), 1)
}

fn summary_lines(totals: &[&Indicator]) -> Vec<String> {
    totals
        .iter()
        .map(|t| {
            let change = match (t.change, t.q_value) {
                (Some(c), Some(q)) if q < 0.05 => format!(
                    "en endring på {} fra året før, som er statistisk signifikant også etter korreksjon for mange tester (q = {})",
                    super::signed(c as f64, 0),
                    fmt(Some(q), 3)
                ),
                (Some(c), Some(q)) => {
                    format!("en endring på {} fra året før, innenfor det som kan skyldes tilfeldigheter (q = {})", super::signed(c as f64, 0), fmt(Some(q), 2))
                }
                (Some(c), None) => format!("en endring på {} fra året før", super::signed(c as f64, 0)),
                _ => "ingen sammenligning med året før".into(),
            };
            format!("{}: {} hendelser ({} per 1 000 innbyggere), {change}.", capitalise(source_nb(&t.source)), super::count(&t.count), rate(t))
        })
        .collect()
}

fn summary(totals: &[&Indicator]) -> String {
    let items: String = summary_lines(totals).iter().map(|l| format!("<li>{}</li>", escape(l))).collect();
    format!("<h2>Sammendrag</h2><ul>{items}</ul>")
}

fn capitalise(s: &str) -> String {
    let mut c = s.chars();
    c.next().map(|f| f.to_uppercase().chain(c).collect()).unwrap_or_default()
}

/// The choropleth of all sources per 1,000 inhabitants, with hot spots outlined.
fn map(members: &[&AreaRow], rows: &[&Indicator], hot: &[measurement::HotspotCell]) -> String {
    let Some(view) = View::fit(members.iter().map(|a| &a.polygon), 640.0) else {
        return String::new();
    };
    let rate = rates_by_area(rows);
    let max = rate.values().copied().fold(0.0, f64::max).max(1e-9);
    let mut svg = format!(
        "<h2>Kart</h2><svg viewBox=\"-10 -10 {:.0} {:.0}\" width=\"100%\" style=\"max-width:640px\" role=\"img\" aria-label=\"Hendelser per 1 000 innbyggere per delbydel\">",
        view.width + 20.0,
        view.height + 60.0
    );
    for a in members {
        let fill = rate.get(a.code.as_str()).map_or("#dddddd".into(), |v| ramp::hex(ramp::viridis(v / max)));
        writeln!(
            svg,
            "<path d=\"{}\" fill=\"{fill}\" stroke=\"#fff\" stroke-width=\"1\" fill-rule=\"evenodd\"><title>{} {}</title></path>",
            view.path(&a.polygon),
            a.code,
            escape(a.name.as_deref().unwrap_or(""))
        )
        .ok();
    }
    let inside_bydel = |c: &&measurement::HotspotCell| {
        let n = c.ring.len().saturating_sub(1).max(1) as f64;
        let (sx, sy) = c.ring.iter().take(c.ring.len().saturating_sub(1)).fold((0.0, 0.0), |(a, b), [x, y]| (a + x, b + y));
        let centre = geo::Point::new(sx / n, sy / n);
        members.iter().any(|a| geo::Intersects::intersects(&a.polygon, &centre))
    };
    for (x, y, label) in area_labels(members, &rate) {
        let (px, py) = view.point(x, y);
        writeln!(
            svg,
            "<text x=\"{px:.1}\" y=\"{py:.1}\" font-size=\"11\" text-anchor=\"middle\" fill=\"#111\" stroke=\"#fff\" stroke-width=\"3\" paint-order=\"stroke\">{}</text>",
            escape(&label)
        )
        .ok();
    }
    for c in hot.iter().filter(|c| c.class.level() >= 2).filter(inside_bydel) {
        let points: Vec<String> = c.ring.iter().map(|[x, y]| view.point(*x, *y)).map(|(px, py)| format!("{px:.1},{py:.1}")).collect();
        writeln!(svg, "<polygon points=\"{}\" fill=\"none\" stroke=\"#000\" stroke-width=\"1.5\"/>", points.join(" ")).ok();
    }
    let bar_m = crate::render::round_length(view.metres_per_unit() * 120.0);
    let bar = bar_m / view.metres_per_unit();
    writeln!(
        svg,
        "<g transform=\"translate(0,{:.0})\"><rect width=\"{bar:.1}\" height=\"4\" fill=\"#222\"/><text y=\"18\" font-size=\"11\">{} m</text>\
         <text x=\"{:.0}\" y=\"18\" font-size=\"11\">▲ N · Firkanter: varme punkter (Gi*, minst 95 % sikkerhet)</text></g></svg>",
        view.height + 20.0,
        bar_m,
        bar + 20.0
    )
    .ok();
    svg.push_str("<p class=\"note\">Hendelser per 1 000 innbyggere (alle kilder): ");
    for i in 0..5 {
        let (lo, hi) = (max * f64::from(i) / 5.0, max * f64::from(i + 1) / 5.0);
        let colour = ramp::hex(ramp::viridis((f64::from(i) + 0.5) / 5.0));
        write!(
            svg,
            "<span style=\"display:inline-block;width:1em;height:1em;background:{colour};vertical-align:middle\"></span> {}–{} ",
            fmt(Some(lo), 0),
            fmt(Some(hi), 0)
        )
        .ok();
    }
    svg.push_str("</p>");
    svg
}

/// The change from the year before as the tables print it.
fn change(r: &Indicator) -> String {
    r.change.map_or("–".into(), |c| super::signed(c as f64, 0))
}

/// Whether any row has a tested change: the public release carries no per-area test (its
/// changes are differences of two estimates), so its tables leave the q column out rather than
/// print "–" in every row.
fn tested(rows: &[&Indicator]) -> bool {
    rows.iter().any(|r| r.q_value.is_some())
}

fn table(rows: &[&Indicator]) -> String {
    let q = tested(rows);
    let mut s = format!(
        "<h2>Indikatorer per delbydel</h2><table><thead><tr><th>Kode</th><th>Delbydel</th><th>Kilde</th><th>Antall</th>\
         <th>Per 1 000</th><th>Per km²</th><th>Endring</th>{}<th>Mot byen</th><th>Rang</th></tr></thead><tbody>\n",
        if q { "<th>q</th>" } else { "" }
    );
    for r in rows {
        writeln!(
            s,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td>{}<td>{}</td><td>{}</td></tr>",
            r.code,
            escape(r.name.as_deref().unwrap_or("")),
            source_nb(&r.source),
            escape(&super::count(&r.count)),
            rate(r),
            fmt(r.per_km2.map(|v| v.max(0.0)), 0),
            change(r),
            if q { format!("<td>{}</td>", fmt(r.q_value, 3)) } else { String::new() },
            fmt(r.ratio_to_city, 2),
            r.rank.map_or("–".into(), |k| format!("{k} av {}", r.ranked))
        )
        .ok();
    }
    s.push_str("</tbody></table>");
    s
}

/// One row of the trend table: code, name, yearly counts as shown, and the trend in words.
#[derive(Clone)]
struct TrendRow {
    code: String,
    name: String,
    counts: String,
    /// Year, the count when shown exactly, and the count as shown ("<5").
    points: Vec<(i32, Option<f64>, String)>,
    trend: String,
}

/// The trend rows of `areas`; a trend is "signifikant" when its p-value, adjusted by
/// Benjamini-Hochberg over every trend of the report, is below 0.05 (about 5 of 100 delbydeler
/// pass p < 0.05 in a city without any trend).
fn trend_rows(geography: &Geography, config: &Config, incidents: Incidents, areas: &[&AreaRow], policy: &Policy) -> Result<Vec<TrendRow>, ReportError> {
    let mut series = Vec::with_capacity(areas.len());
    for a in areas {
        series.push(policy.apply(measurement::series(
            geography,
            config,
            incidents,
            &SeriesParams { code: Some(a.code.clone()), source: None, category: None, monthly: false, trend_years: Some(5) },
        )?));
    }
    let tested: Vec<usize> = (0..series.len()).filter(|&i| series[i].trend.is_some()).collect();
    let q = crate::analysis::fdr::benjamini_hochberg(&tested.iter().filter_map(|&i| series[i].trend.map(|t| t.p_value)).collect::<Vec<_>>());
    let q_of = |i: usize| tested.iter().position(|&t| t == i).map(|k| q[k]);
    Ok(areas
        .iter()
        .zip(&series)
        .enumerate()
        .map(|(i, (a, series))| {
            let counts: Vec<String> = series.points.iter().map(|p| format!("{}: {}", p.year, super::count(&p.count))).collect();
            let points = series.points.iter().map(|p| (p.year, p.count.figure().map(|f| f.estimate.max(0.0)), super::count(&p.count))).collect();
            let trend = series.trend.zip(q_of(i)).map_or("–".into(), |(t, q)| {
                let sig = if q < 0.05 { "signifikant etter korreksjon for mange tester" } else { "ikke signifikant" };
                format!(
                    "{} % per år ({sig}; variasjon mellom årene {} ganger det tilfeldigheter alene gir)",
                    super::signed(t.pct_per_year, 1),
                    fmt(Some(t.dispersion), 1)
                )
            });
            TrendRow { code: a.code.clone(), name: a.name.clone().unwrap_or_default(), counts: counts.join(" · "), points, trend }
        })
        .collect())
}

fn trends_html(rows: &[TrendRow]) -> String {
    let mut s = String::from(
        "<h2>Utvikling</h2><table><thead><tr><th>Kode</th><th>Delbydel</th><th>Hendelser per år</th><th>Trend siste 5 år</th></tr></thead><tbody>",
    );
    for r in rows {
        writeln!(s, "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>", r.code, escape(&r.name), escape(&r.counts), r.trend).ok();
    }
    s.push_str("</tbody></table>");
    s
}

/// Rate per 1,000 inhabitants per delbydel, all sources summed (areas without one left out),
/// for the map: the sum of the estimates, shown as 0 where it falls below.
fn rates_by_area<'a>(rows: &[&'a Indicator]) -> BTreeMap<&'a str, f64> {
    let mut rate: BTreeMap<&str, f64> = BTreeMap::new();
    for r in rows {
        if let Some(v) = r.rate_per_1000 {
            *rate.entry(r.code.as_str()).or_default() += v;
        }
    }
    rate.values_mut().for_each(|v| *v = v.max(0.0));
    rate
}

/// Years of the series the PDF shows per delbydel (the HTML shows every year).
const PDF_YEARS: usize = 8;

/// What one bydel's page shows: its delbydeler, the bydel's totals, the delbydel rows, the trends.
#[derive(Clone, Copy)]
struct BydelFigures<'a> {
    members: &'a [&'a AreaRow],
    totals: &'a [&'a Indicator],
    rows: &'a [&'a Indicator],
    trends: &'a [TrendRow],
    emerging: &'a str,
    need: &'a NeedFigures,
}

const EMERGING_HEADING: &str = "Fremvoksende varme og kalde soner";

/// The bydel's emerging patterns in a paragraph: how many 250 m cells (200 m on raw incidents)
/// have each pattern, and in which delbydeler; or why there are none to tell.
fn emerging_paragraph(emerging: &Option<Emerging>, members: &[&AreaRow]) -> String {
    let Some(found) = emerging else {
        return "Kan ikke beregnes ennå: mønstre over tid trenger minst 3 år der hver kilde har data.".into();
    };
    let name = |code: &str| members.iter().find(|a| a.code == code).map(|a| a.name.clone().unwrap_or_else(|| a.code.clone()));
    let mut by_label: BTreeMap<&str, (usize, std::collections::BTreeSet<String>)> = BTreeMap::new();
    for cell in &found.cells {
        if let Some(area) = cell.delbydel.as_deref().and_then(name) {
            let entry = by_label.entry(cell.label.as_str()).or_default();
            entry.0 += 1;
            entry.1.insert(area);
        }
    }
    let span = format!("{}–{} ({})", found.years.0, found.years.1, found.sources.iter().map(|s| source_nb(s)).collect::<Vec<_>>().join(", "));
    if by_label.is_empty() {
        return format!("{span}: ingen celler i bydelen med et mønster over årene.");
    }
    let parts: Vec<String> = by_label
        .into_iter()
        .map(|(label, (cells, areas))| {
            format!("{cells} {} med {label} ({})", if cells == 1 { "celle" } else { "celler" }, areas.into_iter().collect::<Vec<_>>().join(", "))
        })
        .collect();
    format!("{span}: {}. Mønstrene følger Esris definisjoner (Gi* per år med forrige år som nabo, Mann-Kendall på utviklingen).", parts.join("; "))
}

/// The same report as PDF blocks: summary, the map, the indicator table, a bar chart and the
/// trend per delbydel.
fn pdf_blocks(title: &str, policy: &Policy, intro: &str, bydel: &BydelFigures, conclusion: &str) -> Vec<Block> {
    let BydelFigures { members, totals, rows, trends, emerging, .. } = *bydel;
    let map = area_map(members, rows);
    let mut blocks = vec![Block::Title(title.to_string()), Block::Note(intro.replace("&lt;", "<")), Block::Heading("Sammendrag".into())];
    blocks.extend(summary_lines(totals).into_iter().map(Block::Text));
    blocks.push(Block::Heading("Kart".into()));
    blocks.push(Block::Areas(map));
    blocks.push(Block::Note(
        "Hendelser per 1 000 innbyggere, alle kilder, på en skala fra 0 (mørk lilla) til bydelens høyeste (lys gul); grå er ingen tall.".into(),
    ));
    blocks.push(Block::Heading("Indikatorer per delbydel".into()));
    let q = tested(rows);
    let header = ["Delbydel", "Kilde", "Antall", "Per 1 000", "Endring", "q", "Rang"].into_iter().filter(|h| q || *h != "q");
    let mut table = vec![header.map(String::from).collect::<Vec<_>>()];
    for r in rows {
        let mut row =
            vec![format!("{} {}", r.code, r.name.as_deref().unwrap_or("")), source_nb(&r.source).to_string(), super::count(&r.count), rate(r), change(r)];
        if q {
            row.push(fmt(r.q_value, 3));
        }
        row.push(r.rank.map_or("–".into(), |k| format!("{k}/{}", r.ranked)));
        table.push(row);
    }
    blocks.push(Block::Table(table));
    blocks.push(Block::Heading("Utvikling, alle kilder".into()));
    for t in trends {
        let recent = &t.points[t.points.len().saturating_sub(PDF_YEARS)..];
        let bars = recent.iter().map(|(year, value, shown)| (year.to_string(), *value, shown.clone())).collect();
        blocks.push(Block::Bars { label: format!("{} {} – trend: {}", t.code, t.name, t.trend), bars });
    }
    blocks.push(Block::Heading(EMERGING_HEADING.into()));
    blocks.push(Block::Text(emerging.to_string()));
    blocks.push(Block::Heading("Erfaring fra etablerte boliger".into()));
    blocks.push(Block::Text(conclusion.to_string()));
    blocks.push(Block::Heading(NEED_HEADING.into()));
    blocks.push(Block::Text(bydel.need.caption.clone()));
    if bydel.need.rows.len() > 1 {
        blocks.push(Block::Table(bydel.need.rows.clone()));
    }
    blocks.push(Block::Note(method_text(policy)));
    blocks
}

/// The PDF's choropleth: each delbydel of the bydel by its rate per 1,000 (all sources), on the
/// HTML map's ramp.
fn area_map(members: &[&AreaRow], rows: &[&Indicator]) -> AreaMap {
    let rate = rates_by_area(rows);
    let max = rate.values().copied().fold(0.0, f64::max).max(1e-9);
    AreaMap {
        areas: members.iter().map(|a| (a.polygon.clone(), rate.get(a.code.as_str()).map(|v| ramp::viridis(v / max)))).collect(),
        labels: area_labels(members, &rate),
    }
}

/// Each delbydel's name and rate per 1,000 at a point inside it.
fn area_labels(members: &[&AreaRow], rate: &BTreeMap<&str, f64>) -> Vec<(f64, f64, String)> {
    members
        .iter()
        .filter_map(|a| {
            let at = geo::InteriorPoint::interior_point(&a.polygon)?;
            let name = a.name.clone().unwrap_or_else(|| a.code.clone());
            Some((at.x(), at.y(), format!("{name} {}", fmt(rate.get(a.code.as_str()).copied(), 1))))
        })
        .collect()
}

fn method_text(policy: &Policy) -> String {
    format!(
        "Om tallene: Hendelser fra brann og redning, politi og renovasjon er anonymisert: posisjoner er flyttet til midten av en rute på 100 × 100 m, og fritekst er fjernet. \
         Rater er per 1 000 innbyggere etter befolkningsrutenettet. {change} \
         Trender er en kvasi-Poisson log-lineær regresjon over de siste fem årene: spredningen mellom årene (dispersjonen, 1 = som Poisson) er estimert, \
         og når tallene varierer mer enn en Poisson-modell tillater, blir intervallene og p-verdiene tilsvarende bredere. \
         Varme punkter er beregnet med Getis-Ord Gi* på 250 m-ruter med naboer innen 500 m, korrigert for mange tester (Benjamini-Hochberg). \
         Et år før en kilde har data, sammenlignes ikke; et år uten hendelser innenfor kildens år teller som 0. \
         Hendelser som ligger utenfor alle delbydeler (på sjøen eller utenfor kommunegrensen) er ikke med i noen sum, heller ikke i bydels- og bytotaler. \
         Tall under {k} vises som «<{k}», og verdier som kan avsløre dem er utelatt.",
        k = policy.k,
        change = if policy.role.is_internal() {
            "Endring fra året før er testet med en eksakt Poisson-test (betinget binomisk), og p-verdiene er korrigert for mange tester over alle delbydeler for samme kilde (Benjamini-Hochberg, q-verdier)."
        } else {
            "Tallene er fra den offentlige utgivelsen, med tilfeldig støy for å verne personvernet; endringer vises uten test, siden en eksakt test av tall med støy ville overdrive sikkerheten."
        }
    )
}

fn method(policy: &Policy) -> String {
    format!("<h2>Om tallene</h2><p class=\"note\">{}</p>", escape(method_text(policy).trim_start_matches("Om tallene: ")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::emerging::{Kind, Pattern};

    fn area(code: &str, name: &str) -> AreaRow {
        AreaRow {
            code: code.into(),
            name: Some(name.into()),
            parent_code: Some("01".into()),
            population: None,
            area_m2: 0.0,
            polygon: geo::MultiPolygon(vec![]),
        }
    }

    fn cell(pattern: Pattern, delbydel: &str) -> measurement::EmergingCell {
        measurement::EmergingCell {
            ring: Vec::new(),
            centre: [0.0, 0.0],
            pattern,
            label: pattern.label(true),
            delbydel: Some(delbydel.into()),
            states: Vec::new(),
            z: Vec::new(),
            trend_z: None,
            trend_p: None,
        }
    }

    #[test]
    fn the_paragraph_counts_each_pattern_and_names_its_delbydeler() {
        let (vest, nord) = (area("0101", "Vest"), area("0102", "Nord"));
        let members = [&vest, &nord];
        let hot = Pattern::Hot(Kind::Intensifying);
        let cells = vec![cell(hot, "0102"), cell(hot, "0101"), cell(hot, "0101"), cell(Pattern::Cold(Kind::New), "0101"), cell(hot, "0202")];
        let found = Emerging { years: (2019, 2025), sources: vec!["police".into(), "fire".into()], cells, summary: BTreeMap::new() };
        let text = emerging_paragraph(&Some(found), &members);
        assert!(text.starts_with("2019–2025 (politi, brann og redning): "), "{text}");
        // 0202 is another bydel's: not counted here.
        assert!(text.contains("1 celle med ny kald sone (Vest); 3 celler med tiltagende varm sone (Nord, Vest)."), "{text}");
        assert!(emerging_paragraph(&None, &members).contains("minst 3 år"));
    }
}
