#!/usr/bin/env bash
# Builds the book and fails on any error or warning mdBook prints. mdBook 0.5
# only logs a missing include and still exits 0, so its log is the signal.
set -euo pipefail
cd "$(dirname "$0")/.."
source ci/tools.sh
ensure_mdbook
ensure_graphviz
log=$(mktemp)
trap 'rm -f "$log"' EXIT
if ! mdbook build 2>&1 | tee "$log"; then
  echo "error: mdbook build failed" >&2
  exit 1
fi
if grep -nE '^[[:space:]]*(ERROR|WARN)' "$log" >&2; then
  echo "error: mdbook build printed the errors or warnings above" >&2
  exit 1
fi
