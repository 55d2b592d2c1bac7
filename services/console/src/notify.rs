//! Notifications (issue 15): the badge in every staff page's header and the list at
//! `/staf/pemberitahuan`, from the lifecycle events the console receives as the relay
//! subscriber `console` (`aduan_spine::relay::ROUTES`; intake's registration only gives the
//! number and category of later notifications): a disposition to a Bidang, a response
//! waiting for the Bidang head's approval, returned, approved; a case moved or reopened; an SLA
//! warning or breach.
//!
//! The console stores numbers, codes and dates only (registration number, category, Bidang, due
//! date), never names or chronology; the texts are written when the list is shown. Each event id
//! is remembered in the same transaction, so a redelivery changes nothing. Notifications older
//! than [`RETENTION_DAYS`] are deleted by the console's sweeper.
//!
//! Paths: `/staf/pemberitahuan` (the list, `?halaman=N`), `/staf/pemberitahuan/jumlah` (the
//! badge alone, polled by htmx; 204 when the count is the one the page already shows),
//! `/staf/pemberitahuan/{id}/dibaca` and `/staf/pemberitahuan/dibaca` (POST: one, or all, read).

use std::collections::HashMap;
use std::sync::Arc;

use aduan_proto::events::v1::{self as ev, HandlingActivityKind, LifecycleEvent, lifecycle_event};
use aduan_runtime::Result;
use aduan_runtime::auth::Role;
use aduan_spine::relay::{ApplyOutcome, EventReceiver};
use axum::extract::{Form, Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};

use crate::case::{Fields, field, posted_by, staff};
use crate::public::unavailable;
use crate::store::{CaseRef, NewNotification, NotificationRow, Plan, Reader, SessionRow};
use crate::views::{self, Page};
use crate::{Console, i18n, now};

/// Notifications older than this are deleted (the ids of received events are the spine's
/// housekeeping's, `relay.keep_seen_days`).
pub const RETENTION_DAYS: i64 = 90;
/// What is known of a complaint is kept this long after its last event.
const CASE_DAYS: i64 = 365;
/// Notifications per page of the list.
const PAGE_SIZE: i64 = 20;

/// The roles of a Bidang's staff.
const BIDANG_ROLES: [Role; 5] = [
    Role::BidangHead,
    Role::BidangOfficer,
    Role::Counsellor,
    Role::Mediator,
    Role::SocialWorker,
];

fn everyone_of(bidang: &str) -> Vec<(&'static str, String)> {
    BIDANG_ROLES
        .iter()
        .map(|r| (r.as_str(), bidang.to_string()))
        .collect()
}

fn date_of(d: &Option<aduan_proto::common::v1::Date>) -> String {
    d.as_ref()
        .and_then(|d| {
            jiff::civil::Date::new(
                i16::try_from(d.year).ok()?,
                i8::try_from(d.month).ok()?,
                i8::try_from(d.day).ok()?,
            )
            .ok()
        })
        .map(|d| d.to_string())
        .unwrap_or_default()
}

