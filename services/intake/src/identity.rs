//! Validation and normalisation of Indonesian identity and contact formats: NIK, telephone
//! number, postal code (kode pos) and e-mail address.
//!
//! Requirement **R2**: the identity of the reporter (pelapor) and of the reported party (terlapor)
//! must be clear. This module turns the raw form values into normalised values, rejecting what is
//! certainly wrong ([`Rejection`], mapped by the caller to an `INVALID_ARGUMENT` field violation)
//! and flagging what is merely suspicious ([`Warning`], the value is kept and the officer is asked
//! to re-check the KTP / the number).
//!
//! Source of every rule: `/work/shared/refdata/identity_formats.md` (§1 NIK, §2 telephone numbers,
//! §3 postal code); reference data from `/work/shared/refdata/provinsi_zona_waktu.csv`,
//! `/work/shared/refdata/jatim_kabupaten_kota.csv` and `/work/shared/refdata/sampang_kecamatan.csv`,
//! embedded below as `const` arrays.
//!
//! Messages are short English sentences (except the phone rejection, which is the Indonesian text
//! prescribed by identity_formats.md §2) and never echo the input value: a NIK, a phone number or an
//! e-mail address is personal data (identity_formats.md §1 step 7, UU 27/2022 PDP).
//!
//! Only ASCII digits `0-9` are accepted as digits (`u8::is_ascii_digit`); other Unicode digits such
//! as Arabic-Indic `٣٥٢٧` are rejected. No function in this module panics on any input.

use jiff::civil::Date;
use std::fmt;

/// A problem that only warrants a warning (the value is kept).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Warning {
    /// A stable machine-readable code, for example `nik_date`.
    pub code: &'static str,
    /// A short explanation that never repeats the value.
    pub message: String,
}

/// Why a value is rejected (becomes an INVALID_ARGUMENT field violation).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rejection {
    /// A stable machine-readable code, for example `nik_date`.
    pub code: &'static str,
    /// A short explanation that never repeats the value.
    pub message: String,
}

impl fmt::Display for Warning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.code, self.message)
    }
}

impl fmt::Display for Rejection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.code, self.message)
    }
}

impl std::error::Error for Rejection {}

fn warning(code: &'static str, message: impl Into<String>) -> Warning {
    Warning {
        code,
        message: message.into(),
    }
}

fn rejection(code: &'static str, message: impl Into<String>) -> Rejection {
    Rejection {
        code,
        message: message.into(),
    }
}

// ---------------------------------------------------------------------------------------------
// Reference data
// ---------------------------------------------------------------------------------------------

/// The 38 province codes (identity_formats.md §1 step 2: 11–19, 21, 31–36, 51–53, 61–65, 71–76,
/// 81–82, 91–96).
// Source: provinsi_zona_waktu.csv, column `code`. Province codes/names: cahyadsn/wilayah db/wilayah.sql @b7ad440 (2026-08-08), header: "Data Kode Wilayah sesuai Kepmendagri No 300.2.2-2138 Tahun 2025" (db/README says 300.2.2-2430 Tahun 2025).
const PROVINCE_CODES: [&str; 38] = [
    "11", "12", "13", "14", "15", "16", "17", "18", "19", "21", "31", "32", "33", "34", "35", "36",
    "51", "52", "53", "61", "62", "63", "64", "65", "71", "72", "73", "74", "75", "76", "81", "82",
    "91", "92", "93", "94", "95", "96",
];

/// Province code of Jawa Timur; the only province whose kabupaten/kota list is shipped.
const JAWA_TIMUR: &str = "35";

/// Kabupaten/kota code of Kabupaten Sampang (PP.RR = 35.27, NIK digits 1-4 = `3527`).
const SAMPANG: &str = "35.27";

/// The 29 kabupaten (35.01–35.29) and 9 kota (35.71–35.79) of Jawa Timur, Kemendagri code `PP.RR`
/// (NIK digits 1–4 without the dot).
// Source: jatim_kabupaten_kota.csv, column `code`. (1) cahyadsn/wilayah db/wilayah.sql @b7ad440 (2026-08-08), header: "Data Kode Wilayah sesuai Kepmendagri No 300.2.2-2138 Tahun 2025" (db/README says 300.2.2-2430 Tahun 2025); (2) erlange/Kodepos-Wilayah-Indonesia csv/dt2.csv, dt3.csv, dt4.csv @2021-12-28 (Permendagri 137/2017 + postal codes).
const JATIM_KAB_KOTA_CODES: [&str; 38] = [
    "35.01", "35.02", "35.03", "35.04", "35.05", "35.06", "35.07", "35.08", "35.09", "35.10",
    "35.11", "35.12", "35.13", "35.14", "35.15", "35.16", "35.17", "35.18", "35.19", "35.20",
    "35.21", "35.22", "35.23", "35.24", "35.25", "35.26", "35.27", "35.28", "35.29", "35.71",
    "35.72", "35.73", "35.74", "35.75", "35.76", "35.77", "35.78", "35.79",
];

/// One kecamatan of Kabupaten Sampang.
#[derive(Debug, Clone, Copy)]
struct SampangKecamatan {
    /// Kemendagri code `PP.RR.KK`, e.g. `35.27.04`.
    code: &'static str,
    /// First 6 digits of an NIK registered in that kecamatan, e.g. `352704`.
    nik_prefix: &'static str,
    /// Kecamatan name, e.g. `Camplong`.
    name: &'static str,
    /// 5-digit kode pos used by the villages of that kecamatan.
    postal_codes: &'static [&'static str],
}

/// The 14 kecamatan of Kabupaten Sampang (35.27) with NIK prefix and postal codes.
// Source: sampang_kecamatan.csv, columns `code,nik_prefix,name,postal_codes`. cahyadsn/wilayah db/wilayah.sql @b7ad440 (2026-08-08), header: "Data Kode Wilayah sesuai Kepmendagri No 300.2.2-2138 Tahun 2025" (db/README says 300.2.2-2430 Tahun 2025) and erlange/Kodepos-Wilayah-Indonesia csv/dt2.csv, dt3.csv, dt4.csv @2021-12-28 (Permendagri 137/2017 + postal codes).
#[rustfmt::skip]
const SAMPANG_KECAMATAN: [SampangKecamatan; 14] = [
    SampangKecamatan { code: "35.27.01", nik_prefix: "352701", name: "Sreseh", postal_codes: &["69273"] },
    SampangKecamatan { code: "35.27.02", nik_prefix: "352702", name: "Torjun", postal_codes: &["69270"] },
    SampangKecamatan { code: "35.27.03", nik_prefix: "352703", name: "Sampang", postal_codes: &["69212", "69215", "69216"] },
    SampangKecamatan { code: "35.27.04", nik_prefix: "352704", name: "Camplong", postal_codes: &["69281"] },
    SampangKecamatan { code: "35.27.05", nik_prefix: "352705", name: "Omben", postal_codes: &["69291"] },
    SampangKecamatan { code: "35.27.06", nik_prefix: "352706", name: "Kedungdung", postal_codes: &["69252"] },
    SampangKecamatan { code: "35.27.07", nik_prefix: "352707", name: "Jrengik", postal_codes: &["69272"] },
    SampangKecamatan { code: "35.27.08", nik_prefix: "352708", name: "Tambelangan", postal_codes: &["69253"] },
    SampangKecamatan { code: "35.27.09", nik_prefix: "352709", name: "Banyuates", postal_codes: &["69263"] },
    SampangKecamatan { code: "35.27.10", nik_prefix: "352710", name: "Robatal", postal_codes: &["69255"] },
    SampangKecamatan { code: "35.27.11", nik_prefix: "352711", name: "Sokobanah", postal_codes: &["69262"] },
    SampangKecamatan { code: "35.27.12", nik_prefix: "352712", name: "Ketapang", postal_codes: &["69261"] },
    SampangKecamatan { code: "35.27.13", nik_prefix: "352713", name: "Pangarengan", postal_codes: &["69271"] },
    SampangKecamatan { code: "35.27.14", nik_prefix: "352714", name: "Karangpenang", postal_codes: &["69254"] },
];

