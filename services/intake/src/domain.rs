//! The rules of intake: what makes input malformed (refused with INVALID_ARGUMENT, every field
//! named) and what makes a complaint incomplete (registered, with the unmet requirements R1-R6
//! listed so the interview at S9 can close them).
//!
//! The body of a complaint (people, content, letter, visibility, attachments) travels as the
//! `ComplaintPatch` message: it is also what is sealed at rest.

use aduan_proto::common::v1::{
    self as common, Channel, FieldWarning, Requirement, RequirementCheck, Sex,
};
use aduan_proto::intake::v1::{ComplaintPatch, LetterDetails};
use aduan_runtime::Violations;
use jiff::civil::Date;

use crate::identity;
use crate::refdata::RefData;

/// Size limits of text fields, in characters.
pub mod limits {
    /// Names.
    pub const NAME: usize = 200;
    /// Short lines: subject, letter number, relationship, place.
    pub const LINE: usize = 500;
    /// Long text: description, chronology.
    pub const TEXT: usize = 20_000;
    /// Descriptions of a person or a document; requested outcome.
    pub const NOTE: usize = 2_000;
    /// Victims per complaint.
    pub const VICTIMS: usize = 50;
    /// Attachments per complaint.
    pub const ATTACHMENTS: usize = 50;
    /// Largest attachment, in bytes (100 MiB).
    pub const ATTACHMENT_BYTES: i64 = 100 * 1024 * 1024;
}

fn check_text(v: &mut Violations, field: &str, value: &str, max: usize) {
    if value.chars().count() > max {
        v.add(field, format!("longer than {max} characters"));
    }
    if value
        .chars()
        .any(|c| c.is_control() && c != '\n' && c != '\r' && c != '\t')
    {
        v.add(field, "contains control characters");
    }
}

fn blank(s: &str) -> bool {
    s.trim().is_empty()
}

fn warn(w: &mut Vec<FieldWarning>, field: &str, x: identity::Warning) {
    w.push(FieldWarning {
        field: field.to_string(),
        code: x.code.to_string(),
        message: x.message,
    });
}

/// Is `code` a Kemendagri code with `parts` dot-separated numeric groups (2,2,2,4 digits)?
fn region_code_ok(code: &str, parts: usize) -> bool {
    let widths = [2usize, 2, 2, 4];
    let groups: Vec<&str> = code.split('.').collect();
    groups.len() == parts
        && groups
            .iter()
            .zip(widths.iter())
            .all(|(g, w)| g.len() == *w && g.bytes().all(|b| b.is_ascii_digit()))
}

/// Checks a date field: it must exist, lie after 1900 and not after `today`.
pub fn check_date(v: &mut Violations, field: &str, d: &common::Date, today: Date) -> Option<Date> {
    match aduan_runtime::time::date_from_proto(d) {
        None => {
            v.add(field, "not a real calendar date");
            None
        }
        Some(date) if date.year() < 1900 => {
            v.add(field, "before 1900");
            None
        }
        Some(date) if date > today => {
            v.add(field, "lies in the future");
            None
        }
        Some(date) => Some(date),
    }
}

