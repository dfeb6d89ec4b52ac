"""Sanic workers that take a new connection only when they have room for it.

Sanic 21.12 forks its workers around one listening socket, and asyncio's accept loop takes
every waiting connection at once: the worker that reaches `accept` first takes them all and
the other stays idle (bench/changes.md). Giving each worker its own `SO_REUSEPORT` socket
spread the connections by a hash of their addresses, so by chance: under 20 concurrent
conversations one worker often held twelve messages and the other eight, and the p95 turn
was twice the median.

Here the workers share one socket again (behind the proxy a private unix socket, CLAUDIA_RASA_SOCKET:
serving/unix_sockets.py; otherwise a TCP port), but each accepts a connection only while fewer
than `slots` of its own are busy (a request received whole, being handled or answered, or a
connection accepted less than `GRACE_SECONDS` ago whose request is not all in yet). The
waiting connections stay in the kernel's queue, in order, and go to whichever worker frees
a slot first: one queue for several servers. The chat channel closes each connection after
its answer (channels/connected.py, when serving/serve_rasa.py sets
CLAUDIA_RASA_CLOSE_CONNECTIONS), so every message goes through that queue.

A connection whose request is not all in (nothing sent, headers or body trickling) stops
counting after `GRACE_SECONDS`, so idle or slow clients hold no slot for long; the reverse
proxy in front (HAProxy, serving/proxy_config.py) reads each request whole before passing it on
anyway, and queues them (`maxconn` workers × slots) in front of this gate. A worker that dies stops accepting; the
others go on with the same socket.

A worker out of file descriptors or kernel memory (EMFILE, ENFILE, ENOBUFS, ENOMEM) pauses
and tries again: the waiting connections stay queued until a descriptor frees. Any other
accept error is written to stderr (var/log/<program>.log under supervisord, whatever Rasa's
log levels) and the worker exits with `ACCEPT_FAILED`; the server then stops its other
workers and exits with that status, so the supervisor restarts it rather than keeping a
process alive that no longer accepts.
"""
from __future__ import annotations

import asyncio
import errno
import multiprocessing
import os
import socket
import sys
from multiprocessing.connection import wait as wait_for_exit
from signal import SIGINT, SIGTERM, Signals
from signal import signal as signal_func
from pathlib import Path
from typing import Any, Callable, Dict, List, Optional

from sanic.http import Stage
from sanic.log import logger
from sanic.server.events import trigger_events
from sanic.server.runners import serve

from claudia.safe_paths import UnsafeLocation, bind_private_socket
from serving.unix_sockets import RASA_ENV as RASA_SOCKET_ENV

SLOTS_ENV = "CLAUDIA_RASA_WORKER_SLOTS"
DEFAULT_SLOTS = 2
# How long a new connection holds a slot before its whole request arrives: on a loopback or
# LAN the request comes with the connection, so only an idle or slow client reaches this.
GRACE_SECONDS = 0.1
# A slot also frees when a request ends on a connection kept open; look again this often.
RECHECK_SECONDS = 0.05
# Out of descriptors or memory: the errors after which accepting again later may succeed.
TRANSIENT_ERRORS = frozenset({errno.EMFILE, errno.ENFILE, errno.ENOBUFS, errno.ENOMEM})
# First pause after such an error, doubled up to the longest while it lasts.
RETRY_SECONDS, LONGEST_RETRY_SECONDS = 0.05, 1.0
# A worker's exit status when it can no longer accept (EX_SOFTWARE): its server exits too.
ACCEPT_FAILED = 70


def say(message: str) -> None:
    """A line on stderr, which the supervisor writes to var/log: Rasa sets Sanic's loggers
    to ERROR (LOG_LEVEL_LIBRARIES), so a warning through them would never reach the log."""
    sys.stderr.write(f"[worker {os.getpid()}] {message}\n")
    sys.stderr.flush()


class Connections(set):
    """Sanic's set of a worker's open connections, waking the gate when one closes."""

    def __init__(self) -> None:
        super().__init__()
        self.closed: Optional[asyncio.Event] = None

    def discard(self, protocol: Any) -> None:
        super().discard(protocol)
        if self.closed is not None:
            self.closed.set()


