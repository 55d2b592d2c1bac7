//! The operator's commands on the access logs (docs/security.md, docs/privacy.md): `aduan audit
//! verify` checks each office's tamper-evident chain, `aduan audit export` writes an office's log
//! for a period as CSV with the chains checked. Both read the services' databases directly with
//! the configured keys, like `aduan migrate`.

use aduan_runtime::crypto::Keyring;
use aduan_runtime::{Error, Result};

use crate::Config;

/// One service's verdict on an office's access-log chain (`aduan audit verify`).
#[derive(Debug, Clone)]
pub struct AuditReport {
    /// The service whose database holds the log.
    pub service: &'static str,
    /// The verdict.
    pub verdict: aduan_runtime::audit::Verdict,
}

/// The access log of every configured service's database (each keeps one), opened directly
/// with the configured keys (an operator's command, like `aduan migrate`).
async fn access_logs(
    config: &Config,
) -> Result<(
    Keyring,
    Vec<(
        &'static str,
        aduan_runtime::db::Database,
        &'static aduan_runtime::audit::Table,
    )>,
)> {
    let keys = Keyring::load(&config.crypto.keys_file, &config.data_dir)?;
    let mut out = Vec::new();
    for service in config.enabled_services()? {
        let Some(database) = config.database(service) else {
            continue;
        };
        // Intake keeps its own log's form; the case-file services share the spine's.
        let table = if service == "intake" {
            &aduan_intake::store::ACCESS_LOG
        } else {
            &aduan_spine::casefile::ACCESS_LOG
        };
        let db = aduan_runtime::db::Database::connect(&database.url(config, service), 2).await?;
        out.push((service, db, table));
    }
    Ok((keys, out))
}

/// Checks `office`'s tamper-evident access log (docs/security.md) in the database of every
/// configured service.
pub async fn audit_verify(config: &Config, office: &str) -> Result<Vec<AuditReport>> {
    let (keys, logs) = access_logs(config).await?;
    let mut out = Vec::new();
    for (service, db, table) in logs {
        let verdict = aduan_runtime::audit::verify(&db, &keys, table, office).await;
        db.close().await;
        out.push(AuditReport {
            service,
            verdict: verdict?,
        });
    }
    Ok(out)
}

/// One service's part of an exported access log (`aduan audit export`).
#[derive(Debug, Clone)]
pub struct AuditExport {
    /// The service whose database holds the log.
    pub service: &'static str,
    /// The verdict on the whole chain (not only the rows in the window).
    pub verdict: aduan_runtime::audit::Verdict,
    /// The rows read in the window, in chain order.
    pub rows: Vec<aduan_runtime::audit::ExportRow>,
}

/// `office`'s access log in every configured service, the reads from `from` to `to`
/// (microseconds since the epoch, inclusive; None: open), each chain checked whole: the record
/// an office needs within 3 × 24 hours of learning of a breach (UU PDP art. 46, docs/privacy.md).
pub async fn audit_export(
    config: &Config,
    office: &str,
    from: Option<i64>,
    to: Option<i64>,
) -> Result<Vec<AuditExport>> {
    let (keys, logs) = access_logs(config).await?;
    let mut out = Vec::new();
    for (service, db, table) in logs {
        let r = aduan_runtime::audit::export(&db, &keys, table, service, office).await;
        db.close().await;
        let (verdict, mut rows) = r?;
        rows.retain(|r| from.is_none_or(|f| r.at >= f) && to.is_none_or(|t| r.at <= t));
        out.push(AuditExport {
            service,
            verdict,
            rows,
        });
    }
    Ok(out)
}

/// The columns of `aduan audit export`.
pub const CSV_HEADER: &str =
    "service,seq,accessed_at,complaint_id,actor_subject,actor_role,actor_office,action,purpose";

