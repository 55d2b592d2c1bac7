//! The steps one after another on one case file: S13, S14, the survey, silence, refused events.

use aduan_proto::common::v1::{Channel, ComplaintStatus, Step};
use aduan_proto::events::v1::{self as events, LifecycleEvent, lifecycle_event::Detail};
use aduan_runtime::Error;
use aduan_runtime::time::to_micros;
use jiff::Timestamp;

use super::s13_delivery::{DeliveryInput, deliver, on_approved};
use super::s14_feedback::{FeedbackInput, record_feedback};
use super::silence::{Sweep, close_by_silence, sweep_decision};
use super::skm_survey::submit_survey;
use super::{ActorRec, ts};

fn t(s: &str) -> i64 {
    to_micros(s.parse::<Timestamp>().unwrap())
}

fn approved(version: i32, at: i64) -> (LifecycleEvent, events::ResponseApproved) {
    let d = events::ResponseApproved {
        bidang_code: "rehsos".into(),
        version,
        qualified: true,
        outcome_code: "agreement_reached".into(),
        ..Default::default()
    };
    let e = LifecycleEvent {
        event_id: uuid::Uuid::now_v7().to_string(),
        complaint_id: "c-1".into(),
        office_code: "35.27".into(),
        step: Step::S12ResponsePrepared as i32,
        occurred_at: Some(aduan_runtime::time::to_proto(ts(at))),
        source_service: "investigation".into(),
        sequence: i64::from(version),
        status: ComplaintStatus::ResponseReady as i32,
        detail: Some(Detail::ResponseApproved(d.clone())),
        ..Default::default()
    };
    (e, d)
}

fn officer() -> ActorRec {
    ActorRec {
        subject: "officer-1".into(),
        role: "complaints_officer".into(),
        office: "35.27".into(),
    }
}

fn delivery(at: i64, due: Option<i64>) -> DeliveryInput {
    DeliveryInput {
        version: 0,
        channel: Channel::Phone as i32,
        delivered_at: at,
        note: "disampaikan lewat telepon".into(),
        silence_due: due,
    }
}

fn feedback(satisfied: bool, at: i64) -> FeedbackInput {
    FeedbackInput {
        version: 0,
        satisfied,
        grounds: if satisfied {
            vec![]
        } else {
            vec!["not_answered".into()]
        },
        comments: String::new(),
        given_at: at,
    }
}

