-- Triage (S4-S7): one row per complaint it knows (free text sealed with the office's key), the history of each, the Head's dispositions
-- (every version kept), SLA alerts sent (once each), the ids of events applied (idempotent
-- receiving); the outbox, the inbox and the access log are the spine's (crates/spine/migrations).
CREATE TABLE cases (
    complaint_id TEXT PRIMARY KEY,
    office_code TEXT NOT NULL,
    origin_office_code TEXT NOT NULL,
    registration_number TEXT NOT NULL,
    channel INTEGER NOT NULL,
    category_code TEXT NOT NULL,
    received_at BIGINT NOT NULL,
    registered_at BIGINT NOT NULL,
    status INTEGER NOT NULL,
    urgent BOOLEAN NOT NULL,
    urgency_reasons TEXT NOT NULL,
    urgency_override BOOLEAN,
    reporter_identified BOOLEAN NOT NULL,
    anonymous BOOLEAN NOT NULL,
    confidential BOOLEAN NOT NULL,
    involves_child BOOLEAN NOT NULL,
    unmet_requirements TEXT NOT NULL,
    content_markers TEXT NOT NULL,
    transferred_to TEXT NOT NULL,
    transferred_from TEXT NOT NULL,
    referred_to_agency TEXT NOT NULL,
    duplicate_of TEXT NOT NULL,
    -- The screening reason and the summary for the Head (free text, personal data possible):
    -- sealed with the office's key (aduan_runtime::crypto), NULL when both are empty.
    sealed_text BYTEA,
    nature INTEGER NOT NULL,
    sla_policy TEXT NOT NULL,
    sla_stage TEXT NOT NULL,
    sla_started_at BIGINT NOT NULL,
    sla_pauses TEXT NOT NULL,
    sla_stopped_at BIGINT,
    sla_warned BOOLEAN NOT NULL,
    sla_breached BOOLEAN NOT NULL,
    sla_next_alert_at BIGINT,
    event_seq INTEGER NOT NULL,
    applied_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX cases_queue ON cases (office_code, status, urgent, registered_at);
CREATE INDEX cases_sla ON cases (sla_next_alert_at);

CREATE TABLE history (
    id BIGSERIAL PRIMARY KEY,
    complaint_id TEXT NOT NULL,
    at BIGINT NOT NULL,
    actor_subject TEXT NOT NULL,
    actor_role TEXT NOT NULL,
    actor_office TEXT NOT NULL,
    action TEXT NOT NULL,
    status INTEGER NOT NULL,
    detail TEXT NOT NULL,
    office_code TEXT NOT NULL,
    -- Free text of the entry (a reason), sealed with that office's key; NULL when none.
    sealed_note BYTEA
);
CREATE INDEX history_complaint ON history (complaint_id, id);

CREATE TABLE dispositions (
    complaint_id TEXT NOT NULL,
    version INTEGER NOT NULL,
    bidang_code TEXT NOT NULL,
    instructions TEXT NOT NULL,
    due_date TEXT NOT NULL,
    nature INTEGER NOT NULL,
    issued_by_subject TEXT NOT NULL,
    issued_by_role TEXT NOT NULL,
    issued_by_office TEXT NOT NULL,
    issued_at BIGINT NOT NULL,
    -- The free-text instruction and the reason for a change, sealed; NULL when both are empty.
    sealed_text BYTEA,
    PRIMARY KEY (complaint_id, version)
);

CREATE TABLE sla_alerts (
    complaint_id TEXT NOT NULL,
    stage TEXT NOT NULL,
    kind TEXT NOT NULL,
    emitted_at BIGINT NOT NULL,
    PRIMARY KEY (complaint_id, stage, kind)
);
