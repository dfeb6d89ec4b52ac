"""The Rasa workers on a private socket each behind the proxy (CLAUDIA_RASA_WORKER_PORTS=1, serving/worker_ports.py),
the alternative to their accept gate: a worker out of descriptors, a killed worker."""
from __future__ import annotations

import os
import resource
import signal
import socket
import threading
from typing import List

import pytest

from tests.e2e.proxy_stack import ProxyStack, connect_unix, needs_haproxy, open_descriptors
from tests.e2e.stack import wait_for
from tests.e2e.test_proxy_attacks import User

pytestmark = needs_haproxy


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    server = ProxyStack(tmp_path_factory.mktemp("proxy-ports"))
    server.worker_ports = True
    try:
        yield server.start()
    finally:
        server.stop()


def test_a_worker_on_its_own_port_out_of_descriptors_is_left_aside_then_taken_back(stack):
    """`ulimit -n` lowered on one Rasa worker, whose private socket the service account itself floods
    directly (past the proxy) until it can accept nothing: the proxy finds it deaf and sends every turn to the
    other worker; once the flood ends, it accepts again and the proxy gives it turns again."""
    worker = stack.worker_pids()[0]
    limit = open_descriptors(worker) + 30
    saved = resource.prlimit(worker, resource.RLIMIT_NOFILE)
    resource.prlimit(worker, resource.RLIMIT_NOFILE, (limit, saved[1]))
    flood: List[socket.socket] = []
    try:
        while len(flood) < 200:
            flood.append(connect_unix(stack.worker_socket(0), timeout=2))
        wait_for(lambda: open_descriptors(worker) >= limit - 1, timeout=10)  # it took all it could
        wait_for(lambda: stack.servers_up("rasa") == ["rasa1"], timeout=20)
        user = User(stack, "127.0.8.1", "proxy-emfile")
        user.activation_start()
        assert user.slowest < 5
    finally:
        for sock in flood:
            sock.close()
        resource.prlimit(worker, resource.RLIMIT_NOFILE, saved)
    wait_for(lambda: stack.servers_up("rasa") == ["rasa0", "rasa1"], timeout=30)
    assert stack.worker_pids()[0] == worker  # the same process, accepting again
    before = int(stack.stats("rasa")["rasa0"]["stot"])
    users = [User(stack, "127.0.8.2", f"proxy-emfile-after-{n}") for n in range(6)]
    threads = [threading.Thread(target=user.say, args=("bonjour",)) for user in users]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert int(stack.stats("rasa")["rasa0"]["stot"]) > before


def test_a_killed_worker_is_started_again_and_turns_are_answered_meanwhile(stack):
    old = stack.worker_pids()
    os.kill(old[1], signal.SIGKILL)
    user = User(stack, "127.0.9.1", "proxy-killed")
    user.activation_start()
    fresh = wait_for(lambda: (lambda pids: pids if len(pids) == 2 and pids[1] != old[1] else None)(
        stack.worker_pids()), timeout=30)
    assert fresh[0] == old[0]
    wait_for(lambda: stack.servers_up("rasa") == ["rasa0", "rasa1"], timeout=120)
    assert "ended (status -9): starting another" in (stack.var / "log" / "rasa.log").read_text()
