"""`make run`'s layout, for real: serving/run.sh starts supervisord, HAProxy alone on the public
ports and the Rasa server and web front behind it on private unix sockets, on no TCP port; another
local account (`nobody`) cannot connect to them; a manager signs in and chats through the public
port; Prometheus' way to the metrics goes through the proxy with the token; Ctrl-C stops everything.

run.sh runs in a copy of the project whose scripts/ is copied (so its var/ is the copy's), with
its databases in the test's directory."""
from __future__ import annotations

import os
import shutil
import signal
import socket
import stat
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import requests

from tests.e2e.proxy_stack import (children, connect_as_nobody, listening_on, listening_unix,
                                   needs_haproxy, tcp_listening_ports)
from tests.e2e.stack import ROOT, wait_for

pytestmark = needs_haproxy


def _pids_of(var: Path, program: str) -> int:
    out = subprocess.run([str(Path(sys.executable).parent / "supervisorctl"), "-c", str(var / "supervisord.conf"),
                          "pid", program], capture_output=True, text=True, timeout=30).stdout.strip()
    return int(out) if out.isdigit() else 0


def _free_ports(count: int) -> list:
    """`count` free loopback ports in 7700-7799 (this test's range)."""
    free = []
    for port in range(7700, 7800):
        with socket.socket() as sock:
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                continue
        free.append(port)
        if len(free) == count:
            return free
    raise RuntimeError("no free ports in 7700-7799")


def test_make_run_puts_haproxy_alone_on_the_public_ports(tmp_path):
    root = tmp_path / "claudia"
    root.mkdir()
    for entry in ROOT.iterdir():
        if entry.name not in ("var", "serving", ".git"):
            (root / entry.name).symlink_to(entry)
    shutil.copytree(ROOT / "serving", root / "serving", ignore=shutil.ignore_patterns("__pycache__"))
    data = tmp_path / "data"
    data.mkdir(mode=0o700)
    # The sockets' directory under a folder every account may cross (as /srv/claudia/var would be), so
    # that only the sockets' own modes stand between another account and the servers.
    shared = Path(tempfile.mkdtemp(prefix="claudia-sockets-", dir="/tmp"))
    shared.chmod(0o711)
    sockets = shared / "sockets"
    web_port, channel_port, internal_port, worker_port, web_private, actions_port = _free_ports(6)
    env = {key: value for key, value in os.environ.items()
           if not key.startswith(("CLAUDIA_", "INSEE_", "SIRENE_", "PYTHONPATH", "SANIC_"))}
    env.update(CLAUDIA_DB_URL=f"sqlite:///{data / 'claudia.db'}", CLAUDIA_TRACKER_DB_URL=f"sqlite:///{data / 'tracker.db'}",
               CLAUDIA_DATA_REPO="off", CLAUDIA_MODEL_WORK_DIR=str(data / "models"),
               CLAUDIA_PUBLIC_WEB_PORT=str(web_port), CLAUDIA_PUBLIC_PORT=str(channel_port),
               CLAUDIA_PROXY_RASA_PORT=str(internal_port), CLAUDIA_PORT=str(worker_port),
               CLAUDIA_WEB_PORT=str(web_private), ACTIONS_PORT=str(actions_port), CLAUDIA_SOCKET_DIR=str(sockets),
               CLAUDIA_METRICS_TOKEN="run-proxy-metrics-token")
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
        # The public ports are HAProxy's; the servers listen behind it on private sockets, on no TCP port.
        proxy = _pids_of(var, "proxy")
        assert proxy and listening_on(proxy, web_port) and listening_on(proxy, channel_port)
        web, rasa = _pids_of(var, "web"), _pids_of(var, "rasa")
        workers = children(rasa)
        assert len(workers) == 2
        for pid in [web, rasa, *workers]:
            assert tcp_listening_ports(pid) == [], pid
        assert listening_unix(web, sockets / "web.sock")
        assert all(listening_unix(worker, sockets / "rasa.sock") for worker in workers)
        assert (var / "haproxy.cfg").stat().st_mode & 0o777 == 0o600
        assert sockets.stat().st_mode & 0o777 == 0o700 and sockets.stat().st_uid == os.geteuid()
        for name in ("rasa.sock", "web.sock", "proxy-rasa.sock"):
            status = (sockets / name).stat()
            assert stat.S_ISSOCK(status.st_mode) and status.st_mode & 0o777 == 0o600 and status.st_uid == os.geteuid()
        # Another local account cannot reach them: not through the directory (0700) ...
        for name in ("rasa.sock", "web.sock", "proxy-rasa.sock"):
            attempt = connect_as_nobody(sockets / name)
            assert attempt.stdout.strip() == "PermissionError 13", attempt.stdout + attempt.stderr
        # ... nor, were the directory opened, through the sockets themselves (0600).
        sockets.chmod(0o711)
        try:
            for name in ("rasa.sock", "web.sock", "proxy-rasa.sock"):
                attempt = connect_as_nobody(sockets / name)
                assert attempt.stdout.strip() == "PermissionError 13", attempt.stdout + attempt.stderr
        finally:
            sockets.chmod(0o700)
        # The health checker reaches them over their sockets (serving/health_check.py).
        wait_for(lambda: all(f"{name} ready / " in (var / "log" / "health.log").read_text() for name in ("rasa", "web")),
                 timeout=30)
        # Prometheus' way: the proxy's internal port, with the token; nothing without it.
        internal = f"http://127.0.0.1:{internal_port}"
        for path, family in (("/metrics/rasa", "claudia_turns_total"), ("/metrics/web", "claudia_")):
            assert requests.get(internal + path, timeout=10).status_code == 403
            scraped = requests.get(internal + path, headers={"Authorization": "Bearer run-proxy-metrics-token"},
                                   timeout=10)
            assert scraped.status_code == 200 and family in scraped.text, (path, scraped.status_code)
        assert requests.get(f"{base}/metrics/rasa", timeout=10).status_code == 404  # never on a public port
        # That loopback port is Prometheus' only: a local account sending chat messages or API calls there
        # (into the Rasa workers' queue, past the public ports' per-address limits) gets 404; the web
        # front's way to Rasa is the proxy's private socket (proxy-rasa.sock, checked above).
        assert requests.post(internal + "/webhooks/connected/webhook", json={"sender": "local", "message": "bonjour"},
                             timeout=10).status_code == 404
        assert requests.get(internal + "/status", timeout=10).status_code == 404
        assert requests.get(internal + "/health/proxy", timeout=10).status_code == 200
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
    shutil.rmtree(shared, ignore_errors=True)
