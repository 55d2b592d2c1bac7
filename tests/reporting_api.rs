//! Reporting over the real gRPC API with the event relays of `aduan up`, on SQLite and
//! PostgreSQL (issue 5): a complaint from submission to a distributed handling report (S15-S16),
//! its timeline across the five services, the statistics and their CSV export, the three
//! documents read back as text and images, every refusal with its precise status, and a scan of
//! reporting's whole store for the personal data the complaint carried.

#[macro_use]
mod common;

use std::time::Duration;

use aduan_proto::common::v1::{Channel, ComplaintStatus};
use aduan_proto::reporting::v1::{
    self as pb, get_statistics_request::Period, reporting_service_client::ReportingServiceClient,
};
use aduan_runtime::auth::Role;
use aduan_spine::casefile::Value;
use common::casework::{
    OFFICE, decide, delivered_and_satisfied, dispute, opened, respond, staff, tok,
    wait_investigation_status, wait_triage,
};
use common::{TestApp, authed};
use tonic::Code;
use tonic::transport::Channel as GrpcChannel;
use tonic_types::StatusExt;

async fn reporting(app: &TestApp) -> ReportingServiceClient<GrpcChannel> {
    ReportingServiceClient::new(app.channel().await).max_decoding_message_size(64 << 20)
}

