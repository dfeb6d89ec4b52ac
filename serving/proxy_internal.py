"""The proxy's internal ways in (serving/proxy_config.py): the web front's way to Rasa, and
Prometheus' way to the metrics of the servers behind the proxy.

The Rasa server and the web front listen on private unix sockets only (serving/unix_sockets.py).
The web front reaches Rasa through the proxy's own private socket (`proxy-rasa.sock`, 0600), in the
proxy's queue for the Rasa workers. Prometheus reads `/metrics/rasa` and `/metrics/web` on the
proxy's loopback port (CLAUDIA_PROXY_RASA_PORT), which passes each on to that server's `/metrics`
and answers nothing else but the proxy's health; the proxy adds `X-Forwarded-For`, so the server
answers only with CLAUDIA_METRICS_TOKEN as a bearer (claudia/metrics_access.py). The public ports
answer 404 to `/metrics` and `/metrics/…`. Without private sockets (CLAUDIA_PRIVATE_SOCKETS=0),
the loopback port is both ways in, as before.
"""
from __future__ import annotations

from pathlib import Path
from typing import List, Optional

from serving.proxy_errors import error_answers

METRICS_PATHS = {"/metrics/rasa": "rasa", "/metrics/web": "web"}  # path → HAProxy backend


def metrics_routes() -> List[str]:
    """The internal frontend's lines sending /metrics/<server> to that backend as /metrics."""
    lines = []
    for path, backend in METRICS_PATHS.items():
        lines += [f"    http-request set-var(txn.metrics) str({backend}) if {{ path {path} }}",
                  f"    http-request set-path /metrics if {{ path {path} }}"]
    return lines + [f"    use_backend {backend} if {{ var(txn.metrics) -m str {backend} }}"
                    for backend in METRICS_PATHS.values()]


def internal_frontends(port: int, private_socket: Optional[Path], max_body: int, proxy_health: str) -> List[str]:
    """The web front's way to Rasa (chat relay, the console's token-protected API) and Prometheus' way
    to the metrics. With private sockets the first is a socket of the proxy's own (0600: no other
    local account can queue requests for Rasa there) and the loopback port serves only the metrics
    and the proxy's health; without, both on the loopback port."""
    to_rasa = [f"    http-request deny deny_status 413 if {{ req.hdr_val(content-length) gt {max_body} }}",
               *error_answers("json"), "    default_backend rasa", ""]
    metrics = [f"    monitor-uri {proxy_health}", "    http-request deny deny_status 404 if { path /metrics }"]
    if private_socket is None:
        return ["# The web front's way to Rasa and Prometheus' to the metrics, loopback only.",
                "frontend rasa_internal", f"    bind 127.0.0.1:{port}", *metrics,
                *metrics_routes(), *to_rasa]  # Prometheus' way
    return ["# The web front's way to Rasa, on the proxy's private socket.",
            "frontend rasa_internal", f"    bind unix@{private_socket} mode 600",
            "    http-request deny deny_status 404 if { path /metrics } || { path_beg /metrics/ }", *to_rasa,
            "# Prometheus' way to the metrics (with the token) and the proxy's health, loopback: nothing else.",
            "frontend metrics", f"    bind 127.0.0.1:{port}", *metrics,
            f"    http-request deny deny_status 404 unless {{ path {' '.join(METRICS_PATHS)} {proxy_health} }}",
            *metrics_routes(), *error_answers("json"), ""]
