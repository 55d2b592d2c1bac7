//! JSON forms of the intake messages for the command line: what `--file` reads and what
//! `--output json` prints. Enums are their names without prefix ("WALK_IN"), dates are
//! "YYYY-MM-DD", timestamps RFC 3339.

use aduan_proto::common::v1 as common;
use aduan_proto::intake::v1 as pb;
use serde::Deserialize;
use serde_json::{Value, json};

/// Reads an enum name given with or without its prefix, in any case, with `-` or `_`.
pub fn enum_name(prefix: &str, raw: &str) -> String {
    let up = raw.trim().to_ascii_uppercase().replace('-', "_");
    if up.starts_with(prefix) {
        up
    } else {
        format!("{prefix}{up}")
    }
}

/// A channel by name.
pub fn channel(raw: &str) -> Result<common::Channel, String> {
    common::Channel::from_str_name(&enum_name("CHANNEL_", raw)).ok_or_else(|| {
        format!("unknown channel {raw}: walk-in, letter, phone, fax, email, partner-api")
    })
}

/// A status by name.
pub fn status(raw: &str) -> Result<common::ComplaintStatus, String> {
    common::ComplaintStatus::from_str_name(&enum_name("COMPLAINT_STATUS_", raw))
        .ok_or_else(|| format!("unknown status {raw}"))
}

/// A requirement by id ("R2") or name.
pub fn requirement(raw: &str) -> Result<common::Requirement, String> {
    let r = raw.trim().to_ascii_uppercase();
    let by_id = match r.as_str() {
        "R1" => Some(common::Requirement::R1Clear),
        "R2" => Some(common::Requirement::R2Identity),
        "R3" => Some(common::Requirement::R3Object),
        "R4" => Some(common::Requirement::R4WhenWhereChronology),
        "R5" => Some(common::Requirement::R5OfficeService),
        "R6" => Some(common::Requirement::R6AddressedToOffice),
        _ => None,
    };
    by_id
        .or_else(|| common::Requirement::from_str_name(&enum_name("REQUIREMENT_", raw)))
        .ok_or_else(|| format!("unknown requirement {raw}: R1-R6"))
}

fn short(full: &str, prefix: &str) -> String {
    full.strip_prefix(prefix).unwrap_or(full).to_string()
}

/// Parses "YYYY-MM-DD" (the server checks that the date exists).
pub fn date(raw: &str) -> Result<common::Date, String> {
    let parts: Vec<&str> = raw.trim().split('-').collect();
    let bad = || format!("not a date (YYYY-MM-DD): {raw}");
    if parts.len() != 3 {
        return Err(bad());
    }
    Ok(common::Date {
        year: parts[0].parse().map_err(|_| bad())?,
        month: parts[1].parse().map_err(|_| bad())?,
        day: parts[2].parse().map_err(|_| bad())?,
    })
}

/// Parses an RFC 3339 timestamp.
pub fn timestamp(raw: &str) -> Result<prost_types::Timestamp, String> {
    let t: jiff::Timestamp = raw
        .trim()
        .parse()
        .map_err(|_| format!("not an RFC 3339 time: {raw}"))?;
    Ok(aduan_runtime::time::to_proto(t))
}

fn date_str(d: &Option<common::Date>) -> Value {
    match d {
        Some(d) => json!(format!("{:04}-{:02}-{:02}", d.year, d.month, d.day)),
        None => Value::Null,
    }
}

fn ts_str(t: &Option<prost_types::Timestamp>) -> Value {
    match t.as_ref().and_then(aduan_runtime::time::from_proto) {
        Some(t) => json!(t.to_string()),
        None => Value::Null,
    }
}

/// An address as read from JSON.
#[derive(Debug, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct AddressJson {
    line: String,
    village_code: String,
    district_code: String,
    regency_code: String,
    postcode: String,
}

/// A person as read from JSON.
#[derive(Debug, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct PersonJson {
    full_name: String,
    nik: String,
    address: Option<AddressJson>,
    phone: String,
    email: String,
    sex: Option<String>,
    birth_date: Option<String>,
    age_years: i32,
    relationship: String,
    description: String,
}

impl PersonJson {
    fn into_pb(self) -> Result<common::Person, String> {
        let sex = match self.sex.as_deref() {
            None | Some("") => common::Sex::Unspecified,
            Some(s) => common::Sex::from_str_name(&enum_name("SEX_", s))
                .ok_or_else(|| format!("unknown sex {s}"))?,
        };
        Ok(common::Person {
            full_name: self.full_name,
            nik: self.nik,
            address: self.address.map(|a| common::Address {
                line: a.line,
                village_code: a.village_code,
                district_code: a.district_code,
                regency_code: a.regency_code,
                postcode: a.postcode,
            }),
            phone: self.phone,
            email: self.email,
            sex: sex as i32,
            birth_date: self.birth_date.as_deref().map(date).transpose()?,
            age_years: self.age_years,
            relationship: self.relationship,
            description: self.description,
        })
    }
}

