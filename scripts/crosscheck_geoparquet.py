"""bomiljo's GeoParquet export read by other tools (called by scripts/crosscheck.sh).

Every file of `bomiljo export --format geoparquet` must carry `geo` metadata valid against the
GeoParquet 1.1 JSON schema (tests/fixtures/geoparquet), a CRS that PROJ (pyproj) reads as
EPSG:25832, a bbox that holds every geometry, and read back in GeoPandas (`read_parquet`) with
that CRS and the row count DuckDB gives for the same file; the incident dataset reads back in
DuckDB with its Hive partitions and the rows `bomiljo export` wrote per source and year.
"""
import glob, json, re, sys

import duckdb
import geopandas
import jsonschema
import pyarrow.parquet as pq
from pyproj import CRS

out, counts_file = sys.argv[1], sys.argv[2]
schema = json.load(open("tests/fixtures/geoparquet/schema.json"))
files = sorted(glob.glob(f"{out}/*.parquet") + glob.glob(f"{out}/incidents/*/*/*.parquet"))
con = duckdb.connect()
for path in files:
    geo = json.loads(pq.read_metadata(path).metadata[b"geo"])
    jsonschema.validate(geo, schema)
    column = geo["columns"]["geometry"]
    assert CRS.from_json_dict(column["crs"]).to_epsg() == 25832, path
    frame = geopandas.read_parquet(path)
    assert frame.crs.to_epsg() == 25832, (path, frame.crs)
    rows = con.execute(f"SELECT count(*) FROM read_parquet('{path}')").fetchone()[0]
    assert len(frame) == rows, (path, len(frame), rows)
    x0, y0, x1, y1 = frame.total_bounds
    b = column["bbox"]
    assert b[0] <= x0 and b[1] <= y0 and b[2] >= x1 and b[3] >= y1, (path, b, frame.total_bounds)
    assert set(frame.geom_type) <= set(column["geometry_types"]), (path, set(frame.geom_type))
ours = {}
for line in open(counts_file):
    found = re.search(r"^\s*(\d+) rows\s+.*incidents/source=([^/]+)/year=(\d+)/", line)
    if found:
        ours[(found.group(2), int(found.group(3)))] = int(found.group(1))
theirs = {(s, int(y)): n for s, y, n in con.execute(
    f"SELECT source, year, count(*) FROM read_parquet('{out}/incidents/*/*/*.parquet', hive_partitioning = true) GROUP BY ALL").fetchall()}
assert ours == theirs, (ours, theirs)
print(f"geoparquet: {len(files)} files valid against the GeoParquet 1.1 schema, EPSG:25832 by PROJ, read by GeoPandas "
      f"{geopandas.__version__} and DuckDB {duckdb.__version__}; incidents per source and year equal the store's ({sum(ours.values())} rows)")