/// True when `code` is one of the 38 province codes (§1 step 2).
///
/// `code` must be exactly the two ASCII digits (no surrounding whitespace), e.g. `"35"`.
/// Source: identity_formats.md §1 step 2 and provinsi_zona_waktu.csv; requirement R2.
pub fn is_province_code(code: &str) -> bool {
    PROVINCE_CODES.contains(&code)
}

/// True when `dotted` (`PP.RR`, as written in jatim_kabupaten_kota.csv) and `pprr` (NIK digits
/// 1–4, no dot) denote the same kab/kota. Uses `str::get`, so it never panics.
fn same_pp_rr(dotted: &str, pprr: &str) -> bool {
    dotted.len() == 5
        && pprr.len() == 4
        && dotted.get(2..3) == Some(".")
        && dotted.get(0..2) == pprr.get(0..2)
        && dotted.get(3..5) == pprr.get(2..4)
}

/// True when the 4 digits `pprr` (NIK digits 1–4) are a Jawa Timur kab/kota code.
fn is_jatim_kab_kota(pprr: &str) -> bool {
    JATIM_KAB_KOTA_CODES
        .iter()
        .any(|code| same_pp_rr(code, pprr))
}

/// The Sampang kecamatan with the given Kemendagri code (`35.27.04`) or 6-digit NIK prefix
/// (`352704`).
fn sampang_kecamatan(code: &str) -> Option<&'static SampangKecamatan> {
    SAMPANG_KECAMATAN
        .iter()
        .find(|k| k.code == code || k.nik_prefix == code)
}

// ---------------------------------------------------------------------------------------------
// §1 NIK
// ---------------------------------------------------------------------------------------------

/// A validated NIK (Nomor Induk Kependudukan).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Nik {
    /// The 16 ASCII digits, separators removed.
    pub digits: String,
    /// True when the day field DD is above 40 (perempuan), identity_formats.md §1 step 4.
    pub female: bool,
    /// The birth date encoded in DDMMYY, century resolved as described on [`parse_nik`].
    pub birth_date: Date,
}

/// Validates and normalises a NIK (identity_formats.md §1; requirement R2).
///
/// Steps 1–3 reject, 4–6 warn (identity_formats.md §1). `sex_female` and `birth_date` are what the
/// form says, if anything (step 4 compares them).
///
/// 1. Remove whitespace, `.` and `-`; the rest must be exactly 16 ASCII digits
///    (`nik_format` when another character is present, `nik_length` otherwise).
/// 2. `PP` must be one of the 38 province codes ([`is_province_code`]) → `nik_province`.
/// 3. Date (`nik_date`): DD must be 01–31 or 41–71 (`day = DD mod 40`), MM 01–12, and the date must
///    exist in 19YY or 20YY (python-stdnum tries 1900+YY first, then 2000+YY; only 29 Feb of YY=00
///    exists in 2000 but not in 1900). The century is then resolved against `today`: of the
///    existing candidates that are not after `today`, the one equal to the form's `birth_date` is
///    taken if there is one, otherwise 20YY, otherwise 19YY (so a child born in 2015 gets 2015, not
///    1915, and 17 Aug 90 gets 1990 because 2090 is in the future). When every existing candidate
///    is after `today` → `nik_future`.
/// 4. DD > 40 ⇒ female. Warn `nik_sex_mismatch` / `nik_birth_date_mismatch` when the form disagrees.
/// 5. Region (`nik_region_unknown`, warn only): `RR` or `SS` equal to `00` is never a valid code;
///    for province 35 (the only kab/kota list shipped) `PPRR` must be in jatim_kabupaten_kota.csv,
///    and for 35.27 (Sampang) `PPRRSS` must be a kecamatan NIK prefix from sampang_kecamatan.csv.
///    Other provinces: no `PPRR` check.
/// 6. Serial `0000` → warn `nik_serial_zero`.
///
/// Pass `today` as the calendar date in the office's time zone (WIB for Jawa Timur).
pub fn parse_nik(
    raw: &str,
    sex_female: Option<bool>,
    birth_date: Option<Date>,
    today: Date,
) -> Result<(Nik, Vec<Warning>), Rejection> {
    // Step 1: normalise and check the shape.
    let is_separator = |c: char| c.is_whitespace() || c == '.' || c == '-';
    if raw.chars().any(|c| !is_separator(c) && !c.is_ascii_digit()) {
        return Err(rejection(
            "nik_format",
            "NIK must contain only digits (spaces, dots and dashes are allowed as separators).",
        ));
    }
    let digits: String = raw.chars().filter(|c| c.is_ascii_digit()).collect();
    let d: [u8; 16] = match <[u8; 16]>::try_from(digits.as_bytes()) {
        Ok(bytes) => bytes.map(|b| b - b'0'),
        Err(_) => {
            return Err(rejection("nik_length", "NIK must have exactly 16 digits."));
        }
    };
    let two = |hi: u8, lo: u8| hi * 10 + lo;

    // Step 2: province.
    let province = digits.get(0..2).unwrap_or_default();
    if !is_province_code(province) {
        return Err(rejection(
            "nik_province",
            "The first two digits of the NIK are not a valid province code.",
        ));
    }

    // Step 3: birth date.
    let dd = two(d[6], d[7]);
    let mm = two(d[8], d[9]);
    let yy = two(d[10], d[11]);
    let female = dd > 40;
    let day_ok = (1..=31).contains(&dd) || (41..=71).contains(&dd);
    let month_ok = (1..=12).contains(&mm);
    let invalid_date = || {
        rejection(
            "nik_date",
            "The NIK does not contain a valid birth date (digits 7-12 are DDMMYY, DD+40 for women).",
        )
    };
    if !day_ok || !month_ok {
        return Err(invalid_date());
    }
    let day = i8::try_from(dd % 40).map_err(|_| invalid_date())?;
    let month = i8::try_from(mm).map_err(|_| invalid_date())?;
    let yy = i16::from(yy);
    let in_1900s = Date::new(1900 + yy, month, day).ok();
    let in_2000s = Date::new(2000 + yy, month, day).ok();
    if in_1900s.is_none() && in_2000s.is_none() {
        return Err(invalid_date());
    }
    // Preference order: 20YY, then 19YY; future dates are not candidates.
    let candidates: Vec<Date> = [in_2000s, in_1900s]
        .into_iter()
        .flatten()
        .filter(|date| *date <= today)
        .collect();
    let chosen = birth_date
        .filter(|form| candidates.contains(form))
        .or_else(|| candidates.first().copied());
    let Some(chosen) = chosen else {
        return Err(rejection(
            "nik_future",
            "The birth date encoded in the NIK is in the future.",
        ));
    };

    let mut warnings = Vec::new();

    // Step 4: compare with the form.
    if sex_female.is_some_and(|form_female| form_female != female) {
        warnings.push(warning(
            "nik_sex_mismatch",
            "The sex encoded in the NIK does not match the sex on the form; please re-check the KTP.",
        ));
    }
    if birth_date.is_some_and(|form_date| form_date != chosen) {
        warnings.push(warning(
            "nik_birth_date_mismatch",
            "The birth date encoded in the NIK does not match the date of birth on the form; \
             please re-check the KTP.",
        ));
    }

    // Step 5: region of first registration (warn only).
    let pprr = digits.get(0..4).unwrap_or_default();
    let pprrss = digits.get(0..6).unwrap_or_default();
    let rr = digits.get(2..4).unwrap_or_default();
    let ss = digits.get(4..6).unwrap_or_default();
    let region_message = "The region code in the NIK (place of first registration) is not a known \
                          kabupaten/kota or kecamatan; please re-check the KTP.";
    let region_known = if rr == "00" || ss == "00" {
        false
    } else if province == JAWA_TIMUR {
        is_jatim_kab_kota(pprr)
            && (!same_pp_rr(SAMPANG, pprr)
                || SAMPANG_KECAMATAN.iter().any(|k| k.nik_prefix == pprrss))
    } else {
        // Only the Jawa Timur list is shipped; other provinces are not checked further.
        true
    };
    if !region_known {
        warnings.push(warning("nik_region_unknown", region_message));
    }

    // Step 6: serial.
    if digits.get(12..16) == Some("0000") {
        warnings.push(warning(
            "nik_serial_zero",
            "The NIK serial number (last 4 digits) is all zeros, which is unusual; please re-check the KTP.",
        ));
    }

    Ok((
        Nik {
            digits,
            female,
            birth_date: chosen,
        },
        warnings,
    ))
}

