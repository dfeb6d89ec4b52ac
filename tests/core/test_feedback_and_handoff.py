"""Feedback store and live-chat queue on a real SQLite database."""
import threading

import pytest

from claudia import services
from claudia.db import Database
from claudia.feedback import FeedbackStore
from claudia.handoff import HandoffQueue
from claudia.handoff import ASSISTANT, CLOSED, MESSAGE, ONGOING, OPERATOR, WAITING, HandoffError, TakenByAnother


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
    with pytest.raises(TakenByAnother) as taken:  # taking a chat someone has is refused, naming them
        queue.take(handoff["id"], "agent.moreau")
    assert taken.value.operator == "agent.durand" and queue.get(handoff["id"])["operator"] == "agent.durand"
    assert queue.take(handoff["id"], "agent.durand")["joined"] is False  # one's own chat again: no change
    with pytest.raises(TakenByAnother):  # a take-over names who the taker was told has it
        queue.take_over(handoff["id"], "agent.moreau", "agent.martin")
    assert queue.take_over(handoff["id"], "agent.moreau", "agent.durand")["operator"] == "agent.moreau"
    with pytest.raises(TakenByAnother):  # the same confirmation twice: the chat has moved on
        queue.take_over(handoff["id"], "agent.lucas", "agent.durand")
    with pytest.raises(HandoffError):
        queue.check_owner(handoff["id"], "agent.durand")
    assert queue.close(handoff["id"], "agent.moreau")["status"] == CLOSED
    with pytest.raises(HandoffError):
        queue.take(handoff["id"], "agent.durand")
    assert queue.open_for("c1") is None


