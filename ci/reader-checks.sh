#!/usr/bin/env bash
# What a reader meets: links, spelling, and the built book in a real browser.
#
#   1. links     mdbook-linkcheck2 (standalone) over src/: every link between
#                chapters points at a file; web links are not fetched (offline).
#   2. spelling  typos over src/, listings/ and README.md (word list: _typos.toml).
#   3. browser   headless Chromium opens every page of book/ served on 127.0.0.1,
#                and fails on console errors, failed requests, images that do not
#                load, requests to any other host, links to missing headings,
#                Rust blocks without a caption, verdicts in the wrong box, code
#                blocks that scroll sideways at desktop width (1280 px), and a
#                search that finds nothing (ci/browser/check-book.mjs). It leaves
#                screenshots of three pages in book/screenshots/.
#
# Each check first shows, on a planted fault, that it fails when it should.
# Installs what it needs (pinned below) only when missing or at another version.
# Builds the book first if book/ is missing or older than its sources.
set -euo pipefail
cd "$(dirname "$0")/.."
source ci/tools.sh

LINKCHECK2_VERSION=0.13.0
TYPOS_VERSION=1.52.0
TYPOS_DIR="${XDG_CACHE_HOME:-$HOME/.cache}/coroutines-book/typos-$TYPOS_VERSION"

started=$SECONDS
step() { printf '\n--> %s  (%ss so far)\n' "$1" "$((SECONDS - started))"; }

ensure_typos() {
  if ! "$TYPOS_DIR/bin/typos" --version 2>/dev/null | grep -qF "$TYPOS_VERSION"; then
    echo "installing typos $TYPOS_VERSION (a binary wheel from PyPI) into $TYPOS_DIR"
    rm -rf "$TYPOS_DIR"
    python3 -m pip install --quiet --disable-pip-version-check --no-compile --no-deps \
      --target "$TYPOS_DIR" "typos==$TYPOS_VERSION" 2>&1 | grep -v "Running pip as the 'root' user" || true
    "$TYPOS_DIR/bin/typos" --version >/dev/null
  fi
}

run_typos() { "$TYPOS_DIR/bin/typos" --config _typos.toml --format brief "$@"; }

# mdbook-linkcheck2 on its own (not as a renderer), configured here rather than in
# book.toml so that book/ stays the HTML output and `mdbook serve` does not need it.
# The PDF and the EPUB are not in src/: ci/offline.sh makes them into book/, and
# the browser check below follows the introduction's links to them there.
linkcheck() {
  MDBOOK_OUTPUT__LINKCHECK2='{"follow-web-links": false, "traverse-parent-directories": false, "warning-policy": "error", "exclude": ["^coroutines-versus-threads\\.(pdf|epub)$"]}' \
    RUST_BACKTRACE=0 RUST_LIB_BACKTRACE=0 \
    mdbook-linkcheck2 --standalone --no-cache --colour never "$1"
}

scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT

step "reader tools"
# Built without optimisation: it still checks this book in well under a second,
# and compiles with about half the CPU time of a release build.
CARGO_PROFILE_RELEASE_OPT_LEVEL=0 CARGO_PROFILE_RELEASE_DEBUG=false \
  ensure_crate_bin mdbook-linkcheck2 mdbook-linkcheck2 "$LINKCHECK2_VERSION"
ensure_typos
ensure_browser_tools
ensure_playwright_core

step "book"
ensure_book_built
# The introduction links the PDF and the EPUB, which ci/offline.sh makes into
# book/ after each build (ci/check.sh runs it just before this script).
if [ ! -f book/coroutines-versus-threads.pdf ] || [ ! -f book/coroutines-versus-threads.epub ]; then
  echo "book/ lacks the PDF or the EPUB the introduction links: making them"
  bash ci/offline.sh
fi

step "self-tests: each check fails on a planted fault"
mkdir -p "$scratch/book/src"
printf '[book]\ntitle = "self-test"\n' >"$scratch/book/book.toml"
printf '# Summary\n\n- [One](one.md)\n' >"$scratch/book/src/SUMMARY.md"
printf '# One\n\nA [planted broken link](no-such-chapter.md).\n' >"$scratch/book/src/one.md"
if linkcheck "$scratch/book" >"$scratch/linkcheck.log" 2>&1 || ! grep -q 'one.md:3' "$scratch/linkcheck.log"; then
  cat "$scratch/linkcheck.log" >&2
  echo "error: self-test: the link check did not report the planted broken link in one.md" >&2
  exit 1
fi
echo "  caught: a broken link (linkcheck2 named one.md:3)"
printf 'Tasks re%seve their turn.\n' ci >"$scratch/planted.md"
if run_typos "$scratch/planted.md" >"$scratch/typos.log" 2>&1 || ! grep -q 'recieve' "$scratch/typos.log"; then
  cat "$scratch/typos.log" >&2
  echo "error: self-test: typos did not report the planted misspelling" >&2
  exit 1
fi
echo "  caught: a misspelling (typos flagged it)"
node ci/browser/check-book.mjs --self-test book

failed=()

step "links (mdbook-linkcheck2 $LINKCHECK2_VERSION, web links not fetched)"
linkcheck . || failed+=(links)

step "spelling (typos $TYPOS_VERSION over src/, listings/, README.md)"
run_typos src listings README.md || failed+=(spelling)

step "the book in a browser (playwright-core $PLAYWRIGHT_CORE_VERSION, $CHROMIUM)"
node ci/browser/check-book.mjs book --screenshots book/screenshots || failed+=(browser)

echo
if [ ${#failed[@]} -gt 0 ]; then
  echo "error: reader checks failed: ${failed[*]} (see above)" >&2
  exit 1
fi
echo "reader checks: links, spelling and the browser check passed in $((SECONDS - started))s"