/// Validates and normalises one person (NIK digits, E.164 phone, lower-case e-mail domain).
pub fn check_person(
    p: &mut common::Person,
    path: &str,
    today: Date,
    v: &mut Violations,
    w: &mut Vec<FieldWarning>,
) {
    let f = |name: &str| format!("{path}.{name}");
    check_text(v, &f("full_name"), &p.full_name, limits::NAME);
    check_text(v, &f("relationship"), &p.relationship, limits::NAME);
    check_text(v, &f("description"), &p.description, limits::NOTE);
    p.full_name = p.full_name.trim().to_string();
    if Sex::try_from(p.sex).is_err() {
        v.add(f("sex"), "unknown value");
    }
    if !(0..=130).contains(&p.age_years) {
        v.add(f("age_years"), "must be 0-130");
    }
    let birth = p
        .birth_date
        .as_ref()
        .and_then(|d| check_date(v, &f("birth_date"), d, today));
    if !blank(&p.nik) {
        let female = match Sex::try_from(p.sex) {
            Ok(Sex::Female) => Some(true),
            Ok(Sex::Male) => Some(false),
            _ => None,
        };
        match identity::parse_nik(&p.nik, female, birth, today) {
            Ok((nik, warnings)) => {
                p.nik = nik.digits;
                for x in warnings {
                    warn(w, &f("nik"), x);
                }
            }
            Err(r) => v.add(f("nik"), r.message),
        }
    } else {
        p.nik.clear();
    }
    if !blank(&p.phone) {
        match identity::parse_phone(&p.phone) {
            Ok((phone, warnings)) => {
                p.phone = phone.e164;
                for x in warnings {
                    warn(w, &f("phone"), x);
                }
            }
            Err(r) => v.add(f("phone"), r.message),
        }
    } else {
        p.phone.clear();
    }
    if !blank(&p.email) {
        match identity::parse_email(&p.email) {
            Ok(e) => p.email = e,
            Err(r) => v.add(f("email"), r.message),
        }
    } else {
        p.email.clear();
    }
    if let Some(a) = p.address.as_mut() {
        check_text(v, &f("address.line"), &a.line, limits::LINE);
        for (name, code, parts) in [
            ("village_code", &a.village_code, 4),
            ("district_code", &a.district_code, 3),
            ("regency_code", &a.regency_code, 2),
        ] {
            if !code.is_empty() && !region_code_ok(code, parts) {
                v.add(
                    f(&format!("address.{name}")),
                    "not a Kemendagri code of this level",
                );
            }
        }
        if !blank(&a.postcode) {
            let district = if a.district_code.is_empty() {
                None
            } else {
                Some(a.district_code.as_str())
            };
            match identity::parse_postcode(&a.postcode, district) {
                Ok((code, warnings)) => {
                    a.postcode = code;
                    for x in warnings {
                        warn(w, &f("address.postcode"), x);
                    }
                }
                Err(r) => v.add(f("address.postcode"), r.message),
            }
        }
    }
}

/// Validates a letter (R6 metadata); `path` names it in violations (`letter`).
pub fn check_letter(l: &LetterDetails, path: &str, today: Date, v: &mut Violations) {
    let f = |name: &str| format!("{path}.{name}");
    check_text(v, &f("number"), &l.number, limits::NAME);
    check_text(v, &f("addressee"), &l.addressee, limits::LINE);
    check_text(v, &f("subject"), &l.subject, limits::LINE);
    if let Some(d) = &l.date {
        check_date(v, &f("date"), d, today);
    }
}

