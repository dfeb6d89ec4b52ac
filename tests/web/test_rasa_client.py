"""The web front's client of Rasa over a unix socket (web/rasa_client.py), against a real aiohttp
server listening on one, as the proxy's private socket is in `make run`."""
import asyncio

from aiohttp import web

from serving.unix_sockets import url
from web.rasa_api import RasaApi
from web.rasa_client import rasa_address


def test_a_port_url_is_kept_as_it_is():
    assert rasa_address("http://127.0.0.1:5006/") == ("http://127.0.0.1:5006", None)


def test_the_console_api_reaches_a_server_on_a_unix_socket(tmp_path):
    sock = tmp_path / "proxy-rasa.sock"
    seen = []

    async def tracker(request):
        seen.append((request.path, request.query.get("token")))
        return web.json_response({"events": [{"event": "user", "text": "bonjour"}]})

    async def scenario():
        app = web.Application()
        app.router.add_get("/conversations/{sender}/tracker", tracker)
        runner = web.AppRunner(app)
        await runner.setup()
        await web.UnixSite(runner, str(sock)).start()
        try:
            return await RasaApi(url(sock, ""), "jeton").events("conv/1")
        finally:
            await runner.cleanup()

    assert asyncio.run(scenario()) == [{"event": "user", "text": "bonjour"}]
    assert seen == [("/conversations/conv/1/tracker", "jeton")]
