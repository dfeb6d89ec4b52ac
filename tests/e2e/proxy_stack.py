"""The end-to-end stack as `make run` starts it: supervisord, HAProxy alone on the public
ports, the Rasa workers (their accept gate on one private unix socket, or a socket each) and the
web front (its own private socket) behind it, in var/sockets/ (serving/unix_sockets.py).

Clients of the tests talk to the public ports only, from any loopback address (127.0.0.0/8:
`source` picks one, so that "another client address" is real to the proxy).
"""
from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Dict, List, Optional

import pytest
import requests

from serving.endpoints import write_endpoints
from tests.e2e.stack import ROOT, Stack, free_port

SUPERVISORCTL = str(Path(sys.executable).parent / "supervisorctl")
HAPROXY = shutil.which("haproxy") or ("/usr/sbin/haproxy" if os.access("/usr/sbin/haproxy", os.X_OK) else None)

needs_haproxy = pytest.mark.skipif(
    HAPROXY is None, reason="HAProxy is not installed (Debian: apt-get install haproxy; .ci/run and "
                            "scripts/setup.sh install it as root)")


def consecutive_free_ports(count: int) -> int:
    """The first of `count` free consecutive loopback ports (the Rasa workers' ports), in 7300-7399:
    below the kernel's ephemeral range, so that no outgoing connection takes one meanwhile."""
    for first in range(7300, 7400 - count):
        sockets = []
        try:
            for port in range(first, first + count):
                sock = socket.socket()
                sock.bind(("127.0.0.1", port))
                sockets.append(sock)
            return first
        except OSError:
            continue
        finally:
            for sock in sockets:
                sock.close()
    raise RuntimeError("no consecutive free ports")


def connect_unix(path: Path, timeout: float = 5) -> socket.socket:
    """A connection to a server's private socket, as the service account (past the proxy). A unix
    socket whose backlog is full refuses at once (EAGAIN) where TCP would wait: tried again until
    `timeout`, as a TCP client's connect would wait."""
    deadline = time.monotonic() + timeout
    while True:
        sock = socket.socket(socket.AF_UNIX)
        sock.settimeout(timeout)
        try:
            sock.connect(str(path))
            return sock
        except BlockingIOError:
            sock.close()
            if time.monotonic() > deadline:
                raise
            time.sleep(0.01)


def connect_as_nobody(path: Path) -> subprocess.CompletedProcess:
    """Another local account (`nobody`, through setpriv) tries to connect to `path`: the
    completed process, whose stdout is "connected" or the error it got."""
    code = ("import socket, sys\n"
            "s = socket.socket(socket.AF_UNIX)\n"
            "try:\n    s.connect(sys.argv[1]); print('connected')\n"
            "except OSError as e:\n    print(type(e).__name__, e.errno)\n")
    return subprocess.run(["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "/usr/bin/python3", "-c",
                           code, str(path)], capture_output=True, text=True, timeout=30)


def listening_unix(pid: int, path: Path) -> bool:
    """Whether process `pid` holds the listening unix socket bound at `path` (/proc/net/unix)."""
    inodes = set()
    for line in Path("/proc/net/unix").read_text().splitlines()[1:]:
        fields = line.split()
        # Num RefCount Protocol Flags Type St Inode Path; flag 0x10000 (__SO_ACCEPTCON): listening
        if len(fields) >= 8 and int(fields[3], 16) & 0x10000 and fields[7] == str(path):
            inodes.add(fields[6])
    return _holds(pid, inodes)


def tcp_listening_ports(pid: int) -> List[int]:
    """The TCP ports (IPv4 and IPv6) process `pid` listens on."""
    by_inode = {}
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            fields = line.split()
            if fields[3] == "0A":
                by_inode[fields[9]] = int(fields[1].rsplit(":", 1)[1], 16)
    try:
        links = [os.readlink(fd) for fd in Path(f"/proc/{pid}/fd").iterdir()]
    except OSError:
        return []
    return sorted(port for inode, port in by_inode.items() if f"socket:[{inode}]" in links)


def children(pid: int) -> List[int]:
    return [int(child) for task in Path(f"/proc/{pid}/task").glob("*")
            for child in (task / "children").read_text().split()]


def connect(port: int, source: str = "127.0.0.1", timeout: float = 5) -> socket.socket:
    sock = socket.socket()
    sock.settimeout(timeout)
    sock.bind((source, 0))
    sock.connect(("127.0.0.1", port))
    return sock


class SourceAdapter(requests.adapters.HTTPAdapter):
    """requests from a chosen loopback address."""

    def __init__(self, source: str) -> None:
        self.source = source
        super().__init__()

    def init_poolmanager(self, *args, **kwargs):
        kwargs["source_address"] = (self.source, 0)
        return super().init_poolmanager(*args, **kwargs)


def session_from(source: str) -> requests.Session:
    http = requests.Session()
    http.mount("http://", SourceAdapter(source))
    return http


