"""Messages delivered once, on a real SQLite database: a user's message seen again by its client
id is not handled again; the console's tracker writes wait, in order, for one writer at a time."""
from datetime import timedelta

from claudia import services
from claudia.inbound import InboundMessages, valid_client_id
from claudia.livechat_models import InboundMessage
from claudia.models import utcnow
from claudia.tracker_pending import EVENT, RESUME, PendingTracker


def test_a_message_seen_again_gets_the_first_answer(env):
    store = InboundMessages(services.handoffs().db)
    assert store.begin("conv-1", "abcdef0123456789") is None  # first arrival: handle it
    assert store.begin("conv-1", "abcdef0123456789") == {"answer": None}  # being handled
    assert store.begin("conv-2", "abcdef0123456789") is None  # ids are per conversation
    store.finish("conv-1", "abcdef0123456789", '{"status": 200, "body": "[]"}')
    assert store.begin("conv-1", "abcdef0123456789") == {"answer": '{"status": 200, "body": "[]"}'}
    store.forget("conv-2", "abcdef0123456789")  # its handling failed: a retry handles it
    assert store.begin("conv-2", "abcdef0123456789") is None


def test_a_message_lost_with_its_server_is_handled_again_later(env):
    store = InboundMessages(services.handoffs().db)
    assert store.begin("conv-1", "lost-with-server-1") is None
    with services.handoffs().db.write() as session:
        session.get(InboundMessage, ("conv-1", "lost-with-server-1")).received_at = utcnow() - timedelta(minutes=5)
    assert store.begin("conv-1", "lost-with-server-1") is None
    assert not valid_client_id("short") and not valid_client_id("a b c d e f g h") and valid_client_id("a" * 32)


def test_pending_tracker_writes_in_order_one_writer_at_a_time(env):
    store = PendingTracker(services.handoffs().db)
    first = store.operator_message("conv-1", "Bonjour", "Sophie Durand", "agent.durand")
    store.resume("conv-1", "action_fin_conseiller")
    # The user's chat has the message at once, from the outbox.
    assert [m["text"] for m in services.handoffs().outbox_after("conv-1")] == ["Bonjour"]
    assert [line["text"] for line in store.operator_lines("conv-1")] == ["Bonjour"]
    rows = store.claim("conv-1")
    assert [(r["kind"], r["outbox_id"]) for r in rows] == [(EVENT, first), (RESUME, None)]
    assert rows[0]["payload"]["metadata"] == {"operateur": "Sophie Durand", "operateur_login": "agent.durand",
                                              "outbox": first}
    assert store.claim("conv-1") == []  # another writer waits
    store.done(rows[0]["id"])
    store.release([rows[1]["id"]])  # Rasa went away: the rest is for the next round
    assert [r["kind"] for r in store.claim("conv-1")] == [RESUME]
    assert store.conversations() == ["conv-1"] and store.operator_lines("conv-1") == []


def test_a_resumption_said_by_the_assistant_waits_with_its_words(env):
    store = PendingTracker(services.handoffs().db)
    outbox_id = store.resume_saying("conv-2", "Votre demande a expiré.", [{"title": "Menu", "payload": "/menu"}])
    assert [m["text"] for m in services.handoffs().outbox_after("conv-2")] == ["Votre demande a expiré."]
    (line,) = store.operator_lines("conv-2")  # the chat's history shows it while Rasa is away
    assert (line["author"], line["text"], line["active"]) == ("assistant", "Votre demande a expiré.", True)
    (row,) = store.claim("conv-2")
    assert [e["event"] for e in row["payload"]] == ["resume", "bot", "action"]
    assert row["outbox_id"] == outbox_id and row["payload"][1]["metadata"] == {"outbox": outbox_id}
