//! A small PDF writer for reports (krilla, fonts embedded): lays out [`Block`]s on A4 pages with
//! DejaVu Sans (æøå included), and draws maps as vector graphics with a scale bar and a north
//! arrow, with no GPU, browser or network.

use geo::MultiPolygon;
use krilla::Document;
use krilla::color::rgb;
use krilla::geom::{PathBuilder, Point};
use krilla::metadata::Metadata;
use krilla::num::NormalizedF32;
use krilla::page::PageSettings;
use krilla::paint::{Fill, Stroke, StrokeDash};
use krilla::surface::Surface;
use krilla::tagging::{Artifact, ArtifactType, ContentTag, SpanTag, TableHeaderScope, Tag, TagGroup, TagKind, TagTree};
use krilla::text::{Font, TextDirection};

use crate::analysis::grid::Grid;

#[derive(Debug, thiserror::Error)]
#[error("cannot write the PDF: {0}")]
pub struct PdfError(String);

/// A piece of a report, in reading order.
#[derive(Clone, Debug)]
pub enum Block {
    Title(String),
    Heading(String),
    Bold(String),
    Text(String),
    Note(String),
    /// Rows of cells; the first row is the header. Columns are as wide as their widest cell;
    /// columns of numbers are right-aligned.
    Table(Vec<Vec<String>>),
    Map(Box<MapBlock>),
    /// Areas coloured by a value (a choropleth), with a scale bar and a north arrow.
    Areas(AreaMap),
    /// A labelled row of bars (one per year), values written above them; `None` is a gap.
    Bars {
        label: String,
        bars: Vec<(String, Option<f64>, String)>,
    },
    PageBreak,
}

/// A choropleth in EPSG:25832: each area's polygon and fill colour (`None`: no data, grey).
#[derive(Clone, Debug)]
pub struct AreaMap {
    pub areas: Vec<(MultiPolygon<f64>, Option<[u8; 3]>)>,
    /// Names and figures at points inside the areas, drawn where they fit.
    pub labels: Vec<(f64, f64, String)>,
}

/// A map in EPSG:25832: boundaries, a heat grid, the site and its radius.
#[derive(Clone, Debug)]
pub struct MapBlock {
    pub bbox: [f64; 4],
    pub boundaries: Vec<MultiPolygon<f64>>,
    pub grid: Grid,
    /// Value per grid cell; `None` is blank.
    pub heat: Vec<Option<f64>>,
    pub site: (f64, f64),
    pub radius_m: f64,
    /// Place names (delbydeler) at points inside them, so neighbours can find their way.
    pub labels: Vec<(f64, f64, String)>,
    /// Streets in view, and their names (each once), drawn under the boundaries and names.
    pub streets: Vec<StreetLine>,
    pub street_names: Vec<(f64, f64, String)>,
    /// The credit the streets' data needs, printed under the map when streets are drawn.
    pub credit: Option<String>,
    /// The area reached by car along the streets from the site in some minutes, where the street
    /// network covers it.
    pub reach: Option<(f64, MultiPolygon<f64>)>,
}

/// A street's lines inside the map's frame; major roads are drawn wider.
#[derive(Clone, Debug)]
pub struct StreetLine {
    pub lines: geo::MultiLineString<f64>,
    pub major: bool,
}

const PAGE_W: f32 = 595.0;
const PAGE_H: f32 = 842.0;
const MARGIN: f32 = 56.0;
const BOTTOM: f32 = PAGE_H - 56.0;
const MAP_H: f32 = 330.0;
const TABLE_ROW: f32 = 14.0;
const TABLE_SIZE: f32 = 9.0;
const BARS_H: f32 = 62.0;
/// Average advance of a DejaVu Sans character, in em (for column widths and wrapping).
const EM_PER_CHAR: f32 = 0.55;

struct Fonts {
    regular: Font,
    bold: Font,
}

impl Block {
    /// Height on the page, in points.
    fn height(&self) -> f32 {
        match self {
            Block::Title(_) => 34.0,
            Block::Heading(_) => 28.0,
            Block::Bold(t) | Block::Text(t) => wrap(t, 10.5).len() as f32 * 14.5 + 4.0,
            Block::Note(t) => wrap(t, 8.5).len() as f32 * 11.0 + 6.0,
            Block::Table(rows) => rows.len() as f32 * TABLE_ROW + 8.0,
            Block::Map(_) | Block::Areas(_) => MAP_H + 8.0,
            Block::Bars { .. } => BARS_H,
            Block::PageBreak => 0.0,
        }
    }
}

