//! Housekeeping of the spine's tables on both backends (issue 17, docs/privacy.md "Retention"):
//! delivered outbox rows and remembered event ids are deleted after their windows, and a
//! redelivery inside the windows stays idempotent.

#[macro_use]
mod common;

use std::time::Duration;

use aduan_proto::common::v1::Channel;
use aduan_proto::events::v1::LifecycleEvent;
use aduan_runtime::config::RelayConfig;
use aduan_runtime::db::Database;
use aduan_spine::relay::{EventReceiver, Keep, Pruned, ROUTES, prune};
use common::{TestApp, complete_request};
use prost::Message;

const DAY: i64 = 86_400 * 1_000_000;

async fn delivered_then_pruned_after_the_windows(app: TestApp) {
    let intake = app.running.intake.clone().unwrap();
    let triage = app.running.triage.clone().unwrap();
    let outbox = intake.outbox();
    for i in 0..3 {
        app.submit(complete_request(&format!("hk-{i}"), Channel::WalkIn))
            .await;
    }
    // Intake relays to every subscriber but the console (none runs in the tests).
    let subscribers: Vec<String> = ROUTES
        .iter()
        .filter(|r| r.source == "intake" && r.subscriber != "console")
        .map(|r| r.subscriber.to_string())
        .collect();
    let head = outbox.head().await.unwrap();
    assert!(head >= 3);
    for _ in 0..400 {
        let mut behind = 0;
        for s in &subscribers {
            if outbox.cursor(s).await.unwrap() < head {
                behind += 1;
            }
        }
        if behind == 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    let events: Vec<LifecycleEvent> = outbox
        .fetch_after(0, 1000)
        .await
        .unwrap()
        .iter()
        .map(|r| LifecycleEvent::decode(r.payload.as_slice()).unwrap())
        .collect();
    assert_eq!(events.len() as i64, head);
    let for_triage: Vec<LifecycleEvent> = events
        .iter()
        .filter(|e| {
            ROUTES.iter().any(|r| {
                r.source == "intake"
                    && r.subscriber == "triage"
                    && r.events.contains(&aduan_spine::relay::event_type(e))
            })
        })
        .cloned()
        .collect();
    assert!(!for_triage.is_empty());
    let keep = Keep::of(&RelayConfig::default()).unwrap();
    let now = aduan_runtime::time::now_micros();
    let intake_db = outbox.database();
    let triage_db = triage.outbox().database();

    // Inside both windows nothing goes, and a redelivery changes nothing.
    assert_eq!(
        prune(intake_db, Some(&subscribers), keep, now)
            .await
            .unwrap(),
        Pruned::default()
    );
    let again = triage.apply("intake", for_triage.clone()).await.unwrap();
    assert_eq!(again.duplicates, for_triage.len());
    assert!(again.rejection.is_none());

    // A subscriber that has received nothing yet keeps every row, however old.
    let mut waiting = subscribers.clone();
    waiting.push("latecomer".into());
    let p = prune(intake_db, Some(&waiting), keep, now + 31 * DAY)
        .await
        .unwrap();
    assert_eq!(p.outbox, 0);
    assert_eq!(
        outbox.fetch_after(0, 1000).await.unwrap().len() as i64,
        head
    );

    // Past the outbox window the delivered rows go, but not one a dead letter still names (its
    // replay reads it); the receiver still remembers their ids, so a delivery of one of them (as
    // a stalled retry would make) is still a duplicate.
    let dead = "INSERT INTO relay_dead_letters (subscriber, seq, event_id, complaint_id, \
                event_type, error, attempts, dead_at) VALUES ('reporting', 1, 'e', 'c', 't', 'x', 1, 0)";
    match intake_db {
        Database::Postgres(p) => sqlx::query(dead).execute(p).await.map(|_| ()),
        Database::Sqlite(p) => sqlx::query(dead).execute(p).await.map(|_| ()),
    }
    .unwrap();
    let p = prune(intake_db, Some(&subscribers), keep, now + 31 * DAY)
        .await
        .unwrap();
    assert_eq!(p.outbox as i64, head - 1);
    let left = outbox.fetch_after(0, 1000).await.unwrap();
    assert_eq!(left.iter().map(|r| r.seq).collect::<Vec<_>>(), vec![1]);
    assert_eq!(
        outbox.head().await.unwrap(),
        head,
        "positions stay gap-free"
    );
    let p = prune(triage_db, None, keep, now + 31 * DAY).await.unwrap();
    assert_eq!(p.seen, 0);
    let again = triage.apply("intake", for_triage.clone()).await.unwrap();
    assert_eq!(again.duplicates, for_triage.len());

    // Past the longer window the ids go as well: by then no row is left to deliver them again.
    let p = prune(triage_db, None, keep, now + 61 * DAY).await.unwrap();
    assert!(p.seen as usize >= for_triage.len(), "{p:?}");

    // New complaints flow on after the pruning, from the next position.
    app.submit(complete_request("hk-after", Channel::WalkIn))
        .await;
    assert!(outbox.head().await.unwrap() > head);
    app.running.shutdown().await.unwrap();
}
both!(delivered_then_pruned_after_the_windows);
