//! The standalone directory page.

use linkwell_print::{
    PrintError, PrintOptions, sample_service_page, service_page, service_page_pdf,
};

use crate::fixtures::*;
use crate::pdf::{assert_fonts_embedded, assert_renders, qpdf_check, text_of, write_bytes};

#[test]
fn sample_service_page_is_one_clean_page() {
    for o in [opts(), large()] {
        let doc = service_page(&sample_service_page(), &o).unwrap();
        assert_well_formed(&doc);
        assert_eq!(doc.pages.len(), 1);
        assert_eq!(doc.pages[0].section, None);
        assert_headers_and_footers(&doc, "My Green Book");
        let text = doc.text();
        assert!(text.contains("Details checked 20 February 2025"));
        assert!(text.contains("Thursdays 13:30–15:00"));
    }
}

#[test]
fn service_page_pdf_is_valid_and_readable() {
    let w = write_bytes(service_page_pdf(&sample_service_page(), &opts()).unwrap());
    qpdf_check(w.p());
    assert_fonts_embedded(w.p());
    assert_renders(w.p(), 1);
    let text = text_of(w.p());
    for s in [
        "East Leake walking group",
        "Thursdays 13:30–15:00",
        "LE12 6PZ",
        "Łukasz Nowak",
        "Physical activity",
    ] {
        assert!(text.contains(s), "missing {s}");
    }
}

#[test]
fn a_service_with_no_schedule_still_prints_sensibly() {
    let mut s = sample_service_page();
    s.when = String::new();
    s.description = String::new();
    s.categories.clear();
    s.last_checked = None;
    let doc = service_page(&s, &opts()).unwrap();
    assert_well_formed(&doc);
    assert!(
        doc.text()
            .contains("Times not listed: please ask the contact below")
    );
}

#[test]
fn a_long_description_flows_onto_a_second_page() {
    let mut s = sample_service_page();
    s.description = "We walk together and talk. ".repeat(200);
    let doc = service_page(
        &s,
        &PrintOptions {
            large_print: true,
            ..opts()
        },
    )
    .unwrap();
    assert_well_formed(&doc);
    assert!(doc.pages.len() >= 2);
    assert!(doc.pages[1].continued);
    assert_headers_and_footers(&doc, "My Green Book");
}

#[test]
fn a_service_with_no_name_is_a_clear_error() {
    let mut s = sample_service_page();
    s.name = " ".to_string();
    let err = service_page(&s, &opts()).unwrap_err();
    assert!(matches!(err, PrintError::InvalidInput(_)));
    assert!(err.to_string().contains("no name"), "{err}");
}
