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

    // The export (`aduan audit export`) lists every read with its purpose opened, in chain
    // order, each chain checked; a period after the reads holds none of them.
    let all = aduan::audit_export(&app.config, OFFICE, None, None)
        .await
        .unwrap();
    let part = |service: &str| all.iter().find(|e| e.service == service).unwrap();
    let intake_rows = &part("intake").rows;
    assert_eq!(part("intake").verdict.broken, None);
    assert_eq!(intake_rows.len() as i64, part("intake").verdict.rows);
    assert!(intake_rows.windows(2).all(|w| w[0].seq + 1 == w[1].seq));
    for purpose in ["Verifikasi S4", "Wawancara S9", "Laporan S15"] {
        let r = intake_rows
            .iter()
            .find(|r| r.purpose == purpose)
            .unwrap_or_else(|| panic!("{purpose}: {intake_rows:?}"));
        assert_eq!(r.complaint_id, id);
        assert_eq!(r.action, "GetComplaint");
        assert_eq!(r.role, "complaints_officer");
    }
    // Triage's reads of its free text, with their purposes.
    let triage_rows = &part("triage").rows;
    assert!(!triage_rows.is_empty());
    assert!(
        triage_rows
            .iter()
            .all(|r| r.purpose != aduan_runtime::audit::UNREADABLE && r.complaint_id == id),
        "{triage_rows:?}"
    );
    let inv_rows = &part("investigation").rows;
    assert!(
        inv_rows
            .iter()
            .any(|r| r.purpose == "Persiapan mediasi" && r.role == "bidang_head"),
        "{inv_rows:?}"
    );
    let csv = aduan::audit::export_csv(&all, &jiff::tz::TimeZone::get("Asia/Jakarta").unwrap());
    assert!(csv.starts_with(aduan::audit::CSV_HEADER));
    assert!(csv.contains(",Wawancara S9\n"), "{csv}");
    let later = aduan_runtime::time::now_micros() + 3_600_000_000;
    let none = aduan::audit_export(&app.config, OFFICE, Some(later), None)
        .await
        .unwrap();
    assert!(none.iter().all(|e| e.rows.is_empty()));
    // Another office's export holds none of this office's reads.
    let other = aduan::audit_export(&app.config, "35.26", None, None)
        .await
        .unwrap();
    assert!(
        other
            .iter()
            .all(|e| e.rows.iter().all(|r| r.complaint_id != id))
    );

    // An edited row: someone else's name on a read.
    exec(
        &idb,
        "UPDATE access_log SET actor_subject = 'orang-lain' WHERE office_code = '35.27' AND chain_seq = 2",
    )
    .await;
    let v = verdict(&app, "intake").await;
    assert_eq!(v.broken.as_ref().map(|b| b.seq), Some(2), "{v:?}");
    // The export still lists the rows and says where the chain breaks.
    let after = aduan::audit_export(&app.config, OFFICE, None, None)
        .await
        .unwrap();
    let intake_part = after.iter().find(|e| e.service == "intake").unwrap();
    assert_eq!(intake_part.verdict.broken.as_ref().map(|b| b.seq), Some(2));
    assert!(intake_part.rows.iter().any(|r| r.subject == "orang-lain"));
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
