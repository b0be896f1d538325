//! Tables of figures (the evaluation pack): a header row and rows of cells in columns, the
//! header repeated on every page the table flows onto. A table too wide for the page is set
//! as one short paragraph per row ("Column: value · ...") instead, so nothing is cut off.

use super::{Composer, EPS, TextStyle};

/// Space between columns.
const COLUMN_GAP_MM: f32 = 3.0;
/// The first column (labels) never gets narrower than this when it has to wrap.
const MIN_LABEL_MM: f32 = 32.0;

impl Composer {
    /// The table's text size: the body size less two points (10 pt, or 14 in large print).
    pub(crate) fn table_style(&self, bold: bool) -> TextStyle {
        TextStyle {
            size_pt: self.style.body.size_pt - 2.0,
            bold,
            accent: false,
            leading: 1.35,
            space_before_mm: 0.0,
        }
    }

    /// Column widths, or None when the columns cannot fit side by side: every column but the
    /// first is as wide as its widest cell (its header may wrap at spaces); the first takes
    /// what is left and wraps.
    fn column_widths(&self, columns: &[String], rows: &[Vec<String>]) -> Option<Vec<f32>> {
        let (body, head) = (self.table_style(false), self.table_style(true));
        let widest_word = |s: &str| {
            s.split_whitespace()
                .map(|w| self.width_of(w, head))
                .fold(0.0f32, f32::max)
        };
        let mut widths: Vec<f32> = columns
            .iter()
            .enumerate()
            .map(|(i, c)| {
                let cells = rows
                    .iter()
                    .filter_map(|r| r.get(i))
                    .map(|s| self.width_of(s, body))
                    .fold(0.0f32, f32::max);
                cells.max(widest_word(c)) + COLUMN_GAP_MM
            })
            .collect();
        let rest: f32 = widths.iter().skip(1).sum();
        let room = self.content_w() - rest;
        if room < MIN_LABEL_MM.min(widths[0]) {
            return None;
        }
        widths[0] = room;
        Some(widths)
    }

    /// A table; false (nothing placed) when it has no columns.
    pub(crate) fn table(&mut self, columns: &[String], rows: &[Vec<String>]) -> bool {
        if columns.is_empty() {
            return false;
        }
        let Some(widths) = self.column_widths(columns, rows) else {
            self.row_paragraphs(columns, rows);
            return true;
        };
        let head = self.table_style(true);
        let body = self.table_style(false);
        let lh = body.line_h();
        let header_h = self.row_height(columns, &widths, head);
        self.keep_together(header_h + 2.0 * lh);
        self.header_row(columns, &widths);
        for row in rows {
            let h = self.row_height(row, &widths, body);
            // A row never splits; a row that starts a new page has the header above it.
            if self.y + h > self.content_bottom + EPS {
                self.break_page();
                self.header_row(columns, &widths);
            }
            self.cells(row, &widths, body);
            self.placed();
        }
        self.y += 1.0;
        self.rule_at(self.y, 0.5);
        self.y += self.style.gap;
        true
    }

    fn wrapped(&mut self, row: &[String], widths: &[f32], st: TextStyle) -> Vec<Vec<String>> {
        widths
            .iter()
            .enumerate()
            .map(|(i, w)| {
                let text = row.get(i).map_or("", String::as_str);
                self.wrap_text(text, st, w - COLUMN_GAP_MM)
            })
            .collect()
    }

    fn row_height(&mut self, row: &[String], widths: &[f32], st: TextStyle) -> f32 {
        let n = self
            .wrapped(row, widths, st)
            .iter()
            .map(Vec::len)
            .max()
            .unwrap_or(1)
            .max(1);
        n as f32 * st.line_h()
    }

    fn header_row(&mut self, columns: &[String], widths: &[f32]) {
        let head = self.table_style(true);
        self.cells(columns, widths, head);
        self.rule_at(self.y + 0.6, 0.5);
        self.y += 1.6;
    }

    /// One row: the first cell left-aligned, the others (figures) right-aligned.
    fn cells(&mut self, row: &[String], widths: &[f32], st: TextStyle) {
        let lines = self.wrapped(row, widths, st);
        let lh = st.line_h();
        let mut x = self.content_left();
        let top = self.y;
        let mut n = 1;
        for (i, (cell, w)) in lines.into_iter().zip(widths).enumerate() {
            n = n.max(cell.len());
            for (k, line) in cell.into_iter().enumerate() {
                let lx = if i == 0 {
                    x
                } else {
                    x + w - self.width_of(&line, st) - EPS
                };
                if !line.is_empty() {
                    self.push_run(line, lx, top + k as f32 * lh, st);
                }
            }
            x += w;
        }
        self.y = top + n as f32 * lh;
    }

    /// A table too wide for the page: each row as its first cell in bold, then the rest as
    /// "Column: value" pairs in one paragraph.
    fn row_paragraphs(&mut self, columns: &[String], rows: &[Vec<String>]) {
        let head = self.table_style(true);
        let body = self.table_style(false);
        for row in rows {
            let first = row.first().map_or("", String::as_str);
            let rest: Vec<String> = columns
                .iter()
                .zip(row)
                .skip(1)
                .filter(|(_, v)| !v.is_empty())
                .map(|(c, v)| format!("{c}: {v}"))
                .collect();
            let h =
                self.text_height(first, head, 0.0) + self.text_height(&rest.join(" · "), body, 4.0);
            self.keep_together(h);
            self.text(first, head, 0.0);
            self.text(&rest.join(" · "), body, 4.0);
            self.y += self.style.gap * 0.6;
            self.placed();
        }
        self.y += self.style.gap;
    }
}
