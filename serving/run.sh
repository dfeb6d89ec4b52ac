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
# A reverse proxy, HAProxy, alone on the public ports (serving/proxy_config.py): 5080 the web
# front, 5005 the chat channel; behind it, on private unix sockets in var/sockets/ (0700, sockets 0600,
# CLAUDIA_SOCKET_DIR: serving/unix_sockets.py) and on no TCP port, the Rasa server (its two workers
# behind their accept gate) and the web front, which reaches Rasa through the proxy's own socket
# (proxy-rasa.sock); 5006 (loopback) serves Prometheus' metrics only. CLAUDIA_PRIVATE_SOCKETS=0 puts
# those two on loopback ports 5010 and 5081 instead, and 5006 is then the web front's way to Rasa.
# CLAUDIA_PROXY=0 starts the servers on the public ports themselves, without its protections.
export CLAUDIA_PROXY="${CLAUDIA_PROXY:-1}"
if [ "$CLAUDIA_PROXY" = 1 ]; then
  if ! command -v haproxy >/dev/null 2>&1 && [ ! -x /usr/sbin/haproxy ]; then
    echo "HAProxy est introuvable : installez le paquet Debian haproxy (apt-get install haproxy, ce que fait" \
         "scripts/setup.sh en root), ou lancez sans mandataire avec CLAUDIA_PROXY=0 (sans ses protections)." >&2
    echo "HAProxy not found: install Debian's haproxy package (scripts/setup.sh does as root), or run without" \
         "the proxy with CLAUDIA_PROXY=0 (without its protections)." >&2
    exit 1
  fi
  export CLAUDIA_PUBLIC_HOST="${CLAUDIA_PUBLIC_HOST:-127.0.0.1}"
  export CLAUDIA_PUBLIC_PORT="${CLAUDIA_PUBLIC_PORT:-5005}"
  export CLAUDIA_PUBLIC_WEB_PORT="${CLAUDIA_PUBLIC_WEB_PORT:-5080}"
  export CLAUDIA_PROXY_RASA_PORT="${CLAUDIA_PROXY_RASA_PORT:-5006}"
  export CLAUDIA_PORT="${CLAUDIA_PORT:-5010}"
  export CLAUDIA_WEB_PORT="${CLAUDIA_WEB_PORT:-5081}"
  export CLAUDIA_RASA_URL="${CLAUDIA_RASA_URL:-http://127.0.0.1:${CLAUDIA_PROXY_RASA_PORT}}"
  PUBLIC="http://${CLAUDIA_PUBLIC_HOST}:${CLAUDIA_PUBLIC_PORT}"
  PUBLIC_WEB="http://${CLAUDIA_PUBLIC_HOST}:${CLAUDIA_PUBLIC_WEB_PORT}"
else
  export CLAUDIA_PORT="${CLAUDIA_PORT:-5005}"
  PUBLIC="http://${CLAUDIA_HOST}:${CLAUDIA_PORT}"
  PUBLIC_WEB="http://127.0.0.1:${CLAUDIA_WEB_PORT:-5080}"
fi
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
.venv/bin/python -m serving.endpoints var/endpoints.yml
# What each server checks at start-up, checked here first: a refusal is said on this terminal
# (French, then English) and stops `make run`, rather than a traceback in var/log/ that
# supervisord retries while this seems to run (serving/preflight.py).
.venv/bin/python -m serving.preflight var/endpoints.yml || exit 1

echo "ClaudIA : ${PUBLIC_WEB}/ (portail), ${PUBLIC_WEB}/console/ ; canal : ${PUBLIC}/webhooks/connected/webhook (Ctrl-C pour tout arrêter)"
echo "Journaux : var/log/<serveur>.log, une ligne JSON par événement avec request_id (docs/operations.md#logs) ; état : /health/ready de chaque serveur"
exec .venv/bin/python -m serving.supervisor
