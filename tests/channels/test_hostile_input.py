"""Hostile text and numbers sent to the connected channel (issue #26), on a real Sanic
server over real SQLite stores; Rasa's agent is a stand-in that records what reaches it."""
from __future__ import annotations

import asyncio
import contextlib
import itertools
import json

import aiohttp
import pytest
from rasa.core.channels.channel import UserMessage
from sanic import Sanic
from sqlalchemy import func, select

from channels import guards
from channels.connected import ConnectedInput
from claudia import services
from claudia.identity import issue_token
from claudia.models import Conversation
from tests.conftest import SECRET
from tests.e2e.stack import free_port

_names = itertools.count()


class Agent:
    """What the channel uses of Rasa's agent: its NLU, and the turn it hands the message to."""

    def __init__(self):
        self.reached = []

    async def parse_message(self, text):
        return {"text": text, "intent": {"name": "saluer", "confidence": 0.9}, "entities": []}

    async def handle(self, message: UserMessage):
        self.reached.append(message.text)
        await message.output_channel.send_text_message(message.sender_id, "Bonjour, que puis-je faire pour vous ?")


def bearer(login="marie.dupont"):
    return {"Authorization": f"Bearer {issue_token(login, SECRET, 300, None)}"}


def conversations_stored():
    with services.handoffs().db.read() as session:
        return session.execute(select(func.count()).select_from(Conversation)).scalar()


@contextlib.asynccontextmanager
async def served_channel(agent, name: str):
    """The connected channel served by Sanic on loopback; yields its webhooks URL."""
    app = Sanic(name)
    app.ctx.agent = agent
    app.blueprint(ConnectedInput().blueprint(agent.handle), url_prefix="/webhooks/connected")
    port = free_port()
    server = await app.create_server("127.0.0.1", port, return_asyncio_server=True, access_log=False)
    await server.startup()
    await server.start_serving()
    try:
        yield f"http://127.0.0.1:{port}/webhooks/connected"
    finally:
        server.close()
        await server.wait_closed()


def with_channel(test):
    """Runs `test(http, url, agent)` against the channel served by Sanic on loopback."""

    async def main():
        agent = Agent()
        async with served_channel(agent, f"hostile_{next(_names)}") as url:
            async with aiohttp.ClientSession() as http:
                await test(http, url, agent)

    asyncio.run(main())


@pytest.fixture
def channel(env, monkeypatch):
    monkeypatch.setattr(Sanic, "test_mode", True)  # several apps in one process (Sanic's touch-up once)
    guards.reset()
    yield
    guards.reset()


def raw_json(sender, escaped_text):
    """A body with the text as the JSON escape a browser or a script would send."""
    return ('{"sender": "%s", "message": "%s"}' % (sender, escaped_text)).encode("ascii")


@pytest.mark.parametrize("login", ["marie.dupont", None], ids=["signed_in", "anonymous"])
@pytest.mark.parametrize("escaped", ["bon\\ud800jour", "\\udfff", "a\\u0000b", "\\ude00\\ud83d"],
                         ids=["lone_high", "lone_low", "nul", "reversed_pair"])
def test_unstorable_text_gets_a_french_400_before_any_write(channel, login, escaped):
    async def test(http, url, agent):
        headers = {"Content-Type": "application/json", **(bearer() if login else {})}
        async with http.post(f"{url}/webhook", data=raw_json("hostile-1", escaped), headers=headers) as answer:
            assert answer.status == 400
            [reply] = await answer.json()
        assert reply["recipient_id"] == "hostile-1"
        assert "Votre message contient des caractères qui ne peuvent pas être enregistrés" in reply["text"]
        assert agent.reached == [] and conversations_stored() == 0  # nothing sealed, nothing written
        # the conversation goes on: the same user's next message is answered, a real pair (an emoji) is welcome
        async with http.post(f"{url}/webhook", data=raw_json("hostile-1", "merci \\ud83d\\udc4d"),
                             headers=headers) as answer:
            assert answer.status == 200 and (await answer.json())[0]["text"].startswith("Bonjour")
        assert agent.reached == ["merci 👍"]

    with_channel(test)


BAD_NUMBERS = ["²", "99999999999999999999999", "-1", "1e3", " 7", "0x10", "٣"]


@pytest.mark.parametrize("endpoint", ["updates", "messages"])
@pytest.mark.parametrize("after", BAD_NUMBERS)
def test_bad_numbers_in_polling_get_a_french_400(channel, endpoint, after):
    async def test(http, url, agent):
        # the conversation is the caller's: only the number is wrong
        body = json.dumps({"sender": "poll-1", "message": "bonjour"})
        async with http.post(f"{url}/webhook", data=body, headers=bearer()) as answer:
            assert answer.status == 200
        async with http.get(f"{url}/{endpoint}", params={"sender": "poll-1", "after": after},
                            headers=bearer()) as answer:
            assert answer.status == 400
            [reply] = await answer.json()
        assert "« after »" in reply["text"] and "nombre entier" in reply["text"]
        async with http.get(f"{url}/{endpoint}", params={"sender": "poll-1", "after": "0"}, headers=bearer()) as a:
            assert a.status == 200 and (await a.json())["messages"] == []

    with_channel(test)