/// What one event does: the complaint's number, category and Bidang as of it, and the
/// notification it gives (who sees it, from what the event carries and what is known).
/// `tz` gives an office's time zone (an SLA alert's due time as a date of its calendar).
pub fn plan(
    e: &LifecycleEvent,
    known: Option<CaseRef>,
    now: i64,
    tz: &dyn Fn(&str) -> jiff::tz::TimeZone,
) -> Plan {
    let at = e
        .occurred_at
        .as_ref()
        .and_then(aduan_runtime::time::from_proto)
        .map(|t| t.as_second())
        .unwrap_or(now);
    // Older than the list keeps (a replay of an old dead letter): nothing to show.
    if at < now - RETENTION_DAYS * 86_400 || e.office_code.is_empty() {
        return Plan::default();
    }
    let known = known.filter(|k| k.office_code == e.office_code);
    let base = |kind: &'static str, c: &CaseRef| NewNotification {
        complaint_id: e.complaint_id.clone(),
        office_code: e.office_code.clone(),
        bidang_code: c.bidang_code.clone(),
        kind,
        registration_number: c.registration_number.clone(),
        category_code: c.category_code.clone(),
        due_date: String::new(),
        created_at: at,
        audience: Vec::new(),
    };
    let known_or_empty = || {
        known.clone().unwrap_or(CaseRef {
            office_code: e.office_code.clone(),
            ..CaseRef::default()
        })
    };
    match &e.detail {
        // S3: the number and category, for the notifications of events that do not carry them.
        Some(lifecycle_event::Detail::Registered(r)) => Plan {
            case: Some(CaseRef {
                registration_number: r.registration_number.clone(),
                category_code: r.category_code.clone(),
                ..known_or_empty()
            }),
            notice: None,
        },
        Some(lifecycle_event::Detail::DispositionIssued(d)) if !d.bidang_code.is_empty() => {
            let case = CaseRef {
                office_code: e.office_code.clone(),
                bidang_code: d.bidang_code.clone(),
                registration_number: d.registration_number.clone(),
                category_code: d.category_code.clone(),
            };
            let mut n = base("disposition", &case);
            n.due_date = date_of(&d.due_date);
            n.audience = everyone_of(&d.bidang_code);
            Plan {
                case: Some(case),
                notice: Some(n),
            }
        }
        Some(lifecycle_event::Detail::HandlingActivity(h)) => {
            let mut case = known_or_empty();
            if !h.bidang_code.is_empty() {
                case.bidang_code = h.bidang_code.clone();
            }
            if case.bidang_code.is_empty() {
                return Plan::default();
            }
            let b = case.bidang_code.clone();
            let (kind, audience) = match h.kind() {
                HandlingActivityKind::ResponseDrafted => (
                    "response_drafted",
                    vec![(Role::BidangHead.as_str(), b.clone())],
                ),
                HandlingActivityKind::ResponseReturned => (
                    "response_returned",
                    BIDANG_ROLES[1..]
                        .iter()
                        .map(|r| (r.as_str(), b.clone()))
                        .collect(),
                ),
                HandlingActivityKind::Moved => ("moved", everyone_of(&b)),
                HandlingActivityKind::Reopened => ("reopened", everyone_of(&b)),
                _ => {
                    // Nothing to tell; keep the Bidang when the console knows the case.
                    return Plan {
                        case: known.is_some().then_some(case),
                        notice: None,
                    };
                }
            };
            let mut n = base(kind, &case);
            n.audience = audience;
            Plan {
                case: known.is_some().then_some(case),
                notice: Some(n),
            }
        }
        Some(lifecycle_event::Detail::ResponseApproved(r)) => {
            let mut case = known_or_empty();
            if !r.bidang_code.is_empty() {
                case.bidang_code = r.bidang_code.clone();
            }
            if !r.registration_number.is_empty() {
                case.registration_number = r.registration_number.clone();
            }
            if !r.category_code.is_empty() {
                case.category_code = r.category_code.clone();
            }
            // S13: the complaints unit delivers the approved response.
            let mut n = base("response_approved", &case);
            n.audience = vec![(Role::ComplaintsOfficer.as_str(), String::new())];
            Plan {
                case: Some(case),
                notice: Some(n),
            }
        }
        Some(lifecycle_event::Detail::SlaAlert(s)) => {
            let case = known_or_empty();
            let mut n = base(
                if s.breached {
                    "sla_breach"
                } else {
                    "sla_warning"
                },
                &case,
            );
            n.due_date = s
                .due_at
                .as_ref()
                .and_then(aduan_runtime::time::from_proto)
                .map(|t| t.to_zoned(tz(&e.office_code)).date().to_string())
                .unwrap_or_default();
            n.audience = vec![
                (Role::Head.as_str(), String::new()),
                (Role::ComplaintsOfficer.as_str(), String::new()),
            ];
            if !case.bidang_code.is_empty() {
                n.audience
                    .push((Role::BidangHead.as_str(), case.bidang_code.clone()));
            }
            Plan {
                case: None,
                notice: Some(n),
            }
        }
        _ => Plan::default(),
    }
}

#[tonic::async_trait]
impl EventReceiver for Console {
    async fn apply(&self, source: &str, events: Vec<ev::LifecycleEvent>) -> Result<ApplyOutcome> {
        let t = now();
        let tz = |office: &str| self.tz(office);
        let f = |e: &LifecycleEvent, known: Option<CaseRef>| plan(e, known, t, &tz);
        let out = self.store.apply_events(source, &events, t, &f).await?;
        metrics::counter!("aduan_console_events_applied_total", "source" => source.to_string())
            .increment((out.applied - out.duplicates) as u64);
        Ok(out)
    }
}

impl Console {
    /// Deletes the notifications older than [`RETENTION_DAYS`] (the session sweeper calls it).
    pub async fn prune_notifications(&self) -> Result<u64> {
        let t = now();
        self.store
            .prune_notifications(t - RETENTION_DAYS * 86_400, t - CASE_DAYS * 86_400)
            .await
    }
}

fn reader(s: &SessionRow) -> Reader<'_> {
    Reader {
        user_id: &s.user.id,
        office_code: &s.user.office_code,
        bidang: &s.user.bidang,
        roles: &s.user.roles,
    }
}

