//! The page model (what is drawn where, in millimetres) and the composer that flows
//! content onto A4 pages with headers, footers and continuation pages.
//!
//! Coordinates are millimetres from the top-left corner of the page, y growing
//! downwards; the renderer converts to PDF's bottom-left origin. Nothing is ever placed
//! outside [`Margins`]: text is wrapped by measured width and flows onto a new page
//! (marked "continued") when it reaches the footer.

use std::collections::BTreeSet;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::fonts::{Face, Fonts, MM_PER_PT, REPLACEMENT};
use crate::model::{Section, long_date};
use crate::wrap::{Measure, NBSP, wrap};

mod grid;

/// A4 width.
pub const PAGE_WIDTH_MM: f32 = 210.0;
/// A4 height.
pub const PAGE_HEIGHT_MM: f32 = 297.0;

/// A laid-out document: pages of positioned text, boxes and lines.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ts_rs::TS)]
#[ts(export)]
pub struct Document {
    /// Document title for the PDF metadata.
    pub title: String,
    pub page_width_mm: f32,
    pub page_height_mm: f32,
    /// The printable area; every run, box and line lies inside it.
    pub margins: Margins,
    pub large_print: bool,
    pub pages: Vec<Page>,
    /// Characters the embedded font cannot show; printed as `?`. Callers may warn.
    pub missing_glyphs: Vec<char>,
}

impl Document {
    /// All text of the document, one run per line, pages separated by a blank line.
    pub fn text(&self) -> String {
        self.pages
            .iter()
            .map(Page::text)
            .collect::<Vec<_>>()
            .join("\n\n")
    }
}

/// Page margins. The left one is the binding edge (hole punching).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, ts_rs::TS)]
#[ts(export)]
pub struct Margins {
    pub top_mm: f32,
    pub right_mm: f32,
    pub bottom_mm: f32,
    pub left_mm: f32,
}

/// The margins used for every page: 25 mm binding edge, 15 mm elsewhere.
pub const MARGINS: Margins = Margins {
    top_mm: 15.0,
    right_mm: 15.0,
    bottom_mm: 15.0,
    left_mm: 25.0,
};

/// One A4 page.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ts_rs::TS)]
#[ts(export)]
pub struct Page {
    /// 1-based page number within the document.
    pub number: usize,
    /// The Green Book section; `None` for a standalone directory page.
    pub section: Option<Section>,
    /// The title shown in the header (without "(continued)").
    pub title: String,
    /// Whether this page continues the section from the previous page.
    pub continued: bool,
    pub runs: Vec<TextRun>,
    pub boxes: Vec<BoxShape>,
    pub lines: Vec<RuleLine>,
}

impl Page {
    /// The page's text, one run per line in drawing order.
    pub fn text(&self) -> String {
        self.runs
            .iter()
            .map(|r| r.text.as_str())
            .collect::<Vec<_>>()
            .join("\n")
    }
}

/// One line of text set in one face and size.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ts_rs::TS)]
#[ts(export)]
pub struct TextRun {
    pub text: String,
    /// Left edge.
    pub x_mm: f32,
    /// Baseline, measured down from the top of the page.
    pub y_mm: f32,
    /// Measured advance width of `text`.
    pub width_mm: f32,
    pub size_pt: f32,
    pub bold: bool,
    /// Drawn in the accent colour (dark green) rather than black.
    pub accent: bool,
    /// Height of the font's ascender above the baseline at this size.
    pub ascent_mm: f32,
    /// Depth of the font's descender below the baseline at this size.
    pub descent_mm: f32,
}

impl TextRun {
    /// Top of the run's glyph box (ascender line).
    pub fn top_mm(&self) -> f32 {
        self.y_mm - self.ascent_mm
    }
    /// Bottom of the run's glyph box (descender line).
    pub fn bottom_mm(&self) -> f32 {
        self.y_mm + self.descent_mm
    }
    /// Right edge.
    pub fn right_mm(&self) -> f32 {
        self.x_mm + self.width_mm
    }
}

/// A square outline, used as a tick box.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ts_rs::TS)]
#[ts(export)]
pub struct BoxShape {
    pub x_mm: f32,
    /// Top edge.
    pub y_mm: f32,
    pub w_mm: f32,
    pub h_mm: f32,
    /// Draw a tick inside.
    pub ticked: bool,
}

/// What a straight line is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[ts(export)]
#[serde(rename_all = "kebab-case")]
pub enum LineKind {
    /// A divider (under the header, above the footer, between blocks).
    Rule,
    /// A ruled line to write on by hand.
    Writing,
}

