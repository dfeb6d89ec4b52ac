"""The operators' console routes, served for real (aiohttp on loopback), with a
loopback stand-in for the three Rasa API calls it makes."""
import asyncio
import re

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from claudia import services
from claudia.accounts import Accounts, check_password, hash_password
from web.console import create_app

TOKEN = "api-token-for-tests"


def fake_rasa(events_by_conversation):
    """Rasa's tracker / events / execute endpoints, refusing calls without the token."""

    @web.middleware
    async def token_required(request, handler):
        if request.query.get("token") != TOKEN:
            return web.json_response({"message": "unauthorized"}, status=401)
        return await handler(request)

    async def tracker(request):
        return web.json_response({"events": events_by_conversation.get(request.match_info["cid"], [])})

    async def append(request):
        events_by_conversation.setdefault(request.match_info["cid"], []).extend(await request.json())
        return web.json_response({})

    async def execute(request):
        name = (await request.json())["name"]
        events_by_conversation.setdefault(request.match_info["cid"], []).append({"event": "action", "name": name})
        return web.json_response({"messages": [{"text": "ClaudIA reprend.", "buttons": [
            {"title": "👍", "payload": "/evaluer_positif"}]}]})

    app = web.Application(middlewares=[token_required])
    app.router.add_get("/conversations/{cid}/tracker", tracker)
    app.router.add_post("/conversations/{cid}/tracker/events", append)
    app.router.add_post("/conversations/{cid}/execute", execute)
    return app


def with_console(test, events=None):
    """Runs `test(client, events)` against a real console server and the Rasa stand-in."""
    events = {} if events is None else events

    async def main():
        rasa = TestServer(fake_rasa(events))
        await rasa.start_server()
        console = create_app(str(rasa.make_url("")), TOKEN)
        async with TestClient(TestServer(console)) as client:
            await test(client, events)
        await rasa.close()

    asyncio.run(main())


@pytest.fixture
def accounts(env):
    accounts = Accounts(services.handoffs().db)
    accounts.upsert("agent.durand", "Sophie <b>Durand</b>", "mot-de-passe-1")
    accounts.upsert("agent.moreau", "Karim Moreau", "mot-de-passe-2")
    accounts.upsert("relecteur", "Rita Relecture", "mot-de-passe-3", role="relecteur")
    return accounts


async def sign_in(client, login, password):
    page = await client.get("/console/login")
    csrf = re.search(r'name="csrf" value="([^"]+)"', await page.text()).group(1)
    response = await client.post("/console/login", data={"login": login, "password": password, "csrf": csrf},
                                 allow_redirects=False)
    return response


async def csrf_of(client):
    page = await (await client.get("/console/")).text()
    return re.search(r'<meta name="csrf" content="([^"]+)"', page).group(1)


def test_passwords_are_hashed():
    stored = hash_password("secret-123")
    assert "secret-123" not in stored and stored.startswith("$argon2id$")
    assert check_password("secret-123", stored) and not check_password("secret-124", stored)
    assert hash_password("secret-123") != stored  # salted


def test_pages_and_api_need_a_signed_in_operator(accounts):
    async def test(client, events):
        assert (await client.get("/console/api/chats")).status == 401
        page = await client.get("/console/", allow_redirects=False)
        assert page.status == 302 and page.headers["Location"] == "/console/login"
        assert (await client.post("/console/api/chats/1/take")).status == 401
        bad = await sign_in(client, "agent.durand", "wrong-password")
        assert bad.status == 200 and "incorrect" in await bad.text()
        assert (await client.get("/console/api/chats")).status == 401

    with_console(test)


def test_login_needs_the_form_token(accounts):
    async def test(client, events):
        response = await client.post("/console/login", allow_redirects=False,
                                     data={"login": "agent.durand", "password": "mot-de-passe-1", "csrf": "x"})
        assert response.status == 200 and "expiré" in await response.text()
        assert (await client.get("/console/api/chats")).status == 401

    with_console(test)


