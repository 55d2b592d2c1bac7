//! The message catalogue and Indonesian formats. Every text of the console lives in
//! `locales/<lang>.toml` (sections flatten to `section.key`); Bahasa Indonesia is the only
//! language today, and English can follow as a second file. Dates read "2 Desember 2026" with
//! the office's zone (WIB, WITA, WIT); numbers use "." for thousands (the formats of
//! `aduan_documents`, so pages and PDFs read alike).

use std::collections::HashMap;

/// The Indonesian catalogue, compiled in.
const ID: &str = include_str!("../locales/id.toml");

/// One language's texts.
#[derive(Debug, Clone)]
pub struct Catalogue {
    texts: HashMap<String, String>,
}

impl Catalogue {
    /// Bahasa Indonesia.
    pub fn indonesian() -> Self {
        Self::parse(ID).expect("locales/id.toml is valid (tested)")
    }

    /// Parses a catalogue file.
    pub fn parse(text: &str) -> Result<Self, String> {
        let table: toml::Table = toml::from_str(text).map_err(|e| e.to_string())?;
        let mut texts = HashMap::new();
        flatten("", &table, &mut texts)?;
        Ok(Self { texts })
    }

    /// The text of `key`; the key itself when missing (a test keeps every used key present).
    pub fn t<'a>(&'a self, key: &'a str) -> &'a str {
        self.texts.get(key).map(String::as_str).unwrap_or(key)
    }

    /// True when the catalogue has `key`.
    pub fn has(&self, key: &str) -> bool {
        self.texts.contains_key(key)
    }
}

fn flatten(
    prefix: &str,
    table: &toml::Table,
    out: &mut HashMap<String, String>,
) -> Result<(), String> {
    for (k, v) in table {
        let key = if prefix.is_empty() {
            k.clone()
        } else {
            format!("{prefix}.{k}")
        };
        match v {
            toml::Value::String(s) => {
                out.insert(key, s.clone());
            }
            toml::Value::Table(t) => flatten(&key, t, out)?,
            _ => return Err(format!("{key}: texts are strings")),
        }
    }
    Ok(())
}

/// "WIB", "WITA" or "WIT" for an Indonesian zone; the offset otherwise.
pub fn zone_name(tz: &jiff::tz::TimeZone, at: jiff::Timestamp) -> String {
    match tz.iana_name() {
        Some("Asia/Jakarta" | "Asia/Pontianak") => "WIB".into(),
        Some("Asia/Makassar") => "WITA".into(),
        Some("Asia/Jayapura") => "WIT".into(),
        _ => tz.to_offset(at).to_string(),
    }
}

/// "2 Desember 2026" (the documents' format, one for PDFs and pages).
pub fn date(d: jiff::civil::Date) -> String {
    aduan_documents::tanggal(d)
}

/// "2 Desember 2026, 14.05 WIB" in the office's zone.
pub fn date_time(at: jiff::Timestamp, tz: &jiff::tz::TimeZone) -> String {
    let z = at.to_zoned(tz.clone());
    format!(
        "{}, {:02}.{:02} {}",
        date(z.date()),
        z.hour(),
        z.minute(),
        zone_name(tz, at)
    )
}

/// "12.345" (Indonesian thousands separator).
pub fn number(n: i64) -> String {
    aduan_documents::angka(n as f64, 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_and_numbers_read_the_indonesian_way() {
        let d = jiff::civil::date(2026, 12, 2);
        assert_eq!(date(d), "2 Desember 2026");
        let tz = jiff::tz::TimeZone::get("Asia/Jakarta").unwrap();
        let at: jiff::Timestamp = "2026-12-02T07:05:00Z".parse().unwrap();
        assert_eq!(date_time(at, &tz), "2 Desember 2026, 14.05 WIB");
        let wita = jiff::tz::TimeZone::get("Asia/Makassar").unwrap();
        assert_eq!(date_time(at, &wita), "2 Desember 2026, 15.05 WITA");
        assert_eq!(number(0), "0");
        assert_eq!(number(999), "999");
        assert_eq!(number(1000), "1.000");
        assert_eq!(number(1234567), "1.234.567");
        assert_eq!(number(-12345), "-12.345");
    }

    #[test]
    fn every_key_used_in_templates_and_code_is_in_the_catalogue() {
        let cat = Catalogue::indonesian();
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/");
        let mut sources = Vec::new();
        for sub in ["templates", "src"] {
            for e in std::fs::read_dir(format!("{dir}{sub}")).unwrap() {
                let p = e.unwrap().path();
                sources.push((
                    p.display().to_string(),
                    std::fs::read_to_string(&p).unwrap(),
                ));
            }
        }
        let mut missing = Vec::new();
        for (path, text) in &sources {
            // t("key") and t.t("key") in templates; tr("key") in code.
            for pat in ["t(\"", "tr(\""] {
                let mut rest = text.as_str();
                while let Some(i) = rest.find(pat) {
                    rest = &rest[i + pat.len()..];
                    let Some(end) = rest.find('"') else { break };
                    let key = &rest[..end];
                    if key.contains('.') && !key.contains(' ') && !cat.has(key) {
                        missing.push(format!("{path}: {key}"));
                    }
                }
            }
        }
        assert!(
            missing.is_empty(),
            "keys missing from locales/id.toml: {missing:?}"
        );
    }
}
