-- Notifications (docs/console.md, "Notifications"): what the relays brought for the staff of an
-- office. No personal content: numbers, codes and dates only; the text is the console's,
-- written when the list is shown.

-- One notification per lifecycle event that concerns someone.
CREATE TABLE notifications (
    id TEXT PRIMARY KEY,
    source_service TEXT NOT NULL,
    event_id TEXT NOT NULL,
    complaint_id TEXT NOT NULL,
    office_code TEXT NOT NULL,
    -- The complaint's Bidang when known, else ''.
    bidang_code TEXT NOT NULL,
    -- disposition, response_drafted, response_returned, response_approved, moved, reopened,
    -- sla_warning, sla_breach.
    kind TEXT NOT NULL,
    registration_number TEXT NOT NULL,
    category_code TEXT NOT NULL,
    -- YYYY-MM-DD in the office's calendar, or ''.
    due_date TEXT NOT NULL,
    -- When it happened (the event's time), seconds since the epoch.
    created_at BIGINT NOT NULL
);
CREATE INDEX notifications_office ON notifications (office_code, created_at);
CREATE INDEX notifications_created ON notifications (created_at);

-- Who sees it: an account of the notification's office with one of these roles, and of this
-- Bidang when bidang_code is not ''.
CREATE TABLE notification_audience (
    notification_id TEXT NOT NULL,
    role TEXT NOT NULL,
    bidang_code TEXT NOT NULL,
    PRIMARY KEY (notification_id, role, bidang_code)
);

-- Read state per account.
CREATE TABLE notification_reads (
    notification_id TEXT NOT NULL,
    user_id TEXT NOT NULL,
    read_at BIGINT NOT NULL,
    PRIMARY KEY (notification_id, user_id)
);

-- What the console knows of a complaint from earlier events (the disposition): its number,
-- category and Bidang, for the notifications of later events that do not carry them.
CREATE TABLE notification_cases (
    complaint_id TEXT PRIMARY KEY,
    office_code TEXT NOT NULL,
    bidang_code TEXT NOT NULL,
    registration_number TEXT NOT NULL,
    category_code TEXT NOT NULL,
    updated_at BIGINT NOT NULL
);
