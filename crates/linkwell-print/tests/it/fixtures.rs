//! Books and options shared by the tests, and checks every document must pass.

use chrono::NaiveDate;
use linkwell_print::{
    Document, FiveWays, Goal, GreenBook, GroupBlock, LineKind, PAGE_HEIGHT_MM, PAGE_WIDTH_MM, Page,
    PrintError, PrintOptions, Rating, Section, ServiceInfo, Step, layout_green_book,
    sample_green_book,
};

pub fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap()
}

/// Standard print, fixed dates so output is reproducible.
pub fn opts() -> PrintOptions {
    let printed_on = date(2025, 5, 6);
    PrintOptions {
        fixed_timestamp: printed_on.and_hms_opt(9, 30, 0),
        ..PrintOptions::new(printed_on)
    }
}

pub fn large() -> PrintOptions {
    PrintOptions {
        large_print: true,
        ..opts()
    }
}

pub fn blank() -> PrintOptions {
    PrintOptions {
        blank: true,
        ..opts()
    }
}

/// The sample book laid out with only these sections, in standard print.
pub fn sample_sections(pages: Vec<Section>) -> Result<Document, PrintError> {
    layout_green_book(
        &sample_green_book(),
        &PrintOptions {
            pages: Some(pages),
            ..opts()
        },
    )
}

/// The five headings of the wellness plan (never called WRAP).
pub const PLAN_HEADINGS: [&str; 5] = [
    "What keeps me well",
    "What can make me unwell",
    "Early warning signs",
    "What I will do when I notice them",
    "What helps in a crisis and who to contact",
];

/// A book with nothing but a full name and a service name.
pub fn minimal_book() -> GreenBook {
    GreenBook {
        person_preferred_name: None,
        person_full_name: "Łukasz Kowalczyk".to_string(),
        worker: None,
        service: ServiceInfo {
            name: "Live Well".to_string(),
            phone: String::new(),
            email: String::new(),
            crisis_contacts: Vec::new(),
        },
        plan: None,
        goals: Vec::new(),
        groups: Vec::new(),
        next_steps: None,
        measures: Vec::new(),
    }
}

pub fn goal(text: &str, way: FiveWays) -> Goal {
    Goal {
        text: text.to_string(),
        five_ways: way,
        steps: vec![
            Step {
                text: "First small step".to_string(),
                target_on: Some(date(2025, 6, 1)),
                done: true,
            },
            Step {
                text: "Second small step".to_string(),
                target_on: None,
                done: false,
            },
        ],
        ratings: vec![Rating {
            rated_on: date(2025, 5, 1),
            score: 1,
        }],
    }
}

/// The sample book with `n` distinct goals.
pub fn book_with_goals(n: usize) -> GreenBook {
    let mut book = sample_green_book();
    book.goals = (1..=n)
        .map(|i| {
            goal(
                &format!("Goal number {i}: walk a little further each week"),
                FiveWays::ALL[i % 5],
            )
        })
        .collect();
    book
}

pub fn group(name: &str, when: &str) -> GroupBlock {
    GroupBlock {
        name: name.to_string(),
        what_happens: "Tea, chat and a gentle activity.".to_string(),
        when: when.to_string(),
        place: "Community centre".to_string(),
        postcode: "NG2 6AT".to_string(),
        cost: "Free".to_string(),
        access: "Step-free".to_string(),
        contact: "Ngozi, 07700 900987".to_string(),
    }
}

const EPS: f32 = 0.05;

/// Every run, box and line inside the printable area; no two runs overlap, and no run
/// overlaps a tick box.
pub fn assert_well_formed(doc: &Document) {
    let m = doc.margins;
    assert!(m.left_mm >= 25.0, "binding margin {}", m.left_mm);
    assert!(m.top_mm >= 15.0 && m.right_mm >= 15.0 && m.bottom_mm >= 15.0);
    let (left, right) = (m.left_mm - EPS, PAGE_WIDTH_MM - m.right_mm + EPS);
    let (top, bottom) = (m.top_mm - EPS, PAGE_HEIGHT_MM - m.bottom_mm + EPS);
    assert!(!doc.pages.is_empty());
    for (i, page) in doc.pages.iter().enumerate() {
        assert_eq!(page.number, i + 1);
        for r in &page.runs {
            let ctx = || format!("page {}: {:?}", page.number, r);
            assert!(!r.text.is_empty(), "{}", ctx());
            assert!(
                r.x_mm >= left && r.right_mm() <= right,
                "outside left/right: {}",
                ctx()
            );
            assert!(
                r.top_mm() >= top && r.bottom_mm() <= bottom,
                "outside top/bottom: {}",
                ctx()
            );
        }
        for b in &page.boxes {
            assert!(b.x_mm >= left && b.x_mm + b.w_mm <= right, "box {b:?}");
            assert!(b.y_mm >= top && b.y_mm + b.h_mm <= bottom, "box {b:?}");
        }
        for l in &page.lines {
            for (x, y) in [(l.x1_mm, l.y1_mm), (l.x2_mm, l.y2_mm)] {
                assert!(
                    x >= left && x <= right && y >= top && y <= bottom,
                    "line {l:?}"
                );
            }
        }
        assert_no_overlaps(page);
    }
}

