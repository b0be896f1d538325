//! The embedded typeface (DejaVu Sans, regular and bold) and its metrics.
//!
//! The font bytes are compiled in with `include_bytes!`, parsed once per process and
//! shared by layout (advance widths for line wrapping) and rendering (embedding). Layout
//! measures exactly what the PDF shows: printpdf maps each `char` to one glyph through
//! the font's cmap, without kerning, and so does [`Face::width_mm`].

use std::sync::OnceLock;

use printpdf::ParsedFont;

use crate::PrintError;

/// DejaVu Sans 2.37 (Bitstream Vera + Arev licence; see assets/fonts/LICENSE-DejaVu.txt).
const REGULAR_TTF: &[u8] = include_bytes!("../../../assets/fonts/DejaVuSans.ttf");
/// DejaVu Sans Bold 2.37.
const BOLD_TTF: &[u8] = include_bytes!("../../../assets/fonts/DejaVuSans-Bold.ttf");

/// Millimetres per PostScript point.
pub(crate) const MM_PER_PT: f32 = 25.4 / 72.0;

/// Printed when a character is missing from the font.
pub(crate) const REPLACEMENT: char = '?';

/// One parsed face with the numbers layout needs.
pub(crate) struct Face {
    pub(crate) parsed: ParsedFont,
    units_per_em: f32,
    /// Ascender as a fraction of the em (positive).
    pub(crate) ascent: f32,
    /// Descender as a fraction of the em (positive, below the baseline).
    pub(crate) descent: f32,
}

impl Face {
    fn parse(bytes: &[u8], which: &str) -> Result<Face, String> {
        let mut warnings = Vec::new();
        let parsed = ParsedFont::from_bytes(bytes, 0, &mut warnings)
            .ok_or_else(|| format!("could not read the embedded {which} font: {warnings:?}"))?;
        let m = parsed.pdf_font_metrics;
        let upem = f32::from(m.units_per_em.max(1));
        Ok(Face {
            units_per_em: upem,
            ascent: f32::from(m.ascender) / upem,
            descent: f32::from(m.descender).abs() / upem,
            parsed,
        })
    }

    /// Whether the font has a glyph for `c`.
    pub(crate) fn has(&self, c: char) -> bool {
        self.parsed
            .lookup_glyph_index(c as u32)
            .is_some_and(|g| g != 0)
    }

    /// Advance width of one character in em units (glyph 0 when missing, as printed).
    fn advance_em(&self, c: char) -> f32 {
        let gid = self.parsed.lookup_glyph_index(c as u32).unwrap_or(0);
        f32::from(self.parsed.get_horizontal_advance(gid)) / self.units_per_em
    }

    /// Width of `text` set at `size_pt`, in millimetres.
    pub(crate) fn width_mm(&self, text: &str, size_pt: f32) -> f32 {
        let em: f32 = text.chars().map(|c| self.advance_em(c)).sum();
        em * size_pt * MM_PER_PT
    }

    /// Width of one character at `size_pt`, in millimetres.
    pub(crate) fn char_width_mm(&self, c: char, size_pt: f32) -> f32 {
        self.advance_em(c) * size_pt * MM_PER_PT
    }
}

/// The two faces used on every page.
pub(crate) struct Fonts {
    pub(crate) regular: Face,
    pub(crate) bold: Face,
}

impl Fonts {
    pub(crate) fn face(&self, bold: bool) -> &Face {
        if bold { &self.bold } else { &self.regular }
    }
}

static FONTS: OnceLock<Result<Fonts, String>> = OnceLock::new();

/// The embedded fonts, parsed on first use.
pub(crate) fn fonts() -> Result<&'static Fonts, PrintError> {
    FONTS
        .get_or_init(|| {
            Ok(Fonts {
                regular: Face::parse(REGULAR_TTF, "regular")?,
                bold: Face::parse(BOLD_TTF, "bold")?,
            })
        })
        .as_ref()
        .map_err(|e| PrintError::Font(e.clone()))
}

/// The name of the embedded font, for reports and the PDF metadata.
pub const FONT_NAME: &str = "DejaVu Sans 2.37";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn covers_the_names_we_promise() {
        let f = fonts().unwrap();
        for name in ["Zoë", "Łukasz", "Siobhán", "Nguyễn", "–", "→", "•", "£"] {
            for c in name.chars() {
                assert!(f.regular.has(c), "regular lacks {c:?}");
                assert!(f.bold.has(c), "bold lacks {c:?}");
            }
        }
    }

    #[test]
    fn widths_scale_with_size_and_bold_is_wider() {
        let f = fonts().unwrap();
        let w12 = f.regular.width_mm("Connect", 12.0);
        let w24 = f.regular.width_mm("Connect", 24.0);
        assert!((w24 - 2.0 * w12).abs() < 1e-3);
        assert!(f.bold.width_mm("Connect", 12.0) > w12);
        // DejaVu Sans: 'M' is 0.863 em, so 12 pt ≈ 3.65 mm.
        let m = f.regular.width_mm("M", 12.0);
        assert!((3.5..3.8).contains(&m), "{m}");
    }

    #[test]
    fn no_break_space_is_as_wide_as_a_space() {
        // Layout wraps with U+00A0 and prints U+0020 in its place.
        let f = fonts().unwrap();
        for face in [&f.regular, &f.bold] {
            assert_eq!(face.width_mm(" ", 12.0), face.width_mm("\u{A0}", 12.0));
        }
    }

    #[test]
    fn vertical_metrics_are_sane() {
        let f = fonts().unwrap();
        assert!((0.8..1.0).contains(&f.regular.ascent));
        assert!((0.15..0.3).contains(&f.regular.descent));
    }
}
