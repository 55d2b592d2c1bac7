//! The public portal: the submission form (`/`), its receipt, and tracking (`/lacak`). No
//! sign-in, no script, no personal data ever shown back except on the receipt of the
//! submission just made.

use std::collections::HashMap;
use std::sync::Arc;

use aduan_proto::common::v1 as common;
use aduan_proto::intake::v1 as pb;
use aduan_proto::intake::v1::intake_service_client::IntakeServiceClient;
use axum::extract::{Form, Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use tonic::Code;
use tonic_types::StatusExt as _;

use crate::views::{self, Choice, FieldError, Page, PortalForm, Receipt, Track, TrackResult};
use crate::{Console, Peer, i18n, security};

const CSS: &str = include_str!("../static/aduan.css");
const HTMX: &str = include_str!("../static/htmx-2.0.11.min.js");
const UPLOAD: &str = include_str!("../static/unggah.js");

/// `/aset/<file>`: the stylesheet and htmx, from the binary.
pub async fn asset(Path(file): Path<String>) -> Response {
    let (body, kind, cache) = match file.as_str() {
        "aduan.css" => (CSS, "text/css; charset=utf-8", "public, max-age=3600"),
        "unggah.js" => (
            UPLOAD,
            "text/javascript; charset=utf-8",
            "public, max-age=3600",
        ),
        "htmx-2.0.11.min.js" => (
            HTMX,
            "text/javascript; charset=utf-8",
            "public, max-age=31536000, immutable",
        ),
        _ => return (StatusCode::NOT_FOUND, "").into_response(),
    };
    (
        [
            (header::CONTENT_TYPE, HeaderValue::from_static(kind)),
            (header::CACHE_CONTROL, HeaderValue::from_static(cache)),
        ],
        body,
    )
        .into_response()
}

/// Any other path: a page that says so.
pub async fn not_found(State(c): State<Arc<Console>>) -> Response {
    message(
        &c,
        StatusCode::NOT_FOUND,
        "error.not_found_title",
        "error.not_found_body",
    )
}

/// A page with a heading and a sentence, both catalogue keys.
pub fn message(c: &Console, status: StatusCode, heading: &str, body: &str) -> Response {
    views::render(
        status,
        &views::Message {
            page: Page::public(&c.cat, heading),
            heading: c.cat.t(heading).to_string(),
            body: c.cat.t(body).to_string(),
        },
    )
}

/// The answer to a person whose role may not do or see this (403).
pub(crate) fn forbidden(c: &Console) -> Response {
    message(
        c,
        StatusCode::FORBIDDEN,
        "error.forbidden_title",
        "error.forbidden_body",
    )
}

/// The answer when a service or the console's database cannot answer now (503).
pub(crate) fn unavailable(c: &Console) -> Response {
    message(
        c,
        StatusCode::SERVICE_UNAVAILABLE,
        "error.unavailable_title",
        "error.unavailable_body",
    )
}

/// The double-submit token of a form without a session: the cookie's, or a new one to set.
fn form_token(headers: &HeaderMap) -> (String, bool) {
    match security::cookie(headers, security::CSRF_COOKIE) {
        Some(v) => (v.to_string(), false),
        None => (security::random_token(), true),
    }
}

/// Adds the double-submit cookie to an answer when it was new.
pub fn with_form_cookie(c: &Console, mut res: Response, token: &str, new: bool) -> Response {
    if new {
        res.headers_mut().append(
            header::SET_COOKIE,
            security::set_cookie(security::CSRF_COOKIE, token, c.secure, None),
        );
    }
    res
}

/// True when the form's token matches its cookie.
pub fn form_token_ok(headers: &HeaderMap, sent: Option<&String>) -> bool {
    match (security::cookie(headers, security::CSRF_COOKIE), sent) {
        (Some(cookie), Some(sent)) => security::same(cookie, sent),
        _ => false,
    }
}

pub(crate) fn offices(c: &Console, selected: &str) -> Vec<Choice> {
    let mut list: Vec<Choice> = c
        .refdata
        .offices()
        .into_iter()
        .map(|o| (o.code.clone(), o.name.clone(), o.code == selected))
        .collect();
    list.sort_by(|a, b| a.1.cmp(&b.1));
    list
}

pub(crate) fn categories(c: &Console, selected: &str) -> Vec<Choice> {
    let mut list: Vec<Choice> = c
        .refdata
        .categories()
        .into_iter()
        .map(|k| (k.code.clone(), k.label.clone(), k.code == selected))
        .collect();
    list.sort_by(|a, b| a.1.cmp(&b.1));
    list
}

fn form_page<'a>(
    c: &'a Console,
    csrf: String,
    values: HashMap<String, String>,
    errors: Vec<FieldError>,
    notice: Option<String>,
) -> PortalForm<'a> {
    let office = values.get("kantor").cloned().unwrap_or_default();
    let category = values.get("kategori").cloned().unwrap_or_default();
    PortalForm {
        page: Page::public(&c.cat, "portal.title"),
        desk: false,
        action: "/",
        channels: Vec::new(),
        csrf,
        request_id: values
            .get("permintaan")
            .filter(|v| valid_request_id(v, "web:"))
            .cloned()
            .unwrap_or_else(|| format!("web:{}", uuid::Uuid::new_v4().simple())),
        offices: offices(c, &office),
        categories: categories(c, &category),
        values,
        errors,
        notice,
        check: None,
    }
}

