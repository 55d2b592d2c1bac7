//! Feedback (S13-S14) over real gRPC against a real server, SQLite and PostgreSQL. Cases arrive as
//! investigation's `response_approved` lifecycle events (applied through the event receiver, the
//! contract between the two services): delivery (S13), satisfied and dissatisfied feedback, the
//! reopening and the next approved version, closing by silence (once, even with two sweeps at
//! the same time, and past a case whose document does not open), steps out of order, roles,
//! offices and Bidang, write calls answering without free text, the access log and its pages,
//! the satisfaction survey (SKM) and its index (IKM) per office and for the province.

#[macro_use]
mod common;

use std::sync::Arc;
use std::time::Duration;

use aduan_feedback::Feedback;
use aduan_proto::common::v1::{self as cpb, Channel, ComplaintStatus, Step};
use aduan_proto::events::v1::{self as ev, LifecycleEvent, lifecycle_event::Detail};
use aduan_proto::feedback::v1::{
    self as pb, feedback_service_client::FeedbackServiceClient,
    get_satisfaction_index_request::Period,
};
use aduan_runtime::auth::Role;
use aduan_runtime::db::Database;
use aduan_runtime::time::{from_proto, to_micros, to_proto};
use aduan_spine::casefile::{AccessEntry, Value};
use aduan_spine::relay::EventReceiver;
use common::{TestApp, authed};
use jiff::{SignedDuration, Timestamp};
use prost::Message;
use tonic::Code;
use tonic::transport::Channel as GrpcChannel;
use tonic_types::StatusExt;

const SAMPANG: &str = "35.27";
const BANGKALAN: &str = "35.26";
const DAY_MICROS: i64 = 86_400_000_000;

fn violations(s: &tonic::Status) -> Vec<String> {
    s.get_error_details()
        .bad_request()
        .map(|b| b.field_violations.iter().map(|v| v.field.clone()).collect())
        .unwrap_or_default()
}

fn core(app: &TestApp) -> Arc<Feedback> {
    app.running
        .feedback
        .as_ref()
        .expect("feedback runs")
        .clone()
}

async fn client(app: &TestApp) -> FeedbackServiceClient<GrpcChannel> {
    FeedbackServiceClient::new(app.channel().await)
}

/// A token of `roles` in `office`, with a Bidang claim.
fn bidang_token(
    app: &TestApp,
    subject: &str,
    roles: &[Role],
    office: &str,
    bidang: &str,
) -> String {
    aduan_runtime::auth::mint_local(
        &app.config.auth,
        &app.data_dir,
        subject,
        office,
        roles,
        Some(bidang),
        Duration::from_secs(3600),
    )
    .unwrap()
}

/// Investigation's S12 event: a response approved by the Bidang head.
fn approved(
    id: &str,
    office: &str,
    bidang: &str,
    version: i32,
    seq: i64,
    at: Timestamp,
) -> LifecycleEvent {
    LifecycleEvent {
        event_id: uuid::Uuid::now_v7().to_string(),
        complaint_id: id.into(),
        office_code: office.into(),
        step: Step::S12ResponsePrepared as i32,
        occurred_at: Some(to_proto(at)),
        source_service: "investigation".into(),
        actor: Some(cpb::Actor {
            subject: "kabid-1".into(),
            role: "bidang_head".into(),
            office_code: office.into(),
        }),
        trace: None,
        sequence: seq,
        status: ComplaintStatus::ResponseReady as i32,
        detail: Some(Detail::ResponseApproved(ev::ResponseApproved {
            bidang_code: bidang.into(),
            version,
            qualified: true,
            outcome_code: "agreement_reached".into(),
            ..Default::default()
        })),
    }
}

/// A complaint whose response `bidang` approved an hour ago; returns its id.
async fn new_case(app: &TestApp, office: &str, bidang: &str) -> String {
    let id = uuid::Uuid::now_v7().to_string();
    let at = Timestamp::now() - SignedDuration::from_hours(1);
    let out = core(app)
        .apply(
            "investigation",
            vec![approved(&id, office, bidang, 1, 1, at)],
        )
        .await
        .unwrap();
    assert_eq!((out.applied, out.duplicates), (1, 0));
    assert!(out.rejection.is_none());
    id
}

fn delivery(id: &str, channel: Channel) -> pb::RecordDeliveryRequest {
    pb::RecordDeliveryRequest {
        complaint_id: id.into(),
        version: 0,
        channel: channel as i32,
        delivered_at: None,
        note: String::new(),
    }
}

fn satisfied(id: &str) -> pb::RecordFeedbackRequest {
    pb::RecordFeedbackRequest {
        complaint_id: id.into(),
        satisfied: true,
        ..Default::default()
    }
}

fn survey(id: &str, service: &str, scores: [i32; 9]) -> pb::SubmitSurveyRequest {
    pb::SubmitSurveyRequest {
        complaint_id: id.into(),
        service_code: service.into(),
        scores: scores.to_vec(),
        submitted_at: None,
    }
}

/// Feedback's outbox, decoded.
async fn outbox(app: &TestApp) -> Vec<LifecycleEvent> {
    core(app)
        .outbox()
        .fetch_after(0, 10_000)
        .await
        .unwrap()
        .into_iter()
        .map(|r| LifecycleEvent::decode(r.payload.as_slice()).unwrap())
        .collect()
}

async fn outbox_of(app: &TestApp, id: &str) -> Vec<LifecycleEvent> {
    outbox(app)
        .await
        .into_iter()
        .filter(|e| e.complaint_id == id)
        .collect()
}

async fn get(app: &TestApp, token: &str, id: &str) -> pb::FeedbackCase {
    client(app)
        .await
        .get_case(authed(
            token,
            pb::GetCaseRequest {
                complaint_id: id.into(),
                purpose: "S14 follow-up call".into(),
            },
        ))
        .await
        .unwrap()
        .into_inner()
}

