"""How the web front opens its HTTP sessions to Rasa (the chat relay, the console's API calls).

CLAUDIA_RASA_URL is `http://host:port`, or, behind the proxy of `make run`, the proxy's private
socket written `http+unix://<socket path, %-encoded>` (serving/unix_sockets.py): no TCP port,
so no other local account can send requests into the proxy's queue for the Rasa workers.
"""
from __future__ import annotations

from typing import NamedTuple, Optional
from urllib.parse import unquote, urlsplit

import aiohttp

UNIX_SCHEME = "http+unix"


class RasaAddress(NamedTuple):
    base_url: str  # what request URLs start with
    socket_path: Optional[str]  # the unix socket to connect to, if any

    def session(self, timeout: aiohttp.ClientTimeout) -> aiohttp.ClientSession:
        connector = aiohttp.UnixConnector(path=self.socket_path) if self.socket_path else None
        return aiohttp.ClientSession(timeout=timeout, connector=connector)


def rasa_address(url: str) -> RasaAddress:
    parts = urlsplit(url)
    if parts.scheme != UNIX_SCHEME:
        return RasaAddress(url.rstrip("/"), None)
    # The Host header and URL are only for HTTP's sake: the socket decides where the request goes.
    return RasaAddress(("http://localhost" + parts.path).rstrip("/"), unquote(parts.netloc))