/// A form's idempotency key: `<prefix><32 hex>` as the form was given it.
pub(crate) fn valid_request_id(v: &str, prefix: &str) -> bool {
    v.starts_with(prefix)
        && (prefix.len() + 1..=64).contains(&v.len())
        && v[prefix.len()..].bytes().all(|b| b.is_ascii_alphanumeric())
}

/// GET `/`: the form.
pub async fn form(State(c): State<Arc<Console>>, headers: HeaderMap) -> Response {
    let (token, new) = form_token(&headers);
    let page = form_page(&c, token.clone(), HashMap::new(), Vec::new(), None);
    with_form_cookie(&c, views::render(StatusCode::OK, &page), &token, new)
}

/// The form field of a violation's path, and the catalogue key of its message.
fn form_field(path: &str) -> (&'static str, &'static str) {
    match path {
        "office_code" => ("kantor", "portal.err_office"),
        "reporter.full_name" => ("nama", "portal.err_name"),
        "reporter.nik" => ("nik", "portal.err_nik"),
        "reporter.phone" => ("telepon", "portal.err_phone"),
        "reporter.email" => ("surel", "portal.err_email"),
        p if p.starts_with("reporter.address") => ("alamat", "portal.err_address"),
        "reported_party.full_name" => ("terlapor", "portal.err_name"),
        "reported_party.description" => ("terlapor_ket", "portal.err_text"),
        "content.subject" => ("perihal", "portal.err_text"),
        "channel" => ("saluran", "desk.err_channel"),
        "received_at" => ("diterima", "desk.err_received"),
        "letter.number" => ("surat_nomor", "desk.err_letter"),
        "letter.date" => ("surat_tanggal", "desk.err_letter_date"),
        "letter.addressee" => ("surat_kepada", "desk.err_letter"),
        "letter.subject" => ("surat_perihal", "desk.err_letter"),
        "content.description" => ("uraian", "portal.err_text"),
        "content.chronology" => ("kronologi", "portal.err_text"),
        "content.incident_date" => ("tanggal", "portal.err_date"),
        "content.incident_place" => ("tempat", "portal.err_text"),
        "content.category_code" => ("kategori", "portal.err_category"),
        "content.requested_outcome" => ("harapan", "portal.err_text"),
        _ => ("", "portal.err_other"),
    }
}

pub(crate) fn text(values: &HashMap<String, String>, k: &str) -> String {
    values
        .get(k)
        .map(|s| s.trim().to_string())
        .unwrap_or_default()
}