/// Splits text into lines that fit the text width at a font size (DejaVu Sans averages about
/// 0.55 em per character).
fn wrap(text: &str, size: f32) -> Vec<String> {
    let max = ((PAGE_W - 2.0 * MARGIN) / (size * EM_PER_CHAR)) as usize;
    let mut lines = Vec::new();
    for paragraph in text.lines() {
        let mut line = String::new();
        for word in paragraph.split_whitespace() {
            if !line.is_empty() && line.chars().count() + 1 + word.chars().count() > max {
                lines.push(std::mem::take(&mut line));
            }
            if !line.is_empty() {
                line.push(' ');
            }
            line.push_str(word);
        }
        lines.push(line);
    }
    lines
}

/// The wrapped lines of a paragraph, each but the last ending in the space the wrap took, so a
/// reader of the tagged text gets the words apart ("en sirkel", not "ensirkel").
fn spaced_lines(text: &str, size: f32) -> Vec<String> {
    let mut lines = wrap(text, size);
    let last = lines.len().saturating_sub(1);
    for line in &mut lines[..last] {
        line.push(' ');
    }
    lines
}

/// Writes the blocks as an A4 PDF, tagged for assistive technology (PDF/UA's structure: headings,
/// paragraphs, tables with header cells, figures with a text alternative, page footers as
/// artifacts), with its title and language (`lang`: `nb` or `en`).
pub fn write(title: &str, lang: &str, blocks: &[Block]) -> Result<Vec<u8>, PdfError> {
    let fonts = Fonts {
        regular: Font::new(dejavu::sans::regular().into(), 0).ok_or_else(|| PdfError("DejaVu Sans did not load".into()))?,
        bold: Font::new(dejavu::sans::bold().into(), 0).ok_or_else(|| PdfError("DejaVu Sans Bold did not load".into()))?,
    };
    let blocks = split_tables(blocks);
    let mut pages: Vec<Vec<&Block>> = vec![Vec::new()];
    let mut y = MARGIN;
    for (i, block) in blocks.iter().enumerate() {
        // A heading goes to the next page with the block it introduces rather than alone.
        let keep =
            if matches!(block, Block::Heading(_)) { blocks.get(i + 1).map_or(0.0, |next| next.height().min(BOTTOM - MARGIN - block.height())) } else { 0.0 };
        if matches!(block, Block::PageBreak) || y + block.height() + keep > BOTTOM {
            pages.push(Vec::new());
            y = MARGIN;
        }
        if !matches!(block, Block::PageBreak) {
            pages.last_mut().expect("pages start non-empty").push(block);
            y += block.height();
        }
    }
    pages.retain(|p| !p.is_empty());
    let total = pages.len();
    let mut document = Document::new();
    document.set_metadata(Metadata::new().title(title.to_string()).language(lang.to_string()).creator("bomiljo".to_string()));
    let mut tree = TagTree::new();
    for (n, page_blocks) in pages.into_iter().enumerate() {
        let mut page = document.start_page_with(PageSettings::from_wh(PAGE_W, PAGE_H).ok_or_else(|| PdfError("page size".into()))?);
        let mut surface = page.surface();
        let mut y = MARGIN;
        for block in page_blocks {
            if let Some(group) = draw_tagged(&mut surface, &fonts, block, y, lang) {
                tree.push(group);
            }
            y += block.height();
        }
        surface.start_tagged(ContentTag::Artifact(Artifact::with_kind(ArtifactType::Footer)));
        text(&mut surface, &fonts.regular, 8.0, MARGIN, PAGE_H - 30.0, &format!("{title} · {}/{total}", n + 1), grey());
        surface.end_tagged();
        surface.finish();
        page.finish();
    }
    document.set_tag_tree(tree);
    document.finish().map_err(|e| PdfError(format!("{e:?}")))
}

/// Tables longer than a page are cut into page-long tables, each with the header row.
fn split_tables(blocks: &[Block]) -> Vec<Block> {
    let rows_per_page = ((BOTTOM - MARGIN - 8.0) / TABLE_ROW) as usize - 1;
    let mut out = Vec::new();
    for block in blocks {
        match block {
            Block::Table(rows) if rows.len() > rows_per_page + 1 => {
                for chunk in rows[1..].chunks(rows_per_page) {
                    out.push(Block::Table(std::iter::once(rows[0].clone()).chain(chunk.iter().cloned()).collect()));
                }
            }
            other => out.push(other.clone()),
        }
    }
    out
}

fn grey() -> rgb::Color {
    rgb::Color::new(90, 90, 90)
}

