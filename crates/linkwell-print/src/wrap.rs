//! Line breaking by measured width.
//!
//! Greedy word wrapping: words never exceed the measure; a word longer than a whole
//! line is broken, preferably just after `/ - . @ _`, otherwise between characters.
//! Hard line breaks (`\n`) in the person's words are kept; runs of blank lines collapse
//! to one.

/// Measures text in millimetres. Widths must be additive (no kerning), which holds for
/// the way printpdf sets text: one glyph per `char`, advance widths only.
pub(crate) trait Measure {
    fn width(&self, text: &str) -> f32;
    fn char_width(&self, c: char) -> f32;
}

/// A no-break space joins words that must stay on one line (e.g. a postcode).
pub(crate) const NBSP: char = '\u{A0}';

/// Characters after which a too-long word is preferably broken.
const SOFT_BREAKS: &[char] = &['/', '-', '.', '@', '_', ',', ';', ':', '–', '?', '&', '='];

/// Wraps `text` into lines no wider than `max_mm`. Empty strings in the result are
/// blank lines (kept only between paragraphs). Returns no lines for blank text.
pub(crate) fn wrap(text: &str, max_mm: f32, m: &dyn Measure) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for para in text.split('\n') {
        if para.trim().is_empty() {
            if out.last().is_some_and(|l| !l.is_empty()) {
                out.push(String::new());
            }
            continue;
        }
        wrap_paragraph(para, max_mm, m, &mut out);
    }
    while out.last().is_some_and(|l| l.is_empty()) {
        out.pop();
    }
    out
}

fn wrap_paragraph(para: &str, max_mm: f32, m: &dyn Measure, out: &mut Vec<String>) {
    let space = m.width(" ");
    let mut line = String::new();
    let mut line_w = 0.0f32;
    for word in para
        .split(|c: char| c.is_whitespace() && c != NBSP)
        .filter(|w| !w.is_empty())
    {
        let w = m.width(word);
        if !line.is_empty() {
            if line_w + space + w <= max_mm {
                line.push(' ');
                line.push_str(word);
                line_w += space + w;
                continue;
            }
            out.push(std::mem::take(&mut line));
        }
        if w <= max_mm {
            line.push_str(word);
            line_w = w;
            continue;
        }
        // A word longer than the line: break it into pieces that fit.
        let mut pieces = break_word(word, max_mm, m);
        let last = pieces.pop().unwrap_or_default();
        out.extend(pieces);
        line_w = m.width(&last);
        line = last;
    }
    if !line.is_empty() {
        out.push(line);
    }
}

/// Splits one word into pieces no wider than `max_mm` (each at least one character,
/// so a single glyph wider than the line still makes progress).
fn break_word(word: &str, max_mm: f32, m: &dyn Measure) -> Vec<String> {
    let chars: Vec<char> = word.chars().collect();
    let mut pieces = Vec::new();
    let mut start = 0;
    while start < chars.len() {
        let mut w = 0.0f32;
        let mut end = start;
        while end < chars.len() {
            let cw = m.char_width(chars[end]);
            if end > start && w + cw > max_mm {
                break;
            }
            w += cw;
            end += 1;
        }
        if end < chars.len() {
            // Prefer a soft break in the last two thirds of the piece: after '@' (an
            // email's domain stays whole) if there is one, else the last one.
            let min = start + (end - start).div_ceil(3).max(1);
            let soft = |i: &usize| SOFT_BREAKS.contains(&chars[i - 1]) || chars[i - 1] == NBSP;
            let at = (min..=end).rev().find(|&i| chars[i - 1] == '@');
            if let Some(pos) = at.or_else(|| (min..=end).rev().find(soft)) {
                end = pos;
            }
        }
        pieces.push(chars[start..end].iter().collect());
        start = end;
    }
    pieces
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every character is 1 mm wide.
    struct Mono;
    impl Measure for Mono {
        fn width(&self, text: &str) -> f32 {
            text.chars().count() as f32
        }
        fn char_width(&self, _c: char) -> f32 {
            1.0
        }
    }

    fn check(text: &str, max: f32, expected: &[&str]) {
        let got = wrap(text, max, &Mono);
        assert_eq!(got, expected, "wrapping {text:?} at {max}");
        for l in &got {
            assert!(Mono.width(l) <= max, "{l:?} wider than {max}");
        }
    }

    #[test]
    fn greedy_word_wrap() {
        check("the quick brown fox", 10.0, &["the quick", "brown fox"]);
        check("the quick brown fox", 9.0, &["the quick", "brown fox"]);
        check(
            "the quick brown fox",
            8.0,
            &["the", "quick", "brown", "fox"],
        );
        check("a b c", 100.0, &["a b c"]);
    }

    #[test]
    fn whitespace_collapses_and_blank_text_gives_nothing() {
        check("  lots   of\tspace  ", 100.0, &["lots of space"]);
        check("", 10.0, &[]);
        check(" \n \n", 10.0, &[]);
    }

    #[test]
    fn hard_breaks_and_paragraphs_are_kept() {
        check("one\ntwo", 100.0, &["one", "two"]);
        check("one\n\n\n\ntwo\n\n", 100.0, &["one", "", "two"]);
    }

    #[test]
    fn long_words_break_to_fit() {
        check("abcdefghij", 4.0, &["abcd", "efgh", "ij"]);
        check("x abcdefghij y", 4.0, &["x", "abcd", "efgh", "ij y"]);
        let word = "w".repeat(300);
        let got = wrap(&word, 7.0, &Mono);
        assert_eq!(got.concat(), word);
        assert!(got.iter().all(|l| l.chars().count() <= 7));
    }

    #[test]
    fn long_words_prefer_soft_breaks() {
        check(
            "see www.example.org/groups/walking",
            12.0,
            &["see", "www.example.", "org/groups/", "walking"],
        );
    }

    #[test]
    fn emails_break_after_the_at_sign() {
        check(
            "siobhan.obriain@livewell.example.nhs.uk",
            30.0,
            &["siobhan.obriain@", "livewell.example.nhs.uk"],
        );
    }

    #[test]
    fn no_break_spaces_hold_words_together() {
        check("Where: NG2\u{A0}6AT", 9.0, &["Where:", "NG2\u{A0}6AT"]);
    }

    #[test]
    fn a_glyph_wider_than_the_line_still_progresses() {
        assert_eq!(wrap("abc", 0.5, &Mono), ["a", "b", "c"]);
    }
}