/// The request the form describes.
pub(crate) fn request(
    values: &HashMap<String, String>,
    errors: &mut Vec<FieldError>,
    c: &Console,
    channel: common::Channel,
) -> pb::SubmitComplaintRequest {
    let date = text(values, "tanggal");
    let incident_date = if date.is_empty() {
        None
    } else {
        match date.parse::<jiff::civil::Date>() {
            Ok(d) => Some(common::Date {
                year: i32::from(d.year()),
                month: i32::from(d.month()),
                day: i32::from(d.day()),
            }),
            Err(_) => {
                errors.push(FieldError {
                    field: "tanggal".into(),
                    message: c.cat.t("portal.err_date").into(),
                });
                None
            }
        }
    };
    let yes = |k: &str| values.get(k).is_some_and(|v| v == "ya");
    pb::SubmitComplaintRequest {
        request_id: text(values, "permintaan"),
        office_code: text(values, "kantor"),
        channel: channel as i32,
        received_at: None,
        letter: None,
        reporter: Some(common::Person {
            full_name: text(values, "nama"),
            nik: text(values, "nik"),
            phone: text(values, "telepon"),
            email: text(values, "surel"),
            address: Some(common::Address {
                line: text(values, "alamat"),
                regency_code: String::new(),
                ..Default::default()
            }),
            ..Default::default()
        }),
        reported_party: {
            let (name, about) = (text(values, "terlapor"), text(values, "terlapor_ket"));
            (!name.is_empty() || !about.is_empty()).then(|| common::Person {
                full_name: name,
                description: about,
                ..Default::default()
            })
        },
        victims: Vec::new(),
        content: Some(pb::ComplaintContent {
            subject: text(values, "perihal"),
            description: text(values, "uraian"),
            chronology: text(values, "kronologi"),
            incident_date,
            incident_place: text(values, "tempat"),
            incident_district_code: String::new(),
            category_code: text(values, "kategori"),
            requested_outcome: text(values, "harapan"),
        }),
        visibility: Some(pb::Visibility {
            anonymous: yes("anonim"),
            confidential: yes("rahasia"),
        }),
        partner_reference: String::new(),
        attachments: Vec::new(),
    }
}

/// The longest text a field of the form accepts (the services check again).
const MAX_FIELD: usize = 10_000;

