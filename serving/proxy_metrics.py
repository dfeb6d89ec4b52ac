"""Prometheus' way to the metrics of the servers behind the proxy (serving/proxy_config.py).

The Rasa server and the web front listen on private unix sockets only (serving/unix_sockets.py),
so Prometheus reads `/metrics/rasa` and `/metrics/web` on the proxy's internal loopback port, which
passes each on to that server's `/metrics`. The proxy adds `X-Forwarded-For`, so the server answers
only with CLAUDIA_METRICS_TOKEN as a bearer (claudia/metrics_access.py); the public ports answer
404 to `/metrics` and `/metrics/…`.
"""
from __future__ import annotations

from typing import List

METRICS_PATHS = {"/metrics/rasa": "rasa", "/metrics/web": "web"}  # path → HAProxy backend


def metrics_routes() -> List[str]:
    """The internal frontend's lines sending /metrics/<server> to that backend as /metrics."""
    lines = []
    for path, backend in METRICS_PATHS.items():
        lines += [f"    http-request set-var(txn.metrics) str({backend}) if {{ path {path} }}",
                  f"    http-request set-path /metrics if {{ path {path} }}"]
    return lines + [f"    use_backend {backend} if {{ var(txn.metrics) -m str {backend} }}"
                    for backend in METRICS_PATHS.values()]
