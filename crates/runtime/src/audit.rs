//! A tamper-evident access log (issue 12, docs/security.md): each office's access-log rows in a
//! service's database form a chain. Row `n` of an office carries `chain_seq = n` and
//! `mac = HMAC(office chain key, "aduan-audit-v1" | office | n | mac of row n-1 | its fields)`,
//! and `audit_heads` holds the office's last `(seq, mac)`. The chain key derives from the keys
//! file's `audit_key` (or the embedded master key), apart from the data keys, so someone who can
//! write the database but not read the keys cannot re-chain edited rows.
//!
//! [`verify`] recomputes an office's chain and reports the first broken link: an edited row (its
//! mac no longer matches), a deleted row (a gap in the sequence, or the head pointing past the
//! last row), an inserted or reordered row. Rows written before the chain existed
//! (`chain_seq = 0`) are counted, not checked.

use hmac::{Hmac, Mac};
use sha2::Sha256;
use sqlx::Row;

use crate::crypto::{Keyring, hex};
use crate::db::Database;
use crate::{Error, Result};

/// A value of a chained row.
#[derive(Debug, Clone, PartialEq)]
pub enum Field {
    /// TEXT.
    Text(String),
    /// BIGINT.
    Int(i64),
    /// BLOB / BYTEA.
    Bytes(Vec<u8>),
}

/// The kind of a chained column (for reading it back).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// TEXT.
    Text,
    /// BIGINT.
    Int,
    /// BLOB / BYTEA.
    Bytes,
}

/// One access-log table: its name and the columns the chain covers, in order (the office column
/// is `office_code`).
#[derive(Debug, Clone, Copy)]
pub struct Table {
    /// The table.
    pub name: &'static str,
    /// The chained columns.
    pub columns: &'static [(&'static str, Kind)],
    /// The additional data a row's `sealed_purpose` is sealed with, from the service and the
    /// complaint id (the office's key seals it).
    pub purpose_aad: fn(service: &str, complaint_id: &str) -> Vec<u8>,
}

/// The purpose of an exported row whose sealed purpose does not open.
pub const UNREADABLE: &str = "(tujuan tidak dapat dibuka)";

/// One row of an exported access log (`aduan audit export`), in the office's chain order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExportRow {
    /// Its position in the office's chain.
    pub seq: i64,
    /// When the data was read, microseconds since the epoch.
    pub at: i64,
    /// The complaint whose data was read.
    pub complaint_id: String,
    /// Who read it.
    pub subject: String,
    /// In which role.
    pub role: String,
    /// The reader's office (intake's log records it; empty elsewhere: the office's own staff).
    pub actor_office: String,
    /// What was read (the RPC).
    pub action: String,
    /// Why, as the reader gave it.
    pub purpose: String,
}

impl ExportRow {
    fn of(
        table: &Table,
        keys: &Keyring,
        service: &str,
        office: &str,
        seq: i64,
        fields: &[Field],
    ) -> Self {
        let get = |names: &[&str]| {
            table
                .columns
                .iter()
                .position(|(c, _)| names.contains(c))
                .and_then(|i| fields.get(i))
        };
        let text = |names: &[&str]| match get(names) {
            Some(Field::Text(t)) => t.clone(),
            _ => String::new(),
        };
        let complaint_id = text(&["complaint_id"]);
        let purpose = match get(&["sealed_purpose"]) {
            // A row whose purpose does not open was tampered with (its MAC breaks the chain,
            // which the verdict names); the export still lists it.
            Some(Field::Bytes(sealed)) if !sealed.is_empty() => keys
                .open(office, &(table.purpose_aad)(service, &complaint_id), sealed)
                .ok()
                .and_then(|p| String::from_utf8(p).ok())
                .unwrap_or_else(|| UNREADABLE.to_string()),
            // Rows from before the purposes were sealed kept them in clear.
            _ => text(&["purpose"]),
        };
        Self {
            seq,
            at: match get(&["accessed_at", "at"]) {
                Some(Field::Int(i)) => *i,
                _ => 0,
            },
            subject: text(&["actor_subject", "subject"]),
            role: text(&["actor_role", "role"]),
            actor_office: text(&["actor_office"]),
            action: text(&["action", "what"]),
            complaint_id,
            purpose,
        }
    }
}

/// The chain's MAC of one row.
pub fn link_mac(key: &[u8; 32], office: &str, seq: i64, prev: &str, fields: &[Field]) -> String {
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(key).expect("HMAC takes any key length");
    let mut put = |tag: u8, bytes: &[u8]| {
        mac.update(&[tag]);
        mac.update(&(bytes.len() as u64).to_be_bytes());
        mac.update(bytes);
    };
    put(0, b"aduan-audit-v1");
    put(1, office.as_bytes());
    put(2, &seq.to_be_bytes());
    put(3, prev.as_bytes());
    for f in fields {
        match f {
            Field::Text(t) => put(4, t.as_bytes()),
            Field::Int(i) => put(5, &i.to_be_bytes()),
            Field::Bytes(b) => put(6, b),
        }
    }
    hex(&mac.finalize().into_bytes())
}

