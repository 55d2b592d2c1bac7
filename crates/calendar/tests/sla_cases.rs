//! SLA clock cases that name their dates (WIB, Monday-Friday, 07:30-16:00, shipped holidays).

use std::sync::Arc;

use aduan_calendar::{
    Calendar, Error, HolidayTable, OnExpiry, Pause, SlaClock, SlaPolicy, SlaStatus,
};
use jiff::Timestamp;

fn ts(text: &str) -> Timestamp {
    text.parse().unwrap()
}

fn wib() -> Calendar {
    Calendar::for_zone("Asia/Jakarta", Arc::new(HolidayTable::shipped().unwrap())).unwrap()
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() < 1e-9
}

#[test]
fn shipped_policies_parse_and_say_what_the_design_says() {
    let sop = SlaPolicy::sop_4_working_days().unwrap();
    assert_eq!(sop.code, "sop_4_working_days");
    assert_eq!(sop.warn_fraction, 0.75);
    // The response stage, and a fresh budget after a reopening (S14 dissatisfied).
    assert_eq!(sop.stages.len(), 2);
    assert_eq!(
        (
            sop.stages[1].budget_working_days,
            sop.stages[1].from_event.as_str(),
            sop.stages[1].to_event.as_str()
        ),
        (4, "reopened", "response_delivered")
    );
    let stage = &sop.stages[0];
    assert_eq!(
        (
            stage.budget_working_days,
            stage.from_event.as_str(),
            stage.to_event.as_str()
        ),
        (4, "registered", "response_delivered")
    );
    assert!(sop.is_pause_state("needs_information"));

    let lapor = SlaPolicy::sp4n_lapor().unwrap();
    let budgets: Vec<(u32, OnExpiry)> = lapor
        .stages
        .iter()
        .map(|s| (s.budget_working_days, s.on_expiry))
        .collect();
    assert_eq!(
        budgets,
        vec![
            (3, OnExpiry::Breach),
            (5, OnExpiry::Breach),
            (10, OnExpiry::AutoClose),
            (5, OnExpiry::Breach)
        ]
    );
    // The stages chain: each starts with the event that ends the previous one; the reopening
    // stage starts from a reopening and ends like the follow-up.
    for pair in lapor.stages[..3].windows(2) {
        assert_eq!(pair[0].to_event, pair[1].from_event);
    }
    assert_eq!(
        lapor
            .stages_started_by("disposition_issued")
            .map(|s| s.code.as_str())
            .collect::<Vec<_>>(),
        vec!["follow_up"]
    );
    assert_eq!(SlaPolicy::shipped().unwrap().len(), 2);
}

#[test]
fn warning_at_75_percent_and_breach_mon_2026_06_08_to_thu_2026_06_11() {
    // Registered Mon 8 Jun 2026 07:00 (before hours): the clock starts 07:30, budget 4 full
    // days, due Thu 11 Jun 16:00; 75% = 3 working days = close of Wed 10 Jun.
    let cal = wib();
    let policy = SlaPolicy::sop_4_working_days().unwrap();
    let clock = SlaClock::new(&cal, &policy, "response").unwrap();
    let registered = ts("2026-06-08T07:00:00+07:00");
    let at = |now: &str| clock.evaluate(registered, &[], ts(now)).unwrap();

    let e = at("2026-06-08T12:00:00+07:00");
    assert_eq!(e.clock_start, ts("2026-06-08T07:30:00+07:00"));
    assert_eq!(e.due, ts("2026-06-11T16:00:00+07:00"));
    assert_eq!(e.warn_at, ts("2026-06-10T16:00:00+07:00"));
    assert_eq!(e.effective_budget, 4.0);
    assert!(close(e.used_working_days, 4.5 / 8.5));
    assert_eq!(e.status, SlaStatus::OnTrack);

    let e = at("2026-06-10T15:59:00+07:00");
    assert_eq!(e.status, SlaStatus::OnTrack);
    let e = at("2026-06-10T16:00:00+07:00");
    assert!(close(e.used_working_days, 3.0));
    assert_eq!(e.status, SlaStatus::Warning);
    // Overnight nothing is used.
    let e = at("2026-06-11T07:00:00+07:00");
    assert!(close(e.used_working_days, 3.0));
    assert!(close(e.remaining_working_days, 1.0));
    assert_eq!(e.status, SlaStatus::Warning);
    // Due at 16:00 exactly is still in time; one second later it is breached.
    assert_eq!(at("2026-06-11T16:00:00+07:00").status, SlaStatus::Warning);
    let e = at("2026-06-11T16:00:01+07:00");
    assert_eq!(e.status, SlaStatus::Breached);
    assert!(close(e.remaining_working_days, 0.0));
    // Fri 12 Jun 11:45 is half a working day overdue.
    let e = at("2026-06-12T11:45:00+07:00");
    assert_eq!(e.status, SlaStatus::Breached);
    assert!(close(e.remaining_working_days, -0.5));
    assert!(!e.provisional_data);
}

