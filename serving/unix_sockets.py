"""The servers' private unix sockets behind the proxy, and HTTP over them.

With the proxy (`make run`, `make run-scaled`), the Rasa server and the web front listen on no
TCP port: on unix sockets in `CLAUDIA_SOCKET_DIR` (var/sockets/, mode 0700, owned by the service
account; each socket 0600, claudia/safe_paths.py), which only this account (HAProxy, the health
checker) and root may connect to. Names in that directory:
- `rasa.sock`: the Rasa server's workers behind their accept gate (serving/worker_accept.py);
- `rasa-worker<n>.sock`: worker n with a socket each (CLAUDIA_RASA_WORKER_PORTS=1, serving/worker_ports.py);
- `rasa-<n>.sock`: Rasa server n of run-scaled;
- `web.sock`: the web front;
- `proxy-rasa.sock`: HAProxy's own, the web front's way to Rasa through the proxy's queue
  (the web front reads it from its CLAUDIA_RASA_URL, `http+unix://…`: web/rasa_client.py).
The Rasa server reads its socket from `CLAUDIA_RASA_SOCKET`, the web front from `CLAUDIA_WEB_SOCKET`
(serving/supervisor.py sets both); without them they listen on their ports, as without the proxy.

Health URLs of servers on a socket are written `http+unix://<socket path, %-encoded>/<path>`
(the convention of requests-unixsocket); `get()` fetches such a URL, or a plain http:// one.
"""
from __future__ import annotations

import http.client
import socket
import urllib.error
import urllib.request
from pathlib import Path
from typing import Dict, Optional, Tuple
from urllib.parse import quote, unquote, urlsplit

DIR_ENV = "CLAUDIA_SOCKET_DIR"
RASA_ENV = "CLAUDIA_RASA_SOCKET"
WEB_ENV = "CLAUDIA_WEB_SOCKET"
WANTED_ENV = "CLAUDIA_PRIVATE_SOCKETS"  # "0": the servers on loopback ports behind the proxy, as before
SCHEME = "http+unix"


def wanted(env: Dict[str, str]) -> bool:
    """Private sockets: with the proxy, unless CLAUDIA_PRIVATE_SOCKETS=0."""
    return env.get("CLAUDIA_PROXY") == "1" and env.get(WANTED_ENV, "1") != "0"


def directory(env: Dict[str, str], var: Path) -> Path:
    return Path(env.get(DIR_ENV) or var / "sockets").resolve()


def rasa_socket(folder: Path, server: Optional[int] = None) -> Path:
    return folder / ("rasa.sock" if server is None else f"rasa-{server}.sock")


def worker_socket(server_socket: Path, worker: int) -> Path:
    """Worker n's own socket beside its server's (rasa.sock → rasa-worker0.sock, …)."""
    return server_socket.with_name(f"{server_socket.stem}-worker{worker}{server_socket.suffix}")


def web_socket(folder: Path) -> Path:
    return folder / "web.sock"


def proxy_socket(folder: Path) -> Path:
    return folder / "proxy-rasa.sock"


def url(sock: Path, path: str) -> str:
    return f"{SCHEME}://{quote(str(sock), safe='')}{path}"


class _UnixConnection(http.client.HTTPConnection):
    def __init__(self, sock_path: str, timeout: float) -> None:
        super().__init__("localhost", timeout=timeout)
        self.sock_path = sock_path

    def connect(self) -> None:
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.settimeout(self.timeout)
        try:
            sock.connect(self.sock_path)
        except BaseException:
            sock.close()
            raise
        self.sock = sock


def get(address: str, timeout: float) -> Tuple[int, bytes]:
    """GET `address` (http:// or http+unix://): its status and body. OSError when nothing answers."""
    parts = urlsplit(address)
    if parts.scheme != SCHEME:
        try:
            with urllib.request.urlopen(address, timeout=timeout) as answer:
                return answer.status, answer.read()
        except urllib.error.HTTPError as error:
            return error.code, error.read()
    connection = _UnixConnection(unquote(parts.netloc), timeout)
    try:
        connection.request("GET", (parts.path or "/") + (f"?{parts.query}" if parts.query else ""))
        answer = connection.getresponse()
        return answer.status, answer.read()
    except http.client.HTTPException as error:  # garbage or nothing back: as deaf as a refusal
        raise OSError(str(error)) from error
    finally:
        connection.close()

