//! Investigation (S8-S12) over real gRPC against a real server, SQLite and PostgreSQL: a complaint
//! is submitted to intake, screened, forwarded and disposed in triage through their APIs, and the
//! case opens in the Bidang through the event relay. Then: assignment and reassignment (history
//! kept), an interview that amends intake (R2 gap closed, revision raised), evidence with EXIF/GPS
//! stripped and encrypted at rest, the eligibility gate, mediation and PUSPAGA counselling,
//! referrals (consent, a child's guardian, refusals without consent and when the perpetrator
//! "consents", an override), the partner agency's answer, the response (draft, return, approve),
//! steps out of order, roles, Bidang and office checks, the access log of every read, a later
//! disposition moving the case, and the reopening on dissatisfied feedback.

#[macro_use]
mod common;

use std::time::Duration;

use aduan_proto::common::v1::{self as cpb, Channel, ComplaintStatus, Requirement};
use aduan_proto::events::v1::{
    self as ev, HandlingActivityKind, LifecycleEvent, lifecycle_event::Detail,
};
use aduan_proto::intake::v1 as ipb;
use aduan_proto::investigation::v1::{self as pb};
use aduan_proto::triage::v1::{self as tpb, triage_service_client::TriageServiceClient};
use aduan_runtime::auth::Role;
use aduan_spine::relay::EventReceiver;
use common::casework::{
    OFFICE, disposed, investigation as inv, today, tok, wait_investigation as wait_case,
};
use common::media::{jpeg_with_gps, segment};
use common::{TestApp, authed, complete_request};
use prost::Message;
use tonic::Code;
use tonic_types::StatusExt;

const PPA: &str = "uptd_ppa";

fn violations(s: &tonic::Status) -> Vec<String> {
    let mut v: Vec<String> = s
        .get_error_details()
        .bad_request()
        .map(|b| b.field_violations.iter().map(|v| v.field.clone()).collect())
        .unwrap_or_default();
    v.sort();
    v
}

/// The people of the office (and one of another office).
struct People {
    kabid: String,
    officer: String,
    mediator: String,
    unassigned: String,
    rehsos_head: String,
    head: String,
    complaints: String,
    partner: String,
    other_office: String,
}

fn people(app: &TestApp) -> People {
    People {
        kabid: tok(app, "kabid-ppa", Role::BidangHead, OFFICE, Some(PPA)),
        officer: tok(app, "petugas-1", Role::BidangOfficer, OFFICE, Some(PPA)),
        mediator: tok(app, "mediator-1", Role::Mediator, OFFICE, Some(PPA)),
        unassigned: tok(app, "petugas-9", Role::BidangOfficer, OFFICE, Some(PPA)),
        rehsos_head: tok(
            app,
            "kabid-rehsos",
            Role::BidangHead,
            OFFICE,
            Some("rehsos"),
        ),
        head: tok(app, "kadis", Role::Head, OFFICE, None),
        complaints: tok(app, "unit-1", Role::ComplaintsOfficer, OFFICE, None),
        // A partner client's token subject is its agency's code.
        partner: tok(app, "uptd_ppa", Role::PartnerAgency, OFFICE, None),
        other_office: tok(app, "kabid-bkl", Role::BidangHead, "35.26", Some(PPA)),
    }
}

async fn outbox(app: &TestApp) -> Vec<(Vec<u8>, LifecycleEvent)> {
    app.running
        .investigation
        .as_ref()
        .unwrap()
        .outbox()
        .fetch_after(0, 10_000)
        .await
        .unwrap()
        .into_iter()
        .map(|r| {
            let e = LifecycleEvent::decode(r.payload.as_slice()).unwrap();
            (r.payload, e)
        })
        .collect()
}

fn activities(events: &[(Vec<u8>, LifecycleEvent)], id: &str) -> Vec<(i32, String)> {
    events
        .iter()
        .filter(|(_, e)| e.complaint_id == id)
        .filter_map(|(_, e)| match &e.detail {
            Some(Detail::HandlingActivity(a)) => Some((a.kind, a.activity_code.clone())),
            _ => None,
        })
        .collect()
}

async fn get_case(app: &TestApp, token: &str, id: &str, purpose: &str) -> pb::Case {
    inv(app)
        .await
        .get_case(authed(
            token,
            pb::GetCaseRequest {
                complaint_id: id.into(),
                purpose: purpose.into(),
            },
        ))
        .await
        .unwrap()
        .into_inner()
}

fn assign(
    id: &str,
    who: &[(&str, pb::OfficerFunction)],
    reason: &str,
) -> pb::AssignOfficersRequest {
    pb::AssignOfficersRequest {
        complaint_id: id.into(),
        assignees: who
            .iter()
            .map(|(s, f)| pb::Assignee {
                subject: (*s).into(),
                function: *f as i32,
            })
            .collect(),
        reason: reason.into(),
    }
}

fn interview(id: &str) -> pb::RecordInterviewRequest {
    pb::RecordInterviewRequest {
        complaint_id: id.into(),
        kind: pb::InterviewKind::Interview as i32,
        party: pb::PartyRole::Complainant as i32,
        channel: pb::ContactChannel::InPerson as i32,
        held_on: Some(today()),
        present: vec!["Ibu pelapor".into(), "Petugas UPTD".into()],
        summary: "Pelapor menjelaskan kronologi pemukulan oleh tetangga.".into(),
        intake_amendment: None,
    }
}

/// Assigns petugas-1 (case officer) and records a clarification: the minimum before S11.
async fn prepared(app: &TestApp, p: &People, id: &str) {
    let mut c = inv(app).await;
    c.assign_officers(authed(
        &p.kabid,
        assign(id, &[("petugas-1", pb::OfficerFunction::CaseOfficer)], ""),
    ))
    .await
    .unwrap();
    c.record_interview(authed(
        &p.officer,
        pb::RecordInterviewRequest {
            kind: pb::InterviewKind::Clarification as i32,
            ..interview(id)
        },
    ))
    .await
    .unwrap();
}

fn session(id: &str, kind: pb::SessionKind) -> pb::RecordSessionRequest {
    pb::RecordSessionRequest {
        complaint_id: id.into(),
        kind: kind as i32,
        held_on: Some(today()),
        topic_codes: vec![],
        parties: vec![
            pb::SessionParty {
                role: pb::PartyRole::Complainant as i32,
                name: "Ibu pelapor".into(),
                attended: true,
            },
            pb::SessionParty {
                role: pb::PartyRole::ReportedParty as i32,
                name: "Tetangga terlapor".into(),
                attended: true,
            },
        ],
        outcome: pb::SessionOutcome::NoAgreement as i32,
        agreement_terms: String::new(),
        summary: "Sesi berlangsung.".into(),
        next_session_on: None,
    }
}

