"""The portal stand-in served for real (aiohttp on loopback): templates escape what they
show, and a stopped or hanging assistant gets a French answer within the chat's timeout."""
import asyncio
import time

from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from claudia import services
from claudia.models import User
from web.console import create_app
from web.portal import ASSISTANT_INDISPONIBLE, ASSISTANT_LENT, add_portal


def hanging_channel():
    async def never(request):
        await asyncio.sleep(30)
        return web.json_response([])

    app = web.Application()
    app.router.add_post("/webhooks/connected/webhook", never)
    app.router.add_post("/webhooks/connected/history", never)
    return app


def with_portal(test, channel_app=None, chat_timeout=1.0):
    async def main():
        channel = TestServer(channel_app) if channel_app else None
        if channel:
            await channel.start_server()
        rasa_url = str(channel.make_url("")).rstrip("/") if channel else "http://127.0.0.1:9"  # nothing listens
        app = create_app(rasa_url, "token")
        add_portal(app, rasa_url, "demo-portail", chat_timeout=chat_timeout)
        async with TestClient(TestServer(app)) as client:
            await test(client)
        if channel:
            await channel.close()

    asyncio.run(main())


async def signed_in(client, login="marie.dupont"):
    page = await (await client.get("/")).text()
    csrf = page.split('name="csrf" value="', 1)[1].split('"', 1)[0]
    response = await client.post("/connexion", data={"login": login, "password": "demo-portail", "csrf": csrf})
    home = await response.text()
    return home, home.split('<meta name="csrf" content="', 1)[1].split('"', 1)[0]


def add_user(login, name):
    with services.handoffs().db.write() as session:
        session.add(User(login=login, name=name))


def test_pages_escape_what_they_show(env):
    add_user("x.pirate", '<script>alert(1)</script> "Pirate"')

    async def test(client):
        sign_in_page = await (await client.get("/")).text()
        assert "&lt;script&gt;alert(1)&lt;/script&gt; &#34;Pirate&#34;" in sign_in_page
        assert "<script>alert(1)" not in sign_in_page
        home, _ = await signed_in(client, "x.pirate")
        assert "Bienvenue, &lt;script&gt;" in home and "<script>alert(1)" not in home
        assert 'role="log"' in home and 'role="alert"' in home

    with_portal(test)


def test_a_stopped_assistant_gets_a_french_answer(env):
    add_user("marie.dupont", "Marie Dupont")

    async def test(client):
        _, csrf = await signed_in(client)
        for path, body in (("/chat/messages", {"message": "bonjour"}), ("/chat/ouvrir", None)):
            answer = await client.post(path, json=body, headers={"X-CSRF-Token": csrf})
            assert answer.status == 503
            assert (await answer.json())["erreur"] == ASSISTANT_INDISPONIBLE
        assert (await client.get("/")).status == 200  # the portal itself keeps running

    with_portal(test)


def test_a_hanging_assistant_gets_a_french_answer_in_time(env):
    add_user("marie.dupont", "Marie Dupont")

    async def test(client):
        _, csrf = await signed_in(client)
        started = time.monotonic()
        answer = await client.post("/chat/messages", json={"message": "bonjour"}, headers={"X-CSRF-Token": csrf})
        assert answer.status == 504 and (await answer.json())["erreur"] == ASSISTANT_LENT
        assert time.monotonic() - started < 3

    with_portal(test, hanging_channel())
