//! Each complaint's personal data in intake is sealed with a data key of its own, wrapped by the
//! office's key (crypto-shredding groundwork, docs/privacy.md), on both backends: one key per
//! complaint, kept by amendments; another complaint's key does not open the data; a complaint
//! registered before the keys still opens and gets its own key at its next amendment.

#[macro_use]
mod common;

use aduan_proto::common::v1::Channel;
use aduan_proto::intake::v1 as pb;
use aduan_proto::triage::v1::{self as tpb, triage_service_client::TriageServiceClient};
use aduan_runtime::auth::Role;
use aduan_runtime::crypto::Keyring;
use aduan_runtime::db::Database;
use common::{TestApp, authed, complete_request};

async fn intake_db(app: &TestApp) -> Database {
    let db = app.config.database("intake").unwrap();
    Database::connect(&db.url(&app.config, "intake"), 2)
        .await
        .unwrap()
}

/// A stored row's data key (None: no key, or no row): intake's complaint or triage's case.
async fn key_in(db: &Database, sql: &str, id: &str) -> Option<Vec<u8>> {
    let k: Option<Option<Vec<u8>>> = match db {
        Database::Postgres(p) => {
            sqlx::query_scalar(sqlx::AssertSqlSafe(sql))
                .bind(id)
                .fetch_optional(p)
                .await
        }
        Database::Sqlite(p) => {
            sqlx::query_scalar(sqlx::AssertSqlSafe(sql))
                .bind(id)
                .fetch_optional(p)
                .await
        }
    }
    .unwrap();
    k.flatten()
}

async fn key_of(db: &Database, id: &str) -> Option<Vec<u8>> {
    key_in(db, "SELECT data_key FROM complaints WHERE id = $1", id).await
}

async fn key_of_in(db: &Database, id: &str) -> Option<Vec<u8>> {
    key_in(db, "SELECT data_key FROM cases WHERE complaint_id = $1", id).await
}

async fn set(db: &Database, id: &str, key: Option<Vec<u8>>, pii: Option<Vec<u8>>) {
    let sql = "UPDATE complaints SET data_key = $1, pii = COALESCE($2, pii) WHERE id = $3";
    match db {
        Database::Postgres(p) => sqlx::query(sql)
            .bind(key)
            .bind(pii)
            .bind(id)
            .execute(p)
            .await
            .map(|_| ()),
        Database::Sqlite(p) => sqlx::query(sql)
            .bind(key)
            .bind(pii)
            .bind(id)
            .execute(p)
            .await
            .map(|_| ()),
    }
    .unwrap()
}

