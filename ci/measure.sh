#!/usr/bin/env bash
# Re-measures every figure in the book on this machine (criterion's full
# settings; takes several minutes) and writes measurements/measurements.json,
# which the book then shows. Pass --source ID to re-measure one source only.
set -euo pipefail
cd "$(dirname "$0")/.."
source ci/tools.sh
# The load probe's generator. The probe raises its own soft open-file limit
# to the hard one with prlimit (its servers and wrk inherit it), so no ulimit here.
ensure_wrk
cargo run --quiet --locked -p booktools -- measure --mode full "$@"
cargo run --quiet --locked -p booktools -- check-claims measurements/measurements.json
echo "measurements/measurements.json updated: 'bash ci/serve.sh' shows the book with these numbers"
