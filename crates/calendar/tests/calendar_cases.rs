//! Deadline cases that name their dates. All offices work Monday-Friday, 07:30-16:00 unless a
//! test says otherwise. "Due" is the close of the n-th working day, counting the day the clock
//! starts on (see `Calendar::add_working_days`).

use std::sync::Arc;

use aduan_calendar::{
    Calendar, CalendarSpec, Closure, DayOff, Error, HolidayDataStatus, HolidayKind, HolidayTable,
};
use jiff::Timestamp;
use jiff::civil::{Weekday, date, time};

fn ts(text: &str) -> Timestamp {
    text.parse().unwrap()
}

fn holidays() -> Arc<HolidayTable> {
    Arc::new(HolidayTable::shipped().unwrap())
}

fn wib() -> Calendar {
    Calendar::for_zone("Asia/Jakarta", holidays()).unwrap()
}

fn due(cal: &Calendar, received: &str, n: u32) -> Timestamp {
    cal.add_working_days(ts(received), n).unwrap().due
}

// ---- the SOP example and weekends ----

#[test]
fn sop_example_mon_2026_06_08_0900_due_thu_2026_06_11_1600() {
    // Mon 8 Jun 2026 09:00 WIB, 4 working days, no holiday that week: Mon, Tue, Wed, Thu.
    let cal = wib();
    let d = cal
        .add_working_days(ts("2026-06-08T09:00:00+07:00"), 4)
        .unwrap();
    assert_eq!(d.clock_start, ts("2026-06-08T09:00:00+07:00"));
    assert_eq!(d.due, ts("2026-06-11T16:00:00+07:00"));
    assert!(!d.provisional_data);
    assert!(d.uncertain_years.is_empty());
    // Working time from 09:00 Monday to 16:00 Thursday: 7/8.5 of Monday + 3 days.
    let used = cal.working_days_between(d.clock_start, d.due);
    assert!((used - (3.0 + 7.0 / 8.5)).abs() < 1e-12, "{used}");
}

#[test]
fn before_hours_mon_2026_06_08_0645_starts_at_0730_due_thu_2026_06_11() {
    let cal = wib();
    let d = cal
        .add_working_days(ts("2026-06-08T06:45:00+07:00"), 4)
        .unwrap();
    assert_eq!(d.clock_start, ts("2026-06-08T07:30:00+07:00"));
    assert_eq!(d.due, ts("2026-06-11T16:00:00+07:00"));
    assert_eq!(cal.working_days_between(d.clock_start, d.due), 4.0);
}

#[test]
fn weekend_thu_2026_07_16_due_tue_2026_07_21_over_sat_sun() {
    // Thu 16, Fri 17, (Sat 18, Sun 19), Mon 20, Tue 21 July 2026: no holiday in July 2026.
    assert_eq!(
        due(&wib(), "2026-07-16T09:00:00+07:00", 4),
        ts("2026-07-21T16:00:00+07:00")
    );
}

#[test]
fn received_saturday_2026_06_06_starts_mon_2026_06_08_0730() {
    let cal = wib();
    let d = cal
        .add_working_days(ts("2026-06-06T10:00:00+07:00"), 4)
        .unwrap();
    assert_eq!(d.clock_start, ts("2026-06-08T07:30:00+07:00"));
    assert_eq!(d.due, ts("2026-06-11T16:00:00+07:00"));
    // Sunday night too.
    assert_eq!(
        cal.clock_start(ts("2026-06-07T23:59:59+07:00")).unwrap(),
        ts("2026-06-08T07:30:00+07:00")
    );
}

#[test]
fn after_hours_wed_2026_06_10_1600_starts_thu_2026_06_11_due_wed_2026_06_17() {
    // 16:00 is closing time: after hours. Thu 11, Fri 12, Mon 15, (Tue 16 June 2026 = 1 Muharam
    // 1448 H, libur nasional), Wed 17.
    let cal = wib();
    let d = cal
        .add_working_days(ts("2026-06-10T16:00:00+07:00"), 4)
        .unwrap();
    assert_eq!(d.clock_start, ts("2026-06-11T07:30:00+07:00"));
    assert_eq!(d.due, ts("2026-06-17T16:00:00+07:00"));
    // One second earlier is still within hours: Wednesday counts as day 1.
    assert_eq!(
        due(&cal, "2026-06-10T15:59:59+07:00", 4),
        ts("2026-06-15T16:00:00+07:00")
    );
}

// ---- libur nasional and cuti bersama ----

