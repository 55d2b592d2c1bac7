//! The case-file store (`aduan_runtime::casefile`) on SQLite and PostgreSQL, with the tables of a
//! real service's migrations (feedback's, which add a side table): sealed documents, steps on a
//! locked row under concurrency, gap-free outbox positions, idempotent and refusable receiving,
//! listing filters, timers, side rows and aggregates, and the access log.

use std::sync::Arc;

use aduan_proto::common::v1::{Actor, Step};
use aduan_proto::events::v1::{ComplaintClosed, LifecycleEvent, lifecycle_event::Detail};
use aduan_runtime::casefile::{AccessEntry, CaseFile, CaseStore, Filter, SideRow, Value, Write};
use aduan_runtime::crypto::Keyring;
use aduan_runtime::db::Database;
use aduan_runtime::relay::Outbox;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
struct Body {
    notes: Vec<String>,
    count: u32,
}

static PG: sqlx::migrate::Migrator = sqlx::migrate!("../../services/feedback/migrations/postgres");
static LITE: sqlx::migrate::Migrator = sqlx::migrate!("../../services/feedback/migrations/sqlite");

async fn store(db: Database, dir: &std::path::Path) -> CaseStore {
    db.migrate(&PG, &LITE).await.unwrap();
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

    // Side rows: written with the step, replaced by key; aggregates over them.
    for (sid, score) in [("s1", 4i64), ("s2", 2), ("s1", 3)] {
        s.mutate("c-1", |cur: Option<CaseFile<Body>>| {
            let f = cur.unwrap();
            let mut values = vec![
                ("survey_id", Value::Text(sid.into())),
                ("office_code", Value::Text("35.27".into())),
                ("service_code", Value::Text("pengaduan".into())),
                // One survey per complaint (feedback's unique index): s1 replaces itself.
                ("complaint_id", Value::Text(format!("c-{sid}"))),
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
