-- Each complaint's own data key (crypto-shredding, docs/privacy.md), wrapped by the registering
-- office's key: its body, its revisions' bodies and the reasons of its amendments are sealed with
-- it. NULL on complaints registered before, sealed with the office's key; their next amendment
-- gives them a key of their own.
ALTER TABLE complaints ADD COLUMN data_key BYTEA;
