//! Reporting's statistics rebuild (issue 5 item 8) on SQLite and PostgreSQL: complaints taken
//! through different steps over the real APIs (one disposed to a Bidang and in handling, one
//! through the complainant's feedback and a survey, one rejected at screening), then the
//! trigger-maintained tables compared with a recomputation from the facts, a rebuild, a repair of
//! a damaged row, and GetStatistics answering the same throughout.

#[macro_use]
mod common;

use std::time::Duration;

use aduan_proto::common::v1::ComplaintStatus;
use aduan_proto::feedback::v1::{self as fpb, feedback_service_client::FeedbackServiceClient};
use aduan_proto::reporting::v1::{
    self as pb, get_statistics_request::Period, reporting_service_client::ReportingServiceClient,
};
use aduan_proto::triage::v1::{
    self as tpb, screen_complaint_request::Decision, triage_service_client::TriageServiceClient,
};
use aduan_runtime::auth::Role;
use common::casework::{
    OFFICE, decide, delivered_and_satisfied, dispute, opened, respond, staff, tok, triage_case,
    wait_triage,
};
use common::{TestApp, authed};
use tonic::Code;

fn this_month() -> pb::Month {
    let d = jiff::Timestamp::now()
        .to_zoned(jiff::tz::TimeZone::get("Asia/Jakarta").unwrap())
        .date();
    pb::Month {
        year: d.year().into(),
        month: d.month().into(),
    }
}

fn count(list: &[pb::Count], key: &str) -> i64 {
    list.iter()
        .find(|c| c.key == key)
        .map(|c| c.count)
        .unwrap_or(0)
}

/// The office's and the province's statistics of this month.
async fn statistics(app: &TestApp) -> (pb::Statistics, pb::Statistics) {
    let reporter = tok(app, "pelapor-desk", Role::ReportingOfficer, OFFICE, None);
    let analyst = tok(app, "analis", Role::ProvincialAnalyst, "35", None);
    let mut c = ReportingServiceClient::new(app.channel().await);
    let ask = |province: bool| pb::GetStatisticsRequest {
        office_code: String::new(),
        province,
        period: Some(Period::Month(this_month())),
        ..Default::default()
    };
    let office = c
        .get_statistics(authed(&reporter, ask(false)))
        .await
        .unwrap()
        .into_inner();
    let province = c
        .get_statistics(authed(&analyst, ask(true)))
        .await
        .unwrap()
        .into_inner();
    (office, province)
}

/// Waits until reporting has every event of the three complaints (their statuses are in the
/// statistics, the survey is counted) and nothing changes for a while.
async fn settled(app: &TestApp) -> (pb::Statistics, pb::Statistics) {
    let mut last = None;
    for _ in 0..400 {
        let now = statistics(app).await;
        let s = &now.0;
        let done = s.received == 3
            && count(&s.by_status, "rejected") == 1
            && count(&s.by_status, "in_handling") == 1
            && count(&s.by_status, "reporting") == 1
            && s.satisfaction.as_ref().is_some_and(|x| x.respondents == 1);
        if done && last.as_ref() == Some(&now) {
            return now;
        }
        last = done.then_some(now);
        tokio::time::sleep(Duration::from_millis(150)).await;
    }
    panic!("reporting never settled: {last:?}");
}