/// POST `/`: submits the form to intake with the console's service identity (channel WEB).
pub async fn submit(
    State(c): State<Arc<Console>>,
    headers: HeaderMap,
    Form(values): Form<HashMap<String, String>>,
) -> Response {
    let (token, new) = form_token(&headers);
    if !form_token_ok(&headers, values.get("csrf")) {
        let page = form_page(
            &c,
            token.clone(),
            values,
            Vec::new(),
            Some(c.cat.t("portal.expired").into()),
        );
        return with_form_cookie(&c, views::render(StatusCode::FORBIDDEN, &page), &token, new);
    }
    let mut errors = Vec::new();
    for (k, v) in &values {
        if v.len() > MAX_FIELD {
            errors.push(FieldError {
                field: k.clone(),
                message: c.cat.t("portal.err_long").into(),
            });
        }
    }
    if values.get("setuju").is_none_or(|v| v != "ya") {
        errors.push(FieldError {
            field: "setuju".into(),
            message: c.cat.t("portal.err_consent").into(),
        });
    }
    if text(&values, "kantor").is_empty() {
        errors.push(FieldError {
            field: "kantor".into(),
            message: c.cat.t("portal.err_office").into(),
        });
    }
    if !values
        .get("permintaan")
        .is_some_and(|v| valid_request_id(v, "web:"))
    {
        errors.push(FieldError {
            field: String::new(),
            message: c.cat.t("portal.expired").into(),
        });
    }
    let req = request(&values, &mut errors, &c, common::Channel::Web);
    if !errors.is_empty() {
        let page = form_page(&c, token.clone(), values, errors, None);
        return with_form_cookie(
            &c,
            views::render(StatusCode::UNPROCESSABLE_ENTITY, &page),
            &token,
            new,
        );
    }
    let bearer = match c.service.token() {
        Ok(t) => t,
        Err(e) => {
            tracing::error!(error = %e, "console: no service token");
            return unavailable(&c);
        }
    };
    let mut call = tonic::Request::new(req);
    if let Ok(v) = format!("Bearer {bearer}").parse() {
        call.metadata_mut().insert("authorization", v);
    }
    match IntakeServiceClient::new(c.intake.clone())
        .submit_complaint(call)
        .await
    {
        Ok(res) => {
            let Some(complaint) = res.into_inner().complaint else {
                return message(
                    &c,
                    StatusCode::BAD_GATEWAY,
                    "error.unavailable_title",
                    "error.unavailable_body",
                );
            };
            let office = c.refdata.office(&complaint.office_code);
            let tz = office
                .map(|o| o.time_zone.clone())
                .unwrap_or(jiff::tz::TimeZone::UTC);
            let received = complaint
                .received_at
                .as_ref()
                .and_then(aduan_runtime::time::from_proto)
                .map(|t| i18n::date_time(t, &tz))
                .unwrap_or_default();
            let missing = complaint
                .unmet_requirements
                .iter()
                .map(|r| c.cat.t(requirement_key(*r)).to_string())
                .collect();
            let page = Receipt {
                page: Page::public(&c.cat, "receipt.title"),
                registration_number: complaint.registration_number,
                tracking_code: complaint.tracking_code,
                office_name: office.map(|o| o.name.clone()).unwrap_or_default(),
                received,
                missing,
            };
            views::render(StatusCode::OK, &page)
        }
        Err(status) if status.code() == Code::InvalidArgument => {
            let errors = violation_errors(&c, &status);
            let page = form_page(&c, token.clone(), values, errors, None);
            with_form_cookie(
                &c,
                views::render(StatusCode::UNPROCESSABLE_ENTITY, &page),
                &token,
                new,
            )
        }
        Err(status) => {
            tracing::warn!(code = ?status.code(), "console: a web submission was not registered");
            let key = if status.code() == Code::ResourceExhausted {
                "portal.busy"
            } else {
                "portal.unavailable"
            };
            let page = form_page(
                &c,
                token.clone(),
                values,
                Vec::new(),
                Some(c.cat.t(key).into()),
            );
            with_form_cookie(
                &c,
                views::render(StatusCode::SERVICE_UNAVAILABLE, &page),
                &token,
                new,
            )
        }
    }
}

/// The form's errors of an INVALID_ARGUMENT from intake: one per form field, in Indonesian
/// (intake's own descriptions are English and name fields by their proto paths).
pub(crate) fn violation_errors(c: &Console, status: &tonic::Status) -> Vec<FieldError> {
    let mut errors: Vec<FieldError> = Vec::new();
    if let Some(bad) = status.get_details_bad_request() {
        for v in bad.field_violations {
            let (field, key) = form_field(&v.field);
            if !errors.iter().any(|e| e.field == field) {
                errors.push(FieldError {
                    field: field.into(),
                    message: c.cat.t(key).into(),
                });
            }
        }
    }
    if errors.is_empty() {
        errors.push(FieldError {
            field: String::new(),
            message: c.cat.t("portal.err_other").into(),
        });
    }
    errors
}

/// The catalogue key explaining a requirement to a citizen.
pub(crate) fn requirement_key(r: i32) -> &'static str {
    use common::Requirement as R;
    match R::try_from(r).unwrap_or(R::Unspecified) {
        R::R1Clear => "req.r1",
        R::R2Identity => "req.r2",
        R::R3Object => "req.r3",
        R::R4WhenWhereChronology => "req.r4",
        R::R5OfficeService => "req.r5",
        R::R6AddressedToOffice => "req.r6",
        R::Unspecified => "req.other",
    }
}

/// The query of `/lacak?kode=…`.
#[derive(serde::Deserialize)]
pub struct TrackQuery {
    kode: Option<String>,
}