/// Complaint content as read from JSON.
#[derive(Debug, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ContentJson {
    subject: String,
    description: String,
    chronology: String,
    incident_date: Option<String>,
    incident_place: String,
    incident_district_code: String,
    category_code: String,
    requested_outcome: String,
}

/// Letter details as read from JSON.
#[derive(Debug, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct LetterJson {
    number: String,
    date: Option<String>,
    addressee: String,
    addressed_to_office: bool,
    subject: String,
}

/// Visibility as read from JSON.
#[derive(Debug, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct VisibilityJson {
    anonymous: bool,
    confidential: bool,
}

/// Attachment metadata as read from JSON.
#[derive(Debug, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct AttachmentJson {
    file_name: String,
    media_type: String,
    size_bytes: i64,
    sha256: String,
    description: String,
}

/// The body of a complaint as read from JSON (`aduan intake submit --file`, `amend --file`).
#[derive(Debug, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct BodyJson {
    /// Idempotency key (submit only).
    pub request_id: Option<String>,
    /// Office (submit only).
    pub office_code: Option<String>,
    /// Channel (submit only).
    pub channel: Option<String>,
    /// When received (submit only).
    pub received_at: Option<String>,
    letter: Option<LetterJson>,
    reporter: Option<PersonJson>,
    reported_party: Option<PersonJson>,
    victims: Vec<PersonJson>,
    content: Option<ContentJson>,
    visibility: Option<VisibilityJson>,
    partner_reference: String,
    attachments: Vec<AttachmentJson>,
}

impl BodyJson {
    /// The body as a `ComplaintPatch`.
    pub fn into_patch(self) -> Result<pb::ComplaintPatch, String> {
        Ok(pb::ComplaintPatch {
            reporter: self.reporter.map(PersonJson::into_pb).transpose()?,
            reported_party: self.reported_party.map(PersonJson::into_pb).transpose()?,
            victims: self
                .victims
                .into_iter()
                .map(PersonJson::into_pb)
                .collect::<Result<_, _>>()?,
            content: self
                .content
                .map(|c| -> Result<pb::ComplaintContent, String> {
                    Ok(pb::ComplaintContent {
                        subject: c.subject,
                        description: c.description,
                        chronology: c.chronology,
                        incident_date: c.incident_date.as_deref().map(date).transpose()?,
                        incident_place: c.incident_place,
                        incident_district_code: c.incident_district_code,
                        category_code: c.category_code,
                        requested_outcome: c.requested_outcome,
                    })
                })
                .transpose()?,
            letter: self
                .letter
                .map(|l| -> Result<pb::LetterDetails, String> {
                    Ok(pb::LetterDetails {
                        number: l.number,
                        date: l.date.as_deref().map(date).transpose()?,
                        addressee: l.addressee,
                        addressed_to_office: l.addressed_to_office,
                        subject: l.subject,
                    })
                })
                .transpose()?,
            visibility: self.visibility.map(|v| pb::Visibility {
                anonymous: v.anonymous,
                confidential: v.confidential,
            }),
            attachments: self
                .attachments
                .into_iter()
                .map(|a| pb::AttachmentMetadata {
                    file_name: a.file_name,
                    media_type: a.media_type,
                    size_bytes: a.size_bytes,
                    sha256: a.sha256,
                    description: a.description,
                })
                .collect(),
            partner_reference: self.partner_reference,
        })
    }
}

fn person(p: &Option<common::Person>) -> Value {
    let Some(p) = p else { return Value::Null };
    json!({
        "full_name": p.full_name,
        "nik": p.nik,
        "address": p.address.as_ref().map(|a| json!({
            "line": a.line, "village_code": a.village_code, "district_code": a.district_code,
            "regency_code": a.regency_code, "postcode": a.postcode,
        })),
        "phone": p.phone,
        "email": p.email,
        "sex": short(common::Sex::try_from(p.sex).unwrap_or_default().as_str_name(), "SEX_"),
        "birth_date": date_str(&p.birth_date),
        "age_years": p.age_years,
        "relationship": p.relationship,
        "description": p.description,
    })
}

/// Channel name without prefix.
pub fn channel_name(v: i32) -> String {
    short(
        common::Channel::try_from(v)
            .unwrap_or_default()
            .as_str_name(),
        "CHANNEL_",
    )
}

/// Status name without prefix.
pub fn status_name(v: i32) -> String {
    short(
        common::ComplaintStatus::try_from(v)
            .unwrap_or_default()
            .as_str_name(),
        "COMPLAINT_STATUS_",
    )
}

/// Requirement id ("R2").
pub fn requirement_id(v: i32) -> String {
    format!("R{v}")
}

