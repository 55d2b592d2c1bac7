-- The case files of feedback (aduan_runtime::casefile): one row per complaint with its document
-- sealed with the office's key (clear columns hold codes and ids only), the access log of reads
-- of personal content, the ids of events applied (idempotent receiving), and the outbox with the
-- relay's tables (aduan_runtime::relay).
CREATE TABLE cases (
    complaint_id TEXT PRIMARY KEY,
    office_code TEXT NOT NULL,
    unit TEXT NOT NULL,
    status INTEGER NOT NULL,
    assignees TEXT NOT NULL,
    next_at BIGINT,
    event_seq INTEGER NOT NULL,
    opened_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    sealed BLOB NOT NULL
);
CREATE INDEX cases_office ON cases (office_code, unit, status, updated_at);
CREATE INDEX cases_next ON cases (next_at);

CREATE TABLE access_log (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    complaint_id TEXT NOT NULL,
    office_code TEXT NOT NULL,
    at BIGINT NOT NULL,
    subject TEXT NOT NULL,
    role TEXT NOT NULL,
    what TEXT NOT NULL,
    sealed_purpose BLOB NOT NULL
);
CREATE INDEX access_log_office ON access_log (office_code, complaint_id, id);

CREATE TABLE inbox_seen (
    event_id TEXT PRIMARY KEY,
    source_service TEXT NOT NULL,
    applied_at BIGINT NOT NULL
);

CREATE TABLE outbox (
    seq BIGINT PRIMARY KEY,
    event_id TEXT NOT NULL UNIQUE,
    complaint_id TEXT NOT NULL,
    event_type TEXT NOT NULL,
    payload BLOB NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE TABLE outbox_counter (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    last_seq BIGINT NOT NULL
);
INSERT INTO outbox_counter (id, last_seq) VALUES (1, 0);

CREATE TABLE relay_cursors (
    subscriber TEXT PRIMARY KEY,
    position BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);

CREATE TABLE relay_dead_letters (
    subscriber TEXT NOT NULL,
    seq BIGINT NOT NULL,
    event_id TEXT NOT NULL,
    complaint_id TEXT NOT NULL,
    event_type TEXT NOT NULL,
    error TEXT NOT NULL,
    attempts INTEGER NOT NULL,
    dead_at BIGINT NOT NULL,
    held_behind BIGINT,
    PRIMARY KEY (subscriber, seq)
);
CREATE INDEX relay_dead_letters_complaint ON relay_dead_letters (subscriber, complaint_id);

-- Satisfaction surveys (SKM, PermenPAN-RB 14/2017): scores only, no respondent, for the IKM.
CREATE TABLE surveys (
    survey_id TEXT PRIMARY KEY,
    office_code TEXT NOT NULL,
    service_code TEXT NOT NULL,
    complaint_id TEXT NOT NULL,
    submitted_at BIGINT NOT NULL,
    u1 INTEGER NOT NULL,
    u2 INTEGER NOT NULL,
    u3 INTEGER NOT NULL,
    u4 INTEGER NOT NULL,
    u5 INTEGER NOT NULL,
    u6 INTEGER NOT NULL,
    u7 INTEGER NOT NULL,
    u8 INTEGER NOT NULL,
    u9 INTEGER NOT NULL
);
CREATE INDEX surveys_office ON surveys (office_code, submitted_at, service_code);
