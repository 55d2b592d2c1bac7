//! Checks of the request fields shared by reporting's handlers.

use aduan_runtime::Violations;

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

pub use aduan_runtime::validate::time_not_future as check_time;
