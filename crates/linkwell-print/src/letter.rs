//! A letter on the service's letterhead: the message back to a referrer. The caller decides
//! every word (the core's content rules); this only sets it on A4 pages with the service's
//! name in every header, and the person, "Page N of M" and the date in every footer.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::PrintError;
use crate::fonts::fonts;
use crate::layout::{Composer, Document, FooterInfo};
use crate::model::{PrintOptions, long_date};
use crate::render::render_pdf;

/// Everything printed in one letter.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Letter {
    /// The heading of the letter and of every page ("Support closed").
    pub title: String,
    /// The service's name, then its address and contact lines.
    pub letterhead: Vec<String>,
    /// Who it goes to: name, role, organisation, address or secure email.
    pub recipient: Vec<String>,
    pub date: NaiveDate,
    /// Who the letter is about, in every footer ("NHS number 943 476 5919, Margaret Smith").
    pub about: String,
    /// Blocks in reading order.
    pub blocks: Vec<LetterBlock>,
    /// The closing lines (who wrote it).
    pub sign_off: Vec<String>,
}

/// A heading and its rows; a row with an empty label is a paragraph.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LetterBlock {
    pub heading: String,
    pub rows: Vec<(String, String)>,
}

/// Lays out a letter on A4 pages.
pub fn layout_letter(letter: &Letter, opts: &PrintOptions) -> Result<Document, PrintError> {
    let Some(service) = letter.letterhead.first().filter(|s| !s.trim().is_empty()) else {
        return Err(PrintError::InvalidInput(
            "the letter has no letterhead: the service's name is needed at the top".to_string(),
        ));
    };
    let fonts = fonts()?;
    let footer = FooterInfo {
        printed_on: Some(letter.date),
        review_on: None,
        service_name: letter.about.clone(),
        checked_on: None,
    };
    let mut c = Composer::new(fonts, opts.large_print, Some(service.clone()), footer);
    c.begin_section(None, &letter.title);
    let st = c.style;
    for line in letter.letterhead.iter().skip(1) {
        c.text(line, st.body, 0.0);
    }
    c.gap(st.gap * 2.0);
    for line in &letter.recipient {
        c.text(line, st.body, 0.0);
    }
    c.gap(st.gap);
    c.text(&long_date(letter.date), st.body, 0.0);
    c.gap(st.gap);
    c.heading(&letter.title, st.h1, c.body_line());
    for block in &letter.blocks {
        c.heading(&block.heading, st.h2, c.body_line());
        let mut pending: Vec<(String, String)> = Vec::new();
        for (label, value) in &block.rows {
            if label.trim().is_empty() {
                if !pending.is_empty() {
                    c.rows(&std::mem::take(&mut pending));
                }
                c.para(value);
            } else {
                pending.push((label.clone(), value.clone()));
            }
        }
        if !pending.is_empty() {
            c.rows(&pending);
        }
    }
    c.gap(st.gap * 2.0);
    for line in &letter.sign_off {
        c.text(line, st.body, 0.0);
    }
    Ok(c.into_document(letter.title.clone(), opts.large_print))
}

/// Lays out and renders a letter in one call.
pub fn letter_pdf(letter: &Letter, opts: &PrintOptions) -> Result<Vec<u8>, PrintError> {
    render_pdf(&layout_letter(letter, opts)?, opts)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn letter(blocks: usize) -> Letter {
        Letter {
            title: "Support closed".into(),
            letterhead: vec![
                "Rushcliffe Social Prescribing".into(),
                "1 Main Street, Ruddington NG11 6JA".into(),
            ],
            recipient: vec!["Dr Asha Patel".into(), "Musters Medical Practice".into()],
            date: NaiveDate::from_ymd_opt(2026, 12, 2).unwrap(),
            about: "NHS number 943 476 5919, Margaret Smith".into(),
            blocks: (0..blocks)
                .map(|i| LetterBlock {
                    heading: format!("Block {i}"),
                    rows: vec![
                        ("Label".into(), "A value that says something".into()),
                        (String::new(), "A paragraph of words about it.".into()),
                    ],
                })
                .collect(),
            sign_off: vec!["Priya Shah, link worker".into()],
        }
    }

    #[test]
    fn every_page_has_the_service_the_person_and_its_number() {
        let opts = PrintOptions::new(NaiveDate::from_ymd_opt(2026, 12, 2).unwrap());
        let doc = layout_letter(&letter(40), &opts).unwrap();
        assert!(
            doc.pages.len() > 1,
            "long enough to flow onto a second page"
        );
        let n = doc.pages.len();
        for (i, page) in doc.pages.iter().enumerate() {
            // Digit groups are bound with no-break spaces so a number never splits.
            let text = page.text().replace('\u{A0}', " ");
            assert!(text.contains("Rushcliffe Social Prescribing"), "{text}");
            assert!(text.contains("NHS number 943 476 5919"), "{text}");
            assert!(text.contains(&format!("Page {} of {n}", i + 1)), "{text}");
        }
    }

    #[test]
    fn a_letter_without_a_letterhead_is_refused() {
        let opts = PrintOptions::new(NaiveDate::from_ymd_opt(2026, 12, 2).unwrap());
        let mut l = letter(1);
        l.letterhead.clear();
        assert!(matches!(
            layout_letter(&l, &opts),
            Err(PrintError::InvalidInput(_))
        ));
    }
}
