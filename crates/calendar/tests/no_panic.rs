//! Robustness: random and mutated inputs give errors, never panics (deterministic xorshift).

use std::sync::Arc;

use aduan_calendar::{
    Calendar, CalendarSpec, DataQuality, HOLIDAYS_2027_PROVISIONAL_CSV, HolidayTable, Pause,
    SOP_4_WORKING_DAYS_JSON, SlaClock, SlaPolicy, parse_date, parse_time, resolve_time_zone,
};
use jiff::{SignedDuration, Timestamp};

mod support;
use support::XorShift;

const ALPHABET: &[char] = &[
    '0', '1', '2', '7', '9', '-', ':', ',', '"', '#', '\n', '\r', ' ', '{', '}', '[', ']', '\\',
    'u', 'a', 'e', 'n', 't', 'r', 'l', 's', 'd', '.', 'E', '+', 'é', '😀', '\u{feff}', '\0',
];

fn random_text(rng: &mut XorShift) -> String {
    let len = rng.below(40) as usize;
    (0..len)
        .map(|_| ALPHABET[rng.below(ALPHABET.len() as u64) as usize])
        .collect()
}

/// Deletes, duplicates or replaces a few characters of `text`.
fn mutate(rng: &mut XorShift, text: &str) -> String {
    let mut chars: Vec<char> = text.chars().collect();
    for _ in 0..1 + rng.below(4) {
        if chars.is_empty() {
            break;
        }
        let i = rng.below(chars.len() as u64) as usize;
        match rng.below(3) {
            0 => {
                chars.remove(i);
            }
            1 => {
                let c = chars[i];
                chars.insert(i, c);
            }
            _ => chars[i] = ALPHABET[rng.below(ALPHABET.len() as u64) as usize],
        }
    }
    chars.into_iter().collect()
}

#[test]
fn random_and_mutated_text_inputs() {
    let mut rng = XorShift(0xbad_5eed);
    let holidays = Arc::new(HolidayTable::new());
    for _ in 0..5_000 {
        let text = random_text(&mut rng);
        let _ = HolidayTable::from_csv(&text, DataQuality::Verified);
        let _ = SlaPolicy::from_json(&text);
        let _ = CalendarSpec::from_json(&text);
        let _ = parse_time(&text);
        let _ = parse_date(&text);
        let _ = resolve_time_zone(&text);

        let csv = mutate(&mut rng, HOLIDAYS_2027_PROVISIONAL_CSV);
        let _ = HolidayTable::from_csv(&csv, DataQuality::Provisional);
        let json = mutate(&mut rng, SOP_4_WORKING_DAYS_JSON);
        let _ = SlaPolicy::from_json(&json);
        let spec = mutate(
            &mut rng,
            r#"{"time_zone":"WIB","working_days":["monday","friday"],"opens":"07:30","closes":"16:00","closures":[{"from":"2026-07-06","to":"2026-07-08","reason":"x"}]}"#,
        );
        if let Ok(spec) = CalendarSpec::from_json(&spec) {
            let _ = Calendar::from_spec(&spec, holidays.clone());
        }
    }
}

#[test]
fn random_instants_across_the_whole_range() {
    let cal = Calendar::for_zone("WIT", Arc::new(HolidayTable::shipped().unwrap())).unwrap();
    let policy = SlaPolicy::sp4n_lapor().unwrap();
    let clock = SlaClock::new(&cal, &policy, "await_reply").unwrap();
    let (min, max) = (Timestamp::MIN.as_second(), Timestamp::MAX.as_second());
    let mut rng = XorShift(0x0dd_5eed);
    let random = |rng: &mut XorShift| {
        let secs = min + (rng.next() % (max - min) as u64) as i64;
        Timestamp::from_second(secs).unwrap()
    };
    for _ in 0..300 {
        let a = random(&mut rng);
        // Near the ends of the range half of the time.
        let a = if rng.below(2) == 0 {
            let edge = if rng.below(2) == 0 {
                Timestamp::MIN
            } else {
                Timestamp::MAX
            };
            let back = SignedDuration::from_hours(rng.below(24 * 30) as i64);
            edge.checked_sub(back)
                .or_else(|_| edge.checked_add(back))
                .unwrap_or(edge)
        } else {
            a
        };
        let n = rng.below(30) as u32;
        let _ = cal.clock_start(a);
        let _ = cal.add_working_days(a, n);
        let _ = cal.advance(a, rng.below(40) as f64 / 3.0);
        let b = a
            .checked_add(SignedDuration::from_hours(rng.below(24 * 60) as i64))
            .unwrap_or(a);
        let w = cal.working_days_between(a, b);
        assert!(w.is_finite() && w >= 0.0);
        let pause = Pause {
            from: b,
            to: if rng.below(2) == 0 { None } else { Some(b) },
        };
        let _ = clock.evaluate(a, &[pause], b);
    }
}
