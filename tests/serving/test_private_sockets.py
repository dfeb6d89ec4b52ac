"""The servers' private unix sockets (claudia/safe_paths.py, serving/unix_sockets.py): made 0600 in a
0700 directory, refused in a directory another account owns or may write to, closed to another
local account (`nobody`, through setpriv), and reachable by the health checker."""
from __future__ import annotations

import asyncio
import errno
import os
import shutil
import stat
import tempfile
import threading
from pathlib import Path

import pytest
from aiohttp import web

from claudia.safe_paths import UnsafeLocation, bind_private_socket, private_socket_directory
from serving import health_check, unix_sockets
from tests.e2e.proxy_stack import connect_as_nobody

NOBODY = 65534


@pytest.fixture
def crossable():
    """A folder every account may cross (0711), as /srv/claudia/var: only the sockets' modes protect them."""
    folder = Path(tempfile.mkdtemp(prefix="claudia-socket-test-", dir="/tmp"))
    folder.chmod(0o711)
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


def test_a_private_socket_is_0600_in_a_0700_directory_and_refused_to_another_account(crossable):
    path = crossable / "sockets" / "web.sock"
    sock = bind_private_socket(path)
    try:
        assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
        assert stat.S_ISSOCK(path.stat().st_mode) and stat.S_IMODE(path.stat().st_mode) == 0o600
        attempt = connect_as_nobody(path)
        assert attempt.stdout.strip() == "PermissionError 13", attempt.stdout + attempt.stderr
        path.parent.chmod(0o711)  # the directory opened: the socket's own mode still refuses
        attempt = connect_as_nobody(path)
        assert attempt.stdout.strip() == "PermissionError 13", attempt.stdout + attempt.stderr
        path.chmod(0o666)  # the check itself can fail: with the socket open, nobody gets in
        assert connect_as_nobody(path).stdout.strip() == "connected"
    finally:
        sock.close()


def test_a_stale_socket_of_ours_is_replaced_anything_else_refused(crossable):
    path = crossable / "sockets" / "rasa.sock"
    bind_private_socket(path).close()  # a server that died left it
    live = bind_private_socket(path)
    with pytest.raises(OSError) as in_use:  # a server still listening there: not taken from it
        bind_private_socket(path)
    assert in_use.value.errno == errno.EADDRINUSE
    live.close()
    path.unlink()
    path.write_text("not a socket")
    with pytest.raises(UnsafeLocation, match="n'est pas une socket"):
        bind_private_socket(path)


def test_a_directory_of_another_account_or_writable_by_others_is_refused(crossable):
    theirs = crossable / "theirs"
    theirs.mkdir(mode=0o700)
    os.chown(theirs, NOBODY, NOBODY)
    with pytest.raises(UnsafeLocation, match="uid 65534"):
        bind_private_socket(theirs / "web.sock")
    assert not (theirs / "web.sock").exists()
    shared = crossable / "shared"
    shared.mkdir()
    shared.chmod(0o777)
    with pytest.raises(UnsafeLocation, match="0777"):
        private_socket_directory(shared)
    # Ours and only readable by others: closed.
    readable = crossable / "readable"
    readable.mkdir()
    readable.chmod(0o755)
    private_socket_directory(readable)
    assert stat.S_IMODE(readable.stat().st_mode) == 0o700


def test_the_health_checker_reaches_a_server_on_its_socket(crossable):
    path = crossable / "sockets" / "web.sock"
    app = web.Application()
    app.router.add_get("/health/live", lambda request: web.json_response({"status": "ok"}))
    app.router.add_get("/health/ready", lambda request: web.json_response(
        {"checks": {"database": {"ok": True}, "sirene": {"ok": False}}}, status=503))
    loop = asyncio.new_event_loop()
    runner = web.AppRunner(app)
    loop.run_until_complete(runner.setup())
    loop.run_until_complete(web.SockSite(runner, bind_private_socket(path)).start())
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    try:
        assert health_check.answers(unix_sockets.url(path, "/health/live"), 5)
        assert health_check.readiness(unix_sockets.url(path, "/health/ready"), 5) == ["sirene"]
        assert not health_check.answers(unix_sockets.url(crossable / "sockets" / "none.sock", "/health/live"), 5)
    finally:
        asyncio.run_coroutine_threadsafe(runner.cleanup(), loop).result(10)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(10)