fn text(surface: &mut Surface, font: &Font, size: f32, x: f32, y: f32, s: &str, colour: rgb::Color) {
    surface.set_fill(Some(Fill { paint: colour.into(), ..Fill::default() }));
    surface.set_stroke(None);
    surface.draw_text(Point::from_xy(x, y), font.clone(), size, s, false, TextDirection::Auto);
}

/// Draws a block and returns its place in the document's structure: a heading, a paragraph, a
/// table (tagged cell by cell) or a figure with a text alternative in the document's language.
fn draw_tagged(surface: &mut Surface, fonts: &Fonts, block: &Block, top: f32, lang: &str) -> Option<TagGroup> {
    let (tag, content): (TagKind, ContentTag) = match block {
        Block::PageBreak => return None,
        Block::Table(rows) => return Some(draw_table(surface, fonts, rows, top)),
        Block::Title(t) => (Tag::Hn(std::num::NonZeroU16::MIN, Some(t.clone())).into(), ContentTag::Span(SpanTag::empty())),
        Block::Heading(t) => (Tag::Hn(std::num::NonZeroU16::MIN.saturating_add(1), Some(t.clone())).into(), ContentTag::Span(SpanTag::empty())),
        Block::Bold(_) | Block::Text(_) | Block::Note(_) => (Tag::P.into(), ContentTag::Span(SpanTag::empty())),
        Block::Map(_) | Block::Areas(_) | Block::Bars { .. } => (Tag::Figure(Some(alt_text(block, lang))).into(), ContentTag::Other),
    };
    let id = surface.start_tagged(content);
    draw(surface, fonts, block, top);
    surface.end_tagged();
    let mut group = TagGroup::new(tag);
    group.push(id);
    Some(group)
}

/// What a figure shows, in words, for a reader who cannot see it.
fn alt_text(block: &Block, lang: &str) -> String {
    let english = lang == "en";
    match block {
        Block::Map(map) if english => format!(
            "Map of the area: the {:.0} m circle around the planned site, the delbydel boundaries with their names, streets, and the incidents in each cell (the figures are in the text)",
            map.radius_m
        ),
        Block::Map(map) => format!(
            "Kart over området: sirkelen på {:.0} m rundt det planlagte stedet, delbydelsgrensene med navn, gater og hendelsene i hver rute (tallene står i teksten)",
            map.radius_m
        ),
        Block::Areas(_) if english => "Map of the delbydeler coloured by the figure in the table that follows".into(),
        Block::Areas(_) => "Kart over delbydelene farget etter tallet i tabellen som følger".into(),
        Block::Bars { label, bars } => {
            let values: Vec<String> = bars.iter().map(|(year, _, shown)| format!("{year}: {shown}")).collect();
            format!("{label}: {}", values.join(", "))
        }
        _ => String::new(),
    }
}

/// Draws a block's content (a table is drawn and tagged by [`draw_table`]).
fn draw(surface: &mut Surface, fonts: &Fonts, block: &Block, top: f32) {
    let black = rgb::Color::new(20, 20, 20);
    match block {
        Block::Title(t) => text(surface, &fonts.bold, 20.0, MARGIN, top + 20.0, t, rgb::Color::new(31, 59, 87)),
        Block::Heading(t) => text(surface, &fonts.bold, 13.0, MARGIN, top + 20.0, t, rgb::Color::new(31, 59, 87)),
        Block::Bold(t) | Block::Text(t) => {
            let font = if matches!(block, Block::Bold(_)) { &fonts.bold } else { &fonts.regular };
            for (i, line) in spaced_lines(t, 10.5).iter().enumerate() {
                text(surface, font, 10.5, MARGIN, top + 12.0 + i as f32 * 14.5, line, black);
            }
        }
        Block::Note(t) => {
            for (i, line) in spaced_lines(t, 8.5).iter().enumerate() {
                text(surface, &fonts.regular, 8.5, MARGIN, top + 10.0 + i as f32 * 11.0, line, grey());
            }
        }
        Block::Table(_) | Block::PageBreak => {}
        Block::Map(map) => draw_map(surface, fonts, map, top),
        Block::Areas(map) => draw_areas(surface, fonts, map, top),
        Block::Bars { label, bars } => draw_bars(surface, fonts, label, bars, top),
    }
}

/// Whether a cell reads as a number ("12", "−3", "1,5", "<5", "12/97", "–"), for alignment.
fn is_number(cell: &str) -> bool {
    let c = cell.trim();
    c == "–" || (!c.is_empty() && c.chars().all(|ch| ch.is_ascii_digit() || ",.+-−<>/% ".contains(ch)) && c.chars().any(|ch| ch.is_ascii_digit()))
}

