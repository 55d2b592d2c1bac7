//! A small JSON reader (RFC 8259) feeding serde, so that the crate can read its shipped SLA
//! policies and calendar specs without another dependency. Services that already use
//! `serde_json` or `toml` can deserialize [`crate::SlaPolicy`] and [`crate::CalendarSpec`]
//! directly instead.
//!
//! Limits: nesting depth 64; numbers are integers (`u64`/`i64`) or `f64`; duplicate keys are
//! rejected.

use std::fmt;

use serde::de::value::{MapDeserializer, SeqDeserializer};
use serde::de::{self, DeserializeOwned, IntoDeserializer, Visitor};

use crate::error::{Error, Result};

const MAX_DEPTH: usize = 64;

/// Parses `text` as JSON and deserializes it into `T`.
pub(crate) fn from_str<T: DeserializeOwned>(text: &str) -> Result<T> {
    let value = Parser::new(text).parse_document()?;
    T::deserialize(value).map_err(|e| Error::Json { message: e.0 })
}

#[derive(Debug, Clone, PartialEq)]
enum Value {
    Null,
    Bool(bool),
    Unsigned(u64),
    Signed(i64),
    Float(f64),
    String(String),
    Array(Vec<Value>),
    Object(Vec<(String, Value)>),
}

struct Parser<'a> {
    text: &'a str,
    pos: usize,
}

impl<'a> Parser<'a> {
    fn new(text: &'a str) -> Self {
        Parser {
            text: text.strip_prefix('\u{feff}').unwrap_or(text),
            pos: 0,
        }
    }

    fn error(&self, message: impl fmt::Display) -> Error {
        let consumed = self.text.get(..self.pos).unwrap_or(self.text);
        let line = consumed.matches('\n').count() + 1;
        let column = consumed.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
        Error::Json {
            message: format!("line {line}, column {column}: {message}"),
        }
    }

    fn peek(&self) -> Option<u8> {
        self.text.as_bytes().get(self.pos).copied()
    }

    fn skip_ws(&mut self) {
        while let Some(b' ' | b'\t' | b'\n' | b'\r') = self.peek() {
            self.pos += 1;
        }
    }

    fn expect(&mut self, byte: u8) -> Result<()> {
        if self.peek() == Some(byte) {
            self.pos += 1;
            Ok(())
        } else {
            Err(self.error(format!("expected '{}'", byte as char)))
        }
    }

    fn parse_document(mut self) -> Result<Value> {
        let value = self.parse_value(0)?;
        self.skip_ws();
        if self.pos != self.text.len() {
            return Err(self.error("trailing characters after the JSON value"));
        }
        Ok(value)
    }

    fn parse_value(&mut self, depth: usize) -> Result<Value> {
        if depth > MAX_DEPTH {
            return Err(self.error("nested too deeply"));
        }
        self.skip_ws();
        match self.peek() {
            None => Err(self.error("unexpected end of input")),
            Some(b'{') => self.parse_object(depth),
            Some(b'[') => self.parse_array(depth),
            Some(b'"') => Ok(Value::String(self.parse_string()?)),
            Some(b't') => self.literal("true", Value::Bool(true)),
            Some(b'f') => self.literal("false", Value::Bool(false)),
            Some(b'n') => self.literal("null", Value::Null),
            Some(b'-' | b'0'..=b'9') => self.parse_number(),
            Some(_) => Err(self.error("expected a JSON value")),
        }
    }

    fn literal(&mut self, word: &str, value: Value) -> Result<Value> {
        if self.text[self.pos..].starts_with(word) {
            self.pos += word.len();
            Ok(value)
        } else {
            Err(self.error(format!("expected {word}")))
        }
    }

    fn parse_object(&mut self, depth: usize) -> Result<Value> {
        self.expect(b'{')?;
        let mut entries: Vec<(String, Value)> = Vec::new();
        self.skip_ws();
        if self.peek() == Some(b'}') {
            self.pos += 1;
            return Ok(Value::Object(entries));
        }
        loop {
            self.skip_ws();
            if self.peek() != Some(b'"') {
                return Err(self.error("expected a string key"));
            }
            let key = self.parse_string()?;
            if entries.iter().any(|(k, _)| *k == key) {
                return Err(self.error(format!("duplicate key {key:?}")));
            }
            self.skip_ws();
            self.expect(b':')?;
            let value = self.parse_value(depth + 1)?;
            entries.push((key, value));
            self.skip_ws();
            match self.peek() {
                Some(b',') => self.pos += 1,
                Some(b'}') => {
                    self.pos += 1;
                    return Ok(Value::Object(entries));
                }
                _ => return Err(self.error("expected ',' or '}'")),
            }
        }
    }