/// S13 then S14 satisfied: the queue, the silence timer in the office's calendar, the events
/// (coded only: the note never leaves the sealed record), the access log.
async fn delivery_and_satisfied_feedback(app: TestApp) {
    let officer = app.token(&[Role::ComplaintsOfficer], SAMPANG);
    let head = app.token_for("kadis-sampang", &[Role::Head], SAMPANG);
    let mut c = client(&app).await;
    let id = new_case(&app, SAMPANG, "rehsos").await;

    let q = c
        .list_cases(authed(
            &officer,
            pb::ListCasesRequest {
                office_code: SAMPANG.into(),
                queue: pb::Queue::AwaitingDelivery as i32,
                ..Default::default()
            },
        ))
        .await
        .unwrap()
        .into_inner();
    let e = q.entries.iter().find(|e| e.complaint_id == id).unwrap();
    assert_eq!(e.status, ComplaintStatus::ResponseReady as i32);
    assert_eq!((e.response_version, e.bidang_code.as_str()), (1, "rehsos"));
    assert_eq!(e.outcome_code, "agreement_reached");

    // GetCase needs a purpose.
    let s = c
        .get_case(authed(
            &officer,
            pb::GetCaseRequest {
                complaint_id: id.clone(),
                purpose: String::new(),
            },
        ))
        .await
        .unwrap_err();
    assert_eq!(s.code(), Code::InvalidArgument);
    assert_eq!(violations(&s), vec!["purpose"]);

    // Microsecond precision, as stored.
    let delivered_at =
        Timestamp::from_microsecond(to_micros(Timestamp::now() - SignedDuration::from_mins(10)))
            .unwrap();
    let note = "Jawaban dibacakan kepada Ibu Siti lewat telepon";
    let case = c
        .record_delivery(authed(
            &officer,
            pb::RecordDeliveryRequest {
                delivered_at: Some(to_proto(delivered_at)),
                note: note.into(),
                ..delivery(&id, Channel::Phone)
            },
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(case.status, ComplaintStatus::ResponseDelivered as i32);
    assert_eq!(case.deliveries.len(), 1);
    // A write call answers without free text: the note is read through the logged GetCase only.
    assert_eq!(case.deliveries[0].note, "");
    assert!(!format!("{case:?}").contains("Siti"));
    assert_eq!(case.deliveries[0].channel, Channel::Phone as i32);
    // The silence period: the close of the 10th working day after delivery, in WIB.
    let due = core(&app)
        .calendars()
        .silence_due(SAMPANG, delivered_at, 10)
        .unwrap()
        .unwrap();
    let got = from_proto(case.silence_due_at.as_ref().unwrap()).unwrap();
    assert_eq!(got, due);
    let local = got.to_zoned(jiff::tz::TimeZone::get("Asia/Jakarta").unwrap());
    assert_eq!((local.hour(), local.minute()), (16, 0));
    assert!(got.duration_since(delivered_at) >= SignedDuration::from_hours(24 * 12));

    // The same version twice: out of order.
    let s = c
        .record_delivery(authed(&officer, delivery(&id, Channel::Letter)))
        .await
        .unwrap_err();
    assert_eq!(s.code(), Code::FailedPrecondition, "{s:?}");

    let case = c
        .record_feedback(authed(
            &officer,
            pb::RecordFeedbackRequest {
                comments: "Terima kasih, Bu Siti sudah menerima bantuannya".into(),
                ..satisfied(&id)
            },
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(case.status, ComplaintStatus::Reporting as i32);
    assert!(case.silence_due_at.is_none());
    assert!(case.feedback[0].satisfied);
    assert_eq!(case.feedback[0].comments, "");
    assert_eq!(case.deliveries[0].note, "");
    assert!(!format!("{case:?}").contains("Siti"));

    let events = outbox_of(&app, &id).await;
    let kinds: Vec<(i64, i32, i32)> = events
        .iter()
        .map(|e| (e.sequence, e.step, e.status))
        .collect();
    assert_eq!(
        kinds,
        vec![
            (
                1,
                Step::S13ResponseDelivered as i32,
                ComplaintStatus::ResponseDelivered as i32
            ),
            (
                2,
                Step::S14Feedback as i32,
                ComplaintStatus::Reporting as i32
            )
        ]
    );
    match &events[0].detail {
        Some(Detail::ResponseDelivered(d)) => {
            assert_eq!(d.version, 1);
            assert_eq!(d.channel, Channel::Phone as i32);
            assert_eq!(
                from_proto(d.delivered_at.as_ref().unwrap()),
                Some(delivered_at)
            );
        }
        other => panic!("{other:?}"),
    }
    match &events[1].detail {
        Some(Detail::FeedbackRecorded(f)) => {
            assert!(f.satisfied && !f.reopens);
            assert_eq!(f.version, 1);
        }
        other => panic!("{other:?}"),
    }
    for e in &events {
        assert_eq!(e.source_service, "feedback");
        assert_eq!(e.office_code, SAMPANG);
        let bytes = e.encode_to_vec();
        assert!(!String::from_utf8_lossy(&bytes).contains("Siti"));
    }

    // The write calls logged no read: they returned no personal content.
    let log = c
        .list_access_log(authed(
            &head,
            pb::ListAccessLogRequest {
                complaint_id: id.clone(),
                ..Default::default()
            },
        ))
        .await
        .unwrap()
        .into_inner();
    assert!(log.entries.is_empty());
    assert!(log.next_page_token.is_empty());

    // The read is logged with its purpose; the Head reads the log.
    let full = get(&app, &officer, &id).await;
    assert_eq!(full.deliveries[0].note, note);
    assert_eq!(
        full.feedback[0].comments,
        "Terima kasih, Bu Siti sudah menerima bantuannya"
    );
    let actions: Vec<&str> = full.history.iter().map(|h| h.action.as_str()).collect();
    assert_eq!(
        actions,
        vec![
            "response_approved",
            "response_delivered",
            "feedback_recorded"
        ]
    );
    let log = c
        .list_access_log(authed(
            &head,
            pb::ListAccessLogRequest {
                complaint_id: id.clone(),
                ..Default::default()
            },
        ))
        .await
        .unwrap()
        .into_inner();
    // Reads of the log itself are logged too (issue 12): only the case reads here.
    let reads: Vec<_> = log
        .entries
        .iter()
        .filter(|e| e.action != "ListAccessLog")
        .collect();
    assert_eq!(reads.len(), 1, "{log:?}");
    assert_eq!(reads[0].action, "GetCase");
    assert_eq!(reads[0].purpose, "S14 follow-up call");
    assert_eq!(reads[0].actor.as_ref().unwrap().subject, "officer-1");

    // The queue: reporting now, no longer awaiting delivery.
    let q = c
        .list_cases(authed(
            &head,
            pb::ListCasesRequest {
                office_code: SAMPANG.into(),
                queue: pb::Queue::Reporting as i32,
                ..Default::default()
            },
        ))
        .await
        .unwrap()
        .into_inner();
    let e = q.entries.iter().find(|e| e.complaint_id == id).unwrap();
    assert_eq!(e.delivery_channel, Channel::Phone as i32);
    assert!(e.delivered_at.is_some());
}

/// S14 dissatisfied with grounds: the case reopens (FeedbackRecorded{reopens} for investigation
/// and triage) whether or not the deprecated reopen_requested is set; it waits for the next
/// approved version, which is delivered and answered again. A redelivered approval changes
/// nothing. Write calls answer without the complainant's comments.
async fn dissatisfied_reopen_and_second_approval(app: TestApp) {
    let officer = app.token(&[Role::ComplaintsOfficer], SAMPANG);
    let mut c = client(&app).await;
    let id = new_case(&app, SAMPANG, "linjamsos").await;
    c.record_delivery(authed(&officer, delivery(&id, Channel::Letter)))
        .await
        .unwrap();
    let case = c
        .record_feedback(authed(
            &officer,
            pb::RecordFeedbackRequest {
                complaint_id: id.clone(),
                version: 1,
                satisfied: false,
                grounds: vec![pb::Ground::NotAnswered as i32, pb::Ground::TooSlow as i32],
                comments: "Bantuan belum juga cair".into(),
                // Deprecated and ignored: the grounds alone reopen the case.
                reopen_requested: false,
                given_at: None,
            },
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(case.status, ComplaintStatus::InHandling as i32);
    assert_eq!(case.reopen_count, 1);
    assert!(case.feedback[0].reopened);
    assert_eq!(case.feedback[0].comments, "");
    assert!(!format!("{case:?}").contains("cair"));
    assert_eq!(
        case.feedback[0].grounds,
        vec![pb::Ground::NotAnswered as i32, pb::Ground::TooSlow as i32]
    );
    let reopened = outbox_of(&app, &id)
        .await
        .into_iter()
        .find_map(|e| match e.detail {
            Some(Detail::FeedbackRecorded(f)) => Some((f, e.status)),
            _ => None,
        })
        .unwrap();
    assert!(reopened.0.reopens && !reopened.0.satisfied);
    assert_eq!(reopened.0.grounds_code, "not_answered,too_slow");
    assert_eq!(reopened.1, ComplaintStatus::InHandling as i32);

    // Nothing to deliver until the Bidang approves again.
    let s = c
        .record_delivery(authed(&officer, delivery(&id, Channel::Letter)))
        .await
        .unwrap_err();
    assert_eq!(s.code(), Code::FailedPrecondition);
    let s = c
        .record_feedback(authed(&officer, satisfied(&id)))
        .await
        .unwrap_err();
    assert_eq!(s.code(), Code::FailedPrecondition);

    let second = approved(&id, SAMPANG, "linjamsos", 2, 2, Timestamp::now());
    let out = core(&app)
        .apply("investigation", vec![second.clone()])
        .await
        .unwrap();
    assert_eq!((out.applied, out.duplicates), (1, 0));
    let out = core(&app)
        .apply("investigation", vec![second])
        .await
        .unwrap();
    assert_eq!((out.applied, out.duplicates), (1, 1));
    let case = get(&app, &officer, &id).await;
    assert_eq!(case.status, ComplaintStatus::ResponseReady as i32);
    assert_eq!(case.response_version, 2);
    assert_eq!(case.responses.len(), 2);

    // Delivering the old version is stale.
    let s = c
        .record_delivery(authed(
            &officer,
            pb::RecordDeliveryRequest {
                version: 1,
                ..delivery(&id, Channel::WalkIn)
            },
        ))
        .await
        .unwrap_err();
    assert_eq!(s.code(), Code::FailedPrecondition);
    let case = c
        .record_delivery(authed(
            &officer,
            pb::RecordDeliveryRequest {
                version: 2,
                ..delivery(&id, Channel::WalkIn)
            },
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(case.deliveries.len(), 2);
    assert_eq!(case.deliveries[1].version, 2);
    // Dissatisfied again: every dissatisfied answer reopens, this time with reopen_requested
    // left unset.
    let case = c
        .record_feedback(authed(
            &officer,
            pb::RecordFeedbackRequest {
                complaint_id: id.clone(),
                satisfied: false,
                grounds: vec![pb::Ground::Other as i32],
                comments: "Tidak setuju dengan hasilnya".into(),
                ..Default::default()
            },
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(case.status, ComplaintStatus::InHandling as i32);
    assert_eq!(case.reopen_count, 2);
    assert!(case.feedback[1].reopened);
    assert!(case.feedback.iter().all(|f| f.comments.is_empty()));
    let events = outbox_of(&app, &id).await;
    let seqs: Vec<i64> = events.iter().map(|e| e.sequence).collect();
    assert_eq!(seqs, vec![1, 2, 3, 4]);
    match &events[3].detail {
        Some(Detail::FeedbackRecorded(f)) => {
            assert!(f.reopens && !f.satisfied);
            assert_eq!((f.version, f.grounds_code.as_str()), (2, "other"));
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(events[3].status, ComplaintStatus::InHandling as i32);
    // The comments are on the record, read through GetCase.
    let full = get(&app, &officer, &id).await;
    let comments: Vec<&str> = full.feedback.iter().map(|f| f.comments.as_str()).collect();
    assert_eq!(
        comments,
        vec!["Bantuan belum juga cair", "Tidak setuju dengan hasilnya"]
    );
    // The third version is delivered and the complainant is satisfied: on to reporting.
    let third = approved(&id, SAMPANG, "linjamsos", 3, 3, Timestamp::now());
    let out = core(&app)
        .apply("investigation", vec![third])
        .await
        .unwrap();
    assert!(out.rejection.is_none());
    c.record_delivery(authed(&officer, delivery(&id, Channel::Phone)))
        .await
        .unwrap();
    let case = c
        .record_feedback(authed(&officer, satisfied(&id)))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(case.status, ComplaintStatus::Reporting as i32);
    assert_eq!((case.response_version, case.reopen_count), (3, 2));
    // A fourth version after the feedback is refused (a dead letter for operators).
    let fourth = approved(&id, SAMPANG, "linjamsos", 4, 4, Timestamp::now());
    let out = core(&app)
        .apply("investigation", vec![fourth])
        .await
        .unwrap();
    assert!(out.rejection.is_some());
    // Other services' events are none of feedback's business.
    let mut other = approved(&id, SAMPANG, "linjamsos", 9, 5, Timestamp::now());
    other.detail = Some(Detail::HandlingActivity(ev::HandlingActivity::default()));
    let out = core(&app)
        .apply("investigation", vec![other])
        .await
        .unwrap();
    assert_eq!((out.applied, out.duplicates), (1, 0));
    assert!(out.rejection.is_none());
}

/// The sweeper closes a case whose silence period ended without an answer, once, even when two
/// sweeps run at the same time; a case that answered is left alone.
async fn closed_by_silence(app: TestApp) {
    let officer = app.token(&[Role::ComplaintsOfficer], SAMPANG);
    let mut c = client(&app).await;
    let silent = new_case(&app, SAMPANG, "rehsos").await;
    let answered = new_case(&app, SAMPANG, "rehsos").await;
    for id in [&silent, &answered] {
        c.record_delivery(authed(&officer, delivery(id, Channel::Email)))
            .await
            .unwrap();
    }
    c.record_feedback(authed(&officer, satisfied(&answered)))
        .await
        .unwrap();
    let f = core(&app);
    let now = to_micros(Timestamp::now());
    // Not yet: the period is 10 working days.
    assert_eq!(f.sweep(now + DAY_MICROS).await.unwrap(), 0);
    let later = now + 60 * DAY_MICROS;
    let sweeps: Vec<_> = (0..2)
        .map(|_| {
            let f = f.clone();
            tokio::spawn(async move { f.sweep(later).await })
        })
        .collect();
    let mut total = 0;
    for h in sweeps {
        total += h.await.unwrap().unwrap();
    }
    assert_eq!(total, 1, "two concurrent sweeps close the case once");
    assert_eq!(f.sweep(later).await.unwrap(), 0);

    let case = get(&app, &officer, &silent).await;
    assert_eq!(case.status, ComplaintStatus::Closed as i32);
    assert_eq!(case.closed_reason_code, "silence");
    assert!(case.silence_due_at.is_none());
    let closed: Vec<LifecycleEvent> = outbox(&app)
        .await
        .into_iter()
        .filter(|e| matches!(e.detail, Some(Detail::Closed(_))))
        .collect();
    assert_eq!(closed.len(), 1);
    assert_eq!(closed[0].complaint_id, silent);
    assert_eq!(closed[0].status, ComplaintStatus::Closed as i32);
    assert_eq!(closed[0].step, Step::S14Feedback as i32);
    match &closed[0].detail {
        Some(Detail::Closed(d)) => assert_eq!(d.reason_code, "silence"),
        other => panic!("{other:?}"),
    }
    assert_eq!(
        get(&app, &officer, &answered).await.status,
        ComplaintStatus::Reporting as i32
    );
    // A late answer finds the case closed; the survey is still welcome.
    let s = c
        .record_feedback(authed(&officer, satisfied(&silent)))
        .await
        .unwrap_err();
    assert_eq!(s.code(), Code::FailedPrecondition);
    c.submit_survey(authed(&officer, survey(&silent, "pengaduan", [3; 9])))
        .await
        .unwrap();
    // The survey row does not name its complaint: it is kept under a keyed HMAC (issue 12), and
    // one survey per complaint still holds.
    let rows = core(&app)
        .store()
        .query(
            "SELECT complaint_key FROM surveys WHERE office_code = $1",
            &[Value::Text(SAMPANG.into())],
        )
        .await
        .unwrap();
    assert_eq!(rows.len(), 1);
    let key = format!("{:?}", rows[0]);
    assert!(!key.contains(&silent) && !key.contains('-'), "{key}");
    let again = c
        .submit_survey(authed(&officer, survey(&silent, "pengaduan", [4; 9])))
        .await
        .unwrap_err();
    assert_ne!(again.code(), Code::Ok);
    let q = c
        .list_cases(authed(
            &officer,
            pb::ListCasesRequest {
                office_code: SAMPANG.into(),
                queue: pb::Queue::Closed as i32,
                ..Default::default()
            },
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(q.entries.len(), 1);
    assert!(q.entries[0].survey_submitted);
}

/// Breaks a case's sealed document (as a lost key or a damaged row would) and moves its timer a
/// second earlier, so that it comes first in the sweep's order.
async fn break_case(app: &TestApp, id: &str) {
    let sql = "UPDATE cases SET sealed = $1, next_at = next_at - 1000000 WHERE complaint_id = $2";
    let garbage = vec![7u8; 64];
    let changed = match core(app).store().database() {
        Database::Postgres(p) => sqlx::query(sql)
            .bind(garbage)
            .bind(id)
            .execute(p)
            .await
            .unwrap()
            .rows_affected(),
        Database::Sqlite(p) => sqlx::query(sql)
            .bind(garbage)
            .bind(id)
            .execute(p)
            .await
            .unwrap()
            .rows_affected(),
    };
    assert_eq!(changed, 1);
}

/// A case whose sealed document cannot be opened does not stop closing by silence: the sweep
/// counts it, skips it, pages past it and closes the others; it stays due and fails again on
/// the next sweep without stopping that one either.
async fn a_broken_case_does_not_stop_the_sweep(app: TestApp) {
    let officer = app.token(&[Role::ComplaintsOfficer], SAMPANG);
    let mut c = client(&app).await;
    let broken = new_case(&app, SAMPANG, "rehsos").await;
    let good = new_case(&app, SAMPANG, "rehsos").await;
    let other = new_case(&app, SAMPANG, "pa").await;
    for id in [&broken, &good, &other] {
        c.record_delivery(authed(&officer, delivery(id, Channel::Phone)))
            .await
            .unwrap();
    }
    break_case(&app, &broken).await;
    let s = c
        .get_case(authed(
            &officer,
            pb::GetCaseRequest {
                complaint_id: broken.clone(),
                purpose: "check".into(),
            },
        ))
        .await
        .unwrap_err();
    assert_eq!(s.code(), Code::Internal, "the document does not open");

    let f = core(&app);
    let later = to_micros(Timestamp::now()) + 60 * DAY_MICROS;
    // One case per page: the broken case fills the first page alone, the sweep goes on.
    assert_eq!(f.sweep_in_pages(later, 1).await.unwrap(), 2);
    for id in [&good, &other] {
        assert_eq!(
            get(&app, &officer, id).await.status,
            ComplaintStatus::Closed as i32
        );
    }
    let closed: Vec<String> = outbox(&app)
        .await
        .into_iter()
        .filter(|e| matches!(e.detail, Some(Detail::Closed(_))))
        .map(|e| e.complaint_id)
        .collect();
    assert_eq!(closed.len(), 2);
    assert!(!closed.contains(&broken));
    // Still due, still broken: the next sweep is not an error.
    assert_eq!(f.sweep(later).await.unwrap(), 0);
    // A case that falls due later still closes behind it with the default page size.
    let next = new_case(&app, SAMPANG, "rehsos").await;
    c.record_delivery(authed(&officer, delivery(&next, Channel::Letter)))
        .await
        .unwrap();
    assert_eq!(f.sweep(later).await.unwrap(), 1);
    assert_eq!(
        get(&app, &officer, &next).await.status,
        ComplaintStatus::Closed as i32
    );
}

/// The access log pages oldest first: default 100 entries, at most 1,000 a page, and no entry
/// is lost beyond the first 1,000.
async fn access_log_pages(app: TestApp) {
    let head = app.token_for("kadis", &[Role::Head], SAMPANG);
    let officer = app.token(&[Role::ComplaintsOfficer], SAMPANG);
    let mut c = client(&app).await;
    let id = new_case(&app, SAMPANG, "rehsos").await;
    for i in 0..5 {
        c.get_case(authed(
            &officer,
            pb::GetCaseRequest {
                complaint_id: id.clone(),
                purpose: format!("read {i}"),
            },
        ))
        .await
        .unwrap();
    }
    let page = |size: i32, token: String| {
        let mut c = c.clone();
        let (id, head) = (id.clone(), head.clone());
        async move {
            c.list_access_log(authed(
                &head,
                pb::ListAccessLogRequest {
                    complaint_id: id,
                    page_size: size,
                    page_token: token,
                },
            ))
            .await
        }
    };
    let purposes = |r: &pb::ListAccessLogResponse| -> Vec<String> {
        r.entries.iter().map(|e| e.purpose.clone()).collect()
    };
    let p1 = page(2, String::new()).await.unwrap().into_inner();
    assert_eq!(purposes(&p1), vec!["read 0", "read 1"]);
    assert!(!p1.next_page_token.is_empty());
    let p2 = page(2, p1.next_page_token).await.unwrap().into_inner();
    assert_eq!(purposes(&p2), vec!["read 2", "read 3"]);
    // Each listing is logged after it is cut (issue 12): the log grows behind the pages, and the
    // offsets of the older entries stay put.
    let p3 = page(2, p2.next_page_token).await.unwrap().into_inner();
    assert_eq!(purposes(&p3), vec!["read 4", ""]);
    assert_eq!(p3.entries[1].action, "ListAccessLog");
    let all = page(0, String::new()).await.unwrap().into_inner();
    assert_eq!(all.entries.len(), 8);
    assert!(all.next_page_token.is_empty());
    for (size, token) in [(1001, "x"), (-1, "-3")] {
        let s = page(size, token.into()).await.unwrap_err();
        assert_eq!(s.code(), Code::InvalidArgument);
        assert_eq!(violations(&s), vec!["page_size", "page_token"]);
    }

    // Beyond 1,000 reads (written straight to the log): nothing is dropped.
    let store = core(&app);
    let base = to_micros(Timestamp::now());
    for i in 5..1005 {
        store
            .store()
            .log_access(&AccessEntry {
                complaint_id: id.clone(),
                office_code: SAMPANG.into(),
                at: base + i,
                subject: "officer-1".into(),
                role: "complaints_officer".into(),
                what: "GetCase".into(),
                purpose: format!("read {i}"),
            })
            .await
            .unwrap();
    }
    let first = page(0, String::new()).await.unwrap().into_inner();
    assert_eq!(first.entries.len(), 100, "the default page");
    assert_eq!(first.next_page_token, "100");
    // Two pages of 1,000 hold every read once, in order, with the listings logged between them.
    let first = page(1000, String::new()).await.unwrap().into_inner();
    assert_eq!(first.entries.len(), 1000);
    assert_eq!(first.entries[0].purpose, "read 0");
    let rest = page(1000, first.next_page_token.clone())
        .await
        .unwrap()
        .into_inner();
    assert!(rest.next_page_token.is_empty());
    let reads: Vec<String> = first
        .entries
        .iter()
        .chain(&rest.entries)
        .filter(|e| e.action != "ListAccessLog")
        .map(|e| e.purpose.clone())
        .collect();
    assert_eq!(
        reads,
        (0..1005).map(|i| format!("read {i}")).collect::<Vec<_>>()
    );
    let listings = first
        .entries
        .iter()
        .chain(&rest.entries)
        .filter(|e| e.action == "ListAccessLog")
        .count();
    assert_eq!(
        listings, 6,
        "p1, p2, p3, all, and the two pages of 100 and 1,000"
    );
}

/// Steps out of order answer FAILED_PRECONDITION; bad input INVALID_ARGUMENT naming each field.
async fn out_of_order_and_validation(app: TestApp) {
    let officer = app.token(&[Role::ComplaintsOfficer], SAMPANG);
    let mut c = client(&app).await;
    let id = new_case(&app, SAMPANG, "pa").await;

    let s = c
        .record_feedback(authed(&officer, satisfied(&id)))
        .await
        .unwrap_err();
    assert_eq!(
        s.code(),
        Code::FailedPrecondition,
        "feedback before delivery"
    );
    let s = c
        .submit_survey(authed(&officer, survey(&id, "pengaduan", [4; 9])))
        .await
        .unwrap_err();
    assert_eq!(s.code(), Code::FailedPrecondition, "survey before delivery");

    let s = c
        .record_delivery(authed(
            &officer,
            pb::RecordDeliveryRequest {
                complaint_id: id.clone(),
                version: -1,
                channel: 0,
                delivered_at: Some(to_proto(Timestamp::now() + SignedDuration::from_hours(2))),
                note: "x".repeat(2001),
            },
        ))
        .await
        .unwrap_err();
    assert_eq!(s.code(), Code::InvalidArgument);
    assert_eq!(
        violations(&s),
        vec!["version", "channel", "delivered_at", "note"]
    );
    // Delivered before the approval.
    let s = c
        .record_delivery(authed(
            &officer,
            pb::RecordDeliveryRequest {
                delivered_at: Some(to_proto(Timestamp::now() - SignedDuration::from_hours(5))),
                ..delivery(&id, Channel::Phone)
            },
        ))
        .await
        .unwrap_err();
    assert_eq!(violations(&s), vec!["delivered_at"]);
    let s = c
        .record_delivery(authed(
            &officer,
            pb::RecordDeliveryRequest {
                delivered_at: Some(prost_types::Timestamp {
                    seconds: 0,
                    nanos: -5,
                }),
                ..delivery(&id, Channel::Phone)
            },
        ))
        .await
        .unwrap_err();
    assert_eq!(violations(&s), vec!["delivered_at"]);
    let s = c
        .record_delivery(authed(&officer, delivery("not an id!", Channel::Phone)))
        .await
        .unwrap_err();
    assert_eq!(violations(&s), vec!["complaint_id"]);
    let s = c
        .record_delivery(authed(
            &officer,
            delivery(&uuid::Uuid::now_v7().to_string(), Channel::Phone),
        ))
        .await
        .unwrap_err();
    assert_eq!(s.code(), Code::NotFound);

    c.record_delivery(authed(&officer, delivery(&id, Channel::Phone)))
        .await
        .unwrap();
    // Feedback validation: grounds only when dissatisfied (reopen_requested is ignored).
    let s = c
        .record_feedback(authed(
            &officer,
            pb::RecordFeedbackRequest {
                complaint_id: id.clone(),
                satisfied: true,
                grounds: vec![pb::Ground::Incorrect as i32],
                reopen_requested: true,
                ..Default::default()
            },
        ))
        .await
        .unwrap_err();
    assert_eq!(violations(&s), vec!["grounds"]);
    // More grounds than there are: one violation, no element looked at (issue 13).
    let s = c
        .record_feedback(authed(
            &officer,
            pb::RecordFeedbackRequest {
                complaint_id: id.clone(),
                satisfied: false,
                grounds: vec![99; 100_000],
                ..Default::default()
            },
        ))
        .await
        .unwrap_err();
    assert_eq!(violations(&s), vec!["grounds"]);
    // Dissatisfied needs grounds, with or without the deprecated reopen_requested.
    for reopen_requested in [false, true] {
        let s = c
            .record_feedback(authed(
                &officer,
                pb::RecordFeedbackRequest {
                    complaint_id: id.clone(),
                    satisfied: false,
                    comments: "Belum puas".into(),
                    reopen_requested,
                    ..Default::default()
                },
            ))
            .await
            .unwrap_err();
        assert_eq!(s.code(), Code::InvalidArgument);
        assert_eq!(violations(&s), vec!["grounds"], "{reopen_requested}");
    }
    let s = c
        .record_feedback(authed(
            &officer,
            pb::RecordFeedbackRequest {
                complaint_id: id.clone(),
                satisfied: false,
                reopen_requested: true,
                ..Default::default()
            },
        ))
        .await
        .unwrap_err();
    assert_eq!(violations(&s), vec!["grounds"]);
    let s = c
        .record_feedback(authed(
            &officer,
            pb::RecordFeedbackRequest {
                complaint_id: id.clone(),
                satisfied: false,
                grounds: vec![pb::Ground::Other as i32, 0, 77, pb::Ground::Other as i32],
                given_at: Some(to_proto(Timestamp::now() + SignedDuration::from_hours(3))),
                ..Default::default()
            },
        ))
        .await
        .unwrap_err();
    assert_eq!(
        violations(&s),
        vec![
            "grounds[1]",
            "grounds[2]",
            "grounds[3]",
            "comments",
            "given_at"
        ]
    );
    let s = c
        .record_feedback(authed(
            &officer,
            pb::RecordFeedbackRequest {
                version: 5,
                ..satisfied(&id)
            },
        ))
        .await
        .unwrap_err();
    assert_eq!(
        s.code(),
        Code::FailedPrecondition,
        "feedback on another version"
    );
    // Satisfied with the deprecated reopen_requested set: ignored, nothing reopens.
    let case = c
        .record_feedback(authed(
            &officer,
            pb::RecordFeedbackRequest {
                reopen_requested: true,
                ..satisfied(&id)
            },
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(case.status, ComplaintStatus::Reporting as i32);
    assert_eq!(case.reopen_count, 0);
    assert!(!case.feedback[0].reopened && !case.feedback[0].reopen_requested);
    let s = c
        .record_feedback(authed(&officer, satisfied(&id)))
        .await
        .unwrap_err();
    assert_eq!(s.code(), Code::FailedPrecondition, "feedback twice");

    // ListCases and index validation.
    let s = c
        .list_cases(authed(
            &officer,
            pb::ListCasesRequest {
                office_code: "99.99".into(),
                queue: 42,
                bidang_code: "nope".into(),
                page_size: 9999,
                page_token: "x".into(),
            },
        ))
        .await
        .unwrap_err();
    assert_eq!(
        violations(&s),
        vec![
            "office_code",
            "queue",
            "bidang_code",
            "page_size",
            "page_token"
        ]
    );
}

/// Roles, offices and Bidang: a wrong role is PERMISSION_DENIED; another office's or another
/// Bidang's case is NOT_FOUND.
async fn roles_offices_and_bidang(app: TestApp) {
    let officer = app.token(&[Role::ComplaintsOfficer], SAMPANG);
    let other_office = app.token_for("petugas-bkl", &[Role::ComplaintsOfficer], BANGKALAN);
    let head = app.token_for("kadis", &[Role::Head], SAMPANG);
    let reporting = app.token(&[Role::ReportingOfficer], SAMPANG);
    let partner = app.token(&[Role::PartnerAgency], SAMPANG);
    let operator = app.token_for("ops", &[Role::Operator], SAMPANG);
    let rehsos = bidang_token(&app, "pekerja-1", &[Role::BidangOfficer], SAMPANG, "rehsos");
    let rehsos_counsellor =
        bidang_token(&app, "konselor-1", &[Role::Counsellor], SAMPANG, "rehsos");
    let pa_head = bidang_token(&app, "kabid-pa", &[Role::BidangHead], SAMPANG, "pa");
    let mut c = client(&app).await;
    let id = new_case(&app, SAMPANG, "rehsos").await;
    let pa_case = new_case(&app, SAMPANG, "pa").await;

    // Another office does not even see it.
    let s = c
        .get_case(authed(
            &other_office,
            pb::GetCaseRequest {
                complaint_id: id.clone(),
                purpose: "check".into(),
            },
        ))
        .await
        .unwrap_err();
    assert_eq!(s.code(), Code::NotFound);
    let s = c
        .record_delivery(authed(&other_office, delivery(&id, Channel::Phone)))
        .await
        .unwrap_err();
    assert_eq!(s.code(), Code::NotFound);
    let s = c
        .list_cases(authed(
            &other_office,
            pb::ListCasesRequest {
                office_code: SAMPANG.into(),
                ..Default::default()
            },
        ))
        .await
        .unwrap_err();
    assert_eq!(s.code(), Code::PermissionDenied);
    // Another Bidang neither.
    let s = c
        .record_delivery(authed(&pa_head, delivery(&id, Channel::Phone)))
        .await
        .unwrap_err();
    assert_eq!(s.code(), Code::NotFound);
    // Roles without a grant.
    for (token, what) in [
        (&head, "head"),
        (&reporting, "reporting"),
        (&partner, "partner"),
    ] {
        let s = c
            .record_delivery(authed(token, delivery(&id, Channel::Phone)))
            .await
            .unwrap_err();
        assert_eq!(s.code(), Code::PermissionDenied, "{what}");
    }
    for token in [&reporting, &partner, &operator] {
        let s = c
            .get_case(authed(
                token,
                pb::GetCaseRequest {
                    complaint_id: id.clone(),
                    purpose: "check".into(),
                },
            ))
            .await
            .unwrap_err();
        assert_eq!(s.code(), Code::PermissionDenied);
    }
    let s = c
        .record_delivery(authed(&rehsos_counsellor, delivery(&id, Channel::Phone)))
        .await
        .unwrap_err();
    assert_eq!(
        s.code(),
        Code::PermissionDenied,
        "counsellors read, they do not record"
    );

    // The Bidang that prepared the response delivers it and reads it.
    let case = c
        .record_delivery(authed(&rehsos, delivery(&id, Channel::WalkIn)))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        case.deliveries[0].recorded_by.as_ref().unwrap().role,
        "bidang_officer"
    );
    let case = get(&app, &rehsos_counsellor, &id).await;
    assert_eq!(case.status, ComplaintStatus::ResponseDelivered as i32);
    // The Bidang roles list their own Bidang only; the Head every Bidang.
    let list = |token: String, bidang: &str| {
        let mut c = c.clone();
        let bidang = bidang.to_string();
        async move {
            c.list_cases(authed(
                &token,
                pb::ListCasesRequest {
                    office_code: SAMPANG.into(),
                    bidang_code: bidang,
                    ..Default::default()
                },
            ))
            .await
        }
    };
    let ids = |r: pb::ListCasesResponse| -> Vec<String> {
        r.entries.into_iter().map(|e| e.complaint_id).collect()
    };
    assert_eq!(
        ids(list(rehsos.clone(), "").await.unwrap().into_inner()),
        vec![id.clone()]
    );
    assert_eq!(
        ids(list(pa_head.clone(), "").await.unwrap().into_inner()),
        vec![pa_case.clone()]
    );
    assert_eq!(
        list(pa_head.clone(), "rehsos").await.unwrap_err().code(),
        Code::PermissionDenied
    );
    let all = ids(list(head.clone(), "").await.unwrap().into_inner());
    assert_eq!(all.len(), 2);
    assert_eq!(
        ids(list(head.clone(), "pa").await.unwrap().into_inner()),
        vec![pa_case]
    );
    // A Bidang role without a Bidang claim sees nothing.
    let no_claim = app.token(&[Role::BidangOfficer], SAMPANG);
    assert_eq!(
        list(no_claim.clone(), "").await.unwrap_err().code(),
        Code::PermissionDenied
    );
    let s = c
        .get_case(authed(
            &no_claim,
            pb::GetCaseRequest {
                complaint_id: id.clone(),
                purpose: "check".into(),
            },
        ))
        .await
        .unwrap_err();
    assert_eq!(s.code(), Code::NotFound);

    // The access log: Head and operator; not the officer.
    let log = |token: String| {
        let mut c = c.clone();
        let id = id.clone();
        async move {
            c.list_access_log(authed(
                &token,
                pb::ListAccessLogRequest {
                    complaint_id: id,
                    ..Default::default()
                },
            ))
            .await
        }
    };
    let entries = log(operator.clone()).await.unwrap().into_inner().entries;
    assert_eq!(entries.len(), 1);
    assert_eq!(entries[0].actor.as_ref().unwrap().role, "counsellor");
    assert_eq!(
        log(officer.clone()).await.unwrap_err().code(),
        Code::PermissionDenied
    );
    let s = c
        .list_access_log(authed(
            &app.token_for("kadis-bkl", &[Role::Head], BANGKALAN),
            pb::ListAccessLogRequest {
                complaint_id: id.clone(),
                ..Default::default()
            },
        ))
        .await
        .unwrap_err();
    assert_eq!(s.code(), Code::NotFound);
    // No token at all.
    let s = c
        .list_cases(tonic::Request::new(pb::ListCasesRequest {
            office_code: SAMPANG.into(),
            ..Default::default()
        }))
        .await
        .unwrap_err();
    assert_eq!(s.code(), Code::Unauthenticated);
}

/// The survey: exactly nine scores of 1-4, a service code, once per complaint; the scores go to
/// the survey table and a SurveySubmitted event, never anything about the respondent.
async fn survey_validation_and_duplicate(app: TestApp) {
    let officer = app.token(&[Role::ComplaintsOfficer], SAMPANG);
    let mut c = client(&app).await;
    let id = new_case(&app, SAMPANG, "rehsos").await;
    c.record_delivery(authed(&officer, delivery(&id, Channel::Phone)))
        .await
        .unwrap();

    let mut bad = survey(&id, "pengaduan", [4; 9]);
    bad.scores.pop();
    let s = c.submit_survey(authed(&officer, bad)).await.unwrap_err();
    assert_eq!(s.code(), Code::InvalidArgument);
    assert_eq!(violations(&s), vec!["scores"]);
    let s = c
        .submit_survey(authed(
            &officer,
            survey(&id, "Pengaduan!", [4, 0, 4, 5, 4, 4, 4, 4, -3]),
        ))
        .await
        .unwrap_err();
    assert_eq!(
        violations(&s),
        vec!["service_code", "scores[1]", "scores[3]", "scores[8]"]
    );
    let s = c
        .submit_survey(authed(
            &officer,
            pb::SubmitSurveyRequest {
                submitted_at: Some(to_proto(Timestamp::now() + SignedDuration::from_hours(1))),
                ..survey(&id, "", [4; 9])
            },
        ))
        .await
        .unwrap_err();
    assert_eq!(violations(&s), vec!["service_code", "submitted_at"]);

    let sv = c
        .submit_survey(authed(
            &officer,
            survey(&id, "pengaduan", [4, 3, 3, 4, 3, 4, 4, 2, 3]),
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(sv.complaint_id, id);
    assert_eq!(sv.scores, vec![4, 3, 3, 4, 3, 4, 4, 2, 3]);
    let s = c
        .submit_survey(authed(&officer, survey(&id, "pengaduan", [4; 9])))
        .await
        .unwrap_err();
    assert_eq!(s.code(), Code::AlreadyExists);

    let rows = core(&app)
        .store()
        .query(
            "SELECT survey_id, office_code, service_code, u1, u8, submitted_on FROM surveys",
            &[],
        )
        .await
        .unwrap();
    assert_eq!(rows.len(), 1);
    use aduan_spine::casefile::Value;
    assert_eq!(rows[0][0], Value::Text(sv.survey_id.clone()));
    assert_eq!(rows[0][1], Value::Text(SAMPANG.into()));
    assert_eq!(rows[0][2], Value::Text("pengaduan".into()));
    let today = Timestamp::now()
        .to_zoned(jiff::tz::TimeZone::get("Asia/Jakarta").unwrap())
        .date()
        .to_string();
    assert_eq!(rows[0][5], Value::Text(today));
    let submitted = outbox_of(&app, &id)
        .await
        .into_iter()
        .find_map(|e| match e.detail {
            Some(Detail::SurveySubmitted(s)) => Some((s, e.status)),
            _ => None,
        })
        .unwrap();
    assert_eq!(submitted.0.survey_id, sv.survey_id);
    assert_eq!(submitted.0.service_code, "pengaduan");
    assert_eq!(submitted.0.scores, vec![4, 3, 3, 4, 3, 4, 4, 2, 3]);
    assert_eq!(submitted.1, ComplaintStatus::ResponseDelivered as i32);
    assert_eq!(get(&app, &officer, &id).await.survey_id, sv.survey_id);
}

/// Builds `n` score sets where element i has `fours[i]` fours, `threes[i]` threes, `twos[i]`
/// twos and ones for the rest.
fn score_sets(n: usize, fours: [usize; 9], threes: [usize; 9], twos: [usize; 9]) -> Vec<[i32; 9]> {
    (0..n)
        .map(|r| {
            let mut s = [1; 9];
            for e in 0..9 {
                s[e] = if r < fours[e] {
                    4
                } else if r < fours[e] + threes[e] {
                    3
                } else if r < fours[e] + threes[e] + twos[e] {
                    2
                } else {
                    1
                };
            }
            s
        })
        .collect()
}

async fn surveyed(app: &TestApp, office: &str, service: &str, scores: [i32; 9]) {
    let officer = app.token(&[Role::ComplaintsOfficer], office);
    let mut c = client(app).await;
    let id = new_case(app, office, "rehsos").await;
    c.record_delivery(authed(&officer, delivery(&id, Channel::Phone)))
        .await
        .unwrap();
    c.submit_survey(authed(&officer, survey(&id, service, scores)))
        .await
        .unwrap();
}

fn index_req(
    office: &str,
    period: Period,
    service: &str,
    method: pb::IndexMethod,
) -> pb::GetSatisfactionIndexRequest {
    pb::GetSatisfactionIndexRequest {
        office_code: office.into(),
        period: Some(period),
        service_code: service.into(),
        method: method as i32,
    }
}

/// The IKM over the API equals the hand computation, with both methods; per office, per
/// service and period; and for the province as a whole (provincial analysts only).
async fn satisfaction_index_per_office_and_province(app: TestApp) {
    // Sampang: 29 respondents with element sums 105 101 100 116 102 105 106 105 115.
    let sampang = score_sets(
        29,
        [18, 14, 15, 29, 15, 18, 19, 18, 28],
        [11, 15, 12, 0, 14, 11, 10, 11, 1],
        [0, 0, 2, 0, 0, 0, 0, 0, 0],
    );
    for s in &sampang {
        surveyed(&app, SAMPANG, "pengaduan", *s).await;
    }
    // Another service of Sampang, not counted when asking for "pengaduan".
    surveyed(&app, SAMPANG, "puspaga_konsultasi_konseling", [1; 9]).await;
    // Bangkalan: three respondents, sums 9 10 8 12 8 9 10 8 10.
    for s in [
        [4, 4, 3, 4, 3, 3, 4, 3, 4],
        [3, 3, 3, 4, 3, 3, 3, 3, 3],
        [2, 3, 2, 4, 2, 3, 3, 2, 3],
    ] {
        surveyed(&app, BANGKALAN, "pengaduan", s).await;
    }

    let head = app.token_for("kadis", &[Role::Head], SAMPANG);
    let reporting = app.token(&[Role::ReportingOfficer], SAMPANG);
    let analyst = app.token_for("analis-jatim", &[Role::ProvincialAnalyst], "35");
    let mut c = client(&app).await;
    let today = Timestamp::now()
        .to_zoned(jiff::tz::TimeZone::get("Asia/Jakarta").unwrap())
        .date();
    let year = Period::Year(i32::from(today.year()));
    let month = Period::Month(pb::Month {
        year: i32::from(today.year()),
        month: i32::from(today.month()),
    });

    // Mean: 955 / (29 x 9) x 25 = 91.4751 -> 91.48, A (Sangat Baik).
    let idx = c
        .get_satisfaction_index(authed(
            &head,
            index_req(SAMPANG, year, "pengaduan", pb::IndexMethod::Unspecified),
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(idx.respondents, 29);
    assert_eq!(idx.ikm, 91.48);
    assert_eq!(idx.index_value, 3.659);
    assert_eq!(idx.grade, pb::Grade::A as i32);
    assert_eq!(idx.grade_label, "Sangat Baik");
    assert_eq!(idx.method, pb::IndexMethod::Mean as i32);
    let avgs: Vec<f64> = idx.elements.iter().map(|e| e.average).collect();
    assert_eq!(
        avgs,
        vec![
            3.6207, 3.4828, 3.4483, 4.0, 3.5172, 3.6207, 3.6552, 3.6207, 3.9655
        ]
    );
    assert_eq!(idx.elements[0].code, "U1");
    assert_eq!(idx.elements[8].code, "U9");
    assert_eq!(idx.from.as_ref().unwrap().month, 1);
    assert_eq!(idx.to.as_ref().unwrap().day, 31);
    assert!(idx.offices.is_empty());
    // Weights of 0.11 (as the public worksheet): 955 / 29 x 0.11 = 3.62241 -> 3.6224 (the
    // rounded per-element products below add up to 3.6225); x 25 = 90.5603 -> 90.56.
    let w = c
        .get_satisfaction_index(authed(
            &reporting,
            index_req(SAMPANG, month, "pengaduan", pb::IndexMethod::Weighted011),
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(w.respondents, 29);
    assert_eq!(w.ikm, 90.56);
    assert_eq!(w.index_value, 3.6224);
    let weighted: Vec<f64> = w.elements.iter().map(|e| e.weighted).collect();
    assert_eq!(
        weighted,
        vec![
            0.3983, 0.3831, 0.3793, 0.44, 0.3869, 0.3983, 0.4021, 0.3983, 0.4362
        ]
    );
    // Every service: 30 respondents, 964 points: 964 / 270 x 25 = 89.2593 -> 89.26.
    let all = c
        .get_satisfaction_index(authed(
            &head,
            index_req(SAMPANG, year, "", pb::IndexMethod::Mean),
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!((all.respondents, all.ikm), (30, 89.26));
    assert_eq!(all.grade, pb::Grade::A as i32);
    // Another period: nobody.
    let none = c
        .get_satisfaction_index(authed(
            &head,
            index_req(
                SAMPANG,
                Period::Quarter(pb::Quarter {
                    year: 2001,
                    quarter: 2,
                }),
                "",
                pb::IndexMethod::Mean,
            ),
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!((none.respondents, none.ikm, none.grade), (0, 0.0, 0));
    assert!(none.grade_label.is_empty());
    let range = Period::Range(pb::DateRange {
        from: Some(cpb::Date {
            year: i32::from(today.year()),
            month: i32::from(today.month()),
            day: i32::from(today.day()),
        }),
        to: Some(cpb::Date {
            year: i32::from(today.year()),
            month: i32::from(today.month()),
            day: i32::from(today.day()),
        }),
    });
    // Bangkalan's officer: 84 / 27 x 25 = 77.78 (B); with 0.11: 77.00.
    let bkl = app.token(&[Role::ComplaintsOfficer], BANGKALAN);
    let b = c
        .get_satisfaction_index(authed(
            &bkl,
            index_req(BANGKALAN, range, "pengaduan", pb::IndexMethod::Mean),
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        (b.respondents, b.ikm, b.grade),
        (3, 77.78, pb::Grade::B as i32)
    );
    assert_eq!(b.grade_label, "Baik");

    // The province: 32 respondents, 1,039 points. Mean 1039 / 288 x 25 = 90.19; 0.11:
    // 1039 / 32 x 0.11 x 25 = 89.2891 -> 89.29.
    let p = c
        .get_satisfaction_index(authed(
            &analyst,
            index_req("35", year, "pengaduan", pb::IndexMethod::Mean),
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!((p.respondents, p.ikm, p.suppressed), (32, 90.19, false));
    // Issue 12: in the province's table Bangkalan's 3 respondents read "<5"; it is the only small
    // office, so Sampang (the next smallest) is hidden too, or 32 - 29 would give it away.
    let offices: Vec<(String, i64, f64, i32, bool)> = p
        .offices
        .iter()
        .map(|o| {
            (
                o.office_code.clone(),
                o.respondents,
                o.ikm,
                o.grade,
                o.suppressed,
            )
        })
        .collect();
    assert_eq!(
        offices,
        vec![
            (BANGKALAN.to_string(), 0, 0.0, 0, true),
            (SAMPANG.to_string(), 0, 0.0, 0, true)
        ]
    );
    let pw = c
        .get_satisfaction_index(authed(
            &analyst,
            index_req("35", year, "pengaduan", pb::IndexMethod::Weighted011),
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(pw.ikm, 89.29);
    // The analyst reads any office of the province, as a provincial output: Sampang's 29
    // respondents in full, Bangkalan's 3 as "<5" (no respondents, elements, index or grade),
    // where Bangkalan's own officer above saw 3 and 77.78.
    let a = c
        .get_satisfaction_index(authed(
            &analyst,
            index_req(SAMPANG, year, "", pb::IndexMethod::Weighted011),
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!((a.respondents, a.suppressed), (30, false));
    let a = c
        .get_satisfaction_index(authed(
            &analyst,
            index_req(BANGKALAN, year, "", pb::IndexMethod::Weighted011),
        ))
        .await
        .unwrap()
        .into_inner();
    assert!(a.suppressed, "{a:?}");
    assert_eq!(
        (
            a.respondents,
            a.ikm,
            a.index_value,
            a.grade,
            a.elements.len()
        ),
        (0, 0.0, 0.0, 0, 0)
    );
    assert!(a.grade_label.is_empty());

    // Office roles: their own office only, never the province.
    for (office, code) in [
        ("35", Code::PermissionDenied),
        (BANGKALAN, Code::PermissionDenied),
    ] {
        let s = c
            .get_satisfaction_index(authed(
                &head,
                index_req(office, year, "", pb::IndexMethod::Mean),
            ))
            .await
            .unwrap_err();
        assert_eq!(s.code(), code, "{office}");
    }
    let officer = app.token(&[Role::ComplaintsOfficer], SAMPANG);
    c.get_satisfaction_index(authed(
        &officer,
        index_req(SAMPANG, year, "", pb::IndexMethod::Mean),
    ))
    .await
    .unwrap();
    let bidang = bidang_token(&app, "kabid", &[Role::BidangHead], SAMPANG, "rehsos");
    let s = c
        .get_satisfaction_index(authed(
            &bidang,
            index_req(SAMPANG, year, "", pb::IndexMethod::Mean),
        ))
        .await
        .unwrap_err();
    assert_eq!(s.code(), Code::PermissionDenied);
    // Validation.
    let s = c
        .get_satisfaction_index(authed(
            &analyst,
            pb::GetSatisfactionIndexRequest {
                office_code: "36".into(),
                period: None,
                service_code: "Bad Code".into(),
                method: 9,
            },
        ))
        .await
        .unwrap_err();
    assert_eq!(
        violations(&s),
        vec!["office_code", "period", "service_code", "method"]
    );
    let s = c
        .get_satisfaction_index(authed(
            &analyst,
            index_req(
                "35",
                Period::Month(pb::Month {
                    year: 1999,
                    month: 13,
                }),
                "",
                pb::IndexMethod::Mean,
            ),
        ))
        .await
        .unwrap_err();
    assert_eq!(violations(&s), vec!["month.year", "month.month"]);
    let s = c
        .get_satisfaction_index(authed(
            &analyst,
            index_req(
                "35",
                Period::Range(pb::DateRange {
                    from: Some(cpb::Date {
                        year: 2026,
                        month: 2,
                        day: 30,
                    }),
                    to: Some(cpb::Date {
                        year: 2026,
                        month: 1,
                        day: 1,
                    }),
                }),
                "",
                pb::IndexMethod::Mean,
            ),
        ))
        .await
        .unwrap_err();
    assert_eq!(violations(&s), vec!["range.from"]);
}

both!(delivery_and_satisfied_feedback);
both!(dissatisfied_reopen_and_second_approval);
both!(closed_by_silence);
both!(a_broken_case_does_not_stop_the_sweep);
both!(access_log_pages);
both!(out_of_order_and_validation);
both!(roles_offices_and_bidang);
both!(survey_validation_and_duplicate);
both!(satisfaction_index_per_office_and_province);
