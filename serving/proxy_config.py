"""The reverse proxy in front of ClaudIA's servers: HAProxy's configuration, from the environment.

  python -m serving.proxy_config OUT [--servers N]   (serving/supervisor.py writes var/haproxy.cfg so)

HAProxy (Debian's `haproxy` package) alone listens on the public ports; the servers listen behind
it (below, « Ports »). What it does for them (docs/security.md, « Availability »):
- reads each request whole before passing it on (`option http-buffer-request`, buffers big
  enough for the largest body allowed) and gives it `CLAUDIA_PROXY_REQUEST_SECONDS` (10) for its
  headers and body together, however slowly they trickle: 408 after that, nothing reaches a
  server; idle connections are closed after `timeout http-keep-alive` / `timeout client`;
- caps bodies (413): `CLAUDIA_PROXY_CHANNEL_MAX_BODY` (16 KB) on the chat channel,
  `CLAUDIA_PROXY_WEB_MAX_BODY` (64 KB, the web front's own cap) on the web front; bodies of
  unknown length (chunked) are refused on the public ports;
- per client address, on each public port: at most `CLAUDIA_PROXY_CONNECTIONS_PER_ADDRESS`
  (100) connections at once (more are refused) and `CLAUDIA_PROXY_REQUESTS_PER_ADDRESS` (500)
  requests per 10 s (429 and a French message beyond);
- queues the requests for the Rasa workers: at most workers × `CLAUDIA_RASA_WORKER_SLOTS` (2 × 2)
  at once on the Rasa server's socket (`maxconn`), whose accept gate gives each to a worker with
  room (serving/worker_accept.py); the others wait in the proxy's queue
  (`CLAUDIA_PROXY_QUEUE_SECONDS`, 10, then 503). With CLAUDIA_RASA_WORKER_PORTS=1 each worker is a
  server of its own with `maxconn` 2 (serving/worker_ports.py), measured slower (bench/results.md);
- checks each server's health (`RASA_CHECK`, `WEB_CHECK`) and sends nothing to a server down;
- answers its own errors in French (HTML on the web front, JSON `{"erreur": …}` on the channel).

Ports (`make run`, serving/run.sh sets them): public `CLAUDIA_PUBLIC_WEB_PORT` (5080, the
portal, console and review) and `CLAUDIA_PUBLIC_PORT` (5005, the connected channel only) on
`CLAUDIA_PUBLIC_HOST` (127.0.0.1; 0.0.0.0 to serve a network). The Rasa server, the web front
and the web front's way to Rasa (the proxy's `proxy-rasa.sock`, no per-address limit: only the
web front may connect) on private unix sockets in `CLAUDIA_SOCKET_DIR` (serving/unix_sockets.py),
on no TCP port; `CLAUDIA_PROXY_RASA_PORT` (5006, loopback) answers only Prometheus' metrics paths
(serving/proxy_internal.py) and the proxy's health. With CLAUDIA_PRIVATE_SOCKETS=0: `CLAUDIA_PORT`
(5010; 5010, 5011 … per worker), `CLAUDIA_WEB_PORT` (5081), and 5006 is the web front's way to
Rasa too. The administration socket is var/haproxy.sock (0600, in var/ 0700).
"""
from __future__ import annotations

import argparse
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, List, Optional, Tuple, Union

from serving import unix_sockets
from serving.proxy_errors import deny, error_answers
from serving.proxy_internal import internal_frontends

Address = Union[Tuple[str, int], Path]  # a loopback port, or a private unix socket (serving/unix_sockets.py)

# What the proxy asks each server every 2 s: its readiness (200, or 503 with the failing checks:
# serving/sanic_requests.py, web/observability.py, claudia/health.py). A server not ready gets no
# request; the others take its share, and with none left the proxy answers 503 in French.
RASA_CHECK = "/health/ready"
WEB_CHECK = "/health/ready"
PROXY_HEALTH = "/health/proxy"  # answered by HAProxy itself on the internal port (monitor-uri)


def _int(env: Dict[str, str], name: str, default: int) -> int:
    value = env.get(name)
    return int(value) if value else default


