-- Reads of personal content (aduan_spine::casefile::ACCESS_LOG): who, when, which complaint, what,
-- and why (sealed with the office's key). A tamper-evident chain per office (issue 12,
-- aduan_runtime::audit): each row carries its position in its office's chain and an HMAC over the
-- previous row's; `audit_heads` holds each office's last position and MAC.
CREATE TABLE access_log (
    id BIGSERIAL PRIMARY KEY,
    complaint_id TEXT NOT NULL,
    office_code TEXT NOT NULL,
    at BIGINT NOT NULL,
    subject TEXT NOT NULL,
    role TEXT NOT NULL,
    what TEXT NOT NULL,
    sealed_purpose BYTEA NOT NULL,
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