/// Column widths from the widest cell of each column; when they do not fit the page, the
/// first (name) column gives way and its cells are cut with "…".
fn column_widths(rows: &[Vec<String>]) -> Vec<f32> {
    let columns = rows.iter().map(Vec::len).max().unwrap_or(0);
    let char_w = TABLE_SIZE * EM_PER_CHAR;
    let mut widths: Vec<f32> =
        (0..columns).map(|c| rows.iter().filter_map(|r| r.get(c)).map(|cell| cell.chars().count()).max().unwrap_or(0) as f32 * char_w + 10.0).collect();
    let available = PAGE_W - 2.0 * MARGIN;
    let total: f32 = widths.iter().sum();
    if total > available && !widths.is_empty() {
        widths[0] = (widths[0] - (total - available)).max(60.0);
    }
    widths
}

/// Draws a table and returns it tagged: a row of header cells, then rows of data cells; the
/// stripes and the rule are layout artifacts.
fn draw_table(surface: &mut Surface, fonts: &Fonts, rows: &[Vec<String>], top: f32) -> TagGroup {
    let black = rgb::Color::new(20, 20, 20);
    let mut table = TagGroup::new(Tag::Table);
    let widths = column_widths(rows);
    let numeric: Vec<bool> = (0..widths.len()).map(|c| rows.iter().skip(1).filter_map(|r| r.get(c)).all(|cell| is_number(cell))).collect();
    let char_w = TABLE_SIZE * EM_PER_CHAR;
    for (r, row) in rows.iter().enumerate() {
        let baseline = top + 11.0 + r as f32 * TABLE_ROW;
        if r % 2 == 1 {
            let (y0, y1) = (baseline - 10.0, baseline + 4.0);
            surface.start_tagged(ContentTag::Artifact(Artifact::with_kind(ArtifactType::Layout)));
            surface.set_stroke(None);
            surface.set_fill(Some(Fill { paint: rgb::Color::new(242, 244, 247).into(), ..Fill::default() }));
            if let Some(p) = path([(MARGIN, y0), (PAGE_W - MARGIN, y0), (PAGE_W - MARGIN, y1), (MARGIN, y1)].into_iter(), true) {
                surface.draw_path(&p);
            }
            surface.end_tagged();
        }
        let font = if r == 0 { &fonts.bold } else { &fonts.regular };
        let mut x = MARGIN;
        let mut tagged_row = TagGroup::new(Tag::TR);
        for (c, cell) in row.iter().enumerate() {
            let width = widths[c];
            let fits = ((width - 8.0) / char_w) as usize;
            let shown: String = if cell.chars().count() > fits { cell.chars().take(fits.saturating_sub(1)).chain(['…']).collect() } else { cell.clone() };
            let text_w = shown.chars().count() as f32 * char_w;
            let at = if numeric[c] && r > 0 { x + width - 6.0 - text_w } else { x + 2.0 };
            // A cut cell reads out whole.
            let whole = (shown != *cell).then_some(cell.as_str());
            let id = surface.start_tagged(ContentTag::Span(SpanTag { actual_text: whole, ..SpanTag::empty() }));
            text(surface, font, TABLE_SIZE, at, baseline, &shown, black);
            surface.end_tagged();
            let mut tagged_cell = if r == 0 { TagGroup::new(Tag::TH(TableHeaderScope::Column)) } else { TagGroup::new(Tag::TD) };
            tagged_cell.push(id);
            tagged_row.push(tagged_cell);
            x += width;
        }
        table.push(tagged_row);
    }
    // A rule under the header.
    surface.start_tagged(ContentTag::Artifact(Artifact::with_kind(ArtifactType::Layout)));
    surface.set_fill(None);
    surface.set_stroke(Some(Stroke { paint: rgb::Color::new(31, 59, 87).into(), width: 0.8, ..Stroke::default() }));
    if let Some(p) = path([(MARGIN, top + 14.5), (PAGE_W - MARGIN, top + 14.5)].into_iter(), false) {
        surface.draw_path(&p);
    }
    surface.end_tagged();
    table
}