class Gate:
    """Accepts from `sock` for one worker, never beyond `slots` busy connections.

    Stands in for the server `loop.create_server` returns: Sanic only closes it and waits.
    """

    def __init__(self, loop: asyncio.AbstractEventLoop, sock: socket.socket, protocol_factory: Callable,
                 connections: Connections, slots: int) -> None:
        self.loop, self.sock, self.protocol_factory = loop, sock, protocol_factory
        self.connections, self.slots = connections, slots
        self.accepted_at: Dict[Any, float] = {}
        self.failure: Optional[OSError] = None
        connections.closed = asyncio.Event()
        self.task = loop.create_task(self._accept_forever())

    def busy(self) -> int:
        now = self.loop.time()
        self.accepted_at = {protocol: at for protocol, at in self.accepted_at.items()
                            if protocol in self.connections and now - at < GRACE_SECONDS}
        return sum(1 for protocol in self.connections if protocol in self.accepted_at or _handling(protocol))

    async def _room(self) -> None:
        while self.busy() >= self.slots:
            self.connections.closed.clear()
            try:
                await asyncio.wait_for(self.connections.closed.wait(), RECHECK_SECONDS)
            except asyncio.TimeoutError:
                pass

    async def _accept_forever(self) -> None:
        pause = 0.0
        while True:
            await self._room()
            try:
                connection, _ = await self.loop.sock_accept(self.sock)
            except ConnectionAbortedError:  # the client left while queued: next one
                continue
            except OSError as error:
                if error.errno not in TRANSIENT_ERRORS:
                    return self._fail(error)
                if not pause:
                    say(f"Accept paused, will retry: {error}")
                pause = min(LONGEST_RETRY_SECONDS, pause * 2 or RETRY_SECONDS)
                await asyncio.sleep(pause)
                continue
            if pause:
                say("Accepting again.")
                pause = 0.0
            await self._serve(connection)

    async def _serve(self, connection: socket.socket) -> None:
        try:
            if connection.family != socket.AF_UNIX:  # no Nagle on a private unix socket anyway
                connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            _, protocol = await self.loop.connect_accepted_socket(self.protocol_factory, connection)
        except OSError as error:  # this connection only (reset meanwhile, no memory for it)
            say(f"Connection dropped: {error}")
            connection.close()
            return
        self.accepted_at[protocol] = self.loop.time()

    def _fail(self, error: OSError) -> None:
        """Stop the worker: Sanic closes its connections, then `serve_gated` exits non-zero."""
        say(f"Accept failed, worker exits with status {ACCEPT_FAILED}: {error!r}")
        self.failure = error
        self.loop.stop()

    def close(self) -> None:
        self.task.cancel()

    async def wait_closed(self) -> None:
        try:
            await self.task
        except asyncio.CancelledError:
            pass


def _handling(protocol: Any) -> bool:
    """True once the whole request (headers and body) is in, until its answer is sent."""
    http = getattr(protocol, "_http", None)
    if http is None:
        return False
    return http.stage is Stage.RESPONSE or (http.stage is Stage.HANDLER and not http.request_body)


def serve_gated(sock: socket.socket, settings: Dict[str, Any], slots: int) -> None:
    """One worker: Sanic's `serve`, with the gate in place of asyncio's server."""
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    connections = Connections()
    sock.setblocking(False)
    gates: List[Gate] = []

    async def create_server(protocol_factory, *_args, **_kwargs) -> Gate:
        gates.append(Gate(loop, sock, protocol_factory, connections, slots))
        return gates[-1]

    loop.create_server = create_server  # Sanic's `serve` creates its server through the loop
    serve(**dict(settings, loop=loop, connections=connections, sock=None))
    if any(gate.failure for gate in gates):
        sys.exit(ACCEPT_FAILED)


def _listening_socket(host: str, port: int, backlog: int) -> socket.socket:
    """The workers' shared socket: the private unix socket CLAUDIA_RASA_SOCKET names (behind the proxy,
    serving/unix_sockets.py), else host:port."""
    private = os.environ.get(RASA_SOCKET_ENV)
    if private:
        try:
            return bind_private_socket(Path(private), backlog)
        except UnsafeLocation as refusal:
            raise SystemExit(str(refusal))
    sock = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.listen(backlog)
    return sock


def serve_multiple(server_settings: Dict[str, Any], workers: int) -> None:
    """Sanic's `serve_multiple`, each worker behind the gate."""
    if server_settings.get("sock") is not None or server_settings.get("unix"):
        from sanic.server.runners import serve_multiple as sanics_own
        return sanics_own(server_settings, workers)
    slots = int(os.environ.get(SLOTS_ENV) or DEFAULT_SLOTS)
    settings = dict(server_settings, run_multiple=True)
    main_start, main_stop = settings.pop("main_start", None), settings.pop("main_stop", None)
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    trigger_events(main_start, loop)
    sock = _listening_socket(settings["host"], settings["port"], settings["backlog"])
    settings.update(host=None, port=None)
    processes: List[multiprocessing.Process] = []

    def stop(signal_number, _frame):
        logger.info("Received signal %s. Shutting down.", Signals(signal_number).name)
        for process in processes:
            os.kill(process.pid, SIGTERM)

    signal_func(SIGINT, stop)
    signal_func(SIGTERM, stop)
    fork = multiprocessing.get_context("fork")
    for _ in range(workers):
        process = fork.Process(target=serve_gated, args=(sock, settings, slots), daemon=True)
        process.start()
        processes.append(process)
    sock.close()  # the workers hold it now
    status = _watch(processes)
    for process in processes:
        process.terminate()
    for process in processes:
        process.join()
    trigger_events(main_stop, loop)
    loop.close()
    if status:
        sys.exit(status)


def _watch(processes: List[multiprocessing.process.BaseProcess]) -> int:
    """Waits for the workers; `ACCEPT_FAILED` as soon as one exits so, after stopping the
    others. A worker killed otherwise leaves the others serving, as before."""
    running = list(processes)
    while running:
        wait_for_exit([process.sentinel for process in running])
        ended = [process for process in running if process.exitcode is not None]
        running = [process for process in running if process not in ended]
        if any(process.exitcode == ACCEPT_FAILED for process in ended):
            say("A worker could not accept: the server stops so that it is restarted.")
            for other in running:
                try:
                    os.kill(other.pid, SIGTERM)
                except ProcessLookupError:  # ended meanwhile
                    pass
            return ACCEPT_FAILED
    return 0


def install(single: bool = False) -> None:
    """From now on, `Sanic.run(workers=N)` in this process puts each worker behind the gate; with
    `single`, `Sanic.run(workers=1)` too (one worker process on the private socket)."""
    import sanic.app

    sanic.app.serve_multiple = serve_multiple
    if single:
        sanic.app.serve_single = lambda server_settings: serve_multiple(server_settings, 1)
