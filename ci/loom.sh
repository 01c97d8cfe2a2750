#!/usr/bin/env bash
# The loom models of chapter 7 (listings/ch07-synchronization/tests/loom_*.rs).
#
# Every fixed model must pass, and every buggy one must fail with the report
# the book shows. Those reports are committed in
# listings/ch07-synchronization/reports/; this script regenerates them from
# the failing models and fails, showing a diff, if any of them changed.
#
#   bash ci/loom.sh            check (what CI runs)
#   bash ci/loom.sh --refresh  rewrite the committed reports from this run
#
# A report names source lines, so editing a model or the code it checks
# usually means a --refresh, and a look at the diff in the chapter.
set -euo pipefail
cd "$(dirname "$0")/.."

refresh=false
case "${1:-}" in
  --refresh) refresh=true ;;
  "") ;;
  *) echo "usage: bash ci/loom.sh [--refresh]" >&2; exit 2 ;;
esac

crate=listings/ch07-synchronization
committed=$crate/reports
raw=$(mktemp -d)
fresh=$(mktemp -d)
trap 'rm -rf "$raw" "$fresh"' EXIT
started=$SECONDS

# The models fix their own loom settings; keep stray LOOM_* variables from
# reaching loom anyway (LOOM_LOG, for one, would add output to the reports).
unset LOOM_LOG LOOM_LOCATION LOOM_MAX_PREEMPTIONS LOOM_MAX_BRANCHES \
  LOOM_MAX_PERMUTATIONS LOOM_MAX_DURATION LOOM_CHECKPOINT_FILE LOOM_CHECKPOINT_INTERVAL

# `--cfg loom` makes the crate use loom's types instead of std's (src/lib.rs).
# It must not reach tokio, which does not build with it: hence
# --no-default-features, which leaves out the tokio listings. A target
# directory of its own keeps the normal build from being thrown away.
# Each failing model runs in a child process; CH07_LOOM_REPORTS tells the
# tests where to save what it printed.
CH07_LOOM_REPORTS="$raw" \
RUSTFLAGS="${RUSTFLAGS:-} --cfg loom" \
CARGO_TARGET_DIR=target/loom \
  cargo test --release --locked -p ch07-synchronization --no-default-features \
  --test 'loom_*'

# Normalise each report: no backtraces (a panic during a panic prints one even
# with RUST_BACKTRACE=0), no OS thread ids, no addresses or timings, and no
# absolute paths: the workspace root, the cargo registry and the toolchain's
# sources (whose line numbers move with every Rust release) are shortened.
normalise() {
  awk -v root="$PWD/" '
    function literal(s, from, to,    out, i) {
      out = ""
      while ((i = index(s, from)) > 0) {
        out = out substr(s, 1, i - 1) to
        s = substr(s, i + length(from))
      }
      return out s
    }
    /^stack backtrace:$/ { print "stack backtrace: [omitted]"; skipping = 1; next }
    skipping && (/^ +[0-9]+: / || /^ +at / || /^note: Some details are omitted/) { next }
    { skipping = 0 }
    !started && /^[[:space:]]*$/ { next }
    {
      started = 1
      line = literal($0, root, "")
      if (match(line, /^thread \047[^\047]*\047 \([0-9]+\)/)) {
        head = substr(line, 1, RLENGTH)
        sub(/ \([0-9]+\)$/, "", head)
        line = head substr(line, RLENGTH + 1)
      }
      gsub(/[^ ]*\/registry\/src\/[^\/]+\//, "[registry]/", line)
      if (match(line, /\/rustc\/[0-9a-f]+\/library\/[^ :]+(:[0-9]+:[0-9]+)?/)) {
        path = substr(line, RSTART, RLENGTH)
        sub(/^\/rustc\/[0-9a-f]+\//, "[rust]/", path)
        sub(/:[0-9]+:[0-9]+$/, "", path)
        line = substr(line, 1, RSTART - 1) path substr(line, RSTART + RLENGTH)
      }
      gsub(/0x[0-9a-f]+/, "0x[address]", line)
      gsub(/finished in [0-9.]+s/, "finished in [time]", line)
      print line
    }
  ' "$1"
}

shopt -s nullglob
for report in "$raw"/*.txt; do
  normalise "$report" >"$fresh/$(basename "$report")"
done
made=("$fresh"/*.txt)
if [ ${#made[@]} -eq 0 ]; then
  echo "error: the loom tests saved no reports (is CH07_LOOM_REPORTS read?)" >&2
  exit 1
fi

if $refresh; then
  mkdir -p "$committed"
  rm -f "$committed"/*.txt
  cp "$fresh"/*.txt "$committed"/
  echo "loom: reports rewritten in $committed ($((SECONDS - started))s)"
  exit 0
fi

if ! diff -ru "$committed" "$fresh"; then
  echo "error: a loom report changed (diff above: committed, then regenerated)." >&2
  echo "If the change is expected, run 'bash ci/loom.sh --refresh' and check the chapter." >&2
  exit 1
fi
echo "loom: all models as expected, reports unchanged ($((SECONDS - started))s)"
