"""The proxy's configuration (serving/proxy_config.py) and its place under supervisord.

HAProxy itself checks each configuration (`haproxy -c`); the attacks are performed through it in
tests/e2e/test_proxy_attacks.py."""
from __future__ import annotations

import stat
import subprocess
from pathlib import Path

import pytest

from serving import proxy_config, supervisor, unix_sockets
from tests.e2e.proxy_stack import HAPROXY, needs_haproxy

ROOT = Path(__file__).resolve().parents[2]
MAKE_RUN = {"CLAUDIA_PROXY": "1", "CLAUDIA_PORT": "5010", "CLAUDIA_WEB_PORT": "5081", "CLAUDIA_RASA_WORKERS": "2"}


def haproxy_accepts(path: Path) -> None:
    result = subprocess.run([HAPROXY, "-c", "-q", "-f", str(path)], capture_output=True, text=True, timeout=30)
    assert result.returncode == 0, result.stdout + result.stderr


@needs_haproxy
def test_make_runs_configuration_is_valid_private_and_has_the_limits(tmp_path):
    path = proxy_config.write(tmp_path / "haproxy.cfg", dict(MAKE_RUN, CLAUDIA_PROXY_REQUEST_SECONDS="7"))
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    haproxy_accepts(path)
    text = path.read_text()
    assert "bind 127.0.0.1:5080" in text and "bind 127.0.0.1:5005" in text and "bind 127.0.0.1:5006" in text
    # The two workers share one private socket behind their accept gate: the proxy sends them 2 × 2 requests
    # at once; the web front on its own socket (serving/unix_sockets.py); no server on a TCP port.
    sockets = tmp_path / "sockets"
    assert f"server rasa0 unix@{sockets / 'rasa.sock'} maxconn 4" in text and "rasa1" not in text
    assert f"server web unix@{sockets / 'web.sock'} check" in text
    assert "5010" not in text and "5081" not in text
    # With a socket per worker: a server each, 2 requests each.
    ports = proxy_config.write(tmp_path / "ports.cfg", dict(MAKE_RUN, CLAUDIA_RASA_WORKER_PORTS="1")).read_text()
    assert f"server rasa0 unix@{sockets / 'rasa-worker0.sock'} maxconn 2" in ports
    assert f"server rasa1 unix@{sockets / 'rasa-worker1.sock'} maxconn 2" in ports
    # CLAUDIA_PRIVATE_SOCKETS=0: on loopback ports, as before.
    loopback = proxy_config.write(tmp_path / "loopback.cfg", dict(MAKE_RUN, CLAUDIA_PRIVATE_SOCKETS="0"))
    haproxy_accepts(loopback)
    assert "server rasa0 127.0.0.1:5010 maxconn 4" in loopback.read_text()
    assert "server web 127.0.0.1:5081" in loopback.read_text()
    # Prometheus reads the metrics on the internal port only; a public port answers 404 to /metrics/….
    internal = text.split("frontend rasa_internal", 1)[1].split("\nbackend", 1)[0]
    assert "set-path /metrics if { path /metrics/rasa }" in internal and "use_backend web if" in internal
    public = text.split("frontend web", 1)[1].split("frontend channel", 1)[0]
    assert "deny deny_status 404 if { path /metrics } || { path_beg /metrics/ }" in public
    assert "timeout http-request 7s" in text and "option http-buffer-request" in text
    assert f"stats socket {tmp_path / 'haproxy.sock'} mode 600" in text


@needs_haproxy
def test_run_scaleds_configuration_lists_every_rasa_server(tmp_path):
    path = proxy_config.write(tmp_path / "haproxy.cfg", dict(MAKE_RUN), servers=3)
    haproxy_accepts(path)
    text = path.read_text()
    assert all(f"unix@{tmp_path / 'sockets' / f'rasa-{n}.sock'} maxconn 2" in text for n in (1, 2, 3))
    programs = {program.name: program for program in supervisor.programs(dict(MAKE_RUN), 3, tmp_path)}
    assert programs["rasa-2"].environment["CLAUDIA_RASA_SOCKET"] == str(tmp_path / "sockets" / "rasa-2.sock")


@needs_haproxy
def test_the_production_file_is_the_generators_and_valid(tmp_path):
    """deploy/haproxy.cfg is what `python -m serving.proxy_config --deploy` writes (never edited apart),
    and HAProxy accepts it once a certificate is where it says."""
    out = tmp_path / "haproxy.cfg"
    proxy_config.main(["--deploy", str(out)])
    shipped = (ROOT / "deploy" / "haproxy.cfg").read_text()
    assert out.read_text() == shipped
    assert "ssl crt /etc/haproxy/certs/claudia.pem" in shipped and "redirect scheme https" in shipped
    certificate = tmp_path / "claudia.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=claudia",
                    "-keyout", str(tmp_path / "key.pem"), "-out", str(tmp_path / "cert.pem")],
                   check=True, capture_output=True, timeout=60)
    certificate.write_text((tmp_path / "cert.pem").read_text() + (tmp_path / "key.pem").read_text())
    local = tmp_path / "local.cfg"
    local.write_text(shipped.replace("/etc/haproxy/certs/claudia.pem", str(certificate))
                     .replace("/run/haproxy/claudia.sock", str(tmp_path / "admin.sock")))
    haproxy_accepts(local)


@needs_haproxy
def test_the_supervisor_starts_the_proxy_and_the_workers_behind_it(tmp_path):
    programs = {program.name: program for program in supervisor.programs(dict(MAKE_RUN), None, tmp_path)}
    assert programs["proxy"].command[-2:] == ["-f", str(tmp_path / "haproxy.cfg")]
    assert programs["rasa"].environment["SANIC_PROXIES_COUNT"] == "1"
    assert programs["web"].environment["CLAUDIA_BEHIND_PROXY"] == "1"
    assert "proxy=http://127.0.0.1:5006/health/proxy" in programs["health"].command
    # The Rasa server and the web front on their private sockets, probed there.
    sockets = tmp_path / "sockets"
    assert programs["rasa"].environment["CLAUDIA_RASA_SOCKET"] == str(sockets / "rasa.sock")
    assert programs["web"].environment["CLAUDIA_WEB_SOCKET"] == str(sockets / "web.sock")
    assert programs["rasa"].health == unix_sockets.url(sockets / "rasa.sock", "/health/live")
    assert f"web={unix_sockets.url(sockets / 'web.sock', '/health/live')}" in programs["health"].command
    # Without CLAUDIA_PROXY=1 the servers face clients themselves, as before.
    plain = {program.name: program for program in supervisor.programs({}, None, tmp_path)}
    assert "proxy" not in plain and "CLAUDIA_RASA_WORKER_PORTS" not in plain["rasa"].environment


def test_without_haproxy_the_supervisor_says_what_to_install(tmp_path, monkeypatch):
    monkeypatch.setattr(supervisor.shutil, "which", lambda name: None)
    monkeypatch.setattr(supervisor.os, "access", lambda path, mode: False)
    with pytest.raises(SystemExit) as refused:
        supervisor.programs(dict(MAKE_RUN), None, tmp_path)
    assert "apt-get install haproxy" in str(refused.value) and "CLAUDIA_PROXY=0" in str(refused.value)
