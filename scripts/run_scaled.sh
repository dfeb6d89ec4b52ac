#!/usr/bin/env bash
# Several Rasa servers and action servers sharing PostgreSQL and Redis, plus the web
# front, behind one address given by a reverse proxy (deploy/nginx.conf).
#   CLAUDIA_DB_URL=postgresql://…  CLAUDIA_TRACKER_DB_URL=postgresql://…
#   CLAUDIA_LOCK_STORE_URL=redis://127.0.0.1:6379/1  CLAUDIA_JWT_SECRET=…  [SERVERS=2]
set -euo pipefail
cd "$(dirname "$0")/.."
: "${CLAUDIA_DB_URL:?set CLAUDIA_DB_URL to the shared PostgreSQL registry}"
: "${CLAUDIA_TRACKER_DB_URL:?set CLAUDIA_TRACKER_DB_URL to the shared PostgreSQL tracker store}"
: "${CLAUDIA_LOCK_STORE_URL:?set CLAUDIA_LOCK_STORE_URL to Redis, e.g. redis://127.0.0.1:6379/1}"
export PYTHONPATH="$PWD" TF_CPP_MIN_LOG_LEVEL=2 RASA_TELEMETRY_ENABLED=false
export CLAUDIA_RASA_API_TOKEN="${CLAUDIA_RASA_API_TOKEN:-$(.venv/bin/python -c 'import secrets; print(secrets.token_urlsafe(32))')}"
SERVERS="${SERVERS:-2}"
pids=()
trap 'kill "${pids[@]}" 2>/dev/null || true' EXIT INT TERM
mkdir -p var
for n in $(seq 1 "$SERVERS"); do
  actions_port=$((5055 + n * 10)); rasa_port=$((5005 + n * 10))
  ACTIONS_URL="http://127.0.0.1:${actions_port}/webhook" .venv/bin/python -m scripts.endpoints "var/endpoints-$n.yml"
  SANIC_HOST=127.0.0.1 .venv/bin/python -m rasa_sdk --actions actions --port "$actions_port" &
  pids+=($!)
  .venv/bin/rasa run --model models/claudia.tar.gz --endpoints "var/endpoints-$n.yml" --credentials credentials.yml \
    --interface 127.0.0.1 --port "$rasa_port" --enable-api --auth-token "$CLAUDIA_RASA_API_TOKEN" &
  pids+=($!)
  echo "Rasa server $n: 127.0.0.1:$rasa_port, action server $n: 127.0.0.1:$actions_port"
done
# The web front reaches Rasa through the proxy, so any server may answer.
CLAUDIA_RASA_URL="${CLAUDIA_RASA_URL:-http://127.0.0.1:8080}" .venv/bin/python -m web &
pids+=($!)
wait
