#!/usr/bin/env bash
# Set up arealkart in ./.venv on a fresh Debian/Ubuntu machine.
#   bash scripts/install.sh          # arealkart and what it needs to run
#   bash scripts/install.sh --serve  # also the OGC API service (arealkart serve: pygeoapi)
#   bash scripts/install.sh --test   # also everything the test suite needs (and --serve's)
set -euo pipefail
cd "$(dirname "$0")/.."

want_tests=0
want_serve=0
[ "${1:-}" = "--test" ] && want_tests=1
[ "${1:-}" = "--serve" ] && want_serve=1

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

apt_install() {
  if command -v apt-get >/dev/null 2>&1; then
    as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
  else
    echo "install.sh: please install $* with your package manager" >&2
    exit 1
  fi
}

python=${PYTHON:-python3}
if ! "$python" -c 'import sys; assert sys.version_info >= (3, 11)' 2>/dev/null; then
  echo "install.sh: arealkart needs Python 3.11 or newer ($python is older or missing)" >&2
  exit 1
fi
if [ ! -x .venv/bin/python ]; then
  if ! "$python" -m venv .venv 2>/dev/null; then
    rm -rf .venv
    apt_install python3-venv
    "$python" -m venv .venv
  fi
fi
.venv/bin/python -m pip install --quiet --upgrade pip
if [ "$want_tests" = 1 ]; then
  .venv/bin/python -m pip install --quiet -e '.[test,postgis,serve,dask]'
  # the browser tests: Debian's Chromium (driven by Playwright) and the maps' JS libraries
  [ -x /usr/bin/chromium ] || apt_install chromium
  # the PostGIS tests: Debian's PostgreSQL server and its PostGIS extension (the tests
  # start a private cluster of their own on 127.0.0.1; see tests/postgis_server.py)
  if ! ls /usr/share/postgresql/*/extension/postgis.control >/dev/null 2>&1; then
    ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || apt_install postgresql
    pg_version=$(ls /usr/lib/postgresql | sort -n | tail -1)
    apt_install "postgresql-${pg_version}-postgis-3"
  fi
  .venv/bin/python scripts/fetch_map_assets.py
elif [ "$want_serve" = 1 ]; then
  .venv/bin/python -m pip install --quiet -e '.[serve]'
else
  .venv/bin/python -m pip install --quiet -e .
fi
echo "arealkart installed in .venv ($(.venv/bin/arealkart --version))"