def test_a_reviewer_is_not_an_operator(accounts):
    async def test(client, events):
        assert (await sign_in(client, "relecteur", "mot-de-passe-3")).status == 302
        assert (await client.get("/console/api/chats")).status == 403

    with_console(test)


def test_each_sign_in_gets_a_new_session(accounts):
    async def test(client, events):
        await sign_in(client, "agent.durand", "mot-de-passe-1")
        first = client.session.cookie_jar.filter_cookies(client.make_url("/console/"))["claudia_console"].value
        await sign_in(client, "agent.durand", "mot-de-passe-1")
        second = client.session.cookie_jar.filter_cookies(client.make_url("/console/"))["claudia_console"].value
        assert first != second
        assert accounts.user_for(first) is not None  # both valid, neither chosen by the browser
        assert accounts.user_for("chosen-by-an-attacker") is None

    with_console(test)


def test_operator_acts_only_on_a_chat_taken(accounts):
    queue = services.handoffs()
    services.conversations().claim("conv-1", "marie.dupont")
    handoff = queue.request("conv-1", "marie.dupont", {"siret": "21930001900011"})

    async def test(client, events):
        events["conv-1"] = [{"event": "user", "text": "<script>alert(1)</script>", "timestamp": 1}]
        await sign_in(client, "agent.durand", "mot-de-passe-1")
        csrf = await csrf_of(client)
        hid = handoff["id"]
        no_token = await client.post(f"/console/api/chats/{hid}/take")
        assert no_token.status == 403
        message = await client.post(f"/console/api/chats/{hid}/messages", json={"text": "Bonjour"},
                                    headers={"X-CSRF-Token": csrf})
        assert message.status == 409  # not taken yet
        assert (await client.post(f"/console/api/chats/{hid}/take", headers={"X-CSRF-Token": csrf})).status == 200
        assert queue.get(hid)["operator"] == "agent.durand"
        sent = await client.post(f"/console/api/chats/{hid}/messages", json={"text": "Bonjour"},
                                 headers={"X-CSRF-Token": csrf})
        assert sent.status == 200
        transcript = (await (await client.get(f"/console/api/chats/{hid}")).json())["transcript"]
        assert transcript[0] == {"author": "utilisateur", "text": "<script>alert(1)</script>", "at": 1}
        assert transcript[-1]["author"] == "operateur" and transcript[-1]["text"] == "Bonjour"
        assert [m["text"] for m in queue.outbox_after("conv-1")][-1] == "Bonjour"

        # another operator cannot close it without taking it
        client.session.cookie_jar.clear()
        await sign_in(client, "agent.moreau", "mot-de-passe-2")
        csrf2 = await csrf_of(client)
        assert (await client.post(f"/console/api/chats/{hid}/close", headers={"X-CSRF-Token": csrf2})).status == 409
        assert (await client.post(f"/console/api/chats/{hid}/take", headers={"X-CSRF-Token": csrf2})).status == 409
        assert (await client.post(f"/console/api/chats/{hid}/take-over", json={"from": "agent.durand"},
                                  headers={"X-CSRF-Token": csrf2})).status == 200
        closed = await client.post(f"/console/api/chats/{hid}/close", headers={"X-CSRF-Token": csrf2})
        assert closed.status == 200
        assert [e.get("event") for e in events["conv-1"]][-3:] == ["resume", "action", "action"]
        assert events["conv-1"][-2]["name"] == "action_fin_conseiller"
        assert events["conv-1"][-1]["name"] == "action_listen"
        assert queue.outbox_after("conv-1")[-1]["buttons"][0]["payload"] == "/evaluer_positif"
        assert services.conversations().offered_payloads("conv-1") == ["/evaluer_positif"]

    with_console(test)


def test_names_are_escaped_in_pages(accounts):
    async def test(client, events):
        await sign_in(client, "agent.durand", "mot-de-passe-1")
        page = await (await client.get("/console/")).text()
        assert "Sophie &lt;b&gt;Durand&lt;/b&gt;" in page and "<b>Durand</b>" not in page
        response = await client.get("/console/")
        assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]

    with_console(test)
