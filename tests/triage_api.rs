//! Triage (S4-S7) over real gRPC against a real server, SQLite and PostgreSQL: complaints arrive
//! from intake through the event relay; every screening decision, forwarding, the Head's
//! disposition and its changes, the disposition sheet, steps out of order, roles and offices, the
//! SLA clock (pause on a request for information, resume on intake's amendment) and the sweeper.

#[macro_use]
mod common;

use std::time::Duration;

use aduan_proto::common::v1::{Channel, ComplaintStatus, Requirement};
use aduan_proto::events::v1::{LifecycleEvent, lifecycle_event::Detail};
use aduan_proto::intake::v1 as ipb;
use aduan_proto::triage::v1::{
    self as pb, screen_complaint_request::Decision, triage_service_client::TriageServiceClient,
};
use aduan_runtime::auth::Role;
use common::{TestApp, authed, complete_request};
use prost::Message;
use tonic::Code;
use tonic::transport::Channel as GrpcChannel;
use tonic_types::StatusExt;

fn violations(s: &tonic::Status) -> Vec<String> {
    s.get_error_details()
        .bad_request()
        .map(|b| b.field_violations.iter().map(|v| v.field.clone()).collect())
        .unwrap_or_default()
}

/// A complaint that no urgency rule fires on: social assistance, no child, no marker words.
fn plain_request(rid: &str) -> ipb::SubmitComplaintRequest {
    let mut r = complete_request(rid, Channel::WalkIn);
    r.victims.clear();
    let c = r.content.as_mut().unwrap();
    c.category_code = "bantuan_sosial".into();
    c.subject = "Bantuan PKH tidak cair".into();
    c.description = "Bantuan PKH keluarga kami tidak cair sejak Maret.".into();
    c.chronology = "Maret tidak cair; April lapor pendamping.".into();
    r.visibility = None;
    r
}

async fn triage(app: &TestApp) -> TriageServiceClient<GrpcChannel> {
    TriageServiceClient::new(app.channel().await)
}

/// Waits until the relay has brought the complaint to triage.
async fn wait_case(app: &TestApp, id: &str, office: &str) -> pb::TriageCase {
    let token = app.token(&[Role::ComplaintsOfficer], office);
    let mut t = triage(app).await;
    for _ in 0..200 {
        match t
            .get_case(authed(
                &token,
                pb::GetCaseRequest {
                    purpose: String::new(),
                    complaint_id: id.into(),
                },
            ))
            .await
        {
            Ok(r) => return r.into_inner(),
            Err(s) if s.code() == Code::NotFound => {
                tokio::time::sleep(Duration::from_millis(25)).await
            }
            Err(s) => panic!("{s:?}"),
        }
    }
    panic!("complaint {id} never reached triage");
}

fn screen(id: &str, d: Decision) -> pb::ScreenComplaintRequest {
    pb::ScreenComplaintRequest {
        complaint_id: id.into(),
        decision: Some(d),
    }
}

async fn outbox_events(app: &TestApp) -> Vec<LifecycleEvent> {
    app.running
        .triage
        .as_ref()
        .unwrap()
        .outbox()
        .fetch_after(0, 1000)
        .await
        .unwrap()
        .into_iter()
        .map(|r| LifecycleEvent::decode(r.payload.as_slice()).unwrap())
        .collect()
}