fn draw_bars(surface: &mut Surface, fonts: &Fonts, label: &str, bars: &[(String, Option<f64>, String)], top: f32) {
    let dark = rgb::Color::new(20, 20, 20);
    text(surface, &fonts.bold, 9.0, MARGIN, top + 10.0, label, dark);
    let max = bars.iter().filter_map(|b| b.1).fold(0.0, f64::max).max(1e-9);
    let slot = ((PAGE_W - 2.0 * MARGIN) / bars.len().max(1) as f32).min(48.0);
    let (base, height) = (top + 48.0, 26.0);
    for (i, (year, value, shown)) in bars.iter().enumerate() {
        let x = MARGIN + i as f32 * slot;
        if let Some(v) = value {
            let h = (v / max) as f32 * height;
            surface.set_stroke(None);
            surface.set_fill(Some(Fill { paint: rgb::Color::new(59, 82, 139).into(), ..Fill::default() }));
            if let Some(p) = path([(x + 6.0, base - h), (x + slot - 6.0, base - h), (x + slot - 6.0, base), (x + 6.0, base)].into_iter(), true) {
                surface.draw_path(&p);
            }
        }
        let centre = |s: &str| x + slot / 2.0 - s.chars().count() as f32 * 7.0 * EM_PER_CHAR / 2.0;
        text(surface, &fonts.regular, 7.0, centre(shown), base - height - 3.0, shown, dark);
        text(surface, &fonts.regular, 7.0, centre(year), base + 9.0, year, grey());
    }
}

/// Fits a box of metres into the map area under `top`: (left, scale in points per metre).
fn fit(bbox: [f64; 4], top: f32) -> impl Fn(f64, f64) -> (f32, f32) + Copy {
    let [x0, y0, x1, y1] = bbox;
    let width = PAGE_W - 2.0 * MARGIN;
    let scale = (MAP_H as f64 / (y1 - y0)).min(width as f64 / (x1 - x0));
    let left = MARGIN + (width - ((x1 - x0) * scale) as f32) / 2.0;
    move |x: f64, y: f64| (left + ((x - x0) * scale) as f32, top + ((y1 - y) * scale) as f32)
}

fn draw_areas(surface: &mut Surface, fonts: &Fonts, map: &AreaMap, top: f32) {
    use geo::BoundingRect;
    let Some(bbox) = map.areas.iter().filter_map(|(p, _)| p.bounding_rect()).reduce(|a, b| {
        geo::Rect::new(
            geo::coord! { x: a.min().x.min(b.min().x), y: a.min().y.min(b.min().y) },
            geo::coord! { x: a.max().x.max(b.max().x), y: a.max().y.max(b.max().y) },
        )
    }) else {
        return;
    };
    let pad = (bbox.width().max(bbox.height())) * 0.04;
    let bbox = [bbox.min().x - pad, bbox.min().y - pad, bbox.max().x + pad, bbox.max().y + pad];
    let to_page = fit(bbox, top);
    surface.set_stroke(Some(Stroke { paint: rgb::Color::new(255, 255, 255).into(), width: 0.8, ..Stroke::default() }));
    for (polygon, colour) in &map.areas {
        let [r, g, b] = colour.unwrap_or([204, 204, 204]);
        surface.set_fill(Some(Fill { paint: rgb::Color::new(r, g, b).into(), rule: krilla::paint::FillRule::EvenOdd, ..Fill::default() }));
        if let Some(p) = polygons_path(polygon, to_page) {
            surface.draw_path(&p);
        }
    }
    let frame = [(bbox[0], bbox[1]), (bbox[2], bbox[1]), (bbox[2], bbox[3]), (bbox[0], bbox[3])].map(|(x, y)| to_page(x, y));
    let metres_per_point = (bbox[2] - bbox[0]) / f64::from(frame[1].0 - frame[0].0);
    furniture(surface, fonts, frame, crate::render::round_length(metres_per_point * 120.0), metres_per_point);
    // Each delbydel's name and figure where it fits; the scale bar and north arrow keep their corners.
    let (left, bottom, right, top) = (frame[0].0, frame[0].1, frame[1].0, frame[2].1);
    let mut taken = vec![[left, bottom - 24.0, left + 90.0, bottom], [right - 30.0, top, right, top + 45.0]];
    draw_labels(surface, (&fonts.bold, 6.5, rgb::Color::new(30, 30, 30)), &map.labels, frame, &mut taken, &to_page, true);
}

fn path(points: impl Iterator<Item = (f32, f32)>, close: bool) -> Option<krilla::geom::Path> {
    let mut pb = PathBuilder::new();
    for (i, (x, y)) in points.enumerate() {
        if i == 0 {
            pb.move_to(x, y);
        } else {
            pb.line_to(x, y);
        }
    }
    if close {
        pb.close();
    }
    pb.finish()
}

