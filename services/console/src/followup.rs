//! The follow-up of a complaint once its response is approved (issue 15): delivery of the
//! response (S13), the complainant's feedback and the satisfaction survey (S14), the handling
//! report's draft, review and distribution (S15-S16) and the complaint's timeline across the
//! five services.
//!
//! Paths: `/staf/tindak-lanjut` (the office's follow-up queue), `/staf/tindak-lanjut/<id>` (one
//! complaint), and its steps `/penyampaian` (S13), `/umpan-balik` (S14), `/laporan` (S15
//! draft), `/laporan/setujui` and `/laporan/kembalikan` (S15 review), `/laporan/kirim` (S16),
//! `/laporan.pdf` (the report as PDF), `/survei` (the SKM form the citizen fills in at the desk,
//! which shows nothing of the case).
//!
//! Feedback's record is read with the purpose "S13-S14" (its access log); reporting keeps no
//! personal data, and the report's PDF reads the investigation's findings with the reader's own
//! token and purpose.

use std::collections::HashMap;
use std::sync::Arc;

use aduan_proto::common::v1::{Channel, ComplaintStatus};
use aduan_proto::feedback::v1 as fpb;
use aduan_proto::feedback::v1::feedback_service_client::FeedbackServiceClient;
use aduan_proto::reporting::v1 as rpb;
use aduan_proto::reporting::v1::reporting_service_client::ReportingServiceClient;
use aduan_runtime::auth::Role;
use axum::extract::{Form, Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use tonic::Code;

use crate::bidang::{choices, label_of};
use crate::case::{
    Fields, Refused, err, field, not_found, posted_by, refused, role_label, staff, valid_id,
    values_of, when,
};
use crate::public::{forbidden, message, status_key, unavailable};
use crate::staff::{bearer, roles_of};
use crate::store::SessionRow;
use crate::views::{self, FieldError, Page};
use crate::{Console, i18n};

/// Why the page reads feedback's record (feedback's access log).
const PURPOSE: &str = "S13-S16: tindak lanjut pengaduan (halaman tindak lanjut di konsol)";
/// Why the report's PDF reads the investigation's findings (investigation's access log).
const PDF_PURPOSE: &str = "S15-S16: laporan hasil penanganan (PDF dari konsol)";

/// The channels a response or a report is delivered by (S13, S16), with their form codes.
const CHANNELS: [(Channel, &str, &str); 5] = [
    (Channel::WalkIn, "langsung", "tindak.channel_walk_in"),
    (Channel::Letter, "surat", "tindak.channel_letter"),
    (Channel::Phone, "telepon", "tindak.channel_phone"),
    (Channel::Email, "surel", "tindak.channel_email"),
    (Channel::Web, "daring", "tindak.channel_web"),
];

/// Grounds of dissatisfaction (S14).
const GROUNDS: [(fpb::Ground, &str, &str); 5] = [
    (
        fpb::Ground::NotAnswered,
        "tidak_menjawab",
        "tindak.ground_not_answered",
    ),
    (
        fpb::Ground::Incorrect,
        "tidak_benar",
        "tindak.ground_incorrect",
    ),
    (fpb::Ground::TooSlow, "terlambat", "tindak.ground_too_slow"),
    (
        fpb::Ground::NotFollowedUp,
        "tidak_ditindaklanjuti",
        "tindak.ground_not_followed_up",
    ),
    (fpb::Ground::Other, "lain", "tindak.ground_other"),
];

/// Why a report's draft is returned (S15).
const RETURN_REASONS: [(rpb::ReturnReason, &str, &str); 4] = [
    (
        rpb::ReturnReason::IncompleteFindings,
        "temuan",
        "tindak.return_incomplete",
    ),
    (
        rpb::ReturnReason::RecommendationUnfit,
        "rekomendasi",
        "tindak.return_unfit",
    ),
    (
        rpb::ReturnReason::Recipients,
        "penerima",
        "tindak.return_recipients",
    ),
    (rpb::ReturnReason::Other, "lain", "tindak.return_other"),
];

/// The nine elements of the SKM (PermenPAN-RB No. 14 Tahun 2017), U1-U9, with their questions.
const ELEMENTS: [&str; 9] = [
    "survei.u1",
    "survei.u2",
    "survei.u3",
    "survei.u4",
    "survei.u5",
    "survei.u6",
    "survei.u7",
    "survei.u8",
    "survei.u9",
];

/// The services a survey is about: the complaint service, or PUSPAGA's counselling.
pub(crate) const SERVICES: [(&str, &str); 2] = [
    ("pengaduan", "survei.service_pengaduan"),
    ("puspaga_konsultasi_konseling", "survei.service_puspaga"),
];

pub(crate) fn code_of<E: Copy + Into<i32>>(table: &[(E, &str, &str)], code: &str) -> Option<i32> {
    table
        .iter()
        .find(|(_, k, _)| *k == code)
        .map(|(e, _, _)| (*e).into())
}

/// Who may do what on the page.
struct May {
    deliver: bool,
    draft: bool,
    review: bool,
    distribute: bool,
}

fn may(roles: &[Role]) -> May {
    let any = |rs: &[Role]| roles.iter().any(|r| rs.contains(r));
    May {
        deliver: any(&[
            Role::ComplaintsOfficer,
            Role::BidangHead,
            Role::BidangOfficer,
        ]),
        draft: roles.iter().any(|r| r.is_bidang()) || roles.contains(&Role::Head),
        review: any(&[Role::BidangHead, Role::Head]),
        distribute: any(&[
            Role::ComplaintsOfficer,
            Role::Head,
            Role::ReportingOfficer,
            Role::BidangHead,
            Role::BidangOfficer,
        ]),
    }
}

/// Who may open the follow-up pages at all.
fn may_read(roles: &[Role]) -> bool {
    roles.iter().any(|r| {
        r.is_bidang()
            || matches!(
                r,
                Role::ComplaintsOfficer | Role::Head | Role::ReportingOfficer
            )
    })
}

/// The roles that read feedback's queue and records (the reporting officer does not).
fn reads_feedback(roles: &[Role]) -> bool {
    roles
        .iter()
        .any(|r| r.is_bidang() || matches!(r, Role::ComplaintsOfficer | Role::Head))
}

fn feedback(c: &Console) -> FeedbackServiceClient<tonic::transport::Channel> {
    FeedbackServiceClient::new(c.feedback.clone())
}

fn reporting(c: &Console) -> ReportingServiceClient<tonic::transport::Channel> {
    ReportingServiceClient::new(c.reporting.clone())
}

/// GET `/staf/tindak-lanjut`: the office's follow-up queue: responses to deliver, feedback
/// awaited, reports to draft, review and distribute.
pub async fn queue(State(c): State<Arc<Console>>, headers: HeaderMap) -> Response {
    let s = match staff(&c, &headers).await {
        Ok(s) => s,
        Err(r) => return r,
    };
    let roles = roles_of(&s);
    if !may_read(&roles) {
        return forbidden(&c);
    }
    let tz = c.tz(&s.user.office_code);
    let office = s.user.office_code.clone();
    // Feedback's queue (reporting officers have none), and reporting's, asked at once.
    let fb = async {
        if reads_feedback(&roles)
            && let Ok(req) = bearer(
                &s,
                fpb::ListCasesRequest {
                    office_code: office.clone(),
                    page_size: 200,
                    ..Default::default()
                },
            )
        {
            return feedback(&c).list_cases(req).await.map(|r| r.into_inner());
        }
        Ok(fpb::ListCasesResponse::default())
    };
    let rp = async {
        match bearer(
            &s,
            rpb::ListHandlingReportsRequest {
                office_code: office.clone(),
                page_size: 200,
                ..Default::default()
            },
        ) {
            Ok(req) => reporting(&c)
                .list_handling_reports(req)
                .await
                .map(|r| r.into_inner()),
            Err(_) => Err(tonic::Status::unavailable("no token")),
        }
    };
    let (fb, rp) = tokio::join!(fb, rp);
    let mut lines: Vec<views::FollowUpLine> = Vec::new();
    let mut more = false;
    let mut notice = None;
    match fb {
        Ok(r) => {
            more |= !r.next_page_token.is_empty();
            for e in r.entries {
                let status = ComplaintStatus::try_from(e.status).unwrap_or_default();
                // At the reporting stage the report's line says more.
                if status == ComplaintStatus::Reporting {
                    continue;
                }
                let (next, due) = match status {
                    ComplaintStatus::ResponseReady => (c.cat.t("tindak.next_deliver"), "-".into()),
                    ComplaintStatus::ResponseDelivered => (
                        c.cat.t("tindak.next_feedback"),
                        when(&e.silence_due_at, &tz),
                    ),
                    ComplaintStatus::InHandling => {
                        (c.cat.t("tindak.next_reopened"), "-".to_string())
                    }
                    _ => continue,
                };
                lines.push(views::FollowUpLine {
                    link: format!("/staf/tindak-lanjut/{}", e.complaint_id),
                    registration_number: short(&e.registration_number, &e.complaint_id),
                    bidang: bidang_name(&c, &e.bidang_code),
                    status: c.cat.t(status_key(status)).to_string(),
                    next: next.to_string(),
                    due,
                    sort: e.updated_at.map(|t| t.seconds).unwrap_or(0),
                });
            }
        }
        Err(st) => {
            tracing::warn!(code = ?st.code(), "console: feedback's queue is unavailable");
            notice = Some(c.cat.t("home.unavailable").to_string());
        }
    }
    match rp {
        Ok(r) => {
            more |= !r.next_page_token.is_empty();
            for h in r.reports {
                let state = rpb::ReportState::try_from(h.state).unwrap_or_default();
                let next = c.cat.t(match state {
                    rpb::ReportState::Unspecified => "tindak.next_report",
                    rpb::ReportState::Draft => "tindak.next_review",
                    rpb::ReportState::Returned => "tindak.next_redraft",
                    rpb::ReportState::Approved => "tindak.next_distribute",
                    rpb::ReportState::Distributed => continue,
                });
                lines.push(views::FollowUpLine {
                    link: format!("/staf/tindak-lanjut/{}", h.complaint_id),
                    registration_number: short(&h.registration_number, &h.complaint_id),
                    bidang: bidang_name(&c, &h.bidang_code),
                    status: c
                        .cat
                        .t(status_key(
                            ComplaintStatus::try_from(h.complaint_status).unwrap_or_default(),
                        ))
                        .to_string(),
                    next: next.to_string(),
                    due: "-".into(),
                    sort: h
                        .reviewed_at
                        .or(h.drafted_at)
                        .map(|t| t.seconds)
                        .unwrap_or(0),
                });
            }
        }
        Err(st) => {
            tracing::warn!(code = ?st.code(), "console: reporting's queue is unavailable");
            notice = Some(c.cat.t("home.unavailable").to_string());
        }
    }
    lines.sort_by_key(|l| std::cmp::Reverse(l.sort));
    let view = views::FollowUpQueue {
        page: Page::staff(&c.cat, "tindak.queue_title", &s),
        lines,
        more,
        notice,
    };
    views::render(StatusCode::OK, &view)
}

fn short(registration_number: &str, id: &str) -> String {
    if registration_number.is_empty() {
        id.chars().take(8).collect()
    } else {
        registration_number.to_string()
    }
}

fn bidang_name(c: &Console, code: &str) -> String {
    c.refdata
        .bidang(code)
        .map(|b| b.name.clone())
        .unwrap_or_else(|| code.to_string())
}

/// A form posted back with its values and problems.
#[derive(Default)]
struct Posted {
    form: &'static str,
    values: HashMap<String, String>,
    errors: Vec<FieldError>,
    notice: Option<String>,
}

const FORMS: [&str; 7] = [
    "penyampaian",
    "umpan-balik",
    "survei",
    "laporan",
    "setujui",
    "kembalikan",
    "kirim",
];

/// GET `/staf/tindak-lanjut/<id>[?selesai=<form>]`.
pub async fn show(
    State(c): State<Arc<Console>>,
    headers: HeaderMap,
    Path(id): Path<String>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let s = match staff(&c, &headers).await {
        Ok(s) => s,
        Err(r) => return r,
    };
    if !valid_id(&id) || !may_read(&roles_of(&s)) {
        return not_found(&c);
    }
    let notice = q
        .get("selesai")
        .filter(|f| FORMS.contains(&f.as_str()))
        .map(|f| {
            c.cat
                .t(&format!("tindak.done_{}", f.replace('-', "_")))
                .to_string()
        });
    page(
        &c,
        &s,
        &id,
        StatusCode::OK,
        Posted {
            notice,
            ..Default::default()
        },
    )
    .await
}

async fn page(
    c: &Console,
    s: &SessionRow,
    id: &str,
    status: StatusCode,
    posted: Posted,
) -> Response {
    let roles = roles_of(s);
    let may = may(&roles);
    let fb_req = bearer(
        s,
        fpb::GetCaseRequest {
            complaint_id: id.to_string(),
            purpose: PURPOSE.into(),
        },
    );
    let report_req = bearer(
        s,
        rpb::GetHandlingReportRequest {
            complaint_id: id.to_string(),
        },
    );
    let timeline_req = bearer(
        s,
        rpb::GetTimelineRequest {
            complaint_id: id.to_string(),
        },
    );
    let recipients_req = bearer(s, rpb::ListRecipientsRequest::default());
    let (Ok(fb_req), Ok(report_req), Ok(timeline_req), Ok(recipients_req)) =
        (fb_req, report_req, timeline_req, recipients_req)
    else {
        return unavailable(c);
    };
    let fb_call = async {
        if reads_feedback(&roles) {
            Some(feedback(c).get_case(fb_req).await.map(|r| r.into_inner()))
        } else {
            None
        }
    };
    let (fb, report, timeline, recipients) = tokio::join!(
        fb_call,
        async { reporting(c).get_handling_report(report_req).await },
        async { reporting(c).get_timeline(timeline_req).await },
        async { reporting(c).list_recipients(recipients_req).await },
    );
    let report = match report {
        Ok(r) => r.into_inner(),
        Err(st) if matches!(st.code(), Code::NotFound | Code::PermissionDenied) => {
            return not_found(c);
        }
        Err(st) => {
            tracing::warn!(code = ?st.code(), "console: the handling report is unavailable");
            return unavailable(c);
        }
    };
    let fb = match fb {
        Some(Ok(f)) => Some(f),
        Some(Err(st)) if matches!(st.code(), Code::NotFound | Code::PermissionDenied) => None,
        Some(Err(st)) => {
            tracing::warn!(code = ?st.code(), "console: the feedback record is unavailable");
            return unavailable(c);
        }
        None => None,
    };
    let timeline = match timeline {
        Ok(t) => Some(t.into_inner()),
        Err(st) => {
            tracing::warn!(code = ?st.code(), "console: the timeline is unavailable");
            None
        }
    };
    let agencies: Vec<(String, String)> = recipients
        .map(|r| {
            r.into_inner()
                .agencies
                .into_iter()
                .map(|a| (a.code, a.name))
                .collect()
        })
        .unwrap_or_default();
    let tz = c.tz(&report.office_code);
    let complaint_status = ComplaintStatus::try_from(report.complaint_status).unwrap_or_default();
    let fb_status = fb
        .as_ref()
        .map(|f| ComplaintStatus::try_from(f.status).unwrap_or_default());
    let state = rpb::ReportState::try_from(report.state).unwrap_or_default();
    let agency_name = |code: &str| {
        agencies
            .iter()
            .find(|(k, _)| k == code)
            .map(|(_, n)| n.clone())
            .unwrap_or_else(|| code.to_string())
    };
    let recommendation_name = |code: &str| {
        c.refdata
            .recommendation(code)
            .map(|r| r.label.clone())
            .unwrap_or_else(|| code.to_string())
    };
    // The parties the approved report may still go to: the complainant, the Head, its agencies.
    let mut recipients: Vec<(String, String)> = Vec::new();
    if matches!(
        state,
        rpb::ReportState::Approved | rpb::ReportState::Distributed
    ) {
        let got = |kind: rpb::RecipientKind, agency: &str| {
            report.distributions.iter().any(|d| {
                d.recipient_kind == kind as i32 && (agency.is_empty() || d.agency_code == agency)
            })
        };
        if !got(rpb::RecipientKind::Complainant, "") {
            recipients.push(("pengadu".into(), c.cat.t("tindak.to_complainant").into()));
        }
        if !got(rpb::RecipientKind::Head, "") {
            recipients.push(("kepala".into(), c.cat.t("tindak.to_head").into()));
        }
        for a in &report.agency_codes {
            if !got(rpb::RecipientKind::Agency, a) {
                recipients.push((format!("instansi:{a}"), agency_name(a)));
            }
        }
    }
    let now = jiff::Timestamp::now().to_zoned(tz.clone());
    let view = views::FollowUp {
        page: Page::staff(&c.cat, "tindak.title", s),
        csrf: s.csrf.clone(),
        id: id.to_string(),
        registration_number: short(&report.registration_number, id),
        bidang: bidang_name(c, &report.bidang_code),
        status: c.cat.t(status_key(complaint_status)).to_string(),
        bidang_link: roles.iter().any(|r| r.is_bidang()),
        feedback_read: fb.is_some(),
        responses: fb
            .as_ref()
            .map(|f| {
                f.responses
                    .iter()
                    .rev()
                    .map(|r| {
                        (
                            r.version,
                            outcome_text(c, &r.outcome_code),
                            when(&r.approved_at, &tz),
                        )
                    })
                    .collect()
            })
            .unwrap_or_default(),
        deliveries: fb
            .as_ref()
            .map(|f| {
                f.deliveries
                    .iter()
                    .rev()
                    .map(|d| views::DeliveryLine {
                        version: d.version,
                        channel: label_of(c, &CHANNELS, d.channel),
                        at: when(&d.delivered_at, &tz),
                        by: d
                            .recorded_by
                            .as_ref()
                            .map(|a| role_label(c, &a.role))
                            .unwrap_or_default(),
                        note: d.note.clone(),
                    })
                    .collect()
            })
            .unwrap_or_default(),
        feedback: fb
            .as_ref()
            .map(|f| {
                f.feedback
                    .iter()
                    .rev()
                    .map(|x| views::FeedbackLine {
                        version: x.version,
                        satisfied: x.satisfied,
                        grounds: x
                            .grounds
                            .iter()
                            .map(|g| label_of(c, &GROUNDS, *g))
                            .collect::<Vec<_>>()
                            .join(", "),
                        comments: x.comments.clone(),
                        at: when(&x.given_at, &tz),
                        reopened: x.reopened,
                    })
                    .collect()
            })
            .unwrap_or_default(),
        silence_due: fb
            .as_ref()
            .map(|f| when(&f.silence_due_at, &tz))
            .unwrap_or_default(),
        survey_done: fb.as_ref().is_some_and(|f| !f.survey_id.is_empty()),
        can_deliver: may.deliver && fb_status == Some(ComplaintStatus::ResponseReady),
        can_feedback: may.deliver && fb_status == Some(ComplaintStatus::ResponseDelivered),
        can_survey: may.deliver
            && fb
                .as_ref()
                .is_some_and(|f| f.survey_id.is_empty() && !f.deliveries.is_empty()),
        report_state: c
            .cat
            .t(match state {
                rpb::ReportState::Unspecified => "tindak.report_none",
                rpb::ReportState::Draft => "tindak.report_draft",
                rpb::ReportState::Returned => "tindak.report_returned",
                rpb::ReportState::Approved => "tindak.report_approved",
                rpb::ReportState::Distributed => "tindak.report_distributed",
            })
            .to_string(),
        report_number: report.report_number.clone(),
        report_revision: report.revision,
        report_pdf: report.revision > 0,
        recommendations_chosen: report
            .recommendation_codes
            .iter()
            .map(|r| recommendation_name(r))
            .collect(),
        agencies_chosen: report.agency_codes.iter().map(|a| agency_name(a)).collect(),
        return_reason: if state == rpb::ReportState::Returned {
            label_of(c, &RETURN_REASONS, report.return_reason)
        } else {
            String::new()
        },
        drafted: when(&report.drafted_at, &tz),
        reviewed: when(&report.reviewed_at, &tz),
        distributions: report
            .distributions
            .iter()
            .map(|d| {
                (
                    d.recipient_name.clone(),
                    label_of(c, &CHANNELS, d.channel),
                    when(&d.delivered_at, &tz),
                )
            })
            .collect(),
        can_draft: may.draft
            && (matches!(state, rpb::ReportState::Returned)
                || (state == rpb::ReportState::Unspecified
                    && matches!(
                        complaint_status,
                        ComplaintStatus::Reporting | ComplaintStatus::Closed
                    ))),
        can_review: may.review && state == rpb::ReportState::Draft,
        can_distribute: may.distribute && !recipients.is_empty(),
        recommendations: c
            .refdata
            .recommendations()
            .iter()
            .map(|r| {
                (
                    r.code.clone(),
                    r.label.clone(),
                    report.recommendation_codes.contains(&r.code),
                )
            })
            .collect(),
        agencies: agencies
            .iter()
            .map(|(k, n)| (k.clone(), n.clone(), report.agency_codes.contains(k)))
            .collect(),
        recipients,
        channels: choices(c, &CHANNELS),
        grounds: choices(c, &GROUNDS),
        return_reasons: choices(c, &RETURN_REASONS),
        timeline: timeline
            .map(|t| crate::case::timeline_rows(c, &t, &tz))
            .unwrap_or_default(),
        now: now.strftime("%Y-%m-%dT%H:%M").to_string(),
        form: posted.form,
        values: posted.values,
        errors: posted.errors,
        notice: posted.notice,
        tz_name: i18n::zone_name(&tz, jiff::Timestamp::now()),
    };
    views::render(status, &view)
}

fn outcome_text(c: &Console, code: &str) -> String {
    let k = format!("kasus.outcome_{code}");
    if c.cat.has(&k) {
        c.cat.t(&k).to_string()
    } else {
        code.to_string()
    }
}

/// A time typed into the `datetime-local` field `name`, in the office's zone. Empty, or the
/// page's own default left unchanged (`waktu_bawaan`, the minute the page was shown): now, so
/// that a step recorded in the same minute as the one before it is not "before" it.
fn local_time(
    f: &Fields,
    name: &str,
    tz: &jiff::tz::TimeZone,
) -> Result<Option<prost_types::Timestamp>, ()> {
    let v = field(f, name);
    if v.is_empty() || v == field(f, "waktu_bawaan") {
        return Ok(None);
    }
    let dt: jiff::civil::DateTime = v.parse().map_err(|_| ())?;
    let at = dt.to_zoned(tz.clone()).map_err(|_| ())?.timestamp();
    Ok(Some(aduan_runtime::time::to_proto(at)))
}

/// The services' field violations beside the form's fields.
fn violations(c: &Console, st: &tonic::Status, form: &str) -> Vec<FieldError> {
    let mut errors: Vec<FieldError> = Vec::new();
    if let Some(bad) = tonic_types::StatusExt::get_details_bad_request(st) {
        for v in bad.field_violations {
            let (f, k) = match v.field.as_str() {
                "channel" => ("cara", "tindak.err_channel"),
                "delivered_at" | "given_at" => ("waktu", "tindak.err_time"),
                "note" => ("catatan", "tindak.err_note"),
                "comments" => ("komentar", "tindak.err_comments"),
                g if g.starts_with("grounds") => ("alasan", "tindak.err_grounds"),
                r if r.starts_with("recommendation_codes") => {
                    ("rekomendasi", "tindak.err_recommendations")
                }
                a if a.starts_with("agency_codes") || a == "agency_code" => {
                    ("instansi", "tindak.err_agencies")
                }
                "recipient_kind" => ("penerima", "tindak.err_recipient"),
                "reason" => ("alasan_kembali", "tindak.err_return_reason"),
                s if s.starts_with("scores") => ("nilai", "survei.err_scores"),
                "service_code" => ("layanan", "survei.err_service"),
                _ => ("", "case.err_other"),
            };
            if !errors.iter().any(|e| e.field == f) {
                errors.push(err(c, f, k));
            }
        }
    }
    if errors.is_empty() {
        errors.push(err(
            c,
            "",
            if form == "survei" {
                "survei.err_other"
            } else {
                "case.err_other"
            },
        ));
    }
    errors
}

/// The answer to a step: back to the page with a notice, or the page with the form's problems.
async fn after<T>(
    c: &Console,
    s: &SessionRow,
    id: &str,
    form: &'static str,
    f: &Fields,
    result: Result<T, tonic::Status>,
) -> Response {
    let st = match result {
        Ok(_) => {
            return Redirect::to(&format!("/staf/tindak-lanjut/{id}?selesai={form}"))
                .into_response();
        }
        Err(st) => st,
    };
    let (status, errors, notice) = match refused(
        c,
        &st,
        form,
        || violations(c, &st, form),
        "tindak.out_of_order",
    ) {
        Refused::Again(status, errors, notice) => (status, errors, notice),
        Refused::Answer(r) => return r,
    };
    page(
        c,
        s,
        id,
        status,
        Posted {
            form,
            values: values_of(f),
            errors,
            notice,
        },
    )
    .await
}

/// Sends a step's request with the person's token and answers as [`after`].
async fn send<T, R, Fut>(
    c: &Console,
    s: &SessionRow,
    id: &str,
    form: &'static str,
    f: &Fields,
    msg: T,
    call: impl FnOnce(tonic::Request<T>) -> Fut,
) -> Response
where
    Fut: std::future::Future<Output = Result<tonic::Response<R>, tonic::Status>>,
{
    let req = match bearer(s, msg) {
        Ok(r) => r,
        Err(_) => return unavailable(c),
    };
    let r = call(req).await;
    after(c, s, id, form, f, r).await
}

async fn invalid(
    c: &Console,
    s: &SessionRow,
    id: &str,
    form: &'static str,
    f: &Fields,
    errors: Vec<FieldError>,
) -> Response {
    page(
        c,
        s,
        id,
        StatusCode::UNPROCESSABLE_ENTITY,
        Posted {
            form,
            values: values_of(f),
            errors,
            notice: None,
        },
    )
    .await
}

/// POST `/staf/tindak-lanjut/<id>/penyampaian`: the approved response was delivered (S13).
pub async fn deliver(
    State(c): State<Arc<Console>>,
    headers: HeaderMap,
    Path(id): Path<String>,
    Form(f): Form<Fields>,
) -> Response {
    let s = match posted_by(&c, &headers, &id, &f).await {
        Ok(s) => s,
        Err(r) => return r,
    };
    let tz = c.tz(&s.user.office_code);
    let mut errors = Vec::new();
    let channel = code_of(&CHANNELS, field(&f, "cara"));
    if channel.is_none() {
        errors.push(err(&c, "cara", "tindak.err_channel"));
    }
    let at = local_time(&f, "waktu", &tz);
    if at.is_err() {
        errors.push(err(&c, "waktu", "tindak.err_time"));
    }
    if !errors.is_empty() {
        return invalid(&c, &s, &id, "penyampaian", &f, errors).await;
    }
    let msg = fpb::RecordDeliveryRequest {
        complaint_id: id.clone(),
        version: 0,
        channel: channel.unwrap_or_default(),
        delivered_at: at.ok().flatten(),
        note: field(&f, "catatan").to_string(),
    };
    send(&c, &s, &id, "penyampaian", &f, msg, |r| {
        let mut k = feedback(&c);
        async move { k.record_delivery(r).await }
    })
    .await
}

/// POST `/staf/tindak-lanjut/<id>/umpan-balik`: the complainant's feedback (S14); dissatisfied
/// (with grounds) reopens the complaint.
pub async fn record_feedback(
    State(c): State<Arc<Console>>,
    headers: HeaderMap,
    Path(id): Path<String>,
    Form(f): Form<Fields>,
) -> Response {
    let s = match posted_by(&c, &headers, &id, &f).await {
        Ok(s) => s,
        Err(r) => return r,
    };
    let tz = c.tz(&s.user.office_code);
    let mut errors = Vec::new();
    let satisfied = match field(&f, "puas") {
        "ya" => Some(true),
        "tidak" => Some(false),
        _ => None,
    };
    if satisfied.is_none() {
        errors.push(err(&c, "puas", "tindak.err_satisfied"));
    }
    let grounds: Vec<i32> = f
        .iter()
        .filter(|(k, _)| k == "alasan")
        .filter_map(|(_, v)| code_of(&GROUNDS, v))
        .collect();
    if satisfied == Some(false) && grounds.is_empty() {
        errors.push(err(&c, "alasan", "tindak.err_grounds"));
    }
    let at = local_time(&f, "waktu", &tz);
    if at.is_err() {
        errors.push(err(&c, "waktu", "tindak.err_time"));
    }
    if !errors.is_empty() {
        return invalid(&c, &s, &id, "umpan-balik", &f, errors).await;
    }
    let msg = fpb::RecordFeedbackRequest {
        complaint_id: id.clone(),
        version: 0,
        satisfied: satisfied.unwrap_or(true),
        // Grounds only with dissatisfaction (ticked boxes of a changed mind are not sent).
        grounds: if satisfied == Some(true) {
            Vec::new()
        } else {
            grounds
        },
        comments: field(&f, "komentar").to_string(),
        given_at: at.ok().flatten(),
        ..Default::default()
    };
    send(&c, &s, &id, "umpan-balik", &f, msg, |r| {
        let mut k = feedback(&c);
        async move { k.record_feedback(r).await }
    })
    .await
}

fn chosen(f: &Fields, name: &str) -> Vec<String> {
    f.iter()
        .filter(|(k, _)| k == name)
        .map(|(_, v)| v.trim().to_string())
        .filter(|v| !v.is_empty())
        .collect()
}

/// POST `/staf/tindak-lanjut/<id>/laporan`: the handling report's draft or redraft (S15).
pub async fn draft_report(
    State(c): State<Arc<Console>>,
    headers: HeaderMap,
    Path(id): Path<String>,
    Form(f): Form<Fields>,
) -> Response {
    let s = match posted_by(&c, &headers, &id, &f).await {
        Ok(s) => s,
        Err(r) => return r,
    };
    let recommendations = chosen(&f, "rekomendasi");
    if recommendations.is_empty() {
        return invalid(
            &c,
            &s,
            &id,
            "laporan",
            &f,
            vec![err(&c, "rekomendasi", "tindak.err_recommendations")],
        )
        .await;
    }
    let msg = rpb::DraftHandlingReportRequest {
        complaint_id: id.clone(),
        recommendation_codes: recommendations,
        agency_codes: chosen(&f, "instansi"),
        expected_revision: field(&f, "revisi").parse().unwrap_or(0),
    };
    send(&c, &s, &id, "laporan", &f, msg, |r| {
        let mut k = reporting(&c);
        async move { k.draft_handling_report(r).await }
    })
    .await
}

/// POST `/staf/tindak-lanjut/<id>/laporan/setujui`: the Kepala Bidang (or the Head) approves the
/// report's draft (S15).
pub async fn approve_report(
    State(c): State<Arc<Console>>,
    headers: HeaderMap,
    Path(id): Path<String>,
    Form(f): Form<Fields>,
) -> Response {
    let s = match posted_by(&c, &headers, &id, &f).await {
        Ok(s) => s,
        Err(r) => return r,
    };
    let msg = rpb::ApproveHandlingReportRequest {
        complaint_id: id.clone(),
        revision: field(&f, "revisi").parse().unwrap_or(0),
    };
    send(&c, &s, &id, "setujui", &f, msg, |r| {
        let mut k = reporting(&c);
        async move { k.approve_handling_report(r).await }
    })
    .await
}

/// POST `/staf/tindak-lanjut/<id>/laporan/kembalikan`: the draft goes back with a reason (S15).
pub async fn return_report(
    State(c): State<Arc<Console>>,
    headers: HeaderMap,
    Path(id): Path<String>,
    Form(f): Form<Fields>,
) -> Response {
    let s = match posted_by(&c, &headers, &id, &f).await {
        Ok(s) => s,
        Err(r) => return r,
    };
    let Some(reason) = code_of(&RETURN_REASONS, field(&f, "alasan_kembali")) else {
        return invalid(
            &c,
            &s,
            &id,
            "kembalikan",
            &f,
            vec![err(&c, "alasan_kembali", "tindak.err_return_reason")],
        )
        .await;
    };
    let msg = rpb::ReturnHandlingReportRequest {
        complaint_id: id.clone(),
        revision: field(&f, "revisi").parse().unwrap_or(0),
        reason,
    };
    send(&c, &s, &id, "kembalikan", &f, msg, |r| {
        let mut k = reporting(&c);
        async move { k.return_handling_report(r).await }
    })
    .await
}

/// POST `/staf/tindak-lanjut/<id>/laporan/kirim`: the approved report was delivered to one party
/// (S16); once the complainant and the Head have it, the complaint is closed.
pub async fn distribute(
    State(c): State<Arc<Console>>,
    headers: HeaderMap,
    Path(id): Path<String>,
    Form(f): Form<Fields>,
) -> Response {
    let s = match posted_by(&c, &headers, &id, &f).await {
        Ok(s) => s,
        Err(r) => return r,
    };
    let tz = c.tz(&s.user.office_code);
    let mut errors = Vec::new();
    let to = field(&f, "penerima");
    let (kind, agency) = match to {
        "pengadu" => (rpb::RecipientKind::Complainant, ""),
        "kepala" => (rpb::RecipientKind::Head, ""),
        a if a.starts_with("instansi:") && a.len() > 9 => (rpb::RecipientKind::Agency, &a[9..]),
        _ => {
            errors.push(err(&c, "penerima", "tindak.err_recipient"));
            (rpb::RecipientKind::Unspecified, "")
        }
    };
    let channel = code_of(&CHANNELS, field(&f, "cara_kirim"));
    if channel.is_none() {
        errors.push(err(&c, "cara_kirim", "tindak.err_channel"));
    }
    let at = local_time(&f, "waktu_kirim", &tz);
    if at.is_err() {
        errors.push(err(&c, "waktu_kirim", "tindak.err_time"));
    }
    if !errors.is_empty() {
        return invalid(&c, &s, &id, "kirim", &f, errors).await;
    }
    let msg = rpb::DistributeHandlingReportRequest {
        complaint_id: id.clone(),
        recipient_kind: kind as i32,
        agency_code: agency.to_string(),
        channel: channel.unwrap_or_default(),
        delivered_at: at.ok().flatten(),
    };
    send(&c, &s, &id, "kirim", &f, msg, |r| {
        let mut k = reporting(&c);
        async move { k.distribute_handling_report(r).await }
    })
    .await
}

/// GET `/staf/tindak-lanjut/<id>/laporan.pdf`: the handling report as PDF, from reporting (which
/// reads the findings from investigation with the reader's token and purpose).
pub async fn report_pdf(
    State(c): State<Arc<Console>>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    let s = match staff(&c, &headers).await {
        Ok(s) => s,
        Err(r) => return r,
    };
    if !valid_id(&id) {
        return not_found(&c);
    }
    let req = rpb::GetDocumentRequest {
        kind: rpb::DocumentKind::HandlingReport as i32,
        complaint_id: id.clone(),
        purpose: PDF_PURPOSE.into(),
        ..Default::default()
    };
    document(&c, &s, req, ("tindak.pdf_title", "tindak.pdf_none")).await
}

/// A document of reporting (`GetDocument` with the reader's token) shown in the browser; `none`
/// is the (title, text) of the page when there is nothing to show yet (FAILED_PRECONDITION) or
/// the request does not name one (INVALID_ARGUMENT). Shared by the disposition sheet, the
/// handling report and the monthly report.
pub(crate) async fn document(
    c: &Console,
    s: &SessionRow,
    req: rpb::GetDocumentRequest,
    none: (&str, &str),
) -> Response {
    let Ok(req) = bearer(s, req) else {
        return unavailable(c);
    };
    match reporting(c).get_document(req).await {
        Ok(r) => pdf(r.into_inner()),
        Err(st) if st.code() == Code::NotFound => not_found(c),
        Err(st) if st.code() == Code::FailedPrecondition => {
            message(c, StatusCode::CONFLICT, none.0, none.1)
        }
        Err(st) if st.code() == Code::InvalidArgument => {
            message(c, StatusCode::BAD_REQUEST, none.0, none.1)
        }
        Err(st) if st.code() == Code::PermissionDenied => forbidden(c),
        Err(st) => {
            tracing::warn!(code = ?st.code(), "console: a document is unavailable");
            unavailable(c)
        }
    }
}

/// A document shown in the browser.
fn pdf(d: rpb::Document) -> Response {
    let name: String = d
        .name
        .chars()
        .filter(|ch| ch.is_ascii_alphanumeric() || matches!(ch, '.' | '-' | '_'))
        .collect();
    let mut res = (StatusCode::OK, d.content).into_response();
    let h = res.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/pdf"),
    );
    if let Ok(v) = HeaderValue::from_str(&format!("inline; filename=\"{name}\"")) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    res
}

