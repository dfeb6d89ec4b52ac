"""Sanic workers each on a socket of their own: a real server, two real worker processes."""
from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import textwrap
import time
from collections import Counter

import pytest
import requests

from tests.conftest import ROOT

SERVER = textwrap.dedent("""
    import os, sys
    from sanic import Sanic, response
    from scripts import worker_sockets
    from scripts.worker_processes import prepare_workers

    app = Sanic("pids")

    @app.get("/")
    async def pid(_):
        return response.text(str(os.getpid()))

    prepare_workers()
    worker_sockets.install()
    app.run("127.0.0.1", int(sys.argv[1]), workers=2, access_log=False)
""")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _answering_pids(url: str, calls: int) -> Counter:
    # A new connection each time, as a reverse proxy or a browser's next message opens one.
    return Counter(int(requests.get(url, timeout=10).text) for _ in range(calls))


@pytest.fixture
def two_workers():
    port = _free_port()
    server = subprocess.Popen([sys.executable, "-c", SERVER, str(port)], cwd=ROOT,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}/"
    deadline = time.monotonic() + 60
    while True:
        try:
            requests.get(url, timeout=1)
            break
        except requests.ConnectionError:
            assert time.monotonic() < deadline and server.poll() is None, "server did not start"
            time.sleep(0.2)
    yield server, url
    server.terminate()
    server.wait(timeout=30)


def _listening_sockets(port: int) -> int:
    """Sockets listening on `port`, as the kernel lists them (state 0A: LISTEN)."""
    rows = open("/proc/net/tcp").read().splitlines()[1:]
    return sum(1 for row in rows if row.split()[1].endswith(f":{port:04X}") and row.split()[3] == "0A")


def test_connections_are_shared_out_between_the_workers(two_workers):
    server, url = two_workers
    assert _listening_sockets(int(url.rsplit(":", 1)[1].strip("/"))) == 2  # one per worker, not one shared
    answered = _answering_pids(url, 200)
    assert len(answered) == 2 and server.pid not in answered
    # Spread by the kernel's hash, not by who answered last: each worker gets a fair share.
    assert min(answered.values()) >= 60, answered


def test_a_dead_workers_socket_closes_and_the_other_worker_answers_everything(two_workers):
    _, url = two_workers
    victim = next(iter(_answering_pids(url, 40)))
    os.kill(victim, signal.SIGKILL)
    time.sleep(0.5)
    answered = _answering_pids(url, 40)
    assert victim not in answered and sum(answered.values()) == 40
