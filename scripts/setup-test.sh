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
