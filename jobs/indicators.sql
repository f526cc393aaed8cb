-- Per-delbydel indicators of one year, from bomiljo's GeoParquet export
-- (`bomiljo export --format geoparquet`), as `bomiljo measure --year YEAR --format csv` computes
-- them: count, population, incidents per 1,000 residents, per km², the previous year and the
-- change, the ratio to the city's rate and the rank by rate. Written in the SQL that Spark SQL
-- (Sedona on a cluster) and SedonaDB (DataFusion) both run.
--
-- Views the runner registers (scripts/distributed.py):
--   areas      delbydeler.parquet   (id, name, parent_code, residents, km2, km2_basis, geometry)
--   incidents  incidents/           (Hive partitions source=/year=; delbydel as bomiljo assigned it)
-- ${year} is replaced by the year. The p-values of the change (an exact Poisson test and the
-- Benjamini-Hochberg correction) stay in bomiljo.
WITH counted AS (
    SELECT delbydel, source, CAST(year AS INT) AS year, COUNT(*) AS n
    FROM incidents
    WHERE delbydel IS NOT NULL AND CAST(year AS INT) IN (${year}, ${year} - 1)
    GROUP BY delbydel, source, CAST(year AS INT)
),
sources AS (
    SELECT DISTINCT source FROM incidents
),
joined AS (
    SELECT a.id AS code, a.name, a.parent_code AS bydel, s.source, a.residents, a.km2, a.km2_basis,
           COALESCE(now.n, 0) AS n, COALESCE(prev.n, 0) AS previous
    FROM areas a
    CROSS JOIN sources s
    LEFT JOIN counted now ON now.delbydel = a.id AND now.source = s.source AND now.year = ${year}
    LEFT JOIN counted prev ON prev.delbydel = a.id AND prev.source = s.source AND prev.year = ${year} - 1
),
rated AS (
    SELECT j.*, CASE WHEN j.residents > 0 THEN CAST(j.n AS DOUBLE) / j.residents * 1000.0 END AS rate_per_1000
    FROM joined j
),
city AS (
    SELECT source, SUM(n) AS city_count, SUM(residents) AS city_residents
    FROM rated
    WHERE residents > 0
    GROUP BY source
)
SELECT r.code, r.name, r.bydel, r.source, ${year} AS year, r.n AS count, r.residents AS population, r.rate_per_1000,
       CASE WHEN r.km2 > 0 THEN CAST(r.n AS DOUBLE) / r.km2 END AS per_km2,
       r.km2_basis, r.previous, r.n - r.previous AS change,
       CASE WHEN r.previous > 0 THEN CAST(r.n - r.previous AS DOUBLE) / CAST(r.previous AS DOUBLE) * 100.0 END AS change_pct,
       CASE WHEN c.city_count > 0 THEN r.rate_per_1000 / (CAST(c.city_count AS DOUBLE) / c.city_residents * 1000.0) END AS ratio_to_city,
       CASE WHEN r.rate_per_1000 IS NOT NULL THEN RANK() OVER (PARTITION BY r.source ORDER BY r.rate_per_1000 DESC NULLS LAST) END AS rank,
       COUNT(r.rate_per_1000) OVER (PARTITION BY r.source) AS ranked
FROM rated r
LEFT JOIN city c ON c.source = r.source
