-- The outbox of a service and the relay's own state (aduan_spine::relay). `seq` is taken from
-- `outbox_counter` inside the writing transaction, so positions are gap-free and in commit order.
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

-- The last position delivered or dead-lettered per subscriber.
CREATE TABLE relay_cursors (
    subscriber TEXT PRIMARY KEY,
    position BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);

-- Events a subscriber refused for good, and the complaint's later events held behind them.
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
