"""Feedback store and live-chat queue on a real SQLite database."""
import pytest

from claudia import services
from claudia.db import Database
from claudia.feedback import FeedbackStore
from claudia.handoff import HandoffQueue
from claudia.handoff import ASSISTANT, CLOSED, MESSAGE, ONGOING, OPERATOR, WAITING, HandoffError


def test_feedback_is_stored_with_its_context(env):
    store = services.feedback()
    store.record("c1", "marie.dupont", "positif", {"operation": "activer", "siret": "21930001900011",
                                                   "outcome": "effectuee"})
    store.record("c1", "marie.dupont", "negatif", {}, reason="autre", comment=None, comment_cancelled=True)
    first, second = store.all()
    assert (first["vote"], first["procedure"], first["siret"], first["outcome"]) == (
        "positif", "activer", "21930001900011", "effectuee")
    assert (second["vote"], second["reason"], second["comment"], second["comment_cancelled"]) == (
        "negatif", "autre", None, True)
    assert first["at"].endswith("Z")
    store.record("c2", None, "positif")
    assert [f["vote"] for f in store.for_conversation("c1")] == ["positif", "negatif"]


def test_request_is_queued_once_per_conversation(env):
    queue = services.handoffs()
    first = queue.request("c1", "marie.dupont", {"siret": "x"})
    again = queue.request("c1", "marie.dupont", {"siret": "y"})
    assert first["id"] == again["id"] and first["status"] == WAITING
    assert queue.open_for("c1")["context"] == {"siret": "x"}


def test_listing_is_oldest_first_with_messages_left(env):
    queue = services.handoffs()
    a = queue.request("a", None, {})
    b = queue.request("b", "marie.dupont", {})
    m = queue.leave_message("m", "paul.martin", {}, "Rappelez-moi svp")
    queue.take(b["id"], "agent")
    queue.close(b["id"], "agent")
    listed = queue.listing()
    assert [h["id"] for h in listed] == [a["id"], m["id"]]
    assert listed[1]["status"] == MESSAGE and listed[1]["message"] == "Rappelez-moi svp"


def test_take_close_and_ownership(env):
    queue = services.handoffs()
    handoff = queue.request("c1", "marie.dupont", {})
    with pytest.raises(HandoffError):
        queue.check_owner(handoff["id"], "agent.durand")  # not taken yet
    assert queue.take(handoff["id"], "agent.durand")["status"] == ONGOING
    with pytest.raises(HandoffError):
        queue.close(handoff["id"], "agent.moreau")
    queue.take(handoff["id"], "agent.moreau")  # taking over transfers the chat
    with pytest.raises(HandoffError):
        queue.check_owner(handoff["id"], "agent.durand")
    assert queue.close(handoff["id"], "agent.moreau")["status"] == CLOSED
    with pytest.raises(HandoffError):
        queue.take(handoff["id"], "agent.durand")
    assert queue.open_for("c1") is None


def test_outbox_delivers_in_order_after_an_id(env):
    queue = services.handoffs()
    first = queue.post("c1", OPERATOR, "Bonjour", operator_name="Sophie Durand")
    queue.post("c1", ASSISTANT, "Cette réponse vous a-t-elle aidé ?", buttons=[{"title": "👍", "payload": "/x"}])
    queue.post("c2", OPERATOR, "autre conversation")
    assert [m["text"] for m in queue.outbox_after("c1")] == ["Bonjour", "Cette réponse vous a-t-elle aidé ?"]
    (later,) = queue.outbox_after("c1", first)
    assert later["author"] == ASSISTANT and later["buttons"][0]["payload"] == "/x"


def test_requests_and_feedback_survive_a_restart(env):
    services.handoffs().request("c1", None, {})
    services.feedback().record("c1", None, "positif")
    fresh = Database(services.settings().db_url)  # a new engine, as a restarted process has
    assert HandoffQueue(fresh).open_for("c1")["status"] == WAITING
    assert FeedbackStore(fresh).all()[0]["vote"] == "positif"
