-- bomiljo schema, version 7: tags of line features.
-- A line layer keeps the source columns it names in `keep_tags` (OpenStreetMap `oneway`,
-- `maxspeed`, `foot`, ...) as a JSON object, from which the street network is built. The history
-- table keeps its columns in the order of `features` followed by `superseded_by`.
ALTER TABLE features ADD COLUMN tags VARCHAR;
CREATE TABLE features_history_v7 AS SELECT * EXCLUDE (superseded_by), CAST(NULL AS VARCHAR) AS tags, superseded_by FROM features_history;
DROP TABLE features_history;
ALTER TABLE features_history_v7 RENAME TO features_history;
