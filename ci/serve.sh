#!/usr/bin/env bash
# Serves the book on http://localhost:3000 and rebuilds it on every change.
# Extra arguments go to `mdbook serve` (for example --open, or -p 8080).
set -euo pipefail
cd "$(dirname "$0")/.."
source ci/tools.sh
ensure_mdbook
ensure_graphviz
exec mdbook serve "$@"