@dataclass
class Limits:
    request_seconds: int = 10  # headers and body, from the first byte: then 408
    client_idle_seconds: int = 30  # a connection silent this long is closed
    keepalive_seconds: int = 5  # between two requests of one connection
    queue_seconds: int = 10  # waiting for a free Rasa worker: then 503
    server_seconds: int = 60  # a server's answer
    channel_max_body: int = 16 * 1024
    web_max_body: int = 64 * 1024
    connections_per_address: int = 100
    requests_per_address: int = 500  # per 10 s
    max_connections: int = 4000  # all ports together
    slots: int = 2  # requests one Rasa worker handles at once

    @classmethod
    def from_env(cls, env: Dict[str, str]) -> "Limits":
        return cls(
            request_seconds=_int(env, "CLAUDIA_PROXY_REQUEST_SECONDS", cls.request_seconds),
            queue_seconds=_int(env, "CLAUDIA_PROXY_QUEUE_SECONDS", cls.queue_seconds),
            channel_max_body=_int(env, "CLAUDIA_PROXY_CHANNEL_MAX_BODY", cls.channel_max_body),
            web_max_body=_int(env, "CLAUDIA_PROXY_WEB_MAX_BODY", cls.web_max_body),
            connections_per_address=_int(env, "CLAUDIA_PROXY_CONNECTIONS_PER_ADDRESS", cls.connections_per_address),
            requests_per_address=_int(env, "CLAUDIA_PROXY_REQUESTS_PER_ADDRESS", cls.requests_per_address),
            max_connections=_int(env, "CLAUDIA_PROXY_MAX_CONNECTIONS", cls.max_connections),
            slots=_int(env, "CLAUDIA_RASA_WORKER_SLOTS", cls.slots),
        )


@dataclass
class Layout:
    public_host: str = "127.0.0.1"
    web_port: int = 5080  # public: the web front
    channel_port: Optional[int] = 5005  # public: the connected channel alone (None: none)
    internal_port: int = 5006  # loopback: the web front to Rasa (with internal_socket: the metrics only)
    internal_socket: Optional[Path] = None  # the web front to Rasa on a private socket (no local account)
    rasa: List[Address] = field(default_factory=lambda: [("127.0.0.1", 5010)])
    workers_per_server: int = 2  # Rasa worker processes behind each address (their accept gate shares them out)
    web: Address = ("127.0.0.1", 5081)
    admin_socket: Optional[Path] = None
    tls_certificate: Optional[str] = None  # production: HTTPS on the public ports
    redirect_port: Optional[int] = None  # production: plain HTTP there redirected to HTTPS

    @classmethod
    def from_env(cls, env: Dict[str, str], servers: Optional[int] = None, var: Optional[Path] = None) -> "Layout":
        """`make run`'s layout, or with `servers` run-scaled's (Rasa server n on 5005+10n)."""
        per_server = 1
        folder = unix_sockets.directory(env, var or Path("var")) if unix_sockets.wanted(env) else None
        web: Address = (env.get("CLAUDIA_WEB_HOST", "127.0.0.1"), _int(env, "CLAUDIA_WEB_PORT", 5081))
        rasa: List[Address]
        if servers:
            rasa = [unix_sockets.rasa_socket(folder, n) if folder else ("127.0.0.1", 5005 + 10 * n)
                    for n in range(1, servers + 1)]
        else:
            first = _int(env, "CLAUDIA_PORT", 5010)
            workers = max(1, _int(env, "CLAUDIA_RASA_WORKERS", 2))
            host = env.get("CLAUDIA_HOST", "127.0.0.1")
            if env.get("CLAUDIA_RASA_WORKER_PORTS") == "1":  # a port (socket) per worker (serving/worker_ports.py)
                rasa = [unix_sockets.worker_socket(unix_sockets.rasa_socket(folder), n) if folder else (host, first + n)
                        for n in range(workers)]
            else:  # the workers share one port (socket) behind their accept gate (serving/worker_accept.py)
                rasa, per_server = [unix_sockets.rasa_socket(folder) if folder else (host, first)], workers
        if folder:
            web = unix_sockets.web_socket(folder)
        return cls(public_host=env.get("CLAUDIA_PUBLIC_HOST", "127.0.0.1"),
                   web_port=_int(env, "CLAUDIA_PUBLIC_WEB_PORT", 5080),
                   channel_port=_int(env, "CLAUDIA_PUBLIC_PORT", 5005),
                   internal_port=_int(env, "CLAUDIA_PROXY_RASA_PORT", 5006),
                   rasa=rasa, workers_per_server=per_server if not servers else 1,
                   web=web, internal_socket=unix_sockets.proxy_socket(folder) if folder else None,
                   admin_socket=(var / "haproxy.sock") if var else None)


