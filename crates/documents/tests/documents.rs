//! Documents rendered and read back with poppler-utils (pdftotext, pdfinfo, pdftoppm). A missing
//! binary fails the test with the message naming the Debian package.

use aduan_documents::{Document, angka, hari_tanggal, inspect, persen, tanggal};
use jiff::civil::date;

fn s(text: &str) -> String {
    text.to_string()
}

fn text_of(pdf: &[u8]) -> String {
    inspect::text(pdf).unwrap_or_else(|e| panic!("{e}"))
}

fn pages_of(pdf: &[u8]) -> usize {
    inspect::pages(pdf).unwrap_or_else(|e| panic!("{e}"))
}

/// Asserts that every needle occurs in `haystack`, each after the previous one.
fn assert_in_order(haystack: &str, needles: &[&str]) {
    let mut from = 0;
    for needle in needles {
        match haystack[from..].find(needle) {
            Some(i) => from += i + needle.len(),
            None => panic!("{needle:?} missing after byte {from} in:\n{haystack}"),
        }
    }
}

/// Page texts: pdftotext separates pages with form feeds.
fn page_texts(text: &str) -> Vec<&str> {
    let mut pages: Vec<&str> = text.split('\u{c}').collect();
    if pages.last().is_some_and(|p| p.trim().is_empty()) {
        pages.pop();
    }
    pages
}

const CHANNELS: [(&str, f64); 5] = [
    ("Datang langsung", 12.0),
    ("Telepon", 8.0),
    ("WhatsApp", 21.0),
    ("Surel", 3.0),
    ("SP4N-LAPOR!", 5.0),
];

fn monthly_report() -> Document {
    let mut doc = Document::new("Laporan Bulanan Penanganan Pengaduan — November 2026");
    doc.mark("RAHASIA");
    doc.letterhead(&[
        s("PEMERINTAH KABUPATEN SAMPANG"),
        s("DINAS SOSIAL, PEMBERDAYAAN PEREMPUAN DAN PERLINDUNGAN ANAK"),
        s("Jl. Rajawali No. 7, Sampang 69214 – Telp. (0323) 321000"),
    ]);
    doc.title(
        "LAPORAN BULANAN PENANGANAN PENGADUAN",
        Some("Nomor: 400.9/127/434.203/2026"),
    );
    doc.fields(&[
        (s("Instansi"), s("Dinas Sosial P3A Kabupaten Sampang")),
        (s("Periode"), s("November 2026")),
        (s("Tanggal laporan"), hari_tanggal(date(2026, 12, 2))),
    ]);
    doc.heading("A. Pengaduan per Kanal");
    let total: f64 = CHANNELS.iter().map(|c| c.1).sum();
    let mut rows: Vec<Vec<String>> = CHANNELS
        .iter()
        .enumerate()
        .map(|(i, (kanal, n))| {
            vec![
                (i + 1).to_string(),
                s(kanal),
                angka(*n, 0),
                persen(n / total, 1),
            ]
        })
        .collect();
    rows.push(vec![s(""), s("Jumlah"), angka(total, 0), persen(1.0, 1)]);
    doc.table(
        &[s("No"), s("Kanal"), s("Jumlah"), s("Persentase")],
        &[0.6, 3.0, 1.2, 1.4],
        &rows,
        &[true, false, true, true],
    );
    doc.paragraph(
        "Pengaduan terbanyak masuk melalui WhatsApp.\nSeluruh pengaduan telah diregistrasi dalam 1 hari kerja.",
    );
    doc.heading("B. Pengaduan per Bidang");
    doc.bar_chart(
        "Jumlah pengaduan per Bidang, November 2026",
        &[
            (s("Rehabilitasi Sosial"), 14.0),
            (s("Perlindungan dan Jaminan Sosial"), 9.0),
            (s("Pemberdayaan Perempuan"), 0.0),
            (s("Perlindungan Anak"), 21.0),
        ],
        &|v| angka(v, 0),
    );
    doc.heading("C. Kepatuhan Standar Pelayanan");
    doc.checklist(&[
        (s("Identitas korban dan anak dilindungi"), true),
        (s("Tanggapan dalam 4 hari kerja"), false),
    ]);
    doc.spacer(12.0);
    doc.signature(
        &format!("Sampang, {}", tanggal(date(2026, 12, 2))),
        "Kepala Dinas Sosial P3A\nKabupaten Sampang",
        "Drs. H. MOH. HASAN, M.Si.",
    );
    doc
}

