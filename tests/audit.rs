//! The tamper-evident access log (issue 12, docs/security.md), on SQLite and PostgreSQL: every
//! read of personal data is a link of its office's HMAC chain; `aduan audit verify` finds an
//! edited row and a deleted row, in intake and in a case-file service (investigation); triage's
//! case reads are chained too; purposes are sealed; reading a log or a complaint's revisions is
//! itself logged.

#[macro_use]
mod common;

use aduan_proto::intake::v1 as ipb;
use aduan_proto::investigation::v1 as vpb;
use aduan_runtime::auth::Role;
use aduan_runtime::db::Database;
use common::casework::{OFFICE, dispute, opened, staff};
use common::{TestApp, authed};

async fn db_of(app: &TestApp, service: &str) -> Database {
    let database = app.config.database(service).unwrap();
    Database::connect(&database.url(&app.config, service), 2)
        .await
        .unwrap()
}

async fn exec(db: &Database, sql: &str) {
    match db {
        Database::Postgres(p) => {
            sqlx::query(sqlx::AssertSqlSafe(sql.to_string()))
                .execute(p)
                .await
                .unwrap();
        }
        Database::Sqlite(p) => {
            sqlx::query(sqlx::AssertSqlSafe(sql.to_string()))
                .execute(p)
                .await
                .unwrap();
        }
    }
}

async fn verdict(app: &TestApp, service: &str) -> aduan_runtime::audit::Verdict {
    aduan::audit_verify(&app.config, OFFICE)
        .await
        .unwrap()
        .into_iter()
        .find(|r| r.service == service)
        .unwrap()
        .verdict
}

async fn an_edited_or_deleted_row_breaks_the_chain(app: TestApp) {
    let s = staff(&app, "linjamsos");
    let id = opened(&app, &s, dispute("audit-1"), "linjamsos").await;
    let mut ic = app.client().await;
    for purpose in ["Verifikasi S4", "Wawancara S9", "Laporan S15"] {
        ic.get_complaint(authed(
            &s.complaints,
            ipb::GetComplaintRequest {
                complaint_id: id.clone(),
                revision: 0,
                purpose: purpose.into(),
            },
        ))
        .await
        .unwrap();
    }
    let mut inv = common::casework::investigation(&app).await;
    for purpose in ["Telaah kasus", "Persiapan mediasi"] {
        inv.get_case(authed(
            &s.kabid,
            vpb::GetCaseRequest {
                complaint_id: id.clone(),
                purpose: purpose.into(),
            },
        ))
        .await
        .unwrap();
    }
    // The Head reads the log (purposes in clear for the Head only); the read is logged too.
    let head = app.token(&[Role::Head], OFFICE);
    let log = ic
        .list_access_log(authed(
            &head,
            ipb::ListAccessLogRequest {
                complaint_id: id.clone(),
            },
        ))
        .await
        .unwrap()
        .into_inner()
        .entries;
    assert!(log.iter().any(|e| e.purpose == "Wawancara S9"), "{log:?}");
    let operator = app.token(&[Role::Operator], OFFICE);
    let seen_by_operator = ic
        .list_access_log(authed(
            &operator,
            ipb::ListAccessLogRequest {
                complaint_id: id.clone(),
            },
        ))
        .await
        .unwrap()
        .into_inner()
        .entries;
    assert!(seen_by_operator.iter().all(|e| e.purpose.is_empty()));
    assert!(
        seen_by_operator.iter().any(|e| e.action == "ListAccessLog"),
        "the Head's reading of the log is in the log"
    );

    let intake = verdict(&app, "intake").await;
    assert_eq!(intake.broken, None, "{intake:?}");
    assert!(intake.rows >= 5, "{intake:?}");
    // Triage's case reads (its free text) are chained too: `opened` read the case while waiting.
    let triage = verdict(&app, "triage").await;
    assert_eq!(triage.broken, None, "{triage:?}");
    assert!(triage.rows >= 1, "{triage:?}");
    let investigation = verdict(&app, "investigation").await;
    assert_eq!(investigation.broken, None, "{investigation:?}");
    assert!(investigation.rows >= 2, "{investigation:?}");

    // Nobody can read the purposes from the database: they are sealed.
    let idb = db_of(&app, "intake").await;
    let plain: i64 = match &idb {
        Database::Postgres(p) => {
            sqlx::query_scalar("SELECT COUNT(*) FROM access_log WHERE purpose LIKE '%Wawancara%'")
                .fetch_one(p)
                .await
                .unwrap()
        }
        Database::Sqlite(p) => {
            sqlx::query_scalar("SELECT COUNT(*) FROM access_log WHERE purpose LIKE '%Wawancara%'")
                .fetch_one(p)
                .await
                .unwrap()
        }
    };
    assert_eq!(plain, 0);

    // An edited row: someone else's name on a read.
    exec(
        &idb,
        "UPDATE access_log SET actor_subject = 'orang-lain' WHERE office_code = '35.27' AND chain_seq = 2",
    )
    .await;
    let v = verdict(&app, "intake").await;
    assert_eq!(v.broken.as_ref().map(|b| b.seq), Some(2), "{v:?}");
    // A deleted row (the edited one goes away): the gap is found at the same place.
    exec(
        &idb,
        "DELETE FROM access_log WHERE office_code = '35.27' AND chain_seq = 2",
    )
    .await;
    let v = verdict(&app, "intake").await;
    let b = v.broken.unwrap();
    assert_eq!(b.seq, 2);
    assert!(b.reason.contains("missing"), "{b:?}");
    idb.close().await;

    // The same in a case-file service: the newest row deleted leaves the head behind.
    let vdb = db_of(&app, "investigation").await;
    exec(
        &vdb,
        "DELETE FROM access_log WHERE office_code = '35.27' AND chain_seq = \
         (SELECT MAX(chain_seq) FROM access_log WHERE office_code = '35.27')",
    )
    .await;
    let v = verdict(&app, "investigation").await;
    assert!(v.broken.is_some(), "{v:?}");
    vdb.close().await;
    app.running.shutdown().await.unwrap();
}

both!(an_edited_or_deleted_row_breaks_the_chain);
