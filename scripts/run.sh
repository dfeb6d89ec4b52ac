#!/usr/bin/env bash
# Starts the action server and the Rasa server with the current model and
# configuration; stops both on Ctrl-C. Used by `make run`.
set -euo pipefail
cd "$(dirname "$0")/.."
export PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}"
export TF_CPP_MIN_LOG_LEVEL="${TF_CPP_MIN_LOG_LEVEL:-2}"
export RASA_TELEMETRY_ENABLED="${RASA_TELEMETRY_ENABLED:-false}"
HOST="${CLAUDIA_HOST:-127.0.0.1}"
PORT="${CLAUDIA_PORT:-5005}"
ACTIONS_PORT="${ACTIONS_PORT:-5055}"
export ACTIONS_URL="${ACTIONS_URL:-http://127.0.0.1:${ACTIONS_PORT}/webhook}"
mkdir -p var
.venv/bin/python -m scripts.endpoints var/endpoints.yml

SANIC_HOST="${ACTIONS_HOST:-127.0.0.1}" .venv/bin/python -m rasa_sdk --actions actions --port "$ACTIONS_PORT" &
actions_pid=$!
trap 'kill $actions_pid 2>/dev/null || true' EXIT INT TERM

echo "ClaudIA démarre : http://${HOST}:${PORT}/webhooks/connected/webhook"
.venv/bin/rasa run --model models/claudia.tar.gz --endpoints var/endpoints.yml \
  --credentials credentials.yml --interface "$HOST" --port "$PORT"
