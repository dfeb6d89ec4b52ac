"""Hostile bytes, numbers and text against the portal stand-in (issue #26), served for real:
aiohttp on loopback, and for the chat the real connected channel on a Sanic server."""
import asyncio

from aiohttp.test_utils import TestClient, TestServer
from sanic import Sanic

from channels import guards
from tests.channels.test_hostile_input import Agent, conversations_stored, served_channel
from tests.web.test_portal import add_user, signed_in, with_portal
from web.console import create_app
from web.portal import add_portal

HOSTILE_FORMS = [
    (b"login=marie.dupont\xff&password=demo-portail&csrf=x", "application/x-www-form-urlencoded"),
    (b"login=marie.dupont&password=demo-portail", "application/x-www-form-urlencoded; charset=inconnu"),
    (b'--b\r\nContent-Disposition: form-data; name="login"\r\n\r\n\xc3\x28\r\n--b--\r\n',
     "multipart/form-data; boundary=b"),
]


def test_invalid_utf8_on_the_sign_in_form_gets_a_french_400(env):
    async def test(client):
        for body, content_type in HOSTILE_FORMS:
            answer = await client.post("/connexion", data=body, headers={"Content-Type": content_type},
                                       allow_redirects=False)
            page = await answer.text()
            assert answer.status == 400 and "Le formulaire envoyé n'a pas pu être lu" in page, (body, page[:200])
            assert answer.headers["Content-Security-Policy"].startswith("default-src 'self'")
        assert (await client.get("/")).status == 200  # nobody signed in, the portal still answers

    with_portal(test)


def test_bad_numbers_on_the_chat_updates_get_a_french_400(env):
    add_user("marie.dupont", "Marie Dupont")

    async def test(client):
        _, csrf = await signed_in(client)
        for after in ("²", "99999999999999999999999", "-1", "٣"):
            answer = await client.get("/chat/updates", params={"after": after}, headers={"X-CSRF-Token": csrf})
            assert answer.status == 400 and "« after »" in (await answer.json())["erreur"], after

    with_portal(test)


def test_a_lone_surrogate_typed_in_the_chat_gets_a_french_answer_and_nothing_stored(env, monkeypatch):
    """Browser → portal → the real channel: the message is refused in French, the next one is answered."""
    monkeypatch.setattr(Sanic, "test_mode", True)
    guards.reset()
    add_user("marie.dupont", "Marie Dupont")

    async def main():
        agent = Agent()
        async with served_channel(agent, "portal_hostile") as url:
            rasa = url.rsplit("/webhooks", 1)[0]
            app = create_app(rasa, "token")
            add_portal(app, rasa, "demo-portail", chat_timeout=5)
            try:
                async with TestClient(TestServer(app)) as client:
                    _, csrf = await signed_in(client)
                    headers = {"X-CSRF-Token": csrf, "Content-Type": "application/json"}
                    refused = await client.post("/chat/messages", data=b'{"message": "activer \\ud800"}',
                                                headers=headers)
                    assert refused.status == 400
                    [reply] = await refused.json()
                    assert "caractères qui ne peuvent pas être enregistrés" in reply["text"]
                    assert agent.reached == [] and conversations_stored() == 0
                    answered = await client.post("/chat/messages", json={"message": "bonjour"}, headers=headers)
                    assert answered.status == 200 and agent.reached == ["bonjour"]
            finally:
                guards.reset()

    asyncio.run(main())
