#!/usr/bin/env bash
# Sets up a fresh machine for bomiljo: the prebuilt libduckdb that matches the pinned
# `duckdb` crate, and the front-end packages for the map page. Idempotent and offline-safe
# once run: everything lands in ignored folders (.deps/, web/vendor/).
set -euo pipefail
cd "$(dirname "$0")/.."

# DuckDB 1.5.6 <-> crate duckdb =1.10506.0 (see Cargo.toml). Change both together.
DUCKDB_NPM_VERSION="1.5.6-r.1"
DEPS_DIR="$PWD/.deps"
LIB_DIR="$DEPS_DIR/duckdb-$DUCKDB_NPM_VERSION"

if [ ! -f "$LIB_DIR/libduckdb.so" ]; then
  echo "setup: fetching libduckdb $DUCKDB_NPM_VERSION from the npm registry"
  tmp=$(mktemp -d)
  (cd "$tmp" && npm pack --silent "@duckdb/node-bindings-linux-x64@$DUCKDB_NPM_VERSION" >/dev/null && tar xzf ./*.tgz)
  mkdir -p "$LIB_DIR"
  cp "$tmp/package/libduckdb.so" "$LIB_DIR/"
  rm -rf "$tmp"
fi
ln -sfn "$LIB_DIR" "$DEPS_DIR/duckdb"

if [ ! -f web/vendor/maplibre-gl-shared.mjs ] || [ ! -f web/vendor/punkt/css/pkt.min.css ] || [ ! -d node_modules/playwright-core ] || [ ! -d node_modules/axe-core ] || [ ! -d node_modules/oidc-provider ]; then
  echo "setup: installing front-end packages from the npm registry"
  npm ci --silent --no-audit --no-fund
  mkdir -p web/vendor/punkt/css web/vendor/punkt/fonts web/vendor/punkt/icons
  # The ES-module build: entry, shared chunk and worker (no dev builds or source maps).
  cp node_modules/maplibre-gl/dist/maplibre-gl.mjs node_modules/maplibre-gl/dist/maplibre-gl-shared.mjs \
     node_modules/maplibre-gl/dist/maplibre-gl-worker.mjs node_modules/maplibre-gl/dist/maplibre-gl.css web/vendor/
  # Oslo kommune's design system Punkt: its CSS, the Oslo Sans fonts, and the icons its CSS
  # draws, served by bomiljo instead of Punkt's CDN (nothing leaves the server).
  punkt=node_modules/@oslokommune
  sed 's#https://punkt-cdn.oslo.kommune.no/[0-9.]*/icons/#../icons/#g' "$punkt/punkt-css/dist/css/pkt.min.css" > web/vendor/punkt/css/pkt.min.css
  cp "$punkt"/punkt-assets/dist/fonts/OsloSans-*.woff2 "$punkt"/punkt-assets/dist/fonts/OsloIcons.woff2 web/vendor/punkt/fonts/
  for icon in $(grep -o '\.\./icons/[a-z0-9-]*\.svg' web/vendor/punkt/css/pkt.min.css | sort -u | sed 's#\.\./icons/##'); do
    cp "$punkt/punkt-assets/dist/icons/$icon" web/vendor/punkt/icons/
  done
fi
echo "setup: ok (libduckdb in $LIB_DIR)"