#[test]
fn monthly_report_prints_its_figures_and_labels_in_order() {
    let pdf = monthly_report().render();
    let text = text_of(&pdf);
    assert_in_order(
        &text,
        &[
            "PEMERINTAH KABUPATEN SAMPANG",
            "DINAS SOSIAL, PEMBERDAYAAN PEREMPUAN DAN PERLINDUNGAN ANAK",
            "Jl. Rajawali No. 7, Sampang 69214 – Telp. (0323) 321000",
            "LAPORAN BULANAN PENANGANAN PENGADUAN",
            "Nomor: 400.9/127/434.203/2026",
            "Instansi",
            "Dinas Sosial P3A Kabupaten Sampang",
            "Periode",
            "November 2026",
            "Rabu, 2 Desember 2026",
            "A. Pengaduan per Kanal",
            "No",
            "Kanal",
            "Jumlah",
            "Persentase",
            "Datang langsung",
            "12",
            "24,5%",
            "Telepon",
            "WhatsApp",
            "21",
            "42,9%",
            "Surel",
            "SP4N-LAPOR!",
            "Jumlah",
            "49",
            "100,0%",
            "Pengaduan terbanyak masuk melalui WhatsApp.",
            "Seluruh pengaduan telah diregistrasi",
            "B. Pengaduan per Bidang",
            "Jumlah pengaduan per Bidang, November 2026",
            "C. Kepatuhan Standar Pelayanan",
            "[x]",
            "Identitas korban dan anak dilindungi",
            "[ ]",
            "Tanggapan dalam 4 hari kerja",
            "Sampang, 2 Desember 2026",
            "Kepala Dinas Sosial P3A",
            "Kabupaten Sampang",
            "Drs. H. MOH. HASAN, M.Si.",
        ],
    );
    // Table rows keep their cells on one line, in column order.
    let whatsapp = text
        .lines()
        .find(|l| l.contains("WhatsApp") && l.contains('%'))
        .expect("WhatsApp row");
    assert_in_order(whatsapp, &["3", "WhatsApp", "21", "42,9%"]);
    // The chart prints its labels and values.
    for label in [
        "Rehabilitasi Sosial",
        "Perlindungan Anak",
        "Pemberdayaan",
        "14",
        "9",
    ] {
        assert!(
            text.contains(label),
            "{label:?} missing from the chart in:\n{text}"
        );
    }
    let pages = pages_of(&pdf);
    for (i, page) in page_texts(&text).iter().enumerate() {
        assert!(page.contains("RAHASIA"), "page {} has no mark", i + 1);
        assert!(
            page.contains(&format!("Halaman {} dari {pages}", i + 1)),
            "page {} footer",
            i + 1
        );
    }
}

#[test]
fn pdf_header_title_and_language() {
    let pdf = monthly_report().render();
    assert!(pdf.starts_with(b"%PDF-"));
    assert!(
        pdf.windows(13).any(|w| w == b"/Lang (id-ID)"),
        "catalog has no /Lang"
    );
    assert!(pdf.windows(15).any(|w| w == b"WinAnsiEncoding"));
    let info = inspect::info(&pdf).unwrap_or_else(|e| panic!("{e}"));
    let title = info
        .lines()
        .find_map(|l| l.strip_prefix("Title:"))
        .expect("a Title line")
        .trim();
    assert_eq!(
        title,
        "Laporan Bulanan Penanganan Pengaduan — November 2026"
    );
}