def _public_limits(limits: Limits, max_body: int) -> List[str]:
    """Per-address connections and request rate, body caps, on one public frontend."""
    return [
        "    stick-table type ipv6 size 100k expire 60s store conn_cur,http_req_rate(10s)",
        "    tcp-request connection track-sc0 src",
        f"    tcp-request connection reject if {{ sc_conn_cur(0) gt {limits.connections_per_address} }}",
        # /metrics: for Prometheus, on the internal port only (METRICS_PATHS)
        "    http-request deny deny_status 404 if { path /metrics } || { path_beg /metrics/ }",
        *deny(429, f"{{ sc_http_req_rate(0) gt {limits.requests_per_address} }}"),
        *deny(413, f"{{ req.hdr_val(content-length) gt {max_body} }}"),
        *deny(413, f"{{ path_beg /webhooks/ }} {{ req.hdr_val(content-length) gt {limits.channel_max_body} }}"),
        *deny(413, "{ req.hdr_cnt(transfer-encoding) gt 0 }"),  # bodies of unknown length
    ]


def _bind(host: str, port: int, certificate: Optional[str]) -> str:
    return f"    bind {host}:{port}" + (f" ssl crt {certificate} alpn http/1.1" if certificate else "")


def _address(address: Address) -> str:
    """HAProxy's `server` address: `unix@/path` for a private socket, host:port otherwise."""
    return f"unix@{address}" if isinstance(address, Path) else f"{address[0]}:{address[1]}"


