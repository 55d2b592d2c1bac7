//! A small CSV reader for the reference-data files (RFC 4180 plus `#` comment lines).
//!
//! - A line whose first character is `#` (after optional spaces), read at the start of a record, is
//!   a comment. A `#` anywhere else (for example inside a quoted note) is data.
//! - Fields may be quoted with `"`; inside quotes, `""` is a quote, and commas, `#` and line breaks
//!   are data.
//! - Unquoted fields are trimmed; blank lines are skipped; a UTF-8 byte-order mark is ignored;
//!   `\r\n` and `\n` both end a record.

use crate::error::{Error, Result};

/// One record: the 1-based line it starts on, and its fields.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record {
    /// 1-based line the record starts on.
    pub line: usize,
    /// The fields, unquoted.
    pub fields: Vec<String>,
}

/// Reads all records of `text`.
pub fn records(text: &str) -> Result<Vec<Record>> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut out = Vec::new();
    let mut chars = text.chars().peekable();
    let mut line = 1usize;

    loop {
        // At the start of a record: skip blank lines and comment lines.
        let mut lookahead = chars.clone();
        let mut spaces = 0usize;
        while let Some(&c) = lookahead.peek() {
            if c == ' ' || c == '\t' {
                lookahead.next();
                spaces += 1;
            } else {
                break;
            }
        }
        match lookahead.peek() {
            None => break,
            Some('#') => {
                for c in chars.by_ref() {
                    if c == '\n' {
                        break;
                    }
                }
                line += 1;
                continue;
            }
            Some('\n') => {
                for _ in 0..=spaces {
                    chars.next();
                }
                line += 1;
                continue;
            }
            Some('\r') => {
                let mut probe = lookahead.clone();
                probe.next();
                if matches!(probe.peek(), Some('\n') | None) {
                    for _ in 0..=spaces {
                        chars.next();
                    }
                    if chars.peek() == Some(&'\n') {
                        chars.next();
                    }
                    line += 1;
                    continue;
                }
            }
            Some(_) => {}
        }

        let start_line = line;
        let mut fields = Vec::new();
        let mut field = String::new();
        let mut quoted = false;
        let mut after_quote = false;
        let mut in_quotes = false;
        loop {
            let Some(c) = chars.next() else {
                if in_quotes {
                    return Err(Error::HolidayData {
                        line: start_line,
                        message: "a quoted field is not closed".into(),
                    });
                }
                fields.push(finish(field, quoted));
                break;
            };
            if in_quotes {
                if c == '"' {
                    if chars.peek() == Some(&'"') {
                        chars.next();
                        field.push('"');
                    } else {
                        in_quotes = false;
                        after_quote = true;
                    }
                } else {
                    if c == '\n' {
                        line += 1;
                    }
                    field.push(c);
                }
                continue;
            }
            match c {
                ',' => {
                    fields.push(finish(std::mem::take(&mut field), quoted));
                    quoted = false;
                    after_quote = false;
                }
                '\n' => {
                    line += 1;
                    fields.push(finish(field, quoted));
                    break;
                }
                '\r' if matches!(chars.peek(), Some('\n') | None) => {}
                '"' if !quoted && field.trim().is_empty() => {
                    field.clear();
                    quoted = true;
                    in_quotes = true;
                }
                ' ' | '\t' if after_quote => {}
                _ if after_quote => {
                    return Err(Error::HolidayData {
                        line,
                        message: format!("unexpected {c:?} after a closing quote"),
                    });
                }
                _ => field.push(c),
            }
        }
        out.push(Record {
            line: start_line,
            fields,
        });
    }
    Ok(out)
}

fn finish(field: String, quoted: bool) -> String {
    if quoted {
        field
    } else {
        field.trim().to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields(text: &str) -> Vec<Vec<String>> {
        records(text)
            .unwrap()
            .into_iter()
            .map(|r| r.fields)
            .collect()
    }

    #[test]
    fn comments_blank_lines_and_quotes() {
        let text = "\u{feff}# comment, with comma\n\n  # indented comment\na,b,c\r\n1, \"x, y # not a comment\" ,\"say \"\"hi\"\"\"\n";
        assert_eq!(
            fields(text),
            vec![
                vec!["a", "b", "c"],
                vec!["1", "x, y # not a comment", "say \"hi\""]
            ]
        );
    }

    #[test]
    fn quoted_line_break_and_line_numbers() {
        let recs = records("# c\nh1,h2\n\"multi\nline\",2\nlast,3").unwrap();
        assert_eq!(recs.len(), 3);
        assert_eq!(recs[1].fields, vec!["multi\nline", "2"]);
        assert_eq!(recs[1].line, 3);
        assert_eq!(recs[2].line, 5);
        assert_eq!(recs[2].fields, vec!["last", "3"]);
    }

    #[test]
    fn trailing_empty_field_is_kept() {
        assert_eq!(fields("a,b,\n"), vec![vec!["a", "b", ""]]);
    }

    #[test]
    fn malformed_quotes_are_errors_not_panics() {
        assert!(records("a,\"open\n").is_err());
        assert!(records("a,\"x\"y\n").is_err());
        for text in ["\"", "\r", "\r\r\n", ",\"\"\"", "#", "\"\"\"\"\r"] {
            let _ = records(text);
        }
    }
}
