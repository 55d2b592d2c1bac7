//! Checks of request fields shared by every service, so that one rule answers the same way
//! everywhere (INVALID_ARGUMENT naming the field, never repeating the value).

use std::collections::HashSet;
use std::hash::Hash;

use crate::Violations;
use crate::time::{from_proto, to_micros};

/// How far in the future a client's clock may run before a time is refused as "in the future".
pub const CLOCK_SKEW_MICROS: i64 = 120_000_000;

/// A time given by the caller (default `now`), not in the future beyond [`CLOCK_SKEW_MICROS`];
/// in microseconds. A bad time is a violation of `field` and answers `now`.
pub fn time_not_future(
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

/// Free text: `required` (not blank), at most `max` characters, no control characters other
/// than line breaks and tabs.
pub fn text(v: &mut Violations, field: &str, value: &str, required: bool, max: usize) {
    if required && value.trim().is_empty() {
        v.add(field, "required");
    } else if value.chars().count() > max {
        v.add(field, format!("at most {max} characters"));
    } else if value
        .chars()
        .any(|c| c.is_control() && c != '\n' && c != '\t' && c != '\r')
    {
        v.add(field, "control characters are not allowed");
    }
}

/// A required id: a UUID or another identifier of letters, digits and hyphens (at most 64).
pub fn id(v: &mut Violations, field: &str, value: &str) {
    if value.is_empty() {
        v.add(field, "required");
    } else if value.len() > 64 || !value.chars().all(|c| c.is_ascii_alphanumeric() || c == '-') {
        v.add(field, "not an id");
    }
}

/// True for a code of reference data: lowercase letters, digits and `_`, starting with a
/// letter, at most `max` bytes (for example `not_answered`).
pub fn is_code(s: &str, max: usize) -> bool {
    s.len() <= max
        && s.chars().next().is_some_and(|c| c.is_ascii_lowercase())
        && s.chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
}

/// The most paths an update mask may name. Intake's `ComplaintPatch` has 43 paths that can be
/// amended (sections and fields within them), so a mask naming each once fits.
pub const MAX_MASK_PATHS: usize = 64;

/// The length of a repeated field: one violation naming `field` when it has fewer than `min`
/// elements ("at least {min}") or more than `max` ("at most {max}"). True when the elements may
/// be checked one by one: a handler looks at no element of an oversized list, so that its work
/// (and its answer) does not grow with what the client sent.
pub fn list_len(v: &mut Violations, field: &str, len: usize, min: usize, max: usize) -> bool {
    if len > max {
        v.add(field, format!("at most {max}"));
        false
    } else {
        if len < min {
            v.add(field, format!("at least {min}"));
        }
        true
    }
}

/// `items` without repeats, each kept where it first appears.
pub fn dedup<T: Clone + Eq + Hash>(items: &[T]) -> Vec<T> {
    let mut seen = HashSet::with_capacity(items.len());
    items.iter().filter(|x| seen.insert(*x)).cloned().collect()
}

/// How many values a protobuf enum has besides 0 (`UNSPECIFIED`), counting 1 to 255: the most
/// elements a repeated field of that enum needs to name each value once.
pub fn enum_values<E: TryFrom<i32>>() -> usize {
    (1..=255).filter(|n| E::try_from(*n).is_ok()).count()
}

/// A repeated enum field read as a set (a filter, a choice of instructions): at most
/// [`enum_values`] elements, else one violation on `field` and no element is looked at; each
/// element a value of `E` other than 0, else `{field}[i]` gets `invalid`. Answers the values once
/// each, in the order first given.
pub fn enum_set<E: TryFrom<i32>>(
    v: &mut Violations,
    field: &str,
    values: &[i32],
    invalid: &str,
) -> Vec<i32> {
    if !list_len(v, field, values.len(), 0, enum_values::<E>()) {
        return Vec::new();
    }
    for (i, x) in values.iter().enumerate() {
        if *x == 0 || E::try_from(*x).is_err() {
            v.add(format!("{field}[{i}]"), invalid);
        }
    }
    dedup(values)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields(f: impl FnOnce(&mut Violations)) -> Vec<String> {
        let mut v = Violations::new();
        f(&mut v);
        match v.into_result() {
            Ok(()) => vec![],
            Err(crate::Error::InvalidArgument(list)) => {
                list.into_iter().map(|x| x.description).collect()
            }
            Err(e) => panic!("{e}"),
        }
    }

    #[test]
    fn text_and_ids() {
        assert_eq!(fields(|v| text(v, "a", " ", true, 5)), vec!["required"]);
        assert!(fields(|v| text(v, "a", "", false, 5)).is_empty());
        assert_eq!(
            fields(|v| text(v, "a", "enam ch", false, 5)),
            vec!["at most 5 characters"]
        );
        assert!(fields(|v| text(v, "a", "baris\r\nkedua\t", false, 50)).is_empty());
        assert_eq!(
            fields(|v| text(v, "a", "bel\u{7}", false, 50)),
            vec!["control characters are not allowed"]
        );
        assert!(fields(|v| id(v, "id", "01a22085-6790-71f3-9fc9-a7ba7ad23dd5")).is_empty());
        assert_eq!(fields(|v| id(v, "id", "")), vec!["required"]);
        assert_eq!(fields(|v| id(v, "id", "x'; --")), vec!["not an id"]);
        assert_eq!(fields(|v| id(v, "id", &"a".repeat(65))), vec!["not an id"]);
        assert!(is_code("not_answered", 64));
        assert!(!is_code("Not", 64) && !is_code("", 64) && !is_code("9a", 64));
        assert!(!is_code("a-b", 64) && !is_code("abc", 2));
    }

    #[test]
    fn lists() {
        assert!(fields(|v| assert!(list_len(v, "a", 3, 1, 3))).is_empty());
        assert_eq!(
            fields(|v| assert!(list_len(v, "a", 0, 1, 3))),
            vec!["at least 1"]
        );
        assert_eq!(
            fields(|v| assert!(!list_len(v, "a", 100_000, 1, 3))),
            vec!["at most 3"]
        );
        assert_eq!(dedup(&[3, 1, 3, 2, 1]), vec![3, 1, 2]);
        assert_eq!(dedup::<String>(&[]), Vec::<String>::new());
    }

    #[derive(Debug)]
    struct Three;
    impl TryFrom<i32> for Three {
        type Error = ();
        fn try_from(n: i32) -> Result<Self, ()> {
            (0..=3).contains(&n).then_some(Three).ok_or(())
        }
    }

    #[test]
    fn enum_sets() {
        assert_eq!(enum_values::<Three>(), 3);
        let mut v = Violations::new();
        assert_eq!(
            enum_set::<Three>(&mut v, "s", &[2, 1, 2], "bad"),
            vec![2, 1]
        );
        assert!(v.is_empty());
        assert_eq!(
            fields(|v| {
                enum_set::<Three>(v, "s", &[1, 0, 9], "bad");
            }),
            vec!["bad", "bad"]
        );
        assert_eq!(
            fields(|v| {
                assert!(enum_set::<Three>(v, "s", &[7; 100_000], "bad").is_empty());
            }),
            vec!["at most 3"]
        );
    }
}
