//! The page model: margins, overlaps, wrapping, flow onto continuation pages, sizes,
//! headers, choice of sections and odd input.

use linkwell_print::{
    FiveWays, GreenBook, LineKind, NextSteps, PrintError, PrintOptions, Section, WellnessPlan,
    layout_green_book, sample_green_book,
};

use crate::fixtures::*;

#[test]
fn sample_book_is_well_formed_in_every_mode() {
    let book = sample_green_book();
    for o in [
        opts(),
        large(),
        blank(),
        PrintOptions {
            large_print: true,
            ..blank()
        },
    ] {
        let doc = layout_green_book(&book, &o).unwrap();
        assert_well_formed(&doc);
        assert_headers_and_footers(&doc, "Zoë");
        assert_no_stranded_headings(&doc);
        assert!(doc.missing_glyphs.is_empty(), "{:?}", doc.missing_glyphs);
    }
}

#[test]
fn sample_book_is_about_a_dozen_pages() {
    let doc = layout_green_book(&sample_green_book(), &opts()).unwrap();
    assert!(
        (9..=14).contains(&doc.pages.len()),
        "{} pages",
        doc.pages.len()
    );
    let sections: Vec<Section> = doc.pages.iter().filter_map(|p| p.section).collect();
    for s in Section::ALL {
        assert!(sections.contains(&s), "no {s} page");
    }
    // Sections come in book order, each starting on a fresh (not continued) page.
    let firsts: Vec<Section> = doc
        .pages
        .iter()
        .filter(|p| !p.continued)
        .filter_map(|p| p.section)
        .collect();
    assert_eq!(firsts, Section::ALL.to_vec());
}

#[test]
fn standard_print_is_at_least_12pt_and_large_print_at_least_16pt() {
    let book = sample_green_book();
    let (min, max) = sizes(&layout_green_book(&book, &opts()).unwrap());
    assert!(min >= 12.0, "smallest standard run {min}");
    assert!(max > 12.0, "headings should be larger than body text");
    let (min_large, _) = sizes(&layout_green_book(&book, &large()).unwrap());
    assert!(min_large >= 16.0, "smallest large-print run {min_large}");
}

#[test]
fn large_print_has_more_line_spacing() {
    fn body_leading(o: &PrintOptions) -> f32 {
        let doc = layout_green_book(&sample_green_book(), o).unwrap();
        let page = doc
            .pages
            .iter()
            .find(|p| p.section == Some(Section::WellnessPlan))
            .unwrap();
        let size = if o.large_print { 16.0 } else { 12.0 };
        let body: Vec<f32> = page
            .runs
            .iter()
            .filter(|r| !r.bold && r.x_mm < 30.0 && r.size_pt == size && r.y_mm < 250.0)
            .map(|r| r.y_mm)
            .collect();
        body.windows(2)
            .map(|w| w[1] - w[0])
            .fold(f32::MAX, f32::min)
    }
    let (std, lp) = (body_leading(&opts()), body_leading(&large()));
    assert!(lp > std * 1.3, "large leading {lp} vs standard {std}");
    // Relative to size too: 16 pt set wider than 1.45.
    assert!(lp / (16.0 * 25.4 / 72.0) > std / (12.0 * 25.4 / 72.0));
}

#[test]
fn a_very_long_goal_wraps_inside_the_margins() {
    let mut book = sample_green_book();
    let long = "I want to be able to walk to my daughter's house on the other side of the \
                village, which is about a mile, and have a cup of tea with her and the \
                grandchildren, then walk back home again without having to stop and rest \
                on the wall by the church, and without feeling so tired afterwards that I \
                need to lie down for the whole of the rest of the afternoon and evening.";
    book.goals[0].text = long.to_string();
    let doc = layout_green_book(
        &book,
        &PrintOptions {
            pages: Some(vec![Section::Goals]),
            ..opts()
        },
    )
    .unwrap();
    assert_well_formed(&doc);
    let runs: Vec<&str> = doc.pages[0]
        .runs
        .iter()
        .filter(|r| r.bold && long.contains(r.text.as_str()))
        .map(|r| r.text.as_str())
        .collect();
    assert!(runs.len() >= 3, "expected several lines, got {runs:?}");
    assert_eq!(squash(&runs.join(" ")), squash(long));
}