def race_to_take(database, takers=8):
    """`takers` operators take the same waiting chat at the same moment, each from its own
    thread and database session: one take wins, every other one is told who has it."""
    queue = HandoffQueue(database)
    handoff = queue.request("c1", "marie.dupont", {})
    start, results = threading.Barrier(takers), {}

    def take(login):
        start.wait()
        try:
            results[login] = queue.take(handoff["id"], login)
        except HandoffError as error:
            results[login] = error

    threads = [threading.Thread(target=take, args=(f"agent.{n}",)) for n in range(takers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    winners = [login for login, result in results.items() if isinstance(result, dict)]
    assert len(results) == takers and len(winners) == 1 and results[winners[0]]["joined"] is True
    assert all(isinstance(r, TakenByAnother) and r.operator == winners[0]
               for login, r in results.items() if login != winners[0])
    assert queue.get(handoff["id"])["operator"] == winners[0]


def test_operators_taking_a_chat_at_once_one_wins(env):
    race_to_take(services.handoffs().db)


def test_operators_taking_a_chat_at_once_one_wins_on_postgresql():
    from tests.conftest import fresh_pg_schema
    with fresh_pg_schema("handoff_take_test") as url:
        database = Database(url)
        try:
            race_to_take(database)
        finally:
            database.engine.dispose()


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


# -- waiting room: place in the queue, giving up, expiry, presence ----------------------------
def test_place_in_queue_and_estimate(env):
    from claudia.waiting import DEFAULT_MEAN_WAIT_SECONDS
    queue, room = services.handoffs(), services.waiting_room()
    queue.request("a", "marie.dupont", {})
    queue.request("b", "paul.martin", {})
    news = room.news_for_user("b")
    assert (news["status"], news["position"]) == (WAITING, 2)
    assert news["estimate_minutes"] == 2 * DEFAULT_MEAN_WAIT_SECONDS // 60
    assert room.news_for_user("a")["position"] == 1
    assert room.news_for_user("nobody") is None


def test_giving_up_withdraws_only_a_waiting_request(env):
    from claudia.waiting import CANCELLED
    queue, room = services.handoffs(), services.waiting_room()
    first = queue.request("a", "marie.dupont", {})
    assert room.cancel("a")["status"] == CANCELLED
    assert queue.open_for("a") is None and room.cancel("a") is None
    second = queue.request("b", "paul.martin", {})
    queue.take(second["id"], "agent.durand")
    assert room.cancel("b") is None and queue.open_for("b")["status"] == ONGOING
    assert first["id"] not in [c["id"] for c in queue.listing()]


def test_requests_of_users_who_left_expire(env, monkeypatch):
    from datetime import timedelta
    from claudia import waiting
    from claudia.waiting import EXPIRED
    queue, room = services.handoffs(), services.waiting_room()
    queue.request("present", "marie.dupont", {})
    queue.request("gone", "paul.martin", {})
    queue.request("closed-page", "luc.bernard", {})
    room.news_for_user("present")
    room.user_left("closed-page")
    assert room.expire_abandoned(60) == []  # nobody silent for a minute yet, the page closed just now
    later = waiting.utcnow() + timedelta(seconds=30)
    monkeypatch.setattr(waiting, "utcnow", lambda: later)
    expired = room.expire_abandoned(120)
    assert [h["conversation_id"] for h in expired] == ["closed-page"]
    assert expired[0]["status"] == EXPIRED
    much_later = later + timedelta(seconds=200)
    monkeypatch.setattr(waiting, "utcnow", lambda: much_later)
    assert sorted(h["conversation_id"] for h in room.expire_abandoned(120)) == ["gone", "present"]
    assert [c for c in queue.listing() if c["status"] == WAITING] == []


def test_operator_sees_presence_and_time_to_first_answer(env):
    queue, room = services.handoffs(), services.waiting_room()
    handoff = queue.request("a", "marie.dupont", {})
    room.news_for_user("a")
    assert room.presence([handoff["id"]])[handoff["id"]] == {
        "user_left": False, "user_closed_page": False, "first_answer_seconds": None}
    queue.take(handoff["id"], "agent.durand")
    room.operator_answered(handoff["id"])
    room.user_left("a")
    seen = room.presence([handoff["id"]])[handoff["id"]]
    assert seen["user_closed_page"] and seen["user_left"] and seen["first_answer_seconds"] == 0


# -- tickets: messages left, answered from the console, delivered once -------------------------
def test_left_message_is_answered_and_delivered_once(env):
    tickets, queue = services.tickets(), services.handoffs()
    left = queue.leave_message("conv-1", "marie.dupont", {}, "Ma structure n'apparaît pas")
    anonymous = queue.leave_message("conv-2", None, {}, "Bonjour ?")
    assert [t["id"] for t in tickets.listing()["open"]] == [left["id"], anonymous["id"]]
    with pytest.raises(HandoffError):
        tickets.answer(left["id"], "agent.durand", "Sophie Durand", "   ")
    answered = tickets.answer(left["id"], "agent.durand", "Sophie Durand", "Nous avons corrigé le rattachement.")
    assert answered["status"] == "repondu" and answered["answer"]["delivered_at"] is None
    with pytest.raises(HandoffError):
        tickets.answer(left["id"], "agent.moreau", "Luc Moreau", "Encore")
    assert [t["id"] for t in tickets.listing()["open"]] == [anonymous["id"]]
    # A later sign-in is another conversation: the answer follows the login, once.
    assert tickets.deliver("paul.martin", "conv-9") == []
    delivered = tickets.deliver("marie.dupont", "conv-3")
    assert [d["answer"]["text"] for d in delivered] == ["Nous avons corrigé le rattachement."]
    assert tickets.deliver("marie.dupont", "conv-3") == []
    assert tickets.listing()["answered"][0]["answer"]["delivered_at"]
    tickets.answer(anonymous["id"], "agent.durand", "Sophie Durand", "Bonjour !")
    assert tickets.deliver(None, "conv-other") == [] and len(tickets.deliver(None, "conv-2")) == 1


# -- the conversation as people read it ------------------------------------------------------
def test_history_shows_titles_answered_buttons_and_only_the_newest_active():
    from claudia.chat_history import readable
    menu = [{"title": "Je veux activer/inactiver ma structure", "payload": "/demander_changement_statut"}]
    yes_no = [{"title": "Oui", "payload": "/affirmer"}, {"title": "Non", "payload": "/nier"}]
    events = [
        {"event": "action", "name": "action_session_start"},
        {"event": "bot", "text": "Bonjour", "data": {"buttons": menu}},
        {"event": "user", "text": "/demander_changement_statut"},
        {"event": "bot", "text": "Est-ce la bonne ?", "data": {"buttons": yes_no}},
        {"event": "user", "text": "/affirmer"},
        {"event": "bot", "text": "Cette réponse vous a-t-elle aidé ?", "data": {"buttons": yes_no}},
        {"event": "user", "text": "/restart"},  # not offered: an internal command, not shown
        {"event": "bot", "text": "Je regarde.", "metadata": {"operateur": "Sophie Durand"}},
    ]
    lines = readable(events)
    assert [(line["author"], line["text"]) for line in lines] == [
        ("assistant", "Bonjour"), ("utilisateur", "Je veux activer/inactiver ma structure"),
        ("assistant", "Est-ce la bonne ?"), ("utilisateur", "Oui"),
        ("assistant", "Cette réponse vous a-t-elle aidé ?"), ("operateur", "Je regarde.")]
    assert [line["chosen"] for line in lines if line["buttons"]] == ["/demander_changement_statut", "/affirmer", None]
    assert [line["active"] for line in lines] == [False, False, False, False, True, False]
    assert lines[-1]["operator_name"] == "Sophie Durand"
