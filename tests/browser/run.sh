#!/usr/bin/env bash
# Quorate's browser tests: each role's journey through the real pages, and a
# crawl checking every page with axe and at 390 px wide. Playwright drives
# Debian's Chromium; the server is started with the demo data by
# global-setup.js and stopped at the end. Exits non-zero on any failure;
# screenshots and traces of failures are kept in tests/browser/test-results/,
# with the server's log and findings.md (every page that failed a check).
#
#   tests/browser/run.sh QUORATE_BINARY [PLAYWRIGHT ARGS…]
#
# Environment: QUORATE_BROWSER_CHROMIUM (default /usr/bin/chromium),
# QUORATE_BROWSER_KEEP=1 keeps the server's temporary folder.
set -euo pipefail
if [ $# -lt 1 ]; then
  echo "usage: $0 QUORATE_BINARY [PLAYWRIGHT ARGS…]" >&2
  exit 2
fi
bin="$(realpath "$1")"
shift
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
if [ ! -x "$bin" ]; then
  echo "browser tests: $bin is not an executable quorate binary" >&2
  exit 2
fi

chromium="${QUORATE_BROWSER_CHROMIUM:-/usr/bin/chromium}"
if [ ! -x "$chromium" ]; then
  echo "browser tests: no Chromium at $chromium. Install Debian's: apt-get update && apt-get install -y chromium" >&2
  echo "(or set QUORATE_BROWSER_CHROMIUM to another Chromium or Chrome binary)" >&2
  exit 2
fi
for tool in node npm; do
  if ! command -v "$tool" >/dev/null; then
    echo "browser tests: $tool is missing. Install Node.js 20 or later (apt-get install -y nodejs npm)" >&2
    exit 2
  fi
done

cd "$here"
# Playwright's own browser download is never used: Debian's Chromium is.
export PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1
if [ ! -d node_modules ]; then
  npm ci --no-audit --no-fund
fi

pidfile="$(mktemp)"
stop_server() {
  # Normally global-setup.js's teardown has stopped it; this covers a run cut short.
  local pid
  pid="$(cat "$pidfile" 2>/dev/null || true)"
  if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
    kill "$pid" 2>/dev/null || true
  fi
  rm -f "$pidfile"
}
trap stop_server EXIT

export QUORATE_BROWSER_BINARY="$bin" QUORATE_BROWSER_CHROMIUM="$chromium" QUORATE_BROWSER_PIDFILE="$pidfile"
status=0
npx --no-install playwright test "$@" || status=$?
if [ "$status" -ne 0 ]; then
  echo "browser tests failed: screenshots, traces and the server's log are in $here/test-results/" >&2
  echo "(open a trace with: npx playwright show-trace test-results/…/trace.zip)" >&2
fi
exit "$status"
