//! Checks of the request fields shared by feedback's handlers.

use aduan_proto::feedback::v1 as pb;
use aduan_runtime::Violations;
use aduan_runtime::time::date_from_proto;
use jiff::civil::Date;

pub use aduan_runtime::validate::time_not_future as check_time;

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
    (offset(v, token), size)
}

/// The offset a page token stands for (the number of entries before the page).
pub fn offset(v: &mut Violations, token: &str) -> i64 {
    if token.is_empty() {
        return 0;
    }
    match token.parse::<i64>() {
        Ok(n) if n >= 0 => n,
        _ => {
            v.add("page_token", "not a token from a previous response");
            0
        }
    }
}

/// The period of an index request as first and last day.
pub fn period(
    v: &mut Violations,
    p: &Option<pb::get_satisfaction_index_request::Period>,
) -> Option<(Date, Date)> {
    use pb::get_satisfaction_index_request::Period;
    let year_ok = |v: &mut Violations, field: &str, y: i32| {
        if (2000..=2100).contains(&y) {
            i16::try_from(y).ok()
        } else {
            v.add(field, "a year between 2000 and 2100");
            None
        }
    };
    match p {
        None => {
            v.add("period", "required: range, month, quarter or year");
            None
        }
        Some(Period::Range(r)) => {
            let from = r.from.as_ref().and_then(date_from_proto);
            let to = r.to.as_ref().and_then(date_from_proto);
            if from.is_none() {
                v.add("range.from", "a valid date is required");
            }
            if to.is_none() {
                v.add("range.to", "a valid date is required");
            }
            let (from, to) = (from?, to?);
            if to < from {
                v.add("range.to", "before range.from");
                return None;
            }
            Some((from, to))
        }
        Some(Period::Month(m)) => {
            let y = year_ok(v, "month.year", m.year);
            if !(1..=12).contains(&m.month) {
                v.add("month.month", "between 1 and 12");
                return None;
            }
            let first = Date::new(y?, m.month as i8, 1).ok()?;
            Some((first, first.last_of_month()))
        }
        Some(Period::Quarter(q)) => {
            let y = year_ok(v, "quarter.year", q.year);
            if !(1..=4).contains(&q.quarter) {
                v.add("quarter.quarter", "between 1 and 4");
                return None;
            }
            let y = y?;
            let first = Date::new(y, (q.quarter as i8 - 1) * 3 + 1, 1).ok()?;
            let last = Date::new(y, q.quarter as i8 * 3, 1).ok()?.last_of_month();
            Some((first, last))
        }
        Some(Period::Year(y)) => {
            let y = year_ok(v, "year", *y)?;
            Some((Date::new(y, 1, 1).ok()?, Date::new(y, 12, 31).ok()?))
        }
    }
}