#[test]
fn the_lifecycle_with_a_reopening() {
    let t0 = t("2026-06-08T03:00:00Z");
    let (e, d) = approved(1, t0);
    let mut f = on_approved(None, &e, &d, t0).unwrap().unwrap();
    assert_eq!(f.status, ComplaintStatus::ResponseReady as i32);
    assert_eq!(f.unit, "rehsos");
    // The same version again: nothing.
    assert_eq!(on_approved(Some(f.clone()), &e, &d, t0).unwrap(), None);
    // Feedback before delivery is out of order.
    let err = record_feedback(&mut f.clone(), &officer(), t0, feedback(true, t0));
    assert!(matches!(err, Err(Error::FailedPrecondition(_))));
    // Delivered before the approval: refused.
    let err = deliver(&mut f.clone(), &officer(), t0, delivery(t0 - 1, None));
    assert!(matches!(err, Err(Error::InvalidArgument(_))));
    let ev = deliver(
        &mut f,
        &officer(),
        t0 + 10,
        delivery(t0 + 5, Some(t0 + 100)),
    )
    .unwrap();
    assert_eq!(ev.sequence, 1);
    assert_eq!(ev.step, Step::S13ResponseDelivered as i32);
    assert_eq!(f.next_at, Some(t0 + 100));
    // Twice: refused.
    let err = deliver(&mut f.clone(), &officer(), t0 + 20, delivery(t0 + 5, None));
    assert!(matches!(err, Err(Error::FailedPrecondition(m)) if m.contains("delivered already")));
    let ev = record_feedback(&mut f, &officer(), t0 + 30, feedback(false, t0 + 30)).unwrap();
    match ev.detail {
        Some(Detail::FeedbackRecorded(r)) => {
            assert!(r.reopens && !r.satisfied);
            assert_eq!(r.grounds_code, "not_answered");
            assert_eq!(r.version, 1);
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(f.status, ComplaintStatus::InHandling as i32);
    assert_eq!(f.next_at, None);
    assert_eq!(f.body.reopen_count, 1);
    assert!(f.body.feedback[0].reopened && f.body.feedback[0].reopen_requested);
    // The next approval opens delivery of version 2.
    let (e2, d2) = approved(2, t0 + 40);
    let mut f = on_approved(Some(f), &e2, &d2, t0 + 40).unwrap().unwrap();
    assert_eq!(f.status, ComplaintStatus::ResponseReady as i32);
    assert_eq!(f.body.version(), 2);
    // Delivering "version 1" now is stale.
    let mut stale = delivery(t0 + 50, None);
    stale.version = 1;
    assert!(matches!(
        deliver(&mut f.clone(), &officer(), t0 + 50, stale),
        Err(Error::FailedPrecondition(_))
    ));
    deliver(&mut f, &officer(), t0 + 50, delivery(t0 + 50, None)).unwrap();
    record_feedback(&mut f, &officer(), t0 + 60, feedback(true, t0 + 60)).unwrap();
    assert_eq!(f.status, ComplaintStatus::Reporting as i32);
    // A new version after the feedback is refused (a dead letter for operators).
    let (e3, d3) = approved(3, t0 + 70);
    assert!(on_approved(Some(f.clone()), &e3, &d3, t0 + 70).is_err());
    let actions: Vec<&str> = f.body.history.iter().map(|h| h.action.as_str()).collect();
    assert_eq!(
        actions,
        vec![
            "response_approved",
            "response_delivered",
            "feedback_recorded",
            "response_approved",
            "response_delivered",
            "feedback_recorded"
        ]
    );
    assert_eq!(f.event_seq, 4);
}

#[test]
fn dissatisfied_needs_grounds_and_always_reopens() {
    let t0 = t("2026-06-08T03:00:00Z");
    let (e, d) = approved(1, t0);
    let mut f = on_approved(None, &e, &d, t0).unwrap().unwrap();
    deliver(
        &mut f,
        &officer(),
        t0 + 10,
        delivery(t0 + 10, Some(t0 + 100)),
    )
    .unwrap();
    // Dissatisfied without a ground: refused, nothing recorded.
    let mut no_grounds = feedback(false, t0 + 20);
    no_grounds.grounds.clear();
    let mut g = f.clone();
    assert!(matches!(
        record_feedback(&mut g, &officer(), t0 + 20, no_grounds),
        Err(Error::InvalidArgument(v)) if v[0].field == "grounds"
    ));
    assert_eq!(g, f);
    // Satisfied with a ground: refused.
    let mut odd = feedback(true, t0 + 20);
    odd.grounds = vec!["too_slow".into()];
    assert!(matches!(
        record_feedback(&mut f.clone(), &officer(), t0 + 20, odd),
        Err(Error::InvalidArgument(_))
    ));
    // Dissatisfied with grounds reopens: there is no "dissatisfied, not reopened".
    let mut two = feedback(false, t0 + 20);
    two.grounds = vec!["incorrect".into(), "too_slow".into()];
    let ev = record_feedback(&mut f, &officer(), t0 + 20, two).unwrap();
    match ev.detail {
        Some(Detail::FeedbackRecorded(r)) => {
            assert!(r.reopens && !r.satisfied);
            assert_eq!(r.grounds_code, "incorrect,too_slow");
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(ev.status, ComplaintStatus::InHandling as i32);
    assert_eq!(f.status, ComplaintStatus::InHandling as i32);
    assert_eq!(f.body.reopen_count, 1);
}

#[test]
fn silence_closes_once_and_surveys_once() {
    let t0 = t("2026-06-08T03:00:00Z");
    let (e, d) = approved(1, t0);
    let mut f = on_approved(None, &e, &d, t0).unwrap().unwrap();
    // A survey before delivery is out of order.
    assert!(matches!(
        submit_survey(
            &mut f.clone(),
            &officer(),
            t0,
            "s-1",
            "pengaduan",
            &[4; 9],
            t0
        ),
        Err(Error::FailedPrecondition(_))
    ));
    deliver(
        &mut f,
        &officer(),
        t0 + 10,
        delivery(t0 + 10, Some(t0 + 100)),
    )
    .unwrap();
    assert_eq!(sweep_decision(&f, t0 + 99), Sweep::Nothing);
    assert_eq!(sweep_decision(&f, t0 + 100), Sweep::Close);
    let ev = close_by_silence(&mut f, t0 + 100);
    assert!(matches!(ev.detail, Some(Detail::Closed(ref c)) if c.reason_code == "silence"));
    assert_eq!(ev.status, ComplaintStatus::Closed as i32);
    assert_eq!(sweep_decision(&f, t0 + 1000), Sweep::Nothing);
    // Feedback after closing is out of order; the survey is still welcome, once.
    assert!(record_feedback(&mut f.clone(), &officer(), t0, feedback(true, t0 + 200)).is_err());
    submit_survey(
        &mut f,
        &officer(),
        t0 + 200,
        "s-1",
        "pengaduan",
        &[4; 9],
        t0 + 200,
    )
    .unwrap();
    assert!(matches!(
        submit_survey(
            &mut f,
            &officer(),
            t0 + 300,
            "s-2",
            "pengaduan",
            &[4; 9],
            t0 + 300
        ),
        Err(Error::AlreadyExists(_))
    ));
    // A stale timer on a case that is not waiting is only cleared.
    let mut g = f.clone();
    g.status = ComplaintStatus::Reporting as i32;
    g.next_at = Some(t0);
    assert_eq!(sweep_decision(&g, t0 + 1), Sweep::ClearTimer);
}

#[test]
fn refused_events() {
    let t0 = t("2026-06-08T03:00:00Z");
    let (mut e, mut d) = approved(0, t0);
    assert!(on_approved(None, &e, &d, t0).is_err());
    d.version = 1;
    e.office_code.clear();
    assert!(on_approved(None, &e, &d, t0).is_err());
    // Another office's event for a known complaint.
    let (e1, d1) = approved(1, t0);
    let f = on_approved(None, &e1, &d1, t0).unwrap().unwrap();
    let (mut e2, d2) = approved(2, t0);
    e2.office_code = "35.26".into();
    assert!(on_approved(Some(f), &e2, &d2, t0).is_err());
}