// ---------------------------------------------------------------------------------------------
// §2 Telephone numbers
// ---------------------------------------------------------------------------------------------

/// What kind of number a [`Phone`] is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PhoneKind {
    /// `8[1-35-9]…` after the prefix; usable as a WhatsApp contact.
    Mobile,
    /// Fixed line `[2-79]…` (area code + subscriber number).
    Landline,
    /// A service short code dialled as-is (112 emergency, 129 SAPA).
    ShortCode,
}

/// A normalised telephone number.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Phone {
    /// E.164, e.g. `+62812…`; for short codes the digits as dialled, e.g. `129`.
    pub e164: String,
    /// Mobile, landline or short code.
    pub kind: PhoneKind,
}

/// Short codes accepted as [`PhoneKind::ShortCode`] (identity_formats.md §2: 112 emergency,
/// 129 SAPA KemenPPPA hotline).
const SHORT_CODES: [&str; 2] = ["112", "129"];

/// Rejection text prescribed by identity_formats.md §2.
const PHONE_REJECT_MESSAGE: &str = "Nomor HP tidak valid, contoh: 0812xxxxxxxx atau +62812xxxxxxxx";

/// Validates and normalises a telephone number to E.164 (identity_formats.md §2; requirement R2).
///
/// §2: strip `[\s\-\.\(\)]`, tolerate "+62 0812" (one `0` directly after `62` is removed), accept
/// `08…`, `+628…`, `628…`;
/// * mobile `^(?:\+?62|0)(8[1-35-9]\d{7,10})$` → `+62` + group 1, no warning;
/// * landline `^(?:\+?62|0)([2-79]\d{6,10})$` → `+62` + group 1, warning `phone_landline`
///   ("verify area code");
/// * the short codes 112 and 129 (exactly, nothing else) → [`PhoneKind::ShortCode`] with warning
///   `phone_short_code`;
/// * anything else → `phone_format` with the Indonesian message from the doc.
///
/// `\d` means ASCII digits only. Note that `84x` is neither mobile (`8[1-35-9]`) nor landline
/// (`[2-79]`), so it is rejected; so are toll-free `0800…` and UAN `1500…` numbers.
pub fn parse_phone(raw: &str) -> Result<(Phone, Vec<Warning>), Rejection> {
    let stripped: String = raw
        .chars()
        .filter(|c| !(c.is_whitespace() || matches!(c, '-' | '.' | '(' | ')')))
        .collect();
    let reject = || rejection("phone_format", PHONE_REJECT_MESSAGE);

    if SHORT_CODES.contains(&stripped.as_str()) {
        return Ok((
            Phone {
                e164: stripped,
                kind: PhoneKind::ShortCode,
            },
            vec![warning(
                "phone_short_code",
                "This is a service short code (112 emergency or 129 SAPA), not a personal contact number.",
            )],
        ));
    }

    // (?:\+?62|0), with the doubled trunk prefix "+62 0…" / "62 0…" tolerated.
    let nsn = if let Some(rest) = stripped
        .strip_prefix("+62")
        .or_else(|| stripped.strip_prefix("62"))
    {
        rest.strip_prefix('0').unwrap_or(rest)
    } else if let Some(rest) = stripped.strip_prefix('0') {
        rest
    } else {
        return Err(reject());
    };

    if nsn.is_empty() || !nsn.bytes().all(|b| b.is_ascii_digit()) {
        return Err(reject());
    }
    let bytes = nsn.as_bytes();
    let first = bytes.first().copied();
    let second = bytes.get(1).copied();

    // 8[1-35-9]\d{7,10}: 9-12 digits.
    let is_mobile = first == Some(b'8')
        && matches!(second, Some(b'1'..=b'3' | b'5'..=b'9'))
        && (9..=12).contains(&bytes.len());
    if is_mobile {
        return Ok((
            Phone {
                e164: format!("+62{nsn}"),
                kind: PhoneKind::Mobile,
            },
            Vec::new(),
        ));
    }

    // [2-79]\d{6,10}: 7-11 digits.
    let is_landline = matches!(first, Some(b'2'..=b'7' | b'9')) && (7..=11).contains(&bytes.len());
    if is_landline {
        return Ok((
            Phone {
                e164: format!("+62{nsn}"),
                kind: PhoneKind::Landline,
            },
            vec![warning(
                "phone_landline",
                "This looks like a landline number; please verify the area code.",
            )],
        ));
    }

    Err(reject())
}

