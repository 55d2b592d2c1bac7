//! Complaints from submission to feedback across all four services, over real gRPC with the event
//! relays of `aduan up`, on SQLite and PostgreSQL (issue 4's workspace test):
//!
//! 1. qualifies, mediation reaches an agreement, response delivered, satisfied, survey in the IKM;
//! 2. does not qualify and still gets a response (S11);
//! 3. referred to the UPTD PPA with a parent's consent for a child, the agency accepts;
//! 4. a referral without consent is refused, then made on the Head's override with a reason;
//! 5. dissatisfied feedback reopens the case (investigation and a new SLA clock in triage), a
//!    second response is approved and delivered;
//! 6. no reply after delivery: feedback closes the case after the silence period, and every
//!    service sees it closed.
//!
//! Each step is taken by the role the office's standard names (SOP.md S1-S16), and the state of
//! the complaint is read back from each service it passes through.

#[macro_use]
mod common;

use aduan_proto::common::v1::{Channel, ComplaintStatus};
use aduan_proto::feedback::v1::{self as fpb, feedback_service_client::FeedbackServiceClient};
use aduan_proto::investigation::v1 as pb;
use common::casework::{
    OFFICE, answer, decide, deliver, delivered_and_satisfied, dispute, feedback_entry,
    investigation, opened, respond, staff, today, wait_investigation, wait_investigation_status,
    wait_triage,
};
use common::{TestApp, authed, complete_request};
use tonic::Code;

const DAY: i64 = 86_400_000_000;

