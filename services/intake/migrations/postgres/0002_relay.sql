-- The event relay (aduan_runtime::relay): outbox positions from a counter taken inside the writing
-- transaction (gap-free, in commit order), each subscriber's position, and dead letters.
CREATE TABLE outbox_counter (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    last_seq BIGINT NOT NULL
);
INSERT INTO outbox_counter (id, last_seq) SELECT 1, COALESCE(MAX(seq), 0) FROM outbox;

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

-- Delivery state now lives in relay_cursors (one position per subscriber).
DROP INDEX outbox_pending;
ALTER TABLE outbox DROP COLUMN delivered_at;
ALTER TABLE outbox DROP COLUMN attempts;