async fn from_disposition_to_response(app: TestApp) {
    let p = people(&app);
    let mut c = inv(&app).await;
    // R2 unmet at registration: the reported party is not identified.
    let mut req = complete_request("inv-flow-1", Channel::WalkIn);
    req.reported_party = None;
    let id = disposed(&app, req, PPA).await;
    let s = wait_case(&app, &id, &p.kabid).await;
    assert_eq!(s.status, ComplaintStatus::InHandling as i32);
    assert_eq!(s.bidang_code, PPA);
    assert!(s.due_date.is_some(), "the disposition's due date");
    assert_eq!(s.response_version, 1);
    assert_eq!(s.eligibility, pb::EligibilityState::Undecided as i32);

    // Another Bidang, another office: NOT_FOUND; the complaints unit has no role here.
    for t in [&p.rehsos_head, &p.other_office] {
        let e = c
            .get_case(authed(
                t,
                pb::GetCaseRequest {
                    complaint_id: id.clone(),
                    purpose: "cek".into(),
                },
            ))
            .await
            .unwrap_err();
        assert_eq!(e.code(), Code::NotFound, "{e:?}");
    }
    let e = c
        .get_case(authed(
            &p.complaints,
            pb::GetCaseRequest {
                complaint_id: id.clone(),
                purpose: "cek".into(),
            },
        ))
        .await
        .unwrap_err();
    assert_eq!(e.code(), Code::PermissionDenied);
    // A purpose is required to read.
    let e = c
        .get_case(authed(
            &p.kabid,
            pb::GetCaseRequest {
                complaint_id: id.clone(),
                purpose: " ".into(),
            },
        ))
        .await
        .unwrap_err();
    assert_eq!(violations(&e), vec!["purpose"]);

    // S8 before assignment: out of order; only the Bidang head assigns.
    let e = c
        .record_interview(authed(&p.officer, interview(&id)))
        .await
        .unwrap_err();
    assert_eq!(e.code(), Code::FailedPrecondition, "{e:?}");
    let e = c
        .assign_officers(authed(
            &p.officer,
            assign(&id, &[("petugas-1", pb::OfficerFunction::CaseOfficer)], ""),
        ))
        .await
        .unwrap_err();
    assert_eq!(e.code(), Code::PermissionDenied);
    let e = c
        .assign_officers(authed(
            &p.kabid,
            pb::AssignOfficersRequest {
                complaint_id: id.clone(),
                assignees: vec![
                    pb::Assignee {
                        subject: "petugas 1".into(),
                        function: 0,
                    },
                    pb::Assignee {
                        subject: "petugas 1".into(),
                        function: 2,
                    },
                ],
                reason: String::new(),
            },
        ))
        .await
        .unwrap_err();
    assert_eq!(
        violations(&e),
        vec![
            "assignees[0].function",
            "assignees[0].subject",
            "assignees[1].subject",
            "assignees[1].subject"
        ]
    );
    c.assign_officers(authed(
        &p.kabid,
        assign(&id, &[("petugas-1", pb::OfficerFunction::CaseOfficer)], ""),
    ))
    .await
    .unwrap();
    let e = c
        .assign_officers(authed(
            &p.kabid,
            assign(&id, &[("petugas-1", pb::OfficerFunction::CaseOfficer)], ""),
        ))
        .await
        .unwrap_err();
    assert_eq!(e.code(), Code::AlreadyExists);
    let two = [
        ("petugas-1", pb::OfficerFunction::CaseOfficer),
        ("mediator-1", pb::OfficerFunction::Mediator),
    ];
    let e = c
        .assign_officers(authed(&p.kabid, assign(&id, &two, "")))
        .await
        .unwrap_err();
    assert_eq!(
        violations(&e),
        vec!["reason"],
        "a reassignment needs a reason"
    );
    let changed = c
        .assign_officers(authed(
            &p.kabid,
            assign(&id, &two, "Perlu mediasi dengan terlapor"),
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(changed.case.unwrap().assignees.len(), 2);

    // An officer of the Bidang who is not assigned may not record.
    let e = c
        .record_interview(authed(&p.unassigned, interview(&id)))
        .await
        .unwrap_err();
    assert_eq!(e.code(), Code::PermissionDenied);
    // Malformed input names every field.
    let e = c
        .record_interview(authed(
            &p.officer,
            pb::RecordInterviewRequest {
                kind: 0,
                party: pb::PartyRole::Officer as i32,
                held_on: Some(cpb::Date {
                    year: 2999,
                    month: 1,
                    day: 1,
                }),
                present: vec![],
                summary: String::new(),
                intake_amendment: Some(pb::IntakeAmendment::default()),
                ..interview(&id)
            },
        ))
        .await
        .unwrap_err();
    assert_eq!(
        violations(&e),
        vec![
            "held_on",
            "intake_amendment.patch",
            "intake_amendment.update_mask",
            "kind",
            "party",
            "present",
            "summary"
        ]
    );

    // S9: the interview identifies the reported party; intake is amended through its API.
    let r = c
        .record_interview(authed(
            &p.officer,
            pb::RecordInterviewRequest {
                intake_amendment: Some(pb::IntakeAmendment {
                    expected_revision: 1,
                    // A repeated path is one change (issue 13).
                    update_mask: Some(prost_types::FieldMask {
                        paths: vec!["reported_party".into(), "reported_party".into()],
                    }),
                    patch: Some(ipb::ComplaintPatch {
                        reported_party: Some(cpb::Person {
                            full_name: "Budi Santoso".into(),
                            description: "Tetangga depan rumah".into(),
                            ..Default::default()
                        }),
                        ..Default::default()
                    }),
                    reason: String::new(),
                }),
                ..interview(&id)
            },
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(r.intake_revision, 2);
    assert_eq!(r.amended_fields, vec!["reported_party"]);
    assert!(
        !r.unmet_requirements
            .contains(&(Requirement::R2Identity as i32))
    );
    let complaint = app
        .client()
        .await
        .get_complaint(authed(
            &p.complaints,
            ipb::GetComplaintRequest {
                complaint_id: id.clone(),
                revision: 0,
                purpose: "cek hasil wawancara S9".into(),
            },
        ))
        .await
        .unwrap()
        .into_inner()
        .complaint
        .unwrap();
    assert_eq!(complaint.revision, 2);
    assert!(complaint.unmet_requirements.is_empty(), "R1-R6 met now");
    // A stale revision is intake's FAILED_PRECONDITION, and nothing is recorded here.
    let e = c
        .record_interview(authed(
            &p.officer,
            pb::RecordInterviewRequest {
                intake_amendment: Some(pb::IntakeAmendment {
                    expected_revision: 1,
                    update_mask: Some(prost_types::FieldMask {
                        paths: vec!["content.chronology".into()],
                    }),
                    patch: Some(ipb::ComplaintPatch {
                        content: Some(ipb::ComplaintContent {
                            chronology: "Kronologi lengkap".into(),
                            ..Default::default()
                        }),
                        ..Default::default()
                    }),
                    reason: "S9".into(),
                }),
                ..interview(&id)
            },
        ))
        .await
        .unwrap_err();
    assert_eq!(e.code(), Code::FailedPrecondition, "{e:?}");

    // S11/S12 out of order: no eligibility decision yet.
    let e = c
        .record_session(authed(
            &p.mediator,
            session(&id, pb::SessionKind::Mediation),
        ))
        .await
        .unwrap_err();
    assert_eq!(e.code(), Code::FailedPrecondition);
    let draft = pb::DraftResponseRequest {
        complaint_id: id.clone(),
        text: "Dengan hormat, pengaduan Ibu telah kami tindak lanjuti dengan mediasi.".into(),
        outcome_code: "agreement_reached".into(),
    };
    let e = c
        .draft_response(authed(&p.officer, draft.clone()))
        .await
        .unwrap_err();
    assert_eq!(e.code(), Code::FailedPrecondition);

    // S11 eligibility: the Bidang head only.
    let qualifies = pb::DecideEligibilityRequest {
        complaint_id: id.clone(),
        qualifies: true,
        reason_code: String::new(),
        note: "Memenuhi syarat untuk ditindaklanjuti".into(),
    };
    let e = c
        .decide_eligibility(authed(&p.officer, qualifies.clone()))
        .await
        .unwrap_err();
    assert_eq!(e.code(), Code::PermissionDenied);
    let s = c
        .decide_eligibility(authed(&p.kabid, qualifies.clone()))
        .await
        .unwrap()
        .into_inner()
        .case
        .unwrap();
    assert_eq!(s.eligibility, pb::EligibilityState::Qualifies as i32);
    let e = c
        .decide_eligibility(authed(&p.kabid, qualifies))
        .await
        .unwrap_err();
    assert_eq!(e.code(), Code::AlreadyExists);

    // agreement_reached needs a session with an agreement.
    let e = c
        .draft_response(authed(&p.officer, draft.clone()))
        .await
        .unwrap_err();
    assert_eq!(e.code(), Code::FailedPrecondition);

    // S11 mediation: between two parties; an agreement needs its terms.
    let e = c
        .record_session(authed(
            &p.mediator,
            pb::RecordSessionRequest {
                parties: vec![session(&id, pb::SessionKind::Mediation).parties[0].clone()],
                outcome: pb::SessionOutcome::AgreementReached as i32,
                topic_codes: vec!["pengasuhan".into()],
                ..session(&id, pb::SessionKind::Mediation)
            },
        ))
        .await
        .unwrap_err();
    assert_eq!(
        violations(&e),
        vec!["agreement_terms", "parties", "topic_codes"]
    );
    let terms = "Terlapor meminta maaf dan berjanji tidak mengulangi; ganti biaya berobat.";
    c.record_session(authed(
        &p.mediator,
        pb::RecordSessionRequest {
            outcome: pb::SessionOutcome::AgreementReached as i32,
            agreement_terms: terms.into(),
            ..session(&id, pb::SessionKind::Mediation)
        },
    ))
    .await
    .unwrap();
    // PUSPAGA family counselling: topics from data/puspaga_services.csv.
    let counselling = pb::RecordSessionRequest {
        topic_codes: vec!["pengasuhan".into(), "konsultasi_konseling".into()],
        outcome: pb::SessionOutcome::Continued as i32,
        ..session(&id, pb::SessionKind::FamilyCounselling)
    };
    let e = c
        .record_session(authed(&p.officer, counselling.clone()))
        .await
        .unwrap_err();
    assert_eq!(violations(&e), vec!["next_session_on", "topic_codes[1]"]);
    c.record_session(authed(
        &p.officer,
        pb::RecordSessionRequest {
            topic_codes: vec!["pengasuhan".into(), "relasi_pasangan".into()],
            next_session_on: Some(today()),
            ..counselling
        },
    ))
    .await
    .unwrap();

    // S10 and notes.
    c.record_home_visit(authed(
        &p.officer,
        pb::RecordHomeVisitRequest {
            complaint_id: id.clone(),
            visited_on: Some(today()),
            location: "Desa Taddan".into(),
            present: vec!["Ibu pelapor".into()],
            findings: "Anak dalam keadaan baik, luka memar ringan.".into(),
        },
    ))
    .await
    .unwrap();
    c.record_coordination(authed(
        &p.officer,
        pb::RecordCoordinationRequest {
            complaint_id: id.clone(),
            agency: "Puskesmas Camplong".into(),
            channel: pb::ContactChannel::Phone as i32,
            held_on: Some(today()),
            summary: "Visum dijadwalkan.".into(),
        },
    ))
    .await
    .unwrap();
    c.add_case_note(authed(
        &p.mediator,
        pb::AddCaseNoteRequest {
            complaint_id: id.clone(),
            text: "Terlapor kooperatif.".into(),
        },
    ))
    .await
    .unwrap();

    // S12: draft, return with a reason, draft again, approve the latest only.
    let d1 = c
        .draft_response(authed(&p.officer, draft.clone()))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(d1.record_id, "1");
    let e = c
        .return_response(authed(
            &p.officer,
            pb::ReturnResponseRequest {
                complaint_id: id.clone(),
                revision: 1,
                reason: "x".into(),
            },
        ))
        .await
        .unwrap_err();
    assert_eq!(e.code(), Code::PermissionDenied);
    let returned = c
        .return_response(authed(
            &p.kabid,
            pb::ReturnResponseRequest {
                complaint_id: id.clone(),
                revision: 1,
                reason: "Sebutkan isi kesepakatan".into(),
            },
        ))
        .await
        .unwrap()
        .into_inner()
        .case
        .unwrap();
    assert_eq!(returned.response_state, pb::ResponseState::Returned as i32);
    let e = c
        .approve_response(authed(
            &p.kabid,
            pb::ApproveResponseRequest {
                complaint_id: id.clone(),
                revision: 1,
            },
        ))
        .await
        .unwrap_err();
    assert_eq!(e.code(), Code::FailedPrecondition, "a returned draft");
    let d2 = c
        .draft_response(authed(
            &p.officer,
            pb::DraftResponseRequest {
                text: format!("{} Kesepakatan: {terms}", draft.text),
                ..draft.clone()
            },
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(d2.record_id, "2");
    let approved = c
        .approve_response(authed(
            &p.kabid,
            pb::ApproveResponseRequest {
                complaint_id: id.clone(),
                revision: 2,
            },
        ))
        .await
        .unwrap()
        .into_inner()
        .case
        .unwrap();
    assert_eq!(approved.status, ComplaintStatus::ResponseReady as i32);
    assert_eq!(approved.response_state, pb::ResponseState::Approved as i32);
    // After approval the handling steps are out of order.
    let e = c
        .record_interview(authed(&p.officer, interview(&id)))
        .await
        .unwrap_err();
    assert_eq!(e.code(), Code::FailedPrecondition);

    // Events: every step, ids and codes only; ResponseApproved for feedback.
    let events = outbox(&app).await;
    let kinds = activities(&events, &id);
    for k in [
        HandlingActivityKind::CaseOpened,
        HandlingActivityKind::Assignment,
        HandlingActivityKind::Interview,
        HandlingActivityKind::Session,
        HandlingActivityKind::DataCollection,
        HandlingActivityKind::ResponseDrafted,
        HandlingActivityKind::ResponseReturned,
    ] {
        assert!(kinds.iter().any(|(x, _)| *x == k as i32), "{k:?} missing");
    }
    assert!(kinds.contains(&(
        HandlingActivityKind::Assignment as i32,
        "assignment.reassigned".into()
    )));
    let ok = events.iter().find_map(|(_, e)| match &e.detail {
        Some(Detail::ResponseApproved(a)) if e.complaint_id == id => Some(a.clone()),
        _ => None,
    });
    // The event names the complaint as the office does (for feedback's queue).
    let ok = ok.map(|mut a| {
        assert!(!a.registration_number.is_empty(), "{a:?}");
        a.registration_number.clear();
        a.category_code.clear();
        a
    });
    assert_eq!(
        ok,
        Some(ev::ResponseApproved {
            bidang_code: PPA.into(),
            version: 1,
            qualified: true,
            outcome_code: "agreement_reached".into(),
            ..Default::default()
        })
    );
    let mut seqs: Vec<i64> = events
        .iter()
        .filter(|(_, e)| e.complaint_id == id)
        .map(|(_, e)| e.sequence)
        .collect();
    let n = seqs.len() as i64;
    seqs.sort();
    assert_eq!(seqs, (1..=n).collect::<Vec<_>>(), "numbered in order");
    for (bytes, _) in &events {
        let text = String::from_utf8_lossy(bytes);
        for secret in [
            "Budi",
            "Ibu pelapor",
            "meminta maaf",
            "memar",
            "kooperatif",
            "Kesepakatan",
        ] {
            assert!(
                !text.contains(secret),
                "personal text in an event: {secret}"
            );
        }
    }

    // The full case, read with a purpose, holds the history.
    let case = get_case(&app, &p.kabid, &id, "Review jawaban S12").await;
    assert_eq!(case.assignments.len(), 2);
    assert!(case.assignments[0].superseded && !case.assignments[1].superseded);
    assert_eq!(case.assignments[1].reason, "Perlu mediasi dengan terlapor");
    let amended = case
        .interviews
        .iter()
        .find(|i| i.intake_revision == 2)
        .unwrap();
    assert_eq!(amended.amended_fields, vec!["reported_party"]);
    assert_eq!(case.sessions.len(), 2);
    assert_eq!(case.sessions[0].agreement_terms, terms);
    assert_eq!(
        case.sessions[1].topic_codes,
        vec!["pengasuhan", "relasi_pasangan"]
    );
    assert_eq!(case.responses.len(), 2);
    assert_eq!(case.responses[0].state, pb::ResponseState::Returned as i32);
    assert_eq!(case.responses[0].return_reason, "Sebutkan isi kesepakatan");
    assert_eq!(case.notes.len(), 1);
    assert_eq!(case.home_visits.len(), 1);
    assert_eq!(case.coordinations.len(), 1);
    let actions: Vec<&str> = case.history.iter().map(|h| h.action.as_str()).collect();
    for a in [
        "opened",
        "assigned",
        "reassigned",
        "interview",
        "eligibility",
        "session",
        "response_returned",
        "response_approved",
    ] {
        assert!(actions.contains(&a), "{a} not in the history");
    }
    // The Head of the office reads too (every Bidang).
    get_case(&app, &p.head, &id, "Pengawasan Kepala Dinas").await;

    // The access log: each read, with its purpose; head and Bidang head only.
    let log = c
        .list_access_log(authed(
            &p.kabid,
            pb::ListAccessLogRequest {
                complaint_id: id.clone(),
                ..Default::default()
            },
        ))
        .await
        .unwrap()
        .into_inner()
        .entries;
    let purposes: Vec<(&str, &str, &str)> = log
        .iter()
        .map(|e| {
            (
                e.actor.as_ref().unwrap().subject.as_str(),
                e.what.as_str(),
                e.purpose.as_str(),
            )
        })
        .collect();
    assert_eq!(
        purposes,
        vec![
            ("kadis", "case", "Pengawasan Kepala Dinas"),
            ("kabid-ppa", "case", "Review jawaban S12"),
        ]
    );
    let whole = c
        .list_access_log(authed(&p.head, pb::ListAccessLogRequest::default()))
        .await
        .unwrap()
        .into_inner()
        .entries;
    // The case reads, and the Head's reading of the case's log just before (issue 12).
    assert_eq!(whole.len(), 3, "{whole:?}");
    assert_eq!(whole.iter().filter(|e| e.what == "access_log").count(), 1);
    let e = c
        .list_access_log(authed(&p.officer, pb::ListAccessLogRequest::default()))
        .await
        .unwrap_err();
    assert_eq!(e.code(), Code::PermissionDenied);
    let e = c
        .list_access_log(authed(
            &p.rehsos_head,
            pb::ListAccessLogRequest {
                complaint_id: id.clone(),
                ..Default::default()
            },
        ))
        .await
        .unwrap_err();
    assert_eq!(e.code(), Code::NotFound);
    let none = c
        .list_access_log(authed(&p.rehsos_head, pb::ListAccessLogRequest::default()))
        .await
        .unwrap()
        .into_inner()
        .entries;
    assert!(none.is_empty(), "another Bidang's log is not shown");

    // S14 dissatisfied (an event from feedback): the case reopens for response version 2.
    let core = app.running.investigation.clone().unwrap();
    let feedback = LifecycleEvent {
        event_id: uuid::Uuid::now_v7().to_string(),
        complaint_id: id.clone(),
        office_code: OFFICE.into(),
        step: cpb::Step::S14Feedback as i32,
        occurred_at: Some(aduan_runtime::time::to_proto(jiff::Timestamp::now())),
        source_service: "feedback".into(),
        actor: None,
        trace: None,
        sequence: 99,
        status: ComplaintStatus::InHandling as i32,
        detail: Some(Detail::FeedbackRecorded(ev::FeedbackRecorded {
            satisfied: false,
            reopens: true,
            version: 1,
            grounds_code: "not_answered".into(),
        })),
    };
    let out = core
        .apply("feedback", vec![feedback.clone()])
        .await
        .unwrap();
    assert_eq!(out.applied, 1);
    let again = core.apply("feedback", vec![feedback]).await.unwrap();
    assert_eq!(again.duplicates, 1, "a redelivery changes nothing");
    let s = wait_case(&app, &id, &p.kabid).await;
    assert_eq!(s.status, ComplaintStatus::InHandling as i32);
    assert_eq!(s.response_version, 2);
    let events = outbox(&app).await;
    let reopened: Vec<_> = events
        .iter()
        .filter_map(|(_, e)| match &e.detail {
            Some(Detail::HandlingActivity(a))
                if e.complaint_id == id && a.kind == HandlingActivityKind::Reopened as i32 =>
            {
                Some(a.clone())
            }
            _ => None,
        })
        .collect();
    assert_eq!(reopened.len(), 1);
    assert_eq!(reopened[0].response_version, 2);
    // A new response version: drafted and approved again, the first one kept.
    let d3 = c
        .draft_response(authed(&p.officer, draft.clone()))
        .await
        .unwrap()
        .into_inner();
    c.approve_response(authed(
        &p.kabid,
        pb::ApproveResponseRequest {
            complaint_id: id.clone(),
            revision: d3.record_id.parse().unwrap(),
        },
    ))
    .await
    .unwrap();
    let versions: Vec<i32> = outbox(&app)
        .await
        .iter()
        .filter_map(|(_, e)| match &e.detail {
            Some(Detail::ResponseApproved(a)) if e.complaint_id == id => Some(a.version),
            _ => None,
        })
        .collect();
    assert_eq!(versions, vec![1, 2]);
    let case = get_case(&app, &p.kabid, &id, "Riwayat").await;
    assert_eq!(case.reopen_count, 1);
    assert_eq!(case.responses.len(), 3);
    assert!(case.history.iter().any(|h| h.action == "reopened"));
    app.running.shutdown().await.unwrap();
}
both!(from_disposition_to_response);

/// The size of a status as a client receives it: message and details.
fn answer_size(s: &tonic::Status) -> usize {
    s.message().len() + s.details().len()
}

/// Issue 13: an oversized list gets one short violation on the list, and none of its elements
/// is looked at (no violation per element, and an answer as small as for a short list).
async fn oversized_lists_get_one_violation(app: TestApp) {
    let p = people(&app);
    let mut c = inv(&app).await;
    let id = uuid::Uuid::now_v7().to_string();
    let many = 100_000;
    let e = c
        .assign_officers(authed(
            &p.kabid,
            pb::AssignOfficersRequest {
                complaint_id: id.clone(),
                assignees: vec![
                    // 2.5 MB: under the 4 MiB of a call that carries no file.
                    pb::Assignee {
                        subject: "x".repeat(20),
                        function: 0,
                    };
                    many
                ],
                reason: String::new(),
            },
        ))
        .await
        .unwrap_err();
    assert_eq!(e.code(), Code::InvalidArgument);
    assert_eq!(violations(&e), vec!["assignees"]);
    let br = e.get_error_details().bad_request().unwrap().clone();
    assert_eq!(br.field_violations[0].description, "at most 10");
    assert!(answer_size(&e) < 2_000, "{}", answer_size(&e));

    let e = c
        .list_cases(authed(
            &p.kabid,
            pb::ListCasesRequest {
                statuses: vec![ComplaintStatus::InHandling as i32; many],
                ..Default::default()
            },
        ))
        .await
        .unwrap_err();
    assert_eq!(violations(&e), vec!["statuses"]);
    assert!(answer_size(&e) < 2_000, "{}", answer_size(&e));
    // A few repeats of a status are one filter.
    c.list_cases(authed(
        &p.kabid,
        pb::ListCasesRequest {
            statuses: vec![ComplaintStatus::InHandling as i32; 3],
            ..Default::default()
        },
    ))
    .await
    .unwrap();

    let e = c
        .record_interview(authed(
            &p.officer,
            pb::RecordInterviewRequest {
                present: vec!["\u{7}".into(); many],
                intake_amendment: Some(pb::IntakeAmendment {
                    update_mask: Some(prost_types::FieldMask {
                        paths: vec!["Not A Path".into(); many],
                    }),
                    patch: Some(Default::default()),
                    ..Default::default()
                }),
                ..interview(&id)
            },
        ))
        .await
        .unwrap_err();
    assert_eq!(
        violations(&e),
        vec!["intake_amendment.update_mask.paths", "present"]
    );
    assert!(answer_size(&e) < 2_000, "{}", answer_size(&e));

    let e = c
        .record_home_visit(authed(
            &p.officer,
            pb::RecordHomeVisitRequest {
                complaint_id: id.clone(),
                present: vec![String::new(); many],
                ..Default::default()
            },
        ))
        .await
        .unwrap_err();
    assert!(violations(&e).contains(&"present".to_string()), "{e:?}");
    assert!(!violations(&e).iter().any(|f| f.starts_with("present[")));
    assert!(answer_size(&e) < 2_000, "{}", answer_size(&e));

    let e = c
        .record_session(authed(
            &p.mediator,
            pb::RecordSessionRequest {
                topic_codes: vec!["no_such_topic".into(); many],
                parties: vec![pb::SessionParty::default(); many],
                ..session(&id, pb::SessionKind::FamilyCounselling)
            },
        ))
        .await
        .unwrap_err();
    assert_eq!(violations(&e), vec!["parties", "topic_codes"]);
    assert!(answer_size(&e) < 2_000, "{}", answer_size(&e));

    let e = c
        .make_referral(authed(
            &p.officer,
            pb::MakeReferralRequest {
                complaint_id: id.clone(),
                service_codes: vec!["no_such_service".into(); many],
                ..Default::default()
            },
        ))
        .await
        .unwrap_err();
    let fields = violations(&e);
    assert!(fields.contains(&"service_codes".to_string()), "{fields:?}");
    assert!(!fields.iter().any(|f| f.starts_with("service_codes[")));
    assert!(answer_size(&e) < 2_000, "{}", answer_size(&e));
    app.running.shutdown().await.unwrap();
}

both!(oversized_lists_get_one_violation);

fn png_with_exif() -> Vec<u8> {
    fn chunk(kind: &[u8; 4], payload: &[u8]) -> Vec<u8> {
        let mut c = (payload.len() as u32).to_be_bytes().to_vec();
        c.extend_from_slice(kind);
        c.extend_from_slice(payload);
        c.extend_from_slice(&[0, 0, 0, 0]);
        c
    }
    let mut p = vec![0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A];
    p.extend(chunk(b"IHDR", &[0, 0, 0, 1, 0, 0, 0, 1, 8, 2, 0, 0, 0]));
    p.extend(chunk(b"eXIf", b"MM\0*GPSLatitude=-7.2000"));
    p.extend(chunk(b"IDAT", b"PNG-PIXELS"));
    p.extend(chunk(b"IEND", b""));
    p
}

fn evidence(id: &str, file: Option<pb::FileUpload>) -> pb::AddEvidenceRequest {
    pb::AddEvidenceRequest {
        complaint_id: id.into(),
        kind: pb::EvidenceKind::Photo as i32,
        source: pb::EvidenceSource::Officer as i32,
        source_detail: "Diambil saat kunjungan rumah".into(),
        collected_on: Some(today()),
        collected_by: String::new(),
        description: "Foto rumah korban".into(),
        file,
    }
}

async fn evidence_is_stripped_and_sealed(app: TestApp) {
    let p = people(&app);
    let mut c = inv(&app).await;
    let id = disposed(&app, complete_request("inv-ev-1", Channel::Phone), PPA).await;
    wait_case(&app, &id, &p.kabid).await;
    let jpeg = jpeg_with_gps();
    let upload = |name: &str, ct: &str, content: Vec<u8>| pb::FileUpload {
        file_name: name.into(),
        content_type: ct.into(),
        content,
    };
    // Before assignment: out of order.
    let e = c
        .add_evidence(authed(
            &p.officer,
            evidence(&id, Some(upload("rumah.jpg", "image/jpeg", jpeg.clone()))),
        ))
        .await
        .unwrap_err();
    assert_eq!(e.code(), Code::FailedPrecondition);
    prepared(&app, &p, &id).await;

    // Type checks: the declared type must be accepted and match the bytes.
    let e = c
        .add_evidence(authed(
            &p.officer,
            evidence(
                &id,
                Some(upload("x.exe", "application/x-msdownload", b"MZ".to_vec())),
            ),
        ))
        .await
        .unwrap_err();
    assert_eq!(violations(&e), vec!["file.content_type"]);
    let e = c
        .add_evidence(authed(
            &p.officer,
            evidence(&id, Some(upload("rumah.png", "image/png", jpeg.clone()))),
        ))
        .await
        .unwrap_err();
    assert_eq!(violations(&e), vec!["file.content"]);
    let mut broken = jpeg.clone();
    broken.truncate(30);
    let e = c
        .add_evidence(authed(
            &p.officer,
            evidence(&id, Some(upload("rusak.jpg", "image/jpeg", broken))),
        ))
        .await
        .unwrap_err();
    assert_eq!(violations(&e), vec!["file.content"]);

    // A JPEG with GPS: stored without its Exif, encrypted on disk.
    let added = c
        .add_evidence(authed(
            &p.officer,
            evidence(&id, Some(upload("rumah.jpg", "image/jpeg", jpeg.clone()))),
        ))
        .await
        .unwrap()
        .into_inner();
    let ev_id = added.record_id.clone();
    let got = c
        .get_evidence_file(authed(
            &p.kabid,
            pb::GetEvidenceFileRequest {
                complaint_id: id.clone(),
                evidence_id: ev_id.clone(),
                purpose: "Verifikasi bukti S10".into(),
            },
        ))
        .await
        .unwrap()
        .into_inner();
    let text = String::from_utf8_lossy(&got.content).to_string();
    assert!(
        !text.contains("Exif") && !text.contains("GPS"),
        "location data removed"
    );
    assert!(text.contains("PIXELS-OF-THE-VICTIMS-HOUSE") && text.contains("JFIF"));
    assert!(got.content.starts_with(&[0xFF, 0xD8]) && got.content.ends_with(&[0xFF, 0xD9]));
    let info = got.info.unwrap();
    assert!(info.metadata_removed);
    assert_eq!(info.size_bytes, got.content.len() as i64);
    assert_eq!(info.content_type, "image/jpeg");
    let on_disk = std::fs::read(
        app.data_dir
            .join("evidence")
            .join(OFFICE)
            .join(&id)
            .join(&ev_id),
    )
    .unwrap();
    let disk = String::from_utf8_lossy(&on_disk);
    assert!(!disk.contains("PIXELS-OF-THE-VICTIMS-HOUSE") && !disk.contains("JFIF"));
    assert!(
        on_disk
            .windows(got.content.len().min(16))
            .all(|w| w != &got.content[..w.len()])
    );
    // Sealed with the case's own data key (docs/privacy.md): without that key the file does not
    // open (crypto-shredding), and the answer quotes nothing of it.
    assert_eq!(on_disk[0], 0xA2);
    let inv_db = {
        let d = app.config.database("investigation").unwrap();
        aduan_runtime::db::Database::connect(&d.url(&app.config, "investigation"), 2)
            .await
            .unwrap()
    };
    let swap_key = |key: Option<Vec<u8>>| {
        let (db, id) = (inv_db.clone(), id.clone());
        async move {
            let sql = "UPDATE cases SET data_key = $1 WHERE complaint_id = $2";
            match &db {
                aduan_runtime::db::Database::Postgres(p) => sqlx::query(sql)
                    .bind(key)
                    .bind(id)
                    .execute(p)
                    .await
                    .map(|_| ()),
                aduan_runtime::db::Database::Sqlite(p) => sqlx::query(sql)
                    .bind(key)
                    .bind(id)
                    .execute(p)
                    .await
                    .map(|_| ()),
            }
            .unwrap()
        }
    };
    let kept: Option<Vec<u8>> = {
        let sql = "SELECT data_key FROM cases WHERE complaint_id = $1";
        match &inv_db {
            aduan_runtime::db::Database::Postgres(p) => {
                sqlx::query_scalar(sql).bind(&id).fetch_one(p).await
            }
            aduan_runtime::db::Database::Sqlite(p) => {
                sqlx::query_scalar(sql).bind(&id).fetch_one(p).await
            }
        }
        .unwrap()
    };
    assert!(kept.is_some());
    swap_key(None).await;
    let file_req = pb::GetEvidenceFileRequest {
        complaint_id: id.clone(),
        evidence_id: ev_id.clone(),
        purpose: "Verifikasi bukti S10".into(),
    };
    let e = c
        .get_evidence_file(authed(&p.kabid, file_req))
        .await
        .unwrap_err();
    assert_eq!(e.code(), Code::Internal);
    assert!(!e.message().contains("PIXELS"));
    // (A refused read is not in the access log; the log's checks below count the reads.)
    swap_key(kept).await;
    inv_db.close().await;

    // A phone video whose udta box carries where it was recorded, and an MP3 with ID3 tags
    // (issue 12): stored without them, the video's size and offsets unchanged.
    let boxed = |kind: &[u8; 4], payload: &[u8]| {
        let mut b = ((payload.len() + 8) as u32).to_be_bytes().to_vec();
        b.extend_from_slice(kind);
        b.extend_from_slice(payload);
        b
    };
    let location = boxed(b"\xa9xyz", b"+07.2012+113.2445/");
    let video = [
        boxed(b"ftyp", b"mp42\0\0\0\0mp42isom"),
        boxed(
            b"moov",
            &[boxed(b"mvhd", &[0; 100]), boxed(b"udta", &location)].concat(),
        ),
        boxed(b"mdat", b"FRAMES-OF-THE-INTERVIEW"),
    ]
    .concat();
    let mut id3 = b"ID3\x04\x00\x00\x00\x00\x00\x20".to_vec();
    id3.extend_from_slice(b"TIT2 Wawancara di rumah korban  ");
    let audio = [id3, vec![0xFF, 0xFB, 0x90, 0x64], b"AUDIO-FRAMES".to_vec()].concat();
    for (name, kind, content, gone, kept) in [
        (
            "wawancara.mp4",
            "video/mp4",
            video.clone(),
            "+07.2012",
            "FRAMES-OF-THE-INTERVIEW",
        ),
        (
            "wawancara.mp3",
            "audio/mpeg",
            audio,
            "Wawancara di rumah",
            "AUDIO-FRAMES",
        ),
    ] {
        let added = c
            .add_evidence(authed(
                &p.officer,
                evidence(&id, Some(upload(name, kind, content.clone()))),
            ))
            .await
            .unwrap()
            .into_inner();
        let got = c
            .get_evidence_file(authed(
                &p.kabid,
                pb::GetEvidenceFileRequest {
                    complaint_id: id.clone(),
                    evidence_id: added.record_id,
                    purpose: "Verifikasi rekaman".into(),
                },
            ))
            .await
            .unwrap()
            .into_inner();
        let text = String::from_utf8_lossy(&got.content).to_string();
        assert!(!text.contains(gone) && text.contains(kept), "{name}");
        assert!(got.info.unwrap().metadata_removed, "{name}");
        if kind == "video/mp4" {
            assert_eq!(got.content.len(), video.len());
        }
    }

    // A PNG with an eXIf chunk.
    // A phone photo: an MPF index, and a second image with its own GPS Exif after the end of
    // the main image (a gain map), then a vendor trailer: all of it goes.
    let mut phone = jpeg_with_gps();
    let tables = phone.windows(2).position(|w| w == [0xFF, 0xDB]).unwrap();
    phone.splice(
        tables..tables,
        segment(0xE2, b"MPF\0MM\0*\0\0\0\x08MPF-INDEX-OF-THE-GAIN-MAP"),
    );
    let main_end = phone.len();
    let pixels = b"PIXELS-OF-THE-VICTIMS-HOUSE";
    let gain_map: Vec<u8> = {
        let g = jpeg_with_gps();
        let at = g.windows(pixels.len()).position(|w| w == pixels).unwrap();
        [
            &g[..at],
            b"GAIN-MAP-OF-THE-MAIN-IMAGE!",
            &g[at + pixels.len()..],
        ]
        .concat()
    };
    phone.extend_from_slice(&gain_map);
    phone.extend_from_slice(b"SEFHGPSLongitude=113.2500");
    let multi = c
        .add_evidence(authed(
            &p.officer,
            evidence(&id, Some(upload("hp.jpg", "image/jpeg", phone.clone()))),
        ))
        .await
        .unwrap()
        .into_inner()
        .record_id;
    let got = c
        .get_evidence_file(authed(
            &p.officer,
            pb::GetEvidenceFileRequest {
                complaint_id: id.clone(),
                evidence_id: multi.clone(),
                purpose: "Cek foto HP".into(),
            },
        ))
        .await
        .unwrap()
        .into_inner();
    let text = String::from_utf8_lossy(&got.content).to_string();
    assert!(
        !text.contains("GPS") && !text.contains("MPF") && !text.contains("Exif"),
        "no location in the stored photo: {text}"
    );
    assert!(!text.contains("GAIN-MAP"), "the appended image is gone");
    assert!(text.contains("PIXELS-OF-THE-VICTIMS-HOUSE"));
    assert!(got.content.ends_with(&[b'E', 0xFF, 0xD9]));
    assert!(got.content.len() < main_end);
    assert!(got.info.unwrap().metadata_removed);

    let png = c
        .add_evidence(authed(
            &p.officer,
            evidence(&id, Some(upload("layar.png", "image/png", png_with_exif()))),
        ))
        .await
        .unwrap()
        .into_inner()
        .record_id;
    let got = c
        .get_evidence_file(authed(
            &p.officer,
            pb::GetEvidenceFileRequest {
                complaint_id: id.clone(),
                evidence_id: png.clone(),
                purpose: "Lampiran laporan".into(),
            },
        ))
        .await
        .unwrap()
        .into_inner();
    let text = String::from_utf8_lossy(&got.content);
    assert!(!text.contains("GPS") && text.contains("PNG-PIXELS"));
    // Evidence without a file: metadata only; its download is NOT_FOUND.
    let bare = c
        .add_evidence(authed(
            &p.officer,
            pb::AddEvidenceRequest {
                kind: pb::EvidenceKind::Statement as i32,
                source: pb::EvidenceSource::Witness as i32,
                description: "Surat pernyataan saksi (asli di arsip)".into(),
                ..evidence(&id, None)
            },
        ))
        .await
        .unwrap()
        .into_inner()
        .record_id;
    let e = c
        .get_evidence_file(authed(
            &p.officer,
            pb::GetEvidenceFileRequest {
                complaint_id: id.clone(),
                evidence_id: bare,
                purpose: "cek".into(),
            },
        ))
        .await
        .unwrap_err();
    assert_eq!(e.code(), Code::NotFound);
    // Another Bidang does not see the file; a purpose is required.
    let e = c
        .get_evidence_file(authed(
            &p.rehsos_head,
            pb::GetEvidenceFileRequest {
                complaint_id: id.clone(),
                evidence_id: ev_id.clone(),
                purpose: "cek".into(),
            },
        ))
        .await
        .unwrap_err();
    assert_eq!(e.code(), Code::NotFound);
    let e = c
        .get_evidence_file(authed(
            &p.kabid,
            pb::GetEvidenceFileRequest {
                complaint_id: id.clone(),
                evidence_id: ev_id.clone(),
                purpose: String::new(),
            },
        ))
        .await
        .unwrap_err();
    assert_eq!(violations(&e), vec!["purpose"]);

    // Each download is in the access log, newest first.
    let log = c
        .list_access_log(authed(
            &p.kabid,
            pb::ListAccessLogRequest {
                complaint_id: id.clone(),
                ..Default::default()
            },
        ))
        .await
        .unwrap()
        .into_inner()
        .entries;
    let whats: Vec<(String, String, String)> = log
        .iter()
        .filter(|e| e.purpose != "Verifikasi rekaman")
        .map(|e| {
            (
                e.actor.clone().unwrap().subject,
                e.what.clone(),
                e.purpose.clone(),
            )
        })
        .collect();
    assert_eq!(
        whats,
        vec![
            (
                "petugas-1".to_string(),
                format!("evidence:{png}"),
                "Lampiran laporan".to_string()
            ),
            (
                "petugas-1".to_string(),
                format!("evidence:{multi}"),
                "Cek foto HP".to_string()
            ),
            (
                "kabid-ppa".to_string(),
                format!("evidence:{ev_id}"),
                "Verifikasi bukti S10".to_string()
            ),
        ]
    );
    // The file's metadata is in the case (read with a purpose).
    let case = get_case(&app, &p.officer, &id, "Cek bukti").await;
    let stored = case.evidence.iter().find(|e| e.id == ev_id).unwrap();
    assert_eq!(stored.file.as_ref().unwrap().file_name, "rumah.jpg");
    assert_eq!(stored.collected_by, "petugas-1");
    app.running.shutdown().await.unwrap();
}
both!(evidence_is_stripped_and_sealed);

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn evidence_larger_than_the_limit_is_refused() {
    let dir = common::temp_dir();
    let mut config = common::config(&dir, "");
    config.investigation.max_file_bytes = 1000;
    let app = common::start_with(config).await;
    let p = people(&app);
    let mut c = inv(&app).await;
    let id = disposed(&app, complete_request("inv-big-1", Channel::WalkIn), PPA).await;
    wait_case(&app, &id, &p.kabid).await;
    prepared(&app, &p, &id).await;
    let mut pdf = b"%PDF-1.7\n".to_vec();
    pdf.resize(1001, b' ');
    let e = c
        .add_evidence(authed(
            &p.officer,
            evidence(
                &id,
                Some(pb::FileUpload {
                    file_name: "besar.pdf".into(),
                    content_type: "application/pdf".into(),
                    content: pdf.clone(),
                }),
            ),
        ))
        .await
        .unwrap_err();
    assert_eq!(violations(&e), vec!["file.content"]);
    pdf.truncate(1000);
    c.add_evidence(authed(
        &p.officer,
        evidence(
            &id,
            Some(pb::FileUpload {
                file_name: "pas.pdf".into(),
                content_type: "application/pdf".into(),
                content: pdf.clone(),
            }),
        ),
    ))
    .await
    .unwrap();

    // UploadEvidence (issue 12): the evidence, then its content in chunks; the same limit, met
    // while the chunks arrive.
    use pb::upload_evidence_request::Part;
    let parts = |file: &str, content: &[u8], chunk: usize| {
        let mut head = evidence(
            &id,
            Some(pb::FileUpload {
                file_name: file.into(),
                content_type: "application/pdf".into(),
                content: Vec::new(),
            }),
        );
        head.description = format!("Unggahan {file}");
        let mut v = vec![pb::UploadEvidenceRequest {
            part: Some(Part::Evidence(head)),
        }];
        for c in content.chunks(chunk) {
            v.push(pb::UploadEvidenceRequest {
                part: Some(Part::Chunk(c.to_vec())),
            });
        }
        v
    };
    let done = c
        .upload_evidence(authed(
            &p.officer,
            tokio_stream::iter(parts("unggah.pdf", &pdf, 300)),
        ))
        .await
        .unwrap()
        .into_inner();
    assert!(!done.record_id.is_empty());
    let mut big = pdf.clone();
    big.push(b' ');
    let e = c
        .upload_evidence(authed(
            &p.officer,
            tokio_stream::iter(parts("besar.pdf", &big, 300)),
        ))
        .await
        .unwrap_err();
    assert_eq!(violations(&e), vec!["file.content"]);
    // The content belongs in the chunks; the first message must be the evidence.
    let mut inline = parts("x.pdf", &pdf, 300);
    if let Some(Part::Evidence(h)) = inline[0].part.as_mut() {
        h.file.as_mut().unwrap().content = pdf.clone();
    }
    let e = c
        .upload_evidence(authed(&p.officer, tokio_stream::iter(inline)))
        .await
        .unwrap_err();
    assert_eq!(violations(&e), vec!["evidence.file.content"]);
    let e = c
        .upload_evidence(authed(
            &p.officer,
            tokio_stream::iter(vec![pb::UploadEvidenceRequest {
                part: Some(Part::Chunk(pdf.clone())),
            }]),
        ))
        .await
        .unwrap_err();
    assert_eq!(violations(&e), vec!["evidence"]);
    // Chunks carry bytes (issue 13): an empty one ends the upload at once.
    let mut empty = parts("kosong.pdf", &pdf, 300);
    empty.insert(
        1,
        pb::UploadEvidenceRequest {
            part: Some(Part::Chunk(Vec::new())),
        },
    );
    let e = c
        .upload_evidence(authed(&p.officer, tokio_stream::iter(empty)))
        .await
        .unwrap_err();
    assert_eq!(violations(&e), vec!["chunk"]);
    // Only the calls that carry a file are decoded up to 64 MiB; any other request of 5 MiB is
    // refused before a handler sees it.
    let huge = pb::AddCaseNoteRequest {
        complaint_id: id.clone(),
        text: "x".repeat(5 * 1024 * 1024),
    };
    let e = c.add_case_note(authed(&p.officer, huge)).await.unwrap_err();
    assert_eq!(e.code(), tonic::Code::OutOfRange, "{e:?}");

    // At most four uploads at once: a fifth, while four are still sending, is told to come back.
    let mut open = Vec::new();
    for i in 0..4 {
        let (tx, rx) = tokio::sync::mpsc::channel::<pb::UploadEvidenceRequest>(4);
        for m in parts(&format!("lambat-{i}.pdf"), &pdf[..10], 10) {
            tx.send(m).await.unwrap();
        }
        let mut c2 = c.clone();
        let token = p.officer.clone();
        let call = tokio::spawn(async move {
            c2.upload_evidence(authed(
                &token,
                tokio_stream::wrappers::ReceiverStream::new(rx),
            ))
            .await
        });
        open.push((tx, call));
    }
    // Let the four reach the server first (a fifth racing them could take one's place).
    tokio::time::sleep(Duration::from_millis(500)).await;
    let mut refused = None;
    for _ in 0..200 {
        match c
            .upload_evidence(authed(
                &p.officer,
                tokio_stream::iter(parts("kelima.pdf", &pdf, 300)),
            ))
            .await
        {
            Err(e) if e.code() == Code::ResourceExhausted => {
                refused = Some(e);
                break;
            }
            // The four may not all have started yet.
            _ => tokio::time::sleep(Duration::from_millis(10)).await,
        }
    }
    assert!(refused.is_some(), "a fifth upload was not refused");
    // The slow four finish; their files are whole.
    for (tx, call) in open {
        for m in parts("rest", &pdf[10..], 500).into_iter().skip(1) {
            tx.send(m).await.unwrap();
        }
        drop(tx);
        call.await.unwrap().unwrap();
    }
    app.running.shutdown().await.unwrap();
}

fn consent(
    id: &str,
    child: bool,
    giver: pb::ConsentGiver,
    perpetrator: bool,
) -> pb::RecordConsentRequest {
    pb::RecordConsentRequest {
        complaint_id: id.into(),
        subject_role: pb::PartyRole::Victim as i32,
        subject_name: "Korban".into(),
        subject_is_child: child,
        giver: giver as i32,
        giver_name: if giver == pb::ConsentGiver::ThePerson {
            String::new()
        } else {
            "Orang tua korban".into()
        },
        giver_is_alleged_perpetrator: perpetrator,
        form: pb::ConsentForm::Written as i32,
        given_on: Some(today()),
    }
}

fn referral(id: &str, agency: &str, age: &str, consent_id: &str) -> pb::MakeReferralRequest {
    pb::MakeReferralRequest {
        complaint_id: id.into(),
        agency: agency.into(),
        agency_name: "UPTD PPA Kabupaten Sampang".into(),
        violence_type_code: "fisik".into(),
        place_code: "rumah_tangga".into(),
        relationship_code: "tetangga".into(),
        age_band_code: age.into(),
        service_codes: vec!["kesehatan".into(), "rehabilitasi_sosial".into()],
        reason: "Kekerasan fisik; perlu pendampingan".into(),
        consent_id: consent_id.into(),
        override_reason: String::new(),
    }
}

async fn referrals_need_valid_consent(app: TestApp) {
    let p = people(&app);
    let mut c = inv(&app).await;
    let id = disposed(&app, complete_request("inv-ref-1", Channel::WalkIn), PPA).await;
    wait_case(&app, &id, &p.kabid).await;
    prepared(&app, &p, &id).await;

    // Refused referral without consent (and without an override).
    let e = c
        .make_referral(authed(&p.officer, referral(&id, "uptd_ppa", "25-44", "")))
        .await
        .unwrap_err();
    assert_eq!(e.code(), Code::FailedPrecondition, "{e:?}");
    // SIMFONI-PPA codes are checked against the taxonomy file.
    let e = c
        .make_referral(authed(
            &p.officer,
            pb::MakeReferralRequest {
                violence_type_code: "tetangga".into(),
                place_code: "pasar".into(),
                age_band_code: "dewasa".into(),
                service_codes: vec!["visum".into()],
                ..referral(&id, "UPTD PPA", "25-44", "")
            },
        ))
        .await
        .unwrap_err();
    assert_eq!(
        violations(&e),
        vec![
            "age_band_code",
            "agency",
            "place_code",
            "service_codes[0]",
            "violence_type_code"
        ]
    );

    // An adult's own consent supports a referral.
    let adult = c
        .record_consent(authed(
            &p.officer,
            consent(&id, false, pb::ConsentGiver::ThePerson, false),
        ))
        .await
        .unwrap()
        .into_inner()
        .record_id;
    let first = c
        .make_referral(authed(
            &p.officer,
            referral(&id, "uptd_ppa", "25-44", &adult),
        ))
        .await
        .unwrap()
        .into_inner()
        .record_id;
    let e = c
        .make_referral(authed(
            &p.officer,
            referral(&id, "uptd_ppa", "25-44", &adult),
        ))
        .await
        .unwrap_err();
    assert_eq!(e.code(), Code::AlreadyExists);
    // The same consent does not cover a child (by the age band): a parent or guardian must consent.
    let e = c
        .make_referral(authed(
            &p.officer,
            referral(&id, "polres_ppa", "13-17", &adult),
        ))
        .await
        .unwrap_err();
    assert_eq!(e.code(), Code::FailedPrecondition);
    let e = c
        .record_consent(authed(
            &p.officer,
            consent(&id, false, pb::ConsentGiver::ThePerson, false),
        ))
        .await
        .unwrap_err();
    assert_eq!(e.code(), Code::AlreadyExists, "the same consent twice");
    let child_alone = c
        .record_consent(authed(
            &p.officer,
            consent(&id, true, pb::ConsentGiver::ThePerson, false),
        ))
        .await
        .unwrap()
        .into_inner()
        .record_id;
    let e = c
        .make_referral(authed(
            &p.officer,
            referral(&id, "polres_ppa", "13-17", &child_alone),
        ))
        .await
        .unwrap_err();
    assert_eq!(e.code(), Code::FailedPrecondition);
    let guardian = c
        .record_consent(authed(
            &p.officer,
            consent(&id, true, pb::ConsentGiver::Guardian, false),
        ))
        .await
        .unwrap()
        .into_inner()
        .record_id;
    let second = c
        .make_referral(authed(
            &p.officer,
            referral(&id, "polres_ppa", "13-17", &guardian),
        ))
        .await
        .unwrap()
        .into_inner()
        .record_id;
    // Refused when the alleged perpetrator "consents".
    let perpetrator = c
        .record_consent(authed(
            &p.officer,
            consent(&id, true, pb::ConsentGiver::Parent, true),
        ))
        .await
        .unwrap()
        .into_inner()
        .record_id;
    let e = c
        .make_referral(authed(
            &p.officer,
            referral(&id, "rsud_sampang", "6-12", &perpetrator),
        ))
        .await
        .unwrap_err();
    assert_eq!(e.code(), Code::FailedPrecondition);
    assert!(e.message().contains("perpetrator"), "{}", e.message());
    let e = c
        .make_referral(authed(
            &p.officer,
            referral(&id, "rsud_sampang", "6-12", "no-such-consent"),
        ))
        .await
        .unwrap_err();
    assert_eq!(e.code(), Code::FailedPrecondition);
    // An override needs an authorised role and a reason.
    let overridden = pb::MakeReferralRequest {
        override_reason: "Anak dalam bahaya; orang tua adalah terduga pelaku".into(),
        ..referral(&id, "rsud_sampang", "6-12", "")
    };
    let e = c
        .make_referral(authed(&p.officer, overridden.clone()))
        .await
        .unwrap_err();
    assert_eq!(e.code(), Code::PermissionDenied);
    let e = c
        .make_referral(authed(
            &p.kabid,
            pb::MakeReferralRequest {
                consent_id: guardian.clone(),
                ..overridden.clone()
            },
        ))
        .await
        .unwrap_err();
    assert_eq!(violations(&e), vec!["override_reason"]);
    let third = c
        .make_referral(authed(&p.kabid, overridden))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(third.case.unwrap().pending_referrals, 3);

    // Only the person referred consents: a witness's consent is not taken at all.
    let e = c
        .record_consent(authed(
            &p.officer,
            pb::RecordConsentRequest {
                subject_role: pb::PartyRole::Witness as i32,
                ..consent(&id, false, pb::ConsentGiver::ThePerson, false)
            },
        ))
        .await
        .unwrap_err();
    assert_eq!(violations(&e), vec!["subject_role"]);
    // A parent does not consent for an adult.
    let parent_of_adult = c
        .record_consent(authed(
            &p.officer,
            consent(&id, false, pb::ConsentGiver::Parent, false),
        ))
        .await
        .unwrap()
        .into_inner()
        .record_id;
    let e = c
        .make_referral(authed(
            &p.officer,
            referral(&id, "dinkes", "25-44", &parent_of_adult),
        ))
        .await
        .unwrap_err();
    assert_eq!(e.code(), Code::FailedPrecondition);
    assert!(e.message().contains("adult"), "{}", e.message());
    // A guardian's consent does not support a referral that names a parent or the family as the
    // alleged perpetrator: only an override refers then.
    for relation in ["orang_tua", "keluarga_saudara"] {
        let e = c
            .make_referral(authed(
                &p.officer,
                pb::MakeReferralRequest {
                    relationship_code: relation.into(),
                    ..referral(&id, "dinkes", "6-12", &guardian)
                },
            ))
            .await
            .unwrap_err();
        assert_eq!(e.code(), Code::FailedPrecondition);
        assert!(e.message().contains(relation), "{}", e.message());
    }

    // The receiving side answers: the partner agency of the office, or an officer for it.
    let answer = |referral_id: &str, accepted: bool| pb::AnswerReferralRequest {
        complaint_id: id.clone(),
        referral_id: referral_id.into(),
        accepted,
        reason_code: if accepted {
            String::new()
        } else {
            "outside_mandate".into()
        },
        note: "Diterima oleh manajer kasus".into(),
        agency_reference: "PPA/2026/117".into(),
    };
    let a = c
        .answer_referral(authed(&p.partner, answer(&first, true)))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(a.state, pb::ReferralState::Accepted as i32);
    assert_eq!(a.agency, "uptd_ppa");
    let e = c
        .answer_referral(authed(&p.partner, answer(&first, true)))
        .await
        .unwrap_err();
    assert_eq!(e.code(), Code::AlreadyExists);
    let other_partner = tok(&app, "polres_ppa", Role::PartnerAgency, "35.26", None);
    let e = c
        .answer_referral(authed(&other_partner, answer(&second, true)))
        .await
        .unwrap_err();
    assert_eq!(e.code(), Code::NotFound);
    // A partner of the office answers only the referrals made to its own agency (its token
    // subject): the UPTD PPA cannot answer the Polres referral, the Polres not the RSUD one.
    let e = c
        .answer_referral(authed(&p.partner, answer(&second, true)))
        .await
        .unwrap_err();
    assert_eq!(e.code(), Code::NotFound);
    let polres = tok(&app, "polres_ppa", Role::PartnerAgency, OFFICE, None);
    let e = c
        .answer_referral(authed(&polres, answer(&third.record_id, true)))
        .await
        .unwrap_err();
    assert_eq!(e.code(), Code::NotFound);
    let e = c
        .answer_referral(authed(&p.partner, answer("no-such-referral", true)))
        .await
        .unwrap_err();
    assert_eq!(e.code(), Code::NotFound);
    let r = c
        .answer_referral(authed(&p.officer, answer(&second, false)))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(r.state, pb::ReferralState::Rejected as i32);
    // A partner agency has no read of the case.
    let e = c
        .get_case(authed(
            &p.partner,
            pb::GetCaseRequest {
                complaint_id: id.clone(),
                purpose: "x".into(),
            },
        ))
        .await
        .unwrap_err();
    assert_eq!(e.code(), Code::PermissionDenied);

    let events = outbox(&app).await;
    let made: Vec<ev::ReferralMade> = events
        .iter()
        .filter_map(|(_, e)| match &e.detail {
            Some(Detail::ReferralMade(r)) if e.complaint_id == id => Some(r.clone()),
            _ => None,
        })
        .collect();
    assert_eq!(made.len(), 3);
    assert_eq!(
        made.iter().map(|m| m.consent_recorded).collect::<Vec<_>>(),
        vec![true, true, false]
    );
    assert_eq!(made[1].age_band_code, "13-17");
    assert_eq!(
        made[0].service_codes,
        vec!["kesehatan", "rehabilitasi_sosial"]
    );
    let answered: Vec<(String, bool)> = events
        .iter()
        .filter_map(|(_, e)| match &e.detail {
            Some(Detail::ReferralAnswered(r)) => Some((r.referral_id.clone(), r.accepted)),
            _ => None,
        })
        .collect();
    assert_eq!(answered, vec![(first, true), (second, false)]);
    for (bytes, _) in &events {
        let t = String::from_utf8_lossy(bytes);
        assert!(!t.contains("Orang tua korban") && !t.contains("terduga pelaku"));
    }
    let case = get_case(&app, &p.kabid, &id, "Review rujukan").await;
    assert_eq!(case.consents.len(), 5);
    assert!(case.consents[3].giver_is_alleged_perpetrator);
    assert_eq!(
        case.referrals[2].override_reason,
        "Anak dalam bahaya; orang tua adalah terduga pelaku"
    );
    assert_eq!(
        case.referrals[0].answer.as_ref().unwrap().agency_reference,
        "PPA/2026/117"
    );
    app.running.shutdown().await.unwrap();
}
both!(referrals_need_valid_consent);

async fn not_qualified_after_a_move(app: TestApp) {
    let p = people(&app);
    let mut c = inv(&app).await;
    let mut t = TriageServiceClient::new(app.channel().await);
    let id = disposed(
        &app,
        complete_request("inv-move-1", Channel::Email),
        "rehsos",
    )
    .await;
    let s = wait_case(&app, &id, &p.rehsos_head).await;
    assert_eq!(s.bidang_code, "rehsos");
    c.assign_officers(authed(
        &p.rehsos_head,
        assign(&id, &[("peksos-1", pb::OfficerFunction::SocialWorker)], ""),
    ))
    .await
    .unwrap();
    // The first Bidang gets as far as a draft waiting for review.
    c.record_interview(authed(
        &p.rehsos_head,
        pb::RecordInterviewRequest {
            kind: pb::InterviewKind::Clarification as i32,
            ..interview(&id)
        },
    ))
    .await
    .unwrap();
    c.decide_eligibility(authed(
        &p.rehsos_head,
        pb::DecideEligibilityRequest {
            complaint_id: id.clone(),
            qualifies: true,
            ..Default::default()
        },
    ))
    .await
    .unwrap();
    c.draft_response(authed(
        &p.rehsos_head,
        pb::DraftResponseRequest {
            complaint_id: id.clone(),
            text: "Jawaban Bidang Rehsos".into(),
            outcome_code: "assistance_provided".into(),
        },
    ))
    .await
    .unwrap();
    // The PPA Bidang does not see it yet.
    let e = c
        .get_case(authed(
            &p.kabid,
            pb::GetCaseRequest {
                complaint_id: id.clone(),
                purpose: "cek".into(),
            },
        ))
        .await
        .unwrap_err();
    assert_eq!(e.code(), Code::NotFound);
    // The Head changes the disposition: the unanswered case moves, officers released.
    t.issue_disposition(authed(
        &p.head,
        tpb::IssueDispositionRequest {
            complaint_id: id.clone(),
            bidang_code: PPA.into(),
            instructions: vec![tpb::Instruction::UntukDitindaklanjuti as i32],
            change_reason: "Kasus kekerasan anak: UPTD PPA".into(),
            ..Default::default()
        },
    ))
    .await
    .unwrap();
    let s = wait_case(&app, &id, &p.kabid).await;
    assert_eq!(s.bidang_code, PPA);
    assert!(s.assignees.is_empty());
    let e = c
        .get_case(authed(
            &p.rehsos_head,
            pb::GetCaseRequest {
                complaint_id: id.clone(),
                purpose: "cek".into(),
            },
        ))
        .await
        .unwrap_err();
    assert_eq!(e.code(), Code::NotFound);
    let moved = activities(&outbox(&app).await, &id);
    assert!(moved.contains(&(
        HandlingActivityKind::Moved as i32,
        "moved.disposition".into()
    )));
    // The old Bidang's pending draft is superseded: the new Bidang head cannot approve it.
    let case = get_case(&app, &p.kabid, &id, "Cek pindahan").await;
    assert_eq!(
        case.responses.iter().map(|d| d.state).collect::<Vec<_>>(),
        vec![pb::ResponseState::Superseded as i32]
    );
    let e = c
        .approve_response(authed(
            &p.kabid,
            pb::ApproveResponseRequest {
                complaint_id: id.clone(),
                revision: 1,
            },
        ))
        .await
        .unwrap_err();
    assert_eq!(e.code(), Code::FailedPrecondition, "{e:?}");

    prepared(&app, &p, &id).await;
    // Queues: the Bidang's own, "assigned to me", a status filter; no personal content.
    let mine = c
        .list_cases(authed(
            &p.officer,
            pb::ListCasesRequest {
                assigned_to_me: true,
                ..Default::default()
            },
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(mine.total, 1);
    assert_eq!(mine.cases[0].complaint_id, id);
    // The disposition brought the complaint's registration number and category (coded).
    assert!(
        mine.cases[0].registration_number.starts_with("35.27-20"),
        "{:?}",
        mine.cases[0]
    );
    let none = c
        .list_cases(authed(
            &p.unassigned,
            pb::ListCasesRequest {
                assigned_to_me: true,
                ..Default::default()
            },
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(none.total, 0);
    let ready = c
        .list_cases(authed(
            &p.kabid,
            pb::ListCasesRequest {
                statuses: vec![ComplaintStatus::ResponseReady as i32],
                ..Default::default()
            },
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(ready.total, 0);
    let e = c
        .list_cases(authed(
            &p.rehsos_head,
            pb::ListCasesRequest {
                bidang_code: PPA.into(),
                ..Default::default()
            },
        ))
        .await
        .unwrap_err();
    assert_eq!(e.code(), Code::PermissionDenied);
    let e = c
        .list_cases(authed(
            &p.kabid,
            pb::ListCasesRequest {
                office_code: "35.26".into(),
                ..Default::default()
            },
        ))
        .await
        .unwrap_err();
    assert_eq!(e.code(), Code::PermissionDenied);
    let all = c
        .list_cases(authed(&p.head, pb::ListCasesRequest::default()))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(all.total, 1, "the Head sees every Bidang");

    // Not qualified: a coded reason and a note; no sessions; a response still goes out.
    let e = c
        .decide_eligibility(authed(
            &p.kabid,
            pb::DecideEligibilityRequest {
                complaint_id: id.clone(),
                qualifies: false,
                reason_code: "bosan".into(),
                note: String::new(),
            },
        ))
        .await
        .unwrap_err();
    assert_eq!(violations(&e), vec!["note", "reason_code"]);
    c.decide_eligibility(authed(
        &p.kabid,
        pb::DecideEligibilityRequest {
            complaint_id: id.clone(),
            qualifies: false,
            reason_code: "other_authority".into(),
            note: "Kewenangan Kepolisian; pelapor diarahkan".into(),
        },
    ))
    .await
    .unwrap();
    let e = c
        .record_session(authed(
            &p.officer,
            session(&id, pb::SessionKind::Investigation),
        ))
        .await
        .unwrap_err();
    assert_eq!(e.code(), Code::FailedPrecondition);
    let e = c
        .draft_response(authed(
            &p.officer,
            pb::DraftResponseRequest {
                complaint_id: id.clone(),
                text: "Jawaban".into(),
                outcome_code: "resolved".into(),
            },
        ))
        .await
        .unwrap_err();
    assert_eq!(violations(&e), vec!["outcome_code"]);
    let d = c
        .draft_response(authed(
            &p.officer,
            pb::DraftResponseRequest {
                complaint_id: id.clone(),
                text: "Pengaduan bukan kewenangan Dinas; silakan melapor ke Polres.".into(),
                outcome_code: "not_qualified".into(),
            },
        ))
        .await
        .unwrap()
        .into_inner();
    let e = c
        .approve_response(authed(
            &p.officer,
            pb::ApproveResponseRequest {
                complaint_id: id.clone(),
                revision: 1,
            },
        ))
        .await
        .unwrap_err();
    assert_eq!(e.code(), Code::PermissionDenied);
    c.approve_response(authed(
        &p.kabid,
        pb::ApproveResponseRequest {
            complaint_id: id.clone(),
            revision: d.record_id.parse().unwrap(),
        },
    ))
    .await
    .unwrap();
    let approved = outbox(&app)
        .await
        .into_iter()
        .find_map(|(_, e)| match e.detail {
            Some(Detail::ResponseApproved(a)) if e.complaint_id == id => Some(a),
            _ => None,
        })
        .map(|mut a| {
            assert!(!a.registration_number.is_empty(), "{a:?}");
            a.registration_number.clear();
            a.category_code.clear();
            a
        });
    assert_eq!(
        approved,
        Some(ev::ResponseApproved {
            bidang_code: PPA.into(),
            version: 1,
            qualified: false,
            outcome_code: "not_qualified".into(),
            ..Default::default()
        })
    );
    // The first Bidang's decision, then the new Bidang's.
    let eligibility: Vec<String> = outbox(&app)
        .await
        .into_iter()
        .filter_map(|(_, e)| match e.detail {
            Some(Detail::EligibilityDecided(x)) if e.complaint_id == id => Some(x.reason_code),
            _ => None,
        })
        .collect();
    assert_eq!(eligibility, vec!["", "other_authority"]);
    // A later disposition cannot move an answered case: recorded, not applied.
    t.issue_disposition(authed(
        &p.head,
        tpb::IssueDispositionRequest {
            complaint_id: id.clone(),
            bidang_code: "rehsos".into(),
            instructions: vec![tpb::Instruction::UntukDiketahui as i32],
            change_reason: "Untuk diketahui".into(),
            ..Default::default()
        },
    ))
    .await
    .unwrap();
    let mut applied = None;
    for _ in 0..400 {
        let case = get_case(&app, &p.kabid, &id, "Cek disposisi").await;
        if case.dispositions.len() == 3 {
            applied = Some(case);
            break;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    let case = applied.expect("the third disposition arrives");
    assert_eq!(case.bidang_code, PPA);
    assert!(!case.dispositions[2].applied);
    assert_eq!(case.status, ComplaintStatus::ResponseReady as i32);
    // Reporting sees the disposition that was not applied.
    assert!(activities(&outbox(&app).await, &id).contains(&(
        HandlingActivityKind::DispositionUpdated as i32,
        "disposition.not_applied".into()
    )));
    app.running.shutdown().await.unwrap();
}
both!(not_qualified_after_a_move);

#[derive(clap::Parser)]
struct CliHarness {
    #[command(subcommand)]
    cmd: aduan::cli::investigation::InvestigationCommand,
}

fn cli(
    app: &TestApp,
    token: &str,
    line: &[&str],
) -> (
    aduan::cli::ClientArgs,
    aduan::cli::investigation::InvestigationCommand,
) {
    use clap::Parser;
    let mut argv = vec!["investigation"];
    argv.extend_from_slice(line);
    let parsed = CliHarness::try_parse_from(argv).unwrap();
    (
        aduan::cli::ClientArgs {
            server: app.url(),
            token: Some(token.to_string()),
            output: aduan::cli::Output::Json,
        },
        parsed.cmd,
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_cli_drives_the_steps() {
    use clap::CommandFactory;
    CliHarness::command().debug_assert();
    let app = common::start_sqlite().await;
    let p = people(&app);
    let id = disposed(&app, complete_request("inv-cli-1", Channel::WalkIn), PPA).await;
    wait_case(&app, &id, &p.kabid).await;
    let d = today();
    let day = format!("{:04}-{:02}-{:02}", d.year, d.month, d.day);
    let run = |token: &str, line: Vec<&str>| {
        let (args, cmd) = cli(&app, token, &line);
        async move {
            aduan::cli::investigation::run_investigation(args, cmd)
                .await
                .map_err(|e| e.0)
        }
    };
    run(&p.kabid, vec!["list"]).await.unwrap();
    run(
        &p.kabid,
        vec!["assign", &id, "--officer", "petugas-1:case-officer"],
    )
    .await
    .unwrap();
    run(
        &p.officer,
        vec![
            "interview",
            &id,
            "--party",
            "complainant",
            "--channel",
            "phone",
            "--date",
            &day,
            "--present",
            "Ibu pelapor",
            "--summary",
            "Klarifikasi kronologi",
            "--set",
            "content.chronology=Kronologi lengkap dari wawancara",
        ],
    )
    .await
    .unwrap();
    // Evidence with a photo, downloaded to a file only its owner can read; an existing file is
    // replaced only with --force.
    let dir = common::temp_dir();
    let photo = dir.join("rumah.jpg");
    std::fs::write(&photo, jpeg_with_gps()).unwrap();
    let photo_arg = photo.display().to_string();
    run(
        &p.officer,
        vec![
            "evidence",
            &id,
            "--kind",
            "photo",
            "--source",
            "officer",
            "--date",
            &day,
            "--description",
            "Foto rumah",
            "--file",
            &photo_arg,
        ],
    )
    .await
    .unwrap();
    let evidence_id = get_case(&app, &p.kabid, &id, "Cek bukti CLI")
        .await
        .evidence[0]
        .id
        .clone();
    let out = dir.join("unduhan.jpg");
    let out_arg = out.display().to_string();
    let download = |force: bool| {
        let mut line = vec![
            "download",
            id.as_str(),
            evidence_id.as_str(),
            "--purpose",
            "Verifikasi",
            "--out",
            out_arg.as_str(),
        ];
        if force {
            line.push("--force");
        }
        line
    };
    run(&p.kabid, download(false)).await.unwrap();
    let written = std::fs::read(&out).unwrap();
    assert!(
        written.starts_with(&[0xFF, 0xD8]) && !String::from_utf8_lossy(&written).contains("GPS")
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&out).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600, "{mode:o}");
    }
    std::fs::write(&out, b"older file").unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&out, std::fs::Permissions::from_mode(0o644)).unwrap();
    }
    let e = run(&p.kabid, download(false)).await.unwrap_err();
    assert!(e.contains("--force"), "{e}");
    assert_eq!(std::fs::read(&out).unwrap(), b"older file");
    run(&p.kabid, download(true)).await.unwrap();
    assert_eq!(std::fs::read(&out).unwrap(), written);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&out).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600, "{mode:o}");
    }
    let _ = std::fs::remove_dir_all(&dir);
    run(&p.kabid, vec!["eligibility", &id, "--qualifies"])
        .await
        .unwrap();
    run(
        &p.officer,
        vec![
            "session",
            &id,
            "--kind",
            "family-counselling",
            "--date",
            &day,
            "--topic",
            "pengasuhan",
            "--party",
            "complainant:Ibu pelapor",
            "--party",
            "victim:Anak:absent",
            "--outcome",
            "no-agreement",
            "--summary",
            "Konseling pola asuh",
        ],
    )
    .await
    .unwrap();
    let e = run(
        &p.officer,
        vec![
            "refer",
            &id,
            "--agency-name",
            "UPTD PPA",
            "--violence",
            "fisik",
            "--age-band",
            "6-12",
            "--service",
            "kesehatan",
            "--reason",
            "Rujukan",
        ],
    )
    .await
    .unwrap_err();
    assert!(e.contains("--consent"), "{e}");
    run(
        &p.officer,
        vec![
            "draft",
            &id,
            "--text",
            "Jawaban",
            "--outcome",
            "counselling-provided",
        ],
    )
    .await
    .unwrap();
    run(&p.kabid, vec!["approve", &id, "--revision", "1"])
        .await
        .unwrap();
    run(&p.kabid, vec!["show", &id, "--purpose", "Cek lewat CLI"])
        .await
        .unwrap();
    run(&p.kabid, vec!["access-log", &id]).await.unwrap();
    let e = run(&p.kabid, vec!["approve", &id, "--revision", "1"])
        .await
        .unwrap_err();
    assert!(!e.is_empty());
    let case = get_case(&app, &p.kabid, &id, "Cek").await;
    assert_eq!(case.status, ComplaintStatus::ResponseReady as i32);
    assert_eq!(case.interviews[0].intake_revision, 2);
    assert!(!case.sessions[0].parties[1].attended);
    app.running.shutdown().await.unwrap();
}
