//! Renders the page model to PDF bytes with printpdf, embedding a subset of the font.
//!
//! Output is reproducible: font resource ids are fixed, the document dates come from
//! [`PrintOptions::fixed_timestamp`], and the trailer `/ID` (random in printpdf) is
//! replaced by a hash of the page model and timestamp.

use chrono::NaiveDateTime;
use printpdf::{
    Color, FontId, Line, LinePoint, Mm, Op, PaintMode, PdfDocument, PdfFontHandle, PdfPage,
    PdfSaveOptions, Point, Pt, Rect, Rgb, TextItem, TextMatrix,
};

use crate::PrintError;
use crate::fonts::{FONT_NAME, fonts};
use crate::layout::{Document, LineKind, Page};
use crate::model::PrintOptions;

/// Resource names of the two faces. The first six letters become the subset tag.
const REGULAR_ID: &str = "LWDJVR";
const BOLD_ID: &str = "LWDJVB";

fn rgb(r: f32, g: f32, b: f32) -> Color {
    Color::Rgb(Rgb {
        r,
        g,
        b,
        icc_profile: None,
    })
}

/// Near-black for text (pure black prints well; this keeps it crisp on screen too).
fn ink() -> Color {
    rgb(0.0, 0.0, 0.0)
}

/// Dark green accent: contrast ratio above 7:1 on white.
fn accent() -> Color {
    rgb(0.0, 0.36, 0.18)
}

fn writing_grey() -> Color {
    rgb(0.45, 0.45, 0.45)
}

/// Renders a laid-out document to PDF bytes.
pub fn render_pdf(doc: &Document, opts: &PrintOptions) -> Result<Vec<u8>, PrintError> {
    if doc.pages.is_empty() {
        return Err(PrintError::NothingToPrint(
            "the document has no pages".to_string(),
        ));
    }
    let timestamp = opts
        .fixed_timestamp
        .unwrap_or_else(|| chrono::Utc::now().naive_utc());
    let mut pdf = PdfDocument::new(&doc.title);
    stamp_metadata(&mut pdf, timestamp)?;
    let fonts = embed_fonts(&mut pdf)?;
    let pages: Vec<PdfPage> = doc
        .pages
        .iter()
        .map(|page| {
            let h = doc.page_height_mm;
            let mut ops = Vec::new();
            draw_lines(&mut ops, page, h);
            draw_boxes(&mut ops, page, h);
            draw_runs(&mut ops, page, h, &fonts);
            PdfPage::new(Mm(doc.page_width_mm), Mm(doc.page_height_mm), ops)
        })
        .collect();
    pdf.with_pages(pages);
    save(&pdf, doc, timestamp)
}

/// The two embedded faces, as the handles text runs refer to.
struct EmbeddedFonts {
    regular: FontId,
    bold: FontId,
}

/// Dates and names in the document information: fixed when the caller asks, so the same book
/// gives the same bytes.
fn stamp_metadata(pdf: &mut PdfDocument, timestamp: NaiveDateTime) -> Result<(), PrintError> {
    let when = printpdf::OffsetDateTime::from_unix_timestamp(timestamp.and_utc().timestamp())
        .map_err(|e| PrintError::Pdf(format!("bad document timestamp: {e}")))?;
    let info = &mut pdf.metadata.info;
    info.creation_date = when;
    info.modification_date = when;
    info.metadata_date = when;
    info.creator = "Linkwell".to_string();
    info.producer = format!("Linkwell (printpdf, {FONT_NAME})");
    Ok(())
}

fn embed_fonts(pdf: &mut PdfDocument) -> Result<EmbeddedFonts, PrintError> {
    let fonts = fonts()?;
    let regular = FontId(REGULAR_ID.to_string());
    let bold = FontId(BOLD_ID.to_string());
    pdf.resources.fonts.map.insert(
        regular.clone(),
        printpdf::PdfFont::new(fonts.regular.parsed.clone()),
    );
    pdf.resources.fonts.map.insert(
        bold.clone(),
        printpdf::PdfFont::new(fonts.bold.parsed.clone()),
    );
    Ok(EmbeddedFonts { regular, bold })
}

/// Rules in green, writing lines in grey. `h` turns the layout's top-down millimetres into
/// PDF's bottom-up ones.
fn draw_lines(ops: &mut Vec<Op>, page: &Page, h: f32) {
    for l in &page.lines {
        let colour = match l.kind {
            LineKind::Rule => accent(),
            LineKind::Writing => writing_grey(),
        };
        ops.push(Op::SetOutlineColor { col: colour });
        ops.push(Op::SetOutlineThickness {
            pt: Pt(l.thickness_pt),
        });
        ops.push(Op::DrawLine {
            line: polyline(&[(l.x1_mm, h - l.y1_mm), (l.x2_mm, h - l.y2_mm)]),
        });
    }
}

