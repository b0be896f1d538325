//! What goes on each Green Book page, and on a standalone directory page.
//!
//! Each section starts on a fresh page and flows onto continuation pages. In blank
//! mode the same pages carry headings and ruled lines to write on instead of content.

use crate::PrintError;
use crate::fonts::fonts;
use crate::layout::{Composer, Document, FooterInfo};
use crate::model::{
    CrisisContact, FiveWays, GreenBook, GroupBlock, PrintOptions, Rating, Section, ServicePage,
    long_date,
};

/// Lays out a Green Book: the chosen sections, in order, each starting on a new page.
pub fn layout_green_book(book: &GreenBook, opts: &PrintOptions) -> Result<Document, PrintError> {
    let sections = chosen_sections(book, opts)?;
    let fonts = fonts()?;
    let review_on = if opts.blank {
        None
    } else {
        book.plan.as_ref().and_then(|p| p.review_on)
    };
    let footer = FooterInfo {
        printed_on: Some(opts.printed_on),
        review_on,
        service_name: book.service.name.clone(),
        checked_on: None,
    };
    let mut c = Composer::new(fonts, opts.large_print, display_name(book), footer);
    for section in sections {
        c.begin_section(Some(section), section.title());
        match section {
            Section::Cover => cover(&mut c, book, opts.blank),
            Section::WellnessPlan => plan(&mut c, book, opts.blank),
            Section::FiveWays => five_ways(&mut c, book, opts.blank),
            Section::Goals => goals(&mut c, book, opts.blank),
            Section::Groups => groups(&mut c, book, opts.blank),
            Section::NextSteps => next_steps(&mut c, book, opts.blank),
        }
    }
    Ok(c.into_document("My Green Book".to_string(), opts.large_print))
}

/// Lays out one directory service as a standalone insert for the Green Book.
/// `opts.pages` and `opts.blank` do not apply; `large_print` and `printed_on` do.
pub fn service_page(service: &ServicePage, opts: &PrintOptions) -> Result<Document, PrintError> {
    if service.name.trim().is_empty() {
        return Err(PrintError::InvalidInput(
            "the service has no name, so there is nothing to head its page with".to_string(),
        ));
    }
    let fonts = fonts()?;
    let footer = FooterInfo {
        printed_on: Some(opts.printed_on),
        review_on: None,
        service_name: String::new(),
        checked_on: service.last_checked,
    };
    let mut c = Composer::new(
        fonts,
        opts.large_print,
        Some("My Green Book".to_string()),
        footer,
    );
    c.begin_section(None, "Groups and activities");
    let st = c.style;
    c.heading(&service.name, st.h1, c.body_line());
    c.set_context(Some(service.name.trim().to_string()));
    let categories: Vec<&str> = service
        .categories
        .iter()
        .map(|s| s.trim())
        .filter(|s| !s.is_empty())
        .collect();
    if !categories.is_empty() {
        c.text(&categories.join(", "), st.strong, 0.0);
        c.gap(st.gap);
    }
    if !service.description.trim().is_empty() {
        c.para(&service.description);
    }
    c.gap(st.gap);
    let rows = group_rows(&GroupBlock {
        name: service.name.clone(),
        what_happens: service.what_happens.clone(),
        when: service.when.clone(),
        place: service.place.clone(),
        postcode: service.postcode.clone(),
        cost: service.cost.clone(),
        access: service.access.clone(),
        contact: service.contact.clone(),
    });
    c.rows(&rows);
    c.set_context(None);
    c.heading("My notes", st.h2, st.writing_gap);
    c.fill_writing_lines(2);
    Ok(c.into_document(service.name.trim().to_string(), opts.large_print))
}

/// The sections to print: as asked, or every section with content.
fn chosen_sections(book: &GreenBook, opts: &PrintOptions) -> Result<Vec<Section>, PrintError> {
    let sections: Vec<Section> = match &opts.pages {
        Some(list) => {
            let mut out = Vec::new();
            for s in list {
                if !out.contains(s) {
                    out.push(*s);
                }
            }
            out
        }
        None if opts.blank => Section::ALL.to_vec(),
        None => Section::ALL
            .into_iter()
            .filter(|s| has_content(book, *s))
            .collect(),
    };
    if sections.is_empty() {
        return Err(PrintError::NothingToPrint(
            "no pages were chosen: pick at least one of cover, plan, five-ways, goals, \
             groups, next-steps"
                .to_string(),
        ));
    }
    Ok(sections)
}

