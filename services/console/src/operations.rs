//! The operators' pages (issue 15): the event relays' status for operators and relay
//! administrators, the dead letters and their replay for the relay administrator of an office
//! (issue 12's rules: dead letters name complaints, so only the office's own), and one
//! complaint's access log across intake, investigation and feedback: who read what, when and why.
//!
//! Paths: `/staf/operasi` (status, dead letters, the access-log lookup), `/staf/operasi/ulang`
//! (replay one complaint's dead letters to one subscriber), `/staf/akses/<id>` (the access log).
//! Every call carries the signed-in person's token: the services decide what each role sees.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use aduan_proto::events::v1 as ev;
use aduan_proto::events::v1::event_relay_admin_client::EventRelayAdminClient;
use aduan_proto::feedback::v1 as fpb;
use aduan_proto::intake::v1 as ipb;
use aduan_proto::investigation::v1 as vpb;
use aduan_runtime::auth::Role;
use axum::extract::{Form, Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use tonic::Code;
use tonic::transport::Channel;

use crate::case::{Fields, field, not_found, role_label, staff, valid_id};
use crate::public::{forbidden, unavailable};
use crate::staff::{roles_of, with_token};
use crate::store::SessionRow;
use crate::views::{self, Page};
use crate::{Console, i18n};

/// The services whose processes run relays, by the name their outboxes carry.
fn channel(c: &Console, service: &str) -> Option<Channel> {
    Some(match service {
        "intake" => c.intake.clone(),
        "triage" => c.triage.clone(),
        "investigation" => c.investigation.clone(),
        "feedback" => c.feedback.clone(),
        "reporting" => c.reporting.clone(),
        _ => return None,
    })
}

fn may_operate(roles: &[Role]) -> bool {
    roles.contains(&Role::Operator) || roles.contains(&Role::RelayAdmin)
}

fn may_read_logs(roles: &[Role]) -> bool {
    roles.contains(&Role::Operator) || roles.contains(&Role::Head)
}

/// A service name as the page shows it.
fn service_label(c: &Console, s: &str) -> String {
    let k = format!("operasi.svc_{s}");
    if c.cat.has(&k) {
        c.cat.t(&k).to_string()
    } else {
        s.to_string()
    }
}

/// GET `/staf/operasi[?ulang=<delivered>-<still dead>]`.
pub async fn show(
    State(c): State<Arc<Console>>,
    headers: HeaderMap,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let s = match staff(&c, &headers).await {
        Ok(s) => s,
        Err(r) => return r,
    };
    let roles = roles_of(&s);
    if !may_operate(&roles) {
        return forbidden(&c);
    }
    let notice = q.get("ulang").and_then(|v| {
        let (a, b) = v.split_once('-')?;
        let (a, b): (u32, u32) = (a.parse().ok()?, b.parse().ok()?);
        Some(
            c.cat
                .t("operasi.replayed")
                .replace("{delivered}", &a.to_string())
                .replace("{dead}", &b.to_string()),
        )
    });
    page(&c, &s, StatusCode::OK, notice).await
}

async fn page(c: &Console, s: &SessionRow, status: StatusCode, notice: Option<String>) -> Response {
    let roles = roles_of(s);
    let relay_admin = roles.contains(&Role::RelayAdmin);
    let tz = c.tz(&s.user.office_code);
    let mut seen = HashSet::new();
    let mut relays = Vec::new();
    let mut silent = Vec::new();
    let mut letters = Vec::new();
    let mut seen_letters = HashSet::new();
    for &service in aduan_spine::relay::SERVICES {
        let Some(ch) = channel(c, service) else {
            continue;
        };
        let mut admin = EventRelayAdminClient::new(ch);
        let Ok(req) = with_token(&s.token, ev::GetRelayStatusRequest {}) else {
            return unavailable(c);
        };
        match admin.get_relay_status(req).await {
            Ok(r) => {
                for x in r.into_inner().relays {
                    if !seen.insert((x.source_service.clone(), x.subscriber.clone())) {
                        continue;
                    }
                    relays.push(views::RelayLine {
                        source: service_label(c, &x.source_service),
                        subscriber: service_label(c, &x.subscriber),
                        active: x.active,
                        position: x.position,
                        head: x.head,
                        pending: x.pending,
                        lag: aduan_documents::angka(x.lag_seconds, 1),
                        dead: x.dead_letters,
                        error: x.last_error,
                        late: x.pending > 0 && x.lag_seconds > 60.0,
                    });
                }
            }
            Err(st) => {
                tracing::warn!(service, code = ?st.code(), "console: a relay status is unavailable");
                silent.push(service_label(c, service));
            }
        }
        if !relay_admin {
            continue;
        }
        let Ok(req) = with_token(
            &s.token,
            ev::ListDeadLettersRequest {
                source_service: service.into(),
                limit: 200,
                ..Default::default()
            },
        ) else {
            return unavailable(c);
        };
        if let Ok(r) = admin.list_dead_letters(req).await {
            for d in r.into_inner().dead_letters {
                if !seen_letters.insert((
                    d.source_service.clone(),
                    d.subscriber.clone(),
                    d.sequence,
                )) {
                    continue;
                }
                letters.push(views::DeadLine {
                    source_code: d.source_service.clone(),
                    subscriber_code: d.subscriber.clone(),
                    source: service_label(c, &d.source_service),
                    subscriber: service_label(c, &d.subscriber),
                    sequence: d.sequence,
                    event_type: d.event_type.replace('_', " "),
                    complaint_id: d.complaint_id.clone(),
                    short_id: d.complaint_id.chars().take(8).collect(),
                    error: d.error,
                    attempts: d.attempts,
                    dead_at: crate::case::when(&d.dead_at, &tz),
                    held_behind: d.held_behind,
                });
            }
        }
    }
    relays.sort_by(|a, b| (&a.source, &a.subscriber).cmp(&(&b.source, &b.subscriber)));
    letters.sort_by(|a, b| {
        (&a.source_code, a.sequence, &a.subscriber_code).cmp(&(
            &b.source_code,
            b.sequence,
            &b.subscriber_code,
        ))
    });
    let view = views::Operations {
        page: Page::staff(&c.cat, "operasi.title", s),
        csrf: s.csrf.clone(),
        relays,
        silent,
        relay_admin,
        letters,
        // The services keep each office's log for the office: a province-wide operator has none.
        can_read_logs: may_read_logs(&roles) && s.user.office_code.contains('.'),
        notice,
        tz_name: i18n::zone_name(&tz, jiff::Timestamp::now()),
    };
    views::render(status, &view)
}

/// POST `/staf/operasi/ulang`: the relay administrator replays one complaint's dead letters to
/// one subscriber, in outbox order; the page says how many were delivered and how many are
/// still dead.
pub async fn replay(
    State(c): State<Arc<Console>>,
    headers: HeaderMap,
    Form(f): Form<Fields>,
) -> Response {
    let s = match staff(&c, &headers).await {
        Ok(s) => s,
        Err(r) => return r,
    };
    if !crate::security::same(field(&f, "csrf"), &s.csrf) {
        return forbidden(&c);
    }
    if !roles_of(&s).contains(&Role::RelayAdmin) {
        return forbidden(&c);
    }
    let source = field(&f, "sumber");
    let complaint = field(&f, "pengaduan");
    let (Some(ch), true) = (channel(&c, source), valid_id(complaint)) else {
        return not_found(&c);
    };
    let Ok(req) = with_token(
        &s.token,
        ev::ReplayDeadLettersRequest {
            source_service: source.into(),
            subscriber: field(&f, "pelanggan").into(),
            complaint_id: complaint.into(),
        },
    ) else {
        return unavailable(&c);
    };
    match EventRelayAdminClient::new(ch)
        .replay_dead_letters(req)
        .await
    {
        Ok(r) => {
            let r = r.into_inner();
            Redirect::to(&format!(
                "/staf/operasi?ulang={}-{}",
                r.delivered,
                r.still_dead.len()
            ))
            .into_response()
        }
        Err(st) if matches!(st.code(), Code::NotFound | Code::InvalidArgument) => not_found(&c),
        Err(st) if st.code() == Code::PermissionDenied => forbidden(&c),
        Err(st) => {
            tracing::warn!(code = ?st.code(), "console: a replay failed");
            unavailable(&c)
        }
    }
}

/// GET `/staf/akses?pengaduan=<id>`: the lookup form's answer.
pub async fn lookup(Query(q): Query<HashMap<String, String>>) -> Response {
    let id = q.get("pengaduan").map(|s| s.trim()).unwrap_or("");
    Redirect::to(&format!("/staf/akses/{}", urlencode(id))).into_response()
}

fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// One read of the access log, from one service, for sorting.
struct Read {
    at: i64,
    line: views::AccessLine,
}

/// GET `/staf/akses/<id>`: who read the complaint's personal data (intake), its case file and
/// evidence (investigation) and its feedback record (feedback), when and why, newest first.
/// Reading the log is itself logged by each service.
pub async fn access_log(
    State(c): State<Arc<Console>>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    let s = match staff(&c, &headers).await {
        Ok(s) => s,
        Err(r) => return r,
    };
    if !may_read_logs(&roles_of(&s)) {
        return forbidden(&c);
    }
    if !valid_id(&id) {
        return not_found(&c);
    }
    let tz = c.tz(&s.user.office_code);
    let micros = |t: &Option<prost_types::Timestamp>| {
        t.as_ref()
            .and_then(aduan_runtime::time::from_proto)
            .map(aduan_runtime::time::to_micros)
            .unwrap_or(0)
    };
    let unavailable_req = || unavailable(&c);
    let (Ok(i), Ok(v), Ok(f)) = (
        with_token(
            &s.token,
            ipb::ListAccessLogRequest {
                complaint_id: id.clone(),
            },
        ),
        with_token(
            &s.token,
            vpb::ListAccessLogRequest {
                complaint_id: id.clone(),
                page_size: 500,
                page_token: String::new(),
            },
        ),
        with_token(
            &s.token,
            fpb::ListAccessLogRequest {
                complaint_id: id.clone(),
                page_size: 1000,
                page_token: String::new(),
            },
        ),
    ) else {
        return unavailable_req();
    };
    // Each service's log as plain rows: (when, who, what was read, why).
    let intake = ipb::intake_service_client::IntakeServiceClient::new(c.intake.clone())
        .list_access_log(i)
        .await
        .map(|r| {
            r.into_inner()
                .entries
                .into_iter()
                .map(|e| {
                    (
                        e.accessed_at,
                        e.actor,
                        action_text(&c, &e.action),
                        e.purpose,
                    )
                })
                .collect::<Vec<_>>()
        });
    let investigation =
        vpb::investigation_service_client::InvestigationServiceClient::new(c.investigation.clone())
            .list_access_log(v)
            .await
            .map(|r| {
                r.into_inner()
                    .entries
                    .into_iter()
                    .map(|e| {
                        let what = if e.what.starts_with("evidence") {
                            "kasus.read_evidence"
                        } else {
                            "kasus.read_case"
                        };
                        (e.accessed_at, e.actor, c.cat.t(what).to_string(), e.purpose)
                    })
                    .collect::<Vec<_>>()
            });
    let feedback = fpb::feedback_service_client::FeedbackServiceClient::new(c.feedback.clone())
        .list_access_log(f)
        .await
        .map(|r| {
            r.into_inner()
                .entries
                .into_iter()
                .map(|e| {
                    (
                        e.accessed_at,
                        e.actor,
                        action_text(&c, &e.action),
                        e.purpose,
                    )
                })
                .collect::<Vec<_>>()
        });
    let mut reads: Vec<Read> = Vec::new();
    let mut refused = Vec::new();
    let mut found = 0;
    for (record, answer) in [
        ("operasi.rec_intake", intake),
        ("operasi.rec_investigation", investigation),
        ("operasi.rec_feedback", feedback),
    ] {
        match answer {
            Ok(rows) => {
                found += 1;
                for (at, actor, what, purpose) in rows {
                    reads.push(Read {
                        at: micros(&at),
                        line: views::AccessLine {
                            when: crate::case::when(&at, &tz),
                            record: c.cat.t(record).to_string(),
                            who: actor
                                .as_ref()
                                .map(|a| role_label(&c, &a.role))
                                .unwrap_or_default(),
                            what,
                            purpose,
                        },
                    });
                }
            }
            Err(st) => note_refusal(&c, &st, record, &mut refused),
        }
    }
    if found == 0 && refused.is_empty() {
        return not_found(&c);
    }
    reads.sort_by_key(|r| std::cmp::Reverse(r.at));
    let view = views::AccessLog {
        page: Page::staff(&c.cat, "operasi.log_title", &s),
        id: id.clone(),
        short_id: id.chars().take(8).collect(),
        reads: reads.into_iter().map(|r| r.line).collect(),
        refused,
        purposes: roles_of(&s).contains(&Role::Head),
        tz_name: i18n::zone_name(&tz, jiff::Timestamp::now()),
    };
    views::render(StatusCode::OK, &view)
}

/// What an RPC read, in words ("GetComplaint" → "Data pribadi pengaduan").
fn action_text(c: &Console, action: &str) -> String {
    let k = format!("operasi.act_{action}");
    if c.cat.has(&k) {
        c.cat.t(&k).to_string()
    } else {
        action.to_string()
    }
}

/// A service that does not show this log: not found there (no record yet) says nothing; a
/// refusal is named on the page.
fn note_refusal(c: &Console, st: &tonic::Status, record: &str, refused: &mut Vec<String>) {
    match st.code() {
        Code::NotFound => {}
        Code::PermissionDenied | Code::Unauthenticated => {
            refused.push(c.cat.t(record).to_string());
        }
        code => {
            tracing::warn!(?code, record, "console: an access log is unavailable");
            refused.push(c.cat.t(record).to_string());
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn lookup_ids_are_encoded() {
        assert_eq!(super::urlencode("a b/../c"), "a%20b%2F..%2Fc");
        assert_eq!(
            super::urlencode("0190a8c2-7d9e-7000-8000-000000000000"),
            "0190a8c2-7d9e-7000-8000-000000000000"
        );
    }
}
