-- Every lifecycle event received (and reporting's own), as the events carry them: the timeline
-- of a complaint, and the raw material the benchmark compares the pre-aggregated tables with.
-- `period` is the month (yyyymm) of `occurred_at` in the office's time zone.
CREATE TABLE events (
    event_id TEXT PRIMARY KEY,
    complaint_id TEXT NOT NULL,
    office_code TEXT NOT NULL,
    source_service TEXT NOT NULL,
    sequence BIGINT NOT NULL,
    step INTEGER NOT NULL,
    kind TEXT NOT NULL,
    status INTEGER NOT NULL,
    occurred_at BIGINT NOT NULL,
    period INTEGER NOT NULL,
    actor_subject TEXT NOT NULL,
    actor_role TEXT NOT NULL,
    actor_office TEXT NOT NULL,
    detail TEXT NOT NULL,
    trace_id TEXT NOT NULL
);
CREATE INDEX events_complaint ON events (complaint_id, occurred_at);
CREATE INDEX events_period ON events (period, office_code);

-- The facts of each complaint that statistics count, one row per complaint and dimension
-- (channel, category, violence_type, status, bidang, sla, repeat, child, distributed, total):
-- `period` is the month (yyyymm) the complaint was received, in the office's time zone.
CREATE TABLE fact_dims (
    complaint_id TEXT NOT NULL,
    dim TEXT NOT NULL,
    office_code TEXT NOT NULL,
    period INTEGER NOT NULL,
    key TEXT NOT NULL,
    PRIMARY KEY (complaint_id, dim)
);

-- Working days each complaint spent on each step, in tenths of a working day (the office's
-- calendar): S4, S5, S7, S12, S13, S14, S15, S16 and S2-S13 (received to delivered).
CREATE TABLE fact_durations (
    complaint_id TEXT NOT NULL,
    step TEXT NOT NULL,
    office_code TEXT NOT NULL,
    period INTEGER NOT NULL,
    bucket INTEGER NOT NULL,
    PRIMARY KEY (complaint_id, step)
);

-- Satisfaction surveys (SKM): the scores only. `period`: the month the survey was submitted.
CREATE TABLE survey_facts (
    survey_id TEXT PRIMARY KEY,
    office_code TEXT NOT NULL,
    period INTEGER NOT NULL,
    service_code TEXT NOT NULL,
    u1 INTEGER NOT NULL, u2 INTEGER NOT NULL, u3 INTEGER NOT NULL,
    u4 INTEGER NOT NULL, u5 INTEGER NOT NULL, u6 INTEGER NOT NULL,
    u7 INTEGER NOT NULL, u8 INTEGER NOT NULL, u9 INTEGER NOT NULL
);

-- The pre-aggregated statistics, kept by the triggers below in the transaction that changes a
-- fact (on PostgreSQL through the delta tables further down): counts per office, month,
-- dimension and key; a histogram of working days per step; the sums of the survey scores. A
-- month's or a province's statistics read these, never the facts.
CREATE TABLE stat_counts (
    office_code TEXT NOT NULL,
    period INTEGER NOT NULL,
    dim TEXT NOT NULL,
    key TEXT NOT NULL,
    n BIGINT NOT NULL,
    PRIMARY KEY (period, office_code, dim, key)
);
CREATE TABLE stat_durations (
    office_code TEXT NOT NULL,
    period INTEGER NOT NULL,
    step TEXT NOT NULL,
    bucket INTEGER NOT NULL,
    n BIGINT NOT NULL,
    PRIMARY KEY (period, office_code, step, bucket)
);
CREATE TABLE stat_surveys (
    office_code TEXT NOT NULL,
    period INTEGER NOT NULL,
    n BIGINT NOT NULL,
    s1 BIGINT NOT NULL, s2 BIGINT NOT NULL, s3 BIGINT NOT NULL,
    s4 BIGINT NOT NULL, s5 BIGINT NOT NULL, s6 BIGINT NOT NULL,
    s7 BIGINT NOT NULL, s8 BIGINT NOT NULL, s9 BIGINT NOT NULL,
    PRIMARY KEY (period, office_code)
);

-- Changes to the aggregates not yet folded in (PostgreSQL). Concurrent transactions (a relay per
-- publishing service, the officers' steps) append here instead of updating the same aggregate
-- rows, so they never wait on or deadlock over a hot row; reporting's scheduler folds the
-- deltas into the aggregates every few seconds, and reads add the few pending ones. SQLite has
-- one writer at a time: its triggers update the aggregates directly and these stay empty.
CREATE TABLE stat_count_deltas (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    office_code TEXT NOT NULL,
    period INTEGER NOT NULL,
    dim TEXT NOT NULL,
    key TEXT NOT NULL,
    n BIGINT NOT NULL
);
CREATE INDEX stat_count_deltas_period ON stat_count_deltas (period, office_code);
CREATE TABLE stat_duration_deltas (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    office_code TEXT NOT NULL,
    period INTEGER NOT NULL,
    step TEXT NOT NULL,
    bucket INTEGER NOT NULL,
    n BIGINT NOT NULL
);
CREATE INDEX stat_duration_deltas_period ON stat_duration_deltas (period, office_code);
CREATE TABLE stat_survey_deltas (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    office_code TEXT NOT NULL,
    period INTEGER NOT NULL,
    n BIGINT NOT NULL,
    s1 BIGINT NOT NULL,
    s2 BIGINT NOT NULL,
    s3 BIGINT NOT NULL,
    s4 BIGINT NOT NULL,
    s5 BIGINT NOT NULL,
    s6 BIGINT NOT NULL,
    s7 BIGINT NOT NULL,
    s8 BIGINT NOT NULL,
    s9 BIGINT NOT NULL
);
CREATE INDEX stat_survey_deltas_period ON stat_survey_deltas (period, office_code);

CREATE TRIGGER fact_dims_insert AFTER INSERT ON fact_dims BEGIN
    INSERT INTO stat_counts (office_code, period, dim, key, n) VALUES (NEW.office_code, NEW.period, NEW.dim, NEW.key, 1)
        ON CONFLICT (period, office_code, dim, key) DO UPDATE SET n = n + excluded.n;
END;
CREATE TRIGGER fact_dims_delete AFTER DELETE ON fact_dims BEGIN
    INSERT INTO stat_counts (office_code, period, dim, key, n) VALUES (OLD.office_code, OLD.period, OLD.dim, OLD.key, -1)
        ON CONFLICT (period, office_code, dim, key) DO UPDATE SET n = n + excluded.n;
END;
CREATE TRIGGER fact_dims_update AFTER UPDATE ON fact_dims
    WHEN OLD.office_code IS NOT NEW.office_code OR OLD.period IS NOT NEW.period OR OLD.key IS NOT NEW.key
BEGIN
    INSERT INTO stat_counts (office_code, period, dim, key, n) VALUES (OLD.office_code, OLD.period, OLD.dim, OLD.key, -1)
        ON CONFLICT (period, office_code, dim, key) DO UPDATE SET n = n + excluded.n;
    INSERT INTO stat_counts (office_code, period, dim, key, n) VALUES (NEW.office_code, NEW.period, NEW.dim, NEW.key, 1)
        ON CONFLICT (period, office_code, dim, key) DO UPDATE SET n = n + excluded.n;
END;

CREATE TRIGGER fact_durations_insert AFTER INSERT ON fact_durations BEGIN
    INSERT INTO stat_durations (office_code, period, step, bucket, n) VALUES (NEW.office_code, NEW.period, NEW.step, NEW.bucket, 1)
        ON CONFLICT (period, office_code, step, bucket) DO UPDATE SET n = n + excluded.n;
END;
CREATE TRIGGER fact_durations_delete AFTER DELETE ON fact_durations BEGIN
    INSERT INTO stat_durations (office_code, period, step, bucket, n) VALUES (OLD.office_code, OLD.period, OLD.step, OLD.bucket, -1)
        ON CONFLICT (period, office_code, step, bucket) DO UPDATE SET n = n + excluded.n;
END;
CREATE TRIGGER fact_durations_update AFTER UPDATE ON fact_durations
    WHEN OLD.office_code IS NOT NEW.office_code OR OLD.period IS NOT NEW.period OR OLD.bucket IS NOT NEW.bucket
BEGIN
    INSERT INTO stat_durations (office_code, period, step, bucket, n) VALUES (OLD.office_code, OLD.period, OLD.step, OLD.bucket, -1)
        ON CONFLICT (period, office_code, step, bucket) DO UPDATE SET n = n + excluded.n;
    INSERT INTO stat_durations (office_code, period, step, bucket, n) VALUES (NEW.office_code, NEW.period, NEW.step, NEW.bucket, 1)
        ON CONFLICT (period, office_code, step, bucket) DO UPDATE SET n = n + excluded.n;
END;

CREATE TRIGGER survey_facts_insert AFTER INSERT ON survey_facts BEGIN
    INSERT INTO stat_surveys (office_code, period, n, s1, s2, s3, s4, s5, s6, s7, s8, s9)
    VALUES (NEW.office_code, NEW.period, 1, NEW.u1, NEW.u2, NEW.u3, NEW.u4, NEW.u5, NEW.u6, NEW.u7, NEW.u8, NEW.u9)
    ON CONFLICT (period, office_code) DO UPDATE SET n = n + 1, s1 = s1 + excluded.s1, s2 = s2 + excluded.s2, s3 = s3 + excluded.s3, s4 = s4 + excluded.s4, s5 = s5 + excluded.s5, s6 = s6 + excluded.s6, s7 = s7 + excluded.s7, s8 = s8 + excluded.s8, s9 = s9 + excluded.s9;
END;

-- The reporting queue (S15-S16): complaints whose feedback is in, with the report's state
-- (0 awaiting a first draft, 1 draft, 2 returned, 3 approved, 4 distributed; -1 no longer at the
-- reporting stage). The open queue is states 0-3. Codes only.
CREATE TABLE report_queue (
    complaint_id TEXT PRIMARY KEY,
    office_code TEXT NOT NULL,
    bidang TEXT NOT NULL,
    state INTEGER NOT NULL,
    since BIGINT NOT NULL
);
CREATE INDEX report_queue_office ON report_queue (office_code, state, since);

-- The monthly reports (laporan bulanan) the scheduler archived when their month closed, one per
-- office and month and one for the province (office_code = the province's code): aggregates only.
CREATE TABLE monthly_archive (
    office_code TEXT NOT NULL,
    period INTEGER NOT NULL,
    generated_at BIGINT NOT NULL,
    name TEXT NOT NULL,
    pages INTEGER NOT NULL,
    pdf BLOB NOT NULL,
    PRIMARY KEY (office_code, period)
);
