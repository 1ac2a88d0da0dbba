#!/usr/bin/env bash
# Install and start what lettergen needs from Debian beyond Python:
# LibreOffice Writer (PDF), CJK fonts, poppler-utils (PDF tests),
# PostgreSQL (register tests against a real server), chromium (the web page
# tests drive it with Playwright).  Needs root; idempotent.
set -euo pipefail

if [ "$(id -u)" != "0" ]; then
    echo "system-deps: not root; skipping apt installs (PDF and PostgreSQL tests will say why they skip)." >&2
    exit 0
fi

PACKAGES="libreoffice-writer-nogui python3-uno fontconfig fonts-noto-cjk fonts-arphic-ukai texlive-lang-chinese fonts-liberation2 poppler-utils postgresql chromium"
missing=""
for p in $PACKAGES; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
if [ -n "$missing" ]; then
    echo "system-deps: installing$missing"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends $missing >/dev/null
fi

# PostgreSQL on the loopback address, with a role and database for the tests.
if ! pg_lsclusters -h 2>/dev/null | grep -q online; then
    service postgresql start >/dev/null || pg_ctlcluster "$(pg_lsclusters -h | awk 'NR==1{print $1}')" main start
fi
for _ in $(seq 1 30); do pg_isready -q -h 127.0.0.1 && break; sleep 1; done
su postgres -c "psql -qtAc \"SELECT 1 FROM pg_roles WHERE rolname='lettergen'\"" | grep -q 1 \
    || su postgres -c "psql -qc \"CREATE ROLE lettergen LOGIN PASSWORD 'lettergen' CREATEDB\""
su postgres -c "psql -qtAc \"SELECT 1 FROM pg_database WHERE datname='lettergen_test'\"" | grep -q 1 \
    || su postgres -c "psql -qc \"CREATE DATABASE lettergen_test OWNER lettergen\""
echo "system-deps: LibreOffice, CJK fonts and PostgreSQL ready"