def config_text(layout: Layout, limits: Limits) -> str:
    # Each buffer holds the largest body allowed plus its headers, so a request is read whole.
    bufsize = 16384 * ((max(limits.web_max_body, limits.channel_max_body) + 16384) // 16384 + 1)
    public, tls = layout.public_host, layout.tls_certificate
    lines = [
        "# Generated by serving/proxy_config.py: change the settings there or in the environment.",
        "global",
        f"    maxconn {limits.max_connections}",
        f"    tune.bufsize {bufsize}",
        "    log stdout format raw local0 notice",
    ]
    if layout.admin_socket:
        lines.append(f"    stats socket {layout.admin_socket} mode 600 level admin")
    lines += [
        "",
        "defaults",
        "    mode http",
        "    log global",
        "    option httplog",
        "    option dontlognull",
        # The client's address for the servers (the Rasa server reads the last entry: SANIC_PROXIES_COUNT=1);
        # the servers' /metrics also refuse a request carrying it (claudia/metrics_access.py).
        "    option forwardfor",
        "    option http-buffer-request",
        "    option redispatch",
        "    retries 2",
        # A worker killed or restarted holds idle kept-alive connections: a request sent on one gets
        # nothing back, and is sent again to another (the whole request is buffered, see above).
        "    retry-on conn-failure empty-response",
        "    timeout connect 2s",
        f"    timeout http-request {limits.request_seconds}s",
        f"    timeout http-keep-alive {limits.keepalive_seconds}s",
        f"    timeout client {limits.client_idle_seconds}s",
        f"    timeout queue {limits.queue_seconds}s",
        f"    timeout server {limits.server_seconds}s",
        "    timeout check 3s",
        "",
    ]
    if tls and layout.redirect_port:
        lines += ["frontend plain_http",
                  f"    bind {public}:{layout.redirect_port}",
                  "    http-request redirect scheme https code 301", ""]
    lines += [
        "# The portal, the console and the review; the connected channel under /webhooks/connected/.",
        "frontend web",
        _bind(public, layout.web_port, tls),
        *_public_limits(limits, limits.web_max_body),
        *error_answers("html"),
        "    use_backend rasa if { path_beg /webhooks/connected/ }",
        "    default_backend web",
        "",
    ]
    if layout.channel_port:
        lines += [
            "# The connected channel alone (Rasa's HTTP API is never public).",
            "frontend channel",
            _bind(public, layout.channel_port, tls),
            *_public_limits(limits, limits.channel_max_body),
            *error_answers("json"),
            "    http-request deny deny_status 404 unless { path_beg /webhooks/connected/ }",
            "    default_backend rasa",
            "",
        ]
    lines += internal_frontends(layout.internal_port, layout.internal_socket, limits.web_max_body, PROXY_HEALTH)
    lines += [
        f"# {limits.slots} requests at once per Rasa worker behind each address; the rest wait in one queue.",
        "backend rasa",
        "    balance leastconn",
        f"    option httpchk GET {RASA_CHECK}",
        "    http-check expect status 200",
        "    default-server check inter 2s downinter 500ms fall 2 rise 1",
        *error_answers("json"),
    ]
    lines += [f"    server rasa{n} {_address(address)} maxconn {limits.slots * layout.workers_per_server}"
              for n, address in enumerate(layout.rasa)]
    lines += [
        "",
        "backend web",
        f"    option httpchk GET {WEB_CHECK}",
        "    http-check expect status 200",
        f"    server web {_address(layout.web)} check inter 2s downinter 500ms fall 2 rise 1",
    ]
    return "\n".join(lines) + "\n"


DEPLOY_SOCKETS = Path("/srv/claudia/var/sockets")  # run-scaled's CLAUDIA_SOCKET_DIR in /srv/claudia


def deploy_layout() -> Layout:
    """deploy/haproxy.cfg: run-scaled's servers (Rasa rasa-1.sock, rasa-2.sock; the web front web.sock,
    private sockets in /srv/claudia/var/sockets, and the proxy's own proxy-rasa.sock for the web front) behind HTTPS on 443 (the channel under
    /webhooks/connected/), port 80 redirected; TLS certificate and key in /etc/haproxy/certs/claudia.pem.
    HAProxy runs as root there (Debian's service, no `user` line), so it may connect to the 0600 sockets."""
    return Layout(public_host="0.0.0.0", web_port=443, channel_port=None, redirect_port=80,
                  tls_certificate="/etc/haproxy/certs/claudia.pem",
                  rasa=[unix_sockets.rasa_socket(DEPLOY_SOCKETS, n) for n in (1, 2)], workers_per_server=1,
                  web=unix_sockets.web_socket(DEPLOY_SOCKETS), internal_socket=unix_sockets.proxy_socket(DEPLOY_SOCKETS),
                  admin_socket=Path("/run/haproxy/claudia.sock"))


def write(path: Path, env: Optional[Dict[str, str]] = None, servers: Optional[int] = None) -> Path:
    """The configuration for this environment, written 0600 (it names the private ports)."""
    env = dict(os.environ if env is None else env)
    text = config_text(Layout.from_env(env, servers, path.parent), Limits.from_env(env))
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
        handle.write(text)
    path.chmod(0o600)
    return path


def main(argv: Optional[List[str]] = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--servers", type=int, default=0, help="Rasa servers of run-scaled (5015, 5025, …)")
    parser.add_argument("--deploy", action="store_true", help="the production file, deploy/haproxy.cfg")
    args = parser.parse_args(argv)
    if args.deploy:
        header = ("# ClaudIA behind HAProxy in production (Debian's haproxy package): serving/run_scaled.sh's servers\n"
                  "# behind HTTPS. Written by `python -m serving.proxy_config --deploy deploy/haproxy.cfg` with the\n"
                  "# default limits (docs/security.md); the web front runs with CLAUDIA_SECURE_COOKIES=1. The servers listen\n"
                  "# on private unix sockets in /srv/claudia/var/sockets (CLAUDIA_SOCKET_DIR), HAProxy runs as root.\n")
        args.out.write_text(header + config_text(deploy_layout(), Limits()), encoding="utf-8")
        print(args.out)
        return
    print(write(args.out, servers=args.servers or None))


if __name__ == "__main__":
    main()
