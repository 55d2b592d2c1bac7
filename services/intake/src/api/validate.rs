//! What makes intake's input malformed: refused with INVALID_ARGUMENT, every field named; the
//! people's NIK, phone and e-mail normalised (`crate::identity`), with warnings that do not
//! refuse.

use aduan_proto::common::v1::{self as common, FieldWarning, Sex};
use aduan_proto::intake::v1::{ComplaintPatch, LetterDetails};
use aduan_runtime::{Error, Result, Violations};
use jiff::civil::Date;

use crate::domain::blank;
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

/// True for an idempotency key: 1-128 characters of A-Z a-z 0-9 . _ : -
pub fn valid_request_id(id: &str) -> bool {
    (1..=128).contains(&id.len())
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b':' | b'-'))
}

/// A complaint id in its canonical form, or INVALID_ARGUMENT naming `field`.
pub fn parse_id(field: &str, id: &str) -> Result<String> {
    uuid::Uuid::parse_str(id)
        .map(|u| u.to_string())
        .map_err(|_| Error::invalid(field.to_string(), "not a complaint id (UUID)"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::fixtures::{complete, refdata, today};

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
    fn request_ids() {
        assert!(valid_request_id("2026-11-27:walkin:0001"));
        assert!(!valid_request_id(""));
        assert!(!valid_request_id("a b"));
        assert!(!valid_request_id(&"x".repeat(129)));
    }
}
