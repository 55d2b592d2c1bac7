//! S9: the interview completes or corrects the complaint's record: an amendment names the
//! fields it changes (an update mask) and makes a new revision; a closed complaint's record is
//! final.

use aduan_proto::common::v1 as common;
use aduan_proto::intake::v1 as pb;
use aduan_runtime::{Error, Result};

use super::{ComplaintRow, is_closed};

/// FAILED_PRECONDITION when the complaint's record is final.
pub fn amendable(row: &ComplaintRow) -> Result<()> {
    if is_closed(row.status) {
        return Err(Error::FailedPrecondition(
            "the complaint is closed; it cannot be amended".into(),
        ));
    }
    Ok(())
}

/// Applies the mask's paths from `patch` to `body`, each once in the order first given: the
/// paths changed, and the indexes of the paths that name no field that can be amended.
pub fn apply_mask(
    body: &mut pb::ComplaintPatch,
    patch: &pb::ComplaintPatch,
    paths: &[String],
) -> (Vec<String>, Vec<usize>) {
    let mut changed: Vec<String> = Vec::new();
    let mut unknown = Vec::new();
    for (i, p) in paths.iter().enumerate() {
        if changed.contains(p) {
            continue;
        }
        match apply_path(body, patch, p) {
            true => changed.push(p.clone()),
            false => unknown.push(i),
        }
    }
    (changed, unknown)
}

/// Applies one update-mask path from `patch` to `body`; false for an unknown path.
fn apply_path(body: &mut pb::ComplaintPatch, patch: &pb::ComplaintPatch, path: &str) -> bool {
    let (section, field) = match path.split_once('.') {
        Some((s, f)) => (s, Some(f)),
        None => (path, None),
    };
    match (section, field) {
        ("reporter", None) => body.reporter = patch.reporter.clone(),
        ("reported_party", None) => body.reported_party = patch.reported_party.clone(),
        ("victims", None) => body.victims = patch.victims.clone(),
        ("content", None) => body.content = patch.content.clone(),
        ("letter", None) => body.letter = patch.letter.clone(),
        ("visibility", None) => body.visibility = patch.visibility,
        ("attachments", None) => body.attachments = patch.attachments.clone(),
        ("partner_reference", None) => body.partner_reference = patch.partner_reference.clone(),
        ("reporter", Some(f)) => {
            return apply_person(
                body.reporter.get_or_insert_with(Default::default),
                patch.reporter.clone().unwrap_or_default(),
                f,
            );
        }
        ("reported_party", Some(f)) => {
            return apply_person(
                body.reported_party.get_or_insert_with(Default::default),
                patch.reported_party.clone().unwrap_or_default(),
                f,
            );
        }
        ("content", Some(f)) => {
            let to = body.content.get_or_insert_with(Default::default);
            let from = patch.content.clone().unwrap_or_default();
            match f {
                "subject" => to.subject = from.subject,
                "description" => to.description = from.description,
                "chronology" => to.chronology = from.chronology,
                "incident_date" => to.incident_date = from.incident_date,
                "incident_place" => to.incident_place = from.incident_place,
                "incident_district_code" => to.incident_district_code = from.incident_district_code,
                "category_code" => to.category_code = from.category_code,
                "requested_outcome" => to.requested_outcome = from.requested_outcome,
                _ => return false,
            }
        }
        ("letter", Some(f)) => {
            let to = body.letter.get_or_insert_with(Default::default);
            let from = patch.letter.clone().unwrap_or_default();
            match f {
                "number" => to.number = from.number,
                "date" => to.date = from.date,
                "addressee" => to.addressee = from.addressee,
                "addressed_to_office" => to.addressed_to_office = from.addressed_to_office,
                "subject" => to.subject = from.subject,
                _ => return false,
            }
        }
        ("visibility", Some(f)) => {
            let to = body.visibility.get_or_insert_with(Default::default);
            let from = patch.visibility.unwrap_or_default();
            match f {
                "anonymous" => to.anonymous = from.anonymous,
                "confidential" => to.confidential = from.confidential,
                _ => return false,
            }
        }
        _ => return false,
    }
    true
}

fn apply_person(to: &mut common::Person, from: common::Person, field: &str) -> bool {
    match field {
        "full_name" => to.full_name = from.full_name,
        "nik" => to.nik = from.nik,
        "address" => to.address = from.address,
        "phone" => to.phone = from.phone,
        "email" => to.email = from.email,
        "sex" => to.sex = from.sex,
        "birth_date" => to.birth_date = from.birth_date,
        "age_years" => to.age_years = from.age_years,
        "relationship" => to.relationship = from.relationship,
        "description" => to.description = from.description,
        _ => return false,
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn update_mask_paths() {
        let mut body = pb::ComplaintPatch::default();
        let patch = pb::ComplaintPatch {
            reporter: Some(common::Person {
                full_name: "A".into(),
                phone: "0812".into(),
                ..Default::default()
            }),
            ..Default::default()
        };
        assert!(apply_path(&mut body, &patch, "reporter.full_name"));
        assert_eq!(body.reporter.as_ref().unwrap().full_name, "A");
        assert!(
            body.reporter.as_ref().unwrap().phone.is_empty(),
            "only the named field"
        );
        assert!(!apply_path(&mut body, &patch, "reporter.shoe_size"));
        assert!(!apply_path(&mut body, &patch, "nonsense"));
        assert!(apply_path(&mut body, &patch, "visibility.anonymous"));
        // Every path that can be amended fits in one update mask (issue 13).
        let person = [
            "full_name",
            "nik",
            "address",
            "phone",
            "email",
            "sex",
            "birth_date",
            "age_years",
            "relationship",
            "description",
        ];
        let mut all: Vec<String> = [
            "reporter",
            "reported_party",
            "victims",
            "content",
            "letter",
            "visibility",
            "attachments",
            "partner_reference",
            "content.subject",
            "content.description",
            "content.chronology",
            "content.incident_date",
            "content.incident_place",
            "content.incident_district_code",
            "content.category_code",
            "content.requested_outcome",
            "letter.number",
            "letter.date",
            "letter.addressee",
            "letter.addressed_to_office",
            "letter.subject",
            "visibility.anonymous",
            "visibility.confidential",
        ]
        .map(String::from)
        .to_vec();
        for p in ["reporter", "reported_party"] {
            all.extend(person.iter().map(|f| format!("{p}.{f}")));
        }
        for p in &all {
            assert!(apply_path(&mut body, &patch, p), "{p}");
        }
        assert_eq!(all.len(), 43);
        assert!(all.len() <= aduan_runtime::validate::MAX_MASK_PATHS);
    }
}
