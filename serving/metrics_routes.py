"""`GET /metrics` on a Sanic server (the Rasa server, the action server): who may read it is
claudia/metrics_access.py's rule (loopback without a proxy, or CLAUDIA_METRICS_TOKEN)."""
from __future__ import annotations

from sanic import response
from sanic.request import Request

from claudia import metrics
from claudia.metrics_access import Exposition, allowed, configured_token

PATH = "/metrics"


def add_sanic_route(app) -> None:
    token = configured_token()
    exposition = Exposition() if metrics.enabled() else None

    @app.route(PATH, methods=["GET"], name="claudia_metrics")
    async def serve_metrics(request: Request):
        if exposition is None:
            return response.text("metrics disabled (CLAUDIA_METRICS=0)\n", status=404)
        if not allowed(request.ip, request.headers, token):
            return response.text("forbidden\n", status=403)
        body, content_type = exposition.render()
        return response.raw(body, content_type=content_type)
