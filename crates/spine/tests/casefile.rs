//! The case-file store (`aduan_spine::casefile`) on SQLite and PostgreSQL, with the spine's tables
//! and a real service's migrations (feedback's, which add a side table): sealed documents, steps on a
//! locked row under concurrency, gap-free outbox positions, idempotent and refusable receiving,
//! listing filters, timers, side rows and aggregates, and the access log; and the trace context
//! of each case's latest step, which a person's next step links to.

use std::sync::Arc;

use aduan_proto::common::v1::{Actor, Step};
use aduan_proto::events::v1::{
    ComplaintClosed, LifecycleEvent, TraceContext, lifecycle_event::Detail,
};
use aduan_runtime::crypto::Keyring;
use aduan_runtime::db::{Database, Migration};
use aduan_spine::casefile::{AccessEntry, CaseFile, CaseStore, Filter, SideRow, Value, Write};
use aduan_spine::relay::Outbox;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
struct Body {
    notes: Vec<String>,
    count: u32,
}

/// Feedback's migrations (a real service's side table, `surveys`).
const FEEDBACK: &[Migration] = &[
    Migration::both(
        "0001_feedback",
        include_str!("../../../services/feedback/migrations/0001_feedback.sql"),
    ),
    Migration::both(
        "0002_feedback_surveys",
        include_str!("../../../services/feedback/migrations/0002_feedback_surveys.sql"),
    ),
    Migration::both(
        "0006_feedback_survey_key",
        include_str!("../../../services/feedback/migrations/0006_feedback_survey_key.sql"),
    ),
];

async fn store(db: Database, dir: &std::path::Path) -> CaseStore {
    aduan_spine::migrations::apply(&db, aduan_spine::migrations::CASE_FILE_SERVICE)
        .await
        .unwrap();
    db.apply(FEEDBACK, None).await.unwrap();
    let keys = Arc::new(Keyring::load("", dir).unwrap());
    let outbox = Outbox::new("feedback", db.clone());
    CaseStore::new("feedback", db, outbox, keys)
}