#[test]
fn pause_spanning_nyepi_and_idulfitri_2026_moves_the_due_one_working_day() {
    // Registered Mon 16 Mar 2026 09:00; unpaused due Thu 26 Mar 16:00 (Mon 16, Tue 17, Wed 25,
    // Thu 26). Waiting for the complainant from Tue 17 Mar 12:00 to Wed 25 Mar 12:00: the pause
    // covers 4 h of Tuesday + 4.5 h of Wednesday = one working day (the holidays in between
    // were not working time anyway), so the due moves to Fri 27 Mar 16:00.
    let cal = wib();
    let policy = SlaPolicy::sop_4_working_days().unwrap();
    let clock = SlaClock::new(&cal, &policy, "response").unwrap();
    let registered = ts("2026-03-16T09:00:00+07:00");
    let pause = Pause {
        from: ts("2026-03-17T12:00:00+07:00"),
        to: Some(ts("2026-03-25T12:00:00+07:00")),
    };
    let e = clock
        .evaluate(registered, &[pause], ts("2026-03-26T10:00:00+07:00"))
        .unwrap();
    assert_eq!(e.unpaused_due, ts("2026-03-26T16:00:00+07:00"));
    assert_eq!(e.due, ts("2026-03-27T16:00:00+07:00"));
    assert!(close(e.paused_working_days, 1.0));
    // Used: Mon 7 h + Tue 4.5 h + Wed 4 h + Thu 2.5 h = 18 h = 18/8.5 working days.
    assert!(close(e.used_working_days, 18.0 / 8.5));
    assert!(close(e.effective_budget, 3.0 + 7.0 / 8.5));
    assert_eq!(e.status, SlaStatus::OnTrack);

    // While the pause is still open (Mon 23 Mar, cuti bersama), the status is Paused and the
    // due is computed as if the clock resumed now.
    let open = Pause {
        from: pause.from,
        to: None,
    };
    let e = clock
        .evaluate(registered, &[open], ts("2026-03-23T10:00:00+07:00"))
        .unwrap();
    assert_eq!(e.status, SlaStatus::Paused);
    assert!(close(e.paused_working_days, 4.0 / 8.5));
    // Remaining after the pause: budget - (7 + 4.5)/8.5 = 2.4706 days from Wed 25 07:30:
    // Wed 25, Thu 26 full, then 0.4706 × 8.5 h = 4 h on Fri 27 -> 11:30.
    assert_eq!(e.due, ts("2026-03-27T11:30:00+07:00"));
}

#[test]
fn pause_on_a_holiday_only_does_not_move_the_due() {
    // A pause entirely within Sat 21 - Tue 24 Mar 2026 (Idulfitri and cuti bersama) and another
    // overnight Wed 25 Mar 18:00 - Thu 26 Mar 07:00: no working time paused.
    let cal = wib();
    let policy = SlaPolicy::sop_4_working_days().unwrap();
    let clock = SlaClock::new(&cal, &policy, "response").unwrap();
    let pauses = [
        Pause {
            from: ts("2026-03-21T09:00:00+07:00"),
            to: Some(ts("2026-03-24T15:00:00+07:00")),
        },
        Pause {
            from: ts("2026-03-25T18:00:00+07:00"),
            to: Some(ts("2026-03-26T07:00:00+07:00")),
        },
    ];
    let e = clock
        .evaluate(
            ts("2026-03-17T10:00:00+07:00"),
            &pauses,
            ts("2026-03-26T09:00:00+07:00"),
        )
        .unwrap();
    assert_eq!(e.paused_working_days, 0.0);
    assert_eq!(e.due, ts("2026-03-27T16:00:00+07:00"));
}