#[test]
fn a_300_character_word_is_broken_across_lines() {
    let word: String = "abcdefghij".repeat(30);
    let mut book = sample_green_book();
    book.goals[0].text = format!("Start {word} end");
    book.groups[0].contact = word.clone();
    for o in [opts(), large()] {
        let doc = layout_green_book(&book, &o).unwrap();
        assert_well_formed(&doc);
        let pieces: String = doc
            .pages
            .iter()
            .filter(|p| p.section == Some(Section::Goals))
            .flat_map(|p| p.runs.iter())
            .filter(|r| r.bold && r.text.chars().all(|c| c.is_ascii_lowercase() || c == ' '))
            .map(|r| r.text.replace("Start ", "").replace(" end", ""))
            .filter(|t| word.contains(t.as_str()) && t.len() > 5)
            .collect();
        assert_eq!(
            pieces, word,
            "the word should come back whole from its pieces"
        );
    }
}

#[test]
fn forty_goals_flow_onto_numbered_continuation_pages() {
    let book = book_with_goals(40);
    for o in [opts(), large()] {
        let doc = layout_green_book(
            &book,
            &PrintOptions {
                pages: Some(vec![Section::Goals]),
                ..o
            },
        )
        .unwrap();
        assert_well_formed(&doc);
        assert_headers_and_footers(&doc, "Zoë");
        assert_no_stranded_headings(&doc);
        assert!(doc.pages.len() >= 8, "{} pages", doc.pages.len());
        assert!(!doc.pages[0].continued);
        for page in &doc.pages[1..] {
            assert!(
                page.continued,
                "page {} should be a continuation",
                page.number
            );
            assert_eq!(page.section, Some(Section::Goals));
        }
        for page in &doc.pages[..doc.pages.len() - 1] {
            assert!(
                page.runs
                    .iter()
                    .any(|r| r.text == "Continued on the next page")
            );
        }
        let text = squash(&doc.text());
        for i in 1..=40 {
            let g = format!("Goal number {i}: walk a little further each week");
            assert_eq!(
                text.matches(&g).count(),
                1,
                "{g} should appear exactly once"
            );
        }
        // Every step has its tick box; done steps are ticked.
        let boxes: Vec<bool> = doc
            .pages
            .iter()
            .flat_map(|p| p.boxes.iter().map(|b| b.ticked))
            .collect();
        assert_eq!(boxes.len(), 80);
        assert_eq!(boxes.iter().filter(|t| **t).count(), 40);
    }
}

#[test]
fn forty_goals_in_the_whole_book() {
    let doc = layout_green_book(&book_with_goals(40), &opts()).unwrap();
    assert_well_formed(&doc);
    assert_headers_and_footers(&doc, "Zoë");
}

#[test]
fn ratings_are_printed_in_words_with_dates() {
    let doc = sample_sections(vec![Section::Goals]).unwrap();
    let text = squash(&doc.text());
    for words in [
        "17 March 2025: less than expected",
        "7 April 2025: as expected",
        "5 May 2025: much better than expected",
    ] {
        assert!(text.contains(words), "missing {words:?}");
    }
    assert!(text.contains("Not reviewed yet."));
    assert!(text.contains("by 14 March 2025"));
}

#[test]
fn five_ways_lists_goals_under_their_way() {
    let doc = sample_sections(vec![Section::FiveWays]).unwrap();
    let text = squash(&doc.text());
    let pos = |s: &str| text.find(s).unwrap_or_else(|| panic!("missing {s}"));
    assert!(pos("Connect") < pos("Meet other people once a week"));
    assert!(pos("Be active") < pos("Walk to the park and back"));
    assert!(pos("Walk to the park and back") < pos("Take notice"));
    assert!(pos("Give") < pos("Help at the community café"));
}

#[test]
fn wellness_plan_has_the_five_headings_and_no_trademark() {
    let doc = sample_sections(vec![Section::WellnessPlan]).unwrap();
    let text = doc.text();
    for h in PLAN_HEADINGS {
        assert!(text.contains(h), "missing heading {h}");
    }
    assert!(text.contains("Written on 3 March 2025"));
    assert!(!text.contains("WRAP"));
    // The review date is in every footer.
    for page in &doc.pages {
        assert!(
            page.runs
                .iter()
                .any(|r| r.text == "Plan review 2 June 2025")
        );
        assert!(page.runs.iter().any(|r| r.text == "Printed 6 May 2025"));
        assert!(page.runs.iter().any(|r| r.text == "Rushcliffe Live Well"));
    }
}

#[test]
fn blank_pages_have_headings_and_writing_lines_but_no_personal_content() {
    let book = sample_green_book();
    let doc = layout_green_book(&book, &blank()).unwrap();
    let text = doc.text();
    for s in Section::ALL {
        assert!(
            doc.pages.iter().any(|p| p.section == Some(s)),
            "no blank {s} page"
        );
    }
    for page in &doc.pages {
        let writing = page
            .lines
            .iter()
            .filter(|l| l.kind == LineKind::Writing)
            .count();
        assert!(
            writing >= 3,
            "page {} has {writing} writing lines",
            page.number
        );
    }
    assert!(text.contains("What keeps me well"));
    assert!(
        !text.contains("Biscuit"),
        "plan content leaked into blank pages"
    );
    assert!(
        !text.contains("Walk to the park"),
        "goal leaked into blank pages"
    );
    assert!(!text.contains("Siobhán"), "worker leaked into blank pages");
    assert!(
        !text.contains("Plan review"),
        "review date of the filled plan on blank pages"
    );
}

