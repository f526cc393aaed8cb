//! A small PDF writer for reports (krilla, fonts embedded): lays out [`Block`]s on A4 pages with
//! DejaVu Sans (æøå included), and draws maps as vector graphics with a scale bar and a north
//! arrow, with no GPU, browser or network.

use geo::MultiPolygon;
use krilla::color::rgb;
use krilla::geom::{PathBuilder, Point};
use krilla::num::NormalizedF32;
use krilla::page::PageSettings;
use krilla::paint::{Fill, Stroke, StrokeDash};
use krilla::surface::Surface;
use krilla::text::{Font, TextDirection};
use krilla::Document;

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
    /// Rows of cells; the first row is the header.
    Table(Vec<Vec<String>>),
    Map(MapBlock),
    PageBreak,
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
}

const PAGE_W: f32 = 595.0;
const PAGE_H: f32 = 842.0;
const MARGIN: f32 = 56.0;
const BOTTOM: f32 = PAGE_H - 56.0;
const MAP_H: f32 = 330.0;

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
            Block::Table(rows) => rows.len() as f32 * 14.0 + 6.0,
            Block::Map(_) => MAP_H + 8.0,
            Block::PageBreak => 0.0,
        }
    }
}

/// Splits text into lines that fit the text width at a font size (DejaVu Sans averages about
/// 0.55 em per character).
fn wrap(text: &str, size: f32) -> Vec<String> {
    let max = ((PAGE_W - 2.0 * MARGIN) / (size * 0.55)) as usize;
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

/// Writes the blocks as an A4 PDF.
pub fn write(title: &str, blocks: &[Block]) -> Result<Vec<u8>, PdfError> {
    let fonts = Fonts {
        regular: Font::new(dejavu::sans::regular().into(), 0).ok_or_else(|| PdfError("DejaVu Sans did not load".into()))?,
        bold: Font::new(dejavu::sans::bold().into(), 0).ok_or_else(|| PdfError("DejaVu Sans Bold did not load".into()))?,
    };
    let mut pages: Vec<Vec<&Block>> = vec![Vec::new()];
    let mut y = MARGIN;
    for block in blocks {
        if matches!(block, Block::PageBreak) || y + block.height() > BOTTOM {
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
    for (n, page_blocks) in pages.into_iter().enumerate() {
        let mut page = document.start_page_with(PageSettings::from_wh(PAGE_W, PAGE_H).ok_or_else(|| PdfError("page size".into()))?);
        let mut surface = page.surface();
        let mut y = MARGIN;
        for block in page_blocks {
            draw(&mut surface, &fonts, block, y);
            y += block.height();
        }
        text(&mut surface, &fonts.regular, 8.0, MARGIN, PAGE_H - 30.0, &format!("{title} · {}/{total}", n + 1), grey());
        surface.finish();
        page.finish();
    }
    document.finish().map_err(|e| PdfError(format!("{e:?}")))
}

fn grey() -> rgb::Color {
    rgb::Color::new(90, 90, 90)
}

fn text(surface: &mut Surface, font: &Font, size: f32, x: f32, y: f32, s: &str, colour: rgb::Color) {
    surface.set_fill(Some(Fill { paint: colour.into(), ..Fill::default() }));
    surface.set_stroke(None);
    surface.draw_text(Point::from_xy(x, y), font.clone(), size, s, false, TextDirection::Auto);
}

fn draw(surface: &mut Surface, fonts: &Fonts, block: &Block, top: f32) {
    let black = rgb::Color::new(20, 20, 20);
    match block {
        Block::Title(t) => text(surface, &fonts.bold, 20.0, MARGIN, top + 20.0, t, rgb::Color::new(31, 59, 87)),
        Block::Heading(t) => text(surface, &fonts.bold, 13.0, MARGIN, top + 20.0, t, rgb::Color::new(31, 59, 87)),
        Block::Bold(t) | Block::Text(t) => {
            let font = if matches!(block, Block::Bold(_)) { &fonts.bold } else { &fonts.regular };
            for (i, line) in wrap(t, 10.5).iter().enumerate() {
                text(surface, font, 10.5, MARGIN, top + 12.0 + i as f32 * 14.5, line, black);
            }
        }
        Block::Note(t) => {
            for (i, line) in wrap(t, 8.5).iter().enumerate() {
                text(surface, &fonts.regular, 8.5, MARGIN, top + 10.0 + i as f32 * 11.0, line, grey());
            }
        }
        Block::Table(rows) => {
            let columns = rows.first().map_or(1, Vec::len).max(1);
            let first = 190.0;
            let rest = (PAGE_W - 2.0 * MARGIN - first) / (columns.saturating_sub(1).max(1)) as f32;
            for (r, row) in rows.iter().enumerate() {
                let y = top + 12.0 + r as f32 * 14.0;
                let font = if r == 0 { &fonts.bold } else { &fonts.regular };
                for (c, cell) in row.iter().enumerate() {
                    let x = if c == 0 { MARGIN } else { MARGIN + first + (c - 1) as f32 * rest };
                    text(surface, font, 9.0, x, y, cell, black);
                }
            }
        }
        Block::Map(map) => draw_map(surface, fonts, map, top),
        Block::PageBreak => {}
    }
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
    let width = PAGE_W - 2.0 * MARGIN;
    let scale = (MAP_H as f64 / (y1 - y0)).min(width as f64 / (x1 - x0));
    let left = MARGIN + (width - ((x1 - x0) * scale) as f32) / 2.0;
    let to_page = |x: f64, y: f64| (left + ((x - x0) * scale) as f32, top + ((y1 - y) * scale) as f32);
    let frame = [(x0, y0), (x1, y0), (x1, y1), (x0, y1)].map(|(x, y)| to_page(x, y));
    // Background and clip-free drawing: everything drawn stays inside the frame by construction.
    surface.set_stroke(None);
    surface.set_fill(Some(Fill { paint: rgb::Color::new(247, 246, 242).into(), ..Fill::default() }));
    if let Some(p) = path(frame.into_iter(), true) {
        surface.draw_path(&p);
    }
    let max = map.heat.iter().flatten().copied().fold(0.0, f64::max);
    if max > 0.0 {
        for (i, v) in map.heat.iter().enumerate() {
            let Some(v) = v else { continue };
            let [cx0, cy0, cx1, cy1] = map.grid.bounds(i);
            if cx0 < x0 || cy0 < y0 || cx1 > x1 || cy1 > y1 {
                continue;
            }
            // A neutral single hue: darker grey-blue where incidents gather.
            let t = (v / max).sqrt().clamp(0.0, 1.0) as f32;
            surface.set_fill(Some(Fill {
                paint: rgb::Color::new(70, 90, 120).into(),
                opacity: NormalizedF32::new(0.55 * t).unwrap_or(NormalizedF32::ZERO),
                ..Fill::default()
            }));
            if let Some(p) = path([(cx0, cy0), (cx1, cy0), (cx1, cy1), (cx0, cy1)].into_iter().map(|(x, y)| to_page(x, y)), true) {
                surface.draw_path(&p);
            }
        }
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
    // Frame, scale bar and north arrow.
    surface.set_fill(None);
    surface.set_stroke(Some(Stroke { paint: rgb::Color::new(60, 60, 60).into(), width: 0.8, ..Stroke::default() }));
    if let Some(p) = path(frame.into_iter(), true) {
        surface.draw_path(&p);
    }
    let bar_m = crate::render::round_length(map.radius_m / 2.0);
    let bar = (bar_m * scale) as f32;
    let (bx, by) = (frame[0].0 + 10.0, frame[0].1 - 12.0);
    surface.set_stroke(None);
    surface.set_fill(Some(Fill { paint: rgb::Color::new(30, 30, 30).into(), ..Fill::default() }));
    if let Some(p) = path([(bx, by), (bx + bar, by), (bx + bar, by + 3.0), (bx, by + 3.0)].into_iter(), true) {
        surface.draw_path(&p);
    }
    text(surface, &fonts.regular, 8.0, bx, by - 3.0, &format!("{bar_m:.0} m"), rgb::Color::new(30, 30, 30));
    let (nx, ny) = (frame[2].0 - 18.0, frame[2].1 + 14.0);
    surface.set_fill(Some(Fill { paint: rgb::Color::new(30, 30, 30).into(), ..Fill::default() }));
    if let Some(p) = path([(nx, ny), (nx + 6.0, ny + 16.0), (nx, ny + 12.0), (nx - 6.0, ny + 16.0)].into_iter(), true) {
        surface.draw_path(&p);
    }
    text(surface, &fonts.bold, 9.0, nx - 3.5, ny + 27.0, "N", rgb::Color::new(30, 30, 30));
}