/// Waits until reporting's projection of `id` satisfies `ok`.
async fn wait_report(
    app: &TestApp,
    token: &str,
    id: &str,
    ok: impl Fn(&pb::HandlingReport) -> bool,
) -> pb::HandlingReport {
    let mut c = reporting(app).await;
    let mut last = None;
    for _ in 0..400 {
        match c
            .get_handling_report(authed(
                token,
                pb::GetHandlingReportRequest {
                    complaint_id: id.into(),
                },
            ))
            .await
        {
            Ok(r) => {
                let r = r.into_inner();
                if ok(&r) {
                    return r;
                }
                last = Some(r);
            }
            Err(s) if s.code() == Code::NotFound => {}
            Err(s) => panic!("{s:?}"),
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    panic!("reporting never reached the expected state: {last:?}");
}

fn fields(s: &tonic::Status) -> Vec<String> {
    s.get_error_details()
        .bad_request()
        .map(|b| b.field_violations.iter().map(|f| f.field.clone()).collect())
        .unwrap_or_default()
}

fn this_month() -> pb::Month {
    let d = jiff::Timestamp::now()
        .to_zoned(jiff::tz::TimeZone::get("Asia/Jakarta").unwrap())
        .date();
    pb::Month {
        year: d.year().into(),
        month: d.month().into(),
    }
}

fn month_stats(office: &str, province: bool) -> pb::GetStatisticsRequest {
    pb::GetStatisticsRequest {
        office_code: office.into(),
        province,
        period: Some(Period::Month(this_month())),
        ..Default::default()
    }
}

fn count(list: &[pb::Count], key: &str) -> i64 {
    list.iter()
        .find(|c| c.key == key)
        .map(|c| c.count)
        .unwrap_or(0)
}

/// Every value of every row of reporting's tables, with the case files opened, as one text.
async fn whole_store(app: &TestApp) -> String {
    let core = app.running.reporting.as_ref().expect("reporting runs");
    let store = core.store();
    let mut out = String::new();
    let hex = if store.database().backend() == "postgres" {
        "encode(payload, 'hex')"
    } else {
        "hex(payload)"
    };
    let tables = [
        "SELECT complaint_id, office_code, unit, status, assignees FROM cases".to_string(),
        "SELECT * FROM events".into(),
        "SELECT * FROM fact_dims".into(),
        "SELECT * FROM fact_durations".into(),
        "SELECT * FROM survey_facts".into(),
        "SELECT * FROM stat_counts".into(),
        "SELECT * FROM stat_durations".into(),
        "SELECT * FROM stat_surveys".into(),
        "SELECT * FROM report_queue".into(),
        "SELECT office_code, period, generated_at, name, pages FROM monthly_archive".into(),
        "SELECT event_id, source_service FROM inbox_seen".into(),
        "SELECT complaint_id, office_code, subject, role, what FROM access_log".into(),
        format!("SELECT seq, event_id, complaint_id, event_type, {hex} FROM outbox"),
    ];
    for sql in &tables {
        for row in store.query(sql, &[]).await.unwrap() {
            for v in row {
                match v {
                    Value::Text(t) => {
                        // Outbox payloads come back as hex: decode them, strings in protobuf
                        // are stored as they are.
                        if sql.contains("payload") && t.len() > 40 {
                            let bytes: Vec<u8> = (0..t.len() / 2)
                                .filter_map(|i| u8::from_str_radix(&t[2 * i..2 * i + 2], 16).ok())
                                .collect();
                            out.push_str(&String::from_utf8_lossy(&bytes));
                        } else {
                            out.push_str(&t);
                        }
                    }
                    Value::Int(i) => out.push_str(&i.to_string()),
                    Value::Real(f) => out.push_str(&f.to_string()),
                    Value::Null => {}
                }
                out.push('|');
            }
            out.push('\n');
        }
    }
    for row in store
        .query("SELECT complaint_id FROM cases", &[])
        .await
        .unwrap()
    {
        if let Some(Value::Text(id)) = row.first() {
            let file = store
                .get::<aduan_reporting::domain::Doc>(id)
                .await
                .unwrap()
                .unwrap();
            out.push_str(&serde_json::to_string(&file.body).unwrap());
            out.push('\n');
        }
    }
    out
}

async fn handling_report_from_feedback_to_distribution(app: TestApp) {
    let s = staff(&app, "linjamsos");
    let reporter = tok(&app, "pelapor-desk", Role::ReportingOfficer, OFFICE, None);
    let id = opened(&app, &s, dispute("report-1"), "linjamsos").await;
    let mut c = reporting(&app).await;

    // Before the complainant's feedback (S14) there is nothing to report on.
    let r = wait_report(&app, &s.officer, &id, |r| {
        r.complaint_status == ComplaintStatus::InHandling as i32
    })
    .await;
    assert_eq!(r.state, pb::ReportState::Unspecified as i32);
    let early = c
        .draft_handling_report(authed(
            &s.officer,
            pb::DraftHandlingReportRequest {
                complaint_id: id.clone(),
                recommendation_codes: vec!["selesai".into()],
                ..Default::default()
            },
        ))
        .await
        .unwrap_err();
    assert_eq!(early.code(), Code::FailedPrecondition, "{early:?}");

    decide(&app, &s, &id, true, "").await;
    respond(&app, &s, &id, "assistance_provided").await;
    delivered_and_satisfied(&app, &s, &id, 1).await;
    let r = wait_report(&app, &s.officer, &id, |r| {
        r.complaint_status == ComplaintStatus::Reporting as i32
    })
    .await;
    assert_eq!(r.state, pb::ReportState::Unspecified as i32);
    assert_eq!(r.bidang_code, "linjamsos");
    assert!(r.registration_number.starts_with("35.27-"), "{r:?}");

    // The queue shows it waiting for a first draft, to the Bidang and the reporting desk.
    for token in [&s.officer, &reporter] {
        let q = c
            .list_handling_reports(authed(
                token,
                pb::ListHandlingReportsRequest {
                    awaiting_draft: true,
                    ..Default::default()
                },
            ))
            .await
            .unwrap()
            .into_inner();
        assert!(q.reports.iter().any(|r| r.complaint_id == id), "{q:?}");
    }
    // Another Bidang's officer neither lists nor reads it.
    let other = tok(
        &app,
        "petugas-9",
        Role::BidangOfficer,
        OFFICE,
        Some("rehsos"),
    );
    let q = c
        .list_handling_reports(authed(&other, pb::ListHandlingReportsRequest::default()))
        .await
        .unwrap()
        .into_inner();
    assert!(q.reports.iter().all(|r| r.complaint_id != id));
    let e = c
        .get_handling_report(authed(
            &other,
            pb::GetHandlingReportRequest {
                complaint_id: id.clone(),
            },
        ))
        .await
        .unwrap_err();
    assert_eq!(e.code(), Code::NotFound);
    // Another office does not know it exists.
    let elsewhere = tok(&app, "kadis-2", Role::Head, "35.26", None);
    let e = c
        .get_timeline(authed(
            &elsewhere,
            pb::GetTimelineRequest {
                complaint_id: id.clone(),
            },
        ))
        .await
        .unwrap_err();
    assert_eq!(e.code(), Code::NotFound);

    // Bad drafts: every field named.
    let bad = c
        .draft_handling_report(authed(
            &s.officer,
            pb::DraftHandlingReportRequest {
                complaint_id: id.clone(),
                recommendation_codes: vec!["selesai".into(), "bogus".into(), "selesai".into()],
                agency_codes: vec!["nasa".into()],
                expected_revision: -1,
            },
        ))
        .await
        .unwrap_err();
    assert_eq!(bad.code(), Code::InvalidArgument);
    let f = fields(&bad);
    for want in [
        "recommendation_codes[1]",
        "recommendation_codes[2]",
        "agency_codes[0]",
        "expected_revision",
    ] {
        assert!(f.contains(&want.to_string()), "{want} in {f:?}");
    }
    let none = c
        .draft_handling_report(authed(
            &s.officer,
            pb::DraftHandlingReportRequest {
                complaint_id: id.clone(),
                ..Default::default()
            },
        ))
        .await
        .unwrap_err();
    assert_eq!(fields(&none), vec!["recommendation_codes".to_string()]);
    // Oversized lists: one violation each, no element looked at (issue 13).
    let long = c
        .draft_handling_report(authed(
            &s.officer,
            pb::DraftHandlingReportRequest {
                complaint_id: id.clone(),
                recommendation_codes: vec!["bogus".into(); 100_000],
                agency_codes: vec!["nasa".into(); 100_000],
                expected_revision: 0,
            },
        ))
        .await
        .unwrap_err();
    assert_eq!(
        fields(&long),
        vec![
            "recommendation_codes".to_string(),
            "agency_codes".to_string()
        ]
    );
    // Approval before a draft is a step out of order.
    let e = c
        .approve_handling_report(authed(
            &s.kabid,
            pb::ApproveHandlingReportRequest {
                complaint_id: id.clone(),
                revision: 1,
            },
        ))
        .await
        .unwrap_err();
    assert_eq!(e.code(), Code::FailedPrecondition);

    // S15: draft, returned, redrafted, approved.
    let d1 = c
        .draft_handling_report(authed(
            &s.officer,
            pb::DraftHandlingReportRequest {
                complaint_id: id.clone(),
                recommendation_codes: vec!["selesai".into()],
                ..Default::default()
            },
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(d1.state, pb::ReportState::Draft as i32);
    assert_eq!(d1.revision, 1);
    assert!(d1.report_number.starts_with("LHP/35.27-"), "{d1:?}");
    let stale = c
        .draft_handling_report(authed(
            &s.officer,
            pb::DraftHandlingReportRequest {
                complaint_id: id.clone(),
                recommendation_codes: vec!["selesai".into()],
                expected_revision: 0,
                ..Default::default()
            },
        ))
        .await
        .unwrap_err();
    assert_eq!(stale.code(), Code::FailedPrecondition);
    // An officer may not approve; the reporting desk may not draft or approve.
    for (token, want) in [
        (&s.officer, Code::PermissionDenied),
        (&reporter, Code::PermissionDenied),
    ] {
        let e = c
            .approve_handling_report(authed(
                token,
                pb::ApproveHandlingReportRequest {
                    complaint_id: id.clone(),
                    revision: 1,
                },
            ))
            .await
            .unwrap_err();
        assert_eq!(e.code(), want);
    }
    let e = c
        .return_handling_report(authed(
            &s.kabid,
            pb::ReturnHandlingReportRequest {
                complaint_id: id.clone(),
                revision: 1,
                reason: 0,
            },
        ))
        .await
        .unwrap_err();
    assert_eq!(fields(&e), vec!["reason".to_string()]);
    let returned = c
        .return_handling_report(authed(
            &s.kabid,
            pb::ReturnHandlingReportRequest {
                complaint_id: id.clone(),
                revision: 1,
                reason: pb::ReturnReason::Recipients as i32,
            },
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(returned.state, pb::ReportState::Returned as i32);
    let d2 = c
        .draft_handling_report(authed(
            &s.officer,
            pb::DraftHandlingReportRequest {
                complaint_id: id.clone(),
                recommendation_codes: vec!["jaminan_sosial".into(), "pemantauan".into()],
                agency_codes: vec!["dispendukcapil".into()],
                expected_revision: 1,
            },
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!((d2.state, d2.revision), (pb::ReportState::Draft as i32, 2));
    // S16 before S15 is out of order.
    let e = c
        .distribute_handling_report(authed(
            &s.complaints,
            pb::DistributeHandlingReportRequest {
                complaint_id: id.clone(),
                recipient_kind: pb::RecipientKind::Complainant as i32,
                channel: Channel::WalkIn as i32,
                ..Default::default()
            },
        ))
        .await
        .unwrap_err();
    assert_eq!(e.code(), Code::FailedPrecondition);
    let approved = c
        .approve_handling_report(authed(
            &s.kabid,
            pb::ApproveHandlingReportRequest {
                complaint_id: id.clone(),
                revision: 2,
            },
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(approved.state, pb::ReportState::Approved as i32);
    assert_eq!(approved.reviewed_by.unwrap().subject, "kabid");

    // S16: to an agency not on the report, refused; the complainant, once; the Head closes it.
    let e = c
        .distribute_handling_report(authed(
            &s.complaints,
            pb::DistributeHandlingReportRequest {
                complaint_id: id.clone(),
                recipient_kind: pb::RecipientKind::Agency as i32,
                agency_code: "polres".into(),
                channel: Channel::Letter as i32,
                ..Default::default()
            },
        ))
        .await
        .unwrap_err();
    assert_eq!(fields(&e), vec!["agency_code".to_string()]);
    let to =
        |kind: pb::RecipientKind, agency: &str, ch: Channel| pb::DistributeHandlingReportRequest {
            complaint_id: id.clone(),
            recipient_kind: kind as i32,
            agency_code: agency.into(),
            channel: ch as i32,
            delivered_at: None,
        };
    let first = c
        .distribute_handling_report(authed(
            &s.complaints,
            to(pb::RecipientKind::Complainant, "", Channel::WalkIn),
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(first.state, pb::ReportState::Approved as i32);
    let again = c
        .distribute_handling_report(authed(
            &s.complaints,
            to(pb::RecipientKind::Complainant, "", Channel::Email),
        ))
        .await
        .unwrap_err();
    assert_eq!(again.code(), Code::AlreadyExists);
    let done = c
        .distribute_handling_report(authed(
            &reporter,
            to(pb::RecipientKind::Head, "", Channel::Letter),
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(done.state, pb::ReportState::Distributed as i32);
    assert_eq!(done.complaint_status, ComplaintStatus::Closed as i32);
    let agency = c
        .distribute_handling_report(authed(
            &s.kabid,
            to(pb::RecipientKind::Agency, "dispendukcapil", Channel::Letter),
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(agency.distributions.len(), 3);
    assert_eq!(
        agency.distributions[2].recipient_name,
        "Dinas Kependudukan dan Pencatatan Sipil Kabupaten Sampang"
    );
    // Closed in every service that holds the complaint.
    wait_triage(&app, &id, ComplaintStatus::Closed).await;
    wait_investigation_status(&app, &s, &id, ComplaintStatus::Closed).await;
    common::casework::feedback_entry(&app, &id, aduan_proto::feedback::v1::Queue::Closed).await;

    // The timeline: every step from registration to distribution, from all five services, in
    // the order they happened.
    let t = c
        .get_timeline(authed(
            &s.complaints,
            pb::GetTimelineRequest {
                complaint_id: id.clone(),
            },
        ))
        .await
        .unwrap()
        .into_inner();
    let times: Vec<i64> = t
        .entries
        .iter()
        .map(|e| {
            let ts = e.occurred_at.unwrap();
            ts.seconds * 1_000_000_000 + i64::from(ts.nanos)
        })
        .collect();
    assert!(times.windows(2).all(|w| w[0] <= w[1]), "ordered");
    let steps: std::collections::BTreeSet<i32> = t.entries.iter().map(|e| e.step).collect();
    for step in [3, 4, 5, 7, 8, 11, 12, 13, 14, 15, 16] {
        assert!(
            steps.contains(&step),
            "step S{step} in the timeline: {steps:?}"
        );
    }
    let sources: std::collections::BTreeSet<&str> = t
        .entries
        .iter()
        .map(|e| e.source_service.as_str())
        .collect();
    assert_eq!(
        sources.into_iter().collect::<Vec<_>>(),
        vec!["feedback", "intake", "investigation", "reporting", "triage"]
    );
    let kinds: Vec<&str> = t.entries.iter().map(|e| e.kind.as_str()).collect();
    for k in [
        "registered",
        "screened",
        "forwarded_to_head",
        "disposition_issued",
        "handling_case_opened",
        "eligibility_decided",
        "response_approved",
        "response_delivered",
        "feedback_recorded",
        "handling_report_drafted",
        "handling_report_returned",
        "handling_report_approved",
        "handling_report_distributed",
        "closed",
    ] {
        assert!(kinds.contains(&k), "{k} in {kinds:?}");
    }
    let pos = |k: &str| kinds.iter().position(|x| *x == k).unwrap();
    assert!(pos("registered") < pos("disposition_issued"));
    assert!(pos("handling_report_returned") < pos("handling_report_approved"));
    assert_eq!(t.status, ComplaintStatus::Closed as i32);
    // Analysts see aggregates only.
    let analyst = tok(&app, "analis", Role::ProvincialAnalyst, "35", None);
    let e = c
        .get_timeline(authed(
            &analyst,
            pb::GetTimelineRequest {
                complaint_id: id.clone(),
            },
        ))
        .await
        .unwrap_err();
    assert_eq!(e.code(), Code::PermissionDenied);

    // Statistics of the month, for the office and the province.
    let st = c
        .get_statistics(authed(&reporter, month_stats("", false)))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(st.scope_code, OFFICE);
    assert_eq!(st.received, 1);
    assert_eq!(count(&st.by_channel, "walk_in"), 1);
    assert_eq!(count(&st.by_category, "bantuan_sosial"), 1);
    assert_eq!(count(&st.by_bidang, "linjamsos"), 1);
    assert_eq!(count(&st.by_status, "closed"), 1);
    assert_eq!(st.reports_distributed, 1);
    let sla = st.sla.unwrap();
    assert_eq!((sla.on_time, sla.late, sla.open, sla.at_risk), (1, 0, 0, 0));
    assert_eq!(sla.on_time_ratio, 1.0);
    for d in &st.durations {
        assert_eq!(d.count, 1, "{} measured once", d.step);
        assert!(
            d.median_working_days >= 0.0 && d.median_working_days < 1.0,
            "{d:?}"
        );
    }
    let prov = c
        .get_statistics(authed(&analyst, month_stats("", true)))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(prov.scope_code, "35");
    assert_eq!(prov.scope_name, "Provinsi Jawa Timur");
    // Issue 12: the province is a provincial output, and one complaint is a small cell: it reads
    // "<5" (sent as 0, marked), where the office's own staff above saw 1.
    assert!(prov.small_cells_suppressed && !st.small_cells_suppressed);
    assert_eq!(prov.received, 0);
    assert!(prov.suppressed_fields.contains(&"received".to_string()));
    let row = prov.by_office.iter().find(|c| c.key == OFFICE).unwrap();
    assert_eq!((row.count, row.suppressed), (0, true));
    assert!(prov.by_channel.iter().all(|c| c.suppressed && c.count == 0));
    assert!(prov.durations.iter().all(|d| d.count == 0 || d.suppressed));
    // An office seen by the analyst is a provincial output too.
    let seen = c
        .get_statistics(authed(&analyst, month_stats(OFFICE, false)))
        .await
        .unwrap()
        .into_inner();
    assert!(seen.small_cells_suppressed);
    assert_eq!(seen.received, 0);
    let walk_in = seen.by_channel.iter().find(|c| c.key == "walk_in").unwrap();
    assert!(walk_in.suppressed);
    let files = c
        .export_statistics(authed(&analyst, month_stats(OFFICE, false)))
        .await
        .unwrap()
        .into_inner()
        .files;
    let kanal = files
        .iter()
        .find(|f| f.name.ends_with("-kanal.csv"))
        .unwrap();
    let text = String::from_utf8(kanal.content.clone()).unwrap();
    assert!(text.contains("walk_in,Datang langsung,<5\r\n"), "{text}");
    let e = c
        .get_statistics(authed(&reporter, month_stats("", true)))
        .await
        .unwrap_err();
    assert_eq!(e.code(), Code::PermissionDenied);
    // An analyst of another province gets neither this province nor its offices.
    let elsewhere_analyst = tok(&app, "analis-36", Role::ProvincialAnalyst, "36", None);
    for req in [month_stats("", true), month_stats(OFFICE, false)] {
        let e = c
            .get_statistics(authed(&elsewhere_analyst, req))
            .await
            .unwrap_err();
        assert_eq!(e.code(), Code::PermissionDenied);
    }
    // A Bidang role without a Bidang claim lists nothing.
    let unclaimed = tok(&app, "petugas-x", Role::BidangOfficer, OFFICE, None);
    let q = c
        .list_handling_reports(authed(
            &unclaimed,
            pb::ListHandlingReportsRequest::default(),
        ))
        .await
        .unwrap()
        .into_inner();
    assert!(q.reports.is_empty() && q.total == 0, "{q:?}");
    let e = c
        .get_statistics(authed(&reporter, month_stats("35.26", false)))
        .await
        .unwrap_err();
    assert_eq!(e.code(), Code::PermissionDenied);
    let e = c
        .get_statistics(authed(&analyst, month_stats("99.99", false)))
        .await
        .unwrap_err();
    assert_eq!(fields(&e), vec!["office_code".to_string()]);
    let e = c
        .get_statistics(authed(
            &reporter,
            pb::GetStatisticsRequest {
                period: Some(Period::Month(pb::Month {
                    year: 2026,
                    month: 13,
                })),
                ..Default::default()
            },
        ))
        .await
        .unwrap_err();
    assert_eq!(fields(&e), vec!["month.month".to_string()]);

    // CSV exports.
    let files = c
        .export_statistics(authed(&reporter, month_stats("", false)))
        .await
        .unwrap()
        .into_inner()
        .files;
    let kanal = files
        .iter()
        .find(|f| f.name.ends_with("-kanal.csv"))
        .expect("a file per table");
    assert!(kanal.name.starts_with("aduan-35.27-"), "{}", kanal.name);
    let text = String::from_utf8(kanal.content.clone()).unwrap();
    assert!(text.starts_with("kode,uraian,jumlah\r\n"), "{text}");
    assert!(text.contains("walk_in,Datang langsung,1\r\n"), "{text}");

    // Documents.
    let doc = |kind: pb::DocumentKind, purpose: &str| pb::GetDocumentRequest {
        kind: kind as i32,
        complaint_id: id.clone(),
        purpose: purpose.into(),
        ..Default::default()
    };
    let report_pdf = c
        .get_document(authed(
            &s.kabid,
            doc(pb::DocumentKind::HandlingReport, "arsip laporan"),
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(report_pdf.content_type, "application/pdf");
    let text = aduan_documents::inspect::text(&report_pdf.content).unwrap();
    for want in [
        "LAPORAN HASIL PENANGANAN PENGADUAN",
        &done.report_number,
        "Bidang Perlindungan dan Jaminan Sosial",
        "Memenuhi syarat",
        "Dengan hormat, menindaklanjuti",
        "Usulan perlindungan dan jaminan sosial",
        "Pemantauan lanjutan",
        "Dinas Kependudukan dan Pencatatan Sipil",
        "Konsep laporan dikembalikan",
        "Halaman 1 dari",
    ] {
        assert!(
            text.contains(want),
            "{want} in the handling report:\n{text}"
        );
    }
    assert_eq!(
        aduan_documents::inspect::pages(&report_pdf.content).unwrap() as i32,
        report_pdf.pages
    );
    let e = c
        .get_document(authed(&s.kabid, doc(pb::DocumentKind::HandlingReport, "")))
        .await
        .unwrap_err();
    assert_eq!(fields(&e), vec!["purpose".to_string()]);
    let e = c
        .get_document(authed(
            &analyst,
            doc(pb::DocumentKind::HandlingReport, "audit"),
        ))
        .await
        .unwrap_err();
    assert_eq!(
        e.code(),
        Code::PermissionDenied,
        "analysts see aggregates only"
    );
    // The findings belong to investigation: the reporting desk may not read them.
    let e = c
        .get_document(authed(
            &reporter,
            doc(pb::DocumentKind::HandlingReport, "arsip"),
        ))
        .await
        .unwrap_err();
    assert_eq!(e.code(), Code::PermissionDenied, "{e:?}");
    let sheet = c
        .get_document(authed(&s.head, doc(pb::DocumentKind::DispositionSheet, "")))
        .await
        .unwrap()
        .into_inner();
    let text = aduan_documents::inspect::text(&sheet.content).unwrap();
    for want in [
        "LEMBAR DISPOSISI",
        &done.registration_number,
        "Untuk ditindaklanjuti",
    ] {
        assert!(text.contains(want), "{want} in the sheet:\n{text}");
    }
    let monthly = c
        .get_document(authed(
            &reporter,
            pb::GetDocumentRequest {
                kind: pb::DocumentKind::MonthlyReport as i32,
                month: Some(this_month()),
                ..Default::default()
            },
        ))
        .await
        .unwrap()
        .into_inner();
    assert!(
        monthly.name.starts_with("laporan-bulanan-35.27-"),
        "{}",
        monthly.name
    );
    let text = aduan_documents::inspect::text(&monthly.content).unwrap();
    for want in [
        "LAPORAN BULANAN PENANGANAN PENGADUAN",
        "Pengaduan diterima",
        "Datang langsung",
        "Bidang Perlindungan dan Jaminan Sosial",
        "Waktu penanganan",
    ] {
        assert!(text.contains(want), "{want} in the monthly report:\n{text}");
    }
    let pages = aduan_documents::inspect::images(&monthly.content, 40).unwrap();
    assert!(!pages.is_empty());
    let ink: f64 = pages.iter().map(|p| p.ink(0, 0, p.width, p.height)).sum();
    assert!(ink > 0.01, "the pages show text and charts ({ink})");
    let e = c
        .get_document(authed(
            &s.officer,
            pb::GetDocumentRequest {
                kind: pb::DocumentKind::MonthlyReport as i32,
                month: Some(this_month()),
                ..Default::default()
            },
        ))
        .await
        .unwrap_err();
    assert_eq!(e.code(), Code::PermissionDenied);

    // The scheduler archives the month once it has closed: the office's and the province's
    // copies, once; afterwards the archived copy is what GetDocument answers (unless live).
    let core = app.running.reporting.as_ref().unwrap();
    let month_after = {
        let m = this_month();
        let (y, mo) = if m.month == 12 {
            (m.year + 1, 1)
        } else {
            (m.year, m.month + 1)
        };
        jiff::civil::date(y as i16, mo as i8, 2)
            .at(9, 0, 0, 0)
            .to_zoned(jiff::tz::TimeZone::get("Asia/Jakarta").unwrap())
            .unwrap()
            .timestamp()
    };
    // (The scheduler of the running app archives the months before this one meanwhile.)
    let made = core.archive_due(month_after).await.unwrap();
    assert!(made >= 39, "38 offices and the province: {made}");
    core.archive_due(month_after).await.unwrap();
    let m = this_month();
    let rows = core
        .store()
        .query(
            "SELECT COUNT(*) FROM monthly_archive WHERE period = $1",
            &[Value::Int(i64::from(m.year * 100 + m.month))],
        )
        .await
        .unwrap();
    assert_eq!(
        rows[0][0],
        Value::Int(39),
        "once per office and the province"
    );
    let monthly_req = |live: bool| pb::GetDocumentRequest {
        kind: pb::DocumentKind::MonthlyReport as i32,
        month: Some(this_month()),
        live,
        ..Default::default()
    };
    let archived = c
        .get_document(authed(&reporter, monthly_req(false)))
        .await
        .unwrap()
        .into_inner();
    assert!(archived.archived);
    assert_eq!(
        archived.generated_at.unwrap().seconds,
        month_after.as_second()
    );
    let text = aduan_documents::inspect::text(&archived.content).unwrap();
    assert!(
        text.contains("LAPORAN BULANAN PENANGANAN PENGADUAN"),
        "{text}"
    );
    let live = c
        .get_document(authed(&reporter, monthly_req(true)))
        .await
        .unwrap()
        .into_inner();
    assert!(!live.archived);
    let province = c
        .get_document(authed(
            &analyst,
            pb::GetDocumentRequest {
                province: true,
                ..monthly_req(false)
            },
        ))
        .await
        .unwrap()
        .into_inner();
    assert!(province.archived);
    let text = aduan_documents::inspect::text(&province.content).unwrap();
    assert!(text.contains("PROVINSI JAWA TIMUR"), "{text}");
    assert!(text.contains("Pengaduan menurut kantor"), "{text}");
    assert!(
        text.contains("<5"),
        "small cells read <5 in the province:\n{text}"
    );
    // The office's archived copy is its staff's; an analyst gets the office's report rendered
    // as a provincial output.
    let for_analyst = c
        .get_document(authed(
            &analyst,
            pb::GetDocumentRequest {
                office_code: OFFICE.into(),
                ..monthly_req(false)
            },
        ))
        .await
        .unwrap()
        .into_inner();
    assert!(!for_analyst.archived);
    let text = aduan_documents::inspect::text(&for_analyst.content).unwrap();
    assert!(text.contains("<5"), "{text}");
    let office_text = aduan_documents::inspect::text(&archived.content).unwrap();
    assert!(!office_text.contains("<5"), "{office_text}");

    // Nothing personal reached reporting's store.
    let store = whole_store(&app).await;
    assert!(store.contains(&id), "the scan reads the store");
    for personal in [
        "Siti Aminah",
        "3527045708900001",
        "0812-3456-7890",
        "siti.aminah@example.id",
        "Jl. Rajawali",
        "Budi Santoso",
        "Bantuan PKH dialihkan",
        "Kartu bantuan PKH kami",
        "Maret kartu dipinjam",
        "Pelapor menjelaskan",
        "Dengan hormat",
        "Terima kasih",
        "Mohon disposisi",
    ] {
        assert!(
            !store.contains(personal),
            "{personal} must not reach reporting's store"
        );
    }
    app.running.shutdown().await.unwrap();
}

both!(handling_report_from_feedback_to_distribution);

/// A redelivered batch changes nothing: the projection and the statistics stay as they were.
async fn redelivery_changes_nothing(app: TestApp) {
    use aduan_spine::relay::EventReceiver;
    let s = staff(&app, "rehsos");
    let id = opened(&app, &s, dispute("report-redeliver"), "rehsos").await;
    let reporter = tok(&app, "pelapor-desk", Role::ReportingOfficer, OFFICE, None);
    wait_report(&app, &s.officer, &id, |r| {
        r.complaint_status == ComplaintStatus::InHandling as i32
    })
    .await;
    let mut c = reporting(&app).await;
    // Every relay has delivered: triage's steps (up to S7) are in the durations too.
    let mut before = pb::Statistics::default();
    for _ in 0..400 {
        before = c
            .get_statistics(authed(&reporter, month_stats("", false)))
            .await
            .unwrap()
            .into_inner();
        if before
            .durations
            .iter()
            .any(|d| d.step == "S7" && d.count == 1)
        {
            break;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    assert_eq!(before.received, 1);
    // Triage's whole outbox, delivered again straight to reporting's receiver.
    let triage = app.running.triage.as_ref().unwrap();
    let events: Vec<aduan_proto::events::v1::LifecycleEvent> = triage
        .outbox()
        .fetch_after(0, 1000)
        .await
        .unwrap()
        .into_iter()
        .map(|e| prost::Message::decode(e.payload.as_slice()).unwrap())
        .collect();
    assert!(!events.is_empty());
    let core = app.running.reporting.as_ref().unwrap();
    let out = core.apply("triage", events.clone()).await.unwrap();
    assert_eq!(out.applied, events.len());
    assert_eq!(out.duplicates, events.len());
    let after = c
        .get_statistics(authed(&reporter, month_stats("", false)))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(before, after);
    // Folding the pending deltas into the aggregates (PostgreSQL) changes no figure either.
    let folded = core.fold_deltas().await.unwrap();
    if core.store().database().backend() == "postgres" {
        assert!(folded > 0, "the steps left deltas to fold");
    }
    assert_eq!(core.fold_deltas().await.unwrap(), 0);
    let folded_stats = c
        .get_statistics(authed(&reporter, month_stats("", false)))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(before, folded_stats);
    let t = c
        .get_timeline(authed(
            &s.complaints,
            pb::GetTimelineRequest {
                complaint_id: id.clone(),
            },
        ))
        .await
        .unwrap()
        .into_inner();
    let ids: std::collections::BTreeSet<&str> =
        t.entries.iter().map(|e| e.event_id.as_str()).collect();
    assert_eq!(ids.len(), t.entries.len(), "no event twice in the timeline");
    app.running.shutdown().await.unwrap();
}

both!(redelivery_changes_nothing);

/// A reporter who complained before is counted as a repeat complainant: intake counts earlier
/// complaints through the blind index and sends only the count; reporting never sees who.
async fn repeat_complainants_are_counted_without_identities(app: TestApp) {
    let reporter = tok(&app, "pelapor-desk", Role::ReportingOfficer, OFFICE, None);
    let officer = tok(&app, "unit-1", Role::ComplaintsOfficer, OFFICE, None);
    let first = app.submit(dispute("repeat-1")).await;
    let second = app.submit(dispute("repeat-2")).await;
    let mut other = dispute("repeat-3");
    let person = other.reporter.as_mut().unwrap();
    person.nik = "3527046512850002".into();
    person.phone = "0813-1111-2222".into();
    person.full_name = "Orang Lain".into();
    let third = app.submit(other).await;
    for id in [&first, &second, &third] {
        wait_report(&app, &officer, id, |r| !r.registration_number.is_empty()).await;
    }
    // What intake sent: the counts only.
    let intake = app.running.intake.as_ref().unwrap();
    let priors: Vec<(String, i32)> = intake
        .outbox()
        .fetch_after(0, 100)
        .await
        .unwrap()
        .into_iter()
        .filter_map(|e| {
            let ev: aduan_proto::events::v1::LifecycleEvent =
                prost::Message::decode(e.payload.as_slice()).unwrap();
            match ev.detail {
                Some(aduan_proto::events::v1::lifecycle_event::Detail::Registered(r)) => {
                    Some((ev.complaint_id, r.reporter_prior_complaints))
                }
                _ => None,
            }
        })
        .collect();
    let prior = |id: &str| priors.iter().find(|(c, _)| c == id).unwrap().1;
    assert_eq!((prior(&first), prior(&second), prior(&third)), (0, 1, 0));
    let mut c = reporting(&app).await;
    let st = c
        .get_statistics(authed(&reporter, month_stats("", false)))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(st.received, 3);
    assert_eq!(st.repeat_complainants, 1);
    let store = whole_store(&app).await;
    for personal in [
        "3527045708900001",
        "3527046512850002",
        "Orang Lain",
        "0813-1111-2222",
    ] {
        assert!(!store.contains(personal), "{personal} in reporting's store");
    }
    app.running.shutdown().await.unwrap();
}

both!(repeat_complainants_are_counted_without_identities);

/// The province's statistics (the provincial dashboard's figures over every office's facts) are
/// computed once per `reporting.statistics_cache_seconds`: a sixth complaint shows at once in
/// the office's statistics, while the province keeps the five of its first computation; the
/// access check still runs first (an office's officer is refused the province).
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_province_statistics_are_computed_once_a_lifetime() {
    let dir = common::temp_dir();
    let mut config = common::config(&dir, "");
    config.reporting.statistics_cache_seconds = 3600;
    let app = common::start_with(config).await;
    let reporter = tok(&app, "pelapor-desk", Role::ReportingOfficer, OFFICE, None);
    let analyst = tok(&app, "analis", Role::ProvincialAnalyst, "35", None);
    let mut c = reporting(&app).await;
    let received = |st: &pb::Statistics| st.received;
    let mut ids = Vec::new();
    for i in 0..5 {
        let mut r = dispute(&format!("cache-{i}"));
        let person = r.reporter.as_mut().unwrap();
        person.nik = format!("35270465128500{:02}", i + 10);
        person.phone = format!("0813-1111-22{:02}", i + 10);
        ids.push(app.submit(r).await);
    }
    let reader = c.clone();
    let office_has = |n: i64| {
        let mut c = reader.clone();
        let reporter = reporter.clone();
        async move {
            let mut office = pb::Statistics::default();
            for _ in 0..400 {
                office = c
                    .get_statistics(authed(&reporter, month_stats("", false)))
                    .await
                    .unwrap()
                    .into_inner();
                if office.received == n {
                    break;
                }
                tokio::time::sleep(std::time::Duration::from_millis(25)).await;
            }
            office
        }
    };
    assert_eq!(received(&office_has(5).await), 5);
    let province = c
        .get_statistics(authed(&analyst, month_stats("", true)))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(received(&province), 5, "{province:?}");
    // A sixth complaint: the office sees it at once, the province's figure is the cached one.
    let mut r = dispute("cache-6");
    let person = r.reporter.as_mut().unwrap();
    person.nik = "3527046512850099".into();
    person.phone = "0813-1111-2299".into();
    app.submit(r).await;
    assert_eq!(received(&office_has(6).await), 6);
    let again = c
        .get_statistics(authed(&analyst, month_stats("", true)))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(again, province, "computed once in the lifetime");
    // Each period is computed on its own: last year's province has none of them.
    let last_year = c
        .get_statistics(authed(
            &analyst,
            pb::GetStatisticsRequest {
                province: true,
                period: Some(Period::Year(this_month().year - 1)),
                ..Default::default()
            },
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(last_year.received, 0, "{last_year:?}");
    assert!(last_year.by_office.is_empty(), "{last_year:?}");
    // The access check comes before the cache: an office's officer is refused the province.
    let err = c
        .get_statistics(authed(&reporter, month_stats("", true)))
        .await
        .unwrap_err();
    assert_eq!(err.code(), tonic::Code::PermissionDenied);
    app.running.shutdown().await.unwrap();
}