/// A straight line.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ts_rs::TS)]
#[ts(export)]
pub struct RuleLine {
    pub x1_mm: f32,
    pub y1_mm: f32,
    pub x2_mm: f32,
    pub y2_mm: f32,
    pub thickness_pt: f32,
    pub kind: LineKind,
}

/// A face, size and spacing for a kind of text.
#[derive(Debug, Clone, Copy)]
pub(crate) struct TextStyle {
    pub size_pt: f32,
    pub bold: bool,
    pub accent: bool,
    /// Line height as a multiple of the size.
    pub leading: f32,
    /// Space above, when not at the top of a page.
    pub space_before_mm: f32,
}

impl TextStyle {
    pub(crate) fn line_h(&self) -> f32 {
        self.size_pt * self.leading * MM_PER_PT
    }
}

/// Sizes for standard or large print.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Style {
    pub body: TextStyle,
    pub strong: TextStyle,
    pub h1: TextStyle,
    pub h2: TextStyle,
    pub title: TextStyle,
    pub name: TextStyle,
    pub header: TextStyle,
    pub footer: TextStyle,
    /// Width of the label column in label/value rows.
    pub label_w: f32,
    /// Side of a tick box.
    pub tick_mm: f32,
    /// Distance between ruled writing lines.
    pub writing_gap: f32,
    /// Space between paragraphs and small blocks.
    pub gap: f32,
}

impl Style {
    pub(crate) fn new(large: bool) -> Style {
        let k = if large { 1.35 } else { 1.0 };
        let body_pt = if large { 16.0 } else { 12.0 };
        let body = TextStyle {
            size_pt: body_pt,
            bold: false,
            accent: false,
            leading: if large { 1.6 } else { 1.45 },
            space_before_mm: 0.0,
        };
        let heading = |size_pt: f32, before: f32| TextStyle {
            size_pt,
            bold: true,
            accent: true,
            leading: 1.25,
            space_before_mm: before * k,
        };
        Style {
            body,
            strong: TextStyle { bold: true, ..body },
            h1: heading(if large { 28.0 } else { 22.0 }, 4.0),
            h2: heading(if large { 20.0 } else { 15.0 }, 5.0),
            title: heading(if large { 44.0 } else { 36.0 }, 0.0),
            name: TextStyle {
                accent: false,
                ..heading(if large { 34.0 } else { 26.0 }, 4.0)
            },
            header: TextStyle {
                size_pt: body_pt,
                bold: true,
                accent: false,
                leading: 1.3,
                space_before_mm: 0.0,
            },
            footer: TextStyle {
                size_pt: body_pt,
                bold: false,
                accent: false,
                leading: 1.3,
                space_before_mm: 0.0,
            },
            label_w: if large { 54.0 } else { 38.0 },
            tick_mm: if large { 6.0 } else { 4.5 },
            writing_gap: if large { 12.0 } else { 9.0 },
            gap: 2.5 * k,
        }
    }
}

/// What the footer of every page says besides "Page N of M".
#[derive(Debug, Clone, Default)]
pub(crate) struct FooterInfo {
    pub printed_on: Option<NaiveDate>,
    pub review_on: Option<NaiveDate>,
    pub service_name: String,
    pub checked_on: Option<NaiveDate>,
}

impl FooterInfo {
    fn segments(&self, page: &str) -> Vec<(String, bool)> {
        let mut s = vec![(page.to_string(), true)];
        if let Some(d) = self.printed_on {
            s.push((format!("Printed {}", long_date(d)), false));
        }
        if let Some(d) = self.review_on {
            s.push((format!("Plan review {}", long_date(d)), false));
        }
        if let Some(d) = self.checked_on {
            s.push((format!("Details checked {}", long_date(d)), false));
        }
        if !self.service_name.trim().is_empty() {
            s.push((
                ellipsize(self.service_name.trim(), MAX_REPEATED_CHARS),
                false,
            ));
        }
        s
    }
}

/// [`Measure`] for one face at one size.
struct FaceMeasure<'a> {
    face: &'a Face,
    size_pt: f32,
}

impl Measure for FaceMeasure<'_> {
    fn width(&self, text: &str) -> f32 {
        self.face.width_mm(text, self.size_pt)
    }
    fn char_width(&self, c: char) -> f32 {
        self.face.char_width_mm(c, self.size_pt)
    }
}

/// Small tolerance for float comparisons against the margins.
const EPS: f32 = 0.01;
/// Horizontal space between segments in the footer and between header parts.
const SEGMENT_GAP_MM: f32 = 8.0;

