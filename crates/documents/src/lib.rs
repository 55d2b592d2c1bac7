//! Official documents in Bahasa Indonesia rendered as PDF: the building blocks from which the
//! reporting service composes the disposition sheet (lembar disposisi), the handling report
//! (laporan hasil penanganan pengaduan, SOP step S15) and the monthly report (laporan bulanan),
//! plus Indonesian date and number formatting.
//!
//! # The engine
//!
//! A [`Document`] is A4 portrait with 2 cm margins. Each block method (`letterhead`, `title`,
//! `heading`, `paragraph`, `fields`, `checklist`, `table`, `bar_chart`, `signature`, `spacer`)
//! lays its content out at once across the full body width as a stack of unbreakable strips
//! (one text line, one table row, one chart bar) with rules for breaking: space before the block
//! that vanishes at the top of a page, keep-together (letterhead, title, heading, chart,
//! signature move whole to the next page when they fit on one), keep-with-next (a heading stays
//! with the start of what follows), a lead (a table header needs its first row on the same
//! page) and a strip repeated on continuation pages (the table header). [`Document::render`]
//! places the strips page by page, breaking wherever the next strip does not fit, so blocks
//! taller than a page split: paragraphs, fields and checklists by line, tables by row (and a
//! row taller than a page by line), horizontal charts by bar. Every page gets the footer
//! `Halaman N dari M` and, if set, the mark at the top right. The PDF is written with
//! [`pdf_writer`]: catalog with `/Lang (id-ID)`, document information with the title, one
//! uncompressed content stream per page, fonts as page resources, cross-reference table.
//!
//! # Fonts and characters
//!
//! Text is set in two of the standard 14 Type 1 fonts, Helvetica and Helvetica-Bold, which every
//! PDF reader has, so nothing is embedded. They are used with WinAnsiEncoding (Windows-1252):
//! Latin-1 plus the typographic quotes, dashes, bullet, ellipsis and euro sign, which covers
//! Bahasa Indonesia. Any other character prints as `?`; combining accents, zero-width
//! characters and soft hyphens are dropped, and other spaces and hyphens map to plain ones.
//! Widths come from Adobe's public AFM metrics for the two fonts, so wrapping is exact. The
//! document title in the metadata keeps full Unicode.
//!
//! # Limits
//!
//! - No kerning, hyphenation or justification: lines break at spaces, and a word wider than its
//!   column breaks between characters.
//! - Chart labels are cut to three lines and values to their slot, with an ellipsis; bars are
//!   drawn for positive finite values only. Headers of tables are cut to a quarter page.
//! - Tabs become a space, runs of spaces collapse where lines wrap, and there is no
//!   right-to-left or complex-script support (such text prints as `?`).
//! - No images, links, outline, tagged structure or compression; a report of a few hundred
//!   rows is a few hundred kilobytes.
//!
//! Rendering does no I/O. [`inspect`] shells out to poppler-utils to read PDFs back in tests.

mod chart;
mod document;
mod format;
pub mod inspect;
pub mod labels;
mod layout;
mod metrics;

pub use document::Document;
pub use format::{angka, hari_tanggal, persen, tanggal};

#[cfg(test)]
mod tests;