async fn rebuild_matches_the_triggers(app: TestApp) {
    let s = staff(&app, "linjamsos");

    // One disposed to a Bidang and in handling.
    let handling = opened(&app, &s, dispute("rebuild-handling"), "linjamsos").await;

    // One through the complainant's feedback, with a survey.
    let answered = opened(&app, &s, dispute("rebuild-answered"), "linjamsos").await;
    decide(&app, &s, &answered, true, "").await;
    respond(&app, &s, &answered, "assistance_provided").await;
    delivered_and_satisfied(&app, &s, &answered, 1).await;
    FeedbackServiceClient::new(app.channel().await)
        .submit_survey(authed(
            &s.complaints,
            fpb::SubmitSurveyRequest {
                complaint_id: answered.clone(),
                service_code: "pengaduan".into(),
                scores: vec![4, 3, 3, 4, 3, 4, 4, 2, 4],
                submitted_at: None,
            },
        ))
        .await
        .unwrap();

    // One rejected at screening (surat kaleng).
    let rejected = app.submit(dispute("rebuild-rejected")).await;
    let mut t = TriageServiceClient::new(app.channel().await);
    for _ in 0..400 {
        match t
            .get_case(authed(
                &s.complaints,
                tpb::GetCaseRequest {
                    purpose: String::new(),
                    complaint_id: rejected.clone(),
                },
            ))
            .await
        {
            Ok(_) => break,
            Err(e) if e.code() == Code::NotFound => {
                tokio::time::sleep(Duration::from_millis(25)).await
            }
            Err(e) => panic!("{e:?}"),
        }
    }
    t.screen_complaint(authed(
        &s.complaints,
        tpb::ScreenComplaintRequest {
            complaint_id: rejected.clone(),
            decision: Some(Decision::RejectSuratKaleng(tpb::RejectSuratKaleng {
                reason: "Pengirim tidak dapat diidentifikasi".into(),
            })),
        },
    ))
    .await
    .unwrap();
    wait_triage(&app, &rejected, ComplaintStatus::Rejected).await;
    assert_eq!(
        triage_case(&app, &handling).await.status,
        ComplaintStatus::Disposed as i32
    );

    let before = settled(&app).await;
    satisfaction_by_month(&app, &before.0).await;
    let (office, province) = &before;
    assert_eq!(count(&office.by_bidang, "linjamsos"), 2);
    assert_eq!(count(&office.by_bidang, ""), 1, "the rejected one has none");
    // The province is a provincial output: 3 complaints read "<5" (issue 12); the rebuild must
    // give the same marks.
    assert_eq!(province.received, 0);
    assert!(province.suppressed_fields.contains(&"received".to_string()));
    assert!(
        province
            .by_office
            .iter()
            .any(|c| c.key == OFFICE && c.suppressed)
    );

    let core = app.running.reporting.as_ref().expect("reporting runs");
    let store = core.store();
    // What the statistics read (the trigger-maintained tables, plus on PostgreSQL the deltas
    // the scheduler has not folded in yet) equals a recomputation from the facts.
    let drift = core.statistics_drift().await.unwrap();
    assert!(drift.is_empty(), "{drift:#?}");

    // A rebuild writes the same statistics: every aggregate row the facts give, and none of the
    // rows whose count fell to zero (each status a complaint passed through) or deltas.
    let distinct = |sql: &'static str| async move {
        match store.query(sql, &[]).await.unwrap()[0][0] {
            aduan_spine::casefile::Value::Int(n) => n as u64,
            ref v => panic!("{v:?}"),
        }
    };
    let out = core.rebuild_statistics().await.unwrap();
    assert_eq!(
        out.counts,
        distinct(
            "SELECT COUNT(*) FROM (SELECT DISTINCT office_code, period, dim, key FROM fact_dims) f"
        )
        .await,
        "{out:?}"
    );
    assert_eq!(
        out.durations,
        distinct(
            "SELECT COUNT(*) FROM (SELECT DISTINCT office_code, period, step, bucket \
             FROM fact_durations) f"
        )
        .await,
        "{out:?}"
    );
    assert_eq!(out.surveys, 1, "{out:?}");
    assert!(
        out.removed >= out.counts + out.durations + out.surveys,
        "{out:?}"
    );
    assert!(core.statistics_drift().await.unwrap().is_empty());
    assert_eq!(
        distinct(
            "SELECT (SELECT COUNT(*) FROM stat_counts WHERE n = 0) \
             + (SELECT COUNT(*) FROM stat_durations WHERE n = 0) \
             + (SELECT COUNT(*) FROM stat_count_deltas) \
             + (SELECT COUNT(*) FROM stat_duration_deltas)"
        )
        .await,
        0
    );
    assert_eq!(
        statistics(&app).await,
        before,
        "the same answer after a rebuild"
    );

    // Damage: a count off, a histogram row lost, a survey sum changed. The drift names each
    // row; a rebuild repairs them.
    for sql in [
        "UPDATE stat_counts SET n = n + 5 WHERE dim = 'total'",
        "DELETE FROM stat_durations WHERE step = 'S4'",
        "UPDATE stat_surveys SET s8 = s8 + 1",
    ] {
        store.query(sql, &[]).await.unwrap();
    }
    let drift = core.statistics_drift().await.unwrap();
    let tables: std::collections::BTreeSet<&str> = drift.iter().map(|d| d.table).collect();
    assert_eq!(
        tables.into_iter().collect::<Vec<_>>(),
        vec!["stat_counts", "stat_durations", "stat_surveys"],
        "{drift:#?}"
    );
    let total = drift
        .iter()
        .find(|d| d.table == "stat_counts")
        .expect("the damaged count");
    assert_eq!(total.key[2..], ["total".to_string(), "all".to_string()]);
    assert_eq!(total.kept, vec![8]);
    assert_eq!(total.recomputed, vec![3]);
    let lost = drift
        .iter()
        .find(|d| d.table == "stat_durations")
        .expect("the lost histogram row");
    assert_eq!(lost.key[2], "S4");
    assert!(lost.kept.is_empty());
    let survey = drift.iter().find(|d| d.table == "stat_surveys").unwrap();
    assert_eq!(survey.kept[8], 3, "{survey:?}");
    assert_eq!(survey.recomputed, vec![1, 4, 3, 3, 4, 3, 4, 4, 2, 4]);
    assert_ne!(statistics(&app).await, before);
    core.rebuild_statistics().await.unwrap();
    assert!(core.statistics_drift().await.unwrap().is_empty());
    assert_eq!(statistics(&app).await, before, "repaired");

    // The triggers still keep the statistics after a rebuild: a further step (a response to
    // the complaint in handling) moves its status and adds a duration.
    decide(&app, &s, &handling, false, "no_grounds").await;
    respond(&app, &s, &handling, "not_qualified").await;
    let mut moved = false;
    for _ in 0..400 {
        let (office, _) = statistics(&app).await;
        let s12 = office
            .durations
            .iter()
            .find(|d| d.step == "S12")
            .map(|d| d.count);
        if count(&office.by_status, "response_ready") == 1 && s12 == Some(2) {
            moved = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    assert!(moved, "the response reached the statistics");
    let mut drift = Vec::new();
    for _ in 0..40 {
        drift = core.statistics_drift().await.unwrap();
        if drift.is_empty() {
            break;
        }
        // A delivery may be in flight between the two reads of the comparison.
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(drift.is_empty(), "{drift:#?}");
    app.running.shutdown().await.unwrap();
}

both!(rebuild_matches_the_triggers);

/// GetStatistics with `satisfaction_months` (the console's dashboard trend, issue 15): one entry
/// per month up to the period's last, oldest first, this month's equal to the period's own IKM;
/// the province's single respondent reads "<5"; more than 24 months is refused.
async fn satisfaction_by_month(app: &TestApp, office: &pb::Statistics) {
    let reporter = tok(app, "pelapor-desk", Role::ReportingOfficer, OFFICE, None);
    let analyst = tok(app, "analis", Role::ProvincialAnalyst, "35", None);
    let mut c = ReportingServiceClient::new(app.channel().await);
    let ask = |province: bool, months: i32| pb::GetStatisticsRequest {
        province,
        period: Some(Period::Month(this_month())),
        satisfaction_months: months,
        ..Default::default()
    };
    let s = c
        .get_statistics(authed(&reporter, ask(false, 3)))
        .await
        .unwrap()
        .into_inner();
    let months: Vec<(i32, i32)> = s
        .satisfaction_by_month
        .iter()
        .map(|m| m.month.map(|m| (m.year, m.month)).unwrap())
        .collect();
    let now = this_month();
    assert_eq!(months.len(), 3);
    assert_eq!(months[2], (now.year, now.month));
    let before = if now.month == 1 {
        (now.year - 1, 12)
    } else {
        (now.year, now.month - 1)
    };
    assert_eq!(months[1], before);
    let last = s.satisfaction_by_month[2].satisfaction.clone().unwrap();
    assert_eq!(&last, office.satisfaction.as_ref().unwrap());
    assert_eq!(last.respondents, 1);
    assert!(last.ikm > 0.0);
    assert_eq!(
        s.satisfaction_by_month[0]
            .satisfaction
            .as_ref()
            .unwrap()
            .respondents,
        0
    );
    let p = c
        .get_statistics(authed(&analyst, ask(true, 2)))
        .await
        .unwrap()
        .into_inner();
    assert!(
        p.satisfaction_by_month[1]
            .satisfaction
            .as_ref()
            .unwrap()
            .suppressed
    );
    let e = c
        .get_statistics(authed(&reporter, ask(false, 25)))
        .await
        .unwrap_err();
    assert_eq!(e.code(), Code::InvalidArgument);
}
