#!/usr/bin/env bash
# The book to take away: book/coroutines-versus-threads.pdf and .epub, made
# from the built book's print page (book/print.html) and checked, each check
# first shown to fail on planted faults. The introduction links both; the
# Pages workflow publishes them with the site.
#
#   PDF   Debian's chromium, through playwright-core (ci/browser/pdf.mjs: page
#         numbers, the PDF's outline of headings), checked with poppler-utils
#         (ci/browser/check-pdf.mjs: page count, every chapter in order, every
#         chart, no listing line cut or past the margin).
#   EPUB  pandoc (ci/browser/epub.mjs says why not mdbook-epub), validated by
#         epubcheck, which must report no error and no warning.
#
# Installs what it needs (Debian's packages, playwright-core) only when missing.
# Builds the book first if book/ is missing or older than its sources.
set -euo pipefail
cd "$(dirname "$0")/.."
source ci/tools.sh

PDF=book/coroutines-versus-threads.pdf
EPUB=book/coroutines-versus-threads.epub
EPUBCHECK_JAR=/usr/share/java/epubcheck.jar

started=$SECONDS
step() { printf '\n--> %s  (%ss so far)\n' "$1" "$((SECONDS - started))"; }

step "offline tools"
ensure_browser_tools
ensure_playwright_core
ensure_debian_packages pdfinfo poppler-utils
ensure_debian_packages pandoc pandoc
# Debian's /usr/bin/epubcheck is the jar itself (run through binfmt where that
# is set up): run the jar with java, which the package depends on.
if [ ! -f "$EPUBCHECK_JAR" ]; then
  echo "installing epubcheck from Debian's packages"
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends epubcheck >/dev/null
fi
epubcheck() { java -jar "$EPUBCHECK_JAR" "$@"; }

step "book"
ensure_book_built

step "self-test: the PDF check fails on planted faults"
node ci/browser/check-pdf.mjs --self-test book

step "PDF: print book/print.html, check it"
pdf_started=$SECONDS
node ci/browser/pdf.mjs book "$PDF"
node ci/browser/check-pdf.mjs book "$PDF"
# The page's record of what it showed is the check's input, not a download.
rm -f "$PDF.json"
pages=$(pdfinfo "$PDF" | sed -n 's/^Pages: *//p')
echo "PDF: $PDF, $pages pages, in $((SECONDS - pdf_started))s"

step "EPUB: pandoc from book/print.html, epubcheck"
epub_started=$SECONDS
node ci/browser/epub.mjs book "$EPUB"
epubcheck_log=$(mktemp)
trap 'rm -f "$epubcheck_log"' EXIT
epubcheck "$EPUB" 2>&1 | tee "$epubcheck_log"
# epubcheck exits 0 with warnings: a clean book has neither.
if ! grep -q '^No errors or warnings detected' "$epubcheck_log"; then
  echo "error: epubcheck reported errors or warnings in $EPUB (above)" >&2
  exit 1
fi
echo "EPUB: $EPUB, epubcheck: no errors or warnings, in $((SECONDS - epub_started))s"

echo
echo "offline copies: PDF $pages pages, EPUB valid (epubcheck $(epubcheck --version 2>&1 | sed -n 's/^EPUBCheck v//p' | head -n 1)), in $((SECONDS - started))s"