/// Where a heading (and anything else that must stay with what follows) began.
#[derive(Debug, Clone)]
struct Anchor {
    runs: usize,
    lines: usize,
    boxes: usize,
    y: f32,
    /// The continuation context when the heading was placed: if it is still the same
    /// at the break, the moved heading belongs inside that context and it is repeated.
    context: Option<String>,
}

/// Flows content onto pages.
pub(crate) struct Composer {
    fonts: &'static Fonts,
    pub(crate) style: Style,
    header_name: Option<String>,
    footer: FooterInfo,
    pages: Vec<Page>,
    page: Page,
    /// Top of the next line of content.
    y: f32,
    /// Where content starts on the current page (below header and context line).
    page_top: f32,
    /// Lowest point content may reach (above the "continued" strip and the footer).
    content_bottom: f32,
    /// Repeated, bold, at the top of a continuation page (e.g. "Goal 3").
    context: Option<String>,
    /// Set while a heading waits for its first line of content; a page break before
    /// that moves the heading to the new page too.
    anchor: Option<Anchor>,
    missing: BTreeSet<char>,
}

impl Composer {
    pub(crate) fn new(
        fonts: &'static Fonts,
        large: bool,
        header_name: Option<String>,
        footer: FooterInfo,
    ) -> Composer {
        let style = Style::new(large);
        let mut c = Composer {
            fonts,
            style,
            header_name: header_name
                .filter(|n| !n.trim().is_empty())
                .map(|n| ellipsize(n.trim(), MAX_REPEATED_CHARS)),
            footer,
            pages: Vec::new(),
            page: empty_page(None, String::new(), false),
            y: MARGINS.top_mm,
            page_top: MARGINS.top_mm,
            content_bottom: PAGE_HEIGHT_MM - MARGINS.bottom_mm,
            context: None,
            anchor: None,
            missing: BTreeSet::new(),
        };
        // Reserve the footer for the widest page label we could print.
        let footer_lines = c.footer_lines("Page 8888 of 8888").len() as f32;
        let footer_top = PAGE_HEIGHT_MM - MARGINS.bottom_mm - footer_lines * style.footer.line_h();
        let body_bottom = footer_top - 2.0 - 3.0;
        c.content_bottom = body_bottom - style.footer.line_h();
        c
    }

    fn content_left(&self) -> f32 {
        MARGINS.left_mm
    }

    fn content_right(&self) -> f32 {
        PAGE_WIDTH_MM - MARGINS.right_mm
    }

    pub(crate) fn content_w(&self) -> f32 {
        self.content_right() - self.content_left() - EPS
    }

