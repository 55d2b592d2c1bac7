//! The front desk (S1-S3): a complaints officer registers a complaint received at the office,
//! by letter, telephone, fax or e-mail, with the officer's own token; the printable receipt
//! (tanda terima) carries the registration number, the tracking code and what R1-R6 still miss.

use std::collections::HashMap;
use std::sync::Arc;

use aduan_proto::common::v1 as common;
use aduan_proto::intake::v1 as pb;
use aduan_proto::intake::v1::intake_service_client::IntakeServiceClient;
use aduan_runtime::auth::Role;
use axum::extract::{Form, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use tonic::Code;

use crate::public::{self, forbidden, message, text, unavailable, valid_request_id};
use crate::staff::{bearer, roles_of, session, to_sign_in};
use crate::store::SessionRow;
use crate::views::{
    self, CheckFragment, CheckPanel, Choice, FieldError, Missing, MissingLine, Page, PortalForm,
};
use crate::{Console, i18n};

/// The channels of the front desk, with their catalogue keys.
const CHANNELS: [(common::Channel, &str, &str); 5] = [
    (common::Channel::WalkIn, "walk_in", "desk.channel_walk_in"),
    (common::Channel::Letter, "letter", "desk.channel_letter"),
    (common::Channel::Phone, "phone", "desk.channel_phone"),
    (common::Channel::Fax, "fax", "desk.channel_fax"),
    (common::Channel::Email, "email", "desk.channel_email"),
];

fn page<'a>(
    c: &'a Console,
    s: &SessionRow,
    values: HashMap<String, String>,
    errors: Vec<FieldError>,
    notice: Option<String>,
) -> PortalForm<'a> {
    let picked = values
        .get("saluran")
        .cloned()
        .unwrap_or_else(|| "walk_in".into());
    let category = values.get("kategori").cloned().unwrap_or_default();
    let mut page = Page::staff(&c.cat, "desk.title", s);
    // The R1-R6 panel updates as the officer types (htmx); without script, its button.
    page.htmx = true;
    PortalForm {
        page,
        desk: true,
        action: "/staf/pengaduan/baru",
        channels: CHANNELS
            .iter()
            .map(|(_, code, key)| -> Choice {
                (code.to_string(), c.cat.t(key).to_string(), *code == picked)
            })
            .collect(),
        csrf: s.csrf.clone(),
        request_id: values
            .get("permintaan")
            .filter(|v| valid_request_id(v, "desk:"))
            .cloned()
            .unwrap_or_else(|| format!("desk:{}", uuid::Uuid::new_v4().simple())),
        offices: Vec::new(),
        categories: public::categories(c, &category),
        values,
        errors,
        notice,
        check: None,
    }
}

/// The officer's session, or the answer to give instead (sign-in, password change, 403).
async fn officer(c: &Console, headers: &HeaderMap) -> Result<SessionRow, Response> {
    let Some(s) = session(c, headers).await else {
        return Err(to_sign_in());
    };
    if s.user.must_change_password {
        return Err(Redirect::to("/staf/sandi").into_response());
    }
    if !roles_of(&s).contains(&Role::ComplaintsOfficer) {
        return Err(forbidden(c));
    }
    Ok(s)
}

/// The officer's session for a form they posted, its CSRF token checked.
async fn officer_form(
    c: &Console,
    headers: &HeaderMap,
    values: &HashMap<String, String>,
) -> Result<SessionRow, Response> {
    let s = officer(c, headers).await?;
    if !values
        .get("csrf")
        .is_some_and(|v| crate::security::same(v, &s.csrf))
    {
        return Err(message(
            c,
            StatusCode::FORBIDDEN,
            "error.forbidden_title",
            "error.csrf_body",
        ));
    }
    Ok(s)
}

/// GET `/staf/pengaduan/baru`.
pub async fn form(State(c): State<Arc<Console>>, headers: HeaderMap) -> Response {
    match officer(&c, &headers).await {
        Ok(s) => views::render(
            StatusCode::OK,
            &page(&c, &s, HashMap::new(), Vec::new(), None),
        ),
        Err(r) => r,
    }
}