macro_rules! backend {
    ($name:ident, $db:ty, $pool:ty, $begin:expr, $lock:expr) => {
        mod $name {
            use super::*;

            pub(super) async fn append(
                pool: &$pool,
                key: &[u8; 32],
                table: &Table,
                office: &str,
                fields: &[Field],
            ) -> Result<()> {
                let mut tx = pool.begin_with($begin).await?;
                sqlx::query(
                    "INSERT INTO audit_heads (office_code, seq, mac) VALUES ($1, 0, '') \
                     ON CONFLICT (office_code) DO NOTHING",
                )
                .bind(office)
                .execute(&mut *tx)
                .await?;
                let head = sqlx::query(sqlx::AssertSqlSafe(format!(
                    "SELECT seq, mac FROM audit_heads WHERE office_code = $1{}",
                    $lock
                )))
                .bind(office)
                .fetch_one(&mut *tx)
                .await?;
                let seq: i64 = head.try_get::<i64, _>("seq")? + 1;
                let prev: String = head.try_get("mac")?;
                let mac = link_mac(key, office, seq, &prev, fields);
                let cols: Vec<&str> = table.columns.iter().map(|(c, _)| *c).collect();
                let n = cols.len();
                let placeholders: Vec<String> = (1..=n + 2).map(|i| format!("${i}")).collect();
                let sql = format!(
                    "INSERT INTO {} ({}, chain_seq, mac) VALUES ({})",
                    table.name,
                    cols.join(", "),
                    placeholders.join(", ")
                );
                let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
                for f in fields {
                    q = match f {
                        Field::Text(t) => q.bind(t.clone()),
                        Field::Int(i) => q.bind(*i),
                        Field::Bytes(b) => q.bind(b.clone()),
                    };
                }
                q.bind(seq).bind(&mac).execute(&mut *tx).await?;
                sqlx::query("UPDATE audit_heads SET seq = $1, mac = $2 WHERE office_code = $3")
                    .bind(seq)
                    .bind(&mac)
                    .bind(office)
                    .execute(&mut *tx)
                    .await?;
                tx.commit().await?;
                Ok(())
            }

            pub(super) async fn load(
                pool: &$pool,
                table: &Table,
                office: &str,
            ) -> Result<(Vec<(i64, String, Vec<Field>)>, i64, Option<(i64, String)>)> {
                let cols: Vec<&str> = table.columns.iter().map(|(c, _)| *c).collect();
                let sql = format!(
                    "SELECT chain_seq, mac, {} FROM {} WHERE office_code = $1 AND chain_seq > 0 \
                     ORDER BY chain_seq, id",
                    cols.join(", "),
                    table.name
                );
                let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
                    .bind(office)
                    .fetch_all(pool)
                    .await?;
                let mut out = Vec::with_capacity(rows.len());
                for r in &rows {
                    let mut fields = Vec::with_capacity(cols.len());
                    for (c, kind) in table.columns {
                        fields.push(match kind {
                            Kind::Text => Field::Text(r.try_get(*c)?),
                            Kind::Int => Field::Int(r.try_get(*c)?),
                            Kind::Bytes => Field::Bytes(r.try_get(*c)?),
                        });
                    }
                    out.push((r.try_get("chain_seq")?, r.try_get("mac")?, fields));
                }
                let legacy: i64 = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
                    "SELECT COUNT(*) FROM {} WHERE office_code = $1 AND chain_seq = 0",
                    table.name
                )))
                .bind(office)
                .fetch_one(pool)
                .await?;
                let head = sqlx::query("SELECT seq, mac FROM audit_heads WHERE office_code = $1")
                    .bind(office)
                    .fetch_optional(pool)
                    .await?;
                let head = match head {
                    Some(h) => Some((h.try_get("seq")?, h.try_get("mac")?)),
                    None => None,
                };
                Ok((out, legacy, head))
            }
        }
    };
}

backend!(pg, sqlx::Postgres, sqlx::PgPool, "BEGIN", " FOR UPDATE");
backend!(lite, sqlx::Sqlite, sqlx::SqlitePool, "BEGIN IMMEDIATE", "");

/// Appends one row of `office` to `table`'s chain, in a transaction of its own that holds the
/// office's head row. `fields` are the values of `table.columns`, in order.
pub async fn append(
    db: &Database,
    keys: &Keyring,
    table: &Table,
    office: &str,
    fields: &[Field],
) -> Result<()> {
    if fields.len() != table.columns.len() {
        return Err(Error::Internal("audit row does not match its table".into()));
    }
    let key = keys.audit_key(office)?;
    match db {
        Database::Postgres(p) => pg::append(p, &key, table, office, fields).await,
        Database::Sqlite(p) => lite::append(p, &key, table, office, fields).await,
    }
}

/// The first broken link of a chain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Broken {
    /// The position where the chain breaks.
    pub seq: i64,
    /// What is wrong there.
    pub reason: String,
}

/// The outcome of checking one office's chain in one table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verdict {
    /// Chained rows checked.
    pub rows: i64,
    /// Rows from before the chain (not checked).
    pub legacy: i64,
    /// The first broken link, if any.
    pub broken: Option<Broken>,
}

