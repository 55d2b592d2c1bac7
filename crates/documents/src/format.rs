//! Indonesian formatting of dates and numbers.

use jiff::civil::{Date, Weekday};

const BULAN: [&str; 12] = [
    "Januari",
    "Februari",
    "Maret",
    "April",
    "Mei",
    "Juni",
    "Juli",
    "Agustus",
    "September",
    "Oktober",
    "November",
    "Desember",
];

/// The Indonesian name of a month, 1 = Januari .. 12 = Desember (clamped).
fn bulan(month: i8) -> &'static str {
    BULAN[usize::try_from(month.clamp(1, 12) - 1).unwrap_or(0)]
}

fn hari(weekday: Weekday) -> &'static str {
    match weekday {
        Weekday::Monday => "Senin",
        Weekday::Tuesday => "Selasa",
        Weekday::Wednesday => "Rabu",
        Weekday::Thursday => "Kamis",
        Weekday::Friday => "Jumat",
        Weekday::Saturday => "Sabtu",
        Weekday::Sunday => "Minggu",
    }
}

/// Indonesian date: `2 Desember 2026` (month names Januari..Desember, no leading zero).
pub fn tanggal(date: Date) -> String {
    format!("{} {} {}", date.day(), bulan(date.month()), date.year())
}

/// Indonesian weekday and date: `Rabu, 2 Desember 2026`.
pub fn hari_tanggal(date: Date) -> String {
    format!("{}, {}", hari(date.weekday()), tanggal(date))
}

/// The most decimals [`angka`] prints.
const MAX_DECIMALS: usize = 30;

/// Indonesian number: thousands grouped with `.`, decimals after `,`, rounded half away from
/// zero on the shortest decimal form of `x` (so `angka(1.005, 2)` is `1,01`, as a person
/// reading `1.005` expects). `angka(1234.5, 2) == "1.234,50"`, `angka(83.333, 2) == "83,33"`,
/// `angka(12.0, 0) == "12"`, `angka(-0.001, 2) == "0,00"`. NaN and infinities (a ratio over
/// zero) print as `-`, the Indonesian table convention for "no figure". At most 30 decimals.
pub fn angka(x: f64, decimals: usize) -> String {
    if !x.is_finite() {
        return "-".to_string();
    }
    let decimals = decimals.min(MAX_DECIMALS);
    // Rust prints floats in full positional notation with the shortest round-trip digits.
    let shortest = format!("{}", x.abs());
    let (int_part, frac_part) = shortest.split_once('.').unwrap_or((&shortest, ""));
    let mut digits: Vec<u8> = int_part
        .bytes()
        .chain(frac_part.bytes())
        .map(|b| b - b'0')
        .collect();
    let int_len = int_part.len();
    let keep = int_len + decimals;
    let round_up = digits.get(keep).is_some_and(|&d| d >= 5);
    digits.truncate(keep);
    digits.resize(keep, 0);
    let mut int_len = int_len;
    if round_up {
        let mut i = digits.len();
        loop {
            if i == 0 {
                digits.insert(0, 1);
                int_len += 1;
                break;
            }
            i -= 1;
            if digits[i] == 9 {
                digits[i] = 0;
            } else {
                digits[i] += 1;
                break;
            }
        }
    }
    let negative = x < 0.0 && digits.iter().any(|&d| d != 0);
    let (int_digits, frac_digits) = digits.split_at(int_len);
    // Strip leading zeros of the integer part but keep one.
    let first = int_digits
        .iter()
        .position(|&d| d != 0)
        .unwrap_or(int_digits.len().saturating_sub(1));
    let int_digits = &int_digits[first.min(int_digits.len())..];
    let mut out = String::with_capacity(int_digits.len() * 4 / 3 + decimals + 3);
    if negative {
        out.push('-');
    }
    if int_digits.is_empty() {
        out.push('0');
    }
    for (i, d) in int_digits.iter().enumerate() {
        if i > 0 && (int_digits.len() - i) % 3 == 0 {
            out.push('.');
        }
        out.push(char::from(b'0' + d));
    }
    if decimals > 0 {
        out.push(',');
        out.extend(frac_digits.iter().map(|&d| char::from(b'0' + d)));
    }
    out
}

/// Percent in Indonesian: `persen(0.875, 1) == "87,5%"`; the fraction is multiplied by 100 and
/// formatted with [`angka`].
pub fn persen(fraction: f64, decimals: usize) -> String {
    format!("{}%", angka(fraction * 100.0, decimals))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rounds_half_away_from_zero_with_carries() {
        assert_eq!(angka(2.5, 0), "3");
        assert_eq!(angka(-2.5, 0), "-3");
        assert_eq!(angka(999.995, 2), "1.000,00");
        assert_eq!(angka(9.96, 1), "10,0");
        assert_eq!(angka(0.0, 0), "0");
        assert_eq!(angka(-0.0, 2), "0,00");
        assert_eq!(angka(0.05, 1), "0,1");
        assert_eq!(angka(0.04, 1), "0,0");
        assert_eq!(angka(1e21, 0), "1.000.000.000.000.000.000.000");
        assert_eq!(angka(1e-7, 3), "0,000");
        assert_eq!(angka(123456.0, 0), "123.456");
        assert_eq!(angka(1234567.891, 1), "1.234.567,9");
        assert_eq!(angka(0.5, 0), "1");
        assert_eq!(angka(0.4, 0), "0");
    }

    #[test]
    fn huge_decimals_and_extremes_do_not_panic() {
        assert_eq!(angka(1.5, usize::MAX).len(), "1,".len() + MAX_DECIMALS);
        assert!(angka(f64::MAX, 2).ends_with(",00"));
        assert_eq!(angka(f64::MIN_POSITIVE, 2), "0,00");
    }
}
