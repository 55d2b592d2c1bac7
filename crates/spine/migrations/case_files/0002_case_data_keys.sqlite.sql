-- Each case file's own data key (crypto-shredding, docs/privacy.md), wrapped by the office's key:
-- the document is sealed with it. NULL on rows written before, whose document the office's key
-- sealed; their next write gives them a key of their own.
ALTER TABLE cases ADD COLUMN data_key BLOB;