/// Recomputes `office`'s chain in `table` and reports the first broken link.
pub async fn verify(db: &Database, keys: &Keyring, table: &Table, office: &str) -> Result<Verdict> {
    let key = keys.audit_key(office)?;
    let (rows, legacy, head) = match db {
        Database::Postgres(p) => pg::load(p, table, office).await?,
        Database::Sqlite(p) => lite::load(p, table, office).await?,
    };
    Ok(check(&key, office, &rows, legacy, head))
}

/// Checks `office`'s chain in `table` (the log of `service`) as [`verify`] does, and returns its
/// chained rows in order with the purposes opened: the log an office hands over after a breach
/// (UU PDP's notification duty), with the proof that no row was edited, removed or inserted.
pub async fn export(
    db: &Database,
    keys: &Keyring,
    table: &Table,
    service: &str,
    office: &str,
) -> Result<(Verdict, Vec<ExportRow>)> {
    let key = keys.audit_key(office)?;
    let (rows, legacy, head) = match db {
        Database::Postgres(p) => pg::load(p, table, office).await?,
        Database::Sqlite(p) => lite::load(p, table, office).await?,
    };
    let verdict = check(&key, office, &rows, legacy, head);
    let out = rows
        .iter()
        .map(|(seq, _, fields)| ExportRow::of(table, keys, service, office, *seq, fields))
        .collect();
    Ok((verdict, out))
}

fn check(
    key: &[u8; 32],
    office: &str,
    rows: &[(i64, String, Vec<Field>)],
    legacy: i64,
    head: Option<(i64, String)>,
) -> Verdict {
    let mut prev = String::new();
    let mut expected = 1;
    let verdict = |broken: Option<Broken>| Verdict {
        rows: rows.len() as i64,
        legacy,
        broken,
    };
    for (seq, mac, fields) in rows {
        if *seq != expected {
            return verdict(Some(Broken {
                seq: expected,
                reason: if *seq > expected {
                    format!("row {expected} is missing (the next row is {seq})")
                } else {
                    format!("row {seq} appears twice")
                },
            }));
        }
        if link_mac(key, office, *seq, &prev, fields) != *mac {
            return verdict(Some(Broken {
                seq: *seq,
                reason: "the row was changed (its MAC does not match)".into(),
            }));
        }
        prev = mac.clone();
        expected += 1;
    }
    let last = expected - 1;
    match head {
        Some((seq, mac)) if seq != last || mac != prev => verdict(Some(Broken {
            seq: last + 1,
            reason: format!("the chain's head is at row {seq}, the rows end at {last}"),
        })),
        None if last > 0 => verdict(Some(Broken {
            seq: 1,
            reason: "the chain's head is missing".into(),
        })),
        _ => verdict(None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chain(key: &[u8; 32], n: i64) -> Vec<(i64, String, Vec<Field>)> {
        let mut prev = String::new();
        (1..=n)
            .map(|seq| {
                let fields = vec![Field::Text(format!("c{seq}")), Field::Int(seq * 10)];
                let mac = link_mac(key, "35.27", seq, &prev, &fields);
                prev = mac.clone();
                (seq, mac, fields)
            })
            .collect()
    }

    #[test]
    fn edits_deletions_and_a_moved_head_break_the_chain() {
        let key = [7u8; 32];
        let rows = chain(&key, 5);
        let head = Some((5, rows[4].1.clone()));
        assert_eq!(check(&key, "35.27", &rows, 2, head.clone()).broken, None);
        // Another office's key or name does not verify.
        assert!(
            check(&[8u8; 32], "35.27", &rows, 0, head.clone())
                .broken
                .is_some()
        );
        assert!(
            check(&key, "35.26", &rows, 0, head.clone())
                .broken
                .is_some()
        );
        let mut edited = rows.clone();
        edited[2].2[1] = Field::Int(31);
        assert_eq!(
            check(&key, "35.27", &edited, 0, head.clone())
                .broken
                .unwrap()
                .seq,
            3
        );
        let mut deleted = rows.clone();
        deleted.remove(1);
        let b = check(&key, "35.27", &deleted, 0, head.clone())
            .broken
            .unwrap();
        assert_eq!(b.seq, 2);
        assert!(b.reason.contains("missing"));
        // The last row deleted: the head still points at it.
        let mut truncated = rows.clone();
        truncated.pop();
        assert_eq!(
            check(&key, "35.27", &truncated, 0, head.clone())
                .broken
                .unwrap()
                .seq,
            5
        );
        // An edited row re-MACed without the key does not help: the next link breaks.
        let mut forged = rows.clone();
        forged[1].2[0] = Field::Text("x".into());
        forged[1].1 = link_mac(&[0u8; 32], "35.27", 2, &rows[0].1, &forged[1].2);
        assert_eq!(
            check(&key, "35.27", &forged, 0, head).broken.unwrap().seq,
            2
        );
        assert_eq!(check(&key, "35.27", &[], 0, None).broken, None);
    }
}
