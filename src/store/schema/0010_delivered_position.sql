-- bomiljo schema, version 10: an incident's position as delivered (EPSG:25832, before the 100 m
-- snapping), kept only so that re-assigning areas after a replace or an undo equals the
-- assignment at import. No route, export or command outputs it (PRIVACY.md, section 1). Rows
-- imported before version 10 have none and are re-assigned from their snapped position.
ALTER TABLE incidents ADD COLUMN delivered_x DOUBLE;
ALTER TABLE incidents ADD COLUMN delivered_y DOUBLE;
-- The history keeps the incidents' columns in order, then the import that superseded the row.
CREATE TABLE incidents_history_v10 AS
    SELECT * EXCLUDE (superseded_by), CAST(NULL AS DOUBLE) AS delivered_x, CAST(NULL AS DOUBLE) AS delivered_y, superseded_by
    FROM incidents_history;
DROP TABLE incidents_history;
ALTER TABLE incidents_history_v10 RENAME TO incidents_history;
