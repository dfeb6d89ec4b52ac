#!/usr/bin/env bash
# Starts PostgreSQL and Redis on loopback for the scaled test (installing them from
# Debian's packages if needed) and writes their URLs to var/test-services.env; installs
# Debian's prometheus (the Prometheus test starts its own on loopback).
# Idempotent. Without root or apt it says so and the scaled test is skipped.
set -uo pipefail
cd "$(dirname "$0")/.."
mkdir -p var
rm -f var/test-services.env
PG_DB=claudia_scaled
REDIS_PORT=6390

if [ "$(id -u)" != 0 ]; then
  echo "test_services: not root, PostgreSQL/Redis not started: the scaled test will be skipped" >&2
  exit 0
fi
# Prometheus and promtool for tests/e2e/test_prometheus.py (skipped, saying why, without them).
if ! command -v prometheus >/dev/null 2>&1 || ! command -v promtool >/dev/null 2>&1; then
  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq prometheus >/dev/null) ||
    echo "test_services: could not install prometheus: the Prometheus test will be skipped" >&2
fi
need=()
command -v pg_ctlcluster >/dev/null 2>&1 || need+=(postgresql)
command -v redis-server >/dev/null 2>&1 || need+=(redis-server)
if [ ${#need[@]} -gt 0 ]; then
  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null) || {
    echo "test_services: could not install ${need[*]}: the scaled test will be skipped" >&2; exit 0; }
fi

cluster=$(pg_lsclusters -h | awk 'NR==1 {print $1" "$2}')
if [ -z "$cluster" ]; then
  pg_createcluster 15 main >/dev/null && cluster="15 main"
fi
pg_ctlcluster $cluster start 2>/dev/null || true
port=$(pg_lsclusters -h | awk 'NR==1 {print $3}')
for _ in $(seq 1 30); do pg_isready -q -h 127.0.0.1 -p "$port" && break; sleep 0.5; done
su postgres -c "psql -q -p $port -tc \"SELECT 1 FROM pg_roles WHERE rolname='claudia'\"" | grep -q 1 ||
  su postgres -c "psql -q -p $port -c \"CREATE ROLE claudia LOGIN PASSWORD 'claudia'\""
su postgres -c "psql -q -p $port -c 'DROP DATABASE IF EXISTS $PG_DB'" >/dev/null
su postgres -c "psql -q -p $port -c 'CREATE DATABASE $PG_DB OWNER claudia'" >/dev/null

if ! redis-cli -p "$REDIS_PORT" ping >/dev/null 2>&1; then
  redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --save '' --appendonly no --daemonize yes >/dev/null
fi
for _ in $(seq 1 20); do redis-cli -p "$REDIS_PORT" ping >/dev/null 2>&1 && break; sleep 0.25; done

cat > var/test-services.env <<ENV
CLAUDIA_TEST_PG_URL=postgresql://claudia:claudia@127.0.0.1:$port/$PG_DB
CLAUDIA_TEST_REDIS_URL=redis://127.0.0.1:$REDIS_PORT/0
ENV
echo "test_services: PostgreSQL on $port, Redis on $REDIS_PORT"