// ---------------------------------------------------------------------------------------------
// §3 Postal code
// ---------------------------------------------------------------------------------------------

/// Validates a postal code (kode pos), identity_formats.md §3; requirement R2.
///
/// Surrounding whitespace is trimmed; the rest must match `^\d{5}$` (ASCII digits) → else
/// `postcode_format`. `kecamatan_code` is the selected kecamatan, as the Kemendagri code
/// (`35.27.04`) or the 6-digit form (`352704`), surrounding whitespace ignored:
/// * if it is one of the 14 Sampang kecamatan and the code is not in that kecamatan's
///   `postal_codes` (sampang_kecamatan.csv) → warn `postcode_kecamatan`;
/// * if it is in Jawa Timur (starts with `35.`, or `35` in the 6-digit form) and the code does not
///   start with `6` → warn `postcode_region` (all Jawa Timur codes are 60111–69493).
///
/// Returns the 5-digit code.
pub fn parse_postcode(
    raw: &str,
    kecamatan_code: Option<&str>,
) -> Result<(String, Vec<Warning>), Rejection> {
    let code = raw.trim();
    if code.len() != 5 || !code.bytes().all(|b| b.is_ascii_digit()) {
        return Err(rejection(
            "postcode_format",
            "Postal code must be exactly 5 digits.",
        ));
    }
    let mut warnings = Vec::new();
    if let Some(kecamatan) = kecamatan_code.map(str::trim) {
        if let Some(k) = sampang_kecamatan(kecamatan)
            && !k.postal_codes.contains(&code)
        {
            warnings.push(warning(
                "postcode_kecamatan",
                format!(
                    "The postal code is not one used in kecamatan {} (expected {}); please verify.",
                    k.name,
                    k.postal_codes.join(" or ")
                ),
            ));
        }
        let in_jatim = kecamatan.starts_with("35.")
            || (kecamatan.len() == 6
                && kecamatan.starts_with("35")
                && kecamatan.bytes().all(|b| b.is_ascii_digit()));
        if in_jatim && !code.starts_with('6') {
            warnings.push(warning(
                "postcode_region",
                "Postal codes in Jawa Timur start with 6; please verify.",
            ));
        }
    }
    Ok((code.to_owned(), warnings))
}

// ---------------------------------------------------------------------------------------------
// E-mail
// ---------------------------------------------------------------------------------------------

/// Maximum length of an address (RFC 5321 path limit), in bytes.
const EMAIL_MAX: usize = 254;
/// Maximum length of the local part (RFC 5321), in bytes.
const EMAIL_LOCAL_MAX: usize = 64;
/// Maximum length of a DNS label, in bytes.
const DNS_LABEL_MAX: usize = 63;

/// A pragmatic e-mail check (requirement R2: a contact address for the reporter).
///
/// Trimmed; at most 254 bytes; no whitespace or control characters; exactly one `@`; non-empty
/// local part of at most 64 bytes; a domain with at least one dot whose labels are 1–63 characters
/// of `[A-Za-z0-9-]` not starting or ending with `-`. Returns the address with the domain
/// lowercased (the local part is kept as typed). Every failure is `email_format`.
pub fn parse_email(raw: &str) -> Result<String, Rejection> {
    let address = raw.trim();
    let invalid = |message: &str| rejection("email_format", message);
    if address.is_empty() {
        return Err(invalid("E-mail address is empty."));
    }
    if address.len() > EMAIL_MAX {
        return Err(invalid(
            "E-mail address is too long (at most 254 characters).",
        ));
    }
    if address.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(invalid("E-mail address must not contain spaces."));
    }
    let mut parts = address.split('@');
    let (Some(local), Some(domain), None) = (parts.next(), parts.next(), parts.next()) else {
        return Err(invalid("E-mail address must contain exactly one '@'."));
    };
    if local.is_empty() || local.len() > EMAIL_LOCAL_MAX {
        return Err(invalid(
            "The part before '@' must be 1 to 64 characters long.",
        ));
    }
    if !domain.contains('.') {
        return Err(invalid("The domain after '@' must contain a dot."));
    }
    let label_ok = |label: &str| {
        !label.is_empty()
            && label.len() <= DNS_LABEL_MAX
            && label
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-')
            && !label.starts_with('-')
            && !label.ends_with('-')
    };
    if !domain.split('.').all(label_ok) {
        return Err(invalid(
            "The domain after '@' is not valid (letters, digits and '-' separated by dots).",
        ));
    }
    Ok(format!("{local}@{}", domain.to_ascii_lowercase()))
}