fn draw_map(surface: &mut Surface, fonts: &Fonts, map: &MapBlock, top: f32) {
    let [x0, y0, x1, y1] = map.bbox;
    let to_page = fit(map.bbox, top);
    let frame = [(x0, y0), (x1, y0), (x1, y1), (x0, y1)].map(|(x, y)| to_page(x, y));
    // Points per metre.
    let scale = f64::from(frame[1].0 - frame[0].0) / (x1 - x0);
    // Background and clip-free drawing: everything drawn stays inside the frame by construction.
    surface.set_stroke(None);
    surface.set_fill(Some(Fill { paint: rgb::Color::new(247, 246, 242).into(), ..Fill::default() }));
    if let Some(p) = path(frame.into_iter(), true) {
        surface.draw_path(&p);
    }
    // Streets first: the heat shading shows through over them, where incidents gather.
    draw_streets(surface, &map.streets, to_page);
    draw_shading(surface, map, &to_page);
    if let Some((_, area)) = &map.reach {
        draw_reach(surface, area, map.bbox, &to_page);
    }
    surface.set_fill(None);
    surface.set_stroke(Some(Stroke { paint: rgb::Color::new(110, 110, 110).into(), width: 0.8, ..Stroke::default() }));
    for mp in &map.boundaries {
        for polygon in &mp.0 {
            let ring = polygon.exterior().0.iter().map(|c| (c.x.clamp(x0, x1), c.y.clamp(y0, y1))).map(|(x, y)| to_page(x, y));
            if let Some(p) = path(ring, true) {
                surface.draw_path(&p);
            }
        }
    }
    // The area circle (dashed) and the planned site as a generic marker.
    let (sx, sy) = to_page(map.site.0, map.site.1);
    let r = (map.radius_m * scale) as f32;
    surface.set_stroke(Some(Stroke {
        paint: rgb::Color::new(31, 59, 87).into(),
        width: 1.5,
        dash: Some(StrokeDash { array: vec![5.0, 3.0], offset: 0.0 }),
        ..Stroke::default()
    }));
    let circle = (0..=72).map(|i| {
        let a = i as f32 / 72.0 * std::f32::consts::TAU;
        (sx + r * a.cos(), sy + r * a.sin())
    });
    if let Some(p) = path(circle, true) {
        surface.draw_path(&p);
    }
    surface.set_stroke(Some(Stroke { paint: rgb::Color::new(255, 255, 255).into(), width: 1.5, ..Stroke::default() }));
    surface.set_fill(Some(Fill { paint: rgb::Color::new(230, 120, 20).into(), ..Fill::default() }));
    let dot = (0..=24).map(|i| {
        let a = i as f32 / 24.0 * std::f32::consts::TAU;
        (sx + 6.0 * a.cos(), sy + 6.0 * a.sin())
    });
    if let Some(p) = path(dot, true) {
        surface.draw_path(&p);
    }
    let (left, bottom, right, top) = (frame[0].0, frame[0].1, frame[1].0, frame[2].1);
    // Corners kept free: the scale bar (bottom left), the north arrow (top right) and the credit
    // (bottom right).
    let mut taken: Vec<[f32; 4]> = vec![[left, bottom - 24.0, left + 90.0, bottom], [right - 30.0, top, right, top + 45.0]];
    if let Some(credit) = &map.credit {
        let width = credit.chars().count() as f32 * CREDIT_SIZE * EM_PER_CHAR;
        text(surface, &fonts.regular, CREDIT_SIZE, right - width - 3.0, bottom - 3.0, credit, rgb::Color::new(70, 70, 70));
        taken.push([right - width - 6.0, bottom - CREDIT_SIZE - 6.0, right, bottom]);
    }
    // Area names first: where a street name would cover one, the street name gives way.
    draw_labels(surface, (&fonts.bold, 7.5, rgb::Color::new(60, 60, 60)), &map.labels, frame, &mut taken, &to_page, false);
    draw_labels(surface, (&fonts.regular, 6.5, rgb::Color::new(90, 90, 90)), &map.street_names, frame, &mut taken, &to_page, false);
    furniture(surface, fonts, frame, crate::render::round_length(map.radius_m / 2.0), 1.0 / scale);
}

