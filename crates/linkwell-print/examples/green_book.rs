//! Writes the sample Green Book (standard, large print and blank) and a sample directory
//! page as PDFs into a folder, and prints page counts, sizes and timings.
//!
//! `cargo run -p linkwell-print --example green_book -- /tmp/gb`

use std::time::Instant;

use chrono::NaiveDate;
use linkwell_print::{
    PrintOptions, green_book_pdf, layout_green_book, sample_green_book, sample_service_page,
    service_page_pdf,
};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let dir = std::env::args().nth(1).unwrap_or_else(|| ".".to_string());
    std::fs::create_dir_all(&dir)?;
    let book = sample_green_book();
    let printed_on = NaiveDate::from_ymd_opt(2025, 5, 6).ok_or("bad date")?;
    let base = PrintOptions {
        fixed_timestamp: printed_on.and_hms_opt(9, 0, 0),
        ..PrintOptions::new(printed_on)
    };
    // The first call parses the embedded fonts (once per process).
    let t = Instant::now();
    layout_green_book(&book, &base)?;
    println!(
        "first layout (includes parsing the fonts): {:?}",
        t.elapsed()
    );
    let variants = [
        ("standard", PrintOptions { ..base.clone() }),
        (
            "large",
            PrintOptions {
                large_print: true,
                ..base.clone()
            },
        ),
        (
            "blank",
            PrintOptions {
                blank: true,
                ..base.clone()
            },
        ),
        (
            "blank-large",
            PrintOptions {
                blank: true,
                large_print: true,
                ..base.clone()
            },
        ),
    ];
    for (name, opts) in &variants {
        let pages = layout_green_book(&book, opts)?.pages.len();
        let mut layout_times = Vec::new();
        for _ in 0..20 {
            let t = Instant::now();
            layout_green_book(&book, opts)?;
            layout_times.push(t.elapsed());
        }
        layout_times.sort();
        let mut times = Vec::new();
        let mut bytes = Vec::new();
        for _ in 0..20 {
            let t = Instant::now();
            bytes = green_book_pdf(&book, opts)?;
            times.push(t.elapsed());
        }
        times.sort();
        let path = format!("{dir}/green-book-{name}.pdf");
        std::fs::write(&path, &bytes)?;
        println!(
            "{name:12} {pages:3} pages {:7} bytes  layout+PDF median {:?} (min {:?}), layout alone {:?}  {path}",
            bytes.len(),
            times[times.len() / 2],
            times[0],
            layout_times[layout_times.len() / 2],
        );
    }
    let bytes = service_page_pdf(&sample_service_page(), &base)?;
    let path = format!("{dir}/service-page.pdf");
    std::fs::write(&path, &bytes)?;
    println!("service page {:7} bytes  {path}", bytes.len());
    Ok(())
}