async fn from_registration_to_disposition(app: TestApp) {
    let officer = app.token(&[Role::ComplaintsOfficer], "35.27");
    let head = app.token_for("kadis-sampang", &[Role::Head], "35.27");
    let other_head = app.token_for("kadis-bangkalan", &[Role::Head], "35.26");
    let mut t = triage(&app).await;
    let id = app
        .submit(complete_request("flow-1", Channel::Letter))
        .await;
    let case = wait_case(&app, &id, "35.27").await;
    assert_eq!(case.status, ComplaintStatus::Registered as i32);
    assert!(case.urgent, "a child hit by a neighbour is urgent");
    assert!(case.urgency_reasons.contains(&"child_at_risk".to_string()));
    assert!(case.urgency_reasons.contains(&"violence".to_string()));
    let sla = case.sla.clone().unwrap();
    assert_eq!(sla.policy_code, "sop_4_working_days");
    // Four working days from the clock's start: exactly 4.0 when registered outside office
    // hours, less when the first day has already begun (07:56 WIB gives 3.95).
    assert!(
        sla.working_days_budget > 3.0 && sla.working_days_budget <= 4.0,
        "budget {}",
        sla.working_days_budget
    );
    assert!(matches!(
        sla.state.as_str(),
        "on_track" | "warning" | "breached"
    ));

    // Another office does not even see it.
    let e = t
        .get_case(authed(
            &other_head,
            pb::GetCaseRequest {
                purpose: String::new(),
                complaint_id: id.clone(),
            },
        ))
        .await
        .unwrap_err();
    assert_eq!(e.code(), Code::NotFound);

    // Steps out of order.
    let fwd = pb::ForwardToHeadRequest {
        complaint_id: id.clone(),
        summary: "Anak korban kekerasan; mohon disposisi".into(),
        nature: 0,
    };
    let e = t
        .forward_to_head(authed(&officer, fwd.clone()))
        .await
        .unwrap_err();
    assert_eq!(e.code(), Code::FailedPrecondition, "{e:?}");
    let dispose = pb::IssueDispositionRequest {
        complaint_id: id.clone(),
        bidang_code: "uptd_ppa".into(),
        // A repeated instruction is given once (issue 13).
        instructions: vec![
            pb::Instruction::UntukDitindaklanjuti as i32,
            pb::Instruction::Koordinasikan as i32,
            pb::Instruction::UntukDitindaklanjuti as i32,
        ],
        note: "Segera dampingi korban".into(),
        ..Default::default()
    };
    let e = t
        .issue_disposition(authed(&head, dispose.clone()))
        .await
        .unwrap_err();
    assert_eq!(e.code(), Code::FailedPrecondition, "{e:?}");

    // S4 accept, then S4 again is out of order.
    let accepted = t
        .screen_complaint(authed(
            &officer,
            screen(&id, Decision::Accept(pb::Accept::default())),
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(accepted.status, ComplaintStatus::Accepted as i32);
    let e = t
        .screen_complaint(authed(
            &officer,
            screen(&id, Decision::Accept(pb::Accept::default())),
        ))
        .await
        .unwrap_err();
    assert_eq!(e.code(), Code::FailedPrecondition);

    // S5: a summary is required.
    let e = t
        .forward_to_head(authed(
            &officer,
            pb::ForwardToHeadRequest {
                summary: " ".into(),
                ..fwd.clone()
            },
        ))
        .await
        .unwrap_err();
    assert_eq!(e.code(), Code::InvalidArgument);
    assert_eq!(violations(&e), vec!["summary"]);
    let forwarded = t
        .forward_to_head(authed(&officer, fwd.clone()))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        forwarded.status,
        ComplaintStatus::AwaitingDisposition as i32
    );
    // Confidential (rahasia) wins over urgent for the sheet's nature.
    assert_eq!(forwarded.nature, pb::Nature::Rahasia as i32);

    // S6-S7: only the Head disposes.
    let e = t
        .issue_disposition(authed(&officer, dispose.clone()))
        .await
        .unwrap_err();
    assert_eq!(e.code(), Code::PermissionDenied);
    let e = t
        .issue_disposition(authed(
            &head,
            pb::IssueDispositionRequest {
                bidang_code: "bidang_tidak_ada".into(),
                instructions: vec![99],
                due_date: Some(aduan_proto::common::v1::Date {
                    year: 2020,
                    month: 1,
                    day: 1,
                }),
                ..dispose.clone()
            },
        ))
        .await
        .unwrap_err();
    assert_eq!(e.code(), Code::InvalidArgument);
    let mut fields = violations(&e);
    fields.sort();
    assert_eq!(fields, vec!["bidang_code", "instructions[0]"]);
    // More instructions than there are: one violation, no element looked at.
    let e = t
        .issue_disposition(authed(
            &head,
            pb::IssueDispositionRequest {
                instructions: vec![99; 100_000],
                ..dispose.clone()
            },
        ))
        .await
        .unwrap_err();
    assert_eq!(violations(&e), vec!["instructions"]);
    let e = t
        .issue_disposition(authed(
            &head,
            pb::IssueDispositionRequest {
                due_date: Some(aduan_proto::common::v1::Date {
                    year: 2020,
                    month: 1,
                    day: 1,
                }),
                ..dispose.clone()
            },
        ))
        .await
        .unwrap_err();
    assert_eq!(violations(&e), vec!["due_date"]);
    let disposed = t
        .issue_disposition(authed(&head, dispose.clone()))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(disposed.status, ComplaintStatus::Disposed as i32);
    assert_eq!(disposed.dispositions.len(), 1);
    let d1 = &disposed.dispositions[0];
    assert_eq!(d1.bidang_code, "uptd_ppa");
    assert_eq!(
        d1.instructions,
        vec![
            pb::Instruction::UntukDitindaklanjuti as i32,
            pb::Instruction::Koordinasikan as i32
        ]
    );
    assert_eq!(d1.issued_by.as_ref().unwrap().subject, "kadis-sampang");
    assert_eq!(
        d1.due_date, sla.due_date,
        "the due date defaults to the SLA's"
    );

    // Changing the disposition needs a reason and keeps the old one.
    let change = pb::IssueDispositionRequest {
        bidang_code: "rehsos".into(),
        instructions: vec![pb::Instruction::SiapkanJawaban as i32],
        note: String::new(),
        ..dispose.clone()
    };
    let e = t
        .issue_disposition(authed(&head, change.clone()))
        .await
        .unwrap_err();
    assert_eq!(violations(&e), vec!["change_reason"]);
    let changed = t
        .issue_disposition(authed(
            &head,
            pb::IssueDispositionRequest {
                change_reason: "Ditangani bersama Rehsos".into(),
                ..change
            },
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(changed.dispositions.len(), 2);
    assert!(changed.dispositions[0].superseded);
    assert!(!changed.dispositions[1].superseded);
    assert_eq!(changed.dispositions[1].bidang_code, "rehsos");
    assert_eq!(changed.dispositions[1].version, 2);
    // The Bidang roles read the complaints disposed to their own Bidang only.
    use common::casework::tok;
    for (bidang, visible) in [
        (Some("rehsos"), true),
        (Some("uptd_ppa"), false),
        (None, false),
    ] {
        let t_b = tok(&app, "petugas", Role::BidangOfficer, "35.27", bidang);
        let r = t
            .get_case(authed(
                &t_b,
                pb::GetCaseRequest {
                    purpose: String::new(),
                    complaint_id: id.clone(),
                },
            ))
            .await;
        match visible {
            true => assert!(r.is_ok(), "{bidang:?}: {r:?}"),
            false => assert_eq!(r.unwrap_err().code(), Code::NotFound, "{bidang:?}"),
        }
    }
    let actions: Vec<&str> = changed.history.iter().map(|h| h.action.as_str()).collect();
    assert_eq!(
        actions,
        vec![
            "registered",
            "screened",
            "forwarded",
            "disposed",
            "disposed"
        ]
    );

    // The disposition sheet: sender, letter and subject come from intake.
    let sheet = t
        .get_disposition_sheet(authed(
            &head,
            pb::GetDispositionSheetRequest {
                complaint_id: id.clone(),
                version: 1,
            },
        ))
        .await
        .unwrap()
        .into_inner();
    assert!(sheet.sender.starts_with("Siti Aminah"), "{}", sheet.sender);
    assert!(sheet.sender.contains("anonim"));
    assert_eq!(sheet.letter_number, "460/12/2026");
    assert_eq!(sheet.subject, "Pengaduan");
    assert_eq!(sheet.agenda_number, case.registration_number);
    assert_eq!(sheet.target_bidang_code, "uptd_ppa");
    assert!(sheet.target_bidang_name.contains("UPTD"));
    assert!(sheet.superseded);
    assert_eq!(sheet.nature, pb::Nature::Rahasia as i32);
    let sig = sheet.signature.unwrap();
    assert_eq!(sig.signed_by, "kadis-sampang");
    assert!(sig.title.starts_with("Kepala Dinas"));
    assert!(
        sig.place_date.starts_with("Sampang, "),
        "{}",
        sig.place_date
    );
    let e = t
        .get_disposition_sheet(authed(
            &head,
            pb::GetDispositionSheetRequest {
                complaint_id: id.clone(),
                version: 3,
            },
        ))
        .await
        .unwrap_err();
    assert_eq!(violations(&e), vec!["version"]);

    // Every transition is in triage's outbox, in order, with per-complaint sequence numbers.
    let events = outbox_events(&app).await;
    let mine: Vec<&LifecycleEvent> = events.iter().filter(|e| e.complaint_id == id).collect();
    let kinds: Vec<&str> = mine
        .iter()
        .map(|e| match &e.detail {
            Some(Detail::Screened(_)) => "screened",
            Some(Detail::ForwardedToHead(_)) => "forwarded",
            Some(Detail::DispositionIssued(_)) => "disposed",
            _ => "other",
        })
        .collect();
    assert_eq!(kinds, vec!["screened", "forwarded", "disposed", "disposed"]);
    let seqs: Vec<i64> = mine.iter().map(|e| e.sequence).collect();
    assert_eq!(seqs, vec![1, 2, 3, 4]);
    assert!(mine.iter().all(|e| e.source_service == "triage"));
}

async fn every_screening_decision(app: TestApp) {
    let officer = app.token(&[Role::ComplaintsOfficer], "35.27");
    let bangkalan = app.token(&[Role::ComplaintsOfficer], "35.26");
    let intake_officer = officer.clone();
    let mut t = triage(&app).await;
    let plain = app.submit(plain_request("plain-1")).await;
    let urgent = app
        .submit(complete_request("urgent-1", Channel::WalkIn))
        .await;
    let kaleng = app.submit(plain_request("kaleng-1")).await;
    let transfer = app.submit(plain_request("transfer-1")).await;
    let refer = app.submit(plain_request("refer-1")).await;
    let info = app.submit(plain_request("info-1")).await;
    let dup = app.submit(plain_request("dup-1")).await;
    for id in [&plain, &urgent, &kaleng, &transfer, &refer, &info, &dup] {
        wait_case(&app, id, "35.27").await;
    }

    // The queue: urgent first, then oldest first.
    let q = t
        .list_queue(authed(
            &officer,
            pb::ListQueueRequest {
                office_code: "35.27".into(),
                ..Default::default()
            },
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(q.waiting_total, 7);
    assert_eq!(q.entries[0].complaint_id, urgent);
    assert_eq!(q.entries[1].complaint_id, plain);
    assert!(!q.entries[1].urgent);
    assert!(q.entries.iter().all(|e| e.sla.is_some()));
    let e = t
        .list_queue(authed(
            &officer,
            pb::ListQueueRequest {
                office_code: "35.26".into(),
                ..Default::default()
            },
        ))
        .await
        .unwrap_err();
    assert_eq!(e.code(), Code::PermissionDenied);
    let e = t
        .list_queue(authed(
            &officer,
            pb::ListQueueRequest {
                office_code: "35.27".into(),
                page_size: 9999,
                page_token: "x".into(),
                ..Default::default()
            },
        ))
        .await
        .unwrap_err();
    let mut f = violations(&e);
    f.sort();
    assert_eq!(f, vec!["page_size", "page_token"]);
    // Pages.
    let p1 = t
        .list_queue(authed(
            &officer,
            pb::ListQueueRequest {
                office_code: "35.27".into(),
                page_size: 4,
                ..Default::default()
            },
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(p1.entries.len(), 4);
    let p2 = t
        .list_queue(authed(
            &officer,
            pb::ListQueueRequest {
                office_code: "35.27".into(),
                page_size: 4,
                page_token: p1.next_page_token.clone(),
                ..Default::default()
            },
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(p2.entries.len(), 3);
    assert!(p2.next_page_token.is_empty());

    // The officer's urgency overrides the rules.
    let e = t
        .set_urgency(authed(
            &officer,
            pb::SetUrgencyRequest {
                complaint_id: plain.clone(),
                urgent: true,
                reason: String::new(),
            },
        ))
        .await
        .unwrap_err();
    assert_eq!(violations(&e), vec!["reason"]);
    let c = t
        .set_urgency(authed(
            &officer,
            pb::SetUrgencyRequest {
                complaint_id: plain.clone(),
                urgent: true,
                reason: "Pelapor lansia tanpa penghasilan".into(),
            },
        ))
        .await
        .unwrap()
        .into_inner();
    assert!(c.urgent);
    assert_eq!(c.urgency_reasons, vec!["officer"]);

    // Surat kaleng: a reason is required; the clock stops.
    let e = t
        .screen_complaint(authed(
            &officer,
            screen(
                &kaleng,
                Decision::RejectSuratKaleng(pb::RejectSuratKaleng::default()),
            ),
        ))
        .await
        .unwrap_err();
    assert_eq!(violations(&e), vec!["reject_surat_kaleng.reason"]);
    let c = t
        .screen_complaint(authed(
            &officer,
            screen(
                &kaleng,
                Decision::RejectSuratKaleng(pb::RejectSuratKaleng {
                    reason: "Pengirim tidak dapat diidentifikasi".into(),
                }),
            ),
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(c.status, ComplaintStatus::Rejected as i32);
    assert_eq!(c.sla.unwrap().state, "stopped");

    // Transfer to another office of the province: it arrives there with its history.
    let e = t
        .screen_complaint(authed(
            &officer,
            screen(
                &transfer,
                Decision::Transfer(pb::Transfer {
                    target_office_code: "99.99".into(),
                    reason: "x".into(),
                }),
            ),
        ))
        .await
        .unwrap_err();
    assert_eq!(violations(&e), vec!["transfer.target_office_code"]);
    let e = t
        .screen_complaint(authed(
            &officer,
            screen(
                &transfer,
                Decision::Transfer(pb::Transfer {
                    target_office_code: "35.27".into(),
                    reason: "x".into(),
                }),
            ),
        ))
        .await
        .unwrap_err();
    assert_eq!(violations(&e), vec!["transfer.target_office_code"]);
    let moved = t
        .screen_complaint(authed(
            &officer,
            screen(
                &transfer,
                Decision::Transfer(pb::Transfer {
                    target_office_code: "35.26".into(),
                    reason: "Pelapor dan kejadian di Bangkalan".into(),
                }),
            ),
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(moved.office_code, "35.26");
    assert_eq!(moved.transferred_to, "35.26");
    // From now on the sending office no longer sees it: it belongs to Bangkalan.
    let e = t
        .get_case(authed(
            &officer,
            pb::GetCaseRequest {
                purpose: String::new(),
                complaint_id: transfer.clone(),
            },
        ))
        .await
        .unwrap_err();
    assert_eq!(e.code(), Code::NotFound);
    let there = t
        .list_queue(authed(
            &bangkalan,
            pb::ListQueueRequest {
                office_code: "35.26".into(),
                ..Default::default()
            },
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(there.entries.len(), 1);
    assert_eq!(there.entries[0].complaint_id, transfer);
    assert_eq!(there.entries[0].transferred_from, "35.27");
    assert_eq!(there.entries[0].status, ComplaintStatus::Registered as i32);
    let c = wait_case(&app, &transfer, "35.26").await;
    let actions: Vec<&str> = c.history.iter().map(|h| h.action.as_str()).collect();
    assert_eq!(actions, vec!["registered", "transferred", "transferred_in"]);
    assert_eq!(c.history[1].office_code, "35.27");
    assert_eq!(c.history[2].office_code, "35.26");

    // Referral to an outside agency: named, with a reason.
    let e = t
        .screen_complaint(authed(
            &officer,
            screen(
                &refer,
                Decision::ReferOut(pb::ReferOut {
                    agency: String::new(),
                    reason: String::new(),
                }),
            ),
        ))
        .await
        .unwrap_err();
    let mut f = violations(&e);
    f.sort();
    assert_eq!(f, vec!["refer_out.agency", "refer_out.reason"]);
    // Issue 12: the agency is a code of the directory; a name typed in is refused, and the
    // complaint stays in the queue.
    let e = t
        .screen_complaint(authed(
            &officer,
            screen(
                &refer,
                Decision::ReferOut(pb::ReferOut {
                    agency: "BPJS Kesehatan Cabang Pamekasan".into(),
                    reason: "Kepesertaan JKN bukan kewenangan Dinas".into(),
                }),
            ),
        ))
        .await
        .unwrap_err();
    assert_eq!(e.code(), tonic::Code::InvalidArgument);
    assert_eq!(violations(&e), vec!["refer_out.agency"]);
    let c = t
        .screen_complaint(authed(
            &officer,
            screen(
                &refer,
                Decision::ReferOut(pb::ReferOut {
                    agency: "bpjs_kesehatan".into(),
                    reason: "Kepesertaan JKN bukan kewenangan Dinas".into(),
                }),
            ),
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(c.status, ComplaintStatus::ReferredOut as i32);
    assert_eq!(c.referred_to_agency, "bpjs_kesehatan");

    // Needs information: at most R1-R6, a repeat given once (issue 13).
    let e = t
        .screen_complaint(authed(
            &officer,
            screen(
                &info,
                Decision::NeedsInformation(pb::NeedsInformation {
                    reason: "Kronologi belum jelas".into(),
                    requirements: vec![Requirement::R2Identity as i32; 100_000],
                }),
            ),
        ))
        .await
        .unwrap_err();
    assert_eq!(violations(&e), vec!["needs_information.requirements"]);
    // Needs information: the clock pauses; intake's amendment (S9) brings it back.
    let c = t
        .screen_complaint(authed(
            &officer,
            screen(
                &info,
                Decision::NeedsInformation(pb::NeedsInformation {
                    reason: "Kronologi dan alamat terlapor belum jelas".into(),
                    requirements: vec![
                        Requirement::R2Identity as i32,
                        Requirement::R4WhenWhereChronology as i32,
                        Requirement::R2Identity as i32,
                    ],
                }),
            ),
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(c.status, ComplaintStatus::NeedsInformation as i32);
    assert!(
        c.history.iter().any(|h| h.detail
            == "needs information (REQUIREMENT_R2_IDENTITY, REQUIREMENT_R4_WHEN_WHERE_CHRONOLOGY)"),
        "{:?}",
        c.history
    );
    assert_eq!(c.sla.unwrap().state, "paused");
    let waiting = t
        .list_queue(authed(
            &officer,
            pb::ListQueueRequest {
                office_code: "35.27".into(),
                include_waiting: true,
                ..Default::default()
            },
        ))
        .await
        .unwrap()
        .into_inner();
    assert!(waiting.entries.iter().any(|e| e.complaint_id == info));
    let mut ic = app.client().await;
    let current = ic
        .get_complaint(authed(
            &intake_officer,
            ipb::GetComplaintRequest {
                complaint_id: info.clone(),
                revision: 0,
                purpose: "S9".into(),
            },
        ))
        .await
        .unwrap()
        .into_inner()
        .complaint
        .unwrap();
    ic.amend_complaint(authed(
        &intake_officer,
        ipb::AmendComplaintRequest {
            complaint_id: info.clone(),
            expected_revision: current.revision,
            reason: "Wawancara S9".into(),
            update_mask: Some(prost_types::FieldMask {
                paths: vec!["content.chronology".into()],
            }),
            patch: Some(ipb::ComplaintPatch {
                content: Some(ipb::ComplaintContent {
                    chronology: "Maret tidak cair; April lapor pendamping; Mei ke kantor desa."
                        .into(),
                    ..Default::default()
                }),
                ..Default::default()
            }),
        },
    ))
    .await
    .unwrap();
    let mut back = None;
    for _ in 0..200 {
        let c = wait_case(&app, &info, "35.27").await;
        if c.status == ComplaintStatus::Registered as i32 {
            back = Some(c);
            break;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    let back = back.expect("the amendment returns the complaint to screening");
    assert_ne!(back.sla.unwrap().state, "paused");
    assert_eq!(back.history.last().unwrap().action, "amended");

    // Duplicate: of an earlier complaint of this office only.
    let e = t
        .screen_complaint(authed(
            &officer,
            screen(
                &plain,
                Decision::Duplicate(pb::Duplicate {
                    duplicate_of: dup.clone(),
                    reason: String::new(),
                }),
            ),
        ))
        .await
        .unwrap_err();
    assert_eq!(
        violations(&e),
        vec!["duplicate.duplicate_of"],
        "a later one"
    );
    let e = t
        .screen_complaint(authed(
            &officer,
            screen(
                &dup,
                Decision::Duplicate(pb::Duplicate {
                    duplicate_of: "0190aaaa-0000-7000-8000-000000000000".into(),
                    reason: String::new(),
                }),
            ),
        ))
        .await
        .unwrap_err();
    assert_eq!(violations(&e), vec!["duplicate.duplicate_of"]);
    // Named by its registration number, as the office knows it (the console's form): one of
    // this office that does not exist is refused; the earlier one is found and its id recorded.
    let e = t
        .screen_complaint(authed(
            &officer,
            screen(
                &dup,
                Decision::Duplicate(pb::Duplicate {
                    duplicate_of: "35.27-2026-999999".into(),
                    reason: String::new(),
                }),
            ),
        ))
        .await
        .unwrap_err();
    assert_eq!(violations(&e), vec!["duplicate.duplicate_of"]);
    let plain_number = t
        .get_case(authed(
            &officer,
            pb::GetCaseRequest {
                complaint_id: plain.clone(),
                purpose: String::new(),
            },
        ))
        .await
        .unwrap()
        .into_inner()
        .registration_number;
    let c = t
        .screen_complaint(authed(
            &officer,
            screen(
                &dup,
                Decision::Duplicate(pb::Duplicate {
                    duplicate_of: plain_number,
                    reason: "Pelapor sama, perkara sama".into(),
                }),
            ),
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(c.status, ComplaintStatus::Duplicate as i32);
    assert_eq!(c.duplicate_of, plain);

    // Malformed requests.
    let e = t
        .screen_complaint(authed(
            &officer,
            pb::ScreenComplaintRequest {
                complaint_id: "../etc".into(),
                decision: None,
            },
        ))
        .await
        .unwrap_err();
    let mut f = violations(&e);
    f.sort();
    assert_eq!(f, vec!["complaint_id", "decision"]);
    // A Head screens nothing (the unit does).
    let head = app.token(&[Role::Head], "35.27");
    let e = t
        .screen_complaint(authed(
            &head,
            screen(&plain, Decision::Accept(pb::Accept::default())),
        ))
        .await
        .unwrap_err();
    assert_eq!(e.code(), Code::PermissionDenied);
}

/// Free text (reasons, the summary for the Head, notes) is sealed at rest: none of it is in the
/// SQLite files, and the API gives it back.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn free_text_is_sealed_at_rest() {
    let app = common::start_sqlite().await;
    let officer = app.token(&[Role::ComplaintsOfficer], "35.27");
    let head = app.token(&[Role::Head], "35.27");
    let mut t = triage(&app).await;
    let id = app.submit(plain_request("sealed-1")).await;
    wait_case(&app, &id, "35.27").await;
    let reason = "Ibu Sumiati datang sendiri ke kantor";
    let summary = "Ringkasan: keluarga Bapak Karsono belum menerima PKH";
    let note = "Hubungi Pak Lurah Taddan";
    t.set_urgency(authed(
        &officer,
        pb::SetUrgencyRequest {
            complaint_id: id.clone(),
            urgent: true,
            reason: reason.into(),
        },
    ))
    .await
    .unwrap();
    t.screen_complaint(authed(
        &officer,
        screen(
            &id,
            Decision::Accept(pb::Accept {
                note: reason.into(),
            }),
        ),
    ))
    .await
    .unwrap();
    t.forward_to_head(authed(
        &officer,
        pb::ForwardToHeadRequest {
            complaint_id: id.clone(),
            summary: summary.into(),
            nature: 0,
        },
    ))
    .await
    .unwrap();
    let c = t
        .issue_disposition(authed(
            &head,
            pb::IssueDispositionRequest {
                complaint_id: id.clone(),
                bidang_code: "linjamsos".into(),
                note: note.into(),
                ..Default::default()
            },
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(c.head_summary, summary);
    assert_eq!(c.screening_reason, reason);
    assert_eq!(c.dispositions[0].note, note);
    assert_eq!(c.history[1].note, reason);
    assert_eq!(c.history[1].detail, "urgent");
    app.running.shutdown().await.unwrap();
    let mut bytes = Vec::new();
    for f in ["triage.db", "triage.db-wal"] {
        if let Ok(b) = std::fs::read(app.data_dir.join(f)) {
            bytes.extend(b);
        }
    }
    assert!(bytes.len() > 10_000, "the files were read");
    let text = String::from_utf8_lossy(&bytes);
    for secret in ["Sumiati", "Karsono", "Lurah Taddan"] {
        assert!(!text.contains(secret), "{secret} in triage's files");
    }
}

async fn sla_alerts_are_sent_once(app: TestApp) {
    let id = app.submit(plain_request("sla-1")).await;
    let paused = app.submit(plain_request("sla-2")).await;
    wait_case(&app, &id, "35.27").await;
    wait_case(&app, &paused, "35.27").await;
    let officer = app.token(&[Role::ComplaintsOfficer], "35.27");
    triage(&app)
        .await
        .screen_complaint(authed(
            &officer,
            screen(
                &paused,
                Decision::NeedsInformation(pb::NeedsInformation {
                    reason: "Alamat belum ada".into(),
                    requirements: vec![],
                }),
            ),
        ))
        .await
        .unwrap();
    let core = app.running.triage.as_ref().unwrap().clone();
    let now = aduan_runtime::time::to_micros(jiff::Timestamp::now());
    assert_eq!(core.sweep(now).await.unwrap(), 0, "nothing is due yet");
    // Thirty days on: the warning, then the breach; a paused clock sends nothing.
    let later = now + 30 * 86_400_000_000;
    let (a, b) = tokio::join!(core.sweep(later), core.sweep(later));
    assert_eq!(a.unwrap() + b.unwrap(), 2, "one warning and one breach");
    assert_eq!(core.sweep(later).await.unwrap(), 0);
    let events = outbox_events(&app).await;
    let alerts: Vec<(String, bool)> = events
        .iter()
        .filter_map(|e| match &e.detail {
            Some(Detail::SlaAlert(a)) => Some((e.complaint_id.clone(), a.breached)),
            _ => None,
        })
        .collect();
    assert_eq!(alerts, vec![(id.clone(), false), (id.clone(), true)]);
    let c = wait_case(&app, &id, "35.27").await;
    let actions: Vec<&str> = c.history.iter().map(|h| h.action.as_str()).collect();
    assert_eq!(actions, vec!["registered", "sla_warning", "sla_breach"]);
}

/// An event from feedback (S13-S14), as its relay would deliver it.
fn feedback_event(id: &str, seq: i64, at: jiff::Timestamp, detail: Detail) -> LifecycleEvent {
    LifecycleEvent {
        event_id: uuid::Uuid::now_v7().to_string(),
        complaint_id: id.into(),
        office_code: "35.27".into(),
        step: 13,
        occurred_at: Some(aduan_runtime::time::to_proto(at)),
        source_service: "feedback".into(),
        actor: None,
        trace: None,
        sequence: seq,
        status: 0,
        detail: Some(detail),
    }
}

/// S13 stops the SLA clock; S14 dissatisfaction reopens the complaint with a new clock per the
/// policy (`reopened_response`), which warns and breaches again on its own; a redelivered event
/// changes nothing.
async fn delivery_stops_the_clock_and_a_reopening_starts_a_new_one(app: TestApp) {
    use aduan_proto::events::v1 as ev;
    use aduan_spine::relay::EventReceiver;
    let id = app.submit(plain_request("clock-1")).await;
    wait_case(&app, &id, "35.27").await;
    let core = app.running.triage.as_ref().unwrap().clone();
    let now = jiff::Timestamp::now();
    let micros = aduan_runtime::time::to_micros(now);
    let day = 86_400_000_000i64;
    assert_eq!(core.sweep(micros + 30 * day).await.unwrap(), 2);

    let delivered = feedback_event(
        &id,
        1,
        now,
        Detail::ResponseDelivered(ev::ResponseDelivered {
            channel: Channel::Phone as i32,
            delivered_at: Some(aduan_runtime::time::to_proto(now)),
            version: 1,
        }),
    );
    let out = core
        .apply("feedback", vec![delivered.clone()])
        .await
        .unwrap();
    assert_eq!((out.applied, out.duplicates), (1, 0));
    let c = wait_case(&app, &id, "35.27").await;
    assert_eq!(c.status, ComplaintStatus::ResponseDelivered as i32);
    assert_eq!(c.sla.as_ref().unwrap().state, "stopped");
    assert_eq!(core.sweep(micros + 60 * day).await.unwrap(), 0);
    // The same event again: recorded as a duplicate, nothing changes.
    let out = core.apply("feedback", vec![delivered]).await.unwrap();
    assert_eq!((out.applied, out.duplicates), (1, 1));

    let reopen_at = now + jiff::SignedDuration::from_secs(60);
    let reopened = feedback_event(
        &id,
        2,
        reopen_at,
        Detail::FeedbackRecorded(ev::FeedbackRecorded {
            satisfied: false,
            reopens: true,
            version: 1,
            grounds_code: "not_answered".into(),
        }),
    );
    core.apply("feedback", vec![reopened]).await.unwrap();
    let c = wait_case(&app, &id, "35.27").await;
    assert_eq!(c.status, ComplaintStatus::InHandling as i32);
    let sla = c.sla.clone().unwrap();
    assert_eq!(sla.stage, "reopened_response");
    // Four working days from the clock's start: exactly 4.0 when registered outside office
    // hours, less when the first day has already begun (07:56 WIB gives 3.95).
    assert!(
        sla.working_days_budget > 3.0 && sla.working_days_budget <= 4.0,
        "budget {}",
        sla.working_days_budget
    );
    assert_ne!(sla.state, "stopped");
    // The new clock has its own warning and breach, once each.
    assert_eq!(core.sweep(micros + 90 * day).await.unwrap(), 2);
    assert_eq!(core.sweep(micros + 90 * day).await.unwrap(), 0);

    let again = feedback_event(
        &id,
        3,
        reopen_at + jiff::SignedDuration::from_secs(60),
        Detail::ResponseDelivered(ev::ResponseDelivered {
            channel: Channel::Letter as i32,
            delivered_at: Some(aduan_runtime::time::to_proto(
                reopen_at + jiff::SignedDuration::from_secs(60),
            )),
            version: 2,
        }),
    );
    let satisfied = feedback_event(
        &id,
        4,
        reopen_at + jiff::SignedDuration::from_secs(120),
        Detail::FeedbackRecorded(ev::FeedbackRecorded {
            satisfied: true,
            reopens: false,
            version: 2,
            grounds_code: String::new(),
        }),
    );
    core.apply("feedback", vec![again, satisfied])
        .await
        .unwrap();
    let c = wait_case(&app, &id, "35.27").await;
    assert_eq!(c.status, ComplaintStatus::Reporting as i32);
    assert_eq!(c.sla.as_ref().unwrap().state, "stopped");
    let actions: Vec<&str> = c.history.iter().map(|h| h.action.as_str()).collect();
    assert_eq!(
        actions,
        vec![
            "registered",
            "sla_warning",
            "sla_breach",
            "response_delivered",
            "feedback_recorded",
            "sla_warning",
            "sla_breach",
            "response_delivered",
            "feedback_recorded"
        ]
    );
    let alerts: Vec<String> = outbox_events(&app)
        .await
        .iter()
        .filter_map(|e| match &e.detail {
            Some(Detail::SlaAlert(a)) if e.complaint_id == id => Some(a.stage.clone()),
            _ => None,
        })
        .collect();
    assert_eq!(
        alerts,
        vec![
            "response",
            "response",
            "reopened_response",
            "reopened_response"
        ]
    );
    // An event for a complaint triage never saw is refused (a dead letter for operators).
    let stray = feedback_event(
        &uuid::Uuid::now_v7().to_string(),
        1,
        now,
        Detail::ResponseDelivered(ev::ResponseDelivered::default()),
    );
    let out = core.apply("feedback", vec![stray]).await.unwrap();
    assert!(out.rejection.is_some());
}

both!(from_registration_to_disposition);
both!(delivery_stops_the_clock_and_a_reopening_starts_a_new_one);
both!(every_screening_decision);
both!(sla_alerts_are_sent_once);