#[test]
fn libur_nasional_mon_2026_08_17_proklamasi() {
    // Fri 14 Aug 2026 09:00: Fri 14, (Sat, Sun, Mon 17 Aug libur nasional), Tue 18, Wed 19, Thu 20.
    let cal = wib();
    assert!(!cal.is_working_day(date(2026, 8, 17)));
    assert_eq!(
        cal.day_off(date(2026, 8, 17)),
        Some(DayOff::Holiday {
            name: "Proklamasi Kemerdekaan Republik Indonesia".into(),
            holiday_kind: HolidayKind::NationalHoliday,
            provisional: false,
        })
    );
    assert_eq!(
        due(&cal, "2026-08-14T09:00:00+07:00", 4),
        ts("2026-08-20T16:00:00+07:00")
    );
}

#[test]
fn cuti_bersama_mon_2025_08_18_from_the_skb_amendment() {
    // Fri 15 Aug 2025 10:00: Fri 15, (Sun 17 Aug libur nasional, Mon 18 Aug cuti bersama), Tue 19,
    // Wed 20, Thu 21.
    let cal = wib();
    assert!(matches!(
        cal.day_off(date(2025, 8, 18)),
        Some(DayOff::Holiday {
            holiday_kind: HolidayKind::CutiBersama,
            ..
        })
    ));
    assert_eq!(
        due(&cal, "2025-08-15T10:00:00+07:00", 4),
        ts("2025-08-21T16:00:00+07:00")
    );
}

#[test]
fn kenaikan_thu_2026_05_14_and_cuti_bersama_fri_2026_05_15() {
    // Wed 13 May 2026 09:00: Wed 13, (Thu 14 libur nasional, Fri 15 cuti bersama, weekend),
    // Mon 18, Tue 19, Wed 20.
    let cal = wib();
    assert_eq!(
        due(&cal, "2026-05-13T09:00:00+07:00", 4),
        ts("2026-05-20T16:00:00+07:00")
    );
    assert_eq!(
        cal.next_working_day(date(2026, 5, 13)).unwrap(),
        date(2026, 5, 18)
    );
}

// ---- the Idulfitri 2026 week ----

#[test]
fn idulfitri_2026_days_18_to_24_march_are_not_working_days() {
    // data/holidays/id_2025_2026.csv: Wed 18 Mar cuti bersama Nyepi, Thu 19 Nyepi, Fri 20 cuti
    // bersama Idulfitri, Sat 21 + Sun 22 Idulfitri 1447 H, Mon 23 + Tue 24 cuti bersama Idulfitri.
    let cal = wib();
    assert!(cal.is_working_day(date(2026, 3, 17)));
    for day in 18..=24 {
        assert!(!cal.is_working_day(date(2026, 3, day)), "2026-03-{day}");
    }
    assert!(cal.is_working_day(date(2026, 3, 25)));
    assert_eq!(
        cal.next_working_day(date(2026, 3, 17)).unwrap(),
        date(2026, 3, 25)
    );
    let kinds: Vec<HolidayKind> = (18..=24)
        .flat_map(|d| cal.holidays().on(date(2026, 3, d)).to_vec())
        .map(|h| h.kind)
        .collect();
    use HolidayKind::{CutiBersama as C, NationalHoliday as N};
    assert_eq!(kinds, vec![C, N, C, N, N, C, C]);
}

#[test]
fn idulfitri_2026_tue_17_march_1000_due_fri_27_march() {
    // Tue 17 (day 1), then 18-24 off, Wed 25, Thu 26, Fri 27.
    assert_eq!(
        due(&wib(), "2026-03-17T10:00:00+07:00", 4),
        ts("2026-03-27T16:00:00+07:00")
    );
}

#[test]
fn idulfitri_2026_mon_16_march_0900_due_thu_26_march() {
    // Mon 16, Tue 17, Wed 25, Thu 26.
    assert_eq!(
        due(&wib(), "2026-03-16T09:00:00+07:00", 4),
        ts("2026-03-26T16:00:00+07:00")
    );
}

#[test]
fn idulfitri_2026_received_fri_20_march_cuti_bersama_starts_wed_25_due_mon_30() {
    let cal = wib();
    let d = cal
        .add_working_days(ts("2026-03-20T09:00:00+07:00"), 4)
        .unwrap();
    assert_eq!(d.clock_start, ts("2026-03-25T07:30:00+07:00"));
    assert_eq!(d.due, ts("2026-03-30T16:00:00+07:00"));
}

