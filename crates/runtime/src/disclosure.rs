//! Statistical disclosure control for provincial outputs (issue 12): a count of 1 to 4
//! complaints or survey respondents is shown as "<5", so that nobody is recognised from a small
//! number. Reporting's statistics and feedback's satisfaction index both follow this one rule.

/// A figure below this many (and above zero) is a small cell.
pub const SMALL_CELL: i64 = 5;

/// Whether `n` is a small cell: 1 to 4 (0 says nothing about anyone and stays).
pub fn is_small(n: i64) -> bool {
    n > 0 && n < SMALL_CELL
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_to_four_are_small() {
        assert!(!is_small(0));
        assert!((1..=4).all(is_small));
        assert!(!is_small(5));
        assert!(!is_small(-1));
    }
}