/// The session's unread count (0 when the database does not answer: the badge is a hint).
pub(crate) async fn unread(c: &Console, s: &SessionRow) -> i64 {
    match c.store.unread_notifications(&reader(s)).await {
        Ok(n) => n,
        Err(e) => {
            tracing::warn!(error = %e, "console: unread notifications not counted");
            0
        }
    }
}

/// The badge's accessible text: "3 pemberitahuan belum dibaca".
pub(crate) fn badge_text(c: &Console, n: i64) -> String {
    if n == 0 {
        c.cat.t("pemberitahuan.none_unread").to_string()
    } else {
        c.cat
            .t("pemberitahuan.unread")
            .replace("{}", &i18n::number(n))
    }
}

/// The text of one notification.
fn text_of(c: &Console, n: &NotificationRow) -> String {
    let number = if n.registration_number.is_empty() {
        c.cat.t("pemberitahuan.a_complaint").to_string()
    } else {
        n.registration_number.clone()
    };
    let category = c
        .refdata
        .category(&n.category_code)
        .map(|k| k.label.clone())
        .unwrap_or_else(|| n.category_code.clone());
    let due = n
        .due_date
        .parse::<jiff::civil::Date>()
        .map(i18n::date)
        .unwrap_or_else(|_| "-".into());
    let key = match n.kind.as_str() {
        "disposition" => "pemberitahuan.disposition",
        "response_drafted" => "pemberitahuan.response_drafted",
        "response_returned" => "pemberitahuan.response_returned",
        "response_approved" => "pemberitahuan.response_approved",
        "moved" => "pemberitahuan.moved",
        "reopened" => "pemberitahuan.reopened",
        "sla_breach" => "pemberitahuan.sla_breach",
        _ => "pemberitahuan.sla_warning",
    };
    let mut text = c
        .cat
        .t(key)
        .replace("{nomor}", &number)
        .replace("{tanggal}", &due);
    if !category.is_empty() {
        text = text.replace("{kategori}", &category);
    } else {
        text = text.replace(" ({kategori})", "");
    }
    text
}

/// Where a notification leads its reader: the Bidang's case page for the Bidang's staff, the
/// follow-up page for an approved response, else the complaint's page.
fn link_of(s: &SessionRow, n: &NotificationRow) -> String {
    let bidang_staff = !n.bidang_code.is_empty()
        && s.user.bidang == n.bidang_code
        && s.user
            .roles
            .iter()
            .filter_map(|r| Role::parse(r))
            .any(Role::is_bidang);
    if n.kind == "response_approved" {
        format!("/staf/tindak-lanjut/{}", n.complaint_id)
    } else if bidang_staff {
        format!("/staf/kasus/{}", n.complaint_id)
    } else {
        format!("/staf/pengaduan/{}", n.complaint_id)
    }
}

/// GET `/staf/pemberitahuan`: my notifications, newest first, paged.
pub async fn list(
    State(c): State<Arc<Console>>,
    headers: HeaderMap,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let s = match staff(&c, &headers).await {
        Ok(s) => s,
        Err(r) => return r,
    };
    let page_no = q
        .get("halaman")
        .and_then(|p| p.parse::<i64>().ok())
        .filter(|p| (1..=10_000).contains(p))
        .unwrap_or(1);
    let (rows, total) = match c
        .store
        .notifications(&reader(&s), PAGE_SIZE, (page_no - 1) * PAGE_SIZE)
        .await
    {
        Ok(r) => r,
        Err(e) => {
            tracing::warn!(error = %e, "console: notifications not read");
            return unavailable(&c);
        }
    };
    let tz = c.tz(&s.user.office_code);
    let lines = rows
        .iter()
        .map(|n| views::NotificationLine {
            id: n.id.clone(),
            text: text_of(&c, n),
            when: jiff::Timestamp::from_second(n.created_at)
                .map(|t| i18n::date_time(t, &tz))
                .unwrap_or_else(|_| "-".into()),
            link: link_of(&s, n),
            read: n.read,
        })
        .collect();
    let notice = match q.get("selesai").map(String::as_str) {
        Some("satu") => Some(c.cat.t("pemberitahuan.done_one").to_string()),
        Some("semua") => Some(c.cat.t("pemberitahuan.done_all").to_string()),
        _ => None,
    };
    let badge = badge_text(&c, s.unread);
    let mut page = Page::staff(&c.cat, "pemberitahuan.title", &s);
    page.htmx = true;
    views::render(
        StatusCode::OK,
        &views::Notifications {
            page,
            csrf: s.csrf.clone(),
            lines,
            unread: s.unread,
            badge,
            notice,
            page_no,
            prev: (page_no > 1).then(|| page_no - 1),
            next: (page_no * PAGE_SIZE < total).then(|| page_no + 1),
        },
    )
}

