-- bomiljo schema, version 5: each incident's SSB 250 m cell, from its position as delivered
-- (before snapping to the anonymisation grid). The release counts cells from it, so cells are not
-- aliased by the snapping grid (a 250 m cell holds 4, 6 or 9 snapped 100 m positions). NULL for
-- incidents imported before version 5: the release falls back to the snapped position.
ALTER TABLE incidents ADD COLUMN ssb_cell BIGINT;
