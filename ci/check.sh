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
ensure_graphviz

step "rustfmt"
cargo fmt --all -- --check

step "shellcheck"
# Every script CI runs; -x follows `source ci/tools.sh`.
ensure_debian_packages shellcheck shellcheck
shellcheck -x ci/*.sh .ci/run

step "clippy"
cargo clippy --workspace --all-targets --locked -- -D warnings

step "tests"
test_log=$(mktemp)
# A test that cannot observe its property here (one CPU, say) reports itself
# by appending `skipped: <crate>::<test>: <reason>` to this file (the skip
# convention); it is counted as skipped below, never as passed.
skip_log=$(mktemp)
trap 'rm -f "$test_log" "$skip_log"' EXIT
BOOK_SKIP_LOG="$skip_log" cargo test --workspace --locked 2>&1 | tee "$test_log"
not_observed=$(grep '^skipped: ' "$skip_log" | sort -u || true)
not_observed_count=$(printf '%s' "$not_observed" | grep -c '^skipped: ' || true)

step "not observed on this machine ($not_observed_count tests skipped themselves)"
if [ "$not_observed_count" -gt 0 ]; then
  printf '%s\n' "$not_observed"
else
  echo "every test observed its property"
fi

step "loom models (their own build, --cfg loom)"
bash ci/loom.sh

step "statement inventory"
cargo run --quiet --locked -p booktools -- check-inventory --complete --skipped "$skip_log"

step "include discipline"
cargo run --quiet --locked -p booktools -- check-includes

step "exercises: 2 to 4 questions a chapter, every answer citing a checked output, test or figure"
cargo run --quiet --locked -p booktools -- check-exercises

step "key takeaways: 3 to 5 a chapter, each linked to its evidence, then the API docs"
cargo run --quiet --locked -p booktools -- check-takeaways

step "docs links pinned to Cargo.lock and the toolchain"
cargo run --quiet --locked -p booktools -- check-doc-links

step "no figure typed into the prose"
cargo run --quiet --locked -p booktools -- check-figures

step "the book's own words: no six-word run from the source articles"
cargo run --quiet --locked -p booktools -- check-wording ../shared/sources

step "listing outputs shown in the book (the Rust binaries, and the Python listings with python3)"
ensure_python3
cargo run --quiet --locked -p booktools -- outputs

step "claims on the committed measurements"
cargo run --quiet --locked -p booktools -- check-claims measurements/measurements.json

step "thresholds between half the soak's smallest ratio and that ratio"
cargo run --quiet --locked -p booktools -- check-thresholds

step "book"
bash ci/build-book.sh

# Before the reader checks, whose link checks follow the introduction's links
# to the two files.
step "offline copies: the PDF and the EPUB, made from the print page and checked"
bash ci/offline.sh

step "reader checks: links, spelling, the book in a browser"
bash ci/reader-checks.sh

# Last, as the slowest: re-measure in criterion's short mode and check every
# claim on the fresh figures (a failing comparison is re-measured twice first).
step "benchmarks (short mode) and claims on fresh measurements"
ensure_wrk # the load probe's generator
bench_started=$SECONDS
cargo run --quiet --locked -p booktools -- measure --mode ci --out target/measurements/ci.json
cargo run --quiet --locked -p booktools -- check-claims target/measurements/ci.json --rerun 2
echo "benchmark stage: $((SECONDS - bench_started))s"

# One closing line with the test totals, summed over every test binary. A test
# that skipped itself passed for libtest: it is moved to the skipped count.
awk -v s="$not_observed_count" '/^test result:/ { p += $4; f += $6; i += $8 }
     END { printf "\ncheck: all steps passed in %ss\n", '"$((SECONDS - started))"';
           printf "%d passed, %d failed, %d skipped", p - s, f, i + s;
           if (s > 0) printf " (%d ignored, %d not observed on this machine: listed above)", i, s;
           printf "\n" }' "$test_log"
