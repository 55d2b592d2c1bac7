-- The console's own records (issue 14): local accounts of the embedded default and the
-- server-side sessions of every sign-in mode. Times are seconds since the epoch.
CREATE TABLE users (
    id TEXT PRIMARY KEY,
    username TEXT NOT NULL UNIQUE,
    display_name TEXT NOT NULL,
    -- Argon2id in the PHC string format; never the password.
    password_hash TEXT NOT NULL,
    -- Comma-separated role names, as in tokens.
    roles TEXT NOT NULL,
    office_code TEXT NOT NULL,
    bidang TEXT NOT NULL DEFAULT '',
    must_change_password BOOLEAN NOT NULL DEFAULT TRUE,
    disabled BOOLEAN NOT NULL DEFAULT FALSE,
    -- Failed sign-ins since failures_since (the throttle's window).
    failures BIGINT NOT NULL DEFAULT 0,
    failures_since BIGINT NOT NULL DEFAULT 0,
    created_at BIGINT NOT NULL,
    created_by TEXT NOT NULL
);

CREATE TABLE sessions (
    -- SHA-256 of the cookie's value: the table alone does not open a session.
    id_hash TEXT PRIMARY KEY,
    user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    -- The session's CSRF token, carried by every form.
    csrf TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    last_seen BIGINT NOT NULL
);

CREATE INDEX sessions_user ON sessions (user_id);