#[test]
fn overlapping_pauses_count_once_and_bad_pauses_are_errors() {
    let cal = wib();
    let policy = SlaPolicy::sop_4_working_days().unwrap();
    let clock = SlaClock::new(&cal, &policy, "response").unwrap();
    let registered = ts("2026-06-08T07:30:00+07:00");
    // Mon 8 Jun 2026 08:00-10:00 and 09:00-11:00 overlap: 3 h paused in total.
    let pauses = [
        Pause {
            from: ts("2026-06-08T08:00:00+07:00"),
            to: Some(ts("2026-06-08T10:00:00+07:00")),
        },
        Pause {
            from: ts("2026-06-08T09:00:00+07:00"),
            to: Some(ts("2026-06-08T11:00:00+07:00")),
        },
    ];
    let e = clock
        .evaluate(registered, &pauses, ts("2026-06-08T12:00:00+07:00"))
        .unwrap();
    assert!(close(e.paused_working_days, 3.0 / 8.5));
    assert!(close(e.used_working_days, 1.5 / 8.5));
    // Due Thu 11 Jun 16:00 + 3 h of work -> Fri 12 Jun 10:30.
    assert_eq!(e.due, ts("2026-06-12T10:30:00+07:00"));

    let backwards = Pause {
        from: ts("2026-06-08T10:00:00+07:00"),
        to: Some(ts("2026-06-08T09:00:00+07:00")),
    };
    assert!(matches!(
        clock.evaluate(registered, &[backwards], ts("2026-06-08T12:00:00+07:00")),
        Err(Error::InvalidPause { .. })
    ));
}

#[test]
fn a_pause_after_the_breach_does_not_undo_it() {
    // Due Thu 11 Jun 2026 16:00; paused only from Fri 12 Jun 09:00: still breached.
    let cal = wib();
    let policy = SlaPolicy::sop_4_working_days().unwrap();
    let clock = SlaClock::new(&cal, &policy, "response").unwrap();
    let pause = Pause {
        from: ts("2026-06-12T09:00:00+07:00"),
        to: None,
    };
    let e = clock
        .evaluate(
            ts("2026-06-08T07:30:00+07:00"),
            &[pause],
            ts("2026-06-12T10:00:00+07:00"),
        )
        .unwrap();
    assert_eq!(e.due, ts("2026-06-11T16:00:00+07:00"));
    assert_eq!(e.status, SlaStatus::Breached);
}

#[test]
fn pauses_from_state_transitions() {
    let policy = SlaPolicy::sop_4_working_days().unwrap();
    let t = |h: &str| ts(&format!("2026-06-08T{h}:00+07:00"));
    let pauses = policy.pauses_from_transitions([
        (t("08:00"), "registered"),
        (t("09:00"), "needs_information"),
        (t("10:00"), "needs_information"),
        (t("11:00"), "accepted"),
        (t("13:00"), "needs_information"),
    ]);
    assert_eq!(
        pauses,
        vec![
            Pause {
                from: t("09:00"),
                to: Some(t("11:00"))
            },
            Pause {
                from: t("13:00"),
                to: None
            },
        ]
    );
}

#[test]
fn lapor_stages_fri_2026_05_08_through_fri_2026_06_05() {
    let cal = wib();
    let lapor = SlaPolicy::sp4n_lapor().unwrap();

    // Verify and forward, 3 working days: registered Fri 8 May 2026 10:00 -> Fri 8, Mon 11,
    // Tue 12 May 16:00.
    let verify = SlaClock::new(&cal, &lapor, "verify_and_forward").unwrap();
    let e = verify
        .evaluate(
            ts("2026-05-08T10:00:00+07:00"),
            &[],
            ts("2026-05-12T09:00:00+07:00"),
        )
        .unwrap();
    assert_eq!(e.due, ts("2026-05-12T16:00:00+07:00"));
    // Used: Fri 6 h + Mon 8.5 h + Tue 1.5 h = 16 h of an effective 14.5 + 8.5 = 23 h budget.
    assert!(close(e.used_working_days, 16.0 / 8.5));
    assert_eq!(e.status, SlaStatus::OnTrack);
    assert_eq!(e.on_expiry, OnExpiry::Breach);

    // Follow up, 5 working days: forwarded Tue 12 May 14:00 -> Tue 12, Wed 13, (Thu 14 Kenaikan,
    // Fri 15 cuti bersama), Mon 18, Tue 19, Wed 20 May 16:00.
    let follow_up = SlaClock::new(&cal, &lapor, "follow_up").unwrap();
    let e = follow_up
        .evaluate(
            ts("2026-05-12T14:00:00+07:00"),
            &[],
            ts("2026-05-19T16:00:00+07:00"),
        )
        .unwrap();
    assert_eq!(e.due, ts("2026-05-20T16:00:00+07:00"));
    assert_eq!(e.status, SlaStatus::Warning);

    // Await the complainant's reply, 10 working days, then auto-close: delivered Wed 20 May
    // 15:00 -> Wed 20, Thu 21, Fri 22, Mon 25, Tue 26, (Wed 27 Iduladha, Thu 28 cuti bersama),
    // Fri 29, (Sun 31 Waisak, Mon 1 Jun Pancasila), Tue 2, Wed 3, Thu 4, Fri 5 Jun 16:00.
    let reply = SlaClock::new(&cal, &lapor, "await_reply").unwrap();
    let e = reply
        .evaluate(
            ts("2026-05-20T15:00:00+07:00"),
            &[],
            ts("2026-06-08T08:00:00+07:00"),
        )
        .unwrap();
    assert_eq!(e.due, ts("2026-06-05T16:00:00+07:00"));
    assert_eq!(e.status, SlaStatus::Breached);
    assert_eq!(e.on_expiry, OnExpiry::AutoClose);
}

