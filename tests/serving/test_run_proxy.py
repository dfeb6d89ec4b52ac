"""`make run`'s port layout, for real: serving/run.sh starts supervisord, HAProxy alone on the
public ports and the servers behind it on loopback; a manager signs in and chats through the
public port; Ctrl-C stops everything.

run.sh runs in a copy of the project whose scripts/ is copied (so its var/ is the copy's), with
its databases in the test's directory."""
from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import requests

from tests.e2e.proxy_stack import consecutive_free_ports, listening_on, needs_haproxy
from tests.e2e.stack import ROOT, free_port, wait_for

pytestmark = needs_haproxy


def _pids_of(var: Path, program: str) -> int:
    out = subprocess.run([str(Path(sys.executable).parent / "supervisorctl"), "-c", str(var / "supervisord.conf"),
                          "pid", program], capture_output=True, text=True, timeout=30).stdout.strip()
    return int(out) if out.isdigit() else 0


def test_make_run_puts_haproxy_alone_on_the_public_ports(tmp_path):
    root = tmp_path / "claudia"
    root.mkdir()
    for entry in ROOT.iterdir():
        if entry.name not in ("var", "serving", ".git"):
            (root / entry.name).symlink_to(entry)
    shutil.copytree(ROOT / "serving", root / "serving", ignore=shutil.ignore_patterns("__pycache__"))
    data = tmp_path / "data"
    data.mkdir(mode=0o700)
    web_port, channel_port, internal_port = free_port(), free_port(), free_port()
    worker_port, web_private, actions_port = consecutive_free_ports(2), free_port(), free_port()
    env = {key: value for key, value in os.environ.items()
           if not key.startswith(("CLAUDIA_", "INSEE_", "SIRENE_", "PYTHONPATH", "SANIC_"))}
    env.update(CLAUDIA_DB_URL=f"sqlite:///{data / 'claudia.db'}", CLAUDIA_TRACKER_DB_URL=f"sqlite:///{data / 'tracker.db'}",
               CLAUDIA_DATA_REPO="off", CLAUDIA_MODEL_WORK_DIR=str(data / "models"),
               CLAUDIA_PUBLIC_WEB_PORT=str(web_port), CLAUDIA_PUBLIC_PORT=str(channel_port),
               CLAUDIA_PROXY_RASA_PORT=str(internal_port), CLAUDIA_PORT=str(worker_port),
               CLAUDIA_WEB_PORT=str(web_private), ACTIONS_PORT=str(actions_port))
    subprocess.run([str(root / ".venv" / "bin" / "python"), "-m", "claudia.admin", "load", "demo/registry.yml"],
                   cwd=root, env=dict(env, PYTHONPATH=str(root)), check=True, capture_output=True, timeout=120)
    run = subprocess.Popen(["bash", str(root / "serving" / "run.sh")], env=env, stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT, text=True, start_new_session=True)
    var = root / "var"
    try:
        base = f"http://127.0.0.1:{web_port}"

        def ready():
            try:
                return requests.get(base + "/health/ready", timeout=2).status_code == 200 and requests.post(
                    f"http://127.0.0.1:{channel_port}/webhooks/connected/webhook",
                    json={"sender": "run-proxy-anonymous", "message": "bonjour"}, timeout=10).status_code == 200
            except requests.RequestException:
                return False

        wait_for(ready, timeout=240)
        # The public ports are HAProxy's; the servers listen on loopback behind it.
        proxy = _pids_of(var, "proxy")
        assert proxy and listening_on(proxy, web_port) and listening_on(proxy, channel_port)
        assert listening_on(_pids_of(var, "web"), web_private)
        assert (var / "haproxy.cfg").stat().st_mode & 0o777 == 0o600
        # A manager signs in on the portal and chats, through the public port only.
        http = requests.Session()
        page = http.get(base + "/", timeout=10).text
        csrf = page.split('name="csrf" value="', 1)[1].split('"', 1)[0]
        assert http.post(base + "/connexion", data={"login": "marie.dupont", "password": "demo-portail", "csrf": csrf},
                         allow_redirects=False, timeout=10).status_code == 302
        token = http.get(base + "/", timeout=10).text.split('<meta name="csrf" content="', 1)[1].split('"', 1)[0]
        answer = http.post(base + "/chat/messages", json={"message": "bonjour"}, headers={"X-CSRF-Token": token},
                           timeout=30)
        assert answer.status_code == 200 and "ClaudIA" in answer.json()[0]["text"]
        # Rasa's API is not public.
        assert requests.get(f"http://127.0.0.1:{channel_port}/status", timeout=10).status_code == 404
    finally:
        os.killpg(run.pid, signal.SIGINT)  # as Ctrl-C
        try:
            output, _ = run.communicate(timeout=90)
        except subprocess.TimeoutExpired:
            os.killpg(run.pid, signal.SIGKILL)
            output, _ = run.communicate()
    assert f"http://127.0.0.1:{web_port}/" in output
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            requests.get(f"http://127.0.0.1:{web_port}/", timeout=1)
        except requests.RequestException:
            break
        time.sleep(0.5)
    else:
        raise AssertionError("the proxy still answers after Ctrl-C")