fn assert_no_overlaps(page: &Page) {
    let rects: Vec<(f32, f32, f32, f32, String)> = page
        .runs
        .iter()
        .map(|r| {
            (
                r.x_mm,
                r.top_mm(),
                r.right_mm(),
                r.bottom_mm(),
                r.text.clone(),
            )
        })
        .chain(page.boxes.iter().map(|b| {
            (
                b.x_mm,
                b.y_mm,
                b.x_mm + b.w_mm,
                b.y_mm + b.h_mm,
                "[tick box]".to_string(),
            )
        }))
        .collect();
    for (i, a) in rects.iter().enumerate() {
        for b in &rects[i + 1..] {
            let overlap_x = a.0.max(b.0) < a.2.min(b.2) - EPS;
            let overlap_y = a.1.max(b.1) < a.3.min(b.3) - EPS;
            assert!(
                !(overlap_x && overlap_y),
                "page {}: {:?} overlaps {:?}",
                page.number,
                a,
                b
            );
        }
    }
}

/// The person's name and the section title in the header of every page, and
/// "Page N of M" in every footer.
pub fn assert_headers_and_footers(doc: &Document, name: &str) {
    let total = doc.pages.len();
    for page in &doc.pages {
        let header: Vec<&str> = page
            .runs
            .iter()
            .filter(|r| r.top_mm() < doc.margins.top_mm + 15.0)
            .map(|r| r.text.as_str())
            .collect();
        assert!(
            header.contains(&name),
            "page {}: header {header:?} lacks {name}",
            page.number
        );
        let mut title = page.title.clone();
        if page.continued {
            title.push_str(" (continued)");
        }
        assert!(
            header.iter().any(|t| *t == title),
            "page {}: header {header:?} lacks {title:?}",
            page.number
        );
        let label = format!("Page {} of {total}", page.number);
        assert!(
            page.runs.iter().any(|r| r.text == label),
            "page {} lacks {label:?}",
            page.number
        );
    }
}

pub fn sizes(doc: &Document) -> (f32, f32) {
    let all = doc
        .pages
        .iter()
        .flat_map(|p| p.runs.iter().map(|r| r.size_pt));
    let min = all.clone().fold(f32::MAX, f32::min);
    let max = all.fold(0.0, f32::max);
    (min, max)
}

/// Collapses all whitespace (including no-break spaces) to single spaces.
pub fn squash(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// No page ends with a heading whose content went to the next page.
pub fn assert_no_stranded_headings(doc: &Document) {
    for page in &doc.pages {
        let Some(note) = page
            .runs
            .iter()
            .find(|r| r.text == "Continued on the next page")
        else {
            continue;
        };
        let body_size = doc.pages[0]
            .runs
            .iter()
            .map(|r| r.size_pt)
            .fold(f32::MAX, f32::min);
        let last = page
            .runs
            .iter()
            .filter(|r| r.y_mm < note.y_mm - 0.1 && r.top_mm() > doc.margins.top_mm + 12.0)
            .max_by(|a, b| a.y_mm.total_cmp(&b.y_mm))
            .expect("a continued page has content");
        let is_heading = (last.accent && last.bold && last.size_pt > body_size)
            || ["Steps", "How it is going", "My goals:", "My ideas:"].contains(&last.text.as_str());
        // Writing lines and tick boxes below the heading count as its content.
        let drawn_below = page
            .lines
            .iter()
            .filter(|l| l.kind == LineKind::Writing)
            .map(|l| l.y1_mm)
            .chain(page.boxes.iter().map(|b| b.y_mm))
            .any(|y| y > last.y_mm && y < note.top_mm());
        assert!(
            !is_heading || drawn_below,
            "page {} ends with heading {:?}",
            page.number,
            last.text
        );
    }
}
