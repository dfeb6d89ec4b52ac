"""Behind ClaudIA's reverse proxy, the client's address is the one the proxy saw.

With CLAUDIA_BEHIND_PROXY=1 (serving/supervisor.py sets it for the web front when HAProxy is in
front, serving/proxy_config.py), every connection comes from the proxy, on loopback or on the web
front's private unix socket, and the
proxy appends the client's address to `X-Forwarded-For` (`option forwardfor`). The last entry is
the proxy's own word (a client may send any earlier ones), so it becomes `request.remote`: the
sign-in throttling (web/security.py) counts failures per account and real address again.
A request from elsewhere than loopback, or without the header, keeps its peer's address.
"""
from __future__ import annotations

import ipaddress
import os
import socket
from typing import Awaitable, Callable, Optional

from aiohttp import web

ENV = "CLAUDIA_BEHIND_PROXY"


def _address(text: str) -> Optional[str]:
    try:
        return str(ipaddress.ip_address(text.strip()))
    except ValueError:
        return None


def _loopback(address: Optional[str]) -> bool:
    try:
        return ipaddress.ip_address(address or "").is_loopback
    except ValueError:
        return False


def _unix_peer(request: web.Request) -> bool:
    """A connection on the web front's private unix socket (CLAUDIA_WEB_SOCKET, mode 0600): only the
    service account, that is the proxy, can open one (serving/unix_sockets.py)."""
    sock = request.transport.get_extra_info("socket") if request.transport else None
    return sock is not None and sock.family == socket.AF_UNIX


@web.middleware
async def client_address(request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]):
    entries = [entry for value in request.headers.getall("X-Forwarded-For", []) for entry in value.split(",")]
    if entries and (_loopback(request.remote) or _unix_peer(request)):
        forwarded = _address(entries[-1])
        if forwarded:
            request = request.clone(remote=forwarded)
    return await handler(request)


def install(app: web.Application) -> None:
    if os.environ.get(ENV) == "1":
        app.middlewares.insert(0, client_address)