// ---------------------------------------------------------------------------------------------
// Tests
// ---------------------------------------------------------------------------------------------

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;

    /// A fixed "today" for the NIK tests.
    const TODAY: Date = date(2026, 3, 15);

    fn nik(raw: &str) -> Result<(Nik, Vec<Warning>), Rejection> {
        parse_nik(raw, None, None, TODAY)
    }

    fn codes(warnings: &[Warning]) -> Vec<&'static str> {
        warnings.iter().map(|w| w.code).collect()
    }

    fn reject_code<T: fmt::Debug>(result: Result<T, Rejection>) -> &'static str {
        result.expect_err("expected a rejection").code
    }

    // --- reference data -----------------------------------------------------------------

    #[test]
    fn reference_data_is_consistent() {
        assert_eq!(PROVINCE_CODES.len(), 38);
        assert_eq!(JATIM_KAB_KOTA_CODES.len(), 38);
        assert_eq!(SAMPANG_KECAMATAN.len(), 14);
        for code in PROVINCE_CODES {
            assert!(code.len() == 2 && code.bytes().all(|b| b.is_ascii_digit()));
        }
        let kab = JATIM_KAB_KOTA_CODES
            .iter()
            .filter(|c| c.as_bytes()[3] < b'7')
            .count();
        assert_eq!(kab, 29, "29 kabupaten, 9 kota");
        for (i, k) in SAMPANG_KECAMATAN.iter().enumerate() {
            assert_eq!(k.code, format!("35.27.{:02}", i + 1));
            assert_eq!(k.nik_prefix, k.code.replace('.', ""));
            assert!(!k.postal_codes.is_empty());
            for pc in k.postal_codes {
                let n: u32 = pc.parse().unwrap();
                assert!((69212..=69291).contains(&n), "{pc} outside Sampang range");
            }
        }
        assert!(JATIM_KAB_KOTA_CODES.contains(&SAMPANG));
    }

    #[test]
    fn province_codes() {
        for ok in [
            "11", "19", "21", "31", "35", "36", "51", "53", "61", "65", "71", "76", "81", "82",
            "91", "96",
        ] {
            assert!(is_province_code(ok), "{ok}");
        }
        for bad in [
            "10", "20", "22", "30", "37", "50", "54", "60", "66", "70", "77", "80", "83", "90",
            "97", "00", "99", "", "3", "350", " 35", "35 ", "٣٥", "3a",
        ] {
            assert!(!is_province_code(bad), "{bad}");
        }
    }

    // --- NIK ------------------------------------------------------------------------------

    #[test]
    fn nik_woman_born_17_aug_1990_in_camplong() {
        // identity_formats.md §1 example: Camplong = 352704, woman born 17 Aug 1990 → 570890.
        let (n, w) = parse_nik(
            "3527045708900001",
            Some(true),
            Some(date(1990, 8, 17)),
            TODAY,
        )
        .unwrap();
        assert_eq!(n.digits, "3527045708900001");
        assert!(n.female);
        assert_eq!(n.birth_date, date(1990, 8, 17));
        assert!(w.is_empty(), "{w:?}");
    }

    #[test]
    fn nik_man_same_date() {
        let (n, w) = nik("3527041708900001").unwrap();
        assert!(!n.female);
        assert_eq!(n.birth_date, date(1990, 8, 17));
        assert!(w.is_empty());
    }

    #[test]
    fn nik_python_stdnum_example() {
        // python-stdnum doctest: 3171015708450001 → 1945-08-17 (here 2045 would be in the future).
        let (n, w) = nik("3171015708450001").unwrap();
        assert_eq!(n.birth_date, date(1945, 8, 17));
        assert!(n.female);
        assert!(w.is_empty(), "no PPRR check outside Jawa Timur: {w:?}");
    }

    #[test]
    fn nik_formatting_characters_are_removed() {
        for raw in [
            "3527 0457 0890 0001",
            "35.27.04.570890.0001",
            "35-27-04-570890-0001",
            " 3527045708900001 ",
            "\t3527045708900001\n",
            "3527\u{a0}045708900001",
        ] {
            let (n, _) = nik(raw).unwrap_or_else(|e| panic!("{raw:?}: {e:?}"));
            assert_eq!(n.digits, "3527045708900001");
        }
    }

    #[test]
    fn nik_wrong_length() {
        assert_eq!(reject_code(nik("")), "nik_length");
        assert_eq!(reject_code(nik("   ")), "nik_length");
        assert_eq!(reject_code(nik("352704570890001")), "nik_length");
        assert_eq!(reject_code(nik("35270457089000011")), "nik_length");
        assert_eq!(reject_code(nik("3527 0457 0890 00011")), "nik_length");
    }

    #[test]
    fn nik_letters_and_other_characters() {
        assert_eq!(reject_code(nik("352704570890000A")), "nik_format");
        assert_eq!(reject_code(nik("NIK3527045708900001")), "nik_format");
        assert_eq!(reject_code(nik("3527/04/570890/0001")), "nik_format");
        assert_eq!(reject_code(nik("+3527045708900001")), "nik_format");
        // Arabic-Indic digits are numeric for char::is_numeric but not ASCII digits.
        assert_eq!(reject_code(nik("٣٥٢٧٠٤٥٧٠٨٩٠٠٠٠١")), "nik_format");
        // Full-width digits.
        assert_eq!(
            reject_code(nik("３５２７０４５７０８９０００１")),
            "nik_format"
        );
    }

    #[test]
    fn nik_bad_province() {
        for pp in ["10", "20", "37", "00", "99", "54", "77", "83", "97"] {
            let raw = format!("{pp}27045708900001");
            assert_eq!(reject_code(nik(&raw)), "nik_province", "{pp}");
        }
        for pp in ["11", "21", "36", "65", "76", "82", "96"] {
            let raw = format!("{pp}27045708900001");
            assert!(nik(&raw).is_ok(), "{pp}");
        }
    }

    #[test]
    fn nik_province_checked_before_date() {
        assert_eq!(reject_code(nik("1027040000000001")), "nik_province");
    }

    #[test]
    fn nik_bad_day() {
        for dd in ["00", "32", "39", "40", "72", "80", "81", "99"] {
            let raw = format!("352704{dd}08900001");
            assert_eq!(reject_code(nik(&raw)), "nik_date", "DD={dd}");
        }
        for dd in ["01", "31", "41", "71"] {
            let raw = format!("352704{dd}08900001");
            assert!(nik(&raw).is_ok(), "DD={dd}");
        }
    }

    #[test]
    fn nik_bad_month() {
        for mm in ["00", "13", "20", "99"] {
            let raw = format!("35270417{mm}900001");
            assert_eq!(reject_code(nik(&raw)), "nik_date", "MM={mm}");
        }
    }

    #[test]
    fn nik_day_must_exist_in_month() {
        // 30 Feb, 31 Apr do not exist in any year; the same for women (DD+40).
        assert_eq!(reject_code(nik("3527043002900001")), "nik_date");
        assert_eq!(reject_code(nik("3527047002900001")), "nik_date");
        assert_eq!(reject_code(nik("3527043104900001")), "nik_date");
        assert_eq!(reject_code(nik("3527047104900001")), "nik_date");
        let (n, _) = nik("3527047103900001").unwrap();
        assert_eq!(n.birth_date, date(1990, 3, 31));
        assert!(n.female);
    }

    #[test]
    fn nik_29_february() {
        // YY=01: neither 1901 nor 2001 is a leap year.
        assert_eq!(reject_code(nik("3527042902010001")), "nik_date");
        // YY=96: 1996 is a leap year; 2096 is in the future.
        assert_eq!(
            nik("3527042902960001").unwrap().0.birth_date,
            date(1996, 2, 29)
        );
        // YY=00: 1900 is not a leap year, 2000 is (python-stdnum doctest 3171012902001234).
        assert_eq!(
            nik("3171012902001234").unwrap().0.birth_date,
            date(2000, 2, 29)
        );
        // YY=04: both 1904 and 2004 exist → 2004 (not in the future).
        assert_eq!(
            nik("3527046902040001").unwrap().0.birth_date,
            date(2004, 2, 29)
        );
        // python-stdnum doctest 3171013002001234: 30 Feb → invalid.
        assert_eq!(reject_code(nik("3171013002001234")), "nik_date");
    }

    #[test]
    fn nik_century_resolution() {
        // A child born 17 Aug 2015: 2015 is not in the future → 2015.
        assert_eq!(
            nik("3527041708150001").unwrap().0.birth_date,
            date(2015, 8, 17)
        );
        // Born 15 Mar 26 with today = 15 Mar 2026 → 2026 (today itself is not the future).
        assert_eq!(
            nik("3527041503260001").unwrap().0.birth_date,
            date(2026, 3, 15)
        );
        // Born 16 Mar 26 → 2026 would be tomorrow → 1926.
        assert_eq!(
            nik("3527041603260001").unwrap().0.birth_date,
            date(1926, 3, 16)
        );
        // Born 17 Aug 1950 → 2050 is in the future → 1950.
        assert_eq!(
            nik("3527041708500001").unwrap().0.birth_date,
            date(1950, 8, 17)
        );
        // YY=99 → 1999.
        assert_eq!(
            nik("3527040101990001").unwrap().0.birth_date,
            date(1999, 1, 1)
        );
        // YY=00, 1 Jan → 2000 (both exist; 2000 not in the future).
        assert_eq!(
            nik("3527040101000001").unwrap().0.birth_date,
            date(2000, 1, 1)
        );
    }

    #[test]
    fn nik_century_from_form_date() {
        // A 100-year-old born 1 Jan 1925: without the form date 2025 is chosen ...
        assert_eq!(
            nik("3527040101250001").unwrap().0.birth_date,
            date(2025, 1, 1)
        );
        // ... with the form date 1925 is chosen, without a mismatch warning.
        let (n, w) = parse_nik(
            "3527040101250001",
            Some(false),
            Some(date(1925, 1, 1)),
            TODAY,
        )
        .unwrap();
        assert_eq!(n.birth_date, date(1925, 1, 1));
        assert!(w.is_empty(), "{w:?}");
        // A form date in neither century → mismatch warning, 20YY kept.
        let (n, w) = parse_nik("3527040101250001", None, Some(date(1825, 1, 1)), TODAY).unwrap();
        assert_eq!(n.birth_date, date(2025, 1, 1));
        assert_eq!(codes(&w), ["nik_birth_date_mismatch"]);
    }

    #[test]
    fn nik_future_date() {
        // today = 1 Jan 1999: 17 Aug 99 is after today in both centuries.
        let today = date(1999, 1, 1);
        let r = parse_nik("3527041708990001", None, None, today);
        assert_eq!(reject_code(r), "nik_future");
        // 29 Feb 00 only exists in 2000; on 28 Feb 2000 it is still in the future.
        let r = parse_nik("3527042902000001", None, None, date(2000, 2, 28));
        assert_eq!(reject_code(r), "nik_future");
        let r = parse_nik("3527042902000001", None, None, date(2000, 2, 29));
        assert_eq!(r.unwrap().0.birth_date, date(2000, 2, 29));
        // On 1 Jan 1999 a 1998 birth is fine.
        let r = parse_nik("3527041708980001", None, None, today);
        assert_eq!(r.unwrap().0.birth_date, date(1998, 8, 17));
    }

    #[test]
    fn nik_sex_mismatch_warns() {
        let (n, w) = parse_nik("3527041708900001", Some(true), None, TODAY).unwrap();
        assert!(!n.female);
        assert_eq!(codes(&w), ["nik_sex_mismatch"]);
        let (n, w) = parse_nik("3527045708900001", Some(false), None, TODAY).unwrap();
        assert!(n.female);
        assert_eq!(codes(&w), ["nik_sex_mismatch"]);
        let (_, w) = parse_nik("3527045708900001", Some(true), None, TODAY).unwrap();
        assert!(w.is_empty());
    }

    #[test]
    fn nik_birth_date_mismatch_warns() {
        let (n, w) = parse_nik(
            "3527045708900001",
            Some(true),
            Some(date(1990, 8, 18)),
            TODAY,
        )
        .unwrap();
        assert_eq!(n.birth_date, date(1990, 8, 17), "the NIK's date is kept");
        assert_eq!(codes(&w), ["nik_birth_date_mismatch"]);
        let (_, w) = parse_nik(
            "3527045708900001",
            Some(false),
            Some(date(1991, 8, 17)),
            TODAY,
        )
        .unwrap();
        assert_eq!(codes(&w), ["nik_sex_mismatch", "nik_birth_date_mismatch"]);
    }

    #[test]
    fn nik_unknown_region_warns() {
        // 35.30 is not a Jawa Timur kab/kota.
        let (_, w) = nik("3530045708900001").unwrap();
        assert_eq!(codes(&w), ["nik_region_unknown"]);
        // 35.80 neither (kota go up to 35.79).
        let (_, w) = nik("3580045708900001").unwrap();
        assert_eq!(codes(&w), ["nik_region_unknown"]);
        // Sampang kecamatan 15 does not exist (14 kecamatan).
        let (_, w) = nik("3527155708900001").unwrap();
        assert_eq!(codes(&w), ["nik_region_unknown"]);
        // Every Sampang kecamatan prefix is known.
        for k in &SAMPANG_KECAMATAN {
            let (_, w) = nik(&format!("{}5708900001", k.nik_prefix)).unwrap();
            assert!(w.is_empty(), "{}", k.name);
        }
        // Surabaya (35.78), any kecamatan: no kecamatan list shipped → no warning.
        let (_, w) = nik("3578995708900001").unwrap();
        assert!(w.is_empty());
        // Other provinces: PPRR not checked (Papua 91.99 passes) ...
        let (_, w) = nik("9199015708900001").unwrap();
        assert!(w.is_empty());
        // ... but RR or SS = 00 is never a valid code.
        let (_, w) = nik("9100015708900001").unwrap();
        assert_eq!(codes(&w), ["nik_region_unknown"]);
        let (_, w) = nik("3527005708900001").unwrap();
        assert_eq!(codes(&w), ["nik_region_unknown"]);
        let (_, w) = nik("3500045708900001").unwrap();
        assert_eq!(codes(&w), ["nik_region_unknown"]);
    }

    #[test]
    fn nik_serial_zero_warns() {
        let (n, w) = nik("3527045708900000").unwrap();
        assert_eq!(n.digits, "3527045708900000");
        assert_eq!(codes(&w), ["nik_serial_zero"]);
        let (_, w) = nik("3527045708909999").unwrap();
        assert!(w.is_empty());
    }

    #[test]
    fn nik_all_warnings_in_step_order() {
        let (_, w) = parse_nik(
            "3530045708900000",
            Some(false),
            Some(date(1990, 8, 16)),
            TODAY,
        )
        .unwrap();
        assert_eq!(
            codes(&w),
            [
                "nik_sex_mismatch",
                "nik_birth_date_mismatch",
                "nik_region_unknown",
                "nik_serial_zero"
            ]
        );
    }

    #[test]
    fn nik_messages_do_not_echo_input() {
        let raw = "3530045708900000";
        let (_, w) = parse_nik(raw, Some(false), Some(date(1990, 8, 16)), TODAY).unwrap();
        for warning in &w {
            assert!(!warning.message.contains("353004") && !warning.message.contains("570890"));
            assert!(!warning.message.contains("0000"), "{}", warning.message);
        }
        for bad in [
            "1027045708900001",
            "3527043002900001",
            "35270457089000",
            "35270457089000x1",
        ] {
            let e = nik(bad).unwrap_err();
            assert!(
                !e.message.contains("3527") && !e.message.contains("2704"),
                "{}",
                e.message
            );
        }
    }

    // --- phone ----------------------------------------------------------------------------

    fn phone(raw: &str) -> (String, PhoneKind, Vec<&'static str>) {
        let (p, w) = parse_phone(raw).unwrap_or_else(|e| panic!("{raw:?}: {e:?}"));
        (p.e164, p.kind, codes(&w))
    }

    #[test]
    fn phone_mobile_forms() {
        let expected = ("+6281234567890".to_owned(), PhoneKind::Mobile, vec![]);
        for raw in [
            "081234567890",
            "+6281234567890",
            "6281234567890",
            "+62 081234567890",
            "+62 0812 3456 7890",
            "62 0812-3456-7890",
            "+62 (0) 812-3456-7890",
            "0812.3456.7890",
            "(0812) 3456 7890",
            " 081234567890 ",
        ] {
            assert_eq!(phone(raw), expected, "{raw:?}");
        }
        assert_eq!(phone("0812-3456-789").0, "+628123456789");
    }

    #[test]
    fn phone_mobile_lengths() {
        // 8[1-35-9]\d{7,10}: 9 to 12 digits after the prefix, 10 to 13 with the leading 0.
        assert_eq!(phone("0812345678").1, PhoneKind::Mobile);
        assert_eq!(phone("+62812345678").1, PhoneKind::Mobile);
        assert_eq!(phone("0812345678901").1, PhoneKind::Mobile);
        assert_eq!(phone("+62812345678901").1, PhoneKind::Mobile);
        assert_eq!(reject_code(parse_phone("081234567")), "phone_format");
        assert_eq!(reject_code(parse_phone("08123456")), "phone_format");
        assert_eq!(reject_code(parse_phone("0812345")), "phone_format");
        assert_eq!(reject_code(parse_phone("08123456789012")), "phone_format");
        for second in ['1', '2', '3', '5', '6', '7', '8', '9'] {
            assert_eq!(
                phone(&format!("08{second}1234567")).1,
                PhoneKind::Mobile,
                "08{second}"
            );
        }
    }

    #[test]
    fn phone_84x_and_80x_are_neither_mobile_nor_landline() {
        // Mobile needs 8[1-35-9]; landline needs [2-79]; 84x and 80x fit neither regex.
        assert_eq!(reject_code(parse_phone("08412345678")), "phone_format");
        assert_eq!(reject_code(parse_phone("+628412345678")), "phone_format");
        assert_eq!(reject_code(parse_phone("0800123456")), "phone_format");
        assert_eq!(reject_code(parse_phone("08071234567")), "phone_format");
    }

    #[test]
    fn phone_landline_sampang() {
        let (e164, kind, w) = phone("(0323) 321164");
        assert_eq!(e164, "+62323321164");
        assert_eq!(kind, PhoneKind::Landline);
        assert_eq!(w, ["phone_landline"]);
        assert_eq!(phone("+62 323 321164").0, "+62323321164");
        assert_eq!(phone("+62 (0323) 321164").0, "+62323321164");
        assert_eq!(phone("021-5551234").0, "+62215551234");
        assert_eq!(phone("0911234567").1, PhoneKind::Landline);
    }

    #[test]
    fn phone_landline_lengths() {
        // [2-79]\d{6,10}: 7 to 11 digits after the prefix.
        assert_eq!(phone("0311234567").1, PhoneKind::Landline);
        assert_eq!(phone("03112345").1, PhoneKind::Landline);
        assert_eq!(reject_code(parse_phone("0311234")), "phone_format");
        assert_eq!(phone("031123456789").1, PhoneKind::Landline);
        assert_eq!(reject_code(parse_phone("0311234567890")), "phone_format");
    }

    #[test]
    fn phone_short_codes() {
        assert_eq!(
            phone("129"),
            (
                "129".to_owned(),
                PhoneKind::ShortCode,
                vec!["phone_short_code"]
            )
        );
        assert_eq!(
            phone("112"),
            (
                "112".to_owned(),
                PhoneKind::ShortCode,
                vec!["phone_short_code"]
            )
        );
        assert_eq!(phone(" 1-2-9 ").0, "129");
        for bad in ["110", "113", "1500", "+62129", "0129", "62112", "1129"] {
            assert_eq!(reject_code(parse_phone(bad)), "phone_format", "{bad}");
        }
    }

    #[test]
    fn phone_rejections() {
        for bad in [
            "",
            "   ",
            "812345678901",
            "+6281234567x",
            "0812345678a",
            "+62",
            "62",
            "0",
            "+",
            "++6281234567890",
            "+6200812345678",
            "0062812345678",
            "+1 202 555 0100",
            "0812/3456/7890",
            "+62_81234567890",
            "٠٨١٢٣٤٥٦٧٨٩٠",
            "０８１２３４５６７８９０",
        ] {
            let e = parse_phone(bad).unwrap_err();
            assert_eq!(e.code, "phone_format", "{bad:?}");
            assert_eq!(e.message, PHONE_REJECT_MESSAGE);
        }
    }

    // --- postcode -------------------------------------------------------------------------

    #[test]
    fn postcode_format() {
        assert_eq!(
            parse_postcode("69281", None).unwrap(),
            ("69281".to_owned(), vec![])
        );
        assert_eq!(parse_postcode(" 69281 ", None).unwrap().0, "69281");
        assert_eq!(
            parse_postcode("12345", None).unwrap(),
            ("12345".to_owned(), vec![])
        );
        for bad in [
            "6928",
            "692811",
            "",
            "6928a",
            "69 281",
            "69-281",
            "٦٩٢٨١",
            "６９２８１",
            "-6928",
        ] {
            assert_eq!(
                reject_code(parse_postcode(bad, Some("35.27.04"))),
                "postcode_format",
                "{bad:?}"
            );
        }
    }

    #[test]
    fn postcode_sampang_kecamatan() {
        // Camplong: 69281 only.
        let (_, w) = parse_postcode("69281", Some("35.27.04")).unwrap();
        assert!(w.is_empty());
        let (_, w) = parse_postcode("69212", Some("35.27.04")).unwrap();
        assert_eq!(codes(&w), ["postcode_kecamatan"]);
        assert!(w[0].message.contains("Camplong") && w[0].message.contains("69281"));
        // The 6-digit form works too.
        let (_, w) = parse_postcode("69212", Some("352704")).unwrap();
        assert_eq!(codes(&w), ["postcode_kecamatan"]);
        // Kecamatan Sampang has three codes.
        for pc in ["69212", "69215", "69216"] {
            assert!(
                parse_postcode(pc, Some("35.27.03")).unwrap().1.is_empty(),
                "{pc}"
            );
        }
        assert_eq!(
            codes(&parse_postcode("69281", Some("35.27.03")).unwrap().1),
            ["postcode_kecamatan"]
        );
        // Every kecamatan accepts its own codes.
        for k in &SAMPANG_KECAMATAN {
            for pc in k.postal_codes {
                assert!(parse_postcode(pc, Some(k.code)).unwrap().1.is_empty());
            }
        }
    }

    #[test]
    fn postcode_region() {
        // Outside Jawa Timur's range and outside Camplong's list: both warnings.
        let (_, w) = parse_postcode("12345", Some("35.27.04")).unwrap();
        assert_eq!(codes(&w), ["postcode_kecamatan", "postcode_region"]);
        // Surabaya kecamatan (no list shipped): only the region check.
        let (_, w) = parse_postcode("12345", Some("35.78.01")).unwrap();
        assert_eq!(codes(&w), ["postcode_region"]);
        let (_, w) = parse_postcode("60111", Some("35.78.01")).unwrap();
        assert!(w.is_empty());
        // Outside Jawa Timur: no checks.
        let (_, w) = parse_postcode("12345", Some("31.71.01")).unwrap();
        assert!(w.is_empty());
        // Unknown Sampang kecamatan: no list, only the region check.
        let (_, w) = parse_postcode("12345", Some("35.27.99")).unwrap();
        assert_eq!(codes(&w), ["postcode_region"]);
        // Garbage kecamatan code: no warning, no panic.
        let (_, w) = parse_postcode("12345", Some("٣٥.٢٧")).unwrap();
        assert!(w.is_empty());
    }

    // --- e-mail ---------------------------------------------------------------------------

    #[test]
    fn email_good() {
        assert_eq!(parse_email("siti@example.com").unwrap(), "siti@example.com");
        assert_eq!(
            parse_email("  Siti.Aminah@Dinsos.SampangKab.GO.ID \n").unwrap(),
            "Siti.Aminah@dinsos.sampangkab.go.id"
        );
        assert_eq!(
            parse_email("a+tag@sub-domain.example.co.id").unwrap(),
            "a+tag@sub-domain.example.co.id"
        );
        assert_eq!(parse_email("x@1.2").unwrap(), "x@1.2");
        let local = "a".repeat(64);
        assert!(parse_email(&format!("{local}@example.com")).is_ok());
        // 254 bytes exactly.
        let domain = format!(
            "{}.{}.{}.{}.com",
            "b".repeat(63),
            "c".repeat(63),
            "d".repeat(63),
            "e".repeat(56)
        );
        let address = format!("a@{domain}");
        assert_eq!(address.len(), 254);
        assert!(parse_email(&address).is_ok());
        assert_eq!(
            reject_code(parse_email(&format!("ab@{domain}"))),
            "email_format"
        );
    }

    #[test]
    fn email_bad() {
        for bad in [
            "",
            "   ",
            "siti",
            "siti@",
            "@example.com",
            "siti@@example.com",
            "siti@a@example.com",
            "siti@example",
            "siti@example.",
            "siti@.example.com",
            "siti@example..com",
            "siti@-example.com",
            "siti@example-.com",
            "siti@exa_mple.com",
            "siti@exämple.com",
            "si ti@example.com",
            "siti@exa mple.com",
            "siti\t@example.com",
            "siti\u{0}@example.com",
            "siti@example.com\u{7f}",
        ] {
            assert_eq!(reject_code(parse_email(bad)), "email_format", "{bad:?}");
        }
        let long_local = "a".repeat(65);
        assert_eq!(
            reject_code(parse_email(&format!("{long_local}@example.com"))),
            "email_format"
        );
        let long_label = "b".repeat(64);
        assert_eq!(
            reject_code(parse_email(&format!("a@{long_label}.com"))),
            "email_format"
        );
    }

    #[test]
    fn email_messages_do_not_echo_input() {
        for bad in [
            "rahasia@",
            "rahasia@@x.com",
            "rahasia@x",
            "rahasia@-x.com",
            "rahasia x@x.com",
        ] {
            let e = parse_email(bad).unwrap_err();
            assert!(!e.message.contains("rahasia"), "{}", e.message);
        }
    }

    // --- robustness -----------------------------------------------------------------------

    /// Small deterministic generator (xorshift) so the garbage test needs no extra crate.
    struct XorShift(u64);
    impl XorShift {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            self.0
        }
    }

    #[test]
    fn garbage_never_panics() {
        let pool: Vec<char> = "0123456789 +-.()@/_aZé٣٥٢٧０８\u{a0}\u{200b}\u{0}\t\n€𝟘😀ßİ"
            .chars()
            .collect();
        let fixed = [
            "",
            "٣٥٢٧٠٤٥٧٠٨٩٠٠٠٠١",
            "3527045708900001😀",
            "😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀😀",
            "é",
            "+",
            "@",
            "@@",
            ".",
            "..@..",
            "+62",
            "620",
            "0",
            "\u{0}",
            "\u{feff}3527045708900001",
        ];
        let long = "9".repeat(100_000);
        let mut rng = XorShift(0x9E37_79B9_7F4A_7C15);
        let mut inputs: Vec<String> = fixed.iter().map(|s| (*s).to_owned()).collect();
        inputs.push(long);
        for _ in 0..5_000 {
            let len = (rng.next() % 24) as usize;
            let s: String = (0..len)
                .map(|_| pool[(rng.next() % pool.len() as u64) as usize])
                .collect();
            inputs.push(s);
        }
        // Also mutate a valid NIK digit by digit to hit the date and region branches.
        for _ in 0..5_000 {
            let mut bytes = *b"3527045708900001";
            for b in bytes.iter_mut() {
                if rng.next().is_multiple_of(3) {
                    *b = b'0' + (rng.next() % 10) as u8;
                }
            }
            inputs.push(String::from_utf8(bytes.to_vec()).unwrap());
        }
        for input in &inputs {
            let r = parse_nik(input, Some(true), Some(date(1990, 8, 17)), TODAY);
            if let Ok((n, _)) = &r {
                assert_eq!(n.digits.len(), 16);
                assert!(n.digits.bytes().all(|b| b.is_ascii_digit()));
                assert!(n.birth_date <= TODAY);
            }
            let _ = parse_nik(input, None, None, date(1900, 1, 1));
            if let Ok((p, _)) = parse_phone(input) {
                assert!(p.e164.starts_with("+62") || p.kind == PhoneKind::ShortCode);
            }
            let _ = parse_postcode(input, Some(input));
            let _ = parse_postcode(input, Some("35.27.04"));
            let _ = parse_email(input);
            let _ = is_province_code(input);
        }
    }

    #[test]
    fn display_impls() {
        let e = parse_email("x").unwrap_err();
        assert_eq!(e.to_string(), format!("email_format: {}", e.message));
        let (_, w) = parse_phone("129").unwrap();
        assert!(w[0].to_string().starts_with("phone_short_code: "));
    }
}
