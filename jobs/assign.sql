-- Point in delbydel for incidents that arrive without one: ST_Contains against the delbydeler,
-- the spatial join Sedona runs (on a Spark cluster, or SedonaDB on one machine). The export's
-- points are stored positions (snapped to the 100 m anonymisation grid); bomiljo assigns from the
-- position as delivered, so near a boundary the two may differ: the runner reports how often.
SELECT i.id, i.source, CAST(i.year AS INT) AS year, i.delbydel AS given, a.id AS contained
FROM incidents i
LEFT JOIN areas a ON ST_Contains(a.geometry, i.geometry)
