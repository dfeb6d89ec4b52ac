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

from serving import worker_accept
from tests.conftest import ROOT
from tests.e2e.stack import free_port

SERVER = textwrap.dedent("""
    import asyncio, logging, os, resource, socket, sys
    from sanic import Sanic, response
    from serving import worker_accept
    from serving.worker_processes import prepare_workers

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

    @app.get("/shut-the-listening-socket")
    async def shut(_):
        # An accept error the gate cannot wait out: on Linux a listening socket shut down
        # answers every later accept with EINVAL, in every worker (they share it).
        for fd in range(3, 1024):
            try:
                sock = socket.socket(fileno=fd)
            except OSError:
                continue
            try:
                if sock.getsockopt(socket.SOL_SOCKET, socket.SO_ACCEPTCONN):
                    sock.shutdown(socket.SHUT_RD)
            finally:
                sock.detach()
        return response.text("shut")

    @app.listener("before_server_start")
    async def few_descriptors(*_):
        room = int(os.environ.get("TEST_DESCRIPTOR_ROOM") or 0)
        if room:  # as `ulimit -n`, in the worker: only `room` descriptors beyond those it holds
            highest = max(int(fd) for fd in os.listdir("/proc/self/fd"))
            resource.setrlimit(resource.RLIMIT_NOFILE, (highest + 1 + room, resource.getrlimit(resource.RLIMIT_NOFILE)[1]))

    prepare_workers()
    worker_accept.install()
    logging.getLogger("sanic.root").setLevel(logging.ERROR)  # as Rasa does (LOG_LEVEL_LIBRARIES)
    app.run("127.0.0.1", int(sys.argv[1]), workers=2, access_log=False)
""")


def _start(slots: int, log=subprocess.DEVNULL, **env):
    port = free_port()
    server = subprocess.Popen([sys.executable, "-c", SERVER, str(port)], cwd=ROOT,
                              env=dict(os.environ, CLAUDIA_RASA_WORKER_SLOTS=str(slots), **env),
                              stdout=log, stderr=subprocess.STDOUT if log is not subprocess.DEVNULL else log)
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


@pytest.fixture
def logged(tmp_path):
    """A server started by the test, its output in a file (as supervisord's var/log)."""
    started = []

    def start(slots: int = 1, **env):
        log = open(tmp_path / "server.log", "wb")
        server, url, port = _start(slots, log=log, **env)
        started.append((server, log))
        return server, url, port, tmp_path / "server.log"

    yield start
    for server, log in started:
        if server.poll() is None:
            server.terminate()
            server.wait(timeout=30)
        log.close()


def test_a_worker_out_of_descriptors_accepts_again_once_some_are_free(logged):
    """Idle connections (accepted, holding no slot) until both workers reach their `ulimit -n`:
    each pauses and retries instead of leaving its accept loop for good."""
    server, url, port, log = logged(TEST_DESCRIPTOR_ROOM="6")
    idle = [socket.create_connection(("127.0.0.1", port)) for _ in range(30)]
    try:
        time.sleep(1)
        with pytest.raises(requests.Timeout):  # the attack bites: nothing can be accepted
            requests.get(url, timeout=2)
    finally:
        for client in idle:
            client.close()
    assert [requests.get(url, timeout=10).status_code for _ in range(10)] == [200] * 10
    seen, deadline = set(), time.monotonic() + 15
    while len(seen) < 2 and time.monotonic() < deadline:  # both workers are back (one may end its pause later)
        seen.update(answer["pid"] for answer in _slow_calls(url, 2))
    assert len(seen) == 2
    assert server.poll() is None
    text = log.read_text(errors="replace")
    assert "Accept paused, will retry" in text and "Too many open files" in text and "Accepting again" in text


def test_an_unexpected_accept_error_stops_the_server_so_that_it_is_restarted(logged):
    server, url, _, log = logged()
    requests.get(url + "shut-the-listening-socket", timeout=10)
    # Alive but deaf, the supervisor would never restart it: it exits, non-zero, and says why.
    assert server.wait(timeout=60) == worker_accept.ACCEPT_FAILED
    text = log.read_text(errors="replace")
    assert "Accept failed, worker exits with status 70" in text and "Invalid argument" in text
