"""The proxy's configuration (serving/proxy_config.py) and its place under supervisord.

HAProxy itself checks each configuration (`haproxy -c`); the attacks are performed through it in
tests/e2e/test_proxy_attacks.py."""
from __future__ import annotations

import stat
import subprocess
from pathlib import Path

import pytest

from serving import proxy_config, supervisor
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
    # The two workers share 5010 behind their accept gate: the proxy sends them 2 × 2 requests at once.
    assert "server rasa0 127.0.0.1:5010 maxconn 4" in text and "rasa1" not in text
    # With a port per worker: a server each, 2 requests each.
    ports = proxy_config.write(tmp_path / "ports.cfg", dict(MAKE_RUN, CLAUDIA_RASA_WORKER_PORTS="1")).read_text()
    assert "server rasa0 127.0.0.1:5010 maxconn 2" in ports and "server rasa1 127.0.0.1:5011 maxconn 2" in ports
    assert "server web 127.0.0.1:5081" in text
    assert "timeout http-request 7s" in text and "option http-buffer-request" in text
    assert f"stats socket {tmp_path / 'haproxy.sock'} mode 600" in text


@needs_haproxy
def test_run_scaleds_configuration_lists_every_rasa_server(tmp_path):
    path = proxy_config.write(tmp_path / "haproxy.cfg", dict(MAKE_RUN), servers=3)
    haproxy_accepts(path)
    text = path.read_text()
    assert all(f"127.0.0.1:{5005 + 10 * n} maxconn 2" in text for n in (1, 2, 3))


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
    # Without CLAUDIA_PROXY=1 the servers face clients themselves, as before.
    plain = {program.name: program for program in supervisor.programs({}, None, tmp_path)}
    assert "proxy" not in plain and "CLAUDIA_RASA_WORKER_PORTS" not in plain["rasa"].environment


def test_without_haproxy_the_supervisor_says_what_to_install(tmp_path, monkeypatch):
    monkeypatch.setattr(supervisor.shutil, "which", lambda name: None)
    monkeypatch.setattr(supervisor.os, "access", lambda path, mode: False)
    with pytest.raises(SystemExit) as refused:
        supervisor.programs(dict(MAKE_RUN), None, tmp_path)
    assert "apt-get install haproxy" in str(refused.value) and "CLAUDIA_PROXY=0" in str(refused.value)