#[test]
fn sla_flags_provisional_2027_data() {
    // Registered Tue 29 Dec 2026: the due (Mon 4 Jan 2027) depends on the provisional 2027 file.
    let cal = wib();
    let policy = SlaPolicy::sop_4_working_days().unwrap();
    let clock = SlaClock::new(&cal, &policy, "response").unwrap();
    let e = clock
        .evaluate(
            ts("2026-12-29T10:00:00+07:00"),
            &[],
            ts("2026-12-29T11:00:00+07:00"),
        )
        .unwrap();
    assert_eq!(e.due, ts("2027-01-04T16:00:00+07:00"));
    assert!(e.provisional_data);
    assert_eq!(e.uncertain_years, vec![2027]);
}

#[test]
fn policies_from_json_are_validated() {
    let cal = wib();
    let ok = r#"{"code":"p","name":"P","stages":[{"code":"s","budget_working_days":2,
        "from_event":"registered","to_event":"response_delivered","warn_fraction":0.5}]}"#;
    let policy = SlaPolicy::from_json(ok).unwrap();
    assert_eq!(policy.warn_fraction, 0.75, "default");
    let clock = SlaClock::new(&cal, &policy, "s").unwrap();
    assert_eq!(clock.warn_fraction(), 0.5, "the stage overrides the policy");
    assert!(matches!(
        SlaClock::new(&cal, &policy, "nope"),
        Err(Error::UnknownStage { .. })
    ));

    let bad = [
        r#"{"code":"","name":"P","stages":[{"code":"s","budget_working_days":2,"from_event":"a","to_event":"b"}]}"#,
        r#"{"code":"p","name":"P","stages":[]}"#,
        r#"{"code":"p","name":"P","stages":[{"code":"s","budget_working_days":0,"from_event":"a","to_event":"b"}]}"#,
        r#"{"code":"p","name":"P","stages":[{"code":"s","budget_working_days":-1,"from_event":"a","to_event":"b"}]}"#,
        r#"{"code":"p","name":"P","stages":[{"code":"s","budget_working_days":2.5,"from_event":"a","to_event":"b"}]}"#,
        r#"{"code":"p","name":"P","warn_fraction":1.5,"stages":[{"code":"s","budget_working_days":2,"from_event":"a","to_event":"b"}]}"#,
        r#"{"code":"p","name":"P","stages":[{"code":"s","budget_working_days":2,"from_event":"a","to_event":"b"},{"code":"s","budget_working_days":2,"from_event":"b","to_event":"c"}]}"#,
        r#"{"code":"p","name":"P","stages":[{"code":"s","budget_working_days":2,"from_event":"","to_event":"b"}]}"#,
        r#"{"code":"p","name":"P","stages":[{"code":"s","budget_working_days":2,"from_event":"a","to_event":"b","on_expiry":"explode"}]}"#,
        r#"{"code":"p","name":"P","stages":[{"code":"s","budget_working_days":2,"from_event":"a","to_event":"b","budget":3}]}"#,
        r#"{"code":"p","name":"P","pause_states":[" "],"stages":[{"code":"s","budget_working_days":2,"from_event":"a","to_event":"b"}]}"#,
        r#"{"code":"p","name":"P","stages":[{"code":"s","budget_working_days":2,"from_event":"a","to_event":"b","warn_fraction":-0.1}]}"#,
        r#"not json"#,
    ];
    for text in bad {
        assert!(SlaPolicy::from_json(text).is_err(), "{text}");
    }
}