fn civil_date(raw: &str) -> Option<common::Date> {
    raw.parse::<jiff::civil::Date>().ok().map(|d| common::Date {
        year: i32::from(d.year()),
        month: i32::from(d.month()),
        day: i32::from(d.day()),
    })
}

/// POST `/staf/pengaduan/baru`: registers with the officer's token (intake checks the office,
/// the channel and every field again).
pub async fn submit(
    State(c): State<Arc<Console>>,
    headers: HeaderMap,
    Form(values): Form<HashMap<String, String>>,
) -> Response {
    let s = match officer_form(&c, &headers, &values).await {
        Ok(s) => s,
        Err(r) => return r,
    };
    let mut errors = Vec::new();
    let err = |field: &str, key: &str| FieldError {
        field: field.into(),
        message: c.cat.t(key).into(),
    };
    if values.values().any(|v| v.len() > 10_000) {
        errors.push(err("", "portal.err_long"));
    }
    if values
        .get("permintaan")
        .is_none_or(|v| !valid_request_id(v, "desk:"))
    {
        errors.push(err("", "portal.expired"));
    }
    let tz = c.tz(&s.user.office_code);
    let req = desk_request(&c, &s, &values, &mut errors);
    if !errors.is_empty() {
        return views::render(
            StatusCode::UNPROCESSABLE_ENTITY,
            &page(&c, &s, values, errors, None),
        );
    }
    let call = match bearer(&s, req) {
        Ok(r) => r,
        Err(_) => {
            return unavailable(&c);
        }
    };
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
            let when = |t: &Option<prost_types::Timestamp>| {
                t.as_ref()
                    .and_then(aduan_runtime::time::from_proto)
                    .map(|t| i18n::date_time(t, &tz))
                    .unwrap_or_default()
            };
            let missing = complaint
                .requirements
                .iter()
                .filter(|r| !r.met)
                .map(|r| {
                    let hint = if r.hint.is_empty() {
                        c.cat.t(public::requirement_key(r.requirement)).to_string()
                    } else {
                        r.hint.clone()
                    };
                    format!("R{}: {hint}", r.requirement)
                })
                .collect();
            let channel_label = CHANNELS
                .iter()
                .find(|(ch, _, _)| *ch as i32 == complaint.channel)
                .map(|(_, _, k)| c.cat.t(k).to_string())
                .unwrap_or_default();
            let reporter = complaint
                .reporter
                .as_ref()
                .map(|p| p.full_name.clone())
                .filter(|n| !n.is_empty())
                .unwrap_or_else(|| c.cat.t("desk.no_name").to_string());
            views::render(
                StatusCode::OK,
                &views::DeskReceipt {
                    page: Page::staff(&c.cat, "desk.receipt_title", &s),
                    office_name: c
                        .refdata
                        .office(&complaint.office_code)
                        .map(|o| o.name.clone())
                        .unwrap_or_default(),
                    id: complaint.id.clone(),
                    registration_number: complaint.registration_number,
                    tracking_code: complaint.tracking_code,
                    channel: channel_label,
                    received: when(&complaint.received_at),
                    registered: when(&complaint.registered_at),
                    reporter,
                    officer: s.user.display_name.clone(),
                    missing,
                },
            )
        }
        Err(status) if status.code() == Code::InvalidArgument => {
            let errors = public::violation_errors(&c, &status);
            views::render(
                StatusCode::UNPROCESSABLE_ENTITY,
                &page(&c, &s, values, errors, None),
            )
        }
        Err(status) => {
            tracing::warn!(code = ?status.code(), "console: a desk registration failed");
            let key = if status.code() == Code::ResourceExhausted {
                "portal.busy"
            } else {
                "portal.unavailable"
            };
            let notice = Some(c.cat.t(key).to_string());
            views::render(
                StatusCode::SERVICE_UNAVAILABLE,
                &page(&c, &s, values, Vec::new(), notice),
            )
        }
    }
}