/// Whether a section has anything of the person's to show.
pub(crate) fn has_content(book: &GreenBook, section: Section) -> bool {
    match section {
        Section::Cover => true,
        Section::WellnessPlan => book.plan.is_some(),
        Section::FiveWays | Section::Goals => !book.goals.is_empty(),
        Section::Groups => !book.groups.is_empty(),
        Section::NextSteps => {
            book.next_steps.as_ref().is_some_and(|n| {
                n.next_appointment
                    .as_deref()
                    .is_some_and(|s| !s.trim().is_empty())
                    || n.actions_agreed.iter().any(|a| !a.trim().is_empty())
            }) || !book.measures.is_empty()
        }
    }
}

/// The name on every page: the preferred name, else the first part of the full name.
pub(crate) fn display_name(book: &GreenBook) -> Option<String> {
    book.person_preferred_name
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .or_else(|| book.person_full_name.split_whitespace().next())
        .map(str::to_string)
}

fn non_empty(s: &str) -> Option<&str> {
    let t = s.trim();
    (!t.is_empty()).then_some(t)
}

fn cover(c: &mut Composer, book: &GreenBook, blank: bool) {
    let st = c.style;
    c.text("My Green Book", st.title, 0.0);
    c.gap(st.gap);
    // The name stays on blank pages too: they are printed for this person.
    match display_name(book) {
        Some(name) => {
            c.text(&name, st.name, 0.0);
        }
        None => {
            c.gap(st.gap);
            c.label_lines(&["My name"]);
        }
    }
    c.gap(st.gap * 2.0);
    c.para(
        "This book is yours. It keeps your wellness plan, your goals and information about \
         groups and activities together. Add pages and notes whenever you like, and bring it \
         with you when we meet.",
    );

    c.heading("My link worker", st.h2, c.body_line());
    match book.worker.as_ref().filter(|_| !blank) {
        Some(w) => {
            let rows: Vec<(String, String)> =
                [("Name", &w.name), ("Phone", &w.phone), ("Email", &w.email)]
                    .into_iter()
                    .filter_map(|(l, v)| non_empty(v).map(|v| (l.to_string(), v.to_string())))
                    .collect();
            if rows.is_empty() {
                c.label_lines(&["Name", "Phone", "Email"]);
            } else {
                c.rows(&rows);
            }
        }
        None => c.label_lines(&["Name", "Phone", "Email"]),
    }

    let service_title = non_empty(&book.service.name).unwrap_or("The service");
    c.heading(service_title, st.h2, c.body_line());
    let rows: Vec<(String, String)> = [
        ("Phone", &book.service.phone),
        ("Email", &book.service.email),
    ]
    .into_iter()
    .filter_map(|(l, v)| non_empty(v).map(|v| (l.to_string(), v.to_string())))
    .collect();
    if rows.is_empty() {
        c.label_lines(&["Phone", "Email"]);
    } else {
        c.rows(&rows);
    }

    c.heading("If you need help urgently", st.h2, c.body_line());
    let configured: Vec<&CrisisContact> = book
        .service
        .crisis_contacts
        .iter()
        .filter(|cc| !cc.name.trim().is_empty() || !cc.detail.trim().is_empty())
        .collect();
    let defaults = CrisisContact::uk_defaults();
    let contacts: Vec<&CrisisContact> = if configured.is_empty() {
        defaults.iter().collect()
    } else {
        configured
    };
    let rows: Vec<(String, String)> = contacts
        .into_iter()
        .map(|cc| (cc.name.trim().to_string(), cc.detail.trim().to_string()))
        .collect();
    c.rows(&rows);
}

/// Headings of the wellness plan, with a prompt used on blank pages.
const PLAN_PARTS: [(&str, &str); 5] = [
    (
        "What keeps me well",
        "The everyday things I do that help me feel well.",
    ),
    (
        "What can make me unwell",
        "Things that make me stressed, unwell or miserable.",
    ),
    (
        "Early warning signs",
        "How I can tell I am starting to become unwell.",
    ),
    (
        "What I will do when I notice them",
        "Things I can do to help myself, and who I can ask.",
    ),
    (
        "What helps in a crisis and who to contact",
        "What helps, what does not, and the people and numbers to call.",
    ),
];