fn temp_dir() -> std::path::PathBuf {
    let d = std::env::temp_dir().join(format!("aduan-casefile-{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn file(id: &str, office: &str, unit: &str) -> CaseFile<Body> {
    CaseFile {
        complaint_id: id.into(),
        office_code: office.into(),
        unit: unit.into(),
        status: 10,
        assignees: vec![],
        next_at: None,
        event_seq: 0,
        opened_at: 1,
        updated_at: 1,
        body: Body::default(),
    }
}

fn actor() -> Actor {
    Actor {
        subject: "officer-1".into(),
        role: "bidang_officer".into(),
        office_code: "35.27".into(),
    }
}

fn closed(f: &mut CaseFile<Body>) -> LifecycleEvent {
    f.event(
        "feedback",
        Step::S14Feedback,
        actor(),
        jiff::Timestamp::now(),
        14,
        Detail::Closed(ComplaintClosed {
            reason_code: "silence".into(),
        }),
    )
}

fn incoming(id: &str, complaint: &str) -> LifecycleEvent {
    LifecycleEvent {
        event_id: id.into(),
        complaint_id: complaint.into(),
        office_code: "35.27".into(),
        ..Default::default()
    }
}

async fn suite(s: CaseStore, sqlite_file: Option<std::path::PathBuf>) {
    let s = Arc::new(s);
    // A step on a missing file sees None; creating it writes the document sealed.
    let created = s
        .mutate("c-1", |cur: Option<CaseFile<Body>>| {
            assert!(cur.is_none());
            let mut f = file("c-1", "35.27", "rehsos");
            f.body
                .notes
                .push("Ibu Sulastri menangis saat wawancara".into());
            f.assignees = vec!["officer-1".into(), "officer-2".into()];
            let e = closed(&mut f);
            Ok(Some(Write::new(f, vec![e])))
        })
        .await
        .unwrap()
        .unwrap();
    assert_eq!(created.event_seq, 1);
    let got: CaseFile<Body> = s.get("c-1").await.unwrap().unwrap();
    assert_eq!(got, created);
    // None from the step writes nothing.
    let none = s
        .mutate("c-1", |_: Option<CaseFile<Body>>| Ok(None))
        .await
        .unwrap();
    assert!(none.is_none());

    // Fifty concurrent steps on one row: each sees the one before (row lock), and the outbox
    // positions stay gap-free.
    let mut tasks = Vec::new();
    for _ in 0..50 {
        let s = s.clone();
        tasks.push(tokio::spawn(async move {
            s.mutate("c-1", |cur: Option<CaseFile<Body>>| {
                let mut f = cur.unwrap();
                f.body.count += 1;
                let e = closed(&mut f);
                Ok(Some(Write::new(f, vec![e])))
            })
            .await
            .unwrap()
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    let got: CaseFile<Body> = s.get("c-1").await.unwrap().unwrap();
    assert_eq!(got.body.count, 50);
    assert_eq!(got.event_seq, 51);
    let rows = s.outbox().fetch_after(0, 1000).await.unwrap();
    let seqs: Vec<i64> = rows.iter().map(|r| r.seq).collect();
    assert_eq!(seqs, (1..=51).collect::<Vec<_>>());
    assert!(rows.iter().all(|r| r.event_type == "closed"));

    // An error from the step rolls everything back.
    let err = s
        .mutate("c-1", |cur: Option<CaseFile<Body>>| {
            let _ = cur;
            Err::<Option<Write<Body>>, _>(aduan_runtime::Error::FailedPrecondition("no".into()))
        })
        .await;
    assert!(err.is_err());
    assert_eq!(s.outbox().fetch_after(0, 1000).await.unwrap().len(), 51);

    // Receiving: applied once, a redelivery is a duplicate, a refusal stops the batch and is not
    // remembered (it can be replayed).
    let apply =
        |e: &LifecycleEvent, cur: Option<CaseFile<Body>>| -> Result<Option<Write<Body>>, String> {
            if e.event_id.starts_with("bad") {
                return Err("refused".into());
            }
            let mut f = cur.unwrap_or_else(|| file(&e.complaint_id, "35.27", "puspaga"));
            f.body.count += 1;
            Ok(Some(Write::new(f, vec![])))
        };
    let out = s
        .apply(
            "investigation",
            &[incoming("e1", "c-2"), incoming("e2", "c-2")],
            &apply,
        )
        .await
        .unwrap();
    assert_eq!((out.applied, out.duplicates), (2, 0));
    let out = s
        .apply(
            "investigation",
            &[
                incoming("e2", "c-2"),
                incoming("bad-1", "c-2"),
                incoming("e3", "c-2"),
            ],
            &apply,
        )
        .await
        .unwrap();
    assert_eq!((out.applied, out.duplicates), (1, 1));
    assert_eq!(out.rejection.as_ref().unwrap().0, "bad-1");
    let c2: CaseFile<Body> = s.get("c-2").await.unwrap().unwrap();
    assert_eq!(c2.body.count, 2, "e3 after the refusal was not applied");
    let out = s
        .apply("investigation", &[incoming("e3", "c-2")], &apply)
        .await
        .unwrap();
    assert_eq!((out.applied, out.duplicates), (1, 0));
    // Listing: office, unit, assignee, status; timers.
    s.mutate("c-3", |_: Option<CaseFile<Body>>| {
        let mut f = file("c-3", "35.26", "rehsos");
        f.next_at = Some(1_000);
        Ok(Some(Write::new(f, vec![])))
    })
    .await
    .unwrap();
    let all = Filter {
        office_code: "35.27".into(),
        ..Default::default()
    };
    let (page, total) = s.list::<Body>(&all, 0, 10).await.unwrap();
    assert_eq!((page.len(), total), (2, 2));
    let mine = Filter {
        assignee: "officer-2".into(),
        ..all.clone()
    };
    let (page, _) = s.list::<Body>(&mine, 0, 10).await.unwrap();
    assert_eq!(page.len(), 1);
    assert_eq!(page[0].complaint_id, "c-1");
    let wildcard = Filter {
        assignee: "%".into(),
        ..all.clone()
    };
    assert_eq!(s.list::<Body>(&wildcard, 0, 10).await.unwrap().1, 0);
    let unit = Filter {
        unit: "puspaga".into(),
        statuses: vec![10],
        ..all.clone()
    };
    let (page, _) = s.list::<Body>(&unit, 0, 10).await.unwrap();
    assert_eq!(page[0].complaint_id, "c-2");
    let none = Filter {
        statuses: vec![99],
        ..all.clone()
    };
    assert_eq!(s.list::<Body>(&none, 0, 10).await.unwrap().1, 0);
    assert_eq!(s.due(999, 10).await.unwrap(), Vec::<String>::new());
    assert_eq!(s.due(1_000, 10).await.unwrap(), vec!["c-3".to_string()]);

    // One batch over a new and a known case, a complaint's later event seeing its earlier one,
    // and an id repeated inside the batch (applied once).
    let out = s
        .apply(
            "investigation",
            &[
                incoming("e4", "c-4"),
                incoming("e5", "c-2"),
                incoming("e6", "c-4"),
                incoming("e6", "c-4"),
            ],
            &apply,
        )
        .await
        .unwrap();
    assert_eq!((out.applied, out.duplicates), (4, 1));
    let c2: CaseFile<Body> = s.get("c-2").await.unwrap().unwrap();
    let c4: CaseFile<Body> = s.get("c-4").await.unwrap().unwrap();
    assert_eq!((c2.body.count, c4.body.count), (4, 2));
    // A refusal after a new case's first event keeps that event and forgets the rest.
    let out = s
        .apply(
            "investigation",
            &[
                incoming("e7", "c-5"),
                incoming("bad-2", "c-5"),
                incoming("e8", "c-5"),
            ],
            &apply,
        )
        .await
        .unwrap();
    assert_eq!((out.applied, out.duplicates), (1, 0));
    let c5: CaseFile<Body> = s.get("c-5").await.unwrap().unwrap();
    assert_eq!(c5.body.count, 1);
    let out = s
        .apply(
            "investigation",
            &[incoming("e7", "c-5"), incoming("e8", "c-5")],
            &apply,
        )
        .await
        .unwrap();
    assert_eq!((out.applied, out.duplicates), (2, 1));

    // Side rows: written with the step, replaced by key; aggregates over them.
    for (sid, score) in [("s1", 4i64), ("s2", 2), ("s1", 3)] {
        s.mutate("c-1", |cur: Option<CaseFile<Body>>| {
            let f = cur.unwrap();
            let mut values = vec![
                ("survey_id", Value::Text(sid.into())),
                ("office_code", Value::Text("35.27".into())),
                ("service_code", Value::Text("pengaduan".into())),
                // One survey per complaint (feedback's unique index): s1 replaces itself.
                ("complaint_key", Value::Text(format!("c-{sid}"))),
                ("submitted_at", Value::Int(5)),
            ];
            for u in ["u1", "u2", "u3", "u4", "u5", "u6", "u7", "u8", "u9"] {
                values.push((u, Value::Int(score)));
            }
            Ok(Some(Write {
                file: f,
                events: vec![],
                side: vec![SideRow {
                    table: "surveys",
                    values,
                    key: &["survey_id"],
                }],
            }))
        })
        .await
        .unwrap();
    }
    let rows = s
        .query(
            "SELECT COUNT(*), SUM(u1), CAST(AVG(u9) AS DOUBLE PRECISION) FROM surveys WHERE office_code = $1",
            &[Value::Text("35.27".into())],
        )
        .await
        .unwrap();
    assert_eq!(rows[0][0], Value::Int(2));
    assert_eq!(rows[0][1], Value::Int(5));
    assert_eq!(rows[0][2], Value::Real(2.5));

    // The access log: newest first, per case or office, purpose sealed at rest.
    for what in ["case", "evidence:1"] {
        s.log_access(&AccessEntry {
            complaint_id: "c-1".into(),
            office_code: "35.27".into(),
            at: 7,
            subject: "kabid-1".into(),
            role: "bidang_head".into(),
            what: what.into(),
            purpose: "Menyiapkan tanggapan untuk Ibu Sulastri".into(),
        })
        .await
        .unwrap();
    }
    let log = s.access_log("35.27", "c-1", 0, 10).await.unwrap();
    assert_eq!(log.len(), 2);
    assert_eq!(log[0].what, "evidence:1");
    assert_eq!(log[0].purpose, "Menyiapkan tanggapan untuk Ibu Sulastri");
    assert!(s.access_log("35.26", "", 0, 10).await.unwrap().is_empty());

    // Receiving a batch over two cases while a step runs on the second, many times: the outbox
    // counter is always locked after the case rows, so neither waits on the other in a cycle
    // (PostgreSQL would abort one with a deadlock).
    let emit =
        |e: &LifecycleEvent, cur: Option<CaseFile<Body>>| -> Result<Option<Write<Body>>, String> {
            let mut f = cur.unwrap_or_else(|| file(&e.complaint_id, "35.27", "rehsos"));
            let ev = closed(&mut f);
            Ok(Some(Write::new(f, vec![ev])))
        };
    s.mutate("c-y", |_: Option<CaseFile<Body>>| {
        Ok(Some(Write::new(file("c-y", "35.27", "rehsos"), vec![])))
    })
    .await
    .unwrap();
    for round in 0..30 {
        let batch = [
            incoming(&format!("x-{round}"), "c-x"),
            incoming(&format!("y-{round}"), "c-y"),
        ];
        let (a, b) = tokio::join!(
            s.apply("triage", &batch, &emit),
            s.mutate("c-y", |cur: Option<CaseFile<Body>>| {
                let mut f = cur.unwrap_or_else(|| file("c-y", "35.27", "rehsos"));
                let e = closed(&mut f);
                Ok(Some(Write::new(f, vec![e])))
            })
        );
        assert_eq!(a.unwrap().applied, 2);
        b.unwrap();
    }
    let y: CaseFile<Body> = s.get("c-y").await.unwrap().unwrap();
    assert_eq!(y.event_seq, 60, "every step and every event, once");
    // Two creations of one case at once: one wins, the other fails (to be retried), and
    // nothing is overwritten.
    let create = |n: u32| {
        let s = s.clone();
        async move {
            s.mutate("c-new", move |cur: Option<CaseFile<Body>>| {
                let mut f = cur.unwrap_or_else(|| file("c-new", "35.27", "rehsos"));
                f.body.count += n;
                Ok(Some(Write::new(f, vec![])))
            })
            .await
        }
    };
    let (a, b) = tokio::join!(create(1), create(10));
    let won = [a.is_ok(), b.is_ok()];
    let c: CaseFile<Body> = s.get("c-new").await.unwrap().unwrap();
    match won {
        [true, true] => assert_eq!(c.body.count, 11, "the second saw the first"),
        [true, false] => assert_eq!(c.body.count, 1),
        [false, true] => assert_eq!(c.body.count, 10),
        _ => panic!("neither creation succeeded"),
    }

    // Each case file has a data key of its own, wrapped by the office's key; a case's key opens
    // only its own document, and without it the document does not open (crypto-shredding).
    let keys = |db: &Database| {
        let db = db.clone();
        async move {
            let sql = "SELECT complaint_id, data_key FROM cases ORDER BY complaint_id";
            let rows: Vec<(String, Option<Vec<u8>>)> = match &db {
                Database::Postgres(p) => sqlx::query_as(sql).fetch_all(p).await.unwrap(),
                Database::Sqlite(p) => sqlx::query_as(sql).fetch_all(p).await.unwrap(),
            };
            rows
        }
    };
    let before = keys(s.database()).await;
    assert!(before.len() >= 2, "{before:?}");
    assert!(
        before
            .iter()
            .all(|(_, k)| k.as_ref().is_some_and(|k| k.len() > 32))
    );
    let mut distinct: Vec<&Vec<u8>> = before.iter().filter_map(|(_, k)| k.as_ref()).collect();
    distinct.dedup();
    assert_eq!(distinct.len(), before.len(), "one key per case");
    // A later step keeps the case's key.
    s.mutate("c-1", |cur: Option<CaseFile<Body>>| {
        let mut f = cur.unwrap();
        f.body.count += 1;
        Ok(Some(Write::new(f, vec![])))
    })
    .await
    .unwrap();
    assert_eq!(keys(s.database()).await, before);
    // Another case's key in its place does not open the document; no key, nothing opens.
    let swap = |sql: String| {
        let db = s.database().clone();
        async move {
            let sql = sqlx::AssertSqlSafe(sql);
            match &db {
                Database::Postgres(p) => sqlx::query(sql).execute(p).await.map(|_| ()),
                Database::Sqlite(p) => sqlx::query(sql).execute(p).await.map(|_| ()),
            }
            .unwrap()
        }
    };
    let other = &before.iter().find(|(id, _)| id != "c-1").unwrap().0;
    swap(format!(
        "UPDATE cases SET data_key = (SELECT data_key FROM cases WHERE complaint_id = '{other}') \
         WHERE complaint_id = 'c-1'"
    ))
    .await;
    assert!(s.get::<Body>("c-1").await.is_err());
    swap("UPDATE cases SET data_key = NULL WHERE complaint_id = 'c-1'".into()).await;
    assert!(s.get::<Body>("c-1").await.is_err());

    if let Some(path) = sqlite_file {
        s.close().await;
        for p in [path.clone(), path.with_extension("db-wal")] {
            if let Ok(bytes) = std::fs::read(&p) {
                let text = String::from_utf8_lossy(&bytes);
                assert!(!text.contains("Sulastri"), "plaintext in {}", p.display());
            }
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sqlite() {
    let dir = temp_dir();
    let path = dir.join("feedback.db");
    let db = Database::connect(&format!("sqlite:{}", path.display()), 4)
        .await
        .unwrap();
    suite(store(db, &dir).await, Some(path)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn postgres() {
    let Some(url) = aduan_runtime::testing::postgres_database().await else {
        return;
    };
    let dir = temp_dir();
    let db = Database::connect(&url, 8).await.unwrap();
    suite(store(db, &dir).await, None).await;
}

// ---- The trace context of a case's latest step ---------------------------------------------

/// Spans ended in this test, exported at once.
#[derive(Debug, Clone, Default)]
struct Collect(Arc<std::sync::Mutex<Vec<opentelemetry_sdk::trace::SpanData>>>);

impl opentelemetry_sdk::trace::SpanExporter for Collect {
    async fn export(
        &self,
        batch: Vec<opentelemetry_sdk::trace::SpanData>,
    ) -> opentelemetry_sdk::error::OTelSdkResult {
        self.0.lock().unwrap().extend(batch);
        Ok(())
    }
}

/// The process's subscriber (global: a subscriber set for one thread races with callsites that
/// other tests register first), exporting every span to one collector. Tests tell their spans
/// apart by span id and complaint id.
fn collector() -> &'static Collect {
    use opentelemetry::trace::TracerProvider as _;
    use tracing_subscriber::layer::SubscriberExt;
    static COLLECT: std::sync::OnceLock<(Collect, opentelemetry_sdk::trace::SdkTracerProvider)> =
        std::sync::OnceLock::new();
    &COLLECT
        .get_or_init(|| {
            aduan_runtime::telemetry::install_propagator();
            let spans = Collect::default();
            let provider = opentelemetry_sdk::trace::SdkTracerProvider::builder()
                .with_simple_exporter(spans.clone())
                .build();
            let subscriber = tracing_subscriber::registry()
                .with(tracing_opentelemetry::layer().with_tracer(provider.tracer("casefile-test")));
            tracing::subscriber::set_global_default(subscriber).unwrap();
            (spans, provider)
        })
        .0
}

impl Collect {
    /// The last span of that name that `f` accepts, once it has ended: the database driver's
    /// worker may drop its handle of a span a moment after answering.
    async fn span_where(
        &self,
        name: &str,
        f: impl Fn(&opentelemetry_sdk::trace::SpanData) -> bool,
    ) -> opentelemetry_sdk::trace::SpanData {
        for _ in 0..200 {
            let found = self
                .0
                .lock()
                .unwrap()
                .iter()
                .rev()
                .find(|s| s.name == name && f(s))
                .cloned();
            if let Some(s) = found {
                return s;
            }
            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
        }
        let seen: Vec<String> = self
            .0
            .lock()
            .unwrap()
            .iter()
            .map(|s| format!("{} {}", s.name, traceparent(&s.span_context)))
            .collect();
        panic!("span {name} was not exported; exported: {seen:?}");
    }
}

fn attr(s: &opentelemetry_sdk::trace::SpanData, key: &str) -> Option<String> {
    s.attributes
        .iter()
        .find(|kv| kv.key.as_str() == key)
        .map(|kv| kv.value.to_string())
}

fn links(s: &opentelemetry_sdk::trace::SpanData) -> Vec<opentelemetry::trace::SpanContext> {
    s.links.iter().map(|l| l.span_context.clone()).collect()
}

fn traceparent(sc: &opentelemetry::trace::SpanContext) -> String {
    format!("00-{}-{}-01", sc.trace_id(), sc.span_id())
}

/// A step with one event, as a service's request handler runs it.
async fn step(s: &CaseStore, id: &str, events: usize) {
    s.mutate(id, |cur: Option<CaseFile<Body>>| {
        let mut f = cur.unwrap();
        f.body.count += 1;
        let ev = (0..events).map(|_| closed(&mut f)).collect();
        Ok(Some(Write::new(f, ev)))
    })
    .await
    .unwrap();
}

/// Received events and steps keep the trace context of the case's latest event; a step in a new
/// trace links its span to that context and carries the complaint's id; a step that continues
/// the previous step's trace adds no link; an untraced event keeps the chain.
async fn trace_suite(s: CaseStore, id: &str) {
    use opentelemetry::trace::TraceContextExt;
    use tracing::Instrument;
    use tracing_opentelemetry::OpenTelemetrySpanExt;

    let spans = collector();
    let id_of = |s: &opentelemetry_sdk::trace::SpanData| attr(s, "complaint_id");

    // An event arrives from a request traced elsewhere: it opens the case and is its latest step.
    const UPSTREAM: &str = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";
    let mut e = incoming("t-e1", id);
    e.trace = Some(TraceContext {
        traceparent: UPSTREAM.into(),
        tracestate: "aduan=1".into(),
    });
    let open =
        |e: &LifecycleEvent, cur: Option<CaseFile<Body>>| -> Result<Option<Write<Body>>, String> {
            let mut f = cur.unwrap_or_else(|| file(&e.complaint_id, "35.27", "rehsos"));
            f.body.count += 1;
            Ok(Some(Write::new(f, vec![])))
        };
    s.apply("triage", &[e], &open).await.unwrap();
    let latest = s.latest_trace(id).await.unwrap().unwrap();
    assert_eq!(latest.traceparent, UPSTREAM);
    assert_eq!(latest.tracestate, "aduan=1");
    assert!(s.latest_trace("unknown").await.unwrap().is_none());

    // A person's step days later: its own trace, linked to the upstream span, tagged.
    let a = tracing::info_span!("step a");
    step(&s, id, 1).instrument(a.clone()).await;
    let a_cx = a.context().span().span_context().clone();
    drop(a);
    let latest = s.latest_trace(id).await.unwrap().unwrap();
    assert_eq!(
        latest.traceparent,
        traceparent(&a_cx),
        "the step's event is the latest"
    );
    let a = spans
        .span_where("step a", |s| s.span_context.span_id() == a_cx.span_id())
        .await;
    assert_eq!(id_of(&a).as_deref(), Some(id));
    let l = links(&a);
    assert_eq!(l.len(), 1);
    assert_eq!(
        l[0].trace_id().to_string(),
        "0af7651916cd43dd8448eb211c80319c"
    );
    assert_eq!(l[0].span_id().to_string(), "b7ad6b7169203331");
    // The outbox event carries the same context.
    let rows = s.outbox().fetch_after(0, 1000).await.unwrap();
    let written = rows.iter().find(|r| r.complaint_id == id).unwrap();
    let ev = <LifecycleEvent as prost::Message>::decode(written.payload.as_slice()).unwrap();
    assert_eq!(ev.trace.unwrap().traceparent, traceparent(&a_cx));

    // A call that continues step a's trace (it carried its traceparent): no link.
    let b = tracing::info_span!("step b");
    let _ = b.set_parent(opentelemetry::Context::new().with_remote_span_context(a_cx.clone()));
    step(&s, id, 1).instrument(b.clone()).await;
    let b_cx = b.context().span().span_context().clone();
    drop(b);
    let b = spans
        .span_where("step b", |s| s.span_context.span_id() == b_cx.span_id())
        .await;
    assert_eq!(b.span_context.trace_id(), a_cx.trace_id());
    assert!(links(&b).is_empty(), "a continuation is not linked");
    assert_eq!(id_of(&b).as_deref(), Some(id));
    let latest = s.latest_trace(id).await.unwrap().unwrap();
    assert_eq!(latest.traceparent, traceparent(&b_cx));

    // A step without events is linked, but the last event stays the latest; an event written
    // outside any trace keeps the chain too; so does a received event without a trace.
    let c = tracing::info_span!("step c");
    step(&s, id, 0).instrument(c.clone()).await;
    let c_cx = c.context().span().span_context().clone();
    drop(c);
    let c = spans
        .span_where("step c", |s| s.span_context.span_id() == c_cx.span_id())
        .await;
    assert_eq!(id_of(&c).as_deref(), Some(id));
    let c = links(&c);
    assert_eq!(c.len(), 1);
    assert_eq!(
        (c[0].trace_id(), c[0].span_id()),
        (b_cx.trace_id(), b_cx.span_id())
    );
    step(&s, id, 1).await;
    s.apply("triage", &[incoming("t-e2", id)], &open)
        .await
        .unwrap();
    let latest = s.latest_trace(id).await.unwrap().unwrap();
    assert_eq!(latest.traceparent, traceparent(&b_cx));

    // A received event that caused an event here: the emitted one (in the apply span) is latest.
    let mut e = incoming("t-e3", id);
    e.trace = Some(TraceContext {
        traceparent: UPSTREAM.into(),
        tracestate: String::new(),
    });
    let emit =
        |_: &LifecycleEvent, cur: Option<CaseFile<Body>>| -> Result<Option<Write<Body>>, String> {
            let mut f = cur.unwrap();
            let ev = closed(&mut f);
            Ok(Some(Write::new(f, vec![ev])))
        };
    s.apply("triage", &[e], &emit).await.unwrap();
    let latest = s.latest_trace(id).await.unwrap().unwrap();
    let apply = spans
        .span_where("apply event", |s| {
            traceparent(&s.span_context) == latest.traceparent
        })
        .await;
    assert_eq!(
        apply.span_context.trace_id().to_string(),
        "0af7651916cd43dd8448eb211c80319c",
        "an automatic hop continues the upstream trace"
    );
    assert!(links(&apply).is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn trace_sqlite() {
    let dir = temp_dir();
    let path = dir.join("feedback.db");
    let db = Database::connect(&format!("sqlite:{}", path.display()), 4)
        .await
        .unwrap();
    trace_suite(store(db, &dir).await, "t-sqlite").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn trace_postgres() {
    let Some(url) = aduan_runtime::testing::postgres_database().await else {
        return;
    };
    let dir = temp_dir();
    let db = Database::connect(&url, 4).await.unwrap();
    trace_suite(store(db, &dir).await, "t-postgres").await;
}
