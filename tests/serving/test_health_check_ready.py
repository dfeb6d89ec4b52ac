"""The supervisor's checker (serving/health_check.py) reports readiness changes of a server probed at
/health/live, against a real loopback HTTP server, and restarts nothing for them."""
from __future__ import annotations

import json
import logging
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from serving import health_check


class Server:
    """Answers /health/live with 200 and /health/ready with what the test says."""

    def __init__(self):
        self.failing = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_GET(self):
                if self.path == "/health/live":
                    status, body = 200, {"status": "alive"}
                else:
                    status = 503 if outer.failing else 200
                    body = {"status": "not ready" if outer.failing else "ready",
                            "checks": {name: {"ok": name not in outer.failing} for name in ("database", "sirene")}}
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self.http = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.http.serve_forever, daemon=True).start()

    @property
    def live(self) -> str:
        return f"http://127.0.0.1:{self.http.server_address[1]}/health/live"


class Supervisord:
    """The one RPC the checker makes: the program is running with this pid."""

    class supervisor:
        @staticmethod
        def getProcessInfo(name):
            return {"statename": "RUNNING", "pid": 4242, "start": 0}


@pytest.fixture
def server():
    running = Server()
    yield running
    running.http.shutdown()
    running.http.server_close()


def test_a_server_becoming_not_ready_then_ready_is_reported_once_each_and_not_restarted(server, caplog):
    checker = health_check.Checker({"actions": server.live}, rpc=Supervisord())
    watched = checker.watched[0]
    with caplog.at_level(logging.INFO, logger="claudia.health"):
        assert checker.check(watched) is None
        server.failing = ["sirene"]
        assert checker.check(watched) is None and checker.check(watched) is None
        server.failing = []
        assert checker.check(watched) is None
    said = [record.getMessage() for record in caplog.records]
    assert said == ["actions ready / actions est prêt",
                    "actions not ready: sirene / actions n'est pas prêt : sirene",
                    "actions ready / actions est prêt"]
    assert [record.levelname for record in caplog.records] == ["INFO", "WARNING", "INFO"]


def test_readiness_is_none_when_the_server_cannot_be_asked(server):
    url = server.live.replace("/health/live", "/health/ready")
    assert health_check.readiness(url, 2) == []
    server.failing = ["database"]
    assert health_check.readiness(url, 2) == ["database"]
    server.http.shutdown()
    server.http.server_close()
    assert health_check.readiness(url, 1) is None


def test_a_program_probed_elsewhere_than_health_live_gets_no_readiness_line(server, caplog):
    checker = health_check.Checker({"proxy": server.live.replace("/health/live", "/other")}, rpc=Supervisord())
    with caplog.at_level(logging.INFO, logger="claudia.health"):
        checker.check(checker.watched[0])
    assert not caplog.records