/// A tracking code as typed, without spaces and dashes, upper case; None when it cannot be one.
fn normalize(raw: &str) -> Option<String> {
    let code: String = raw
        .chars()
        .filter(|c| !matches!(c, ' ' | '-'))
        .map(|c| c.to_ascii_uppercase())
        .collect();
    (code.len() == 12 && code.bytes().all(|b| b.is_ascii_alphanumeric())).then_some(code)
}

/// A code as printed on the receipt (`XXXX-XXXX-XXXX`), else as typed (at most 20 characters).
fn display_code(code: &str) -> String {
    match normalize(code) {
        Some(c) => format!("{}-{}-{}", &c[0..4], &c[4..8], &c[8..12]),
        None => code.chars().take(20).collect(),
    }
}

/// GET `/lacak`: the form; with `?kode=` (the form without script), the code's page.
pub async fn track_form(State(c): State<Arc<Console>>, Query(q): Query<TrackQuery>) -> Response {
    if let Some(raw) = q.kode.as_deref().filter(|s| !s.trim().is_empty()) {
        return match normalize(raw) {
            Some(code) => Redirect::to(&format!("/lacak/{code}")).into_response(),
            None => track_page(
                &c,
                StatusCode::UNPROCESSABLE_ENTITY,
                raw,
                None,
                Some("track.invalid"),
            ),
        };
    }
    track_page(&c, StatusCode::OK, "", None, None)
}

fn track_page(
    c: &Console,
    status: StatusCode,
    code: &str,
    result: Option<TrackResult>,
    notice: Option<&str>,
) -> Response {
    views::render(
        status,
        &Track {
            page: Page::public(&c.cat, "track.title"),
            code: display_code(code),
            result,
            notice: notice.map(|k| c.cat.t(k).to_string()),
        },
    )
}

/// The public's steps of the standard, and where a status stands on them.
const STEPS: [&str; 6] = [
    "track.step_registered",
    "track.step_screened",
    "track.step_disposed",
    "track.step_handling",
    "track.step_answered",
    "track.step_closed",
];

fn step_of(s: common::ComplaintStatus) -> (usize, Option<&'static str>) {
    use common::ComplaintStatus as S;
    match s {
        S::Unspecified | S::Registered => (0, None),
        S::NeedsInformation => (0, Some("track.note_needs_information")),
        S::Accepted | S::AwaitingDisposition => (1, None),
        S::Rejected => (1, Some("track.note_rejected")),
        S::Transferred => (1, Some("track.note_transferred")),
        S::ReferredOut => (1, Some("track.note_referred")),
        S::Duplicate => (1, Some("track.note_duplicate")),
        S::Disposed => (2, None),
        S::InHandling => (3, None),
        S::ResponseReady | S::ResponseDelivered => (4, None),
        S::Reporting | S::Closed => (5, None),
    }
}

pub(crate) fn status_key(s: common::ComplaintStatus) -> &'static str {
    use common::ComplaintStatus as S;
    match s {
        S::Unspecified | S::Registered => "status.registered",
        S::NeedsInformation => "status.needs_information",
        S::Accepted => "status.accepted",
        S::Rejected => "status.rejected",
        S::Transferred => "status.transferred",
        S::ReferredOut => "status.referred_out",
        S::Duplicate => "status.duplicate",
        S::AwaitingDisposition => "status.awaiting_disposition",
        S::Disposed => "status.disposed",
        S::InHandling => "status.in_handling",
        S::ResponseReady => "status.response_ready",
        S::ResponseDelivered => "status.response_delivered",
        S::Reporting => "status.reporting",
        S::Closed => "status.closed",
    }
}