/// One CSV field: quoted when it holds a comma, a quote or a line break; a text a spreadsheet
/// would run as a formula (starting with =, +, -, @, tab or carriage return) is prefixed with
/// an apostrophe, since purposes are typed by people.
fn csv_field(s: &str) -> String {
    let s = if s.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{s}")
    } else {
        s.to_string()
    };
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s
    }
}

/// The rows of `exports` as CSV ([`CSV_HEADER`], then one line per read; times in RFC 3339 in
/// `tz`, the office's zone).
pub fn export_csv(exports: &[AuditExport], tz: &jiff::tz::TimeZone) -> String {
    let mut out = String::from(CSV_HEADER);
    out.push('\n');
    for e in exports {
        for r in &e.rows {
            let at = jiff::Timestamp::from_microsecond(r.at)
                .map(|t| {
                    t.to_zoned(tz.clone())
                        .strftime("%Y-%m-%dT%H:%M:%S%:z")
                        .to_string()
                })
                .unwrap_or_default();
            let fields = [
                e.service.to_string(),
                r.seq.to_string(),
                at,
                r.complaint_id.clone(),
                r.subject.clone(),
                r.role.clone(),
                r.actor_office.clone(),
                r.action.clone(),
                r.purpose.clone(),
            ];
            let line: Vec<String> = fields.iter().map(|f| csv_field(f)).collect();
            out.push_str(&line.join(","));
            out.push('\n');
        }
    }
    out
}

/// A bound of the export's period: an RFC 3339 time, or a date (`2026-12-01`) in `tz`, the
/// office's zone, taken from its first microsecond (`end` false) or to its last (`end` true).
pub fn period_bound(raw: &str, tz: &jiff::tz::TimeZone, end: bool) -> Result<i64> {
    let field = if end { "to" } else { "from" };
    if let Ok(t) = raw.parse::<jiff::Timestamp>() {
        return Ok(t.as_microsecond());
    }
    let date: jiff::civil::Date = raw.parse().map_err(|_| {
        Error::invalid(
            field,
            "a date (2026-12-01) or an RFC 3339 time (2026-12-01T08:00:00+07:00)",
        )
    })?;
    let day = if end {
        date.tomorrow()
            .map_err(|_| Error::invalid(field, "out of range"))?
    } else {
        date
    };
    let start = day
        .to_zoned(tz.clone())
        .map_err(|_| Error::invalid(field, "out of range"))?
        .timestamp()
        .as_microsecond();
    Ok(if end { start - 1 } else { start })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_fields_are_quoted_and_formulas_defused() {
        assert_eq!(csv_field("Telaah kasus"), "Telaah kasus");
        assert_eq!(csv_field("a, b"), "\"a, b\"");
        assert_eq!(csv_field("kata \"rahasia\""), "\"kata \"\"rahasia\"\"\"");
        assert_eq!(csv_field("baris\nkedua"), "\"baris\nkedua\"");
        assert_eq!(csv_field("=HYPERLINK(\"x\")"), "\"'=HYPERLINK(\"\"x\"\")\"");
        assert_eq!(csv_field("+62 812"), "'+62 812");
        assert_eq!(csv_field("-"), "'-");
    }

    #[test]
    fn dates_are_whole_days_in_the_offices_zone() {
        let wib = jiff::tz::TimeZone::get("Asia/Jakarta").unwrap();
        let from = period_bound("2026-12-01", &wib, false).unwrap();
        let to = period_bound("2026-12-01", &wib, true).unwrap();
        let t = |s: &str| s.parse::<jiff::Timestamp>().unwrap().as_microsecond();
        assert_eq!(from, t("2026-11-30T17:00:00Z"));
        assert_eq!(to, t("2026-12-01T17:00:00Z") - 1);
        assert_eq!(
            period_bound("2026-12-01T08:00:00+07:00", &wib, true).unwrap(),
            t("2026-12-01T01:00:00Z")
        );
        assert!(period_bound("kemarin", &wib, false).is_err());
    }
}