    fn measure(&self, st: TextStyle) -> FaceMeasure<'static> {
        FaceMeasure {
            face: self.fonts.face(st.bold),
            size_pt: st.size_pt,
        }
    }

    /// Removes control characters and replaces characters the font lacks.
    fn clean(&mut self, text: &str, bold: bool) -> String {
        let face = self.fonts.face(bold);
        let mut out = String::with_capacity(text.len());
        for c in text.chars() {
            match c {
                '\n' => out.push('\n'),
                '\r' => {}
                '\u{A0}' => out.push('\u{A0}'),
                c if c.is_whitespace() => out.push(' '),
                c if c.is_control() => {}
                '\u{200B}'..='\u{200F}' | '\u{FEFF}' => {}
                c if face.has(c) => out.push(c),
                c => {
                    self.missing.insert(c);
                    out.push(REPLACEMENT);
                }
            }
        }
        bind_digit_groups(&out)
    }

    /// Wraps `text` in `st` to `width`.
    pub(crate) fn wrap_text(&mut self, text: &str, st: TextStyle, width: f32) -> Vec<String> {
        let clean = self.clean(text, st.bold);
        wrap(&clean, width, &self.measure(st))
    }

    /// Height `text` would take, wrapped to the full content width minus `indent`.
    pub(crate) fn text_height(&mut self, text: &str, st: TextStyle, indent: f32) -> f32 {
        let w = self.content_w() - indent;
        let n = self.wrap_text(text, st, w).len().max(1);
        n as f32 * st.line_h()
    }

    fn width_of(&self, text: &str, st: TextStyle) -> f32 {
        self.fonts.face(st.bold).width_mm(text, st.size_pt)
    }

    /// Places one run whose line box starts at `line_top`. No-break spaces were only a
    /// hint for wrapping: the run carries ordinary spaces (same advance width), so the
    /// PDF's text searches and copies normally.
    fn push_run(&mut self, text: String, x: f32, line_top: f32, st: TextStyle) -> f32 {
        let text = if text.contains(NBSP) {
            text.replace(NBSP, " ")
        } else {
            text
        };
        let face = self.fonts.face(st.bold);
        let size_mm = st.size_pt * MM_PER_PT;
        let ascent = face.ascent * size_mm;
        let descent = face.descent * size_mm;
        let baseline = line_top + (st.line_h() - ascent - descent).max(0.0) / 2.0 + ascent;
        let width_mm = face.width_mm(&text, st.size_pt);
        self.page.runs.push(TextRun {
            text,
            x_mm: x,
            y_mm: baseline,
            width_mm,
            size_pt: st.size_pt,
            bold: st.bold,
            accent: st.accent,
            ascent_mm: ascent,
            descent_mm: descent,
        });
        baseline
    }

    // ----- pages -----------------------------------------------------------------

    /// Starts a section on a fresh page.
    pub(crate) fn begin_section(&mut self, section: Option<Section>, title: &str) {
        self.context = None;
        self.anchor = None;
        self.start_page(section, title.to_string(), false);
    }

    /// Sets the line repeated at the top of continuation pages.
    pub(crate) fn set_context(&mut self, context: Option<String>) {
        self.context = context.map(|c| ellipsize(&c, MAX_REPEATED_CHARS));
    }

    fn start_page(&mut self, section: Option<Section>, title: String, continued: bool) {
        self.start_page_with(section, title, continued, true);
    }

    fn start_page_with(
        &mut self,
        section: Option<Section>,
        title: String,
        continued: bool,
        show_context: bool,
    ) {
        let old = std::mem::replace(&mut self.page, empty_page(section, title, continued));
        if !old.runs.is_empty() || !old.lines.is_empty() || !old.boxes.is_empty() {
            self.pages.push(old);
        }
        self.draw_header();
        self.page_top = self.y;
        if continued
            && show_context
            && let Some(ctx) = self.context.clone()
        {
            let st = self.style.strong;
            self.text_lines(&format!("{ctx} (continued)"), st, 0.0, false);
            self.y += self.style.gap;
        }
        self.page_top = self.y;
    }

    fn draw_header(&mut self) {
        let st = self.style.header;
        let lh = st.line_h();
        let left = self.content_left();
        let right = self.content_right();
        let mut title = self.page.title.clone();
        if self.page.continued {
            title.push_str(" (continued)");
        }
        let title_st = TextStyle { accent: true, ..st };
        let title = self.clean(&title, true);
        self.y = MARGINS.top_mm;
        let title_w = self.width_of(&title, title_st);
        match self.header_name.clone() {
            Some(name) => {
                let name = self.clean(&name, true);
                let name_w = self.width_of(&name, st);
                if name_w + SEGMENT_GAP_MM + title_w <= self.content_w() {
                    self.push_run(name, left, self.y, st);
                    self.push_run(title, right - title_w - EPS, self.y, title_st);
                    self.y += lh;
                } else {
                    self.text(&name, st, 0.0);
                    self.text(&title, title_st, 0.0);
                }
            }
            None => {
                // No name known: leave a line for the person to write it on.
                let label = "Name:".to_string();
                let label_w = self.width_of(&label, st);
                let line_end = left + label_w + 2.0 + 55.0;
                if line_end + SEGMENT_GAP_MM + title_w <= right {
                    let base = self.push_run(label, left, self.y, st) + 1.0;
                    self.writing_line(left + label_w + 2.0, line_end, base);
                    self.push_run(title, right - title_w - EPS, self.y, title_st);
                    self.y += lh;
                } else {
                    let base = self.push_run(label, left, self.y, st) + 1.0;
                    self.writing_line(left + label_w + 2.0, right, base);
                    self.y += lh;
                    self.text(&title, title_st, 0.0);
                }
            }
        }
        self.y += 1.5;
        self.rule_at(self.y, 1.0);
        self.y += if self.style.body.size_pt > 12.0 {
            7.0
        } else {
            6.0
        };
    }

    fn at_top(&self) -> bool {
        self.y <= self.page_top + EPS
    }

    /// Continues on a new page of the same section.
    pub(crate) fn break_page(&mut self) {
        // "Continued" note in the strip reserved above the footer.
        let st = TextStyle {
            accent: true,
            bold: true,
            ..self.style.footer
        };
        // A heading still waiting for its content moves with it.
        // Only a short run of headings moves (never more than half a page), so the
        // moved block always fits below the new page's header.
        let half_page = (self.content_bottom - self.page_top) / 2.0;
        let anchor = self
            .anchor
            .take()
            .filter(|a| a.y > self.page_top + EPS && self.y - a.y < half_page);
        let show_context = anchor.as_ref().is_none_or(|a| a.context == self.context);
        let moved = anchor.map(|a| {
            (
                self.page.runs.split_off(a.runs),
                self.page.lines.split_off(a.lines),
                self.page.boxes.split_off(a.boxes),
                a.y,
                a.context,
            )
        });
        let note = "Continued on the next page".to_string();
        let w = self.width_of(&note, st);
        let x = self.content_right() - w - EPS;
        self.push_run(note, x, self.content_bottom, st);
        let section = self.page.section;
        let title = self.page.title.clone();
        let old_y = self.y;
        self.start_page_with(section, title, true, show_context);
        if let Some((runs, lines, boxes, from_y, context)) = moved {
            let dy = self.y - from_y;
            let height = old_y - from_y;
            self.anchor = Some(Anchor {
                runs: self.page.runs.len(),
                lines: self.page.lines.len(),
                boxes: self.page.boxes.len(),
                y: self.y,
                context,
            });
            self.page.runs.extend(runs.into_iter().map(|mut r| {
                r.y_mm += dy;
                r
            }));
            self.page.lines.extend(lines.into_iter().map(|mut l| {
                l.y1_mm += dy;
                l.y2_mm += dy;
                l
            }));
            self.page.boxes.extend(boxes.into_iter().map(|mut b| {
                b.y_mm += dy;
                b
            }));
            self.y += height;
        }
    }

    /// Makes room for `h` millimetres, breaking the page if needed.
    pub(crate) fn ensure(&mut self, h: f32) {
        if self.y + h > self.content_bottom + EPS && !self.at_top() {
            self.break_page();
        }
    }

    /// Keeps a block of height `h` on one page when it fits on a fresh page.
    pub(crate) fn keep_together(&mut self, h: f32) {
        let fresh = self.content_bottom - self.page_top;
        if self.y + h > self.content_bottom + EPS && h <= fresh && !self.at_top() {
            self.break_page();
        }
    }

    /// Space left on the current page.
    pub(crate) fn room(&self) -> f32 {
        self.content_bottom - self.y
    }

    /// Vertical space (dropped at the top of a page).
    pub(crate) fn gap(&mut self, mm: f32) {
        if !self.at_top() {
            self.y += mm;
        }
    }

    // ----- content ---------------------------------------------------------------

    /// Wrapped text at `indent` from the left content edge. Returns the number of lines.
    pub(crate) fn text(&mut self, text: &str, st: TextStyle, indent: f32) -> usize {
        self.text_lines(text, st, indent, false)
    }

    /// Wrapped text; a paragraph split across pages keeps at least two lines on each
    /// side. `heading` text keeps the keep-with-next anchor alive.
    fn text_lines(&mut self, text: &str, st: TextStyle, indent: f32, heading: bool) -> usize {
        let width = self.content_w() - indent;
        let lines = self.wrap_text(text, st, width);
        let lh = st.line_h();
        let x = self.content_left() + indent;
        let n = lines.len();
        // Widow and orphan control: where would the page break fall?
        let fit = ((self.content_bottom + EPS - self.y) / lh).floor().max(0.0) as usize;
        let mut break_before = None;
        if !self.at_top() && fit < n {
            if fit < 2 {
                break_before = Some(0);
            } else if n - fit < 2 && fit >= 3 {
                break_before = Some(fit - 1);
            }
        }
        for (i, line) in lines.into_iter().enumerate() {
            if break_before == Some(i) {
                self.break_page();
            }
            self.ensure(lh);
            if !line.is_empty() {
                self.push_run(line, x, self.y, st);
            }
            self.y += lh;
            if !heading {
                self.anchor = None;
            }
        }
        n
    }

    /// Clears the keep-with-next anchor once real content has been placed.
    fn placed(&mut self) {
        self.anchor = None;
    }

    /// A paragraph of body text followed by a small gap.
    pub(crate) fn para(&mut self, text: &str) {
        let st = self.style.body;
        self.text(text, st, 0.0);
        self.y += self.style.gap;
    }

    /// A heading kept together with `keep_mm` of what follows it.
    pub(crate) fn heading(&mut self, text: &str, st: TextStyle, keep_mm: f32) {
        let h = self.text_height(text, st, 0.0);
        let before = if self.at_top() {
            0.0
        } else {
            st.space_before_mm
        };
        self.keep_together(before + h + keep_mm);
        self.gap(st.space_before_mm);
        if self.anchor.is_none() {
            self.anchor = Some(Anchor {
                runs: self.page.runs.len(),
                lines: self.page.lines.len(),
                boxes: self.page.boxes.len(),
                y: self.y,
                context: self.context.clone(),
            });
        }
        self.text_lines(text, st, 0.0, true);
        self.y += self.style.gap * 0.6;
    }

    /// Space a heading plus one body line needs (for keep-with-next decisions).
    pub(crate) fn body_line(&self) -> f32 {
        self.style.body.line_h()
    }

    /// Label/value rows: bold label column, value wrapped beside it.
    pub(crate) fn rows(&mut self, rows: &[(String, String)]) {
        let label_w = self.label_width(rows.iter().map(|(l, _)| l.as_str()));
        let lst = self.style.strong;
        let vst = self.style.body;
        let lh = vst.line_h();
        let x_label = self.content_left();
        let x_value = x_label + label_w;
        let value_w = self.content_w() - label_w;
        for (label, value) in rows {
            let llines = self.wrap_text(label, lst, label_w - 3.0);
            let vlines = self.wrap_text(value, vst, value_w);
            let n = llines.len().max(vlines.len()).max(1);
            // Keep short rows whole.
            if n <= 4 {
                self.keep_together(n as f32 * lh);
            }
            let mut ll = llines.into_iter();
            let mut vl = vlines.into_iter();
            for _ in 0..n {
                self.ensure(lh);
                if let Some(l) = ll.next().filter(|l| !l.is_empty()) {
                    self.push_run(l, x_label, self.y, lst);
                }
                if let Some(v) = vl.next().filter(|v| !v.is_empty()) {
                    self.push_run(v, x_value, self.y, vst);
                }
                self.y += lh;
                self.placed();
            }
            self.y += self.style.gap * 0.4;
        }
    }

    /// The label column: the style's width, widened (up to 42% of the line) to fit the
    /// longest label without wrapping.
    fn label_width<'a>(&self, labels: impl IntoIterator<Item = &'a str>) -> f32 {
        let st = self.style.strong;
        let widest = labels
            .into_iter()
            .map(|l| self.width_of(l.trim(), st))
            .fold(0.0f32, f32::max);
        (widest + 4.0).clamp(self.style.label_w, self.content_w() * 0.42)
    }

    /// Height [`Composer::rows`] would take.
    pub(crate) fn rows_height(&mut self, rows: &[(String, String)]) -> f32 {
        let label_w = self.label_width(rows.iter().map(|(l, _)| l.as_str()));
        let lst = self.style.strong;
        let vst = self.style.body;
        let value_w = self.content_w() - label_w;
        let mut h = 0.0;
        for (label, value) in rows {
            let n = self
                .wrap_text(label, lst, label_w - 3.0)
                .len()
                .max(self.wrap_text(value, vst, value_w).len())
                .max(1);
            h += n as f32 * vst.line_h() + self.style.gap * 0.4;
        }
        h
    }

    /// Labels each followed by a ruled line to write on.
    pub(crate) fn label_lines(&mut self, labels: &[&str]) {
        let lst = self.style.strong;
        let gap = self.style.writing_gap;
        let x_label = self.content_left();
        let label_w = self.label_width(labels.iter().copied());
        for label in labels {
            let lines = self.wrap_text(label, lst, label_w - 3.0);
            let h = (lines.len().max(1) as f32 * lst.line_h()).max(gap);
            self.ensure(h);
            let top = self.y + h - lst.line_h();
            let n = lines.len();
            let mut base = self.y + h - 1.5;
            for (i, l) in lines.into_iter().enumerate() {
                let line_top = top - (n - 1 - i) as f32 * lst.line_h();
                base = self.push_run(l, x_label, line_top, lst) + 1.0;
            }
            self.writing_line(x_label + label_w, self.content_right(), base);
            self.y += h + self.style.gap * 0.4;
            self.placed();
        }
    }

    /// A bullet point with wrapped text in `st`.
    pub(crate) fn bullet(&mut self, text: &str, st: TextStyle, indent: f32) {
        let bullet_w = self.width_of("•", TextStyle { bold: false, ..st }) + 2.5;
        let lines = self.wrap_text(text, st, self.content_w() - indent - bullet_w);
        let lh = st.line_h();
        if lines.len() <= 3 {
            self.keep_together(lines.len() as f32 * lh);
        }
        let x = self.content_left() + indent;
        for (i, line) in lines.into_iter().enumerate() {
            self.ensure(lh);
            if i == 0 {
                self.push_run("•".to_string(), x, self.y, TextStyle { bold: false, ..st });
            }
            if !line.is_empty() {
                self.push_run(line, x + bullet_w, self.y, st);
            }
            self.y += lh;
            self.placed();
        }
        self.y += self.style.gap * 0.3;
    }

    /// A tick box followed by wrapped text, or by a writing line when `text` is empty.
    pub(crate) fn tick_item(&mut self, text: &str, ticked: bool, indent: f32) {
        let st = self.style.body;
        let b = self.style.tick_mm;
        let x = self.content_left() + indent;
        let tx = x + b + 3.0;
        let lh = st.line_h();
        let lines = self.wrap_text(text, st, self.content_right() - EPS - tx);
        if (1..=3).contains(&lines.len()) {
            self.keep_together(lines.len() as f32 * lh);
        }
        if lines.is_empty() {
            let gap = self.style.writing_gap;
            self.ensure(gap);
            let base = self.y + gap - 1.5;
            self.page.boxes.push(BoxShape {
                x_mm: x,
                y_mm: base - b,
                w_mm: b,
                h_mm: b,
                ticked,
            });
            self.writing_line(tx, self.content_right(), base);
            self.y += gap;
            self.placed();
            return;
        }
        for (i, line) in lines.into_iter().enumerate() {
            self.ensure(lh);
            if i == 0 {
                self.page.boxes.push(BoxShape {
                    x_mm: x,
                    y_mm: self.y + (lh - b) / 2.0,
                    w_mm: b,
                    h_mm: b,
                    ticked,
                });
            }
            if !line.is_empty() {
                self.push_run(line, tx, self.y, st);
            }
            self.y += lh;
            self.placed();
        }
        self.y += self.style.gap * 0.5;
    }

    fn writing_line(&mut self, x1: f32, x2: f32, y: f32) {
        self.page.lines.push(RuleLine {
            x1_mm: x1,
            y1_mm: y,
            x2_mm: x2,
            y2_mm: y,
            thickness_pt: 0.6,
            kind: LineKind::Writing,
        });
    }

    fn rule_at(&mut self, y: f32, thickness_pt: f32) {
        let (x1, x2) = (self.content_left(), self.content_right());
        self.page.lines.push(RuleLine {
            x1_mm: x1,
            y1_mm: y,
            x2_mm: x2,
            y2_mm: y,
            thickness_pt,
            kind: LineKind::Rule,
        });
    }

    /// `n` ruled writing lines starting `indent` from the left edge.
    pub(crate) fn writing_lines(&mut self, n: usize, indent: f32) {
        let gap = self.style.writing_gap;
        let x1 = self.content_left() + indent;
        let x2 = self.content_right();
        // A few lines belong together (and with their heading).
        if n <= 4 {
            self.keep_together(n as f32 * gap);
        }
        for _ in 0..n {
            self.ensure(gap);
            let y = self.y + gap - 1.5;
            self.writing_line(x1, x2, y);
            self.y += gap;
            self.placed();
        }
    }

    /// Writing lines filling the rest of the page (at least `min`).
    pub(crate) fn fill_writing_lines(&mut self, min: usize) {
        let fit = (self.room() / self.style.writing_gap).floor().max(0.0) as usize;
        self.writing_lines(fit.max(min), 0.0);
    }

    /// A "My notes" heading with writing lines filling the rest of the page, only if at
    /// least `min` lines fit (never starts a page of its own).
    pub(crate) fn notes_if_room(&mut self, min: usize) {
        let st = self.style.h2;
        let need =
            st.space_before_mm + st.line_h() + self.style.gap + min as f32 * self.style.writing_gap;
        if self.room() >= need {
            self.heading("My notes", st, self.style.writing_gap);
            self.fill_writing_lines(min);
        }
    }

    /// A thin divider between blocks.
    pub(crate) fn divider(&mut self) {
        let gap = self.style.gap * 1.5;
        if self.y + 2.0 * gap > self.content_bottom {
            return;
        }
        self.y += gap;
        self.rule_at(self.y, 0.5);
        self.y += gap;
    }

    // ----- footer and finishing ----------------------------------------------------

    /// Footer lines for a page label: (text, bold, x offset) per line.
    fn footer_lines(&mut self, page_label: &str) -> Vec<Vec<(String, bool, f32)>> {
        let st = self.style.footer;
        let width = self.content_w();
        let mut lines: Vec<Vec<(String, bool, f32)>> = vec![Vec::new()];
        let mut x = 0.0f32;
        for (seg, bold) in self.footer.segments(page_label) {
            let seg_st = TextStyle { bold, ..st };
            let pieces = self.wrap_text(&seg, seg_st, width);
            for piece in pieces {
                let w = self.width_of(&piece, seg_st);
                let start = if x == 0.0 { 0.0 } else { x + SEGMENT_GAP_MM };
                let cur = lines.last_mut().expect("at least one line");
                if !cur.is_empty() && start + w > width {
                    lines.push(vec![(piece, bold, 0.0)]);
                    x = w;
                } else {
                    cur.push((piece, bold, start));
                    x = start + w;
                }
            }
        }
        lines
    }

    /// Finishes the pages into an A4 document: every kind of print (book, service page,
    /// letter, pack) ends here, so the page shape is stated once.
    pub(crate) fn into_document(self, title: String, large_print: bool) -> Document {
        let (pages, missing_glyphs) = self.finish();
        Document {
            title,
            page_width_mm: PAGE_WIDTH_MM,
            page_height_mm: PAGE_HEIGHT_MM,
            margins: MARGINS,
            large_print,
            pages,
            missing_glyphs,
        }
    }

    /// Adds footers ("Page N of M", ...) and returns the pages.
    pub(crate) fn finish(mut self) -> (Vec<Page>, Vec<char>) {
        let last = std::mem::replace(&mut self.page, empty_page(None, String::new(), false));
        self.pages.push(last);
        let total = self.pages.len();
        let st = self.style.footer;
        let lh = st.line_h();
        let mut pages = std::mem::take(&mut self.pages);
        for (i, page) in pages.iter_mut().enumerate() {
            let lines = self.footer_lines(&format!("Page {} of {}", i + 1, total));
            let top = PAGE_HEIGHT_MM - MARGINS.bottom_mm - lines.len() as f32 * lh;
            std::mem::swap(&mut self.page, page);
            self.rule_at(top - 2.0, 0.5);
            for (li, line) in lines.into_iter().enumerate() {
                for (text, bold, dx) in line {
                    let seg_st = TextStyle { bold, ..st };
                    let x = self.content_left() + dx;
                    self.push_run(text, x, top + li as f32 * lh, seg_st);
                }
            }
            std::mem::swap(&mut self.page, page);
            page.number = i + 1;
        }
        (pages, self.missing.into_iter().collect())
    }
}