/// GET `/lacak/<code>`: status and dates, never personal data. The console keeps its own limit
/// per client address and forwards the address to intake, which limits again.
pub async fn track(
    State(c): State<Arc<Console>>,
    peer: Peer,
    headers: HeaderMap,
    Path(raw): Path<String>,
) -> Response {
    let Some(code) = normalize(&raw) else {
        return track_page(
            &c,
            StatusCode::UNPROCESSABLE_ENTITY,
            &raw,
            None,
            Some("track.invalid"),
        );
    };
    let client = c.client(peer.0, &headers);
    if let Some(ip) = client
        && !c.track_limiter.check(&ip)
    {
        return track_page(
            &c,
            StatusCode::TOO_MANY_REQUESTS,
            &code,
            None,
            Some("track.busy"),
        );
    }
    let mut call = tonic::Request::new(pb::TrackComplaintRequest {
        tracking_code: code.clone(),
    });
    if let Some(ip) = client
        && let Ok(v) = ip.to_string().parse()
    {
        call.metadata_mut().insert("x-forwarded-for", v);
    }
    match IntakeServiceClient::new(c.intake.clone())
        .track_complaint(call)
        .await
    {
        Ok(res) => {
            let r = res.into_inner();
            let office = c.refdata.office(&r.office_code);
            let tz = office
                .map(|o| o.time_zone.clone())
                .unwrap_or(jiff::tz::TimeZone::UTC);
            let when = |t: &Option<prost_types::Timestamp>| {
                t.as_ref()
                    .and_then(aduan_runtime::time::from_proto)
                    .map(|t| i18n::date_time(t, &tz))
                    .unwrap_or_else(|| "-".into())
            };
            let status = common::ComplaintStatus::try_from(r.status)
                .unwrap_or(common::ComplaintStatus::Unspecified);
            let (at, note) = step_of(status);
            let finished = matches!(status, common::ComplaintStatus::Closed);
            let steps = STEPS
                .iter()
                .enumerate()
                .map(|(i, k)| {
                    let state = if i < at || (i == at && finished) {
                        "done"
                    } else if i == at {
                        "now"
                    } else {
                        "todo"
                    };
                    (c.cat.t(k).to_string(), state)
                })
                .collect();
            let result = TrackResult {
                office_name: office.map(|o| o.name.clone()).unwrap_or_default(),
                status_label: c.cat.t(status_key(status)).to_string(),
                status_note: note.map(|k| c.cat.t(k).to_string()),
                steps,
                received: when(&r.received_at),
                registered: when(&r.registered_at),
                updated: when(&r.updated_at),
            };
            track_page(&c, StatusCode::OK, &code, Some(result), None)
        }
        Err(s) if matches!(s.code(), Code::NotFound | Code::InvalidArgument) => track_page(
            &c,
            StatusCode::NOT_FOUND,
            &code,
            None,
            Some("track.not_found"),
        ),
        Err(s) if s.code() == Code::ResourceExhausted => track_page(
            &c,
            StatusCode::TOO_MANY_REQUESTS,
            &code,
            None,
            Some("track.busy"),
        ),
        Err(s) => {
            tracing::warn!(code = ?s.code(), "console: tracking failed");
            track_page(
                &c,
                StatusCode::SERVICE_UNAVAILABLE,
                &code,
                None,
                Some("track.unavailable"),
            )
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tracking_codes_are_normalised_for_the_path() {
        assert_eq!(normalize("abcd-efgh-2345").as_deref(), Some("ABCDEFGH2345"));
        assert_eq!(
            normalize(" ABCD EFGH 2345 ").as_deref(),
            Some("ABCDEFGH2345")
        );
        assert_eq!(normalize("ABCD"), None);
        assert_eq!(normalize("ABCD-EFGH-234/"), None);
        assert_eq!(normalize("<script>alert"), None);
    }

    #[test]
    fn every_violation_path_maps_to_a_field_or_the_summary() {
        assert_eq!(form_field("reporter.nik").0, "nik");
        assert_eq!(form_field("reporter.address.line").0, "alamat");
        assert_eq!(form_field("victims[0].nik").0, "");
    }

    #[test]
    fn request_ids_of_the_form_are_checked() {
        assert!(valid_request_id(
            "web:0123456789abcdef0123456789abcdef",
            "web:"
        ));
        assert!(!valid_request_id("web:", "web:"));
        assert!(!valid_request_id("web:a b", "web:"));
        assert!(!valid_request_id("other:abc", "web:"));
        assert!(valid_request_id("desk:abc", "desk:"));
    }
}
