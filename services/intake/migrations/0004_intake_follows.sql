-- Intake follows the complaint (issue 12, docs/security.md): it receives the status-changing
-- lifecycle events of triage, feedback and reporting, so public tracking, ListComplaints and the
-- amendment rules see the complaint's true status.
--   current_office: the office that holds the complaint now (a transfer at S4 moves it); the
--     sealed columns stay under the registering office's key (office_code).
--   disposed_bidang: the Bidang the Head disposed it to (S7), for the Bidang's amendments (S9).
--   status_at: when the status last changed (microseconds), so that events applied out of
--     order across services do not move it back.
ALTER TABLE complaints ADD COLUMN current_office TEXT NOT NULL DEFAULT '';
ALTER TABLE complaints ADD COLUMN disposed_bidang TEXT NOT NULL DEFAULT '';
ALTER TABLE complaints ADD COLUMN status_at BIGINT NOT NULL DEFAULT 0;
UPDATE complaints SET current_office = office_code, status_at = registered_at;
CREATE INDEX complaints_by_current_office ON complaints (current_office, registered_at DESC, id DESC);
