"""One listening socket per Sanic worker, so the kernel shares the connections out evenly.

Sanic 21.12 forks its workers around one shared listening socket. Linux then hands each
new connection to the worker that reaches `accept` first, which is the one that has just
answered and is still running, not the idle one: measured under 20 concurrent
conversations, one Rasa worker took 24.5 ms of CPU per turn and the other 1.1, and the
second worker bought nothing (bench/changes.md). Here every worker gets its own socket,
bound to the same port with `SO_REUSEPORT`, and the kernel spreads new connections over
them by a hash of their addresses. The chat channel closes each connection after its
answer (channels/connected.py, when scripts/serve_rasa.py sets
CLAUDIA_RASA_CLOSE_CONNECTIONS), so each message is spread again instead of staying on the
worker that accepted its client's first one; a reverse proxy opens a connection per
request anyway (deploy/nginx.conf has no upstream keepalive).

A worker that dies takes its socket with it (the parent closes its copies once the
workers are started, each worker closes the others'), and the kernel spreads the next
connections over the sockets left.
"""
from __future__ import annotations

import asyncio
import multiprocessing
import os
import socket
from signal import SIGINT, SIGTERM, Signals
from signal import signal as signal_func
from typing import Any, Dict, List

from sanic.log import logger
from sanic.server.events import trigger_events
from sanic.server.runners import serve


def _listening_socket(host: str, port: int, backlog: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    sock.bind((host, port))
    sock.listen(backlog)
    return sock


def _serve_on(own: socket.socket, sockets: List[socket.socket], settings: Dict[str, Any]) -> None:
    for other in sockets:
        if other is not own:
            other.close()
    serve(**dict(settings, sock=own))


def serve_multiple(server_settings: Dict[str, Any], workers: int) -> None:
    """Sanic's `serve_multiple`, with a socket of its own for each worker."""
    if server_settings.get("sock") is not None or server_settings.get("unix"):
        from sanic.server.runners import serve_multiple as sanics_own
        return sanics_own(server_settings, workers)
    settings = dict(server_settings, reuse_port=True, run_multiple=True)
    main_start, main_stop = settings.pop("main_start", None), settings.pop("main_stop", None)
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    trigger_events(main_start, loop)
    sockets = [_listening_socket(settings["host"], settings["port"], settings["backlog"]) for _ in range(workers)]
    settings.update(host=None, port=None)
    processes: List[multiprocessing.Process] = []

    def stop(signal_number, _frame):
        logger.info("Received signal %s. Shutting down.", Signals(signal_number).name)
        for process in processes:
            os.kill(process.pid, SIGTERM)

    signal_func(SIGINT, stop)
    signal_func(SIGTERM, stop)
    fork = multiprocessing.get_context("fork")
    for own in sockets:
        process = fork.Process(target=_serve_on, args=(own, sockets, settings), daemon=True)
        process.start()
        processes.append(process)
    for own in sockets:  # the workers hold them now; a dead worker's socket closes with it
        own.close()
    for process in processes:
        process.join()
    for process in processes:
        process.terminate()
    trigger_events(main_stop, loop)
    loop.close()


def install() -> None:
    """From now on, `Sanic.run(workers=N)` in this process gives each worker its own socket."""
    import sanic.app

    sanic.app.serve_multiple = serve_multiple
