#!/usr/bin/env bash
# Several Rasa servers and action servers sharing PostgreSQL and Redis, plus the web
# front, behind one address given by a reverse proxy (deploy/nginx.conf).
#   CLAUDIA_DB_URL=postgresql://…  CLAUDIA_TRACKER_DB_URL=postgresql://…
#   CLAUDIA_LOCK_STORE_URL=redis://127.0.0.1:6379/1  CLAUDIA_JWT_SECRET=…  [SERVERS=2]
# Secrets only in the environment (see scripts/run.sh); umask 077.
set -euo pipefail
umask 077
cd "$(dirname "$0")/.."
: "${CLAUDIA_DB_URL:?set CLAUDIA_DB_URL to the shared PostgreSQL registry}"
: "${CLAUDIA_TRACKER_DB_URL:?set CLAUDIA_TRACKER_DB_URL to the shared PostgreSQL tracker store}"
: "${CLAUDIA_LOCK_STORE_URL:?set CLAUDIA_LOCK_STORE_URL to Redis, e.g. redis://127.0.0.1:6379/1}"
export PYTHONPATH="$PWD" TF_CPP_MIN_LOG_LEVEL=2 RASA_TELEMETRY_ENABLED=false
new_secret() { .venv/bin/python -c 'import secrets; print(secrets.token_urlsafe(32))'; }
export CLAUDIA_RASA_API_TOKEN="${CLAUDIA_RASA_API_TOKEN:-$(new_secret)}"
export CLAUDIA_ACTIONS_TOKEN="${CLAUDIA_ACTIONS_TOKEN:-$(new_secret)}"
SERVERS="${SERVERS:-2}"
pids=()
trap 'kill "${pids[@]}" 2>/dev/null || true' EXIT INT TERM
mkdir -p var && chmod 700 var
for n in $(seq 1 "$SERVERS"); do
  actions_port=$((5055 + n * 10)); rasa_port=$((5005 + n * 10))
  ACTIONS_URL="http://127.0.0.1:${actions_port}/webhook" .venv/bin/python -m scripts.endpoints "var/endpoints-$n.yml"
  .venv/bin/python -m scripts.serve_actions --port "$actions_port" &
  pids+=($!)
  .venv/bin/python -m scripts.serve_rasa --model models/claudia.tar.gz --endpoints "var/endpoints-$n.yml" \
    --credentials credentials.yml --interface 127.0.0.1 --port "$rasa_port" --enable-api &
  pids+=($!)
  echo "Rasa server $n: 127.0.0.1:$rasa_port, action server $n: 127.0.0.1:$actions_port"
done
# The web front reaches Rasa through the proxy, so any server may answer.
CLAUDIA_RASA_URL="${CLAUDIA_RASA_URL:-http://127.0.0.1:8080}" .venv/bin/python -m web &
pids+=($!)
wait
