//! Tests that need the engine's geometry: bars are found in the laid-out operations, then the
//! rendered page is checked for ink exactly where each bar is (or would be).

use crate::chart::{BAR_COLOR, PLOT_H};
use crate::inspect::{self, Image};
use crate::layout::Op;
use crate::{Document, angka};

const DPI: u32 = 144;

#[derive(Clone, Copy, Debug)]
struct Bar {
    x: f32,
    y: f32,
    w: f32,
    h: f32,
}

fn bars_on_first_page(doc: &Document) -> Vec<Bar> {
    doc.pages()[0]
        .iter()
        .filter_map(|op| match op {
            Op::Rect {
                x,
                y,
                w,
                h,
                fill: Some(fill),
                ..
            } if *fill == BAR_COLOR => Some(Bar {
                x: *x,
                y: *y,
                w: *w,
                h: *h,
            }),
            _ => None,
        })
        .collect()
}

/// Ink in a rectangle given in points (top-down), shrunk by 1 pt on every side.
fn ink(image: &Image, x0: f32, y0: f32, x1: f32, y1: f32) -> f64 {
    let px = |pt: f32| (pt * DPI as f32 / 72.0).round().max(0.0) as usize;
    image.ink(px(x0 + 1.0), px(y0 + 1.0), px(x1 - 1.0), px(y1 - 1.0))
}

fn first_page(doc: Document) -> Image {
    let pdf = doc.render();
    let images = inspect::images(&pdf, DPI).unwrap_or_else(|e| panic!("{e}"));
    images.into_iter().next().expect("a rendered page")
}

#[test]
fn vertical_bars_have_ink_in_proportion_and_a_zero_bar_has_none() {
    let mut doc = Document::new("Grafik");
    let bars = [
        ("Nol".to_string(), 0.0),
        ("Dua".to_string(), 2.0),
        ("Sepuluh".to_string(), 10.0),
    ];
    doc.bar_chart("Pengaduan per Bidang", &bars, &|v| angka(v, 0));
    let rects = bars_on_first_page(&doc);
    assert_eq!(rects.len(), 2, "the zero bar draws no rectangle: {rects:?}");
    let (two, ten) = (rects[0], rects[1]);
    assert!(ten.h > 4.0 * two.h, "{rects:?}");
    let slot = ten.x - two.x;
    let base = two.y + two.h;
    let top = base - PLOT_H;
    let image = first_page(doc);
    let zero_ink = ink(&image, two.x - slot, top, two.x - slot + two.w, base);
    let two_ink = ink(&image, two.x, top, two.x + two.w, base);
    let ten_ink = ink(&image, ten.x, top, ten.x + ten.w, base);
    assert!(zero_ink < 0.05, "zero bar region has ink {zero_ink}");
    assert!(two_ink > zero_ink + 0.1, "two {two_ink} vs zero {zero_ink}");
    assert!(ten_ink > two_ink + 0.5, "ten {ten_ink} vs two {two_ink}");
    assert!(ten_ink > 0.9, "the tallest bar fills the plot: {ten_ink}");
}

#[test]
fn horizontal_bars_have_ink_in_proportion_and_a_zero_bar_has_none() {
    let mut doc = Document::new("Grafik");
    let bars: Vec<(String, f64)> = (0..10)
        .map(|i| (format!("Kecamatan {i}"), f64::from(i)))
        .collect();
    doc.bar_chart("Pengaduan per Kecamatan", &bars, &|v| angka(v, 0));
    let rects = bars_on_first_page(&doc);
    assert_eq!(rects.len(), 9, "{rects:?}");
    let (one, nine) = (rects[0], rects[8]);
    assert!(nine.w > 8.0 * one.w, "{rects:?}");
    let row = rects[1].y - one.y;
    let zero_y = one.y - row;
    let x1 = one.x + nine.w;
    let image = first_page(doc);
    let zero_ink = ink(&image, one.x, zero_y, x1, zero_y + one.h);
    let one_ink = ink(&image, one.x, one.y, x1, one.y + one.h);
    let nine_ink = ink(&image, nine.x, nine.y, x1, nine.y + nine.h);
    assert!(zero_ink < 0.05, "zero bar region has ink {zero_ink}");
    assert!(
        one_ink > zero_ink + 0.05,
        "one {one_ink} vs zero {zero_ink}"
    );
    assert!(nine_ink > one_ink + 0.5, "nine {nine_ink} vs one {one_ink}");
}

