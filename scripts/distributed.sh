#!/usr/bin/env bash
# The per-delbydel indicators on distributed engines: bomiljo's GeoParquet export of the demo run
# through jobs/indicators.sql in Apache Spark (pyspark, local[2], a Debian JRE) and in SedonaDB,
# each row checked against `bomiljo measure --format csv`; jobs/assign.sql's ST_Contains in
# SedonaDB. Part of `make proof` (`make distributed`). See docs/distributed.md.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v java >/dev/null || { apt-get update -qq && apt-get install -y -qq default-jre-headless >/dev/null; }
venv=target/crosscheck-venv
[ -x "$venv/bin/python" ] || python3 -m venv "$venv" 2>/dev/null || { apt-get update -qq && apt-get install -y -qq python3-venv >/dev/null && python3 -m venv "$venv"; }
"$venv/bin/pip" install --quiet 'pyspark>=4.0' 'sedonadb>=0.5' 'geoarrow-pyarrow' 'pyarrow>=15' 'pandas'
cargo build --quiet
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
bin=./target/debug/bomiljo
shared=../shared/data/oslo
# Oslo's real delbydeler and population grid when the shared data is there (97 delbydeler).
args=()
[ -f "$shared/delbydeler.geojson" ] && args+=(--areas "$shared/delbydeler.geojson")
[ -f "$shared/befolkning_250m_2023.geojson" ] && args+=(--population "$shared/befolkning_250m_2023.geojson")
BOMILJO_LOG=warn $bin --db "$tmp/demo.duckdb" demo --no-serve --out "$tmp/files" "${args[@]}" >/dev/null
BOMILJO_LOG=warn $bin --db "$tmp/demo.duckdb" export --format geoparquet --out "$tmp/export" >/dev/null
for year in 2024 2025; do
  BOMILJO_LOG=warn $bin --db "$tmp/demo.duckdb" measure --year "$year" --format csv >"$tmp/measure-$year.csv"
  "$venv/bin/python" scripts/distributed.py "$tmp/export" "$year" "$tmp/measure-$year.csv" 2>/dev/null
done
