#!/usr/bin/env bash
# Every check of the book, in the order a failure is cheapest to find.
# This is the README's check command, and .ci/run calls it and nothing else.
set -euo pipefail
cd "$(dirname "$0")/.."
source ci/tools.sh

started=$SECONDS
step() { printf '\n==> %s  (%ss so far)\n' "$1" "$((SECONDS - started))"; }

step "tools"
ensure_rust_component fmt rustfmt
ensure_rust_component clippy
ensure_mdbook

step "rustfmt"
cargo fmt --all -- --check

step "clippy"
cargo clippy --workspace --all-targets --locked -- -D warnings

step "tests"
test_log=$(mktemp)
trap 'rm -f "$test_log"' EXIT
cargo test --workspace --locked 2>&1 | tee "$test_log"

step "loom models (their own build, --cfg loom)"
bash ci/loom.sh

step "statement inventory"
cargo run --quiet --locked -p booktools -- check-inventory --complete

step "include discipline"
cargo run --quiet --locked -p booktools -- check-includes

step "listing outputs shown in the book"
cargo run --quiet --locked -p booktools -- outputs

step "claims on the committed measurements"
cargo run --quiet --locked -p booktools -- check-claims measurements/measurements.json

step "book"
bash ci/build-book.sh

step "reader checks: links, spelling, the book in a browser"
bash ci/reader-checks.sh

# Last, as the slowest: re-measure in criterion's short mode and check every
# claim on the fresh figures (a failing comparison is re-measured twice first).
step "benchmarks (short mode) and claims on fresh measurements"
bench_started=$SECONDS
cargo run --quiet --locked -p booktools -- measure --mode ci --out target/measurements/ci.json
cargo run --quiet --locked -p booktools -- check-claims target/measurements/ci.json --rerun 2
echo "benchmark stage: $((SECONDS - bench_started))s"

# One closing line with the test totals, summed over every test binary.
awk '/^test result:/ { p += $4; f += $6; i += $8 }
     END { printf "\ncheck: all steps passed in %ss\n", '"$((SECONDS - started))"';
           printf "%d passed, %d failed, %d skipped\n", p, f, i }' "$test_log"
