-- The ids of the events a receiver has applied (aduan_spine::relay, EventReceiver), recorded in
-- the transaction that applies them, so a redelivery changes nothing. Per (source service, event
-- id) (issue 12, docs/security.md): one service cannot suppress another's event by sending its id
-- first.
CREATE TABLE inbox_seen (
    source_service TEXT NOT NULL,
    event_id TEXT NOT NULL,
    applied_at BIGINT NOT NULL,
    PRIMARY KEY (source_service, event_id)
);
CREATE INDEX inbox_seen_applied ON inbox_seen (applied_at);