/// GET `/staf/tindak-lanjut/<id>/survei`: the SKM form for the citizen, on the desk's tablet:
/// nine questions and nothing of the case (not even its number).
pub async fn survey_form(
    State(c): State<Arc<Console>>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    // The tablet handed to the citizen for this complaint (kiosk mode), or the officer's own.
    if let Some(s) = crate::staff::kiosk(&c, &headers, &id).await {
        return survey_page(&c, &s, &id, StatusCode::OK, &Fields::new(), Vec::new());
    }
    let s = match staff(&c, &headers).await {
        Ok(s) => s,
        Err(r) => return r,
    };
    if !valid_id(&id) || !may(&roles_of(&s)).deliver {
        return not_found(&c);
    }
    survey_page(&c, &s, &id, StatusCode::OK, &Fields::new(), Vec::new())
}

/// How long a tablet handed to a citizen opens the survey, in seconds.
const KIOSK_SECONDS: i64 = 30 * 60;

/// POST `/staf/tindak-lanjut/<id>/survei/tablet`: the officer hands the tablet to the citizen
/// (kiosk mode). From then on this browser's session opens this complaint's survey and nothing
/// else, for at most 30 minutes; once the survey is sent the session ends, and the officer
/// signs in again to take the tablet back.
pub async fn hand_over(
    State(c): State<Arc<Console>>,
    headers: HeaderMap,
    Path(id): Path<String>,
    Form(f): Form<Fields>,
) -> Response {
    let s = match posted_by(&c, &headers, &id, &f).await {
        Ok(s) => s,
        Err(r) => return r,
    };
    if !may(&roles_of(&s)).deliver {
        return not_found(&c);
    }
    let until = jiff::Timestamp::now().as_second() + KIOSK_SECONDS;
    if c.store.set_kiosk(&s.id_hash, &id, until).await.is_err() {
        return unavailable(&c);
    }
    Redirect::to(&format!("/staf/tindak-lanjut/{id}/survei")).into_response()
}