#[test]
fn idulfitri_2026_working_time_tue_17_to_wed_25_march() {
    // From Tue 17 Mar 12:00 to Wed 25 Mar 12:00: 4/8.5 + 4.5/8.5 = exactly one working day.
    let cal = wib();
    let w = cal.working_days_between(
        ts("2026-03-17T12:00:00+07:00"),
        ts("2026-03-25T12:00:00+07:00"),
    );
    assert!((w - 1.0).abs() < 1e-12, "{w}");
}

// ---- year end ----

#[test]
fn year_end_wed_2026_12_23_due_wed_2026_12_30_verified() {
    // Wed 23 (day 1), Thu 24 cuti bersama Natal, Fri 25 Natal, Mon 28, Tue 29, Wed 30.
    let cal = wib();
    let d = cal
        .add_working_days(ts("2026-12-23T10:00:00+07:00"), 4)
        .unwrap();
    assert_eq!(d.due, ts("2026-12-30T16:00:00+07:00"));
    assert!(!d.provisional_data);
    assert!(!cal.is_working_day(date(2026, 12, 24)));
    assert!(!cal.is_working_day(date(2026, 12, 25)));
}

#[test]
fn year_end_tue_2026_12_29_due_mon_2027_01_04_flagged_provisional() {
    // Tue 29, Wed 30, Thu 31 Dec 2026, (Fri 1 Jan 2027 Tahun Baru, provisional file), Mon 4 Jan.
    let cal = wib();
    let d = cal
        .add_working_days(ts("2026-12-29T10:00:00+07:00"), 4)
        .unwrap();
    assert_eq!(d.due, ts("2027-01-04T16:00:00+07:00"));
    assert!(d.provisional_data);
    assert_eq!(d.uncertain_years, vec![2027]);
    assert!(cal.is_provisional(date(2027, 1, 4)));
    assert!(!cal.is_provisional(date(2026, 12, 31)));
    assert_eq!(
        cal.holiday_data_status(2027),
        HolidayDataStatus::Provisional
    );
}

#[test]
fn year_end_wed_2026_12_30_skips_estimated_isra_mikraj_tue_2027_01_05() {
    // Wed 30, Thu 31, (Fri 1 Jan), Mon 4, (Tue 5 Jan 2027 Isra Mikraj, a lunar estimate), Wed 6.
    let cal = wib();
    let d = cal
        .add_working_days(ts("2026-12-30T10:00:00+07:00"), 4)
        .unwrap();
    assert_eq!(d.due, ts("2027-01-06T16:00:00+07:00"));
    assert!(d.provisional_data);
    assert!(matches!(
        cal.day_off(date(2027, 1, 5)),
        Some(DayOff::Holiday {
            provisional: true,
            ..
        })
    ));
}

#[test]
fn year_end_thu_2027_12_30_into_2028_without_data() {
    // Thu 30, Fri 31 Dec 2027, Mon 3, Tue 4 Jan 2028: 2027 provisional, 2028 has no data at all.
    let cal = wib();
    let d = cal
        .add_working_days(ts("2027-12-30T10:00:00+07:00"), 4)
        .unwrap();
    assert_eq!(d.due, ts("2028-01-04T16:00:00+07:00"));
    assert_eq!(d.uncertain_years, vec![2027, 2028]);
    assert_eq!(cal.holiday_data_status(2028), HolidayDataStatus::Missing);
}

#[test]
fn received_fri_2026_12_31_evening_clock_starts_in_2027_and_is_flagged() {
    // Thu 31 Dec 2026 18:00: next working day is Mon 4 Jan 2027 (Fri 1 Jan is Tahun Baru).
    let cal = wib();
    let d = cal
        .add_working_days(ts("2026-12-31T18:00:00+07:00"), 1)
        .unwrap();
    assert_eq!(d.clock_start, ts("2027-01-04T07:30:00+07:00"));
    assert_eq!(d.due, ts("2027-01-04T16:00:00+07:00"));
    assert_eq!(d.uncertain_years, vec![2027]);
}

// ---- time zones ----