/// Validates and normalises a complaint body. `today` is the office's current date. `prefix`
/// goes before every field path in violations and warnings: empty for a submission, whose
/// fields are the request's own, `patch.` for an amendment.
pub fn check_body(
    body: &mut ComplaintPatch,
    prefix: &str,
    refdata: &RefData,
    today: Date,
    v: &mut Violations,
    w: &mut Vec<FieldWarning>,
) {
    let f = |name: &str| format!("{prefix}{name}");
    if let Some(p) = body.reporter.as_mut() {
        check_person(p, &f("reporter"), today, v, w);
    }
    if let Some(p) = body.reported_party.as_mut() {
        check_person(p, &f("reported_party"), today, v, w);
    }
    // An oversized list gets one violation; its elements are not looked at.
    if aduan_runtime::validate::list_len(v, &f("victims"), body.victims.len(), 0, limits::VICTIMS) {
        for (i, p) in body.victims.iter_mut().enumerate() {
            check_person(p, &f(&format!("victims[{i}]")), today, v, w);
        }
    }
    if let Some(c) = body.content.as_mut() {
        check_text(v, &f("content.subject"), &c.subject, limits::LINE);
        check_text(v, &f("content.description"), &c.description, limits::TEXT);
        check_text(v, &f("content.chronology"), &c.chronology, limits::TEXT);
        check_text(
            v,
            &f("content.incident_place"),
            &c.incident_place,
            limits::LINE,
        );
        check_text(
            v,
            &f("content.requested_outcome"),
            &c.requested_outcome,
            limits::NOTE,
        );
        if let Some(d) = &c.incident_date {
            check_date(v, &f("content.incident_date"), d, today);
        }
        if !c.incident_district_code.is_empty() && !region_code_ok(&c.incident_district_code, 3) {
            v.add(
                f("content.incident_district_code"),
                "not a kecamatan code such as 35.27.04",
            );
        }
        c.category_code = c.category_code.trim().to_string();
        if !c.category_code.is_empty() && refdata.category(&c.category_code).is_none() {
            v.add(f("content.category_code"), "unknown category");
        }
    }
    if let Some(l) = &body.letter {
        check_letter(l, &f("letter"), today, v);
    }
    if aduan_runtime::validate::list_len(
        v,
        &f("attachments"),
        body.attachments.len(),
        0,
        limits::ATTACHMENTS,
    ) {
        for (i, a) in body.attachments.iter().enumerate() {
            let f = |n: &str| format!("{prefix}attachments[{i}].{n}");
            if blank(&a.file_name) {
                v.add(f("file_name"), "required");
            }
            check_text(v, &f("file_name"), &a.file_name, 255);
            check_text(v, &f("media_type"), &a.media_type, 100);
            check_text(v, &f("description"), &a.description, limits::NOTE);
            if !(0..=limits::ATTACHMENT_BYTES).contains(&a.size_bytes) {
                v.add(f("size_bytes"), "must be 0-100 MiB");
            }
            if !a.sha256.is_empty()
                && (a.sha256.len() != 64 || !a.sha256.bytes().all(|b| b.is_ascii_hexdigit()))
            {
                v.add(f("sha256"), "must be 64 hexadecimal characters");
            }
        }
    }
    check_text(v, &f("partner_reference"), &body.partner_reference, 100);
}

/// The outcome of checking R1-R6 and deriving the identity facts.
#[derive(Debug, Clone)]
pub struct Assessment {
    /// One check per requirement, R1 to R6.
    pub checks: Vec<RequirementCheck>,
    /// Bit `n-1` set when requirement Rn is unmet.
    pub unmet_mask: i64,
    /// The office can identify and reach the reporter.
    pub reporter_identified: bool,
    /// A child is involved.
    pub involves_child: bool,
}

impl Assessment {
    /// The unmet requirements.
    pub fn unmet(&self) -> Vec<Requirement> {
        unmet_from_mask(self.unmet_mask)
    }
}

/// The requirements whose bits are set in `mask`.
pub fn unmet_from_mask(mask: i64) -> Vec<Requirement> {
    (1..=6)
        .filter(|n| mask & (1 << (n - 1)) != 0)
        .filter_map(|n| Requirement::try_from(n).ok())
        .collect()
}

/// The bit of a requirement in `unmet_mask`.
pub fn requirement_bit(r: Requirement) -> i64 {
    match r as i32 {
        n @ 1..=6 => 1 << (n - 1),
        _ => 0,
    }
}

fn is_written(channel: Channel) -> bool {
    matches!(channel, Channel::Letter | Channel::Fax | Channel::Email)
}

fn age_on(p: &common::Person, on: Date) -> Option<i32> {
    if let Some(b) = p
        .birth_date
        .as_ref()
        .and_then(aduan_runtime::time::date_from_proto)
    {
        let mut age = on.year() as i32 - b.year() as i32;
        if (on.month(), on.day()) < (b.month(), b.day()) {
            age -= 1;
        }
        return Some(age);
    }
    (p.age_years > 0).then_some(p.age_years)
}