/// The request the desk form describes (also for the check): the officer's office, the
/// channel, the time received and the letter.
fn desk_request(
    c: &Console,
    s: &SessionRow,
    values: &HashMap<String, String>,
    errors: &mut Vec<FieldError>,
) -> pb::SubmitComplaintRequest {
    let err = |field: &str, key: &str| FieldError {
        field: field.into(),
        message: c.cat.t(key).into(),
    };
    let channel = CHANNELS
        .iter()
        .find(|(_, code, _)| values.get("saluran").is_some_and(|v| v == code))
        .map(|(ch, _, _)| *ch);
    if channel.is_none() {
        errors.push(err("saluran", "desk.err_channel"));
    }
    let tz = c.tz(&s.user.office_code);
    let received = text(values, "diterima");
    let received_at = if received.is_empty() {
        None
    } else {
        match received
            .parse::<jiff::civil::DateTime>()
            .ok()
            .and_then(|dt| dt.to_zoned(tz.clone()).ok())
        {
            Some(z) => Some(aduan_runtime::time::to_proto(z.timestamp())),
            None => {
                errors.push(err("diterima", "desk.err_received"));
                None
            }
        }
    };
    let written = matches!(
        channel,
        Some(common::Channel::Letter | common::Channel::Fax)
    );
    let letter_date = text(values, "surat_tanggal");
    let letter = written.then(|| pb::LetterDetails {
        number: text(values, "surat_nomor"),
        date: civil_date(&letter_date),
        addressee: text(values, "surat_kepada"),
        addressed_to_office: values.get("surat_untuk_kantor").is_some_and(|v| v == "ya"),
        subject: text(values, "surat_perihal"),
    });
    if written && !letter_date.is_empty() && civil_date(&letter_date).is_none() {
        errors.push(err("surat_tanggal", "desk.err_letter_date"));
    }
    let mut req = public::request(
        values,
        errors,
        c,
        channel.unwrap_or(common::Channel::WalkIn),
    );
    req.office_code = s.user.office_code.clone();
    req.received_at = received_at;
    req.letter = letter;
    req
}

/// POST `/staf/pengaduan/periksa`: R1-R6 of the form as it stands and the repeat-complainant
/// hint, from intake's CheckComplaint (nothing is registered). An htmx request gets the panel
/// alone; a plain form post gets the whole form back with the panel filled.
pub async fn check(
    State(c): State<Arc<Console>>,
    headers: HeaderMap,
    Form(values): Form<HashMap<String, String>>,
) -> Response {
    let s = match officer_form(&c, &headers, &values).await {
        Ok(s) => s,
        Err(r) => return r,
    };
    let mut errors = Vec::new();
    let panel = if values.values().any(|v| v.len() > 10_000) {
        CheckPanel {
            lines: Vec::new(),
            prior: 0,
            prior_text: String::new(),
            problems: vec![c.cat.t("portal.err_long").to_string()],
        }
    } else {
        let req = desk_request(&c, &s, &values, &mut errors);
        let mut problems: Vec<String> = errors.iter().map(|e| e.message.clone()).collect();
        let answer = match bearer(&s, req) {
            Ok(call) => IntakeServiceClient::new(c.intake.clone())
                .check_complaint(call)
                .await
                .map(|r| r.into_inner()),
            Err(_) => Err(tonic::Status::unavailable("token")),
        };
        match answer {
            Ok(a) => CheckPanel {
                lines: a
                    .requirements
                    .iter()
                    .map(|r| {
                        (
                            format!("R{}: {}", r.requirement, c.cat.t(req_name(r.requirement))),
                            r.met,
                            r.hint.clone(),
                        )
                    })
                    .collect(),
                prior: a.prior_complaints,
                prior_text: c
                    .cat
                    .t(if a.prior_complaints >= 100 {
                        "desk.repeat_many"
                    } else {
                        "desk.repeat"
                    })
                    .replace("{n}", &i18n::number(i64::from(a.prior_complaints))),
                problems,
            },
            Err(st) => {
                if st.code() == Code::InvalidArgument {
                    errors = public::violation_errors(&c, &st);
                    problems.extend(errors.iter().map(|e| e.message.clone()));
                } else {
                    tracing::warn!(code = ?st.code(), "console: the desk's check failed");
                    problems.push(c.cat.t("desk.check_unavailable").to_string());
                }
                CheckPanel {
                    lines: Vec::new(),
                    prior: 0,
                    prior_text: String::new(),
                    problems,
                }
            }
        }
    };
    if headers.get("hx-request").is_some_and(|v| v == "true") {
        return views::render(
            StatusCode::OK,
            &CheckFragment {
                page: Page::staff(&c.cat, "desk.title", &s),
                check: Some(panel),
            },
        );
    }
    let mut form = page(&c, &s, values, errors, None);
    form.check = Some(panel);
    views::render(StatusCode::OK, &form)
}