    fn parse_array(&mut self, depth: usize) -> Result<Value> {
        self.expect(b'[')?;
        let mut items = Vec::new();
        self.skip_ws();
        if self.peek() == Some(b']') {
            self.pos += 1;
            return Ok(Value::Array(items));
        }
        loop {
            items.push(self.parse_value(depth + 1)?);
            self.skip_ws();
            match self.peek() {
                Some(b',') => self.pos += 1,
                Some(b']') => {
                    self.pos += 1;
                    return Ok(Value::Array(items));
                }
                _ => return Err(self.error("expected ',' or ']'")),
            }
        }
    }

    fn parse_hex4(&mut self) -> Result<u32> {
        let digits = self
            .text
            .get(self.pos..self.pos + 4)
            .filter(|d| d.bytes().all(|b| b.is_ascii_hexdigit()))
            .ok_or_else(|| self.error("expected four hex digits after \\u"))?;
        let value = u32::from_str_radix(digits, 16).map_err(|e| self.error(e))?;
        self.pos += 4;
        Ok(value)
    }

    fn parse_string(&mut self) -> Result<String> {
        self.expect(b'"')?;
        let mut out = String::new();
        loop {
            let Some(c) = self.text[self.pos..].chars().next() else {
                return Err(self.error("unterminated string"));
            };
            self.pos += c.len_utf8();
            match c {
                '"' => return Ok(out),
                '\\' => {
                    let Some(esc) = self.peek() else {
                        return Err(self.error("unterminated escape"));
                    };
                    self.pos += 1;
                    match esc {
                        b'"' => out.push('"'),
                        b'\\' => out.push('\\'),
                        b'/' => out.push('/'),
                        b'b' => out.push('\u{8}'),
                        b'f' => out.push('\u{c}'),
                        b'n' => out.push('\n'),
                        b'r' => out.push('\r'),
                        b't' => out.push('\t'),
                        b'u' => {
                            let first = self.parse_hex4()?;
                            let code = if (0xD800..0xDC00).contains(&first) {
                                if !self.text[self.pos..].starts_with("\\u") {
                                    return Err(self.error("unpaired surrogate"));
                                }
                                self.pos += 2;
                                let second = self.parse_hex4()?;
                                if !(0xDC00..0xE000).contains(&second) {
                                    return Err(self.error("unpaired surrogate"));
                                }
                                0x10000 + ((first - 0xD800) << 10) + (second - 0xDC00)
                            } else {
                                first
                            };
                            let ch = char::from_u32(code)
                                .ok_or_else(|| self.error("invalid \\u escape"))?;
                            out.push(ch);
                        }
                        _ => return Err(self.error("invalid escape")),
                    }
                }
                c if (c as u32) < 0x20 => {
                    return Err(self.error("control character in string"));
                }
                c => out.push(c),
            }
        }
    }

    fn parse_number(&mut self) -> Result<Value> {
        let start = self.pos;
        let bytes = self.text.as_bytes();
        let mut end = start;
        if bytes.get(end) == Some(&b'-') {
            end += 1;
        }
        let int_start = end;
        while bytes.get(end).is_some_and(u8::is_ascii_digit) {
            end += 1;
        }
        if end == int_start || (bytes[int_start] == b'0' && end - int_start > 1) {
            return Err(self.error("invalid number"));
        }
        let mut float = false;
        if bytes.get(end) == Some(&b'.') {
            float = true;
            end += 1;
            let frac_start = end;
            while bytes.get(end).is_some_and(u8::is_ascii_digit) {
                end += 1;
            }
            if end == frac_start {
                return Err(self.error("invalid number"));
            }
        }
        if matches!(bytes.get(end), Some(b'e' | b'E')) {
            float = true;
            end += 1;
            if matches!(bytes.get(end), Some(b'+' | b'-')) {
                end += 1;
            }
            let exp_start = end;
            while bytes.get(end).is_some_and(u8::is_ascii_digit) {
                end += 1;
            }
            if end == exp_start {
                return Err(self.error("invalid number"));
            }
        }
        let text = &self.text[start..end];
        self.pos = end;
        let value = if !float && let Ok(u) = text.parse::<u64>() {
            Value::Unsigned(u)
        } else if !float && let Ok(i) = text.parse::<i64>() {
            Value::Signed(i)
        } else {
            let f: f64 = text.parse().map_err(|_| self.error("invalid number"))?;
            if !f.is_finite() {
                return Err(self.error("number out of range"));
            }
            Value::Float(f)
        };
        Ok(value)
    }
}

/// The error type serde sees while deserializing a parsed [`Value`].
#[derive(Debug)]
pub(crate) struct DeError(String);

impl fmt::Display for DeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for DeError {}

