-- Intake (S1-S3, R1-R6). Times are microseconds since the Unix epoch (UTC), on both backends.
-- Personal data lives only in the sealed `pii` columns (AES-256-GCM, per-office key).

CREATE TABLE complaints (
    id TEXT PRIMARY KEY,
    office_code TEXT NOT NULL,
    registration_year INTEGER NOT NULL,
    registration_seq BIGINT NOT NULL,
    registration_number TEXT NOT NULL UNIQUE,
    tracking_code TEXT NOT NULL UNIQUE,
    channel INTEGER NOT NULL,
    category_code TEXT NOT NULL,
    status INTEGER NOT NULL,
    received_at BIGINT NOT NULL,
    registered_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    recorded_by_subject TEXT NOT NULL,
    recorded_by_role TEXT NOT NULL,
    recorded_by_office TEXT NOT NULL,
    unmet_mask BIGINT NOT NULL,
    reporter_identified BOOLEAN NOT NULL,
    anonymous BOOLEAN NOT NULL,
    confidential BOOLEAN NOT NULL,
    involves_child BOOLEAN NOT NULL,
    incident_district_code TEXT NOT NULL,
    revision INTEGER NOT NULL,
    event_seq BIGINT NOT NULL,
    pii BYTEA NOT NULL,
    request_id TEXT NOT NULL,
    request_hash TEXT NOT NULL,
    -- The registration number encodes office, year and sequence: its uniqueness is theirs.
    UNIQUE (office_code, request_id)
);
CREATE INDEX complaints_by_office ON complaints (office_code, registered_at DESC, id DESC);

-- One row per office and year: the last registration number handed out. Incremented in the same
-- transaction as the insert, so a rolled-back registration leaves no gap.
CREATE TABLE registration_counters (
    office_code TEXT NOT NULL,
    year INTEGER NOT NULL,
    last_seq BIGINT NOT NULL,
    PRIMARY KEY (office_code, year)
);

-- Earlier versions of a complaint's record. Revision 1 (as registered) is copied here by the
-- first amendment; until then the complaint row is the only version.
CREATE TABLE complaint_revisions (
    complaint_id TEXT NOT NULL REFERENCES complaints (id),
    revision INTEGER NOT NULL,
    created_at BIGINT NOT NULL,
    actor_subject TEXT NOT NULL,
    actor_role TEXT NOT NULL,
    actor_office TEXT NOT NULL,
    reason BYTEA NOT NULL,
    changed_fields TEXT NOT NULL,
    unmet_mask BIGINT NOT NULL,
    anonymous BOOLEAN NOT NULL,
    confidential BOOLEAN NOT NULL,
    pii BYTEA NOT NULL,
    PRIMARY KEY (complaint_id, revision)
);

-- Keyed blind index (HMAC) of NIKs and phone numbers: exact look-up without plaintext.
CREATE TABLE identity_index (
    office_code TEXT NOT NULL,
    kind TEXT NOT NULL,
    bidx TEXT NOT NULL,
    complaint_id TEXT NOT NULL REFERENCES complaints (id),
    PRIMARY KEY (office_code, kind, bidx, complaint_id)
);
CREATE INDEX identity_index_by_complaint ON identity_index (complaint_id);

-- Every read of a complaint's personal data.
CREATE TABLE access_log (
    id BIGSERIAL PRIMARY KEY,
    complaint_id TEXT NOT NULL,
    office_code TEXT NOT NULL,
    accessed_at BIGINT NOT NULL,
    actor_subject TEXT NOT NULL,
    actor_role TEXT NOT NULL,
    actor_office TEXT NOT NULL,
    action TEXT NOT NULL,
    purpose TEXT NOT NULL
);
CREATE INDEX access_log_by_complaint ON access_log (complaint_id, id);