/// Checks R1-R6 (SOP "persyaratan") and derives the identity facts. `on` is the date the
/// complaint was received (ages are computed on it).
pub fn assess(body: &ComplaintPatch, channel: Channel, refdata: &RefData, on: Date) -> Assessment {
    let empty_person = common::Person::default();
    let reporter = body.reporter.as_ref().unwrap_or(&empty_person);
    let content = body.content.clone().unwrap_or_default();
    let category = refdata.category(&content.category_code);
    let mut checks = Vec::with_capacity(6);
    let mut push = |req: Requirement, missing: Vec<&str>, hint: &str| {
        checks.push(RequirementCheck {
            requirement: req as i32,
            met: missing.is_empty(),
            missing_fields: missing.iter().map(|s| s.to_string()).collect(),
            hint: if missing.is_empty() {
                String::new()
            } else {
                hint.to_string()
            },
        });
    };

    // R1: the complaint is clear: a description of at least a sentence.
    let mut r1 = Vec::new();
    if content.description.trim().chars().count() < 20 {
        r1.push("content.description");
    }
    push(
        Requirement::R1Clear,
        r1,
        "Minta pelapor menjelaskan isi pengaduannya dengan jelas (sekurang-kurangnya satu kalimat utuh).",
    );

    // R2: full name and address of the complainant; reporter and reported party identified.
    let mut r2 = Vec::new();
    if blank(&reporter.full_name) {
        r2.push("reporter.full_name");
    }
    let has_address = reporter
        .address
        .as_ref()
        .is_some_and(|a| !blank(&a.line) || !a.village_code.is_empty());
    if !has_address {
        r2.push("reporter.address");
    }
    let puspaga = category.is_some_and(|c| c.puspaga);
    let reported_known = body
        .reported_party
        .as_ref()
        .is_some_and(|p| !blank(&p.full_name) || !blank(&p.description));
    if !reported_known && !puspaga {
        r2.push("reported_party");
    }
    push(
        Requirement::R2Identity,
        r2,
        "Lengkapi nama lengkap dan alamat pelapor, serta identitas atau ciri-ciri terlapor.",
    );

    // R3: the object of the complaint.
    let mut r3 = Vec::new();
    if blank(&content.subject) {
        r3.push("content.subject");
    }
    push(
        Requirement::R3Object,
        r3,
        "Tanyakan apa yang diadukan (obyek pengaduan).",
    );

    // R4: when, where, and the chronology.
    let mut r4 = Vec::new();
    if content.incident_date.is_none() {
        r4.push("content.incident_date");
    }
    if blank(&content.incident_place) {
        r4.push("content.incident_place");
    }
    if blank(&content.chronology) {
        r4.push("content.chronology");
    }
    push(
        Requirement::R4WhenWhereChronology,
        r4,
        "Tanyakan waktu dan tempat kejadian serta kronologinya.",
    );

    // R5: it concerns a service of the office (a known category).
    let mut r5 = Vec::new();
    if category.is_none() {
        r5.push("content.category_code");
    }
    push(
        Requirement::R5OfficeService,
        r5,
        "Tentukan layanan Dinas yang diadukan (kategori pengaduan).",
    );

    // R6: a written complaint is addressed to the office.
    let mut r6 = Vec::new();
    if is_written(channel) {
        let letter = body.letter.clone().unwrap_or_default();
        if matches!(channel, Channel::Letter | Channel::Fax) {
            if blank(&letter.number) {
                r6.push("letter.number");
            }
            if letter.date.is_none() {
                r6.push("letter.date");
            }
        }
        if blank(&letter.addressee) {
            r6.push("letter.addressee");
        }
        if !letter.addressed_to_office {
            r6.push("letter.addressed_to_office");
        }
    }
    push(
        Requirement::R6AddressedToOffice,
        r6,
        "Pengaduan tertulis harus ditujukan kepada Dinas: catat nomor, tanggal dan tujuan surat.",
    );

    let unmet_mask = checks
        .iter()
        .filter(|c| !c.met)
        .map(|c| 1i64 << (c.requirement - 1))
        .sum();
    let reporter_identified = !blank(&reporter.full_name)
        && (has_address
            || !reporter.phone.is_empty()
            || !reporter.email.is_empty()
            || !reporter.nik.is_empty());
    let child_person = body
        .victims
        .iter()
        .chain(body.reported_party.iter())
        .any(|p| age_on(p, on).is_some_and(|a| a < 18));
    let involves_child = child_person || category.is_some_and(|c| c.child);
    Assessment {
        checks,
        unmet_mask,
        reporter_identified,
        involves_child,
    }
}

