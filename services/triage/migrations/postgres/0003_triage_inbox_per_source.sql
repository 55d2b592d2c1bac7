-- Received events are deduplicated per (source service, event id) (issue 12, docs/security.md):
-- one service cannot suppress another's event by sending its id first.
ALTER TABLE inbox_seen DROP CONSTRAINT inbox_seen_pkey;
ALTER TABLE inbox_seen ADD PRIMARY KEY (source_service, event_id);
