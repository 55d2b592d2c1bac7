-- A survey row no longer names its complaint (issue 12, docs/security.md): the one-survey-per-
-- complaint rule is kept on a keyed HMAC of the complaint id (the office's blind-index key), so
-- the scores cannot be joined back to a complaint without the key. Rows written before are
-- re-keyed by the service at start-up.
ALTER TABLE surveys RENAME COLUMN complaint_id TO complaint_key;