/// The live session of a poll, read without touching it: a page left open does not keep its
/// session from ending when idle, and no token is renewed at the provider (the count calls no
/// service). None when there is none or it has ended (the sweeper deletes it).
async fn polled_session(c: &Console, headers: &HeaderMap) -> Option<SessionRow> {
    let raw = crate::security::cookie(headers, crate::security::SESSION_COOKIE)?;
    let mut s = c
        .store
        .session(&crate::security::sha256_hex(raw))
        .await
        .ok()??;
    let (idle, absolute) = c.limits();
    let t = now();
    if s.last_seen + idle < t
        || s.created_at + absolute < t
        || s.user.disabled
        || s.user.must_change_password
    {
        return None;
    }
    s.unread = unread(c, &s).await;
    Some(s)
}

/// GET `/staf/pemberitahuan/jumlah`: the badge alone (htmx polls it). With `ada=<n>` (the count
/// the page shows), an unchanged count answers 204, so nothing is swapped and the live region
/// says nothing; without a live session, 401 (htmx swaps nothing). The poll does not count as
/// activity of the session.
pub async fn count(
    State(c): State<Arc<Console>>,
    headers: HeaderMap,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let Some(s) = polled_session(&c, &headers).await else {
        return StatusCode::UNAUTHORIZED.into_response();
    };
    if q.get("ada").and_then(|v| v.parse::<i64>().ok()) == Some(s.unread) {
        return StatusCode::NO_CONTENT.into_response();
    }
    let mut r = views::render(
        StatusCode::OK,
        &views::NotificationBadge {
            page: Page::staff(&c.cat, "pemberitahuan.title", &s),
        },
    );
    r.headers_mut().insert(
        axum::http::header::CACHE_CONTROL,
        axum::http::HeaderValue::from_static("no-store"),
    );
    r
}

/// POST `/staf/pemberitahuan/{id}/dibaca`: one of mine read (404 when it is not mine).
pub async fn mark_one(
    State(c): State<Arc<Console>>,
    headers: HeaderMap,
    Path(id): Path<String>,
    Form(f): Form<Fields>,
) -> Response {
    let s = match posted_by(&c, &headers, &id, &f).await {
        Ok(s) => s,
        Err(r) => return r,
    };
    match c
        .store
        .mark_notification_read(&reader(&s), &id, now())
        .await
    {
        Ok(true) => Redirect::to(&back(&f, "satu")).into_response(),
        Ok(false) => crate::public::message(
            &c,
            StatusCode::NOT_FOUND,
            "error.not_found_title",
            "pemberitahuan.not_found",
        ),
        Err(e) => {
            tracing::warn!(error = %e, "console: notification not marked read");
            unavailable(&c)
        }
    }
}

/// POST `/staf/pemberitahuan/dibaca`: all of mine read.
pub async fn mark_all(
    State(c): State<Arc<Console>>,
    headers: HeaderMap,
    Form(f): Form<Fields>,
) -> Response {
    let s = match staff(&c, &headers).await {
        Ok(s) => s,
        Err(r) => return r,
    };
    if !crate::security::same(field(&f, "csrf"), &s.csrf) {
        return crate::public::message(
            &c,
            StatusCode::FORBIDDEN,
            "error.forbidden_title",
            "error.csrf_body",
        );
    }
    match c
        .store
        .mark_all_notifications_read(&reader(&s), now())
        .await
    {
        Ok(_) => Redirect::to(&back(&f, "semua")).into_response(),
        Err(e) => {
            tracing::warn!(error = %e, "console: notifications not marked read");
            unavailable(&c)
        }
    }
}

