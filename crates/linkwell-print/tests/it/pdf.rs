//! Real PDF tools on real files: qpdf, pdftotext, pdffonts, pdftoppm (poppler-utils).
//! A missing tool is a failure that says how to install it, never a skip.

use std::path::{Path, PathBuf};
use std::process::Command;

use linkwell_print::{
    GreenBook, PrintOptions, Section, green_book_pdf, layout_green_book, sample_green_book,
};

use crate::fixtures::*;

const INSTALL: &str = "install the PDF tools: apt-get install -y qpdf poppler-utils";

/// Runs a tool, failing the test (not skipping it) if the tool is missing.
fn run(tool: &str, args: &[&str]) -> std::process::Output {
    match Command::new(tool).args(args).output() {
        Ok(out) => out,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            panic!("`{tool}` is not installed: {INSTALL}")
        }
        Err(e) => panic!("could not run `{tool}`: {e}"),
    }
}

fn run_ok(tool: &str, args: &[&str]) -> String {
    let out = run(tool, args);
    assert!(
        out.status.success(),
        "`{tool} {}` failed: {}\n{}",
        args.join(" "),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("tool output is UTF-8")
}

pub struct Written {
    _dir: tempfile::TempDir,
    path: PathBuf,
}

impl Written {
    pub fn p(&self) -> &str {
        self.path.to_str().unwrap()
    }
}

fn write(book: &GreenBook, o: &PrintOptions) -> Written {
    let bytes = green_book_pdf(book, o).unwrap();
    write_bytes(bytes)
}

pub fn write_bytes(bytes: Vec<u8>) -> Written {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("book.pdf");
    std::fs::write(&path, &bytes).unwrap();
    Written { _dir: dir, path }
}

pub fn qpdf_check(path: &str) {
    let out = run_ok("qpdf", &["--check", path]);
    assert!(out.contains("No syntax or stream encoding errors"), "{out}");
}

pub fn text_of(path: &str) -> String {
    squash(&run_ok("pdftotext", &["-raw", "-enc", "UTF-8", path, "-"]))
}

pub fn assert_fonts_embedded(path: &str) {
    let out = run_ok("pdffonts", &[path]);
    let rows: Vec<&str> = out
        .lines()
        .skip(2)
        .filter(|l| !l.trim().is_empty())
        .collect();
    assert!(!rows.is_empty(), "no fonts listed:\n{out}");
    for row in rows {
        assert!(row.contains("DejaVuSans"), "unexpected font: {row}");
        // Columns: name type encoding emb sub uni object ID — emb and sub must be "yes".
        let cols: Vec<&str> = row.split_whitespace().collect();
        let n = cols.len();
        assert_eq!(cols[n - 5], "yes", "font not embedded: {row}");
        assert_eq!(cols[n - 4], "yes", "font not subset: {row}");
    }
}

/// Renders every page at low resolution and checks one PNG per page, none empty.
pub fn assert_renders(path: &str, pages: usize) {
    let dir = tempfile::tempdir().unwrap();
    let prefix = dir.path().join("page");
    run_ok(
        "pdftoppm",
        &["-r", "20", "-png", path, prefix.to_str().unwrap()],
    );
    let mut pngs: Vec<PathBuf> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "png"))
        .collect();
    pngs.sort();
    assert_eq!(
        pngs.len(),
        pages,
        "pdftoppm rendered {} of {pages} pages",
        pngs.len()
    );
    for p in &pngs {
        assert!(
            std::fs::metadata(p).unwrap().len() > 200,
            "{} is empty",
            p.display()
        );
    }
}

fn page_count(path: &Path) -> usize {
    let out = run_ok("qpdf", &["--show-npages", path.to_str().unwrap()]);
    out.trim().parse().unwrap()
}

