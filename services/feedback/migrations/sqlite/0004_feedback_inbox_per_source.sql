-- Received events are deduplicated per (source service, event id) (issue 12, docs/security.md):
-- one service cannot suppress another's event by sending its id first.
CREATE TABLE inbox_seen_per_source (
    source_service TEXT NOT NULL,
    event_id TEXT NOT NULL,
    applied_at BIGINT NOT NULL,
    PRIMARY KEY (source_service, event_id)
);
INSERT INTO inbox_seen_per_source (source_service, event_id, applied_at)
    SELECT source_service, event_id, applied_at FROM inbox_seen;
DROP TABLE inbox_seen;
ALTER TABLE inbox_seen_per_source RENAME TO inbox_seen;