class ProxyStack(Stack):
    """Stack's data and settings; its servers and HAProxy started by serving/supervisor.py."""

    supervisord: Optional[subprocess.Popen] = None
    proxy_env: Dict[str, str] = {}
    worker_ports: bool = False  # True: a port per Rasa worker (serving/worker_ports.py), else the gate behind one

    def _spawn(self, name, command):  # supervisord starts the servers
        pass

    def _wait_until_ready(self, timeout: float = 240) -> None:
        pass

    def start(self) -> "ProxyStack":
        super().start()
        self.var = self.workdir / "var"
        actions_port = free_port()
        write_endpoints(self.var / "endpoints.yml", f"http://127.0.0.1:{actions_port}/webhook",
                        f"sqlite:///{self.workdir / 'tracker.db'}")
        self.worker_port = consecutive_free_ports(2)
        self.web_private_port, self.internal_port = free_port(), free_port()
        self.rasa_port, self.console_port = free_port(), free_port()  # the proxy's public ports
        self.actions_port = actions_port
        self.sockets = self.var / "sockets"  # serving/unix_sockets.py
        self.rasa_socket = self.sockets / "rasa.sock"
        self.env.update(
            CLAUDIA_PROXY="1", CLAUDIA_HOST="127.0.0.1", CLAUDIA_PORT=str(self.worker_port),
            CLAUDIA_RASA_WORKERS="2", ACTIONS_PORT=str(actions_port),
            CLAUDIA_PUBLIC_HOST="127.0.0.1", CLAUDIA_PUBLIC_PORT=str(self.rasa_port),
            CLAUDIA_PUBLIC_WEB_PORT=str(self.console_port), CLAUDIA_PROXY_RASA_PORT=str(self.internal_port),
            CLAUDIA_WEB_PORT=str(self.web_private_port),
            CLAUDIA_RASA_URL=f"http://127.0.0.1:{self.internal_port}",
            CLAUDIA_HEALTH_EVERY_SECONDS="2", CLAUDIA_METRICS_DIR=str(self.workdir / "metrics"))
        self.env.update(self.proxy_env)  # a test's own settings win
        if self.worker_ports:
            self.env["CLAUDIA_RASA_WORKER_PORTS"] = "1"
        self.supervisord = subprocess.Popen(
            [sys.executable, "-m", "serving.supervisor", "--var", str(self.var)], cwd=ROOT, env=self.env,
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
        self.wait_ready()
        return self

    def wait_ready(self, timeout: float = 240) -> None:
        urls = [f"http://127.0.0.1:{self.rasa_port}/webhooks/connected/",
                f"http://127.0.0.1:{self.console_port}/console/login"]
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.supervisord.poll() is not None:
                raise RuntimeError(f"supervisord stopped; see {self.var}/log")
            try:
                if all(requests.get(url, timeout=2).status_code == 200 for url in urls) and \
                        len(self.servers_up("rasa")) == (2 if self.worker_ports else 1):
                    return
            except requests.RequestException:
                pass
            time.sleep(0.5)
        raise RuntimeError(f"not ready after {timeout}s; see {self.var}/log")

    def admin(self, command: str) -> str:
        """A command on HAProxy's administration socket (var/haproxy.sock)."""
        with socket.socket(socket.AF_UNIX) as sock:
            sock.settimeout(5)
            sock.connect(str(self.var / "haproxy.sock"))
            sock.sendall(command.encode() + b"\n")
            chunks = []
            while True:
                chunk = sock.recv(65536)
                if not chunk:
                    return b"".join(chunks).decode()
                chunks.append(chunk)

    def stats(self, backend: str) -> Dict[str, Dict[str, str]]:
        """`show stat` for the servers of `backend`: name → field → value."""
        lines = self.admin("show stat").splitlines()
        header = lines[0].lstrip("# ").split(",")
        rows = [dict(zip(header, line.split(","))) for line in lines[1:] if line]
        return {row["svname"]: row for row in rows
                if row.get("pxname") == backend and row["svname"] not in ("FRONTEND", "BACKEND")}

    def servers_up(self, backend: str) -> List[str]:
        try:
            return [name for name, row in self.stats(backend).items() if row["status"].startswith("UP")]
        except OSError:
            return []

    def pid(self, program: str) -> int:
        out = subprocess.run([SUPERVISORCTL, "-c", str(self.var / "supervisord.conf"), "pid", program],
                             capture_output=True, text=True, timeout=30).stdout.strip()
        return int(out) if out.isdigit() and out != "0" else 0

    def worker_socket(self, worker: int) -> Path:
        """Worker n's own socket (CLAUDIA_RASA_WORKER_PORTS=1)."""
        return self.sockets / f"rasa-worker{worker}.sock"

    def worker_pids(self) -> List[int]:
        """The Rasa server's worker processes, in the order of their sockets (with the gate: all on one)."""
        workers = children(self.pid("rasa"))
        if not self.worker_ports:
            return sorted(child for child in workers if listening_unix(child, self.rasa_socket))
        by_socket = {}
        for child in workers:
            for n in (0, 1):
                if listening_unix(child, self.worker_socket(n)):
                    by_socket[n] = child
        return [by_socket[n] for n in sorted(by_socket)]

    def stop(self) -> None:
        if self.supervisord and self.supervisord.poll() is None:
            self.supervisord.terminate()
            try:
                self.supervisord.wait(timeout=60)
            except subprocess.TimeoutExpired:
                os.killpg(self.supervisord.pid, signal.SIGKILL)
        super().stop()


def listening_on(pid: int, port: int) -> bool:
    """Whether process `pid` holds the listening socket of 127.0.0.1:`port`."""
    inodes = set()
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        if fields[3] == "0A" and int(fields[1].split(":")[1], 16) == port:
            inodes.add(fields[9])
    return _holds(pid, inodes)


def _holds(pid: int, inodes) -> bool:
    try:
        links = [os.readlink(fd) for fd in Path(f"/proc/{pid}/fd").iterdir()]
    except OSError:
        return False
    return any(link == f"socket:[{inode}]" for link in links for inode in inodes)


def open_descriptors(pid: int) -> int:
    return len(list(Path(f"/proc/{pid}/fd").iterdir()))
