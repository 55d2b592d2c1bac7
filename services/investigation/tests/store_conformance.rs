//! Investigation's store on both backends (SQLite always, PostgreSQL when configured): the case
//! opens from a disposition event, redeliveries and older versions change nothing, a move keeps
//! the history, feedback reopens, a refusal names the event; the document is sealed at rest (no
//! plaintext in the database), lists filter by Bidang, status and assignee, and the access log
//! keeps its purpose sealed. A move supersedes the old Bidang's pending draft; another office's
//! disposition is refused; a disposition that cannot move an answered case is recorded and
//! reported as a handling activity.

use std::sync::Arc;

use aduan_investigation::InvestigationConfig;
use aduan_investigation::domain::{
    APPROVED, CaseDoc, DRAFT, DraftRec, NoteRec, RETURNED, SUPERSEDED,
};
use aduan_proto::common::v1::{ComplaintStatus, Date, Step};
use aduan_proto::events::v1::{self as ev, LifecycleEvent, lifecycle_event::Detail};
use aduan_runtime::config::Config;
use aduan_runtime::crypto::Keyring;
use aduan_spine::casefile::{AccessEntry, Filter, Write};
use aduan_spine::relay::EventReceiver;

const OFFICE: &str = "35.27";

fn event(id: &str, source: &str, seq: i64, detail: Detail) -> LifecycleEvent {
    LifecycleEvent {
        event_id: uuid::Uuid::now_v7().to_string(),
        complaint_id: id.into(),
        office_code: OFFICE.into(),
        step: Step::S7DisposedToBidang as i32,
        occurred_at: Some(aduan_runtime::time::to_proto(jiff::Timestamp::now())),
        source_service: source.into(),
        actor: None,
        trace: None,
        sequence: seq,
        status: ComplaintStatus::Disposed as i32,
        detail: Some(detail),
    }
}

fn disposition(id: &str, version: i32, bidang: &str) -> LifecycleEvent {
    event(
        id,
        "triage",
        i64::from(version),
        Detail::DispositionIssued(ev::DispositionIssued {
            bidang_code: bidang.into(),
            instructions: vec!["untuk_ditindaklanjuti".into()],
            due_date: Some(Date {
                year: 2026,
                month: 12,
                day: 4,
            }),
            version,
            registration_number: "35.27-2026-000001".into(),
            category_code: "kekerasan_anak".into(),
        }),
    )
}

