-- bomiljo schema, version 9: a pseudonymous person or household key per incident, where the
-- agency supplies one (the layer's `person_key` field), stored only as a one-way hash. The public
-- release counts at most `[release] max_incidents_per_key` incidents of one key per source-year.
ALTER TABLE incidents ADD COLUMN person_key VARCHAR;
-- The history keeps the incidents' columns in order, then the import that superseded the row.
CREATE TABLE incidents_history_v9 AS SELECT * EXCLUDE (superseded_by), CAST(NULL AS VARCHAR) AS person_key, superseded_by FROM incidents_history;
DROP TABLE incidents_history;
ALTER TABLE incidents_history_v9 RENAME TO incidents_history;