/// The NIKs and phone numbers of every person in the body, for the blind index: (kind, value).
pub fn identity_values(body: &ComplaintPatch) -> Vec<(&'static str, String)> {
    let mut out: Vec<(&'static str, String)> = Vec::new();
    for p in body
        .reporter
        .iter()
        .chain(body.reported_party.iter())
        .chain(body.victims.iter())
    {
        if !p.nik.is_empty() {
            out.push(("nik", p.nik.clone()));
        }
        if !p.phone.is_empty() {
            out.push(("phone", p.phone.clone()));
        }
    }
    out.sort();
    out.dedup();
    out
}

/// The content-marker table (data/urgency_markers.csv): (marker, lower-case term).
fn marker_terms() -> &'static [(String, String)] {
    static TABLE: std::sync::OnceLock<Vec<(String, String)>> = std::sync::OnceLock::new();
    TABLE.get_or_init(|| {
        crate::refdata::parse_csv(include_str!("../../../data/urgency_markers.csv"))
            .unwrap_or_default()
            .into_iter()
            .filter_map(|row| {
                let m = row.get("marker")?.trim().to_string();
                let t = row.get("term")?.trim().to_lowercase();
                (!m.is_empty() && !t.is_empty()).then_some((m, t))
            })
            .collect()
    })
}