/// Back to the list's page the form was on.
fn back(f: &Fields, done: &str) -> String {
    let page = field(f, "halaman")
        .parse::<i64>()
        .ok()
        .filter(|p| (2..=10_000).contains(p));
    match page {
        Some(p) => format!("/staf/pemberitahuan?halaman={p}&selesai={done}"),
        None => format!("/staf/pemberitahuan?selesai={done}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use aduan_proto::common::v1::Date;

    fn event(detail: lifecycle_event::Detail) -> LifecycleEvent {
        LifecycleEvent {
            event_id: "e1".into(),
            complaint_id: "c1".into(),
            office_code: "35.27".into(),
            occurred_at: Some(prost_types::Timestamp {
                seconds: 1_800_000_000,
                nanos: 0,
            }),
            detail: Some(detail),
            ..Default::default()
        }
    }

    fn utc(_: &str) -> jiff::tz::TimeZone {
        jiff::tz::TimeZone::UTC
    }

    #[test]
    fn a_disposition_goes_to_the_bidang_and_is_remembered() {
        let e = event(lifecycle_event::Detail::DispositionIssued(
            ev::DispositionIssued {
                bidang_code: "linjamsos".into(),
                registration_number: "PGD/35.27/2026/00001".into(),
                category_code: "bansos".into(),
                due_date: Some(Date {
                    year: 2026,
                    month: 12,
                    day: 3,
                }),
                ..Default::default()
            },
        ));
        let p = plan(&e, None, 1_800_000_100, &utc);
        let n = p.notice.unwrap();
        assert_eq!(n.kind, "disposition");
        assert_eq!(n.due_date, "2026-12-03");
        assert_eq!(n.audience.len(), 5);
        assert!(n.audience.iter().all(|(_, b)| b == "linjamsos"));
        assert_eq!(p.case.unwrap().registration_number, "PGD/35.27/2026/00001");
    }

    #[test]
    fn a_drafted_response_goes_to_the_bidang_head_only() {
        let e = event(lifecycle_event::Detail::HandlingActivity(
            ev::HandlingActivity {
                kind: HandlingActivityKind::ResponseDrafted as i32,
                bidang_code: "linjamsos".into(),
                ..Default::default()
            },
        ));
        let known = CaseRef {
            office_code: "35.27".into(),
            bidang_code: "linjamsos".into(),
            registration_number: "R1".into(),
            category_code: "bansos".into(),
        };
        let n = plan(&e, Some(known), 1_800_000_100, &utc).notice.unwrap();
        assert_eq!(n.audience, vec![("bidang_head", "linjamsos".to_string())]);
        assert_eq!(n.registration_number, "R1");
        // Other activities tell nobody.
        let e = event(lifecycle_event::Detail::HandlingActivity(
            ev::HandlingActivity {
                kind: HandlingActivityKind::Interview as i32,
                bidang_code: "linjamsos".into(),
                ..Default::default()
            },
        ));
        assert!(plan(&e, None, 1_800_000_100, &utc).notice.is_none());
    }

    #[test]
    fn an_sla_alert_goes_to_the_office_and_to_the_bidang_head_of_a_disposed_case() {
        let e = event(lifecycle_event::Detail::SlaAlert(ev::SlaAlert {
            breached: false,
            due_at: Some(prost_types::Timestamp {
                seconds: 1_800_086_400,
                nanos: 0,
            }),
            ..Default::default()
        }));
        let n = plan(&e, None, 1_800_000_100, &utc).notice.unwrap();
        assert_eq!(n.kind, "sla_warning");
        assert_eq!(n.audience.len(), 2);
        let known = CaseRef {
            office_code: "35.27".into(),
            bidang_code: "linjamsos".into(),
            ..Default::default()
        };
        let n = plan(&e, Some(known), 1_800_000_100, &utc).notice.unwrap();
        assert!(
            n.audience
                .contains(&("bidang_head", "linjamsos".to_string()))
        );
    }

    #[test]
    fn a_registration_names_the_complaint_of_a_later_sla_alert() {
        let e = event(lifecycle_event::Detail::Registered(
            ev::ComplaintRegistered {
                registration_number: "PGD/35.27/2026/00002".into(),
                category_code: "bansos".into(),
                ..Default::default()
            },
        ));
        let p = plan(&e, None, 1_800_000_100, &utc);
        assert!(p.notice.is_none());
        let case = p.case.unwrap();
        assert_eq!(case.bidang_code, "");
        let alert = event(lifecycle_event::Detail::SlaAlert(ev::SlaAlert {
            breached: true,
            ..Default::default()
        }));
        let n = plan(&alert, Some(case), 1_800_000_100, &utc)
            .notice
            .unwrap();
        assert_eq!(n.kind, "sla_breach");
        assert_eq!(n.registration_number, "PGD/35.27/2026/00002");
        assert_eq!(
            n.audience.len(),
            2,
            "no Bidang yet: the office's head and unit"
        );
    }

    #[test]
    fn old_events_and_events_without_an_office_give_nothing() {
        let mut e = event(lifecycle_event::Detail::SlaAlert(ev::SlaAlert::default()));
        assert!(
            plan(&e, None, 1_800_000_000 + 91 * 86_400, &utc)
                .notice
                .is_none()
        );
        e.office_code.clear();
        assert!(plan(&e, None, 1_800_000_100, &utc).notice.is_none());
    }
}
