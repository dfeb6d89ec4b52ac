"""Rasa's worker processes behind the proxy: each on a loopback port of its own.

With CLAUDIA_RASA_WORKERS=N and `--port P`, worker n (0 … N-1) listens on 127.0.0.1:P+n; behind the
proxy, with CLAUDIA_RASA_SOCKET=<dir>/rasa.sock, on the private unix socket <dir>/rasa-worker<n>.sock
instead (serving/unix_sockets.py).
The proxy (HAProxy, serving/proxy_config.py) knows each worker as a server of its own with
`maxconn` CLAUDIA_RASA_WORKER_SLOTS: it sends a request to a worker only while that worker
handles fewer, and keeps the others in its one queue, in order, for the first worker that
frees a slot: what the accept gate (serving/worker_accept.py) does by reading Sanic's private
state; the proxy also reads each request whole before passing it on, so idle or trickling
clients never reach a worker. Chosen with CLAUDIA_RASA_WORKER_PORTS=1; `make run` keeps the gate
behind the proxy, which measured faster (bench/results.md, issue #26).

Each worker is Sanic's own `serve` on its own socket: asyncio's accept loop, which pauses one
second when the process is out of descriptors or memory (EMFILE, ENFILE, ENOBUFS, ENOMEM) and
accepts again afterwards. The server process keeps the sockets and watches its workers: one
that exits while the server is not stopping (killed, crashed) is said on stderr
(var/log/rasa.log under supervisord, whatever Rasa's log levels) and forked again on the same
socket, from the server's already imported modules; the proxy's health checks send the
requests to the other workers meanwhile. Should workers die faster than
`MAX_RESTARTS` in `RESTART_WINDOW_SECONDS`, the server stops them all and exits with
`WORKERS_FAILED` so that supervisord restarts it whole.
"""
from __future__ import annotations

import asyncio
import multiprocessing
import os
import sys
import time
from multiprocessing.connection import wait as wait_for_exit
from signal import SIGINT, SIGTERM, Signals
from signal import signal as signal_func
from pathlib import Path
from typing import Any, Dict, List

from sanic.server.events import trigger_events
from sanic.server.runners import serve
from sanic.server.socket import bind_socket

from claudia.safe_paths import UnsafeLocation, bind_private_socket
from serving.unix_sockets import RASA_ENV as RASA_SOCKET_ENV, worker_socket

PORTS_ENV = "CLAUDIA_RASA_WORKER_PORTS"  # "1": one port per worker (set by serving/supervisor.py with the proxy)
MAX_RESTARTS, RESTART_WINDOW_SECONDS = 5, 60.0
WORKERS_FAILED = 70  # EX_SOFTWARE


def say(message: str) -> None:
    """A line on stderr: Rasa sets Sanic's loggers to ERROR, a warning through them would be lost."""
    sys.stderr.write(f"[rasa {os.getpid()}] {message}\n")
    sys.stderr.flush()


def worker_ports(port: int, workers: int) -> List[int]:
    return [port + n for n in range(max(1, workers))]


class Workers:
    def __init__(self, settings: Dict[str, Any], sockets: List[Any]) -> None:
        self.settings, self.sockets = settings, sockets
        self.fork = multiprocessing.get_context("fork")
        self.processes: Dict[int, multiprocessing.process.BaseProcess] = {}  # slot → process
        self.stopping = False
        self.restarts: List[float] = []

    def start(self, slot: int) -> None:
        process = self.fork.Process(target=_serve_one, args=(self.settings, self.sockets, slot), daemon=True)
        process.start()
        self.processes[slot] = process

    def stop(self, signal_number=None, _frame=None) -> None:
        if signal_number is not None:
            say(f"Received signal {Signals(signal_number).name}: stopping the workers.")
        self.stopping = True
        for process in self.processes.values():
            if process.exitcode is None:
                try:
                    os.kill(process.pid, SIGTERM)
                except ProcessLookupError:
                    pass

    def watch(self) -> int:
        """Until every worker has ended after a stop: a worker that ends before is forked again."""
        while True:
            running = {slot: process for slot, process in self.processes.items() if process.exitcode is None}
            if not running:
                return 0 if self.stopping else WORKERS_FAILED
            wait_for_exit([process.sentinel for process in running.values()])
            for slot, process in running.items():
                if process.exitcode is None or self.stopping:
                    continue
                port = _name(self.sockets[slot])
                now = time.monotonic()
                self.restarts = [at for at in self.restarts if now - at < RESTART_WINDOW_SECONDS] + [now]
                if len(self.restarts) > MAX_RESTARTS:
                    say(f"Worker on {port} ended (status {process.exitcode}), {len(self.restarts)} workers "
                        f"ended within {RESTART_WINDOW_SECONDS:.0f} s: the server exits {WORKERS_FAILED} so that it "
                        "is restarted whole.")
                    self.stop()
                    self.stopping = False  # not asked for: the exit status says so
                    return self._wait_all_then(WORKERS_FAILED)
                say(f"Worker on {port} ended (status {process.exitcode}): starting another.")
                self.start(slot)

    def _wait_all_then(self, status: int) -> int:
        for process in self.processes.values():
            process.join(timeout=30)
            if process.exitcode is None:
                process.kill()
        return status


def _name(sock: Any) -> str:
    """A worker's socket as its messages name it: its port, or its socket's path."""
    name = sock.getsockname()
    return name if isinstance(name, str) else str(name[1])


def _serve_one(settings: Dict[str, Any], sockets: List[Any], slot: int) -> None:
    """One worker: Sanic's `serve` on its own socket, the others' closed in this process."""
    for n, sock in enumerate(sockets):
        if n != slot:
            sock.close()
    serve(**dict(settings, sock=sockets[slot]))


def serve_multiple(server_settings: Dict[str, Any], workers: int) -> None:
    """Sanic's `serve_multiple`, each worker on its own port (port, port+1, …)."""
    settings = dict(server_settings, run_multiple=True, reuse_port=False)
    main_start, main_stop = settings.pop("main_start", None), settings.pop("main_stop", None)
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    trigger_events(main_start, loop)
    private = os.environ.get(RASA_SOCKET_ENV)
    if private:  # behind the proxy: a private unix socket each (serving/unix_sockets.py)
        try:
            sockets = [bind_private_socket(worker_socket(Path(private), n), settings["backlog"])
                       for n in range(max(1, workers))]
        except UnsafeLocation as refusal:
            raise SystemExit(str(refusal))
    else:
        sockets = [bind_socket(settings["host"], port, backlog=settings["backlog"])
                   for port in worker_ports(settings["port"], workers)]
    for sock in sockets:
        sock.set_inheritable(True)
    settings.update(host=None, port=None, unix=None)
    pool = Workers(settings, sockets)
    signal_func(SIGINT, pool.stop)
    signal_func(SIGTERM, pool.stop)
    for slot in range(len(sockets)):
        pool.start(slot)
    status = pool.watch()
    for sock in sockets:
        sock.close()
    trigger_events(main_stop, loop)
    loop.close()
    if status:
        sys.exit(status)


def install() -> None:
    """From now on, `Sanic.run(workers=N)` in this process gives each worker its own port."""
    import sanic.app

    sanic.app.serve_multiple = serve_multiple
