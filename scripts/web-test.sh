#!/usr/bin/env bash
# Browser tests: builds a demo database (fictional city), serves it on a free loopback port,
# and runs tests/web/*.test.mjs in Debian chromium through playwright-core.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup-test.sh
cargo build --quiet
tmp=$(mktemp -d)
bin=./target/debug/bomiljo
BOMILJO_LOG=warn $bin --db "$tmp/demo.duckdb" demo --no-serve --out "$tmp/files" >/dev/null
token=$(BOMILJO_LOG=warn $bin --db "$tmp/demo.duckdb" token create --role analyst --name web-test 2>/dev/null)
admin=$(BOMILJO_LOG=warn $bin --db "$tmp/demo.duckdb" token create --role admin --name web-test-admin 2>/dev/null)
BOMILJO_LOG=warn $bin --db "$tmp/demo.duckdb" serve --port 0 --basemap local 2>"$tmp/serve.log" &
server=$!
trap 'kill $server 2>/dev/null; rm -rf "$tmp"' EXIT
for _ in $(seq 50); do
  url=$(sed -n 's/^bomiljo: listening on \(http[^ ]*\)\/$/\1/p' "$tmp/serve.log")
  [ -n "$url" ] && break
  sleep 0.2
done
[ -n "${url:-}" ] || { cat "$tmp/serve.log"; exit 1; }
BOMILJO_URL="$url" BOMILJO_TOKEN="$token" BOMILJO_ADMIN_TOKEN="$admin" node --test ${WEB_TEST_PATTERN:+--test-name-pattern="$WEB_TEST_PATTERN"} tests/web/