async fn each_complaint_has_its_own_key(app: TestApp) {
    let token = app.token(&[Role::ComplaintsOfficer], "35.27");
    let a = app.submit(complete_request("dk-1", Channel::WalkIn)).await;
    let b = app.submit(complete_request("dk-2", Channel::WalkIn)).await;
    let db = intake_db(&app).await;
    let (ka, kb) = (
        key_of(&db, &a).await.unwrap(),
        key_of(&db, &b).await.unwrap(),
    );
    assert_ne!(ka, kb, "one key per complaint");
    let mut c = app.client().await;
    let get = |id: &str| pb::GetComplaintRequest {
        complaint_id: id.into(),
        revision: 0,
        purpose: "Verifikasi".into(),
    };
    let name =
        |r: pb::GetComplaintResponse| r.complaint.unwrap().reporter.unwrap_or_default().full_name;
    let before = name(
        c.get_complaint(authed(&token, get(&a)))
            .await
            .unwrap()
            .into_inner(),
    );
    assert!(!before.is_empty());

    // An amendment seals the new body and its reason with the same key.
    let amend = |id: &str, reason: &str| pb::AmendComplaintRequest {
        complaint_id: id.into(),
        update_mask: Some(prost_types::FieldMask {
            paths: vec!["reported_party.full_name".into()],
        }),
        patch: Some(pb::ComplaintPatch {
            reported_party: Some(aduan_proto::common::v1::Person {
                full_name: "Joko Widagdo".into(),
                ..Default::default()
            }),
            ..Default::default()
        }),
        reason: reason.into(),
        ..Default::default()
    };
    c.amend_complaint(authed(&token, amend(&a, "wawancara")))
        .await
        .unwrap();
    assert_eq!(key_of(&db, &a).await.unwrap(), ka);
    let revs = c
        .list_complaint_revisions(authed(
            &token,
            pb::ListComplaintRevisionsRequest {
                complaint_id: a.clone(),
            },
        ))
        .await
        .unwrap()
        .into_inner()
        .revisions;
    assert!(revs.iter().any(|r| r.reason == "wawancara"), "{revs:?}");

    // Another complaint's key in its place: nothing opens, and nothing leaks in the answer.
    set(&db, &a, Some(kb.clone()), None).await;
    let err = c.get_complaint(authed(&token, get(&a))).await.unwrap_err();
    assert_eq!(err.code(), tonic::Code::Internal);
    assert!(!err.message().contains(&before));
    set(&db, &a, Some(ka), None).await;
    c.get_complaint(authed(&token, get(&a))).await.unwrap();

    // A complaint registered before the keys (its body sealed with the office's key) still
    // opens, and its next amendment gives it a key of its own.
    let keys = Keyring::load("", &app.data_dir).unwrap();
    let body = c
        .get_complaint(authed(&token, get(&b)))
        .await
        .unwrap()
        .into_inner()
        .complaint
        .unwrap();
    let sql = "SELECT pii FROM complaints WHERE id = $1";
    let pii: Vec<u8> = match &db {
        Database::Postgres(p) => sqlx::query_scalar(sql).bind(&b).fetch_one(p).await,
        Database::Sqlite(p) => sqlx::query_scalar(sql).bind(&b).fetch_one(p).await,
    }
    .unwrap();
    let plain = keys
        .data_key("35.27", &b, &kb)
        .unwrap()
        .open(b.as_bytes(), &pii)
        .unwrap();
    let legacy = keys.seal("35.27", b.as_bytes(), &plain).unwrap();
    set(&db, &b, None, Some(legacy)).await;
    assert_eq!(key_of(&db, &b).await, None);
    let got = c
        .get_complaint(authed(&token, get(&b)))
        .await
        .unwrap()
        .into_inner()
        .complaint
        .unwrap();
    assert_eq!(got.reporter, body.reporter);
    c.amend_complaint(authed(&token, amend(&b, "lengkapi")))
        .await
        .unwrap();
    let new_key = key_of(&db, &b).await.expect("a key of its own now");
    assert_ne!(new_key, kb);
    let got = c
        .get_complaint(authed(&token, get(&b)))
        .await
        .unwrap()
        .into_inner()
        .complaint
        .unwrap();
    assert_eq!(got.reporter, body.reporter);
    assert_eq!(
        got.reported_party.unwrap_or_default().full_name,
        "Joko Widagdo"
    );
    db.close().await;

    // Triage seals its free text (the screening note, the history's notes, the Head's texts)
    // with a data key of its own for the complaint, under the registering office's key.
    let mut t = TriageServiceClient::new(app.channel().await);
    let case = |id: &str| tpb::GetCaseRequest {
        purpose: "Telaah".into(),
        complaint_id: id.into(),
    };
    for _ in 0..400 {
        if t.get_case(authed(&token, case(&a))).await.is_ok() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(25)).await;
    }
    t.screen_complaint(authed(
        &token,
        tpb::ScreenComplaintRequest {
            complaint_id: a.clone(),
            decision: Some(tpb::screen_complaint_request::Decision::Accept(
                tpb::Accept {
                    note: "Pelapor Siti, tetangga korban".into(),
                },
            )),
        },
    ))
    .await
    .unwrap();
    let tdb = {
        let d = app.config.database("triage").unwrap();
        Database::connect(&d.url(&app.config, "triage"), 2)
            .await
            .unwrap()
    };
    let tk = key_of_in(&tdb, &a).await.expect("triage's key");
    assert_ne!(Some(tk.clone()), key_of_in(&tdb, &b).await);
    let history = t
        .get_case(authed(&token, case(&a)))
        .await
        .unwrap()
        .into_inner();
    assert!(
        format!("{history:?}").contains("Pelapor Siti"),
        "{history:?}"
    );
    let null = "UPDATE cases SET data_key = NULL WHERE complaint_id = $1";
    match &tdb {
        Database::Postgres(p) => sqlx::query(null).bind(&a).execute(p).await.map(|_| ()),
        Database::Sqlite(p) => sqlx::query(null).bind(&a).execute(p).await.map(|_| ()),
    }
    .unwrap();
    let e = t.get_case(authed(&token, case(&a))).await.unwrap_err();
    assert_eq!(e.code(), tonic::Code::Internal);
    assert!(!e.message().contains("Siti"));
    tdb.close().await;
    app.running.shutdown().await.unwrap();
}
both!(each_complaint_has_its_own_key);