/// S4 urgency: the coded markers found in a complaint's text (subject, description, chronology),
/// sorted and without repeats. Only the codes leave intake; triage's rules decide urgency.
pub fn content_markers(body: &ComplaintPatch) -> Vec<String> {
    let Some(c) = body.content.as_ref() else {
        return Vec::new();
    };
    let text = format!("{}\n{}\n{}", c.subject, c.description, c.chronology).to_lowercase();
    let mut out: Vec<String> = marker_terms()
        .iter()
        .filter(|(_, term)| text.contains(term.as_str()))
        .map(|(m, _)| m.clone())
        .collect();
    out.sort();
    out.dedup();
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use aduan_proto::intake::v1::ComplaintContent;

    fn today() -> Date {
        jiff::civil::date(2026, 11, 27)
    }

    fn refdata() -> RefData {
        RefData::load("35", None).unwrap()
    }

    fn complete() -> ComplaintPatch {
        ComplaintPatch {
            reporter: Some(common::Person {
                full_name: "Siti Aminah".into(),
                nik: "3527045708900001".into(),
                phone: "0812-3456-7890".into(),
                sex: Sex::Female as i32,
                address: Some(common::Address {
                    line: "Jl. Rajawali 7 RT 01/RW 02".into(),
                    district_code: "35.27.04".into(),
                    postcode: "69281".into(),
                    ..Default::default()
                }),
                ..Default::default()
            }),
            reported_party: Some(common::Person {
                description: "tetangga sebelah rumah".into(),
                ..Default::default()
            }),
            content: Some(ComplaintContent {
                subject: "Bantuan PKH tidak cair".into(),
                description: "Bantuan PKH keluarga kami tidak cair sejak bulan Maret.".into(),
                chronology: "Maret: tidak cair. April: lapor ke pendamping.".into(),
                incident_date: Some(common::Date {
                    year: 2026,
                    month: 3,
                    day: 2,
                }),
                incident_place: "Desa Taddan".into(),
                category_code: "bantuan_sosial".into(),
                ..Default::default()
            }),
            ..Default::default()
        }
    }

    #[test]
    fn a_complete_walk_in_meets_every_requirement() {
        let mut b = complete();
        let mut v = Violations::new();
        let mut w = Vec::new();
        check_body(&mut b, "", &refdata(), today(), &mut v, &mut w);
        assert!(v.is_empty());
        assert_eq!(b.reporter.as_ref().unwrap().phone, "+6281234567890");
        let a = assess(&b, Channel::WalkIn, &refdata(), today());
        assert_eq!(a.unmet_mask, 0, "{:?}", a.checks);
        assert!(a.reporter_identified);
        assert!(!a.involves_child);
    }

    #[test]
    fn each_requirement_can_be_unmet_and_names_its_fields() {
        let r = refdata();
        let mut b = complete();
        b.content.as_mut().unwrap().description = "tolong".into();
        b.reporter.as_mut().unwrap().address = None;
        b.content.as_mut().unwrap().subject.clear();
        b.content.as_mut().unwrap().incident_date = None;
        b.content.as_mut().unwrap().category_code.clear();
        let a = assess(&b, Channel::Letter, &r, today());
        assert_eq!(
            a.unmet(),
            vec![
                Requirement::R1Clear,
                Requirement::R2Identity,
                Requirement::R3Object,
                Requirement::R4WhenWhereChronology,
                Requirement::R5OfficeService,
                Requirement::R6AddressedToOffice
            ]
        );
        assert_eq!(a.checks[1].missing_fields, vec!["reporter.address"]);
        assert_eq!(
            a.checks[5].missing_fields,
            vec![
                "letter.number",
                "letter.date",
                "letter.addressee",
                "letter.addressed_to_office"
            ]
        );
        // Still identified through the phone number: not a surat kaleng.
        assert!(a.reporter_identified);
    }

    #[test]
    fn puspaga_needs_no_reported_party_and_children_are_detected() {
        let r = refdata();
        let mut b = complete();
        b.reported_party = None;
        assert!(
            assess(&b, Channel::Phone, &r, today())
                .unmet()
                .contains(&Requirement::R2Identity)
        );
        b.content.as_mut().unwrap().category_code = "konseling_keluarga".into();
        assert!(
            !assess(&b, Channel::Phone, &r, today())
                .unmet()
                .contains(&Requirement::R2Identity)
        );
        b.victims.push(common::Person {
            birth_date: Some(common::Date {
                year: 2010,
                month: 12,
                day: 1,
            }),
            ..Default::default()
        });
        assert!(
            assess(&b, Channel::Phone, &r, today()).involves_child,
            "15 years old"
        );
        b.victims[0].birth_date = Some(common::Date {
            year: 2008,
            month: 11,
            day: 27,
        });
        assert!(
            !assess(&b, Channel::Phone, &r, today()).involves_child,
            "18 today"
        );
    }

    #[test]
    fn malformed_fields_are_all_named() {
        let mut b = complete();
        b.reporter.as_mut().unwrap().nik = "12345".into();
        b.reporter.as_mut().unwrap().phone = "12".into();
        b.reporter.as_mut().unwrap().email = "not-an-email".into();
        b.reporter
            .as_mut()
            .unwrap()
            .address
            .as_mut()
            .unwrap()
            .postcode = "6928".into();
        b.content.as_mut().unwrap().incident_date = Some(common::Date {
            year: 2026,
            month: 2,
            day: 30,
        });
        b.content.as_mut().unwrap().category_code = "unknown".into();
        b.content.as_mut().unwrap().description = "x".repeat(limits::TEXT + 1);
        b.victims.push(common::Person {
            birth_date: Some(common::Date {
                year: 2030,
                month: 1,
                day: 1,
            }),
            ..Default::default()
        });
        let mut v = Violations::new();
        let mut w = Vec::new();
        check_body(&mut b, "", &refdata(), today(), &mut v, &mut w);
        let err = v.into_result().unwrap_err();
        let aduan_runtime::Error::InvalidArgument(list) = err else {
            panic!()
        };
        let fields: Vec<_> = list.iter().map(|f| f.field.as_str()).collect();
        for f in [
            "reporter.nik",
            "reporter.phone",
            "reporter.email",
            "reporter.address.postcode",
            "content.incident_date",
            "content.category_code",
            "content.description",
            "victims[0].birth_date",
        ] {
            assert!(fields.contains(&f), "{f} missing from {fields:?}");
        }
        for f in &list {
            assert!(!f.description.contains("12345"), "values are never echoed");
        }
    }

    #[test]
    fn warnings_do_not_reject() {
        let mut b = complete();
        // Registered in Sampang (35.27) but kecamatan 99 does not exist: a warning only.
        b.reporter.as_mut().unwrap().nik = "3527995708900001".into();
        let mut v = Violations::new();
        let mut w = Vec::new();
        check_body(&mut b, "", &refdata(), today(), &mut v, &mut w);
        assert!(v.is_empty());
        assert!(w.iter().any(|x| x.field == "reporter.nik"), "{w:?}");
    }

    #[test]
    fn an_oversized_list_is_one_violation_and_an_amendment_names_its_patch() {
        let mut b = complete();
        b.victims = vec![
            common::Person {
                age_years: -1,
                ..Default::default()
            };
            10_000
        ];
        b.attachments = vec![Default::default(); 10_000];
        b.content.as_mut().unwrap().category_code = "unknown".into();
        let mut v = Violations::new();
        let mut w = Vec::new();
        check_body(&mut b, "patch.", &refdata(), today(), &mut v, &mut w);
        let Err(aduan_runtime::Error::InvalidArgument(list)) = v.into_result() else {
            panic!()
        };
        let fields: Vec<_> = list.iter().map(|f| f.field.as_str()).collect();
        assert_eq!(
            fields,
            vec![
                "patch.victims",
                "patch.content.category_code",
                "patch.attachments"
            ]
        );
        assert_eq!(list[0].description, "at most 50");
    }

    #[test]
    fn mask_round_trip() {
        let m = requirement_bit(Requirement::R2Identity)
            | requirement_bit(Requirement::R6AddressedToOffice);
        assert_eq!(
            unmet_from_mask(m),
            vec![Requirement::R2Identity, Requirement::R6AddressedToOffice]
        );
    }

    #[test]
    fn content_markers_are_codes_found_in_the_text() {
        let body = ComplaintPatch {
            content: Some(aduan_proto::intake::v1::ComplaintContent {
                subject: "Anak DIPUKUL ayah tiri".into(),
                description: "Korban diancam akan dibunuh jika melapor.".into(),
                chronology: "Rapat pukul 10.00 di balai desa.".into(),
                ..Default::default()
            }),
            ..Default::default()
        };
        assert_eq!(content_markers(&body), vec!["threat_to_life", "violence"]);
        // "pukul" alone means "o'clock": no marker.
        let body = ComplaintPatch {
            content: Some(aduan_proto::intake::v1::ComplaintContent {
                description: "Datang pukul 09.00, bantuan belum cair.".into(),
                ..Default::default()
            }),
            ..Default::default()
        };
        assert!(content_markers(&body).is_empty());
        assert!(content_markers(&ComplaintPatch::default()).is_empty());
    }
}