#[test]
fn sample_book_passes_qpdf_has_embedded_fonts_and_renders() {
    for o in [opts(), large(), blank()] {
        let book = sample_green_book();
        let doc = layout_green_book(&book, &o).unwrap();
        let w = write(&book, &o);
        qpdf_check(w.p());
        assert_fonts_embedded(w.p());
        assert_eq!(page_count(&w.path), doc.pages.len());
        assert_renders(w.p(), doc.pages.len());
    }
}

#[test]
fn the_text_holds_headings_goals_and_group_times() {
    let book = sample_green_book();
    let w = write(&book, &opts());
    let text = text_of(w.p());
    for s in Section::ALL {
        assert!(text.contains(s.title()), "missing section {}", s.title());
    }
    for h in PLAN_HEADINGS.into_iter().chain([
        "Connect",
        "Be active",
        "Take notice",
        "Learn",
        "Give",
        "My next appointment",
        "What we agreed",
    ]) {
        assert!(text.contains(h), "missing heading {h}");
    }
    for g in &book.goals {
        assert!(text.contains(&squash(&g.text)), "missing goal {}", g.text);
    }
    for g in &book.groups {
        assert!(text.contains(&squash(&g.when)), "missing time {}", g.when);
        assert!(text.contains(&squash(&g.name)), "missing group {}", g.name);
    }
    assert!(text.contains("Page 1 of"));
    assert!(text.contains("Printed 6 May 2025"));
    assert!(text.contains("Plan review 2 June 2025"));
    assert!(!text.contains("WRAP"));
}

#[test]
fn accented_names_survive_into_the_pdf_text() {
    for name in ["Zoë", "Łukasz", "Siobhán", "Nguyễn"] {
        let mut book = sample_green_book();
        book.person_preferred_name = Some(name.to_string());
        let o = PrintOptions {
            pages: Some(vec![Section::Cover, Section::Goals]),
            ..opts()
        };
        let w = write(&book, &o);
        qpdf_check(w.p());
        let text = text_of(w.p());
        assert!(
            text.matches(name).count() >= 2,
            "{name} not found in:\n{text}"
        );
        assert!(text.contains("Siobhán Ó Briain"));
        assert!(text.contains("Thủy"));
    }
}

#[test]
fn large_print_and_forty_goals_are_valid_pdfs() {
    let book = book_with_goals(40);
    for o in [opts(), large()] {
        let doc = layout_green_book(&book, &o).unwrap();
        let w = write(&book, &o);
        qpdf_check(w.p());
        assert_renders(w.p(), doc.pages.len());
        let text = text_of(w.p());
        assert!(text.contains("Goal number 40: walk a little further each week"));
        assert!(text.contains(&format!("Page {n} of {n}", n = doc.pages.len())));
    }
}

#[test]
fn same_input_gives_identical_bytes() {
    let book = sample_green_book();
    let a = green_book_pdf(&book, &opts()).unwrap();
    let b = green_book_pdf(&book, &opts()).unwrap();
    assert!(a == b, "two renders with a fixed timestamp differ");
    let later = PrintOptions {
        fixed_timestamp: date(2025, 5, 7).and_hms_opt(9, 30, 0),
        ..opts()
    };
    let c = green_book_pdf(&book, &later).unwrap();
    assert!(a != c, "the timestamp should be part of the file");
    let text = String::from_utf8_lossy(&a);
    assert!(
        text.contains("D:20250506093000"),
        "creation date not set from fixed_timestamp"
    );
}

#[test]
fn fonts_are_subset_so_files_stay_small() {
    let book = sample_green_book();
    for o in [opts(), large()] {
        let bytes = green_book_pdf(&book, &o).unwrap();
        assert!(bytes.len() <= 200 * 1024, "{} bytes", bytes.len());
    }
    // Far smaller than the 1.4 MB of the two full fonts.
    let bytes = green_book_pdf(&book_with_goals(40), &opts()).unwrap();
    assert!(bytes.len() <= 300 * 1024, "{} bytes", bytes.len());
}
