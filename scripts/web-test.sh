#!/usr/bin/env bash
# Browser tests: builds a demo database (fictional city), serves it on a free loopback port,
# and runs tests/web/*.test.mjs in Debian chromium through playwright-core; a real OpenID provider
# and a second server signing staff in with it serve the sign-in test.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup-test.sh
cargo build --quiet
tmp=$(mktemp -d)
bin=./target/debug/bomiljo
BOMILJO_LOG=warn $bin --db "$tmp/demo.duckdb" demo --no-serve --out "$tmp/files" >/dev/null
token=$(BOMILJO_LOG=warn $bin --db "$tmp/demo.duckdb" token create --role analyst --name web-test 2>/dev/null)
admin=$(BOMILJO_LOG=warn $bin --db "$tmp/demo.duckdb" token create --role admin --name web-test-admin 2>/dev/null)
cp "$tmp/demo.duckdb" "$tmp/signin.duckdb"
BOMILJO_LOG=warn $bin --db "$tmp/demo.duckdb" serve --port 0 --basemap local 2>"$tmp/serve.log" &
server=$!
trap 'kill $server 2>/dev/null; rm -rf "$tmp"' EXIT
for _ in $(seq 50); do
  url=$(sed -n 's/^bomiljo: listening on \(http[^ ]*\)\/$/\1/p' "$tmp/serve.log")
  [ -n "$url" ] && break
  sleep 0.2
done
[ -n "${url:-}" ] || { cat "$tmp/serve.log"; exit 1; }
# Staff sign-in: a real OpenID provider (tests/web/oidc-provider.mjs) and a second server, on a
# copy of the database, configured to sign in with it.
free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
oidc_port=$(free_port)
signin_port=$(free_port)
secret="web-test-secret-$RANDOM$RANDOM"
OIDC_PORT=$oidc_port OIDC_REDIRECT="http://127.0.0.1:$signin_port/auth/callback" OIDC_CLIENT_SECRET=$secret \
  node tests/web/oidc-provider.mjs >"$tmp/oidc.log" 2>&1 &
oidc=$!
trap 'kill $server $oidc ${signin:-} 2>/dev/null; rm -rf "$tmp"' EXIT
for _ in $(seq 50); do grep -q listening "$tmp/oidc.log" && break; sleep 0.2; done
grep -q listening "$tmp/oidc.log" || { cat "$tmp/oidc.log"; exit 1; }
BOMILJO_LOG=warn BOMILJO_OIDC_ISSUER="http://127.0.0.1:$oidc_port" BOMILJO_OIDC_CLIENT_ID=bomiljo BOMILJO_OIDC_CLIENT_SECRET=$secret \
  BOMILJO_OIDC_REDIRECT_URL="http://127.0.0.1:$signin_port/auth/callback" BOMILJO_OIDC_SCOPES="profile email roles" \
  $bin --db "$tmp/signin.duckdb" serve --port "$signin_port" --basemap none 2>"$tmp/signin.log" &
signin=$!
for _ in $(seq 50); do grep -q "listening on" "$tmp/signin.log" && break; sleep 0.2; done
grep -q "listening on" "$tmp/signin.log" || { cat "$tmp/signin.log"; exit 1; }
BOMILJO_SIGNIN_URL="http://127.0.0.1:$signin_port" \
BOMILJO_URL="$url" BOMILJO_TOKEN="$token" BOMILJO_ADMIN_TOKEN="$admin" node --test ${WEB_TEST_PATTERN:+--test-name-pattern="$WEB_TEST_PATTERN"} tests/web/
