//! Property tests over random cases from a small deterministic xorshift generator (no external
//! crate). Random starts fall between 1 Dec 2024 and 31 Dec 2027 (verified, provisional and
//! missing holiday years), in WIB, WITA and WIT offices with Monday-Friday or Monday-Saturday
//! weeks and sometimes a closure.

use std::sync::Arc;

use aduan_calendar::{Calendar, Closure, HolidayTable, Pause, SlaClock, SlaPolicy, SlaStatus};
use jiff::civil::{Weekday, date, time};
use jiff::{SignedDuration, Timestamp};

const CASES: usize = 6_000;

mod support;
use support::XorShift;

fn calendars() -> Vec<Calendar> {
    let h = Arc::new(HolidayTable::shipped().unwrap());
    let mut out = Vec::new();
    for zone in ["WIB", "WITA", "WIT"] {
        let cal = Calendar::for_zone(zone, h.clone()).unwrap();
        out.push(cal.clone());
        out.push(
            cal.clone()
                .with_working_week(&[
                    Weekday::Monday,
                    Weekday::Tuesday,
                    Weekday::Wednesday,
                    Weekday::Thursday,
                    Weekday::Friday,
                    Weekday::Saturday,
                ])
                .unwrap()
                .with_hours_on(Weekday::Friday, time(7, 30, 0, 0), time(11, 0, 0, 0))
                .unwrap(),
        );
        out.push(
            cal.with_closure(
                Closure::new(date(2026, 7, 6), date(2026, 7, 17), "renovasi").unwrap(),
            )
            .unwrap(),
        );
    }
    out
}

/// A random instant from 2024-12-01 to 2027-12-31; one in four is an exact hour or half hour
/// (to hit opening and closing times).
fn random_instant(rng: &mut XorShift) -> Timestamp {
    let from = "2024-12-01T00:00:00Z".parse::<Timestamp>().unwrap();
    let span = 3 * 366 * 86_400 + 31 * 86_400;
    let mut secs = rng.below(span) as i64;
    if rng.below(4) == 0 {
        secs -= secs % 1_800;
    }
    from + SignedDuration::from_secs(secs)
}

#[test]
fn due_never_precedes_start_and_is_a_working_day_close() {
    let cals = calendars();
    let mut rng = XorShift(0x5eed_0001);
    for case in 0..CASES {
        let cal = &cals[rng.below(cals.len() as u64) as usize];
        let start = random_instant(&mut rng);
        let n = rng.below(26) as u32;
        let d = cal.add_working_days(start, n).unwrap();
        assert!(d.clock_start >= start, "case {case}: {start} n={n}");
        assert!(d.due >= d.clock_start, "case {case}: {start} n={n}");
        let local = cal.time_zone().to_datetime(d.due);
        assert!(cal.is_working_day(local.date()), "case {case}: {d:?}");
        let (opens, closes) = cal.working_hours(local.date().weekday()).unwrap();
        if n == 0 {
            assert!(
                opens <= local.time() && local.time() < closes,
                "case {case}"
            );
        } else {
            assert_eq!(local.time(), closes, "case {case}: {d:?}");
        }
        // The clock start is itself within working hours, and clock_start is idempotent.
        let cs = cal.time_zone().to_datetime(d.clock_start);
        assert!(cal.is_working_day(cs.date()));
        let (o, c) = cal.working_hours(cs.date().weekday()).unwrap();
        assert!(o <= cs.time() && cs.time() < c, "case {case}");
        assert_eq!(cal.clock_start(d.clock_start).unwrap(), d.clock_start);
        // The flag is raised exactly when a year from start to due is not verified.
        let touches_unverified = (cal.time_zone().to_datetime(start).date().year()
            ..=local.date().year())
            .any(|y| y != 2025 && y != 2026);
        assert_eq!(d.provisional_data, touches_unverified, "case {case}: {d:?}");
    }
}

#[test]
fn add_working_days_is_monotonic_in_n() {
    let cals = calendars();
    let mut rng = XorShift(0x5eed_0002);
    for case in 0..CASES {
        let cal = &cals[rng.below(cals.len() as u64) as usize];
        let start = random_instant(&mut rng);
        let n = rng.below(25) as u32;
        let a = cal.add_working_days(start, n).unwrap().due;
        let b = cal.add_working_days(start, n + 1).unwrap().due;
        assert!(a < b, "case {case}: {start} n={n}: {a} !< {b}");
    }
}

#[test]
fn add_working_days_is_monotonic_in_start() {
    let cals = calendars();
    let mut rng = XorShift(0x5eed_0003);
    for case in 0..CASES {
        let cal = &cals[rng.below(cals.len() as u64) as usize];
        let s1 = random_instant(&mut rng);
        let s2 = if rng.below(2) == 0 {
            random_instant(&mut rng)
        } else {
            s1 + SignedDuration::from_secs(rng.below(3 * 86_400) as i64)
        };
        let (early, late) = if s1 <= s2 { (s1, s2) } else { (s2, s1) };
        let n = rng.below(21) as u32;
        let a = cal.add_working_days(early, n).unwrap().due;
        let b = cal.add_working_days(late, n).unwrap().due;
        assert!(a <= b, "case {case}: n={n} {early}->{a}, {late}->{b}");
    }
}

