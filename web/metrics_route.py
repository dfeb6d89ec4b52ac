"""`GET /metrics` on the web front: who may read it is claudia/metrics_access.py's rule
(loopback without a proxy, or CLAUDIA_METRICS_TOKEN); besides the counters of this process,
each scrape reads the live-chat queue and the review indexer's lag (claudia/metrics_live.py)."""
from __future__ import annotations

import asyncio

from aiohttp import web

from claudia import metrics
from claudia.db import Database
from claudia.metrics_access import Exposition, allowed, configured_token
from claudia.metrics_live import LiveCollector
from claudia.review_index import make_tracker_engine

PATH = "/metrics"


def add_metrics(app: web.Application, database: Database, tracker_url: str) -> None:
    token = configured_token()
    exposition = Exposition([LiveCollector(database, make_tracker_engine(tracker_url))]) if metrics.enabled() else None

    async def serve_metrics(request: web.Request) -> web.Response:
        if exposition is None:
            return web.Response(status=404, text="metrics disabled (CLAUDIA_METRICS=0)\n")
        if not allowed(request.remote, request.headers, token):
            return web.Response(status=403, text="forbidden\n")
        # The live gauges read the databases: off the event loop.
        body, content_type = await asyncio.get_running_loop().run_in_executor(None, exposition.render)
        response = web.Response(body=body)
        response.headers["Content-Type"] = content_type
        return response

    app.router.add_get(PATH, serve_metrics)
