//! Indonesian date and number formatting.

use aduan_documents::{angka, hari_tanggal, persen, tanggal};
use jiff::civil::date;

#[test]
fn tanggal_uses_indonesian_month_names() {
    assert_eq!(tanggal(date(2026, 12, 2)), "2 Desember 2026");
    assert_eq!(tanggal(date(2026, 1, 31)), "31 Januari 2026");
    let months: Vec<String> = (1..=12).map(|m| tanggal(date(2026, m, 1))).collect();
    assert_eq!(
        months,
        [
            "1 Januari 2026",
            "1 Februari 2026",
            "1 Maret 2026",
            "1 April 2026",
            "1 Mei 2026",
            "1 Juni 2026",
            "1 Juli 2026",
            "1 Agustus 2026",
            "1 September 2026",
            "1 Oktober 2026",
            "1 November 2026",
            "1 Desember 2026",
        ]
    );
}

#[test]
fn hari_tanggal_names_the_weekday() {
    assert_eq!(hari_tanggal(date(2026, 12, 2)), "Rabu, 2 Desember 2026");
    let week: Vec<String> = (0..7)
        .map(|d| hari_tanggal(date(2026, 11, 30 - 6 + d)))
        .collect();
    assert_eq!(
        week,
        [
            "Selasa, 24 November 2026",
            "Rabu, 25 November 2026",
            "Kamis, 26 November 2026",
            "Jumat, 27 November 2026",
            "Sabtu, 28 November 2026",
            "Minggu, 29 November 2026",
            "Senin, 30 November 2026",
        ]
    );
}

#[test]
fn angka_groups_thousands_with_dots_and_decimals_with_a_comma() {
    assert_eq!(angka(1234.5, 2), "1.234,50");
    assert_eq!(angka(83.333, 2), "83,33");
    assert_eq!(angka(12.0, 0), "12");
    assert_eq!(angka(1_234_567.0, 0), "1.234.567");
    assert_eq!(angka(999.0, 0), "999");
    assert_eq!(angka(1000.0, 0), "1.000");
    assert_eq!(angka(0.0, 2), "0,00");
    assert_eq!(angka(-1234.5, 1), "-1.234,5");
    assert_eq!(angka(-0.004, 2), "0,00", "no negative zero");
    // Rounding half away from zero on the decimal form, with carries.
    assert_eq!(angka(2.5, 0), "3");
    assert_eq!(angka(-2.5, 0), "-3");
    assert_eq!(angka(1.005, 2), "1,01");
    assert_eq!(angka(999_999.995, 2), "1.000.000,00");
    assert_eq!(angka(f64::NAN, 2), "-");
    assert_eq!(angka(f64::INFINITY, 0), "-");
    assert_eq!(angka(f64::NEG_INFINITY, 0), "-");
}

#[test]
fn persen_multiplies_by_a_hundred() {
    assert_eq!(persen(0.875, 1), "87,5%");
    assert_eq!(persen(1.0, 0), "100%");
    assert_eq!(persen(0.0, 1), "0,0%");
    assert_eq!(persen(2.0 / 3.0, 2), "66,67%");
    assert_eq!(persen(-0.125, 1), "-12,5%");
    assert_eq!(persen(0.00049, 1), "0,0%");
    assert_eq!(persen(-0.0004, 1), "0,0%");
    assert_eq!(persen(12.3456, 1), "1.234,6%");
    assert_eq!(persen(f64::NAN, 1), "-%");
}
