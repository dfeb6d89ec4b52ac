"""One Rasa worker behind the proxy, as each server of `make run-scaled` runs (CLAUDIA_RASA_WORKERS=1):
it too listens on its private socket only (serving/serve_rasa.py puts it behind the accept gate
rather than Sanic's own unix listener, which would make the socket 0666)."""
from __future__ import annotations

import os
import stat

import pytest

from tests.e2e.proxy_stack import ProxyStack, children, listening_unix, needs_haproxy, tcp_listening_ports
from tests.e2e.test_proxy_attacks import User

pytestmark = needs_haproxy


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    server = ProxyStack(tmp_path_factory.mktemp("proxy-single"))
    server.proxy_env = {"CLAUDIA_RASA_WORKERS": "1"}
    try:
        yield server.start()
    finally:
        server.stop()


def test_a_single_worker_listens_on_its_private_socket_only_and_answers_through_the_proxy(stack):
    server = stack.pid("rasa")
    worker, = children(server)
    assert listening_unix(worker, stack.rasa_socket)
    assert tcp_listening_ports(server) == [] and tcp_listening_ports(worker) == []
    status = stack.rasa_socket.stat()
    assert stat.S_IMODE(status.st_mode) == 0o600 and status.st_uid == os.geteuid()
    user = User(stack, "127.0.10.1", "proxy-single-worker")
    user.activation_start()
    assert user.slowest < 5
