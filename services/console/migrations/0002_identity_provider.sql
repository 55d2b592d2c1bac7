-- Sign-in at the province's OpenID Connect provider (cluster mode, docs/console.md).

-- A session's tokens at the provider (access, refresh, ID token), sealed with AES-256-GCM under
-- a key derived from the session's cookie: the table alone opens nothing. Empty for local
-- accounts, whose tokens the console mints.
ALTER TABLE sessions ADD COLUMN tokens TEXT NOT NULL DEFAULT '';

-- A sign-in started at the provider and not yet back: the PKCE verifier and the nonce, sealed
-- under a key from a cookie of the browser that started it, found by the SHA-256 of the state.
-- Taken once; dropped after ten minutes.
CREATE TABLE sign_in_pending (
    state_hash TEXT PRIMARY KEY,
    sealed TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