impl de::Error for DeError {
    fn custom<T: fmt::Display>(msg: T) -> Self {
        DeError(msg.to_string())
    }
}

impl<'de> IntoDeserializer<'de, DeError> for Value {
    type Deserializer = Value;
    fn into_deserializer(self) -> Value {
        self
    }
}

impl<'de> de::Deserializer<'de> for Value {
    type Error = DeError;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        match self {
            Value::Null => visitor.visit_unit(),
            Value::Bool(b) => visitor.visit_bool(b),
            Value::Unsigned(u) => visitor.visit_u64(u),
            Value::Signed(i) => visitor.visit_i64(i),
            Value::Float(f) => visitor.visit_f64(f),
            Value::String(s) => visitor.visit_string(s),
            Value::Array(items) => {
                let mut seq = SeqDeserializer::new(items.into_iter());
                let value = visitor.visit_seq(&mut seq)?;
                seq.end()?;
                Ok(value)
            }
            Value::Object(entries) => {
                let mut map = MapDeserializer::new(entries.into_iter());
                let value = visitor.visit_map(&mut map)?;
                map.end()?;
                Ok(value)
            }
        }
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        match self {
            Value::Null => visitor.visit_none(),
            other => visitor.visit_some(other),
        }
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value, DeError> {
        visitor.visit_newtype_struct(self)
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, DeError> {
        match self {
            Value::String(s) => {
                visitor.visit_enum(IntoDeserializer::<DeError>::into_deserializer(s))
            }
            _ => Err(de::Error::custom(
                "expected a string naming one of the allowed values",
            )),
        }
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string
        bytes byte_buf unit unit_struct seq tuple tuple_struct map struct
        identifier ignored_any
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;
    use std::collections::BTreeMap;

    #[derive(Debug, Deserialize, PartialEq)]
    #[serde(deny_unknown_fields)]
    struct Sample {
        name: String,
        count: u32,
        ratio: f64,
        tags: Vec<String>,
        maybe: Option<i64>,
        #[serde(default)]
        map: BTreeMap<String, bool>,
        mode: Mode,
    }

    #[derive(Debug, Deserialize, PartialEq)]
    #[serde(rename_all = "snake_case")]
    enum Mode {
        AutoClose,
    }

    #[test]
    fn reads_a_document_into_serde() {
        let text = r#" { "name": "a\"b\u00e9\ud83d\ude00", "count": 3, "ratio": 0.75,
            "tags": ["x", "y"], "maybe": null, "map": {"k": true}, "mode": "auto_close" } "#;
        let s: Sample = from_str(text).unwrap();
        assert_eq!(s.name, "a\"bé😀");
        assert_eq!(s.count, 3);
        assert_eq!(s.ratio, 0.75);
        assert_eq!(s.tags, vec!["x", "y"]);
        assert_eq!(s.maybe, None);
        assert_eq!(s.map.get("k"), Some(&true));
        assert_eq!(s.mode, Mode::AutoClose);
        let f: f64 = from_str("1").unwrap();
        assert_eq!(f, 1.0);
        let i: i64 = from_str("-12").unwrap();
        assert_eq!(i, -12);
    }

    #[test]
    fn rejects_bad_documents_without_panicking() {
        let bad = [
            "",
            "{",
            "[1,]",
            "{\"a\":1,}",
            "{\"a\":1 \"b\":2}",
            "01",
            "1.",
            "1e",
            "-",
            "\"\\ud800\"",
            "\"\\u12\"",
            "\"abc",
            "tru",
            "nul",
            "{\"a\":1,\"a\":2}",
            "1 2",
            "\"\u{1}\"",
            "1e999",
            "\"\\x\"",
        ];
        for text in bad {
            assert!(from_str::<serde::de::IgnoredAny>(text).is_err(), "{text:?}");
        }
        let deep = "[".repeat(10_000) + &"]".repeat(10_000);
        assert!(from_str::<serde::de::IgnoredAny>(&deep).is_err());
        // Type mismatches are errors too.
        assert!(from_str::<u32>("-1").is_err());
        assert!(from_str::<u32>("1.5").is_err());
        assert!(from_str::<Sample>("{\"name\":\"x\"}").is_err());
        let unknown = r#"{"name":"x","count":1,"ratio":1,"tags":[],"maybe":1,"mode":"auto_close","extra":1}"#;
        assert!(from_str::<Sample>(unknown).is_err());
    }

    #[test]
    fn error_positions() {
        let Err(Error::Json { message }) = from_str::<serde::de::IgnoredAny>("{\n  \"a\": x}")
        else {
            panic!("expected an error");
        };
        assert!(message.starts_with("line 2, column 8"), "{message}");
    }
}
