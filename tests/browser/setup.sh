#!/usr/bin/env bash
# setup.sh: installs what the browser player harness (tests/browser/play.mjs) needs,
# and only what is missing, so it is cheap to run before every test run:
#   - Debian's chromium (/usr/bin/chromium), from apt;
#   - node and npm, from apt, when absent;
#   - hls.js, dashjs and puppeteer-core, with `npm ci` from package-lock.json,
#     when node_modules is missing or older than the lock file.
# No browser build is ever downloaded (puppeteer-core, PUPPETEER_SKIP_DOWNLOAD=1).
# Exits nonzero with a message when something cannot be installed.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
export DEBIAN_FRONTEND=noninteractive
export PUPPETEER_SKIP_DOWNLOAD=1

die() {
  echo "tests/browser/setup.sh: $*" >&2
  exit 1
}

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null 2>&1 || die "not root and no sudo: cannot run apt-get"
  SUDO="sudo"
fi

apt_updated=""
apt_install() {
  if [ -z "$apt_updated" ]; then
    $SUDO apt-get update -qq || die "apt-get update failed"
    apt_updated=1
  fi
  $SUDO apt-get install -y -qq --no-install-recommends "$@" || die "apt-get install $* failed"
}

if [ ! -x /usr/bin/chromium ]; then
  echo "tests/browser/setup.sh: installing chromium" >&2
  apt_install chromium
  [ -x /usr/bin/chromium ] || die "chromium installed but /usr/bin/chromium is missing"
fi

if ! command -v node >/dev/null 2>&1; then
  echo "tests/browser/setup.sh: installing nodejs" >&2
  apt_install nodejs
fi
if ! command -v npm >/dev/null 2>&1; then
  echo "tests/browser/setup.sh: installing npm" >&2
  apt_install npm
fi
command -v node >/dev/null 2>&1 || die "node is not on PATH after installing nodejs"
command -v npm >/dev/null 2>&1 || die "npm is not on PATH after installing npm"

cd "$HERE"
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules ]; then
  echo "tests/browser/setup.sh: npm ci in $HERE" >&2
  npm ci --no-audit --no-fund || die "npm ci failed in $HERE"
  touch node_modules # npm ci may keep an old directory's mtime
fi

for f in node_modules/puppeteer-core/package.json node_modules/hls.js/dist/hls.min.js \
         node_modules/dashjs/dist/modern/umd/dash.all.min.js; do
  [ -f "$f" ] || die "$HERE/$f is missing after npm ci"
done
echo "tests/browser/setup.sh: ready ($(/usr/bin/chromium --version 2>/dev/null), node $(node --version))" >&2