/// Where incidents gather: three classes of a neutral grey-blue on the density's square-root
/// scale, the faintest quarter left clear (a kernel's tails reach over the whole frame). Each
/// class is one path of all its cells, so neighbouring cells join without seams (cells drawn one
/// by one left a grid of hairlines between them).
fn draw_shading(surface: &mut Surface, map: &MapBlock, to_page: &impl Fn(f64, f64) -> (f32, f32)) {
    const CLASSES: [(f64, f32); 3] = [(0.25, 0.16), (0.5, 0.3), (0.75, 0.45)];
    let max = map.heat.iter().flatten().copied().fold(0.0, f64::max);
    if max <= 0.0 {
        return;
    }
    let [x0, y0, x1, y1] = map.bbox;
    let mut builders: Vec<PathBuilder> = CLASSES.iter().map(|_| PathBuilder::new()).collect();
    for (i, v) in map.heat.iter().enumerate() {
        let Some(v) = v else { continue };
        let [cx0, cy0, cx1, cy1] = map.grid.bounds(i);
        if cx0 < x0 || cy0 < y0 || cx1 > x1 || cy1 > y1 {
            continue;
        }
        let t = (v / max).sqrt();
        let Some(class) = CLASSES.iter().rposition(|(from, _)| t >= *from) else { continue };
        let corners = [(cx0, cy0), (cx1, cy0), (cx1, cy1), (cx0, cy1)].map(|(x, y)| to_page(x, y));
        let builder = &mut builders[class];
        builder.move_to(corners[0].0, corners[0].1);
        for (x, y) in &corners[1..] {
            builder.line_to(*x, *y);
        }
        builder.close();
    }
    surface.set_stroke(None);
    for (builder, (_, opacity)) in builders.into_iter().zip(CLASSES) {
        surface.set_fill(Some(Fill {
            paint: rgb::Color::new(70, 90, 120).into(),
            opacity: NormalizedF32::new(opacity).unwrap_or(NormalizedF32::ZERO),
            ..Fill::default()
        }));
        if let Some(p) = builder.finish() {
            surface.draw_path(&p);
        }
    }
}

/// The drive area: a light blue fill with a blue outline, its holes left open.
fn draw_reach(surface: &mut Surface, area: &MultiPolygon<f64>, [x0, y0, x1, y1]: [f64; 4], to_page: &impl Fn(f64, f64) -> (f32, f32)) {
    surface.set_fill(Some(Fill {
        paint: rgb::Color::new(40, 90, 170).into(),
        opacity: NormalizedF32::new(0.12).unwrap_or(NormalizedF32::ZERO),
        rule: krilla::paint::FillRule::EvenOdd,
    }));
    surface.set_stroke(Some(Stroke { paint: rgb::Color::new(40, 90, 170).into(), width: 1.0, ..Stroke::default() }));
    if let Some(p) = polygons_path(area, |x, y| to_page(x.clamp(x0, x1), y.clamp(y0, y1))) {
        surface.draw_path(&p);
    }
}

/// One path of every ring (exteriors and holes) of some polygons, for an even-odd fill.
fn polygons_path(polygons: &MultiPolygon<f64>, to_page: impl Fn(f64, f64) -> (f32, f32)) -> Option<krilla::geom::Path> {
    let mut builder = PathBuilder::new();
    for ring in polygons.0.iter().flat_map(|p| std::iter::once(p.exterior()).chain(p.interiors())) {
        for (i, c) in ring.0.iter().enumerate() {
            let (x, y) = to_page(c.x, c.y);
            if i == 0 {
                builder.move_to(x, y);
            } else {
                builder.line_to(x, y);
            }
        }
        builder.close();
    }
    builder.finish()
}

/// Type size of the credit for the map's data (OpenStreetMap's streets).
const CREDIT_SIZE: f32 = 5.5;

/// Streets as light lines with a grey edge, major roads wider, under the heat and the boundaries.
fn draw_streets(surface: &mut Surface, streets: &[StreetLine], to_page: impl Fn(f64, f64) -> (f32, f32)) {
    surface.set_fill(None);
    for (colour, extra) in [(rgb::Color::new(175, 175, 175), 1.2), (rgb::Color::new(255, 255, 255), 0.0)] {
        for street in streets {
            let width = if street.major { 3.0 } else { 1.8 } + extra;
            surface.set_stroke(Some(Stroke { paint: colour.into(), width, ..Stroke::default() }));
            for line in &street.lines.0 {
                if let Some(p) = path(line.0.iter().map(|c| to_page(c.x, c.y)), false) {
                    surface.draw_path(&p);
                }
            }
        }
    }
}