async fn conformance(database_url: String, raw: impl AsyncFn(&str) -> Vec<u8>) {
    let dir = std::env::temp_dir().join(format!("aduan-inv-store-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).unwrap();
    let config = Config {
        data_dir: dir.clone(),
        ..Default::default()
    };
    let mut own = InvestigationConfig::default();
    own.db.database_url = database_url;
    aduan_investigation::migrate(&config, &own).await.unwrap();
    let keys = Arc::new(Keyring::from_master([7u8; 32]));
    let core = aduan_investigation::open(&config, &own, keys, "http://127.0.0.1:9".into())
        .await
        .unwrap();
    let store = core.store();

    // S7 → S8: the case opens in the Bidang; a redelivery and an older version change nothing.
    let first = disposition("c-1", 1, "rehsos");
    let out = core.apply("triage", vec![first.clone()]).await.unwrap();
    assert_eq!((out.applied, out.duplicates), (1, 0));
    let out = core.apply("triage", vec![first]).await.unwrap();
    assert_eq!((out.applied, out.duplicates), (1, 1));
    core.apply("triage", vec![disposition("c-2", 1, "uptd_ppa")])
        .await
        .unwrap();
    let f = store.get::<CaseDoc>("c-1").await.unwrap().unwrap();
    assert_eq!(f.unit, "rehsos");
    assert_eq!(f.status, ComplaintStatus::InHandling as i32);
    assert_eq!(f.body.response_version, 1);
    assert_eq!(f.event_seq, 1, "CASE_OPENED");

    // A note with personal text, through the store's own step.
    let secret = "RAHASIA-nama-korban-Siti";
    store
        .mutate::<CaseDoc, _>("c-1", |f| {
            let mut f = f.expect("the case");
            f.body.notes.push(NoteRec {
                id: "n-1".into(),
                text: secret.into(),
                ..Default::default()
            });
            f.assignees = vec!["petugas-1".into()];
            // The old Bidang's drafts: one returned, one waiting for review.
            for (revision, state) in [(1, RETURNED), (2, DRAFT)] {
                f.body.responses.push(DraftRec {
                    version: 1,
                    revision,
                    text: "Jawaban Bidang lama".into(),
                    outcome_code: "resolved".into(),
                    state,
                    ..Default::default()
                });
            }
            Ok(Some(Write::new(f, Vec::new())))
        })
        .await
        .unwrap();
    let sealed = raw("c-1").await;
    assert!(!sealed.is_empty());
    assert!(
        !sealed.windows(secret.len()).any(|w| w == secret.as_bytes()),
        "the document is sealed at rest"
    );

    // A disposition about this case from another office is refused for good, naming the event;
    // the case is unchanged.
    let foreign = LifecycleEvent {
        office_code: "35.26".into(),
        ..disposition("c-1", 2, "uptd_ppa")
    };
    let out = core.apply("triage", vec![foreign.clone()]).await.unwrap();
    assert_eq!(out.applied, 0);
    assert_eq!(out.rejection.map(|r| r.0), Some(foreign.event_id));
    let f = store.get::<CaseDoc>("c-1").await.unwrap().unwrap();
    assert_eq!((f.unit.as_str(), f.body.dispositions.len()), ("rehsos", 1));

    // A later version to another Bidang moves the unanswered case; officers are released and the
    // old Bidang's draft waiting for review is superseded.
    core.apply("triage", vec![disposition("c-1", 2, "uptd_ppa")])
        .await
        .unwrap();
    core.apply("triage", vec![disposition("c-1", 1, "dayasos")])
        .await
        .unwrap();
    let f = store.get::<CaseDoc>("c-1").await.unwrap().unwrap();
    assert_eq!(f.unit, "uptd_ppa");
    assert!(f.assignees.is_empty());
    assert_eq!(f.body.dispositions.len(), 2);
    assert_eq!(f.body.notes[0].text, secret, "history kept");
    assert!(f.body.history.iter().any(|h| h.action == "moved"));
    let states: Vec<i32> = f.body.responses.iter().map(|d| d.state).collect();
    assert_eq!(states, vec![RETURNED, SUPERSEDED]);

    // An answered case stays where it is: the disposition is recorded as not applied, with a
    // handling activity for reporting.
    core.apply("triage", vec![disposition("c-3", 1, "rehsos")])
        .await
        .unwrap();
    store
        .mutate::<CaseDoc, _>("c-3", |f| {
            let mut f = f.expect("the case");
            f.status = ComplaintStatus::ResponseReady as i32;
            f.body.responses.push(DraftRec {
                version: 1,
                revision: 1,
                outcome_code: "resolved".into(),
                state: APPROVED,
                ..Default::default()
            });
            Ok(Some(Write::new(f, Vec::new())))
        })
        .await
        .unwrap();
    core.apply("triage", vec![disposition("c-3", 2, "uptd_ppa")])
        .await
        .unwrap();
    let f = store.get::<CaseDoc>("c-3").await.unwrap().unwrap();
    assert_eq!(f.unit, "rehsos");
    assert!(!f.body.dispositions[1].applied);
    assert_eq!(f.event_seq, 2, "CASE_OPENED, then the not-applied activity");

    // Lists: office, Bidang, status, assignee.
    let page = |unit: &str, statuses: Vec<i32>, assignee: &str| Filter {
        office_code: OFFICE.into(),
        unit: unit.into(),
        statuses,
        assignee: assignee.into(),
    };
    let (all, total) = store
        .list::<CaseDoc>(&page("", vec![], ""), 0, 10)
        .await
        .unwrap();
    assert_eq!((all.len(), total), (3, 3));
    let (_, n) = store
        .list::<CaseDoc>(&page("uptd_ppa", vec![], ""), 0, 10)
        .await
        .unwrap();
    assert_eq!(n, 2);
    let (_, n) = store
        .list::<CaseDoc>(&page("rehsos", vec![], ""), 0, 10)
        .await
        .unwrap();
    assert_eq!(n, 1, "the answered case only");
    let (_, n) = store
        .list::<CaseDoc>(
            &page("", vec![ComplaintStatus::ResponseReady as i32], ""),
            0,
            10,
        )
        .await
        .unwrap();
    assert_eq!(n, 1);
    let (_, n) = store
        .list::<CaseDoc>(&page("", vec![], "petugas-1"), 0, 10)
        .await
        .unwrap();
    assert_eq!(n, 0, "released by the move");

    // Feedback on a case investigation does not hold is refused for good, naming the event.
    let stray = event(
        "c-unknown",
        "feedback",
        1,
        Detail::FeedbackRecorded(ev::FeedbackRecorded {
            satisfied: false,
            reopens: true,
            version: 1,
            grounds_code: "not_answered".into(),
        }),
    );
    let out = core.apply("feedback", vec![stray.clone()]).await.unwrap();
    assert_eq!(out.applied, 0);
    assert_eq!(out.rejection.map(|r| r.0), Some(stray.event_id));
    // Feedback on a case still in handling changes only the history.
    let early = event(
        "c-2",
        "feedback",
        1,
        Detail::FeedbackRecorded(ev::FeedbackRecorded {
            satisfied: false,
            reopens: true,
            version: 1,
            grounds_code: "not_answered".into(),
        }),
    );
    core.apply("feedback", vec![early]).await.unwrap();
    let f = store.get::<CaseDoc>("c-2").await.unwrap().unwrap();
    assert_eq!(f.status, ComplaintStatus::InHandling as i32);
    assert_eq!(f.body.response_version, 1);
    // Closing from feedback closes the case; other events are ignored.
    let closed = event(
        "c-2",
        "feedback",
        2,
        Detail::Closed(ev::ComplaintClosed {
            reason_code: "silence".into(),
        }),
    );
    let other = event(
        "c-2",
        "feedback",
        3,
        Detail::SurveySubmitted(ev::SurveySubmitted::default()),
    );
    let out = core.apply("feedback", vec![closed, other]).await.unwrap();
    assert_eq!(out.applied, 2);
    let f = store.get::<CaseDoc>("c-2").await.unwrap().unwrap();
    assert_eq!(f.status, ComplaintStatus::Closed as i32);

    // The access log: newest first, purpose sealed and returned.
    for (i, what) in ["case", "evidence:e-1"].iter().enumerate() {
        store
            .log_access(&AccessEntry {
                complaint_id: "c-1".into(),
                office_code: OFFICE.into(),
                at: 1_000 + i as i64,
                subject: "kabid-ppa".into(),
                role: "bidang_head".into(),
                what: what.to_string(),
                purpose: format!("tujuan {i}"),
            })
            .await
            .unwrap();
    }
    let log = store.access_log(OFFICE, "c-1", 0, 10).await.unwrap();
    assert_eq!(log.len(), 2);
    assert_eq!(log[0].what, "evidence:e-1");
    assert_eq!(log[0].purpose, "tujuan 1");
    assert!(
        store
            .access_log("35.26", "", 0, 10)
            .await
            .unwrap()
            .is_empty()
    );

    // Events: numbered per case, ids and codes only.
    let events = core.outbox().fetch_after(0, 100).await.unwrap();
    let activities: Vec<(String, i32, String)> = events
        .iter()
        .map(|e| {
            let ev = <LifecycleEvent as prost::Message>::decode(e.payload.as_slice()).unwrap();
            match ev.detail {
                Some(Detail::HandlingActivity(a)) => (ev.complaint_id, a.kind, a.activity_code),
                other => panic!("not a handling activity: {other:?}"),
            }
        })
        .collect();
    let kind = |k: ev::HandlingActivityKind| k as i32;
    assert_eq!(
        activities,
        vec![
            (
                "c-1".into(),
                kind(ev::HandlingActivityKind::CaseOpened),
                "opened.disposition".into()
            ),
            (
                "c-2".into(),
                kind(ev::HandlingActivityKind::CaseOpened),
                "opened.disposition".into()
            ),
            (
                "c-1".into(),
                kind(ev::HandlingActivityKind::Moved),
                "moved.disposition".into()
            ),
            (
                "c-3".into(),
                kind(ev::HandlingActivityKind::CaseOpened),
                "opened.disposition".into()
            ),
            (
                "c-3".into(),
                kind(ev::HandlingActivityKind::DispositionUpdated),
                "disposition.not_applied".into()
            ),
        ]
    );
    core.close().await;
    let _ = std::fs::remove_dir_all(dir);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite() {
    let dir = std::env::temp_dir().join(format!("aduan-inv-db-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).unwrap();
    let url = format!("sqlite:{}", dir.join("investigation.db").display());
    let read_url = url.clone();
    conformance(url, async move |id: &str| {
        let pool = sqlx::SqlitePool::connect(&read_url).await.unwrap();
        let b: Vec<u8> = sqlx::query_scalar("SELECT sealed FROM cases WHERE complaint_id = $1")
            .bind(id)
            .fetch_one(&pool)
            .await
            .unwrap();
        pool.close().await;
        b
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres() {
    let Some(url) = aduan_runtime::testing::postgres_database().await else {
        return;
    };
    let read_url = url.clone();
    conformance(url, async move |id: &str| {
        let pool = sqlx::PgPool::connect(&read_url).await.unwrap();
        let b: Vec<u8> = sqlx::query_scalar("SELECT sealed FROM cases WHERE complaint_id = $1")
            .bind(id)
            .fetch_one(&pool)
            .await
            .unwrap();
        pool.close().await;
        b
    })
    .await;
}