fn plan(c: &mut Composer, book: &GreenBook, blank: bool) {
    let st = c.style;
    c.heading(Section::WellnessPlan.title(), st.h1, c.body_line());
    let plan = book.plan.as_ref().filter(|_| !blank);
    match plan {
        Some(p) => {
            let mut when = format!("Written on {}.", long_date(p.written_on));
            if let Some(r) = p.review_on {
                when.push_str(&format!(" We will look at it again on {}.", long_date(r)));
            }
            c.para(&when);
            c.para("In my own words.");
            let texts = [
                &p.keeps_me_well,
                &p.triggers,
                &p.warning_signs,
                &p.what_i_do,
                &p.crisis_help,
            ];
            for ((heading, prompt), text) in PLAN_PARTS.iter().zip(texts) {
                c.heading(heading, st.h2, c.body_line());
                c.set_context(Some((*heading).to_string()));
                if text.trim().is_empty() {
                    c.text(prompt, st.body, 0.0);
                    c.writing_lines(3, 0.0);
                } else {
                    c.para(text);
                }
                c.set_context(None);
            }
            c.notes_if_room(3);
        }
        None => {
            c.label_lines(&["Written on", "Review on"]);
            for (heading, prompt) in PLAN_PARTS {
                c.heading(heading, st.h2, c.body_line() + st.writing_gap);
                c.text(prompt, st.body, 0.0);
                c.writing_lines(4, 0.0);
            }
        }
    }
}

fn five_ways(c: &mut Composer, book: &GreenBook, blank: bool) {
    let st = c.style;
    c.heading(Section::FiveWays.title(), st.h1, c.body_line());
    c.para(
        "Small changes in these five areas can help you feel better. Your goals are listed \
         under the way they belong to.",
    );
    for way in FiveWays::ALL {
        let goals: Vec<&str> = if blank {
            Vec::new()
        } else {
            book.goals
                .iter()
                .filter(|g| g.five_ways == way)
                .map(|g| g.text.as_str())
                .filter(|t| !t.trim().is_empty())
                .collect()
        };
        let ideas_lines = if blank { 3 } else { 2 };
        // Keep each way whole (heading, line, goals or lines to write on) when it fits.
        let blurb_h = c.text_height(way.blurb(), st.body, 0.0);
        let rest_h = if goals.is_empty() {
            st.strong.line_h() + ideas_lines as f32 * st.writing_gap
        } else {
            goals
                .iter()
                .map(|g| c.text_height(g, st.strong, 8.0))
                .sum::<f32>()
        };
        let head_h = st.h2.space_before_mm + c.text_height(way.label(), st.h2, 0.0);
        c.keep_together(head_h + blurb_h + 2.0 * st.gap + rest_h);
        c.heading(way.label(), st.h2, blurb_h + c.body_line());
        c.set_context(Some(way.label().to_string()));
        c.text(way.blurb(), st.body, 0.0);
        c.gap(st.gap);
        if goals.is_empty() {
            c.heading("My ideas:", st.strong, st.writing_gap);
            c.writing_lines(ideas_lines, 0.0);
        } else {
            for g in goals {
                c.bullet(g, st.strong, 0.0);
            }
        }
        c.set_context(None);
    }
    c.notes_if_room(3);
}

fn goals(c: &mut Composer, book: &GreenBook, blank: bool) {
    let st = c.style;
    c.heading(Section::Goals.title(), st.h1, c.body_line());
    if blank {
        for n in 1..=3 {
            c.heading(&format!("Goal {n}"), st.h2, 2.0 * st.writing_gap);
            c.label_lines(&["My goal", "", "Way to wellbeing"]);
            c.gap(st.gap);
            c.heading("Steps", st.strong, st.writing_gap);
            for _ in 0..4 {
                c.tick_item("", false, 0.0);
            }
            c.label_lines(&["How it is going"]);
            c.divider();
        }
        return;
    }
    if book.goals.is_empty() {
        c.para("No goals have been written down yet. You can write yours here.");
        for n in 1..=2 {
            c.heading(&format!("Goal {n}"), st.h2, 2.0 * st.writing_gap);
            c.writing_lines(2, 0.0);
            c.heading("Steps", st.strong, st.writing_gap);
            for _ in 0..3 {
                c.tick_item("", false, 0.0);
            }
        }
        return;
    }
    c.para("Tick each step when you have done it.");
    let total = book.goals.len();
    for (i, goal) in book.goals.iter().enumerate() {
        let title = format!("Goal {} – {}", i + 1, goal.five_ways.label());
        let goal_text = non_empty(&goal.text).unwrap_or("(no words written yet)");
        // Keep the goal, its "Steps" label and the first step together.
        let keep = c.text_height(goal_text, st.strong, 0.0) + st.gap + 2.0 * c.body_line();
        c.heading(&title, st.h2, keep);
        c.set_context(Some(format!("Goal {}", i + 1)));
        c.text(goal_text, st.strong, 0.0);
        c.gap(st.gap);

        c.heading("Steps", st.strong, c.body_line());
        let steps: Vec<_> = goal
            .steps
            .iter()
            .filter(|s| !s.text.trim().is_empty())
            .collect();
        if steps.is_empty() {
            c.text("No steps written yet.", st.body, 0.0);
            for _ in 0..2 {
                c.tick_item("", false, 0.0);
            }
        }
        for step in steps {
            let mut text = step.text.trim().to_string();
            if let Some(d) = step.target_on {
                text.push_str(&format!(" – by {}", long_date(d)));
            }
            if step.done {
                text.push_str(" – done");
            }
            c.tick_item(&text, step.done, 0.0);
        }

        c.gap(st.gap);
        c.heading("How it is going", st.strong, c.body_line());
        if goal.ratings.is_empty() {
            c.text("Not reviewed yet.", st.body, 0.0);
        } else {
            let mut ratings = goal.ratings.clone();
            ratings.sort_by_key(|r| r.rated_on);
            for r in ratings {
                let line = format!("{}: {}", long_date(r.rated_on), Rating::words(r.score));
                c.bullet(&line, st.body, 0.0);
            }
        }
        c.set_context(None);
        if i + 1 < total {
            c.divider();
        }
    }
    c.notes_if_room(3);
}