#[test]
fn a_long_table_spans_pages_with_the_header_repeated() {
    let mut doc = Document::new("Daftar Pengaduan");
    doc.mark("RAHASIA");
    doc.title("DAFTAR PENGADUAN NOVEMBER 2026", None);
    let rows: Vec<Vec<String>> = (1..=200)
        .map(|i| {
            vec![
                i.to_string(),
                format!("ADU-2026-{i:04}"),
                format!("Pelapor {i:03}"),
                s("Selesai"),
            ]
        })
        .collect();
    doc.table(
        &[s("No"), s("Nomor Aduan"), s("Nama Pelapor"), s("Status")],
        &[0.5, 2.0, 2.0, 1.0],
        &rows,
        &[true],
    );
    let pdf = doc.render();
    let pages = pages_of(&pdf);
    assert!(pages >= 3, "200 rows on {pages} pages");
    let text = text_of(&pdf);
    let page_texts = page_texts(&text);
    assert_eq!(page_texts.len(), pages);
    for (i, page) in page_texts.iter().enumerate() {
        assert!(
            page.contains("Nama Pelapor"),
            "page {} has no table header:\n{page}",
            i + 1
        );
        assert!(page.contains("RAHASIA"), "page {} has no mark", i + 1);
        assert!(
            page.contains(&format!("Halaman {} dari {pages}", i + 1)),
            "page {} footer:\n{page}",
            i + 1
        );
        assert_in_order(
            page,
            &[
                "RAHASIA",
                "Nama Pelapor",
                "Pelapor",
                &format!("Halaman {}", i + 1),
            ],
        );
    }
    let needles: Vec<String> = (1..=200).map(|i| format!("ADU-2026-{i:04}")).collect();
    let needles: Vec<&str> = needles.iter().map(String::as_str).collect();
    assert_in_order(&text, &needles);
    for needle in &needles {
        assert_eq!(
            text.matches(needle).count(),
            1,
            "{needle} printed more than once"
        );
    }
}

#[test]
fn chart_area_has_ink_and_bar_lengths_follow_values() {
    // Bars are the only blue on the page: find them column by column.
    let blue = |p: [u8; 3]| p[2] > 120 && p[0] < 110 && p[2] > p[0] + 60;
    let mut doc = Document::new("Grafik");
    let bars = [(s("Nol"), 0.0), (s("Dua"), 2.0), (s("Sepuluh"), 10.0)];
    doc.bar_chart("Pengaduan per Bidang", &bars, &|v| angka(v, 0));
    let pdf = doc.render();
    let images = inspect::images(&pdf, 72).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(images.len(), 1);
    let page = &images[0];
    assert!((594..=596).contains(&page.width) && (841..=843).contains(&page.height));
    // The chart sits at the top of the body: it has ink, and the page bottom has none but the footer.
    assert!(page.ink(57, 57, 538, 300) > 0.05);
    assert_eq!(page.ink(57, 300, 538, 760), 0.0);
    let heights: Vec<usize> = (0..page.width)
        .map(|x| (0..page.height).filter(|&y| blue(page.pixel(x, y))).count())
        .collect();
    let mut runs: Vec<(usize, usize)> = Vec::new(); // (first column, tallest)
    for (x, &h) in heights.iter().enumerate() {
        if h == 0 {
            continue;
        }
        match runs.last_mut() {
            Some((start, tallest)) if heights[x - 1] > 0 && x > *start => {
                *tallest = (*tallest).max(h)
            }
            _ => runs.push((x, h)),
        }
    }
    assert_eq!(runs.len(), 2, "the zero bar must draw nothing: {runs:?}");
    let (two, ten) = (runs[0].1 as f64, runs[1].1 as f64);
    assert!(
        (ten / two - 5.0).abs() < 0.5,
        "bar heights {two} and {ten} are not 2 : 10"
    );
    // Three equal slots: the first blue run is in the middle third of the plot, not the first.
    assert!(runs[0].0 > 57 + (538 - 57) / 3, "{runs:?}");
}

