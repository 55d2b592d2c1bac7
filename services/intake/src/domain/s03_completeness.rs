//! S3: what makes a registered complaint incomplete: the requirements R1-R6 (SOP
//! "persyaratan") checked on its body, with the identity facts derived from it, the blind-index
//! values and the content markers triage's urgency rules read (S4).

use aduan_proto::common::v1::{self as common, Channel, Requirement, RequirementCheck};
use aduan_proto::intake::v1::ComplaintPatch;
use jiff::civil::Date;

use super::blank;
use crate::refdata::RefData;

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
        crate::refdata::parse_csv(include_str!("../../../../data/urgency_markers.csv"))
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
    use crate::api::validate::check_body;
    use crate::domain::fixtures::{complete, refdata, today};
    use aduan_runtime::Violations;

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
