//! Events written straight into a service's outbox, as the service writes them: the relay tests
//! and the console's operator pages make dead letters with them.

use aduan_proto::events::v1::{self as ev, LifecycleEvent, lifecycle_event::Detail};
use aduan_runtime::db::Database;
use prost::Message;

fn now_proto() -> prost_types::Timestamp {
    aduan_runtime::time::to_proto(jiff::Timestamp::now())
}

/// An S9 amendment of `complaint` at `revision` (triage refuses it for a complaint it never
/// received: a dead letter).
pub fn amended(complaint: &str, revision: i32) -> LifecycleEvent {
    LifecycleEvent {
        event_id: uuid::Uuid::now_v7().to_string(),
        complaint_id: complaint.into(),
        office_code: "35.27".into(),
        step: 9,
        occurred_at: Some(now_proto()),
        source_service: "intake".into(),
        sequence: 1 + i64::from(revision),
        detail: Some(Detail::Amended(ev::ComplaintAmended {
            revision,
            changed_fields: vec!["content.chronology".into()],
            category_code: "bantuan_sosial".into(),
            reporter_identified: true,
            ..Default::default()
        })),
        ..Default::default()
    }
}

/// Writes an event into intake's outbox the way intake does (a position from the counter).
pub async fn put_in_intake_outbox(url: &str, e: &LifecycleEvent) -> i64 {
    let db = Database::connect(url, 1).await.unwrap();
    let created = aduan_runtime::time::to_micros(jiff::Timestamp::now());
    macro_rules! put {
        ($p:expr) => {{
            let mut tx = $p.begin().await.unwrap();
            let seq: i64 = sqlx::query_scalar(
                "UPDATE outbox_counter SET last_seq = last_seq + 1 WHERE id = 1 RETURNING last_seq",
            )
            .fetch_one(&mut *tx)
            .await
            .unwrap();
            sqlx::query(
                "INSERT INTO outbox (seq, event_id, complaint_id, event_type, payload, created_at) \
                 VALUES ($1, $2, $3, 'amended', $4, $5)",
            )
            .bind(seq)
            .bind(&e.event_id)
            .bind(&e.complaint_id)
            .bind(e.encode_to_vec())
            .bind(created)
            .execute(&mut *tx)
            .await
            .unwrap();
            tx.commit().await.unwrap();
            seq
        }};
    }
    let seq = match &db {
        Database::Postgres(p) => put!(p),
        Database::Sqlite(p) => put!(p),
    };
    db.close().await;
    seq
}