async fn qualifies_with_mediation_agreement(app: TestApp) {
    let s = staff(&app, "rehsos");
    let id = opened(&app, &s, dispute("flow-mediation"), "rehsos").await;
    decide(&app, &s, &id, true, "").await;
    investigation(&app)
        .await
        .record_session(authed(
            &s.officer,
            pb::RecordSessionRequest {
                complaint_id: id.clone(),
                kind: pb::SessionKind::Mediation as i32,
                held_on: Some(today()),
                topic_codes: vec![],
                parties: vec![
                    pb::SessionParty {
                        role: pb::PartyRole::Complainant as i32,
                        name: "Pelapor".into(),
                        attended: true,
                    },
                    pb::SessionParty {
                        role: pb::PartyRole::ReportedParty as i32,
                        name: "Tetangga".into(),
                        attended: true,
                    },
                ],
                outcome: pb::SessionOutcome::AgreementReached as i32,
                agreement_terms: "Kartu dikembalikan dalam tiga hari.".into(),
                summary: "Kedua pihak sepakat.".into(),
                next_session_on: None,
            },
        ))
        .await
        .unwrap();
    let approved = respond(&app, &s, &id, "agreement_reached").await;
    assert_eq!(approved.response_version, 1);
    let entry = feedback_entry(&app, &id, fpb::Queue::AwaitingDelivery).await;
    assert!(entry.qualified);
    assert_eq!(entry.outcome_code, "agreement_reached");
    assert_eq!(entry.bidang_code, "rehsos");
    delivered_and_satisfied(&app, &s, &id, 1).await;
    // Investigation follows delivery and feedback too (S15 reporting comes next).
    wait_investigation_status(&app, &s, &id, ComplaintStatus::Reporting).await;

    // The satisfaction survey (SKM) of this complaint, and the office's index (IKM).
    let mut f = FeedbackServiceClient::new(app.channel().await);
    f.submit_survey(authed(
        &s.complaints,
        fpb::SubmitSurveyRequest {
            complaint_id: id.clone(),
            service_code: "pengaduan".into(),
            scores: vec![4, 4, 3, 4, 3, 4, 4, 3, 4],
            submitted_at: None,
        },
    ))
    .await
    .unwrap();
    let year = today().year;
    let index = f
        .get_satisfaction_index(authed(
            &s.head,
            fpb::GetSatisfactionIndexRequest {
                office_code: OFFICE.into(),
                period: Some(fpb::get_satisfaction_index_request::Period::Year(year)),
                service_code: String::new(),
                method: fpb::IndexMethod::Mean as i32,
            },
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(index.respondents, 1);
    // 25 x mean(4,4,3,4,3,4,4,3,4) = 25 x 33/9 = 91.67: grade A (>= 88.31).
    assert!((index.ikm - 91.67).abs() < 0.005, "{}", index.ikm);
    assert_eq!(index.grade, fpb::Grade::A as i32);
}

async fn does_not_qualify_and_still_gets_a_response(app: TestApp) {
    let s = staff(&app, "linjamsos");
    let id = opened(&app, &s, dispute("flow-not-qualified"), "linjamsos").await;
    decide(&app, &s, &id, false, "no_grounds").await;
    // Sessions are for complaints that qualify (S11).
    let e = investigation(&app)
        .await
        .record_session(authed(
            &s.officer,
            pb::RecordSessionRequest {
                complaint_id: id.clone(),
                kind: pb::SessionKind::Investigation as i32,
                held_on: Some(today()),
                parties: vec![pb::SessionParty {
                    role: pb::PartyRole::Complainant as i32,
                    name: "Pelapor".into(),
                    attended: true,
                }],
                summary: "Sesi".into(),
                outcome: pb::SessionOutcome::NoAgreement as i32,
                ..Default::default()
            },
        ))
        .await
        .unwrap_err();
    assert_eq!(e.code(), Code::FailedPrecondition, "{e:?}");
    respond(&app, &s, &id, "not_qualified").await;
    let entry = feedback_entry(&app, &id, fpb::Queue::AwaitingDelivery).await;
    assert!(!entry.qualified);
    assert_eq!(entry.outcome_code, "not_qualified");
    delivered_and_satisfied(&app, &s, &id, 1).await;
}

fn referral(id: &str, consent_id: &str, override_reason: &str) -> pb::MakeReferralRequest {
    pb::MakeReferralRequest {
        complaint_id: id.into(),
        agency: "uptd_ppa".into(),
        agency_name: "UPTD PPA Kabupaten Sampang".into(),
        violence_type_code: "fisik".into(),
        place_code: "fasilitas_umum".into(),
        relationship_code: "tetangga".into(),
        age_band_code: "6-12".into(),
        service_codes: vec!["kesehatan".into(), "rehabilitasi_sosial".into()],
        reason: "Kekerasan fisik terhadap anak: penanganan oleh UPTD PPA.".into(),
        consent_id: consent_id.into(),
        override_reason: override_reason.into(),
    }
}

async fn referred_to_uptd_ppa_with_consent(app: TestApp) {
    let s = staff(&app, "pa");
    // The shared sample complaint: a child hit by a neighbour.
    let id = opened(
        &app,
        &s,
        complete_request("flow-referral", Channel::Letter),
        "pa",
    )
    .await;
    let mut c = investigation(&app).await;
    // The child's parent consents (not the alleged perpetrator).
    let consent = c
        .record_consent(authed(
            &s.officer,
            pb::RecordConsentRequest {
                complaint_id: id.clone(),
                subject_role: pb::PartyRole::Victim as i32,
                subject_name: "Anak korban".into(),
                subject_is_child: true,
                giver: pb::ConsentGiver::Parent as i32,
                giver_name: "Ibu korban".into(),
                giver_is_alleged_perpetrator: false,
                form: pb::ConsentForm::Written as i32,
                given_on: Some(today()),
            },
        ))
        .await
        .unwrap()
        .into_inner()
        .record_id;
    let made = c
        .make_referral(authed(&s.officer, referral(&id, &consent, "")))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(made.case.as_ref().unwrap().pending_referrals, 1);
    // The UPTD PPA accepts the case.
    let answered = c
        .answer_referral(authed(
            &s.partner,
            pb::AnswerReferralRequest {
                complaint_id: id.clone(),
                referral_id: made.record_id.clone(),
                accepted: true,
                reason_code: String::new(),
                note: String::new(),
                agency_reference: "PPA/2026/117".into(),
            },
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(answered.state, pb::ReferralState::Accepted as i32);
    decide(&app, &s, &id, true, "").await;
    respond(&app, &s, &id, "referred").await;
    let entry = feedback_entry(&app, &id, fpb::Queue::AwaitingDelivery).await;
    assert_eq!(entry.outcome_code, "referred");
    delivered_and_satisfied(&app, &s, &id, 1).await;
}

async fn referral_without_consent_is_refused(app: TestApp) {
    let s = staff(&app, "pa");
    let id = opened(
        &app,
        &s,
        complete_request("flow-no-consent", Channel::Letter),
        "pa",
    )
    .await;
    let mut c = investigation(&app).await;
    let e = c
        .make_referral(authed(&s.officer, referral(&id, "", "")))
        .await
        .unwrap_err();
    assert_eq!(e.code(), Code::FailedPrecondition, "{e:?}");
    let summary = wait_investigation(&app, &id, &s.kabid).await;
    assert_eq!(summary.pending_referrals, 0, "nothing was recorded");
    // An officer cannot override; the Head can, with a reason.
    let e = c
        .make_referral(authed(
            &s.officer,
            referral(
                &id,
                "",
                "Anak dalam bahaya, orang tua tidak dapat dihubungi.",
            ),
        ))
        .await
        .unwrap_err();
    assert_eq!(e.code(), Code::PermissionDenied, "{e:?}");
    let made = c
        .make_referral(authed(
            &s.head,
            referral(
                &id,
                "",
                "Anak dalam bahaya, orang tua tidak dapat dihubungi.",
            ),
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(made.case.unwrap().pending_referrals, 1);
}

async fn reopened_after_dissatisfaction(app: TestApp) {
    let s = staff(&app, "rehsos");
    let id = opened(&app, &s, dispute("flow-reopen"), "rehsos").await;
    decide(&app, &s, &id, true, "").await;
    respond(&app, &s, &id, "resolved").await;
    feedback_entry(&app, &id, fpb::Queue::AwaitingDelivery).await;
    deliver(&app, &s, &id, 1).await;
    wait_triage(&app, &id, ComplaintStatus::ResponseDelivered).await;

    // Dissatisfied, with grounds, asks to reopen.
    let after = answer(&app, &s, &id, 1, false).await;
    assert_eq!(after.reopen_count, 1);
    let summary = wait_investigation_status(&app, &s, &id, ComplaintStatus::InHandling).await;
    assert_eq!(summary.response_version, 2, "a new response is due");
    let t = wait_triage(&app, &id, ComplaintStatus::InHandling).await;
    let sla = t.sla.unwrap();
    assert_eq!(sla.stage, "reopened_response", "a new clock per the policy");
    assert_ne!(sla.state, "stopped");

    // The second response goes the same way, and this time the complainant is satisfied.
    let approved = respond(&app, &s, &id, "resolved").await;
    assert_eq!(approved.response_version, 2);
    delivered_and_satisfied(&app, &s, &id, 2).await;
    let case = investigation(&app)
        .await
        .get_case(authed(
            &s.kabid,
            pb::GetCaseRequest {
                complaint_id: id.clone(),
                purpose: "Evaluasi penanganan ulang".into(),
            },
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(case.reopen_count, 1);
    // Both responses stay on record, each approved for its version.
    let responses: Vec<(i32, i32)> = case
        .responses
        .iter()
        .map(|r| (r.version, r.state))
        .collect();
    let approved = pb::ResponseState::Approved as i32;
    assert_eq!(responses, vec![(1, approved), (2, approved)]);
}

async fn closed_by_silence(app: TestApp) {
    let s = staff(&app, "rehsos");
    let id = opened(&app, &s, dispute("flow-silence"), "rehsos").await;
    decide(&app, &s, &id, true, "").await;
    respond(&app, &s, &id, "resolved").await;
    feedback_entry(&app, &id, fpb::Queue::AwaitingDelivery).await;
    let delivered = deliver(&app, &s, &id, 1).await;
    assert!(delivered.silence_due_at.is_some());
    let core = app.running.feedback.as_ref().unwrap().clone();
    let now = aduan_runtime::time::to_micros(jiff::Timestamp::now());
    assert_eq!(core.sweep(now).await.unwrap(), 0, "not yet");
    // Three calendar weeks without a reply: more than 10 working days in any week of the year.
    let later = now + 30 * DAY;
    let (a, b) = tokio::join!(core.sweep(later), core.sweep(later));
    assert_eq!(a.unwrap() + b.unwrap(), 1, "closed once");
    feedback_entry(&app, &id, fpb::Queue::Closed).await;
    wait_triage(&app, &id, ComplaintStatus::Closed).await;
    wait_investigation_status(&app, &s, &id, ComplaintStatus::Closed).await;
    // A late answer is refused: the case is closed.
    let e = FeedbackServiceClient::new(app.channel().await)
        .record_feedback(authed(
            &s.complaints,
            fpb::RecordFeedbackRequest {
                complaint_id: id.clone(),
                version: 1,
                satisfied: true,
                ..Default::default()
            },
        ))
        .await
        .unwrap_err();
    assert_eq!(e.code(), Code::FailedPrecondition);
}

both!(qualifies_with_mediation_agreement);
both!(does_not_qualify_and_still_gets_a_response);
both!(referred_to_uptd_ppa_with_consent);
both!(referral_without_consent_is_refused);
both!(reopened_after_dissatisfaction);
both!(closed_by_silence);
