#!/usr/bin/env bash
# Creates .venv with Python 3.10 and the pinned dependencies. Idempotent: does
# nothing when the environment already matches requirements.txt and constraints.txt.
set -euo pipefail
cd "$(dirname "$0")/.."

find_python310() {
  if [ -n "${PYTHON:-}" ]; then echo "$PYTHON"; return; fi
  local candidates=(python3.10)
  if command -v pyenv >/dev/null 2>&1; then
    candidates+=("$(pyenv root)"/versions/3.10.*/bin/python3.10)
  fi
  candidates+=("$HOME"/.pyenv/versions/3.10.*/bin/python3.10 /usr/bin/python3.10 /usr/local/bin/python3.10)
  for candidate in "${candidates[@]}"; do
    if [ -x "$(command -v "$candidate" 2>/dev/null || true)" ] || [ -x "$candidate" ]; then
      if "$candidate" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 10))' 2>/dev/null; then
        echo "$candidate"; return
      fi
    fi
  done
  return 1
}

# HAProxy, the reverse proxy `make run` puts in front of the servers (serving/proxy_config.py):
# Debian's package, installed here when we may (root with apt-get); otherwise say what to install.
if ! command -v haproxy >/dev/null 2>&1 && [ ! -x /usr/sbin/haproxy ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq haproxy >/dev/null
  else
    echo "HAProxy is needed by 'make run' (the reverse proxy in front of the servers): install it," \
         "e.g. 'sudo apt-get install haproxy' on Debian/Ubuntu, or run with CLAUDIA_PROXY=0 (no proxy)." >&2
  fi
fi

# git: every change the review makes to the training data is a commit of the data repository
# (claudia/data_versions.py); Debian's package, like HAProxy above.
if ! command -v git >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq git >/dev/null
  else
    echo "git is needed by the review (its data repository): install it, e.g. 'sudo apt-get install git'," \
         "or set CLAUDIA_DATA_REPO=off (the review's changes are then not versioned)." >&2
  fi
fi

stamp=.venv/.claudia-installed
wanted=$(cat requirements.txt constraints.txt | sha256sum | cut -d' ' -f1)
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$wanted" ] && [ -x .venv/bin/python ]; then
  exit 0
fi

if ! PY=$(find_python310); then
  cat >&2 <<'MSG'
ClaudIA needs Python 3.10 (Rasa 3.6 does not install on 3.11 or later), and none was found.
Install it, for example with pyenv:  pyenv install 3.10
or point to it:                      PYTHON=/path/to/python3.10 make setup
MSG
  exit 1
fi
echo "Using $PY ($("$PY" --version))"
[ -x .venv/bin/python ] || "$PY" -m venv .venv
.venv/bin/python -m pip install --quiet --upgrade pip
.venv/bin/python -m pip install --quiet -r requirements.txt -c constraints.txt
echo "$wanted" > "$stamp"
echo "Python environment ready in .venv"