#[test]
fn same_instant_2026_06_03_0830z_is_1530_wib_1630_wita_1730_wit() {
    // Wed 3 June 2026 08:30 UTC. In WIB it is 15:30 (in hours, Wednesday is day 1); in WITA
    // 16:30 and in WIT 17:30 (after hours, day 1 is Thursday).
    let h = holidays();
    let received = ts("2026-06-03T08:30:00Z");
    let wib = Calendar::for_zone("WIB", h.clone()).unwrap();
    let wita = Calendar::for_zone("WITA", h.clone()).unwrap();
    let wit = Calendar::for_zone("WIT", h).unwrap();
    assert_eq!(wib.time_zone_name(), "Asia/Jakarta");
    assert_eq!(wita.time_zone_name(), "Asia/Makassar");
    assert_eq!(wit.time_zone_name(), "Asia/Jayapura");

    let d = wib.add_working_days(received, 4).unwrap();
    assert_eq!(d.clock_start, received);
    // Wed 3, Thu 4, Fri 5, Mon 8 June.
    assert_eq!(d.due, ts("2026-06-08T16:00:00+07:00"));

    let d = wita.add_working_days(received, 4).unwrap();
    assert_eq!(d.clock_start, ts("2026-06-04T07:30:00+08:00"));
    // Thu 4, Fri 5, Mon 8, Tue 9 June.
    assert_eq!(d.due, ts("2026-06-09T16:00:00+08:00"));

    let d = wit.add_working_days(received, 4).unwrap();
    assert_eq!(d.clock_start, ts("2026-06-04T07:30:00+09:00"));
    assert_eq!(d.due, ts("2026-06-09T16:00:00+09:00"));
    assert_eq!(d.due, ts("2026-06-09T07:00:00Z"));
}

#[test]
fn pontianak_is_wib_and_holidays_are_civil_dates_in_every_zone() {
    // Mon 17 Aug 2026 is a holiday in Asia/Pontianak (WIB) and Asia/Jayapura (WIT) alike,
    // although the UTC instants of its midnight differ.
    let h = holidays();
    for zone in ["Asia/Pontianak", "Asia/Jayapura", "Asia/Makassar"] {
        let cal = Calendar::for_zone(zone, h.clone()).unwrap();
        assert!(!cal.is_working_day(date(2026, 8, 17)), "{zone}");
    }
    let pontianak = Calendar::for_zone("Asia/Pontianak", h).unwrap();
    assert_eq!(
        pontianak.clock_start(ts("2026-06-03T08:30:00Z")).unwrap(),
        ts("2026-06-03T08:30:00Z")
    );
}

// ---- office closures and configuration ----

#[test]
fn office_closure_mon_2026_07_06_to_wed_2026_07_08() {
    // Closed Mon 6 - Wed 8 July 2026 (office move). Fri 3 Jul 10:00: Fri 3, Thu 9, Fri 10, Mon 13.
    let cal = wib()
        .with_closure(Closure::new(date(2026, 7, 6), date(2026, 7, 8), "pindah kantor").unwrap())
        .unwrap();
    assert_eq!(
        due(&cal, "2026-07-03T10:00:00+07:00", 4),
        ts("2026-07-13T16:00:00+07:00")
    );
    assert_eq!(
        cal.day_off(date(2026, 7, 7)),
        Some(DayOff::Closure {
            reason: "pindah kantor".into()
        })
    );
    // Received during the closure (Tue 7 July 09:00): the clock starts Thu 9 July 07:30.
    assert_eq!(
        cal.clock_start(ts("2026-07-07T09:00:00+07:00")).unwrap(),
        ts("2026-07-09T07:30:00+07:00")
    );
}

#[test]
fn calendar_spec_from_json_with_saturday_friday_hours_and_closure() {
    // A WITA office working Monday-Saturday, Friday 07:30-11:00, closed Mon 6 Jul 2026.
    let spec = CalendarSpec::from_json(
        r#"{ "time_zone": "WITA",
             "working_days": ["senin", "Selasa", "rabu", "kamis", "jumat", "saturday"],
             "opens": "07:30", "closes": "16:00",
             "hours_by_day": { "friday": { "opens": "07:30", "closes": "11:00" } },
             "closures": [ { "from": "2026-07-06", "to": "2026-07-06", "reason": "banjir" } ] }"#,
    )
    .unwrap();
    let cal = Calendar::from_spec(&spec, holidays()).unwrap();
    assert_eq!(cal.time_zone_name(), "Asia/Makassar");
    assert_eq!(cal.working_week().len(), 6);
    assert_eq!(
        cal.working_hours(Weekday::Friday),
        Some((time(7, 30, 0, 0), time(11, 0, 0, 0)))
    );
    assert_eq!(cal.working_hours(Weekday::Sunday), None);
    // Fri 3 Jul 2026 10:00 WITA: Fri 3 (closes 11:00), Sat 4, (Mon 6 closed), Tue 7, Wed 8.
    let d = cal
        .add_working_days(ts("2026-07-03T10:00:00+08:00"), 4)
        .unwrap();
    assert_eq!(d.due, ts("2026-07-08T16:00:00+08:00"));
    // Fri 3 Jul 11:30 WITA is after Friday's hours: the clock starts Saturday 07:30.
    assert_eq!(
        cal.clock_start(ts("2026-07-03T11:30:00+08:00")).unwrap(),
        ts("2026-07-04T07:30:00+08:00")
    );
}

