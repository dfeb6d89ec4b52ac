"""Sanic workers behind the accept gate: a real server, two real worker processes."""
from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import textwrap
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from tests.conftest import ROOT
from tests.e2e.stack import free_port

SERVER = textwrap.dedent("""
    import asyncio, os, sys
    from sanic import Sanic, response
    from scripts import worker_accept
    from scripts.worker_processes import prepare_workers

    app = Sanic("gate")
    app.config.REQUEST_TIMEOUT = 60
    handling = {"now": 0}

    @app.get("/")
    async def pid(_):
        return response.text(str(os.getpid()))

    @app.post("/echo")
    async def echo(request):
        return response.text(str(len(request.body)))

    @app.get("/slow")
    async def slow(_):
        handling["now"] += 1
        most = handling["now"]
        await asyncio.sleep(0.4)
        handling["now"] -= 1
        return response.json({"pid": os.getpid(), "at_once": most}, headers={"connection": "close"})

    prepare_workers()
    worker_accept.install()
    app.run("127.0.0.1", int(sys.argv[1]), workers=2, access_log=False)
""")


def _start(slots: int):
    port = free_port()
    server = subprocess.Popen([sys.executable, "-c", SERVER, str(port)], cwd=ROOT,
                              env=dict(os.environ, CLAUDIA_RASA_WORKER_SLOTS=str(slots)),
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}/"
    deadline = time.monotonic() + 60
    while True:
        try:
            requests.get(url, timeout=1)
            return server, url, port
        except requests.ConnectionError:
            assert time.monotonic() < deadline and server.poll() is None, "server did not start"
            time.sleep(0.2)


@pytest.fixture
def one_slot_each():
    server, url, port = _start(slots=1)
    yield server, url, port
    server.terminate()
    server.wait(timeout=30)


def _slow_calls(url: str, count: int):
    # A new connection each time, as a reverse proxy or a browser's next message opens one.
    with ThreadPoolExecutor(count) as pool:
        return list(pool.map(lambda _: requests.get(url + "slow", timeout=30).json(), range(count)))


def test_a_worker_takes_no_more_connections_than_it_has_room_for(one_slot_each):
    _, url, _ = one_slot_each
    started = time.monotonic()
    answers = _slow_calls(url, 6)
    # Sanic's own shared socket lets one worker take all six at once; a socket per worker
    # spreads them by chance. Behind the gate each worker handles one at a time, three each.
    assert [answer["at_once"] for answer in answers] == [1] * 6
    assert sorted(Counter(answer["pid"] for answer in answers).values()) == [3, 3]
    assert time.monotonic() - started >= 1.2  # three rounds of 0.4 s: the others waited in the queue


def test_two_slots_let_a_worker_overlap_two_requests():
    server, url, _ = _start(slots=2)
    try:
        answers = _slow_calls(url, 8)
    finally:
        server.terminate()
        server.wait(timeout=30)
    assert max(answer["at_once"] for answer in answers) == 2
    assert sorted(Counter(answer["pid"] for answer in answers).values()) == [4, 4]


def test_clients_that_send_nothing_or_dawdle_hold_no_slot(one_slot_each):
    _, url, port = one_slot_each
    idle = [socket.create_connection(("127.0.0.1", port)) for _ in range(3)]
    dawdling = [socket.create_connection(("127.0.0.1", port)) for _ in range(3)]
    try:
        for client in dawdling:
            client.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n")  # and never the end of its headers
        started = time.monotonic()
        answers = [requests.get(url, timeout=10).status_code for _ in range(4)]
        assert answers == [200] * 4
        # Counted as busy, the six would have held both workers until Sanic's request timeout.
        assert time.monotonic() - started < 3
    finally:
        for client in idle + dawdling:
            client.close()


def test_clients_that_send_their_headers_but_dawdle_over_the_body_hold_no_slot(one_slot_each):
    _, url, port = one_slot_each
    dawdling = [socket.create_connection(("127.0.0.1", port)) for _ in range(4)]
    try:
        for client in dawdling:
            client.sendall(b"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 50\r\n\r\n{")  # and no more
        time.sleep(0.3)
        started = time.monotonic()
        answers = [requests.post(url + "echo", data=b"{}", timeout=10).text for _ in range(4)]
        assert answers == ["2"] * 4
        # The body is part of the request: a worker counts a request as its own once it is all in.
        assert time.monotonic() - started < 3
    finally:
        for client in dawdling:
            client.close()


def test_when_a_worker_dies_the_other_accepts_everything(one_slot_each):
    server, url, _ = one_slot_each
    pids = {int(requests.get(url, timeout=10).text) for _ in range(20)}
    assert len(pids) == 2 and server.pid not in pids
    victim = pids.pop()
    os.kill(victim, signal.SIGKILL)
    time.sleep(0.3)
    answered = Counter(int(requests.get(url, timeout=10).text) for _ in range(20))
    assert answered == Counter({pids.pop(): 20})