#[test]
fn preferred_name_falls_back_to_the_first_part_of_the_full_name() {
    let doc = layout_green_book(&minimal_book(), &opts()).unwrap();
    assert_headers_and_footers(&doc, "Łukasz");
    assert!(!doc.text().contains("Kowalczyk"));
    let mut book = minimal_book();
    book.person_preferred_name = Some("  ".to_string());
    assert_headers_and_footers(&layout_green_book(&book, &opts()).unwrap(), "Łukasz");
}

#[test]
fn a_book_with_no_name_at_all_leaves_a_line_to_write_it() {
    let mut book = minimal_book();
    book.person_full_name = "   ".to_string();
    let doc = layout_green_book(&book, &opts()).unwrap();
    assert_well_formed(&doc);
    for page in &doc.pages {
        assert!(page.runs.iter().any(|r| r.text == "Name:"));
    }
}

#[test]
fn with_no_content_only_the_cover_is_printed() {
    let doc = layout_green_book(&minimal_book(), &opts()).unwrap();
    assert_eq!(doc.pages.len(), 1);
    assert_eq!(doc.pages[0].section, Some(Section::Cover));
    let text = doc.text();
    // No crisis contacts configured: the standard UK ones are printed.
    assert!(text.contains("NHS 111") && text.contains("116 123") && text.contains("999"));
}

#[test]
fn sections_asked_for_but_empty_give_sensible_pages() {
    let o = PrintOptions {
        pages: Some(Section::ALL.to_vec()),
        ..opts()
    };
    for large_print in [false, true] {
        let doc = layout_green_book(
            &minimal_book(),
            &PrintOptions {
                large_print,
                ..o.clone()
            },
        )
        .unwrap();
        assert_well_formed(&doc);
        assert_headers_and_footers(&doc, "Łukasz");
        let text = doc.text();
        assert!(text.contains("No goals have been written down yet"));
        assert!(text.contains("No groups or activities yet"));
    }
}

#[test]
fn an_empty_plan_leaves_room_to_write() {
    let mut book = minimal_book();
    book.plan = Some(WellnessPlan {
        keeps_me_well: String::new(),
        triggers: " ".to_string(),
        warning_signs: String::new(),
        what_i_do: "Ring my sister.".to_string(),
        crisis_help: String::new(),
        written_on: date(2025, 1, 2),
        review_on: None,
    });
    book.next_steps = Some(NextSteps {
        next_appointment: None,
        actions_agreed: vec![String::new()],
    });
    let doc = layout_green_book(&book, &opts()).unwrap();
    assert_well_formed(&doc);
    let plan: Vec<_> = doc
        .pages
        .iter()
        .filter(|p| p.section == Some(Section::WellnessPlan))
        .collect();
    let writing: usize = plan
        .iter()
        .map(|p| {
            p.lines
                .iter()
                .filter(|l| l.kind == LineKind::Writing)
                .count()
        })
        .sum();
    assert!(writing >= 12, "{writing} writing lines");
    assert!(doc.text().contains("Ring my sister."));
    // Blank next steps and no review date: no next-steps page, no review in footers.
    assert!(
        !doc.pages
            .iter()
            .any(|p| p.section == Some(Section::NextSteps))
    );
    assert!(!doc.text().contains("Plan review"));
}

#[test]
fn an_empty_list_of_pages_is_a_clear_error() {
    let err = sample_sections(vec![]).unwrap_err();
    assert!(matches!(err, PrintError::NothingToPrint(_)));
    assert!(err.to_string().contains("no pages were chosen"), "{err}");
}

#[test]
fn chosen_pages_come_in_the_order_given() {
    let pages = Section::parse("next-steps,cover").unwrap();
    let doc = sample_sections(pages).unwrap();
    assert_eq!(doc.pages.first().unwrap().section, Some(Section::NextSteps));
    assert_eq!(doc.pages.last().unwrap().section, Some(Section::Cover));
    let err = Section::parse("cover,plans").unwrap_err();
    assert_eq!(
        err,
        PrintError::UnknownSection {
            name: "plans".to_string()
        }
    );
    assert!(err.to_string().contains("'plans'"));
}