fn survey_page(
    c: &Console,
    s: &SessionRow,
    id: &str,
    status: StatusCode,
    f: &Fields,
    errors: Vec<FieldError>,
) -> Response {
    let values = values_of(f);
    let view = views::Survey {
        // The citizen holds the tablet: no staff menu, no name of the officer.
        page: Page::public(&c.cat, "survei.title"),
        csrf: s.csrf.clone(),
        id: id.to_string(),
        questions: ELEMENTS
            .iter()
            .enumerate()
            .map(|(i, k)| {
                (
                    format!("u{}", i + 1),
                    c.cat.t(k).to_string(),
                    values
                        .get(&format!("u{}", i + 1))
                        .cloned()
                        .unwrap_or_default(),
                    // Each element has its own four answers (the regulation's questionnaire).
                    (1..=4)
                        .map(|n| (n.to_string(), c.cat.t(&format!("{k}_{n}")).to_string()))
                        .collect(),
                )
            })
            .collect(),
        services: SERVICES
            .iter()
            .map(|(code, k)| (code.to_string(), c.cat.t(k).to_string()))
            .collect(),
        service: values
            .get("layanan")
            .cloned()
            .unwrap_or_else(|| "pengaduan".into()),
        errors,
    };
    views::render(status, &view)
}

/// POST `/staf/tindak-lanjut/<id>/survei`: the citizen's answers (S14, SKM); then a thank-you
/// that shows nothing of the case.
pub async fn submit_survey(
    State(c): State<Arc<Console>>,
    headers: HeaderMap,
    Path(id): Path<String>,
    Form(f): Form<Fields>,
) -> Response {
    let handed = crate::staff::kiosk(&c, &headers, &id)
        .await
        .filter(|s| crate::security::same(field(&f, "csrf"), &s.csrf));
    let kiosk = handed.is_some();
    let s = match handed {
        Some(s) => s,
        None => match posted_by(&c, &headers, &id, &f).await {
            Ok(s) => s,
            Err(r) => return r,
        },
    };
    let scores: Vec<Option<i32>> = (1..=9)
        .map(|i| {
            field(&f, &format!("u{i}"))
                .parse::<i32>()
                .ok()
                .filter(|v| (1..=4).contains(v))
        })
        .collect();
    let mut errors: Vec<FieldError> = scores
        .iter()
        .enumerate()
        .filter(|(_, v)| v.is_none())
        .map(|(i, _)| err(&c, &format!("u{}", i + 1), "survei.err_score"))
        .collect();
    let service = field(&f, "layanan");
    if !SERVICES.iter().any(|(code, _)| *code == service) {
        errors.push(err(&c, "layanan", "survei.err_service"));
    }
    if !errors.is_empty() {
        return survey_page(&c, &s, &id, StatusCode::UNPROCESSABLE_ENTITY, &f, errors);
    }
    let msg = fpb::SubmitSurveyRequest {
        complaint_id: id.clone(),
        service_code: service.to_string(),
        scores: scores.into_iter().flatten().collect(),
        submitted_at: None,
    };
    let r = match bearer(&s, msg) {
        Ok(req) => feedback(&c).submit_survey(req).await,
        Err(_) => return unavailable(&c),
    };
    match r {
        Ok(_) if kiosk => {
            // The tablet's session ends with the survey: the officer signs in again.
            let _ = c.store.delete_session(&s.id_hash).await;
            let mut res = message(
                &c,
                StatusCode::OK,
                "survei.thanks_title",
                "survei.thanks_body",
            );
            res.headers_mut().append(
                header::SET_COOKIE,
                crate::security::set_cookie(crate::security::SESSION_COOKIE, "", c.secure, Some(0)),
            );
            res
        }
        Ok(_) => message(
            &c,
            StatusCode::OK,
            "survei.thanks_title",
            "survei.thanks_body",
        ),
        Err(st) if st.code() == Code::AlreadyExists => message(
            &c,
            StatusCode::CONFLICT,
            "survei.thanks_title",
            "survei.already",
        ),
        Err(st) if st.code() == Code::InvalidArgument => {
            let errors = violations(&c, &st, "survei");
            survey_page(&c, &s, &id, StatusCode::UNPROCESSABLE_ENTITY, &f, errors)
        }
        Err(st) => match refused(&c, &st, "survei", Vec::new, "tindak.out_of_order") {
            Refused::Answer(r) => r,
            Refused::Again(status, _, notice) => {
                let errors = vec![FieldError {
                    field: String::new(),
                    message: notice.unwrap_or_default(),
                }];
                survey_page(&c, &s, &id, status, &f, errors)
            }
        },
    }
}
