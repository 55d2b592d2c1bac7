//! Checks of the request fields shared by reporting's handlers.

use aduan_runtime::Violations;
use aduan_runtime::time::{from_proto, to_micros};

/// How far in the future a client's clock may run before a time is refused as "in the future".
const CLOCK_SKEW_MICROS: i64 = 120_000_000;

/// A page of a list: (offset, size).
pub fn page(v: &mut Violations, size: i32, token: &str) -> (i64, i64) {
    let size = match size {
        0 => 50,
        n if (1..=500).contains(&n) => i64::from(n),
        _ => {
            v.add("page_size", "between 1 and 500");
            0
        }
    };
    let offset = if token.is_empty() {
        0
    } else {
        match token.parse::<i64>() {
            Ok(n) if n >= 0 => n,
            _ => {
                v.add("page_token", "not a token from a previous response");
                0
            }
        }
    };
    (offset, size)
}

/// The revision of a draft under review.
pub fn revision(v: &mut Violations, revision: i32) {
    if revision < 1 {
        v.add("revision", "the revision of the draft (1 or more)");
    }
}

/// A time given by the caller (default `now`), not in the future; in microseconds.
pub fn check_time(
    v: &mut Violations,
    field: &str,
    t: &Option<prost_types::Timestamp>,
    now: i64,
) -> i64 {
    match t {
        None => now,
        Some(p) => match from_proto(p) {
            None => {
                v.add(field, "not a valid time");
                now
            }
            Some(x) if to_micros(x) > now + CLOCK_SKEW_MICROS => {
                v.add(field, "in the future");
                now
            }
            Some(x) => to_micros(x),
        },
    }
}
