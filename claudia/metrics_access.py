"""Who may read `/metrics`, and what it answers (the metrics are in claudia/metrics.py).

Metrics are not public: they tell how busy the service is, what users ask and what fails.
- With CLAUDIA_METRICS_TOKEN set, every request must carry `Authorization: Bearer <token>`
  (compared in constant time), from any address: Prometheus' `authorization` setting.
- Without it, only a request from a loopback address (127.0.0.0/8, ::1) that went through no
  proxy is served: one carrying `Forwarded`, `X-Forwarded-For` or `X-Real-IP` came through a
  reverse proxy on the same machine (HAProxy adds X-Forwarded-For: serving/proxy_config.py), so it
  may come from anyone.
Anything else gets 403; with CLAUDIA_METRICS=0 the route answers 404.

`Exposition.render()` gives the text format: in multi-process mode (PROMETHEUS_MULTIPROC_DIR
set by the launcher, serving/metrics_dir.py) the sum of every worker's files, otherwise this
process's registry; plus the collectors read at each scrape (claudia/metrics_live.py).
"""
from __future__ import annotations

import hmac
import ipaddress
import os
from typing import Iterable, Mapping, Optional, Tuple

TOKEN_ENV = "CLAUDIA_METRICS_TOKEN"
PROXY_HEADERS = ("forwarded", "x-forwarded-for", "x-real-ip")


def configured_token(environ: Mapping[str, str] = os.environ) -> Optional[str]:
    return (environ.get(TOKEN_ENV) or "").strip() or None


def _loopback(address: Optional[str]) -> bool:
    try:
        return ipaddress.ip_address((address or "").split("%", 1)[0]).is_loopback
    except ValueError:
        return False


def allowed(remote_address: Optional[str], headers: Mapping[str, str], token: Optional[str]) -> bool:
    """May this request read the metrics? (`headers`: any mapping, names in any case.)"""
    headers = {str(name).lower(): value for name, value in headers.items()}
    if token:
        sent = headers.get("authorization") or ""
        scheme, _, value = sent.partition(" ")
        return scheme.lower() == "bearer" and hmac.compare_digest(value.strip().encode(), token.encode())
    return _loopback(remote_address) and not any(headers.get(name) for name in PROXY_HEADERS)


class Exposition:
    """The text a scrape gets. `collectors` are read at each scrape (live gauges), in a registry
    of their own (never the process's default one: nothing is read at start-up)."""

    def __init__(self, collectors: Iterable[object] = ()):
        from prometheus_client import CollectorRegistry

        self.multiprocess_dir = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
        self.live = CollectorRegistry(auto_describe=False)
        for collector in collectors:
            self.live.register(collector)

    def render(self) -> Tuple[bytes, str]:
        from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, CollectorRegistry, generate_latest

        registry = REGISTRY
        if self.multiprocess_dir:  # several processes: their files, read at each scrape
            from prometheus_client import multiprocess

            registry = CollectorRegistry()
            multiprocess.MultiProcessCollector(registry, path=self.multiprocess_dir)
        return generate_latest(registry) + generate_latest(self.live), CONTENT_TYPE_LATEST