/// What intake knows of a complaint's progress in the other services (issue 12): its status,
/// the office holding it, the Bidang it is disposed to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Followed {
    /// The complaint's status (`ComplaintStatus`).
    pub status: i32,
    /// When the status last changed (microseconds).
    pub status_at: i64,
    /// The office holding the complaint.
    pub office: String,
    /// The Bidang it is disposed to, or empty.
    pub bidang: String,
    /// The last change (microseconds).
    pub updated_at: i64,
}

/// Applies one received lifecycle event (screening, transfer or referral, forwarding to the Head,
/// disposition, delivery,
/// reopening, closing) to what intake follows: `Ok(None)` when nothing changes. A closed complaint
/// stays closed; a status older than the one held does not replace it; only a transfer at
/// screening moves the office.
pub fn follow(
    cur: &Followed,
    e: &aduan_proto::events::v1::LifecycleEvent,
) -> std::result::Result<Option<Followed>, String> {
    use aduan_proto::common::v1::ComplaintStatus;
    use aduan_proto::events::v1::{ScreeningOutcome, lifecycle_event::Detail};
    let at = e
        .occurred_at
        .as_ref()
        .and_then(aduan_runtime::time::from_proto)
        .map(aduan_runtime::time::to_micros)
        .ok_or("the event has no valid occurred_at")?;
    if cur.status == ComplaintStatus::Closed as i32 {
        return Ok(None);
    }
    let mut next = cur.clone();
    match &e.detail {
        Some(Detail::Screened(s)) => {
            if s.outcome == ScreeningOutcome::Transferred as i32 {
                if s.target_office_code.is_empty() {
                    return Err("a transfer without a target office".into());
                }
                next.office = s.target_office_code.clone();
                next.bidang.clear();
            }
        }
        Some(Detail::DispositionIssued(d)) => next.bidang = d.bidang_code.clone(),
        Some(Detail::ForwardedToHead(_))
        | Some(Detail::ResponseDelivered(_))
        | Some(Detail::FeedbackRecorded(_))
        | Some(Detail::Closed(_)) => {}
        _ => return Ok(None),
    }
    if ComplaintStatus::try_from(e.status).is_ok_and(|s| s != ComplaintStatus::Unspecified)
        && at >= cur.status_at
    {
        next.status = e.status;
        next.status_at = at;
    }
    next.updated_at = next.updated_at.max(at);
    Ok((next != *cur).then_some(next))
}

