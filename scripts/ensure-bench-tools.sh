#!/usr/bin/env bash
# Make sure what `make bench` needs is there: PostgreSQL on 127.0.0.1:5432 (via ensure-test-services.sh's
# PostgreSQL part), Debian's `wrk` load generator, an MQTT broker on 127.0.0.1:1883 and Redis on 127.0.0.1:6379
# (the shared rate-limit counters, as docs/operations.md recommends for several web processes).
# Idempotent and quick when everything is already there. Installs with apt-get (root) when something is missing.
set -euo pipefail

as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }
apt_updated=0
apt_install() {
  if [ "$apt_updated" -eq 0 ]; then as_root apt-get update -qq; apt_updated=1; fi
  DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq "$@" >/dev/null
}

# --- PostgreSQL (the same set-up as the tests) -----------------------------------------------------------
if ! pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null; then
  bash "$(dirname "$0")/ensure-test-services.sh"
fi

# --- wrk: the HTTP load generator (Debian's package) -----------------------------------------------------
if ! command -v wrk >/dev/null 2>&1; then
  echo "Installing Debian's wrk (HTTP load generator)…"
  apt_install wrk
fi

# --- Mosquitto: the MQTT broker for the MQTT ingest figure ------------------------------------------------
if ! (exec 3<>/dev/tcp/127.0.0.1/1883) 2>/dev/null; then
  if ! command -v mosquitto >/dev/null 2>&1; then
    echo "Installing Debian's Mosquitto (MQTT broker)…"
    apt_install mosquitto
  fi
  as_root systemctl start mosquitto 2>/dev/null || as_root service mosquitto start 2>/dev/null || \
    (mosquitto -d -p 1883 2>/dev/null || true)
  for _ in $(seq 1 10); do (exec 3<>/dev/tcp/127.0.0.1/1883) 2>/dev/null && break; sleep 1; done
fi
# --- Redis: the shared cache of the web processes (rate-limit counters) ------------------------------------
if ! (exec 3<>/dev/tcp/127.0.0.1/6379) 2>/dev/null; then
  if ! command -v redis-server >/dev/null 2>&1; then
    echo "Installing Debian's Redis…"
    apt_install redis-server
  fi
  redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no >/dev/null
  for _ in $(seq 1 10); do (exec 3<>/dev/tcp/127.0.0.1/6379) 2>/dev/null && break; sleep 1; done
fi
echo "bench tools ready: PostgreSQL $(psql -h 127.0.0.1 -U postgres -tAc 'show server_version' 2>/dev/null || echo '?'), $(wrk --version 2>&1 | head -n1 | cut -c1-40), MQTT on 127.0.0.1:1883: $( (exec 3<>/dev/tcp/127.0.0.1/1883) 2>/dev/null && echo yes || echo NO), Redis on 127.0.0.1:6379: $( (exec 3<>/dev/tcp/127.0.0.1/6379) 2>/dev/null && echo yes || echo NO)"
