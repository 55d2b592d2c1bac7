//! Checks of request fields shared by every service, so that one rule answers the same way
//! everywhere (INVALID_ARGUMENT naming the field, never repeating the value).

use crate::Violations;

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
}