#[test]
fn calendar_spec_defaults_and_errors() {
    let spec = CalendarSpec::from_json(r#"{"time_zone": "Asia/Jakarta"}"#).unwrap();
    assert_eq!(spec, CalendarSpec::default());
    let h = holidays();
    let bad = [
        r#"{"time_zone": "Asia/Atlantis"}"#,
        r#"{"time_zone": ""}"#,
        r#"{"time_zone": "WIB", "opens": "7.30"}"#,
        r#"{"time_zone": "WIB", "opens": "24:00"}"#,
        r#"{"time_zone": "WIB", "closes": "16:60"}"#,
        r#"{"time_zone": "WIB", "opens": "16:00", "closes": "07:30"}"#,
        r#"{"time_zone": "WIB", "opens": "08:00", "closes": "08:00"}"#,
        r#"{"time_zone": "WIB", "working_days": []}"#,
        r#"{"time_zone": "WIB", "working_days": ["funday"]}"#,
        r#"{"time_zone": "WIB", "hours_by_day": {"friday": {"opens": "x", "closes": "11:00"}}}"#,
        r#"{"time_zone": "WIB", "closures": [{"from": "2026-07-08", "to": "2026-07-06", "reason": "x"}]}"#,
        r#"{"time_zone": "WIB", "closures": [{"from": "2026-07-06", "to": "2026-07-06", "reason": " "}]}"#,
        r#"{"time_zone": "WIB", "closures": [{"from": "6/7/2026", "to": "2026-07-06", "reason": "x"}]}"#,
    ];
    for text in bad {
        let spec = CalendarSpec::from_json(text).unwrap();
        assert!(Calendar::from_spec(&spec, h.clone()).is_err(), "{text}");
    }
    assert!(matches!(
        CalendarSpec::from_json(r#"{"time_zone": "WIB", "open": "07:00"}"#),
        Err(Error::Json { .. })
    ));
    assert!(matches!(
        Calendar::for_zone("Mars/Olympus", h),
        Err(Error::UnknownTimeZone { .. })
    ));
}

#[test]
fn no_panics_at_the_edges_of_time() {
    let cal = wib();
    assert!(cal.next_working_day(date(9999, 12, 31)).is_err());
    assert!(cal.add_working_days(Timestamp::MAX, 4).is_err());
    assert!(cal.add_working_days(Timestamp::MIN, 0).is_ok());
    assert!(
        cal.add_working_days(ts("2026-06-08T09:00:00Z"), u32::MAX)
            .is_err()
    );
    assert!(
        cal.add_working_days(ts("9999-12-01T09:00:00Z"), 1000)
            .is_err()
    );
    let w = cal.working_days_between(Timestamp::MIN, Timestamp::MAX);
    assert!(w.is_finite() && w > 1_000_000.0, "{w}");
    assert!(cal.advance(Timestamp::MAX, 1.0).is_err());
    assert!(
        cal.advance(ts("2026-06-08T09:00:00Z"), f64::INFINITY)
            .is_err()
    );
    assert_eq!(
        cal.advance(ts("2026-06-08T09:00:00Z"), f64::NAN).unwrap(),
        ts("2026-06-08T09:00:00Z")
    );
    // A closure to the end of time: no working day left.
    let closed = wib()
        .with_closure(Closure::new(date(2026, 1, 1), date(9999, 12, 31), "ditutup").unwrap())
        .unwrap();
    assert!(closed.clock_start(ts("2026-06-08T09:00:00Z")).is_err());
    assert!(matches!(
        wib().with_working_week(&[]),
        Err(Error::EmptyWorkingWeek)
    ));
}

#[test]
fn advance_is_the_inverse_of_working_days_between() {
    // Mon 8 Jun 2026 09:00 + 1.5 working days = Tue 16:00 (0.8235 of Mon, 0.6765 of Tue => ...).
    let cal = wib();
    let from = ts("2026-06-08T09:00:00+07:00");
    let to = cal.advance(from, 1.5).unwrap();
    // 1.5 days = 12.75 h of work: 7 h on Monday, 5.75 h on Tuesday from 07:30 = 13:15.
    assert_eq!(to, ts("2026-06-09T13:15:00+07:00"));
    assert!((cal.working_days_between(from, to) - 1.5).abs() < 1e-12);
    // Ending exactly at a close gives the close, not the next opening.
    assert_eq!(
        cal.advance(from, 7.0 / 8.5).unwrap(),
        ts("2026-06-08T16:00:00+07:00")
    );
}