fn actor(a: &Option<common::Actor>) -> Value {
    a.as_ref()
        .map(|a| json!({"subject": a.subject, "role": a.role, "office_code": a.office_code}))
        .unwrap_or(Value::Null)
}

/// A complaint as JSON.
pub fn complaint(c: &pb::Complaint) -> Value {
    let content = c.content.clone().unwrap_or_default();
    let identity = c.identity.unwrap_or_default();
    json!({
        "id": c.id,
        "office_code": c.office_code,
        "registration_number": c.registration_number,
        "tracking_code": c.tracking_code,
        "channel": channel_name(c.channel),
        "status": status_name(c.status),
        "received_at": ts_str(&c.received_at),
        "registered_at": ts_str(&c.registered_at),
        "updated_at": ts_str(&c.updated_at),
        "recorded_by": actor(&c.recorded_by),
        "revision": c.revision,
        "letter": c.letter.as_ref().map(|l| json!({
            "number": l.number, "date": date_str(&l.date), "addressee": l.addressee,
            "addressed_to_office": l.addressed_to_office, "subject": l.subject,
        })),
        "reporter": person(&c.reporter),
        "reported_party": person(&c.reported_party),
        "victims": c.victims.iter().map(|v| person(&Some(v.clone()))).collect::<Vec<_>>(),
        "content": {
            "subject": content.subject, "description": content.description,
            "chronology": content.chronology, "incident_date": date_str(&content.incident_date),
            "incident_place": content.incident_place, "incident_district_code": content.incident_district_code,
            "category_code": content.category_code, "requested_outcome": content.requested_outcome,
        },
        "identity": {
            "reporter_identified": identity.reporter_identified, "anonymous": identity.anonymous,
            "confidential": identity.confidential, "involves_child": identity.involves_child,
        },
        "requirements": c.requirements.iter().map(|r| json!({
            "requirement": requirement_id(r.requirement), "met": r.met,
            "missing_fields": r.missing_fields, "hint": r.hint,
        })).collect::<Vec<_>>(),
        "unmet_requirements": c.unmet_requirements.iter().map(|r| requirement_id(*r)).collect::<Vec<_>>(),
        "partner_reference": c.partner_reference,
        "attachments": c.attachments.iter().map(|a| json!({
            "file_name": a.file_name, "media_type": a.media_type, "size_bytes": a.size_bytes,
            "sha256": a.sha256, "description": a.description,
        })).collect::<Vec<_>>(),
    })
}

/// A summary as JSON.
pub fn summary(s: &pb::ComplaintSummary) -> Value {
    let identity = s.identity.unwrap_or_default();
    json!({
        "id": s.id, "office_code": s.office_code, "registration_number": s.registration_number,
        "channel": channel_name(s.channel), "category_code": s.category_code, "status": status_name(s.status),
        "received_at": ts_str(&s.received_at), "registered_at": ts_str(&s.registered_at),
        "unmet_requirements": s.unmet_requirements.iter().map(|r| requirement_id(*r)).collect::<Vec<_>>(),
        "reporter_identified": identity.reporter_identified, "anonymous": identity.anonymous,
        "confidential": identity.confidential, "involves_child": identity.involves_child,
        "revision": s.revision,
    })
}

/// Warnings as JSON.
pub fn warnings(w: &[common::FieldWarning]) -> Value {
    json!(
        w.iter()
            .map(|w| json!({"field": w.field, "code": w.code, "message": w.message}))
            .collect::<Vec<_>>()
    )
}

/// A revision as JSON.
pub fn revision(r: &pb::ComplaintRevision) -> Value {
    json!({
        "revision": r.revision, "created_at": ts_str(&r.created_at), "actor": actor(&r.actor),
        "reason": r.reason, "changed_fields": r.changed_fields,
        "unmet_requirements": r.unmet_requirements.iter().map(|x| requirement_id(*x)).collect::<Vec<_>>(),
    })
}

/// An access-log entry as JSON.
pub fn access(e: &pb::AccessLogEntry) -> Value {
    json!({"accessed_at": ts_str(&e.accessed_at), "actor": actor(&e.actor), "action": e.action, "purpose": e.purpose})
}

/// A tracking answer as JSON.
pub fn track(t: &pb::TrackComplaintResponse) -> Value {
    json!({
        "status": status_name(t.status), "office_code": t.office_code,
        "received_at": ts_str(&t.received_at), "registered_at": ts_str(&t.registered_at),
        "updated_at": ts_str(&t.updated_at),
    })
}

/// Formats a timestamp for tables: local date and time in UTC+7 is not assumed; RFC 3339 UTC, minute precision.
pub fn ts_short(t: &Option<prost_types::Timestamp>) -> String {
    t.as_ref()
        .and_then(aduan_runtime::time::from_proto)
        .map(|t| t.strftime("%Y-%m-%d %H:%MZ").to_string())
        .unwrap_or_default()
}
