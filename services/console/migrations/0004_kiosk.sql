-- The SKM on the desk's tablet (issue 15): a session handed to the citizen for one complaint's
-- survey. While kiosk_complaint is set, the session opens that survey and nothing else; the
-- officer signs in again to take the tablet back. kiosk_until: seconds since the epoch.
ALTER TABLE sessions ADD COLUMN kiosk_complaint TEXT NOT NULL DEFAULT '';
ALTER TABLE sessions ADD COLUMN kiosk_until BIGINT NOT NULL DEFAULT 0;
