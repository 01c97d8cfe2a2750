#!/usr/bin/env bash
# Mutation testing of the listing crates with cargo-mutants: do their tests
# fail when the code they check is changed? Not part of ci/check.sh (a full
# sweep takes hours on two cores); run it before changing a chapter's tests.
#
#   bash ci/mutants.sh [--list] [-j N] [--in-diff FILE] [CRATE...]
#
#   CRATE...        listing packages (default: every listings/* package)
#   --list          only list the mutants each crate would get, test nothing
#   -j N            test N mutants at once (default 1)
#   --in-diff FILE  only mutants in the lines a diff changes (git diff > FILE)
#
# Writes target/mutants/report.txt: caught, missed, timeout and unviable per
# crate, then every missed mutant. Exits 1 when a mutant is missed (or a
# crate's baseline tests fail). Each crate's own cargo-mutants output is in
# target/mutants/<crate>/mutants.out/ (logs/ holds each mutant's test run).
# Exclusions, each with its reason, live in .cargo/mutants.toml.
#
# Chapter 7's loom models check code that a plain `cargo test` does not
# exercise (`--cfg loom`, run by ci/loom.sh). A plain sweep would count those
# mutants as missed, so this script sweeps chapter 7's library files a second
# time with the loom build (as ci/loom.sh builds it) and counts a mutant as
# caught when either sweep catches it.
set -euo pipefail
cd "$(dirname "$0")/.."
source ci/tools.sh

usage() {
  echo "usage: bash ci/mutants.sh [--list] [-j N] [--in-diff FILE] [CRATE...]" >&2
  exit 2
}

list=false
jobs=1
extra=()
crates=()
while [ $# -gt 0 ]; do
  case "$1" in
    --list) list=true ;;
    -j | --jobs) [ $# -ge 2 ] || usage; jobs=$2; shift ;;
    --in-diff) [ $# -ge 2 ] || usage; extra+=(--in-diff "$(realpath "$2")"); shift ;;
    -h | --help) usage ;;
    -*) echo "error: unknown option $1" >&2; usage ;;
    *) crates+=("$1") ;;
  esac
  shift
done

all_crates() {
  for manifest in listings/*/Cargo.toml; do
    sed -n 's/^name = "\(.*\)"$/\1/p' "$manifest" | head -n 1
  done
}
if [ ${#crates[@]} -eq 0 ]; then
  mapfile -t crates < <(all_crates)
fi
for crate in "${crates[@]}"; do
  [ -f "listings/$crate/Cargo.toml" ] || {
    echo "error: no listing crate $crate (listings/$crate/Cargo.toml)" >&2
    exit 2
  }
done

ensure_cargo_mutants

# The crate whose library the loom models check, and how ci/loom.sh builds it.
loom_crate=ch07-synchronization
loom_files="listings/$loom_crate/src/*.rs"

if $list; then
  for crate in "${crates[@]}"; do
    echo "== $crate"
    cargo mutants --list --package "$crate" "${extra[@]}"
  done
  exit 0
fi

out=target/mutants
mkdir -p "$out"
# Tests that skip themselves here (the skip convention) pass, so mutants only
# they would catch show as missed: collect their lines for the report.
skip_log=$(realpath "$out")/skipped.log
: >"$skip_log"
export BOOK_SKIP_LOG="$skip_log"
started=$SECONDS

# sweep NAME DIR ARGS...: one cargo-mutants run, its output under DIR. Exit
# codes 0 (all caught), 2 (missed) and 3 (timeouts) are results; others
# (4: the baseline tests fail; 1: usage; 70: internal) stop the sweep.
sweep() {
  local name=$1 dir=$2
  shift 2
  rm -rf "$dir"
  mkdir -p "$dir"
  echo "==> mutants: $name ($((SECONDS - started))s so far)"
  local code=0
  cargo mutants --no-shuffle --jobs "$jobs" --output "$dir" "${extra[@]}" "$@" || code=$?
  case $code in
    0 | 2 | 3) return 0 ;;
    4) echo "error: mutants: $name: the tests fail before any mutation (see $dir/mutants.out/log/baseline.log)" >&2 ;;
    *) echo "error: mutants: $name: cargo-mutants exited with $code" >&2 ;;
  esac
  return 1
}

# outcomes DIR...: `OUTCOME<TAB>MUTANT` for every mutant of the sweeps in DIR...,
# a mutant tested in several sweeps keeping its best outcome: caught, then
# timeout (the mutant hung the tests), then unviable, then missed. Unviable
# beats missed: a mutant that does not build in one configuration and goes
# untested in the other (its code compiled out there, as chapter 7's
# rustc-driven tests are under loom) was never a program either build ran.
outcomes() {
  for dir in "$@"; do
    for outcome in caught timeout missed unviable; do
      local file=$dir/mutants.out/$outcome.txt
      [ -f "$file" ] && sed "s/^/$outcome\t/" "$file"
    done
  done | awk -F'\t' '
    BEGIN { rank["caught"] = 1; rank["timeout"] = 2; rank["unviable"] = 3; rank["missed"] = 4 }
    !($2 in best) || rank[$1] < rank[best[$2]] { best[$2] = $1 }
    END { for (m in best) print best[m] "\t" m }' | sort -t$'\t' -k2
}

failed=false
rows=()
missed_lines=()
for crate in "${crates[@]}"; do
  dirs=("$out/$crate")
  sweep "$crate" "$out/$crate" --package "$crate" || { failed=true; rows+=("$crate	baseline failed"); continue; }
  if [ "$crate" = "$loom_crate" ]; then
    # As ci/loom.sh: loom's types (--cfg loom), no tokio (--no-default-features),
    # release builds, only the loom_* test targets.
    RUSTFLAGS="${RUSTFLAGS:-} --cfg loom" \
      sweep "$crate (loom models)" "$out/$crate-loom" --package "$crate" \
      --file "$loom_files" --no-default-features --profile release \
      --cargo-test-arg='--test=loom_*' || { failed=true; rows+=("$crate	loom baseline failed"); continue; }
    dirs+=("$out/$crate-loom")
  fi
  merged=$(outcomes "${dirs[@]}")
  count() { printf '%s\n' "$merged" | grep -c "^$1	" || true; }
  rows+=("$crate	$(count caught)	$(count missed)	$(count timeout)	$(count unviable)")
  while IFS=$'\t' read -r outcome mutant; do
    [ "$outcome" = missed ] && missed_lines+=("$mutant")
  done <<<"$merged"
done

report=$out/report.txt
{
  echo "cargo-mutants $CARGO_MUTANTS_VERSION on ${#crates[@]} crate(s), $((SECONDS - started))s"
  echo
  { echo "crate	caught	missed	timeout	unviable"; printf '%s\n' "${rows[@]}"; } | column -t -s $'\t'
  echo
  if [ ${#missed_lines[@]} -gt 0 ]; then
    echo "missed (${#missed_lines[@]}): no test fails when this change is made"
    printf '  %s\n' "${missed_lines[@]}"
  else
    echo "missed: none"
  fi
  skipped=$(sort -u "$skip_log")
  if [ -n "$skipped" ]; then
    echo
    echo "not observed on this machine (these tests skipped themselves, so they caught nothing):"
    printf '%s\n' "$skipped" | sed 's/^/  /'
  fi
} >"$report"
cat "$report"
echo "report: $report"

if $failed || [ ${#missed_lines[@]} -gt 0 ]; then
  exit 1
fi
