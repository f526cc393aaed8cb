#!/usr/bin/env bash
# bomiljo as GDAL and QGIS use it, on a served demo of Oslo's real areas and roads; part of
# `make proof`. Debian's gdal-bin, python3-gdal, python3-shapely and python3-qgis (QGIS headless)
# are installed when missing. See scripts/gis_clients.py and scripts/qgis_client.py for the checks.
set -euo pipefail
cd "$(dirname "$0")/.."
py=/usr/bin/python3
missing=()
command -v ogr2ogr >/dev/null || missing+=(gdal-bin)
$py -c "import shapely" 2>/dev/null || missing+=(python3-shapely)
$py -c "import osgeo_utils.samples.validate_cloud_optimized_geotiff" 2>/dev/null || missing+=(python3-gdal)
$py -c "import qgis.core" 2>/dev/null || missing+=(python3-qgis qgis-providers)
if [ ${#missing[@]} -gt 0 ]; then
  echo "gis-clients: installing ${missing[*]}"
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
cargo build --quiet
tmp=$(mktemp -d)
bin=./target/debug/bomiljo
shared=../shared/data/oslo
BOMILJO_LOG=warn $bin --db "$tmp/gis.duckdb" demo --no-serve --out "$tmp/files" --areas "$shared/delbydeler.geojson" \
  --population "$shared/befolkning_250m_2023.geojson" --import bydeler="$shared/bydeler_befolkning_2024.geojson" \
  --import roads="$shared/osm_roads_sentrum.geojson" --import marka="$shared/marka.geojson" >/dev/null
token=$($bin --db "$tmp/gis.duckdb" token create --name gis-clients --role analyst | tail -1)
BOMILJO_LOG=warn $bin --db "$tmp/gis.duckdb" serve --port 0 2>"$tmp/serve.log" &
server=$!
trap 'kill $server 2>/dev/null; wait $server 2>/dev/null; rm -rf "$tmp"' EXIT
for _ in $(seq 1 100); do
  base=$(sed -n 's|^bomiljo: listening on \(http://[^ ]*\)/$|\1|p' "$tmp/serve.log")
  [ -n "$base" ] && break
  sleep 0.2
done
[ -n "$base" ] || { cat "$tmp/serve.log"; echo "gis-clients: the server did not start"; exit 1; }
mkdir -p "$tmp/work"
QT_QPA_PLATFORM=offscreen XDG_RUNTIME_DIR="$tmp" $py scripts/gis_clients.py "$base" "$token" "$tmp/work"