#[test]
fn table_rows_never_leave_the_body() {
    let mut doc = Document::new("Tabel");
    let word = "x".repeat(3000);
    doc.table(
        &["A".into(), "B".into()],
        &[1.0, 0.05],
        &[vec!["a".into(), word]],
        &[false, true],
    );
    for page in doc.pages() {
        for op in page {
            if let Op::Text { x, y, .. } = op {
                assert!((0.0..=crate::layout::PAGE_W).contains(&x), "{x}");
                assert!((0.0..=crate::layout::PAGE_H).contains(&y), "{y}");
            }
        }
    }
}

/// Deterministic pseudo-random inputs (xorshift), so a failure reproduces.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }

    fn text(&mut self) -> String {
        const PIECES: [&str; 12] = [
            "Pengaduan",
            " ",
            "\n",
            "é",
            "日本",
            "😀",
            "\u{301}",
            "\t",
            "(",
            "\\",
            "—",
            "Rp1.000.000,00",
        ];
        let len = match self.below(10) {
            0 => 0,
            1 => 300,
            _ => self.below(12),
        };
        (0..len).map(|_| PIECES[self.below(PIECES.len())]).collect()
    }

    fn number(&mut self) -> f64 {
        const VALUES: [f64; 8] = [
            0.0,
            -1.0,
            3.0,
            12.5,
            f64::NAN,
            f64::INFINITY,
            1e300,
            f64::MIN_POSITIVE,
        ];
        VALUES[self.below(VALUES.len())]
    }
}

#[test]
fn random_inputs_never_panic() {
    let mut rng = Rng(0x5EED_1234_ABCD_0001);
    for _ in 0..40 {
        let mut doc = Document::new(&rng.text());
        doc.mark(&rng.text());
        for _ in 0..rng.below(12) {
            match rng.below(10) {
                0 => doc.letterhead(&(0..rng.below(4)).map(|_| rng.text()).collect::<Vec<_>>()),
                1 => doc.title(&rng.text(), Some(&rng.text())),
                2 => doc.heading(&rng.text()),
                3 => doc.paragraph(&rng.text()),
                4 => doc.fields(
                    &(0..rng.below(5))
                        .map(|_| (rng.text(), rng.text()))
                        .collect::<Vec<_>>(),
                ),
                5 => doc.checklist(
                    &(0..rng.below(5))
                        .map(|_| (rng.text(), rng.below(2) == 0))
                        .collect::<Vec<_>>(),
                ),
                6 => {
                    let header: Vec<String> = (0..rng.below(5)).map(|_| rng.text()).collect();
                    let widths: Vec<f32> = (0..rng.below(6)).map(|_| rng.number() as f32).collect();
                    let rows: Vec<Vec<String>> = (0..rng.below(30))
                        .map(|_| (0..rng.below(6)).map(|_| rng.text()).collect())
                        .collect();
                    let right: Vec<bool> = (0..rng.below(6)).map(|_| rng.below(2) == 0).collect();
                    doc.table(&header, &widths, &rows, &right);
                }
                7 => {
                    let bars: Vec<(String, f64)> = (0..rng.below(14))
                        .map(|_| (rng.text(), rng.number()))
                        .collect();
                    doc.bar_chart(&rng.text(), &bars, &|v| angka(v, 2));
                }
                8 => doc.signature(&rng.text(), &rng.text(), &rng.text()),
                _ => doc.spacer(rng.number() as f32),
            }
        }
        let pdf = doc.render();
        assert!(pdf.starts_with(b"%PDF-") && pdf.ends_with(b"%%EOF"));
    }
}
