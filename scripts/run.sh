#!/usr/bin/env bash
# Starts the action server, the Rasa server and the web front (portal and console) with the
# current model and configuration, and the retention job (`claudia.admin purge --loop`, see
# docs/operations.md), each supervised by supervisord (restarted if it crashes);
# stays in the foreground and stops them all on Ctrl-C. Used by `make run`.
# Secrets travel only in the environment (never on a command line, never in a file), and
# everything this creates is private to this account (umask 077, var/ 0700).
# Logs: var/log/<server>.log. Status from another terminal:
#   .venv/bin/supervisorctl -c var/supervisord.conf status
set -euo pipefail
umask 077
cd "$(dirname "$0")/.."
export PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}"
export TF_CPP_MIN_LOG_LEVEL="${TF_CPP_MIN_LOG_LEVEL:-2}"
export RASA_TELEMETRY_ENABLED="${RASA_TELEMETRY_ENABLED:-false}"
# Measured in bench/changes.md: two Rasa worker processes (they share conversation locks
# through var/locks) and one action-server process give the most turns per second within
# stock Rasa's memory; TensorFlow, imported by Rasa but unused by our model, gets one thread.
export TF_INTER_OP_PARALLELISM_THREADS="${TF_INTER_OP_PARALLELISM_THREADS:-1}"
export TF_INTRA_OP_PARALLELISM_THREADS="${TF_INTRA_OP_PARALLELISM_THREADS:-1}"
export ACTION_SERVER_SANIC_WORKERS="${ACTION_SERVER_SANIC_WORKERS:-1}"
export CLAUDIA_RASA_WORKERS="${CLAUDIA_RASA_WORKERS:-2}"
export CLAUDIA_HOST="${CLAUDIA_HOST:-127.0.0.1}"
export CLAUDIA_PORT="${CLAUDIA_PORT:-5005}"
export ACTIONS_PORT="${ACTIONS_PORT:-5055}"
export ACTIONS_URL="${ACTIONS_URL:-http://127.0.0.1:${ACTIONS_PORT}/webhook}"
new_secret() { .venv/bin/python -c 'import secrets; print(secrets.token_urlsafe(32))'; }
# Rasa's HTTP API is only for the console; the action server answers only Rasa. Fresh secrets
# at each start unless given. They reach the servers through the environment only, never the
# supervisor's configuration nor a command line.
export CLAUDIA_RASA_API_TOKEN="${CLAUDIA_RASA_API_TOKEN:-$(new_secret)}"
export CLAUDIA_ACTIONS_TOKEN="${CLAUDIA_ACTIONS_TOKEN:-$(new_secret)}"
export CLAUDIA_RASA_URL="${CLAUDIA_RASA_URL:-http://127.0.0.1:${CLAUDIA_PORT}}"
mkdir -p var && chmod 700 var
.venv/bin/python -m scripts.endpoints var/endpoints.yml
# What each server checks at start-up, checked here first: a refusal is said on this terminal
# (French, then English) and stops `make run`, rather than a traceback in var/log/ that
# supervisord retries while this seems to run (scripts/preflight.py).
.venv/bin/python -m scripts.preflight var/endpoints.yml || exit 1

echo "ClaudIA : http://${CLAUDIA_HOST}:${CLAUDIA_PORT}/webhooks/connected/webhook (Ctrl-C pour tout arrêter)"
exec .venv/bin/python -m scripts.supervisor