#[test]
fn groups_show_when_and_where_and_fill_gaps() {
    let mut book = sample_green_book();
    let mut g = group("Knit and natter", "");
    g.place = String::new();
    g.postcode = String::new();
    book.groups.push(g);
    let doc = layout_green_book(
        &book,
        &PrintOptions {
            pages: Some(vec![Section::Groups]),
            ..opts()
        },
    )
    .unwrap();
    assert_well_formed(&doc);
    let text = squash(&doc.text());
    for g in &book.groups[..book.groups.len() - 1] {
        assert!(text.contains(&squash(&g.when)), "missing {}", g.when);
        assert!(
            text.contains(&squash(&g.postcode)),
            "missing {}",
            g.postcode
        );
    }
    assert!(text.contains("Times not listed: please ask the contact below"));
    assert!(text.contains("Place not listed"));
}

#[test]
fn a_group_block_is_not_split_when_it_fits_on_a_page() {
    let mut book = sample_green_book();
    book.groups = (0..12)
        .map(|i| group(&format!("Group {i}"), "Mondays 10:00–11:00"))
        .collect();
    let doc = layout_green_book(
        &book,
        &PrintOptions {
            pages: Some(vec![Section::Groups]),
            ..opts()
        },
    )
    .unwrap();
    for i in 0..12 {
        let name = format!("Group {i}");
        let page = doc
            .pages
            .iter()
            .find(|p| p.runs.iter().any(|r| r.text == name))
            .unwrap();
        let contact_on_same_page = page.runs.iter().any(|r| {
            r.text == "Ngozi, 07700 900987"
                && r.y_mm > page.runs.iter().find(|r| r.text == name).unwrap().y_mm
        });
        assert!(contact_on_same_page, "{name} was split");
        // ...and nothing is repeated as "(continued)" for a block that was kept whole.
        assert!(!doc.text().contains(&format!("{name} (continued)")));
    }
}

#[test]
fn characters_the_font_lacks_are_reported_not_dropped_silently() {
    let mut book = minimal_book();
    book.person_preferred_name = Some("王芳".to_string());
    let doc = layout_green_book(&book, &opts()).unwrap();
    assert_eq!(doc.missing_glyphs, vec!['王', '芳']);
    assert_headers_and_footers(&doc, "??");
}

#[test]
fn control_characters_and_odd_whitespace_are_harmless() {
    let mut book = sample_green_book();
    book.goals[0].text =
        "Tabs\there,\r\nnew lines\n\n\nand a bell \u{7} and zero\u{200B}width".to_string();
    book.goals[1].five_ways = FiveWays::Give;
    let doc = layout_green_book(&book, &opts()).unwrap();
    assert_well_formed(&doc);
    let text = doc.text();
    assert!(text.contains("Tabs here,"));
    assert!(text.contains("and a bell and zerowidth"));
}

#[test]
fn the_input_model_round_trips_through_json() {
    let book = sample_green_book();
    let json = serde_json::to_string(&book).unwrap();
    assert!(json.contains("\"five_ways\":\"be-active\""), "{json}");
    let back: GreenBook = serde_json::from_str(&json).unwrap();
    assert_eq!(back, book);
    let o = opts();
    let back: PrintOptions = serde_json::from_str(&serde_json::to_string(&o).unwrap()).unwrap();
    assert_eq!(back, o);
}

#[test]
fn absurdly_long_names_do_not_crowd_out_the_page() {
    let mut book = book_with_goals(5);
    book.person_preferred_name = Some("Zoë-".repeat(100));
    book.service.name = "Rushcliffe Live Well ".repeat(50);
    book.groups[0].name = "A very long group name ".repeat(40);
    book.groups[0].what_happens = "We meet and talk. ".repeat(300);
    for o in [opts(), large()] {
        let doc = layout_green_book(&book, &o).unwrap();
        assert_well_formed(&doc);
        let text = doc.text();
        assert!(text.contains('…'));
        // The whole name is still on the cover.
        let name_size = if o.large_print { 34.0 } else { 26.0 };
        let cover_name: String = doc
            .pages
            .iter()
            .filter(|p| p.section == Some(Section::Cover))
            .flat_map(|p| p.runs.iter())
            .filter(|r| r.size_pt == name_size)
            .map(|r| r.text.as_str())
            .collect();
        assert_eq!(cover_name, "Zoë-".repeat(100));
    }
}

#[test]
fn a_heading_longer_than_a_page_still_flows_inside_the_margins() {
    let mut book = sample_green_book();
    book.groups[0].name = "Walk ".repeat(2500);
    book.goals[0].text = "Breathe ".repeat(1500);
    for o in [opts(), large()] {
        let doc = layout_green_book(&book, &o).unwrap();
        assert_well_formed(&doc);
    }
}
