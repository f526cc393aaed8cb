#!/usr/bin/env bash
# Test tools from Debian's packages: chromium for the browser tests, poppler-utils (pdftotext,
# pdftoppm) for checking PDFs by their text and by rendering them.
set -euo pipefail
missing=()
command -v chromium >/dev/null || missing+=(chromium)
command -v pdftotext >/dev/null || missing+=(poppler-utils)
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup-test: installing ${missing[*]}"
  apt-get update -qq && apt-get install -y -qq "${missing[@]}" >/dev/null
fi

# An OGC API - Features client (OWSLib from PyPI) in its own venv, for the test that reads the
# service as a desktop GIS would.
OWSLIB_VENV=${OWSLIB_VENV:-target/owslib-venv}
if [ ! -x "$OWSLIB_VENV/bin/python" ] || ! "$OWSLIB_VENV/bin/python" -c "import owslib" 2>/dev/null; then
  python3 -m venv "$OWSLIB_VENV" 2>/dev/null || { apt-get update -qq && apt-get install -y -qq python3-venv >/dev/null && python3 -m venv "$OWSLIB_VENV"; }
  echo "setup-test: installing OWSLib into $OWSLIB_VENV"
  "$OWSLIB_VENV/bin/pip" install -q --disable-pip-version-check owslib==0.32.0
fi