/// Label/value rows for a group; `when` and `where` are always present.
fn group_rows(g: &GroupBlock) -> Vec<(String, String)> {
    let mut rows = Vec::new();
    let mut push = |label: &str, value: &str| {
        if let Some(v) = non_empty(value) {
            rows.push((label.to_string(), v.to_string()));
        }
    };
    push("What happens", &g.what_happens);
    push(
        "When",
        non_empty(&g.when).unwrap_or("Times not listed: please ask the contact below"),
    );
    // A postcode never breaks across lines.
    let postcode = g.postcode.trim().replace(' ', "\u{A0}");
    let place = match (non_empty(&g.place), non_empty(&postcode)) {
        (Some(p), Some(pc)) => format!("{p}, {pc}"),
        (Some(p), None) => p.to_string(),
        (None, Some(pc)) => pc.to_string(),
        (None, None) => "Place not listed: please ask the contact below".to_string(),
    };
    push("Where", &place);
    push("Cost", &g.cost);
    push("Access", &g.access);
    push("Contact", &g.contact);
    rows
}

fn groups(c: &mut Composer, book: &GreenBook, blank: bool) {
    let st = c.style;
    c.heading(Section::Groups.title(), st.h1, c.body_line());
    let groups: Vec<&GroupBlock> = if blank {
        Vec::new()
    } else {
        book.groups.iter().collect()
    };
    if groups.is_empty() {
        if !blank {
            c.para("No groups or activities yet. You can write them here.");
        }
        for _ in 0..2 {
            c.label_lines(&[
                "Name",
                "What happens",
                "When",
                "Where",
                "Cost",
                "Access",
                "Contact",
            ]);
            c.divider();
        }
        return;
    }
    let total = groups.len();
    for (i, g) in groups.into_iter().enumerate() {
        let name = non_empty(&g.name).unwrap_or("Group or activity");
        let rows = group_rows(g);
        let block_h =
            c.text_height(name, st.h2, 0.0) + st.h2.space_before_mm + c.rows_height(&rows);
        c.keep_together(block_h);
        c.heading(name, st.h2, c.body_line());
        c.set_context(Some(name.to_string()));
        c.rows(&rows);
        c.set_context(None);
        if i + 1 < total {
            c.divider();
        }
    }
    c.notes_if_room(3);
}

fn next_steps(c: &mut Composer, book: &GreenBook, blank: bool) {
    let st = c.style;
    c.heading(Section::NextSteps.title(), st.h1, c.body_line());
    let next = book.next_steps.as_ref().filter(|_| !blank);

    c.heading("My next appointment", st.h2, c.body_line());
    match next
        .and_then(|n| n.next_appointment.as_deref())
        .and_then(non_empty)
    {
        Some(appt) => c.para(appt),
        None => c.writing_lines(2, 0.0),
    }

    c.heading("What we agreed", st.h2, c.body_line());
    let actions: Vec<&str> = next
        .map(|n| {
            n.actions_agreed
                .iter()
                .filter_map(|a| non_empty(a))
                .collect()
        })
        .unwrap_or_default();
    if actions.is_empty() {
        for _ in 0..3 {
            c.tick_item("", false, 0.0);
        }
    } else {
        for a in actions {
            c.tick_item(a, false, 0.0);
        }
    }

    if !blank && !book.measures.is_empty() {
        c.heading("My scores", st.h2, c.body_line());
        c.para("From questionnaires you filled in with your link worker.");
        let rows: Vec<(String, String)> = book
            .measures
            .iter()
            .map(|m| (m.label.trim().to_string(), m.value.trim().to_string()))
            .collect();
        c.rows(&rows);
    }

    c.heading("My notes", st.h2, st.writing_gap);
    c.fill_writing_lines(3);
}