#[test]
fn working_days_between_clock_start_and_due_is_n() {
    // For a clock started at opening time the elapsed working time to the due is exactly n; for
    // a clock started during day 1 it is n minus the part of day 1 already gone.
    let cals = calendars();
    let mut rng = XorShift(0x5eed_0004);
    let mut at_opening = 0;
    for case in 0..CASES {
        let cal = &cals[rng.below(cals.len() as u64) as usize];
        let start = cal.clock_start(random_instant(&mut rng)).unwrap();
        let n = 1 + rng.below(25) as u32;
        let d = cal.add_working_days(start, n).unwrap();
        assert_eq!(d.clock_start, start);
        let local = cal.time_zone().to_datetime(start);
        let (opens, _) = cal.working_hours(local.date().weekday()).unwrap();
        let opening = cal
            .time_zone()
            .to_timestamp(local.date().to_datetime(opens))
            .unwrap();
        let gone = cal.working_days_between(opening, start);
        if start == opening {
            at_opening += 1;
            assert_eq!(gone, 0.0);
        }
        let elapsed = cal.working_days_between(start, d.due);
        assert!(
            (elapsed - (f64::from(n) - gone)).abs() < 1e-9,
            "case {case}: {start} n={n}: {elapsed} vs {}",
            f64::from(n) - gone
        );
        // And advance() inverts it.
        let back = cal.advance(start, elapsed).unwrap();
        assert!(
            (back.as_millisecond() - d.due.as_millisecond()).abs() <= 1,
            "case {case}"
        );
    }
    assert!(at_opening > CASES / 4, "{at_opening} cases at opening time");
}

#[test]
fn working_days_between_is_additive_and_antisymmetric() {
    let cals = calendars();
    let mut rng = XorShift(0x5eed_0005);
    for case in 0..CASES {
        let cal = &cals[rng.below(cals.len() as u64) as usize];
        let mut t = [
            random_instant(&mut rng),
            random_instant(&mut rng),
            random_instant(&mut rng),
        ];
        t.sort();
        let ab = cal.working_days_between(t[0], t[1]);
        let bc = cal.working_days_between(t[1], t[2]);
        let ac = cal.working_days_between(t[0], t[2]);
        assert!(ab >= 0.0 && bc >= 0.0);
        assert!((ab + bc - ac).abs() < 1e-9, "case {case}");
        assert_eq!(cal.working_days_between(t[2], t[0]), -ac);
    }
}

#[test]
fn sla_due_with_random_pauses_is_consistent() {
    // With closed pauses, evaluating at the due time finds the whole budget used, and one second
    // later the stage is breached; the due never precedes the unpaused due.
    let cals = calendars();
    let policy = SlaPolicy::sop_4_working_days().unwrap();
    let mut rng = XorShift(0x5eed_0006);
    for case in 0..CASES {
        let cal = &cals[rng.below(cals.len() as u64) as usize];
        let clock = SlaClock::new(cal, &policy, "response").unwrap();
        let started = random_instant(&mut rng);
        let mut pauses = Vec::new();
        for _ in 0..rng.below(4) {
            let from = started + SignedDuration::from_secs(rng.below(10 * 86_400) as i64);
            let to = from + SignedDuration::from_secs(rng.below(3 * 86_400) as i64);
            pauses.push(Pause { from, to: Some(to) });
        }
        let far = started + SignedDuration::from_hours(24 * 400);
        let e = clock.evaluate(started, &pauses, far).unwrap();
        assert!(e.due >= e.unpaused_due, "case {case}");
        assert!(e.warn_at <= e.due, "case {case}");
        assert_eq!(e.status, SlaStatus::Breached);
        assert!((e.used_working_days + e.remaining_working_days - e.effective_budget).abs() < 1e-9);

        let at_due = clock.evaluate(started, &pauses, e.due).unwrap();
        assert!(
            (at_due.due.as_millisecond() - e.due.as_millisecond()).abs() <= 1,
            "case {case}: {} vs {}",
            at_due.due,
            e.due
        );
        assert!(
            (at_due.used_working_days - e.effective_budget).abs() < 1e-6,
            "case {case}: used {} of {}",
            at_due.used_working_days,
            e.effective_budget
        );
        assert!(
            matches!(at_due.status, SlaStatus::Warning | SlaStatus::Paused),
            "case {case}: {:?}",
            at_due.status
        );
        let after = clock
            .evaluate(started, &pauses, e.due + SignedDuration::from_secs(1))
            .unwrap();
        assert_eq!(after.status, SlaStatus::Breached, "case {case}");
    }
}
