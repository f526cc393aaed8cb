#!/usr/bin/env bash
# bomiljo's space-time Gi* and Local Moran's I against PySAL (esda, libpysal from PyPI) on the demo
# database, and its street-network distances against networkx on central Oslo's OpenStreetMap
# roads, its GeoParquet export against the GeoParquet 1.1 schema, GeoPandas and DuckDB, and its
# OpenAPI document (docs/openapi.json) against the OpenAPI 3.0 schema; part of
# `make proof`. Mann-Kendall's reference values (pymannkendall) are in its unit
# tests. See scripts/crosscheck.py and scripts/crosscheck_network.py for what is compared and how
# closely.
set -euo pipefail
cd "$(dirname "$0")/.."
venv=target/crosscheck-venv
[ -x "$venv/bin/python" ] || python3 -m venv "$venv" 2>/dev/null || { apt-get update -qq && apt-get install -y -qq python3-venv >/dev/null && python3 -m venv "$venv"; }
"$venv/bin/pip" install --quiet 'esda>=2.5' 'libpysal>=4.10' 'networkx>=3.2' 'pyproj>=3.6' 'geopandas>=1.0' 'pyarrow>=15' 'duckdb>=1.1' 'jsonschema>=4' 'openapi-spec-validator>=0.7'
cargo build --quiet
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
bin=./target/debug/bomiljo
BOMILJO_LOG=warn $bin --db "$tmp/demo.duckdb" demo --no-serve --out "$tmp/files" >/dev/null
BOMILJO_LOG=warn $bin --db "$tmp/demo.duckdb" measure emerging --format json >"$tmp/emerging.json"
BOMILJO_LOG=warn $bin --db "$tmp/demo.duckdb" measure lisa --year 2024 --format csv >"$tmp/lisa.csv"
"$venv/bin/python" scripts/crosscheck.py "$tmp"

shared=../shared/data/oslo
BOMILJO_LOG=warn $bin --db "$tmp/roads.duckdb" import delbydeler "$shared/delbydeler.geojson" >/dev/null
BOMILJO_LOG=warn $bin --db "$tmp/roads.duckdb" import roads "$shared/osm_roads_sentrum.geojson" >/dev/null
for mode in walk drive; do
  BOMILJO_LOG=warn $bin --db "$tmp/roads.duckdb" network export --mode "$mode" --out "$tmp/net-$mode"
done
"$venv/bin/python" scripts/crosscheck_network.py "$tmp" "$bin" "$tmp/roads.duckdb" "$shared/osm_roads_sentrum.geojson"

BOMILJO_LOG=warn $bin --db "$tmp/demo.duckdb" export --format geoparquet --out "$tmp/geoparquet" >"$tmp/export.txt"
"$venv/bin/python" scripts/crosscheck_geoparquet.py "$tmp/geoparquet" "$tmp/export.txt"

# The committed OpenAPI document is what the server serves (the suite's snapshot test); here it
# meets the OpenAPI 3.0 schema (openapi-spec-validator).
"$venv/bin/python" -c 'import json, sys; from openapi_spec_validator import validate; validate(json.load(open(sys.argv[1]))); print("openapi: docs/openapi.json is valid OpenAPI 3.0")' docs/openapi.json
