"""Limits on not-connected visitors (channels/guards.py), with the real settings, and through
the channel served for real (a refused message writes nothing, issue #26)."""
import pytest

from sanic import Sanic
from sqlalchemy import func, select

from channels import guards
from claudia import messages, services
from claudia.models import Conversation, ConversationActivity, RateHit
from tests.channels.test_hostile_input import bearer, with_channel


@pytest.fixture
def limits(env, monkeypatch):
    monkeypatch.setenv("CLAUDIA_ANONYMOUS_RATE", "3")
    monkeypatch.setenv("CLAUDIA_ANONYMOUS_MAX_MESSAGES", "10")
    services.reset()
    guards.reset()
    yield
    guards.reset()


def test_messages_per_address_are_limited(limits):
    assert [guards.anonymous_refusal("10.0.0.1", 0) for _ in range(3)] == [None] * 3
    assert guards.anonymous_refusal("10.0.0.1", 0) == messages.TROP_DE_MESSAGES
    assert guards.anonymous_refusal("10.0.0.2", 0) is None  # another visitor


def test_a_conversation_stops_at_its_cap(limits):
    assert guards.anonymous_refusal("10.0.0.3", 9) is None
    assert guards.anonymous_refusal("10.0.0.3", 10) == messages.LIMITE_CONVERSATION_ANONYME


def _rows(table):
    with services.handoffs().db.read() as session:
        return session.execute(select(func.count()).select_from(table)).scalar()


def test_a_refused_not_connected_message_writes_nothing(limits, monkeypatch):
    """Each message in a new conversation: before, every refused one still stored its
    conversation (a row per message, however many were refused)."""
    monkeypatch.setattr(Sanic, "test_mode", True)

    async def test(http, url, agent):
        for n in range(23):
            async with http.post(f"{url}/webhook", json={"sender": f"visiteur-{n}", "message": "bonjour"}) as answer:
                assert answer.status == (200 if n < 3 else 429), n
                if n >= 3:
                    assert (await answer.json())[0]["text"] == messages.TROP_DE_MESSAGES
        assert len(agent.reached) == 3
        assert (_rows(Conversation), _rows(ConversationActivity), _rows(RateHit)) == (3, 3, 3)  # before: 23, 3, 3
        # a signed-in user's conversation stays hers, and is not counted against the visitor
        async with http.post(f"{url}/webhook", json={"sender": "sienne", "message": "bonjour"},
                             headers=bearer()) as answer:
            assert answer.status == 200
        guards.reset()
        async with http.post(f"{url}/webhook", json={"sender": "sienne", "message": "bonjour"}) as answer:
            assert answer.status == 403
        with services.handoffs().db.write() as session:  # a not-connected conversation at its cap
            session.get(ConversationActivity, "visiteur-0").message_count = 10
        async with http.post(f"{url}/webhook", json={"sender": "visiteur-0", "message": "encore"}) as answer:
            assert answer.status == 429
            assert (await answer.json())[0]["text"] == messages.LIMITE_CONVERSATION_ANONYME
        assert _rows(RateHit) == 1 and len(agent.reached) == 4  # the 403 counted, the capped one not

    with_channel(test)