#[cfg(test)]
mod follow_tests {
    use super::*;
    use aduan_proto::common::v1::ComplaintStatus as S;
    use aduan_proto::events::v1::{self as ev, lifecycle_event::Detail};

    fn event(status: S, at: i64, detail: Detail) -> ev::LifecycleEvent {
        ev::LifecycleEvent {
            status: status as i32,
            occurred_at: Some(aduan_runtime::time::to_proto(
                aduan_runtime::time::from_micros(at),
            )),
            detail: Some(detail),
            ..Default::default()
        }
    }

    fn start() -> Followed {
        Followed {
            status: S::Registered as i32,
            status_at: 1_000,
            office: "35.27".into(),
            bidang: String::new(),
            updated_at: 1_000,
        }
    }

    #[test]
    fn status_office_and_bidang_follow_the_events() {
        let transfer = event(
            S::Transferred,
            2_000,
            Detail::Screened(ev::ComplaintScreened {
                outcome: ev::ScreeningOutcome::Transferred as i32,
                target_office_code: "35.26".into(),
                ..Default::default()
            }),
        );
        let f = follow(&start(), &transfer).unwrap().unwrap();
        assert_eq!(
            (f.status, f.office.as_str()),
            (S::Transferred as i32, "35.26")
        );
        let disposed = event(
            S::Disposed,
            3_000,
            Detail::DispositionIssued(ev::DispositionIssued {
                bidang_code: "rehsos".into(),
                ..Default::default()
            }),
        );
        let f = follow(&f, &disposed).unwrap().unwrap();
        assert_eq!(
            (f.status, f.bidang.as_str()),
            (S::Disposed as i32, "rehsos")
        );
        // An older status does not replace a newer one, but the Bidang and office stay.
        let stale = event(
            S::ResponseDelivered,
            2_500,
            Detail::ResponseDelivered(Default::default()),
        );
        assert_eq!(follow(&f, &stale).unwrap(), None);
        let closed = event(S::Closed, 4_000, Detail::Closed(Default::default()));
        let f = follow(&f, &closed).unwrap().unwrap();
        assert_eq!((f.status, f.updated_at), (S::Closed as i32, 4_000));
        // Closed stays closed.
        let reopen = event(
            S::InHandling,
            5_000,
            Detail::FeedbackRecorded(Default::default()),
        );
        assert_eq!(follow(&f, &reopen).unwrap(), None);
        // Events intake does not follow change nothing; an event without a time is refused.
        let other = event(S::InHandling, 6_000, Detail::SlaAlert(Default::default()));
        assert_eq!(follow(&start(), &other).unwrap(), None);
        let mut untimed = closed.clone();
        untimed.occurred_at = None;
        assert!(follow(&start(), &untimed).is_err());
    }
}