/// The short name of a requirement (the desk's panel).
fn req_name(r: i32) -> &'static str {
    match r {
        1 => "desk.req_r1",
        2 => "desk.req_r2",
        3 => "desk.req_r3",
        4 => "desk.req_r4",
        5 => "desk.req_r5",
        6 => "desk.req_r6",
        _ => "req.other",
    }
}

/// `?halaman=` of the S9 list: intake's page token.
#[derive(serde::Deserialize, Default)]
pub struct PageQuery {
    halaman: Option<String>,
}

/// GET `/staf/pengaduan/kurang`: the office's registered complaints still missing a
/// requirement (the S9 interview list), newest first, 50 a page.
pub async fn missing(
    State(c): State<Arc<Console>>,
    headers: HeaderMap,
    axum::extract::Query(q): axum::extract::Query<PageQuery>,
) -> Response {
    let Some(s) = session(&c, &headers).await else {
        return to_sign_in();
    };
    if s.user.must_change_password {
        return Redirect::to("/staf/sandi").into_response();
    }
    let roles = roles_of(&s);
    if !roles.contains(&Role::ComplaintsOfficer) && !roles.contains(&Role::Head) {
        return forbidden(&c);
    }
    let tz = c.tz(&s.user.office_code);
    let req = pb::ListComplaintsRequest {
        office_code: s.user.office_code.clone(),
        unmet_requirements: (1..=6).collect(),
        statuses: vec![common::ComplaintStatus::Registered as i32],
        page_size: 50,
        page_token: q.halaman.unwrap_or_default().chars().take(200).collect(),
        ..Default::default()
    };
    let answer = match bearer(&s, req) {
        Ok(call) => IntakeServiceClient::new(c.intake.clone())
            .list_complaints(call)
            .await
            .map(|r| r.into_inner()),
        Err(_) => Err(tonic::Status::unavailable("token")),
    };
    let page = Page::staff(&c.cat, "missing.title", &s);
    match answer {
        Ok(a) => views::render(
            StatusCode::OK,
            &Missing {
                page,
                lines: a
                    .complaints
                    .into_iter()
                    .map(|x| MissingLine {
                        category: c
                            .refdata
                            .category(&x.category_code)
                            .map(|k| k.label.clone())
                            .unwrap_or_else(|| "-".into()),
                        received: x
                            .received_at
                            .as_ref()
                            .and_then(aduan_runtime::time::from_proto)
                            .map(|t| i18n::date_time(t, &tz))
                            .unwrap_or_default(),
                        missing: x
                            .unmet_requirements
                            .iter()
                            .map(|r| format!("R{r}"))
                            .collect::<Vec<_>>()
                            .join(", "),
                        id: x.id,
                        registration_number: x.registration_number,
                    })
                    .collect(),
                // Percent-encoded for the link's query.
                next: a
                    .next_page_token
                    .bytes()
                    .map(|b| match b {
                        b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' => {
                            (b as char).to_string()
                        }
                        _ => format!("%{b:02X}"),
                    })
                    .collect(),
                notice: None,
            },
        ),
        Err(st) if st.code() == Code::InvalidArgument => {
            Redirect::to("/staf/pengaduan/kurang").into_response()
        }
        Err(st) => {
            tracing::warn!(code = ?st.code(), "console: the S9 list is unavailable");
            views::render(
                StatusCode::SERVICE_UNAVAILABLE,
                &Missing {
                    page,
                    lines: Vec::new(),
                    next: String::new(),
                    notice: Some(c.cat.t("missing.unavailable").to_string()),
                },
            )
        }
    }
}