/// Names centred on their points in `font` (font, size, colour); a name that would cover one in
/// `taken`, or run off the frame, is left out.
fn draw_labels(
    surface: &mut Surface,
    (font, size, colour): (&Font, f32, rgb::Color),
    labels: &[(f64, f64, String)],
    frame: [(f32, f32); 4],
    taken: &mut Vec<[f32; 4]>,
    to_page: &impl Fn(f64, f64) -> (f32, f32),
    backdrop: bool,
) {
    let (left, bottom, right, top) = (frame[0].0, frame[0].1, frame[1].0, frame[2].1);
    for (x, y, name) in labels {
        let (px, py) = to_page(*x, *y);
        let width = name.chars().count() as f32 * size * EM_PER_CHAR;
        let [x0, y0, x1, y1] = [px - width / 2.0 - 2.0, py - size - 2.0, px + width / 2.0 + 2.0, py + 3.0];
        let inside = x0 > left && x1 < right && y0 > top && y1 < bottom;
        if inside && !taken.iter().any(|t| x0 < t[2] && x1 > t[0] && y0 < t[3] && y1 > t[1]) {
            // Over coloured areas a light box keeps the name readable on the darkest fill.
            if backdrop {
                surface.set_stroke(None);
                surface.set_fill(Some(Fill {
                    paint: rgb::Color::new(255, 255, 255).into(),
                    opacity: NormalizedF32::new(0.8).unwrap_or(NormalizedF32::ONE),
                    ..Fill::default()
                }));
                if let Some(p) = path([(x0, y0), (x1, y0), (x1, y1), (x0, y1)].into_iter(), true) {
                    surface.draw_path(&p);
                }
            }
            text(surface, font, size, px - width / 2.0, py, name, colour);
            taken.push([x0, y0, x1, y1]);
        }
    }
}

/// The map's frame, a scale bar of `bar_m` metres and a north arrow.
fn furniture(surface: &mut Surface, fonts: &Fonts, frame: [(f32, f32); 4], bar_m: f64, metres_per_point: f64) {
    surface.set_fill(None);
    surface.set_stroke(Some(Stroke { paint: rgb::Color::new(60, 60, 60).into(), width: 0.8, ..Stroke::default() }));
    if let Some(p) = path(frame.into_iter(), true) {
        surface.draw_path(&p);
    }
    let bar = (bar_m / metres_per_point) as f32;
    let (bx, by) = (frame[0].0 + 10.0, frame[0].1 - 12.0);
    surface.set_stroke(None);
    surface.set_fill(Some(Fill { paint: rgb::Color::new(30, 30, 30).into(), ..Fill::default() }));
    if let Some(p) = path([(bx, by), (bx + bar, by), (bx + bar, by + 3.0), (bx, by + 3.0)].into_iter(), true) {
        surface.draw_path(&p);
    }
    let label = if bar_m >= 1000.0 { format!("{} km", bar_m / 1000.0) } else { format!("{bar_m:.0} m") };
    text(surface, &fonts.regular, 8.0, bx, by - 3.0, &label, rgb::Color::new(30, 30, 30));
    let (nx, ny) = (frame[2].0 - 18.0, frame[2].1 + 14.0);
    surface.set_fill(Some(Fill { paint: rgb::Color::new(30, 30, 30).into(), ..Fill::default() }));
    if let Some(p) = path([(nx, ny), (nx + 6.0, ny + 16.0), (nx, ny + 12.0), (nx - 6.0, ny + 16.0)].into_iter(), true) {
        surface.draw_path(&p);
    }
    text(surface, &fonts.bold, 9.0, nx - 3.5, ny + 27.0, "N", rgb::Color::new(30, 30, 30));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_table_longer_than_a_page_is_cut_with_its_header_on_every_page() {
        let rows: Vec<Vec<String>> =
            std::iter::once(vec!["Delbydel".to_string(), "Antall".to_string()]).chain((0..120).map(|i| vec![format!("area {i}"), i.to_string()])).collect();
        let split = split_tables(&[Block::Heading("Tabell".into()), Block::Table(rows)]);
        let tables: Vec<&Vec<Vec<String>>> = split.iter().filter_map(|b| if let Block::Table(t) = b { Some(t) } else { None }).collect();
        assert!(tables.len() >= 3, "{} tables", tables.len());
        assert!(tables.iter().all(|t| t[0][0] == "Delbydel" && t.len() as f32 * TABLE_ROW + 8.0 <= BOTTOM - MARGIN));
        let body: Vec<&str> = tables.iter().flat_map(|t| t[1..].iter().map(|r| r[0].as_str())).collect();
        assert_eq!(body.len(), 120);
        assert_eq!((body[0], body[119]), ("area 0", "area 119"));
    }

    #[test]
    fn columns_are_as_wide_as_their_widest_cell() {
        let rows =
            vec![vec!["Delbydel".to_string(), "Kilde".to_string(), "Antall".to_string()], vec!["0102 Grønland".into(), "brann og redning".into(), "61".into()]];
        let widths = column_widths(&rows);
        let needed = |chars: usize| chars as f32 * TABLE_SIZE * EM_PER_CHAR;
        assert!(widths[1] > needed("brann og redning".chars().count()), "{widths:?}");
        assert!(is_number("<5") && is_number("-6") && is_number("47/97") && is_number("7,4") && !is_number("politi"));
    }
}
