//! The Bidang's case page (issue 15, first part): the case file of investigation with its
//! disposition, assignment, eligibility decisions, notes, responses and history; the Kepala
//! Bidang assigns officers (S8), decides eligibility (S11) and approves or returns the response
//! (S12); every Bidang role writes case notes and drafts the response. Each view is
//! investigation's audited `GetCase` with the purpose "S8-S12" (the Bidang handling its case).
//!
//! Paths: `/staf/kasus/<id>` (the page), `/staf/kasus/<id>/tugaskan` (S8),
//! `/staf/kasus/<id>/kelayakan` (S11), `/staf/kasus/<id>/catatan` (notes),
//! `/staf/kasus/<id>/jawaban`, `/setujui` and `/kembalikan` (S12: the response's draft, its
//! approval or return).

use std::collections::HashMap;
use std::sync::Arc;

use aduan_proto::investigation::v1 as vpb;
use aduan_proto::investigation::v1::investigation_service_client::InvestigationServiceClient;
use aduan_runtime::auth::Role;
use axum::extract::{Form, Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use tonic::Code;

use crate::case::{
    Fields, INSTRUCTIONS, Refused, day, err, field, not_found, posted_by, refused, role_label,
    staff, valid_id, values_of, when,
};
use crate::public::{status_key, unavailable};
use crate::staff::{bearer, roles_of};
use crate::store::SessionRow;
use crate::views::{self, FieldError, Page};
use crate::{Console, i18n};

/// Why the page reads the case file (investigation's access log).
const PURPOSE: &str = "S8-S12: penanganan kasus oleh bidang (halaman kasus di konsol)";

/// The reasons a complaint does not qualify (S11), as investigation names them, with their text.
const NOT_QUALIFYING: [(&str, &str); 7] = [
    ("not_office_service", "kasus.reason_not_office_service"),
    (
        "insufficient_information",
        "kasus.reason_insufficient_information",
    ),
    ("no_grounds", "kasus.reason_no_grounds"),
    ("already_resolved", "kasus.reason_already_resolved"),
    ("other_authority", "kasus.reason_other_authority"),
    ("withdrawn", "kasus.reason_withdrawn"),
    ("duplicate_matter", "kasus.reason_duplicate_matter"),
];

/// The outcomes a response reports (S12), as investigation names them, with their text.
const OUTCOMES: [(&str, &str); 7] = [
    ("resolved", "kasus.outcome_resolved"),
    ("assistance_provided", "kasus.outcome_assistance_provided"),
    ("counselling_provided", "kasus.outcome_counselling_provided"),
    ("agreement_reached", "kasus.outcome_agreement_reached"),
    ("no_agreement", "kasus.outcome_no_agreement"),
    ("referred", "kasus.outcome_referred"),
    ("not_qualified", "kasus.outcome_not_qualified"),
];

/// Interview kinds, parties and channels (S9), with their form codes and texts.
const KINDS: [(vpb::InterviewKind, &str, &str); 2] = [
    (
        vpb::InterviewKind::Clarification,
        "klarifikasi",
        "kasus.kind_clarification",
    ),
    (
        vpb::InterviewKind::Interview,
        "wawancara",
        "kasus.kind_interview",
    ),
];
pub(crate) const PARTIES: [(vpb::PartyRole, &str, &str); 8] = [
    (
        vpb::PartyRole::Complainant,
        "pengadu",
        "kasus.party_complainant",
    ),
    (
        vpb::PartyRole::ReportedParty,
        "teradu",
        "kasus.party_reported",
    ),
    (vpb::PartyRole::Victim, "korban", "kasus.party_victim"),
    (vpb::PartyRole::Witness, "saksi", "kasus.party_witness"),
    (
        vpb::PartyRole::ParentGuardian,
        "wali",
        "kasus.party_guardian",
    ),
    (vpb::PartyRole::Officer, "petugas", "kasus.party_officer"),
    (vpb::PartyRole::Agency, "instansi", "kasus.party_agency"),
    (vpb::PartyRole::Other, "lain", "kasus.party_other"),
];
pub(crate) const CHANNELS: [(vpb::ContactChannel, &str, &str); 7] = [
    (
        vpb::ContactChannel::InPerson,
        "langsung",
        "kasus.channel_in_person",
    ),
    (vpb::ContactChannel::Phone, "telepon", "kasus.channel_phone"),
    (vpb::ContactChannel::Video, "video", "kasus.channel_video"),
    (
        vpb::ContactChannel::HomeVisit,
        "kunjungan",
        "kasus.channel_home_visit",
    ),
    (vpb::ContactChannel::Letter, "surat", "kasus.channel_letter"),
    (vpb::ContactChannel::Email, "surel", "kasus.channel_email"),
    (
        vpb::ContactChannel::Messaging,
        "pesan",
        "kasus.channel_messaging",
    ),
];

/// The text of an enum value of one of the tables above.
pub(crate) fn label_of<E: Copy + Into<i32>>(
    c: &Console,
    table: &[(E, &str, &str)],
    v: i32,
) -> String {
    table
        .iter()
        .find(|(e, _, _)| (*e).into() == v)
        .map(|(_, _, k)| c.cat.t(k).to_string())
        .unwrap_or_else(|| "-".into())
}

/// The form's choices of a table: (code, text).
pub(crate) fn choices<E>(c: &Console, table: &[(E, &str, &str)]) -> Vec<(String, String)> {
    table
        .iter()
        .map(|(_, code, k)| (code.to_string(), c.cat.t(k).to_string()))
        .collect()
}

/// The Bidang roles that may be assigned, with the function they take on the case.
const ASSIGNABLE: [(Role, vpb::OfficerFunction); 5] = [
    (Role::BidangOfficer, vpb::OfficerFunction::CaseOfficer),
    (Role::BidangHead, vpb::OfficerFunction::CaseOfficer),
    (Role::Counsellor, vpb::OfficerFunction::Counsellor),
    (Role::Mediator, vpb::OfficerFunction::Mediator),
    (Role::SocialWorker, vpb::OfficerFunction::SocialWorker),
];

/// A form posted back with its values and problems.
struct Posted {
    form: &'static str,
    values: HashMap<String, String>,
    errors: Vec<FieldError>,
    notice: Option<String>,
}

/// An officer who may be assigned: (token subject, name and role, checked).
type Officer = (String, String, bool);

fn may_work(roles: &[Role]) -> bool {
    roles.iter().any(|r| r.is_bidang())
}

/// The subject of an account's tokens: the account id, or the provider's `sub`.
fn subject_of(user: &crate::UserRow) -> String {
    user.id
        .strip_prefix("oidc:")
        .unwrap_or(&user.id)
        .to_string()
}

/// The officers of the office's Bidang who may be assigned, from the console's accounts (the
/// local ones, and the provider's who have signed in).
async fn officers(c: &Console, s: &SessionRow, bidang: &str, current: &[String]) -> Vec<Officer> {
    let Ok(users) = c.store.list_users(1000).await else {
        return Vec::new();
    };
    users
        .into_iter()
        .filter(|u| !u.disabled && u.office_code == s.user.office_code && u.bidang == bidang)
        .filter_map(|u| {
            let role = u
                .roles
                .iter()
                .filter_map(|r| Role::parse(r))
                .find(|r| ASSIGNABLE.iter().any(|(a, _)| a == r))?;
            let sub = subject_of(&u);
            let checked = current.contains(&sub);
            Some((
                sub,
                format!(
                    "{} ({})",
                    u.display_name,
                    c.cat.t(crate::staff::role_key(role))
                ),
                checked,
            ))
        })
        .collect()
}

/// GET `/staf/kasus/<id>[?selesai=<form>]`.
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
    if !valid_id(&id) || !may_work(&roles_of(&s)) {
        return not_found(&c);
    }
    let done = q
        .get("selesai")
        .and_then(|f| {
            ([
                "tugaskan",
                "wawancara",
                "kelayakan",
                "catatan",
                "jawaban",
                "setujui",
                "kembalikan",
            ]
            .contains(&f.as_str())
                || crate::casework::DONE.contains(&f.as_str()))
            .then_some(f)
        })
        .map(|f| c.cat.t(&format!("kasus.done_{f}")).to_string());
    page(
        &c,
        &s,
        &id,
        StatusCode::OK,
        Posted {
            form: "",
            values: HashMap::new(),
            errors: Vec::new(),
            notice: done,
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
    let req = match bearer(
        s,
        vpb::GetCaseRequest {
            complaint_id: id.to_string(),
            purpose: PURPOSE.into(),
        },
    ) {
        Ok(r) => r,
        Err(_) => return unavailable(c),
    };
    let case = match InvestigationServiceClient::new(c.investigation.clone())
        .get_case(req)
        .await
    {
        Ok(r) => r.into_inner(),
        Err(st) if matches!(st.code(), Code::NotFound | Code::PermissionDenied) => {
            return not_found(c);
        }
        Err(st) => {
            tracing::warn!(code = ?st.code(), "console: the case file is unavailable");
            return unavailable(c);
        }
    };
    let tz = c.tz(&case.office_code);
    let roles = roles_of(s);
    let head = roles.contains(&Role::BidangHead);
    let current: Vec<String> = case.assignees.iter().map(|a| a.subject.clone()).collect();
    // Who read the case and why (the Kepala Bidang; this view included), newest first.
    let access = if head {
        let req = bearer(
            s,
            vpb::ListAccessLogRequest {
                complaint_id: id.to_string(),
                page_size: 50,
                page_token: String::new(),
            },
        );
        match req {
            Ok(r) => match client(c).list_access_log(r).await {
                Ok(r) => r
                    .into_inner()
                    .entries
                    .iter()
                    .map(|e| {
                        (
                            when(&e.accessed_at, &tz),
                            e.actor
                                .as_ref()
                                .map(|a| role_label(c, &a.role))
                                .unwrap_or_default(),
                            c.cat
                                .t(if e.what.starts_with("evidence") {
                                    "kasus.read_evidence"
                                } else {
                                    "kasus.read_case"
                                })
                                .to_string(),
                            e.purpose.clone(),
                        )
                    })
                    .collect(),
                Err(st) => {
                    tracing::warn!(code = ?st.code(), "console: the case's access log is unavailable");
                    Vec::new()
                }
            },
            Err(_) => Vec::new(),
        }
    } else {
        Vec::new()
    };
    // The Bidang's officers: the Kepala Bidang's choices, and everyone's names of the assignees.
    let bidang_officers = officers(c, s, &case.bidang_code, &current).await;
    let name_of = |sub: &str| {
        bidang_officers
            .iter()
            .find(|(s, _, _)| s == sub)
            .map(|(_, n, _)| n.clone())
            .unwrap_or_else(|| sub.to_string())
    };
    let status_text = c
        .cat
        .t(status_key(
            aduan_proto::common::v1::ComplaintStatus::try_from(case.status).unwrap_or_default(),
        ))
        .to_string();
    let instructions = case
        .instructions
        .iter()
        .map(|code| {
            INSTRUCTIONS
                .iter()
                .find(|(e, console_code, _)| {
                    // Investigation keeps the disposition's codes in lower case
                    // ("untuk_ditindaklanjuti"); the proto names them INSTRUCTION_….
                    let name = e.as_str_name();
                    name.strip_prefix("INSTRUCTION_")
                        .unwrap_or(name)
                        .eq_ignore_ascii_case(code)
                        || console_code == code
                })
                .map(|(_, _, k)| c.cat.t(k).to_string())
                .unwrap_or_else(|| code.clone())
        })
        .collect();
    let eligibility = case
        .eligibility
        .iter()
        .rev()
        .map(|e| {
            (
                when(&e.decided_at, &tz),
                c.cat
                    .t(if e.qualifies {
                        "kasus.qualifies"
                    } else {
                        "kasus.does_not_qualify"
                    })
                    .to_string(),
                NOT_QUALIFYING
                    .iter()
                    .find(|(code, _)| *code == e.reason_code)
                    .map(|(_, k)| c.cat.t(k).to_string())
                    .unwrap_or_default(),
                e.note.clone(),
                e.superseded,
            )
        })
        .collect();
    let view = views::BidangCase {
        page: Page::staff(&c.cat, "kasus.title", s),
        csrf: s.csrf.clone(),
        id: id.to_string(),
        registration_number: if case.registration_number.is_empty() {
            id.chars().take(8).collect()
        } else {
            case.registration_number.clone()
        },
        category: c
            .refdata
            .category(&case.category_code)
            .map(|x| x.label.clone())
            .unwrap_or_else(|| "-".into()),
        bidang: c
            .refdata
            .bidang(&case.bidang_code)
            .map(|b| b.name.clone())
            .unwrap_or_else(|| case.bidang_code.clone()),
        status: status_text,
        opened: when(&case.opened_at, &tz),
        due: day(&case.due_date),
        instructions,
        assignees: case.assignees.iter().map(|a| name_of(&a.subject)).collect(),
        eligibility,
        notes: case
            .notes
            .iter()
            .rev()
            .map(|n| {
                (
                    when(&n.written_at, &tz),
                    n.author
                        .as_ref()
                        .map(|a| role_label(c, &a.role))
                        .unwrap_or_default(),
                    n.text.clone(),
                )
            })
            .collect(),
        history: case
            .history
            .iter()
            .rev()
            .map(|h| {
                let k = format!("kasus.action_{}", h.action);
                (
                    when(&h.at, &tz),
                    if c.cat.has(&k) {
                        c.cat.t(&k).to_string()
                    } else {
                        h.action.replace('_', " ")
                    },
                    h.actor
                        .as_ref()
                        .map(|a| role_label(c, &a.role))
                        .unwrap_or_default(),
                )
            })
            .collect(),
        responses: case
            .responses
            .iter()
            .rev()
            .map(|r| views::ResponseLine {
                revision: r.revision,
                version: r.version,
                state: c
                    .cat
                    .t(
                        match vpb::ResponseState::try_from(r.state).unwrap_or_default() {
                            vpb::ResponseState::Draft => "kasus.state_draft",
                            vpb::ResponseState::Returned => "kasus.state_returned",
                            vpb::ResponseState::Approved => "kasus.state_approved",
                            vpb::ResponseState::Superseded => "kasus.state_superseded",
                            vpb::ResponseState::Unspecified => "kasus.state_draft",
                        },
                    )
                    .to_string(),
                outcome: OUTCOMES
                    .iter()
                    .find(|(code, _)| *code == r.outcome_code)
                    .map(|(_, k)| c.cat.t(k).to_string())
                    .unwrap_or_else(|| r.outcome_code.clone()),
                text: r.text.clone(),
                drafted: when(&r.drafted_at, &tz),
                return_reason: r.return_reason.clone(),
            })
            .collect(),
        interviews: case
            .interviews
            .iter()
            .rev()
            .map(|i| views::InterviewLine {
                kind: label_of(c, &KINDS, i.kind),
                party: label_of(c, &PARTIES, i.party),
                channel: label_of(c, &CHANNELS, i.channel),
                held_on: day(&i.held_on),
                present: i.present.join(", "),
                summary: i.summary.clone(),
            })
            .collect(),
        kinds: choices(c, &KINDS),
        parties: choices(c, &PARTIES),
        channels: choices(c, &CHANNELS),
        today: jiff::Timestamp::now()
            .to_zoned(tz.clone())
            .date()
            .to_string(),
        pending_revision: case
            .responses
            .last()
            .filter(|r| r.state == vpb::ResponseState::Draft as i32)
            .map(|r| r.revision)
            .unwrap_or(0),
        outcomes: OUTCOMES
            .iter()
            .map(|(code, k)| (code.to_string(), c.cat.t(k).to_string()))
            .collect(),
        access,
        follow_up: case.responses.iter().any(|r| {
            r.state == vpb::ResponseState::Approved as i32
                || r.state == vpb::ResponseState::Superseded as i32
        }),
        can_assign: head,
        can_decide: head,
        officers: if head {
            bidang_officers.clone()
        } else {
            Vec::new()
        },
        reasons: NOT_QUALIFYING
            .iter()
            .map(|(code, k)| (code.to_string(), c.cat.t(k).to_string()))
            .collect(),
        form: posted.form,
        values: posted.values,
        errors: posted.errors,
        notice: posted.notice,
        tz_name: i18n::zone_name(&tz, jiff::Timestamp::now()),
        work: crate::casework::view(c, s, &case, &tz),
    };
    views::render(status, &view)
}

/// Investigation's field violations beside the form's fields.
fn violations(c: &Console, st: &tonic::Status, form: &str) -> Vec<FieldError> {
    let mut errors: Vec<FieldError> = Vec::new();
    if let Some(bad) = tonic_types::StatusExt::get_details_bad_request(st) {
        for v in bad.field_violations {
            let (f, k) = if let Some(t) = crate::casework::target(form, &v.field) {
                t
            } else if form == "bukti" || form == "jawab_rujukan" {
                ("", "case.err_other")
            } else if v.field.starts_with("assignees") {
                ("petugas", "kasus.err_officers")
            } else if v.field == "reason" && form == "kembalikan" {
                ("alasan_kembali", "kasus.err_return_reason")
            } else if v.field == "reason" {
                ("alasan_tugas", "kasus.err_reason")
            } else if v.field == "text" && form == "jawaban" {
                ("jawaban", "kasus.err_response_text")
            } else if v.field == "outcome_code" {
                ("hasil", "kasus.err_outcome")
            } else if v.field == "held_on" {
                ("tanggal", "kasus.err_date")
            } else if v.field.starts_with("present") {
                ("hadir", "kasus.err_present")
            } else if v.field == "summary" {
                ("ringkasan", "kasus.err_summary")
            } else if v.field == "party" {
                ("pihak", "kasus.err_party")
            } else if v.field == "channel" {
                ("cara", "kasus.err_channel")
            } else if v.field == "reason_code" {
                ("alasan", "kasus.err_reason_code")
            } else if v.field == "note" {
                ("keterangan", "kasus.err_note")
            } else if v.field == "text" {
                ("catatan", "kasus.err_text")
            } else {
                ("", "case.err_other")
            };
            if !errors.iter().any(|e| e.field == f) {
                errors.push(err(c, f, k));
            }
        }
    }
    if errors.is_empty() {
        errors.push(err(c, "", "case.err_other"));
    }
    errors
}

/// The answer to a step: back to the page with a notice, or the page with the form's problems.
pub(crate) async fn after<T>(
    c: &Console,
    s: &SessionRow,
    id: &str,
    form: &'static str,
    f: &Fields,
    result: Result<T, tonic::Status>,
) -> Response {
    let st = match result {
        Ok(_) => return Redirect::to(&format!("/staf/kasus/{id}?selesai={form}")).into_response(),
        Err(st) => st,
    };
    let (status, errors, notice) = match refused(
        c,
        &st,
        form,
        || violations(c, &st, form),
        "kasus.out_of_order",
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
pub(crate) async fn send<T, Fut>(
    c: &Console,
    s: &SessionRow,
    id: &str,
    form: &'static str,
    f: &Fields,
    msg: T,
    call: impl FnOnce(InvestigationServiceClient<tonic::transport::Channel>, tonic::Request<T>) -> Fut,
) -> Response
where
    Fut: std::future::Future<Output = Result<tonic::Response<vpb::CaseChange>, tonic::Status>>,
{
    let req = match bearer(s, msg) {
        Ok(r) => r,
        Err(_) => return unavailable(c),
    };
    let r = call(client(c), req).await;
    after(c, s, id, form, f, r).await
}

/// A step with nothing to check before the service: the form's sender, then [`send`].
async fn step<T, Fut>(
    c: &Console,
    headers: &HeaderMap,
    id: &str,
    form: &'static str,
    f: &Fields,
    msg: T,
    call: impl FnOnce(InvestigationServiceClient<tonic::transport::Channel>, tonic::Request<T>) -> Fut,
) -> Response
where
    Fut: std::future::Future<Output = Result<tonic::Response<vpb::CaseChange>, tonic::Status>>,
{
    match posted_by(c, headers, id, f).await {
        Ok(s) => send(c, &s, id, form, f, msg, call).await,
        Err(r) => r,
    }
}

pub(crate) async fn invalid(
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

pub(crate) fn client(c: &Console) -> InvestigationServiceClient<tonic::transport::Channel> {
    InvestigationServiceClient::new(c.investigation.clone())
}

/// POST `/staf/kasus/<id>/tugaskan`: the Kepala Bidang assigns officers (S8); a reassignment
/// needs a reason.
pub async fn assign(
    State(c): State<Arc<Console>>,
    headers: HeaderMap,
    Path(id): Path<String>,
    Form(f): Form<Fields>,
) -> Response {
    let s = match posted_by(&c, &headers, &id, &f).await {
        Ok(s) => s,
        Err(r) => return r,
    };
    let chosen: Vec<&str> = f
        .iter()
        .filter(|(k, _)| k == "petugas")
        .map(|(_, v)| v.as_str())
        .collect();
    if chosen.is_empty() {
        return invalid(
            &c,
            &s,
            &id,
            "tugaskan",
            &f,
            vec![err(&c, "petugas", "kasus.err_officers")],
        )
        .await;
    }
    // The function of each officer follows the account's role; only the Bidang's officers.
    let users = c.store.list_users(1000).await.unwrap_or_default();
    let mut assignees = Vec::new();
    for sub in chosen {
        let Some(u) = users.iter().find(|u| subject_of(u) == sub) else {
            return invalid(
                &c,
                &s,
                &id,
                "tugaskan",
                &f,
                vec![err(&c, "petugas", "kasus.err_officers")],
            )
            .await;
        };
        let function = u
            .roles
            .iter()
            .filter_map(|r| Role::parse(r))
            .find_map(|r| ASSIGNABLE.iter().find(|(a, _)| *a == r).map(|(_, f)| *f))
            .unwrap_or(vpb::OfficerFunction::CaseOfficer);
        assignees.push(vpb::Assignee {
            subject: sub.to_string(),
            function: function as i32,
        });
    }
    let msg = vpb::AssignOfficersRequest {
        complaint_id: id.clone(),
        assignees,
        reason: field(&f, "alasan_tugas").to_string(),
    };
    send(&c, &s, &id, "tugaskan", &f, msg, |mut v, r| async move {
        v.assign_officers(r).await
    })
    .await
}

/// POST `/staf/kasus/<id>/kelayakan`: the Kepala Bidang's eligibility decision (S11).
pub async fn decide(
    State(c): State<Arc<Console>>,
    headers: HeaderMap,
    Path(id): Path<String>,
    Form(f): Form<Fields>,
) -> Response {
    let s = match posted_by(&c, &headers, &id, &f).await {
        Ok(s) => s,
        Err(r) => return r,
    };
    let qualifies = match field(&f, "layak") {
        "ya" => true,
        "tidak" => false,
        _ => {
            return invalid(
                &c,
                &s,
                &id,
                "kelayakan",
                &f,
                vec![err(&c, "layak", "kasus.err_decision")],
            )
            .await;
        }
    };
    let reason = if qualifies { "" } else { field(&f, "alasan") };
    let msg = vpb::DecideEligibilityRequest {
        complaint_id: id.clone(),
        qualifies,
        reason_code: reason.to_string(),
        note: field(&f, "keterangan").to_string(),
    };
    send(&c, &s, &id, "kelayakan", &f, msg, |mut v, r| async move {
        v.decide_eligibility(r).await
    })
    .await
}

/// POST `/staf/kasus/<id>/catatan`: a case note of a Bidang role.
pub async fn note(
    State(c): State<Arc<Console>>,
    headers: HeaderMap,
    Path(id): Path<String>,
    Form(f): Form<Fields>,
) -> Response {
    let msg = vpb::AddCaseNoteRequest {
        complaint_id: id.clone(),
        text: field(&f, "catatan").to_string(),
    };
    step(
        &c,
        &headers,
        &id,
        "catatan",
        &f,
        msg,
        |mut v, r| async move { v.add_case_note(r).await },
    )
    .await
}

/// POST `/staf/kasus/<id>/jawaban`: a draft of the response to the complainant (S12).
pub async fn draft(
    State(c): State<Arc<Console>>,
    headers: HeaderMap,
    Path(id): Path<String>,
    Form(f): Form<Fields>,
) -> Response {
    let msg = vpb::DraftResponseRequest {
        complaint_id: id.clone(),
        text: field(&f, "jawaban").to_string(),
        outcome_code: field(&f, "hasil").to_string(),
    };
    step(
        &c,
        &headers,
        &id,
        "jawaban",
        &f,
        msg,
        |mut v, r| async move { v.draft_response(r).await },
    )
    .await
}

fn revision(f: &Fields) -> i32 {
    field(f, "revisi").parse().unwrap_or(0)
}

/// POST `/staf/kasus/<id>/setujui`: the Kepala Bidang approves the latest draft (S12); feedback
/// then has it for delivery (S13).
pub async fn approve(
    State(c): State<Arc<Console>>,
    headers: HeaderMap,
    Path(id): Path<String>,
    Form(f): Form<Fields>,
) -> Response {
    let msg = vpb::ApproveResponseRequest {
        complaint_id: id.clone(),
        revision: revision(&f),
    };
    step(
        &c,
        &headers,
        &id,
        "setujui",
        &f,
        msg,
        |mut v, r| async move { v.approve_response(r).await },
    )
    .await
}

/// POST `/staf/kasus/<id>/kembalikan`: the Kepala Bidang returns the latest draft with a reason.
pub async fn give_back(
    State(c): State<Arc<Console>>,
    headers: HeaderMap,
    Path(id): Path<String>,
    Form(f): Form<Fields>,
) -> Response {
    let msg = vpb::ReturnResponseRequest {
        complaint_id: id.clone(),
        revision: revision(&f),
        reason: field(&f, "alasan_kembali").to_string(),
    };
    step(
        &c,
        &headers,
        &id,
        "kembalikan",
        &f,
        msg,
        |mut v, r| async move { v.return_response(r).await },
    )
    .await
}

/// POST `/staf/kasus/<id>/wawancara`: a clarification or an interview with a party (S9), by an
/// assigned officer.
pub async fn interview(
    State(c): State<Arc<Console>>,
    headers: HeaderMap,
    Path(id): Path<String>,
    Form(f): Form<Fields>,
) -> Response {
    let s = match posted_by(&c, &headers, &id, &f).await {
        Ok(s) => s,
        Err(r) => return r,
    };
    let pick = |table: &[(i32, &str)], k: &str| {
        table
            .iter()
            .find(|(_, code)| *code == field(&f, k))
            .map(|(v, _)| *v)
    };
    let kinds: Vec<(i32, &str)> = KINDS.iter().map(|(e, k, _)| (*e as i32, *k)).collect();
    let parties: Vec<(i32, &str)> = PARTIES.iter().map(|(e, k, _)| (*e as i32, *k)).collect();
    let channels: Vec<(i32, &str)> = CHANNELS.iter().map(|(e, k, _)| (*e as i32, *k)).collect();
    let mut errors = Vec::new();
    let kind = pick(&kinds, "jenis");
    let party = pick(&parties, "pihak");
    let channel = pick(&channels, "cara");
    if party.is_none() {
        errors.push(err(&c, "pihak", "kasus.err_party"));
    }
    if channel.is_none() {
        errors.push(err(&c, "cara", "kasus.err_channel"));
    }
    let held_on = field(&f, "tanggal").parse::<jiff::civil::Date>().ok();
    if held_on.is_none() {
        errors.push(err(&c, "tanggal", "kasus.err_date"));
    }
    let amendment = match crate::casework::amendment(&c, &f, field(&f, "tanggal")) {
        Ok(a) => a,
        Err(e) => {
            errors.extend(e);
            None
        }
    };
    if !errors.is_empty() {
        return invalid(&c, &s, &id, "wawancara", &f, errors).await;
    }
    let msg = vpb::RecordInterviewRequest {
        complaint_id: id.clone(),
        kind: kind.unwrap_or(vpb::InterviewKind::Clarification as i32),
        party: party.unwrap_or_default(),
        channel: channel.unwrap_or_default(),
        held_on: held_on.map(|d| aduan_proto::common::v1::Date {
            year: i32::from(d.year()),
            month: i32::from(d.month()),
            day: i32::from(d.day()),
        }),
        present: field(&f, "hadir")
            .split([',', '\n'])
            .map(str::trim)
            .filter(|p| !p.is_empty())
            .map(str::to_string)
            .collect(),
        summary: field(&f, "ringkasan").to_string(),
        intake_amendment: amendment,
    };
    let req = match bearer(&s, msg) {
        Ok(r) => r,
        Err(_) => return unavailable(&c),
    };
    match client(&c).record_interview(req).await {
        Ok(r) if r.get_ref().intake_revision > 0 => crate::casework::amended(&id),
        r => after(&c, &s, &id, "wawancara", &f, r).await,
    }
}
