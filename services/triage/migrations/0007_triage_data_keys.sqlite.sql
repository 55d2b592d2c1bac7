-- Each complaint's own data key in triage (crypto-shredding, docs/privacy.md), wrapped by the key
-- of the office that registered it (`origin_office_code`, which a transfer does not change): the
-- case's free text, its history notes and the dispositions' texts are sealed with it. NULL on
-- cases from before, sealed with the office's key; their next write gives them a key of their own.
ALTER TABLE cases ADD COLUMN data_key BLOB;
