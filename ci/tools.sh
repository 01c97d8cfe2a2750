# shellcheck shell=bash
# Sourced by the other scripts in ci/: pinned tool versions and how to get them.
# Installs only what is missing or at the wrong version, so warm runs skip it.

MDBOOK_VERSION=0.5.4
CARGO_MUTANTS_VERSION=27.1.0

export PATH="${CARGO_HOME:-$HOME/.cargo}/bin:$PATH"

# ensure_crate_bin BINARY CRATE VERSION: `cargo install --locked` unless BINARY
# already reports VERSION. A cargo subcommand (`cargo-mutants`) is asked as
# cargo runs it, `cargo-mutants mutants --version`.
ensure_crate_bin() {
  local bin=$1 crate=$2 version=$3
  local ask=("$bin")
  case $bin in cargo-*) ask+=("${bin#cargo-}") ;; esac
  if ! "${ask[@]}" --version 2>/dev/null | grep -qF "$version"; then
    echo "installing $crate $version (cargo install --locked; a few minutes the first time)"
    cargo install --locked --quiet "$crate" --version "=$version"
  fi
}

# ensure_rust_component NAME: rustfmt and clippy ship with the toolchain's default
# profile; say clearly what to do if this machine's toolchain lacks one.
ensure_rust_component() {
  if ! cargo "$1" --version >/dev/null 2>&1; then
    rustup component add "${2:-$1}" || {
      echo "error: cargo $1 is missing and could not be installed: run 'rustup component add ${2:-$1}'" >&2
      return 1
    }
  fi
}

# as_root CMD...: run CMD as root (directly, or through sudo without a password).
as_root() {
  if [ "$(id -u)" = 0 ]; then "$@"; else sudo -n "$@"; fi
}

# ensure_debian_packages CMD PACKAGE...: install PACKAGEs with apt-get unless
# CMD is already on PATH.
ensure_debian_packages() {
  local cmd=$1
  shift
  if ! command -v "$cmd" >/dev/null; then
    echo "installing $* from Debian's packages"
    as_root apt-get update -qq
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" >/dev/null
  fi
}

# The load generator the `load` probe drives the chapter 10 servers with:
# Debian's package, pinned by the first line `wrk -v` prints (the probe,
# listings/ch10-real-world/src/bin/load_probe.rs, checks the same line).
WRK_VERSION="wrk debian/4.1.0-3+b2"
ensure_wrk() {
  ensure_debian_packages wrk wrk
  local first
  # `wrk -v` prints its version and usage, and exits with 1.
  first=$(wrk -v 2>/dev/null | head -n 1 || true)
  case $first in
    "$WRK_VERSION "*) ;;
    *)
      echo "error: wrk reports '$first', but the load figures are pinned to '$WRK_VERSION' (Debian's package wrk 4.1.0-3+b2)" >&2
      return 1
      ;;
  esac
}

ensure_mdbook() { ensure_crate_bin mdbook mdbook "$MDBOOK_VERSION"; }
# The interpreter the Python listings (listings/python/*.py) run with in
# `booktools outputs`: the machine's python3, Debian's package when missing.
ensure_python3() { ensure_debian_packages python3 python3; }

# Graphviz's `dot`, which the book's preprocessor runs to draw {{#diagram NAME}}
# from diagrams/NAME.dot (tools/src/preprocess/diagram.rs): Debian's package.
# `mdbook build` and `mdbook serve` need it, so ci/build-book.sh and
# ci/serve.sh call this.
ensure_graphviz() { ensure_debian_packages dot graphviz; }
ensure_cargo_mutants() { ensure_crate_bin cargo-mutants cargo-mutants "$CARGO_MUTANTS_VERSION"; }

# The headless browser that ci/reader-checks.sh (the browser check) and
# ci/offline.sh (the PDF) drive with playwright-core: Debian's chromium, or the
# browser named by $CHROMIUM, and playwright-core at ci/browser/package.json's
# version.
export CHROMIUM="${CHROMIUM:-/usr/bin/chromium}"
# Never let an npm package fetch a browser of its own.
export PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1
PLAYWRIGHT_CORE_VERSION=$(sed -n 's/.*"playwright-core": "\([0-9.]*\)".*/\1/p' ci/browser/package.json)

# ensure_browser_tools: Debian's chromium (or $CHROMIUM), and Node.js.
ensure_browser_tools() {
  local missing=()
  [ -x "$CHROMIUM" ] || missing+=(chromium)
  command -v node >/dev/null && command -v npm >/dev/null || missing+=(nodejs npm)
  if [ ${#missing[@]} -gt 0 ]; then
    if [ "$CHROMIUM" != /usr/bin/chromium ] && [ ! -x "$CHROMIUM" ]; then
      echo "error: CHROMIUM=$CHROMIUM is not an executable browser" >&2
      return 1
    fi
    echo "installing ${missing[*]} from Debian's packages"
    as_root apt-get update -qq
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  fi
}

ensure_playwright_core() {
  local installed
  installed=$(node -p "require('./ci/browser/node_modules/playwright-core/package.json').version" 2>/dev/null || true)
  if [ "$installed" != "$PLAYWRIGHT_CORE_VERSION" ]; then
    echo "installing playwright-core $PLAYWRIGHT_CORE_VERSION (npm ci; no browser download)"
    (cd ci/browser && npm ci --no-audit --no-fund --loglevel=error)
  fi
}

# ensure_book_built: build book/ (ci/build-book.sh) when it is missing or older
# than its sources; ci/check.sh has just built it, the scripts alone may not have.
ensure_book_built() {
  if [ ! -f book/index.html ] ||
    [ -n "$(find src listings measurements theme tools/src diagrams book.toml -newer book/index.html -print -quit 2>/dev/null)" ]; then
    echo "book/ is missing or older than its sources: building it"
    bash ci/build-book.sh
  else
    echo "book/ is up to date"
  fi
}
