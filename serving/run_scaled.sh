#!/usr/bin/env bash
# Several Rasa servers and action servers sharing PostgreSQL and Redis, plus the web
# front, behind one reverse proxy, HAProxy (serving/proxy_config.py; deploy/haproxy.cfg in
# production), each server supervised by supervisord (restarted if it crashes); Ctrl-C stops them all.
# Public: 5080 the web front, 5005 the chat channel (any Rasa server answers); the Rasa servers and
# the web front on private unix sockets in var/sockets/ (rasa-1.sock, …, web.sock: serving/unix_sockets.py),
# the web front reaching Rasa through the proxy's own socket (proxy-rasa.sock); the proxy's loopback
# port 5006 serves Prometheus' metrics only.
#   CLAUDIA_DB_URL=postgresql://…  CLAUDIA_TRACKER_DB_URL=postgresql://…
#   CLAUDIA_LOCK_STORE_URL=redis://127.0.0.1:6379/1  CLAUDIA_JWT_SECRET=…  [SERVERS=2]
# Secrets only in the environment (see serving/run.sh); umask 077.
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
command -v haproxy >/dev/null 2>&1 || [ -x /usr/sbin/haproxy ] || {
  echo "HAProxy est introuvable : installez le paquet Debian haproxy (apt-get install haproxy)." >&2
  echo "HAProxy not found: install Debian's haproxy package." >&2
  exit 1
}
export CLAUDIA_PROXY=1 CLAUDIA_PUBLIC_HOST="${CLAUDIA_PUBLIC_HOST:-127.0.0.1}"
export CLAUDIA_PUBLIC_PORT="${CLAUDIA_PUBLIC_PORT:-5005}" CLAUDIA_PUBLIC_WEB_PORT="${CLAUDIA_PUBLIC_WEB_PORT:-5080}"
export CLAUDIA_PROXY_RASA_PORT="${CLAUDIA_PROXY_RASA_PORT:-5006}" CLAUDIA_WEB_PORT="${CLAUDIA_WEB_PORT:-5081}"
# The web front reaches Rasa through the proxy, so any server may answer.
export CLAUDIA_RASA_URL="${CLAUDIA_RASA_URL:-http://127.0.0.1:${CLAUDIA_PROXY_RASA_PORT}}"
SERVERS="${SERVERS:-2}"
# One process per Rasa server here: the servers themselves are the parallelism.
export CLAUDIA_RASA_WORKERS="${CLAUDIA_RASA_WORKERS:-1}"
mkdir -p var && chmod 700 var
for n in $(seq 1 "$SERVERS"); do
  ACTIONS_URL="http://127.0.0.1:$((5055 + n * 10))/webhook" .venv/bin/python -m serving.endpoints "var/endpoints-$n.yml"
  echo "Rasa server $n: ${CLAUDIA_SOCKET_DIR:-var/sockets}/rasa-$n.sock, action server $n: 127.0.0.1:$((5055 + n * 10))"
done
echo "ClaudIA : http://${CLAUDIA_PUBLIC_HOST}:${CLAUDIA_PUBLIC_WEB_PORT}/ ; canal : http://${CLAUDIA_PUBLIC_HOST}:${CLAUDIA_PUBLIC_PORT}/webhooks/connected/webhook"
exec .venv/bin/python -m serving.supervisor --servers "$SERVERS"