/// Tick boxes, with a drawn tick in the ones the worker ticked.
fn draw_boxes(ops: &mut Vec<Op>, page: &Page, h: f32) {
    for b in &page.boxes {
        ops.push(Op::SetOutlineColor { col: ink() });
        ops.push(Op::SetOutlineThickness { pt: Pt(1.0) });
        ops.push(Op::DrawRectangle {
            rectangle: Rect {
                mode: Some(PaintMode::Stroke),
                ..Rect::from_xywh(
                    Mm(b.x_mm).into(),
                    Mm(h - b.y_mm - b.h_mm).into(),
                    Mm(b.w_mm).into(),
                    Mm(b.h_mm).into(),
                )
            },
        });
        if b.ticked {
            let (x, y, w, bh) = (b.x_mm, b.y_mm, b.w_mm, b.h_mm);
            ops.push(Op::SetOutlineColor { col: accent() });
            ops.push(Op::SetOutlineThickness { pt: Pt(1.8) });
            ops.push(Op::DrawLine {
                line: polyline(&[
                    (x + 0.18 * w, h - (y + 0.52 * bh)),
                    (x + 0.42 * w, h - (y + 0.78 * bh)),
                    (x + 0.84 * w, h - (y + 0.2 * bh)),
                ]),
            });
        }
    }
}

/// Text, one text object per run, positioned absolutely.
fn draw_runs(ops: &mut Vec<Op>, page: &Page, h: f32, fonts: &EmbeddedFonts) {
    for r in &page.runs {
        let font = if r.bold { &fonts.bold } else { &fonts.regular };
        ops.push(Op::StartTextSection);
        ops.push(Op::SetFont {
            font: PdfFontHandle::External(font.clone()),
            size: Pt(r.size_pt),
        });
        ops.push(Op::SetFillColor {
            col: if r.accent { accent() } else { ink() },
        });
        ops.push(Op::SetTextMatrix {
            matrix: TextMatrix::Translate(Mm(r.x_mm).into(), Mm(h - r.y_mm).into()),
        });
        ops.push(Op::ShowText {
            items: vec![TextItem::Text(r.text.clone())],
        });
        ops.push(Op::EndTextSection);
    }
}

/// Subset fonts, a stable document id from the content, compressed streams.
fn save(
    pdf: &PdfDocument,
    doc: &Document,
    timestamp: NaiveDateTime,
) -> Result<Vec<u8>, PrintError> {
    let save = PdfSaveOptions {
        optimize: true,
        subset_fonts: true,
        secure: true,
        image_optimization: None,
    };
    let mut warnings = Vec::new();
    let mut lo = pdf.to_lopdf_document(&save, &mut warnings);
    if let Some(w) = warnings
        .iter()
        .find(|w| w.severity == printpdf::PdfParseErrorSeverity::Error)
    {
        return Err(PrintError::Pdf(w.msg.clone()));
    }
    let (a, b) = document_id(doc, timestamp);
    lo.trailer.set(
        "ID",
        lopdf::Object::Array(vec![
            lopdf::Object::String(a.into_bytes(), lopdf::StringFormat::Literal),
            lopdf::Object::String(b.into_bytes(), lopdf::StringFormat::Literal),
        ]),
    );
    lo.compress();
    let mut bytes = Vec::new();
    lo.save_to(&mut bytes)
        .map_err(|e| PrintError::Pdf(format!("could not write the PDF: {e}")))?;
    Ok(bytes)
}

fn polyline(points: &[(f32, f32)]) -> Line {
    Line {
        points: points
            .iter()
            .map(|&(x, y)| LinePoint {
                p: Point::new(Mm(x), Mm(y)),
                bezier: false,
            })
            .collect(),
        is_closed: false,
    }
}

/// A deterministic document id: two FNV-1a hashes of the page model and timestamp.
fn document_id(doc: &Document, timestamp: NaiveDateTime) -> (String, String) {
    let content = format!("{doc:?}|{timestamp}");
    let fnv = |seed: u64| {
        let mut h: u64 = 0xcbf2_9ce4_8422_2325 ^ seed;
        for b in content.bytes() {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0000_0100_0000_01b3);
        }
        h
    };
    let id = format!("{:016x}{:016x}", fnv(1), fnv(2));
    (id.clone(), id)
}
