-- The case files (aduan_spine::casefile): one row per complaint with its document sealed with the
-- office's key; the clear columns hold codes and ids only. `traceparent`/`tracestate` keep the
-- W3C trace context of the complaint's latest lifecycle event (trace and span ids, no personal
-- data), so that a person's next step links its own trace to it (docs/ARCHITECTURE.md, "Traces").
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
    sealed BLOB NOT NULL,
    traceparent TEXT NOT NULL DEFAULT '',
    tracestate TEXT NOT NULL DEFAULT ''
);
CREATE INDEX cases_office ON cases (office_code, unit, status, updated_at);
CREATE INDEX cases_next ON cases (next_at);
