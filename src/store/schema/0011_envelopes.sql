-- bomiljo schema, version 11: the envelope of each polygon and line feature (EPSG:25832), so that
-- a bbox selects features by their geometry, not by their representative point. Points leave
-- them NULL. Rows stored before version 11 get theirs when the database is next opened
-- (`Store::open` fills what is missing).
ALTER TABLE areas ADD COLUMN xmin DOUBLE;
ALTER TABLE areas ADD COLUMN ymin DOUBLE;
ALTER TABLE areas ADD COLUMN xmax DOUBLE;
ALTER TABLE areas ADD COLUMN ymax DOUBLE;
ALTER TABLE features ADD COLUMN xmin DOUBLE;
ALTER TABLE features ADD COLUMN ymin DOUBLE;
ALTER TABLE features ADD COLUMN xmax DOUBLE;
ALTER TABLE features ADD COLUMN ymax DOUBLE;
-- The histories keep their table's columns in order, then the import that superseded the row.
CREATE TABLE areas_history_v11 AS
    SELECT * EXCLUDE (superseded_by), CAST(NULL AS DOUBLE) AS xmin, CAST(NULL AS DOUBLE) AS ymin,
           CAST(NULL AS DOUBLE) AS xmax, CAST(NULL AS DOUBLE) AS ymax, superseded_by
    FROM areas_history;
DROP TABLE areas_history;
ALTER TABLE areas_history_v11 RENAME TO areas_history;
CREATE TABLE features_history_v11 AS
    SELECT * EXCLUDE (superseded_by), CAST(NULL AS DOUBLE) AS xmin, CAST(NULL AS DOUBLE) AS ymin,
           CAST(NULL AS DOUBLE) AS xmax, CAST(NULL AS DOUBLE) AS ymax, superseded_by
    FROM features_history;
DROP TABLE features_history;
ALTER TABLE features_history_v11 RENAME TO features_history;
