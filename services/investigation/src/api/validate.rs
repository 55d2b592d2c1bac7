//! Checks of the requests' fields shared by many handlers: the limits of free text and lists,
//! codes, account ids, dates in the office's calendar, enum values and pages.

use aduan_runtime::time::date_from_proto;
use aduan_runtime::{Violations, validate};
use jiff::civil::Date;

pub(super) const PURPOSE_MAX: usize = 500;
pub(super) const NAME_MAX: usize = 200;
pub(super) const SHORT_MAX: usize = 500;
pub(super) const NOTE_MAX: usize = 2_000;
pub(super) const TEXT_MAX: usize = 10_000;
pub(super) const RESPONSE_MAX: usize = 20_000;
pub(super) const LIST_MAX: usize = 20;
/// Officers assigned at once (S8).
pub(super) const ASSIGNEES_MAX: usize = 10;
/// PUSPAGA topics of one session, and SIMFONI-PPA services of one referral.
pub(super) const CODES_MAX: usize = 10;

pub(super) fn check_code(v: &mut Violations, field: &str, code: &str, required: bool) {
    if code.is_empty() {
        if required {
            v.add(field, "required");
        }
    } else if code.len() > 64
        || !code
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
    {
        v.add(field, "lower-case letters, digits and \"_\", at most 64");
    }
}

pub(super) fn check_subject(v: &mut Violations, field: &str, s: &str) {
    if s.is_empty() {
        v.add(field, "required");
    } else if s.len() > 128
        || !s
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "._@:-".contains(c))
    {
        v.add(field, "not an account id");
    }
}

pub(super) fn check_list(v: &mut Violations, field: &str, items: &[String], min: usize) {
    // An oversized list gets one violation; its elements are not looked at.
    if validate::list_len(v, field, items.len(), min, LIST_MAX) {
        for (i, it) in items.iter().enumerate() {
            validate::text(v, &format!("{field}[{i}]"), it, true, NAME_MAX);
        }
    }
}

/// A date that must be given, exist, and (with `today`) not lie after it.
pub(super) fn check_date(
    v: &mut Violations,
    field: &str,
    d: &Option<aduan_proto::common::v1::Date>,
    required: bool,
    not_after: Option<Date>,
    not_before: Option<Date>,
) -> Option<Date> {
    let Some(d) = d else {
        if required {
            v.add(field, "required");
        }
        return None;
    };
    let Some(date) = date_from_proto(d) else {
        v.add(field, "not a valid date");
        return None;
    };
    if let Some(t) = not_after
        && date > t
    {
        v.add(
            field,
            format!("not after today ({t}) in the office's calendar"),
        );
    }
    if let Some(t) = not_before
        && date < t
    {
        v.add(
            field,
            format!("not before today ({t}) in the office's calendar"),
        );
    }
    Some(date)
}

pub(super) fn enum_ok<E: TryFrom<i32>>(value: i32) -> bool {
    value != 0 && E::try_from(value).is_ok()
}

pub(super) fn parse_offset(v: &mut Violations, token: &str) -> i64 {
    if token.is_empty() {
        return 0;
    }
    match token.parse::<i64>() {
        Ok(n) if n >= 0 => n,
        _ => {
            v.add("page_token", "not a token of this list");
            0
        }
    }
}

pub(super) fn page_size(v: &mut Violations, n: i32, default: i64) -> i64 {
    match n {
        0 => default,
        n if (1..=500).contains(&n) => i64::from(n),
        _ => {
            v.add("page_size", "between 1 and 500");
            default
        }
    }
}
