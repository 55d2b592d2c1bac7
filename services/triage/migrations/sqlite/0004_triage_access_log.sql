-- Reads of a triage case (its screening reasons, summary and notes are free text from the
-- complaint) are logged (issue 12, docs/security.md): who, when, which case, why (sealed), each
-- row a link of its office's HMAC chain (aduan_runtime::audit).
CREATE TABLE access_log (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    complaint_id TEXT NOT NULL,
    office_code TEXT NOT NULL,
    at BIGINT NOT NULL,
    subject TEXT NOT NULL,
    role TEXT NOT NULL,
    what TEXT NOT NULL,
    sealed_purpose BLOB NOT NULL,
    chain_seq BIGINT NOT NULL DEFAULT 0,
    mac TEXT NOT NULL DEFAULT ''
);
CREATE INDEX access_log_office ON access_log (office_code, complaint_id, id);
CREATE INDEX access_log_chain ON access_log (office_code, chain_seq);
CREATE TABLE audit_heads (
    office_code TEXT PRIMARY KEY,
    seq BIGINT NOT NULL,
    mac TEXT NOT NULL
);
