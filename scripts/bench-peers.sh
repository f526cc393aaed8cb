#!/usr/bin/env bash
# bomiljo's rows of the shared peer benchmark. Run through the harness, so every figure comes from
# the same run as the peers' (ratios, not absolute times, are what compare):
#
#   make build && BOMILJO_BENCH="$PWD/scripts/bench-peers.sh" bash ../shared/peers/run_all.sh
#
# Prints JSON lines with the peers' fields (`bomiljo bench peers`), then one line for the batch
# scoring command end to end: `bomiljo score --sites` on the peers' 100k candidates (every rule of
# one matrix group, an explanation per site, CSV out), with its peak memory.
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BIN=${BOMILJO_BIN:-$HERE/target/release/bomiljo}
OSLO=${PEERS_OSLO:-$HERE/../shared/data/oslo}
WORK=${PEERS_WORK:-/tmp/peers}
[ -x "$BIN" ] || { echo "build first: make build (no $BIN)" >&2; exit 1; }
cd "$HERE"
"$BIN" bench peers --work "$WORK" --oslo "$OSLO"

# Batch scoring end to end on a demo database on Oslo's delbydeler and population.
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
"$BIN" --db "$TMP/demo.duckdb" demo --areas "$OSLO/delbydeler.geojson" --population "$OSLO/befolkning_250m_2023.geojson" \
  --out "$TMP/files" --no-serve >/dev/null 2>&1
"$BIN" --db "$TMP/demo.duckdb" release build >/dev/null 2>&1
runs=()
for _ in 1 2 3; do
  /usr/bin/time -f "%e %M" -o "$TMP/time" "$BIN" --db "$TMP/demo.duckdb" score --group 5 --sites "$WORK/candidates_100k.csv" --out "$TMP/ranked.csv" 2>/dev/null
  runs+=("$(cat "$TMP/time")")
done
rows=$(($(wc -l < "$TMP/ranked.csv") - 1))
printf '%s\n' "${runs[@]}" | sort -n | sed -n 2p | {
  read -r seconds kb
  printf '{"bench": "score_batch", "tool": "bomiljo score --sites (group 5: every constraint and factor, explained, CSV out)", "n": %d, "threads": 2, "seconds_total": %s, "peak_rss_mb": %d, "repeat": 3}\n' \
    "$rows" "$seconds" "$((kb / 1024))"
}