#[test]
fn all_zero_empty_and_nan_charts_and_empty_tables_render() {
    let mut doc = Document::new("Kosong");
    doc.bar_chart("Tanpa data", &[], &|v| angka(v, 0));
    doc.bar_chart("Semua nol", &[(s("A"), 0.0), (s("B"), 0.0)], &|v| {
        angka(v, 0)
    });
    doc.bar_chart(
        "NaN dan tak hingga",
        &[(s("A"), f64::NAN), (s("B"), f64::INFINITY), (s("C"), -3.0)],
        &|v| angka(v, 1),
    );
    doc.table(&[s("Kanal"), s("Jumlah")], &[], &[], &[]);
    doc.table(
        &[],
        &[f32::NAN, -1.0],
        &[vec![], vec![s("satu"), s("dua"), s("tiga")]],
        &[],
    );
    doc.table(&[], &[], &[], &[]);
    doc.fields(&[]);
    doc.checklist(&[]);
    doc.letterhead(&[]);
    doc.paragraph("");
    doc.spacer(f32::NAN);
    doc.spacer(-5.0);
    doc.spacer(f32::INFINITY);
    let pdf = doc.render();
    let text = text_of(&pdf);
    assert_in_order(
        &text,
        &[
            "Tanpa data",
            "Tidak ada data",
            "Semua nol",
            "NaN dan tak hingga",
            "-",
            "-",
            "-3,0",
        ],
    );
    assert_in_order(
        &text,
        &["Kanal", "Jumlah", "Tidak ada data", "satu", "dua", "tiga"],
    );
    assert!(text.contains("Halaman 1 dari"));

    let empty = Document::new("").render();
    assert_eq!(pages_of(&empty), 1);
    assert!(text_of(&empty).contains("Halaman 1 dari 1"));
}

#[test]
fn any_unicode_and_a_500_character_word_do_not_panic_and_stay_on_the_page() {
    let word = "a".repeat(500);
    let odd = "日本語 Ελληνικά 😀 ẞ ĳ ‐ − \u{200B}e\u{301} \t tab\r\n";
    let mut doc = Document::new(&format!("{odd}{word}"));
    doc.mark(&format!("{odd}{word}"));
    doc.letterhead(&[word.clone(), s(odd), word.clone()]);
    doc.title(&word, Some(&word));
    doc.heading(&word);
    doc.paragraph(&format!("{odd} {word} akhir"));
    doc.fields(&[(word.clone(), word.clone()), (s(odd), s("Nilai"))]);
    doc.checklist(&[(word.clone(), true), (s(odd), false)]);
    doc.table(
        &[word.clone(), s(odd), s("Jumlah")],
        &[0.01, 1.0, 1.0],
        &[vec![word.clone(), s(odd), word.clone()], vec![s("x"); 7]],
        &[true, true, true],
    );
    doc.bar_chart(&word, &[(word.clone(), 1.0), (s(odd), 2.0)], &|_| {
        word.clone()
    });
    doc.signature(&word, odd, &word);
    let pdf = doc.render();
    let text = text_of(&pdf);
    assert!(text.contains("akhir"));
    assert!(
        !text.contains("Ελληνικά") && text.contains("???"),
        "non-WinAnsi text becomes '?'"
    );
    assert!(text.contains("é") || text.contains('e'));
    // The long word is broken to fit: nothing is drawn in the outer 1.5 cm of any page.
    for (i, page) in inspect::images(&pdf, 72)
        .unwrap_or_else(|e| panic!("{e}"))
        .iter()
        .enumerate()
    {
        let (w, h) = (page.width, page.height);
        assert_eq!(
            page.ink(w - 42, 0, w, h),
            0.0,
            "page {} has ink in the right margin",
            i + 1
        );
        assert_eq!(
            page.ink(0, 0, 42, h),
            0.0,
            "page {} has ink in the left margin",
            i + 1
        );
    }
    let info = inspect::info(&pdf).unwrap_or_else(|e| panic!("{e}"));
    assert!(
        info.contains("日本語"),
        "the metadata title keeps Unicode:\n{info}"
    );
}