/// Joins groups of digits separated by one space ("0115 496 0321", "116 123") with
/// no-break spaces so phone numbers are not split across lines.
fn bind_digit_groups(s: &str) -> String {
    let chars: Vec<char> = s.chars().collect();
    chars
        .iter()
        .enumerate()
        .map(|(i, &c)| {
            let between_digits = i > 0
                && i + 1 < chars.len()
                && chars[i - 1].is_ascii_digit()
                && chars[i + 1].is_ascii_digit();
            if c == ' ' && between_digits { NBSP } else { c }
        })
        .collect()
}

/// Text repeated on every page (name, service, context line) is shortened beyond this
/// many characters, so absurdly long values cannot crowd out the page body. The full
/// text is still printed where it belongs (cover, block heading).
const MAX_REPEATED_CHARS: usize = 60;

/// `s` cut to at most `max` characters, ending in "…" when cut.
fn ellipsize(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        return s.to_string();
    }
    let mut out: String = s.chars().take(max.saturating_sub(1)).collect();
    out.truncate(out.trim_end().len());
    out.push('…');
    out
}

fn empty_page(section: Option<Section>, title: String, continued: bool) -> Page {
    Page {
        number: 0,
        section,
        title,
        continued,
        runs: Vec::new(),
        boxes: Vec::new(),
        lines: Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn digit_groups_are_bound_but_dates_are_not() {
        assert_eq!(
            bind_digit_groups("call 0115 496 0321"),
            "call 0115\u{A0}496\u{A0}0321"
        );
        assert_eq!(bind_digit_groups("3 April 2025"), "3 April 2025");
        assert_eq!(bind_digit_groups("1 2"), "1\u{A0}2");
    }

    #[test]
    fn ellipsize_keeps_short_text_and_marks_cuts() {
        assert_eq!(ellipsize("Zoë", 60), "Zoë");
        assert_eq!(ellipsize("abcdef", 4), "abc…");
        assert_eq!(ellipsize("ab  cdef", 4), "ab…");
        assert_eq!(ellipsize(&"é".repeat(100), 60).chars().count(), 60);
    }
}
