-- The access log is a tamper-evident chain per office (issue 12, docs/security.md,
-- aduan_runtime::audit): each new row carries its position in its office's chain and an HMAC over
-- the previous row's; `audit_heads` holds each office's last position and MAC. Rows from before
-- the chain keep chain_seq = 0.
ALTER TABLE access_log ADD COLUMN chain_seq BIGINT NOT NULL DEFAULT 0;
ALTER TABLE access_log ADD COLUMN mac TEXT NOT NULL DEFAULT '';
CREATE INDEX access_log_chain ON access_log (office_code, chain_seq);
CREATE TABLE audit_heads (
    office_code TEXT PRIMARY KEY,
    seq BIGINT NOT NULL,
    mac TEXT NOT NULL
);
-- The purpose of a read is sealed with the office's key (new rows; old rows keep it in purpose).
ALTER TABLE access_log ADD COLUMN sealed_purpose BLOB NOT NULL DEFAULT x'';
