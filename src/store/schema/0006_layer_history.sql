-- bomiljo schema, version 6: layer versions and undo.
-- Every import records its mode: `replace` swaps the whole layer, `append` adds rows and replaces
-- rows with the same id. The rows an import removes (the whole previous layer, or the rows it
-- replaced by id) move to `<table>_history` tagged with the import that superseded them, so
-- `bomiljo layer undo LAYER` can put them back in one transaction.
ALTER TABLE import_log ADD COLUMN mode VARCHAR DEFAULT 'append';
ALTER TABLE import_log ADD COLUMN undone_at TIMESTAMP;
CREATE TABLE areas_history AS SELECT *, CAST(NULL AS BIGINT) AS superseded_by FROM areas LIMIT 0;
CREATE TABLE features_history AS SELECT *, CAST(NULL AS BIGINT) AS superseded_by FROM features LIMIT 0;
CREATE TABLE housing_history AS SELECT *, CAST(NULL AS BIGINT) AS superseded_by FROM housing LIMIT 0;
CREATE TABLE incidents_history AS SELECT *, CAST(NULL AS BIGINT) AS superseded_by FROM incidents LIMIT 0;
