#!/usr/bin/env bash
# Make sure what the tests need is installed and running: PostgreSQL on 127.0.0.1:5432 and Debian's Chromium.
# Idempotent and quick when everything is already there. Installs with apt-get (root) when something is missing.
set -euo pipefail

as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }
apt_updated=0
apt_install() {
  if [ "$apt_updated" -eq 0 ]; then as_root apt-get update -qq; apt_updated=1; fi
  DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq "$@" >/dev/null
}

# --- PostgreSQL ---------------------------------------------------------------------------------------
if ! pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null; then
  if ! command -v pg_ctlcluster >/dev/null 2>&1; then
    echo "Installing PostgreSQL from Debian's packages…"
    apt_install postgresql postgresql-contrib
  fi
  version=$(ls /etc/postgresql | sort -V | tail -n 1)
  conf=/etc/postgresql/$version/main
  # Local trust authentication for the test cluster on loopback only.
  if ! grep -q "cityops-test" "$conf/pg_hba.conf" 2>/dev/null; then
    as_root sed -i '1i host all all 127.0.0.1/32 trust # cityops-test\nhost all all ::1/128 trust # cityops-test' "$conf/pg_hba.conf"
  fi
  as_root pg_ctlcluster --skip-systemctl-redirect "$version" main start || true
  for _ in $(seq 1 30); do pg_isready -q -h 127.0.0.1 -p 5432 && break; sleep 1; done
fi
pg_isready -q -h 127.0.0.1 -p 5432 || { echo "PostgreSQL is not reachable on 127.0.0.1:5432" >&2; exit 1; }

# --- Chromium for the browser journeys (never a downloaded browser) -----------------------------------
if [ ! -x /usr/bin/chromium ]; then
  echo "Installing Debian's Chromium for the browser tests…"
  apt_install chromium
fi
echo "test services ready: PostgreSQL $(psql -h 127.0.0.1 -U postgres -tAc 'show server_version' 2>/dev/null || echo '?'), $(/usr/bin/chromium --version 2>/dev/null | head -n1)"
