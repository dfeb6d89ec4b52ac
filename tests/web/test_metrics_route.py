"""`GET /metrics` on the web front, through real HTTP on this machine: served to a loopback
caller that came through no proxy, refused to any other and to anyone without the token
when CLAUDIA_METRICS_TOKEN is set; the live gauges read the real (SQLite) databases."""
import asyncio
import socket

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from claudia import services
from web.metrics_route import add_metrics


def own_address():
    """This machine's address on its network (not loopback), or None."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        try:
            probe.connect(("192.0.2.1", 9))  # no packet is sent: it only picks the route
            address = probe.getsockname()[0]
        except OSError:
            return None
    return None if address.startswith("127.") or address == "0.0.0.0" else address


def scrape(env, host="127.0.0.1", connect_to="127.0.0.1", headers=None):
    app = web.Application()
    add_metrics(app, services.handoffs().db, f"sqlite:///{env / 'tracker.db'}")

    async def main():
        async with TestServer(app, host=host) as server, aiohttp.ClientSession() as http:
            async with http.get(f"http://{connect_to}:{server.port}/metrics", headers=headers or {}) as answer:
                return answer.status, await answer.text()

    return asyncio.run(main())


def test_loopback_reads_the_live_gauges(env):
    services.handoffs().request("conversation-en-attente", "marie.dupont", {})
    status, body = scrape(env)
    assert status == 200
    assert 'claudia_livechat_queue{status="waiting"} 1.0' in body
    assert "claudia_messages_left_open 0.0" in body
    assert "claudia_review_index_lag_events 0.0" in body  # no tracker table yet: nothing behind
    assert "# TYPE claudia_turn_seconds histogram" in body and "\nclaudia_fallbacks_total " in body
    assert "conversation-en-attente" not in body and "marie.dupont" not in body


def test_a_request_through_a_local_proxy_is_refused(env):
    assert scrape(env, headers={"X-Forwarded-For": "203.0.113.9"})[0] == 403


def test_another_address_is_refused(env):
    address = own_address()
    if address is None:
        pytest.skip("this machine has no network address besides loopback")
    assert scrape(env, host="0.0.0.0", connect_to=address)[0] == 403


def test_with_a_token_only_its_bearer_reads_them(env, monkeypatch):
    monkeypatch.setenv("CLAUDIA_METRICS_TOKEN", "jeton-de-supervision-0123456789")
    assert scrape(env)[0] == 403  # even from loopback
    assert scrape(env, headers={"Authorization": "Bearer pas-le-bon"})[0] == 403
    status, body = scrape(env, headers={"Authorization": "Bearer jeton-de-supervision-0123456789"})
    assert status == 200 and "claudia_livechat_queue" in body
