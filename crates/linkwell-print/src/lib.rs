//! Green Book printing: data in, page model and PDF bytes out.
//!
//! A pure crate (no database, no files, no network): [`layout_green_book`] turns a
//! [`GreenBook`] into a [`Document`] of A4 pages — text runs, tick boxes and ruled
//! lines positioned in millimetres, inspectable by tests — and [`render_pdf`] turns that
//! into PDF bytes with an embedded, subset DejaVu Sans. [`service_page`] lays out a
//! single directory service as an insert for the book; [`layout_report_pack`] sets a
//! report's tables (the evaluation pack) with their caveats and method notes.
//!
//! Pages are loose-leaf: a 25 mm binding margin on the left, the person's name and
//! the section on every page, "Page N of M", the date printed and the plan review date
//! in every footer, 12 pt body text (16 pt in large print), blank versions to fill in.

mod book;
mod fonts;
mod layout;
mod letter;
mod model;
mod pack;
mod render;
mod sample;
mod wrap;

pub use book::{layout_green_book, service_page};
pub use fonts::FONT_NAME;
pub use layout::{
    BoxShape, Document, LineKind, MARGINS, Margins, PAGE_HEIGHT_MM, PAGE_WIDTH_MM, Page, RuleLine,
    TextRun,
};
pub use letter::{Letter, LetterBlock, layout_letter, letter_pdf};
pub use model::{
    CrisisContact, FiveWays, Goal, GreenBook, GroupBlock, MeasureLine, NextSteps, PrintOptions,
    Rating, Section, ServiceInfo, ServicePage, Step, WellnessPlan, WorkerContact,
};
pub use pack::{PackTable, ReportPack, layout_report_pack, report_pack_pdf};
pub use render::render_pdf;
pub use sample::{sample_green_book, sample_service_page};

/// Why printing failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PrintError {
    /// Nothing would be printed (e.g. an empty list of pages).
    #[error("nothing to print: {0}")]
    NothingToPrint(String),
    /// A page name that is not one of the sections.
    #[error(
        "unknown page '{name}': expected one of cover, plan, five-ways, goals, groups, \
         next-steps (or all)"
    )]
    UnknownSection { name: String },
    /// The input cannot be printed as given.
    #[error("cannot print this: {0}")]
    InvalidInput(String),
    /// The embedded font could not be read (a build problem, not a data problem).
    #[error("font problem: {0}")]
    Font(String),
    /// The PDF could not be produced.
    #[error("could not produce the PDF: {0}")]
    Pdf(String),
}

/// Lays out and renders a Green Book in one call.
pub fn green_book_pdf(book: &GreenBook, opts: &PrintOptions) -> Result<Vec<u8>, PrintError> {
    render_pdf(&layout_green_book(book, opts)?, opts)
}

/// Lays out and renders a standalone directory page in one call.
pub fn service_page_pdf(service: &ServicePage, opts: &PrintOptions) -> Result<Vec<u8>, PrintError> {
    render_pdf(&service_page(service, opts)?, opts)
}
