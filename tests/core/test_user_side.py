"""The live chat's life from the user's side, on a real SQLite database: ending a chat,
signing out, and the account's conversation followed across sign-ins."""
from datetime import timedelta

from claudia import services
from claudia.handoff import CLOSED
from claudia.livechat_models import AccountConversation
from claudia.models import ConversationActivity, utcnow
from claudia.user_side import BUTTON, NEW_CONVERSATION, UserSide
from claudia.waiting import CANCELLED


def test_ending_a_chat_closes_it_and_keeps_how_for_the_operator(env):
    queue, side = services.handoffs(), UserSide(services.handoffs().db)
    waiting = queue.request("conv-a", "marie.dupont", {})
    ongoing = queue.request("conv-b", "marie.dupont", {})
    queue.take(ongoing["id"], "agent.durand")
    assert side.end("conv-a", NEW_CONVERSATION)["was"] == "attente"
    assert side.end("conv-b", BUTTON)["was"] == "en_cours"
    assert queue.get(waiting["id"])["status"] == CANCELLED and queue.get(ongoing["id"])["status"] == CLOSED
    assert side.end("conv-b", BUTTON) is None  # nothing open any more
    assert side.of([waiting["id"], ongoing["id"]]) == {
        waiting["id"]: {"user_signed_out": False, "user_ended": NEW_CONVERSATION},
        ongoing["id"]: {"user_signed_out": False, "user_ended": BUTTON}}


def test_signing_out_is_told_until_the_user_gives_news_again(env):
    queue, side = services.handoffs(), UserSide(services.handoffs().db)
    handoff = queue.request("conv-c", "marie.dupont", {})
    queue.take(handoff["id"], "agent.durand")
    assert side.signed_out("conv-c") == handoff["id"]
    assert side.of([handoff["id"]])[handoff["id"]]["user_signed_out"] is True
    assert services.waiting_room().presence([handoff["id"]])[handoff["id"]]["user_left"] is True
    assert queue.get(handoff["id"])["status"] == "en_cours"  # the chat stays open for their return
    services.waiting_room().news_for_user("conv-c")  # back: signed in again, the chat polls
    assert side.of([handoff["id"]])[handoff["id"]]["user_signed_out"] is False
    assert side.signed_out("no-chat") is None


def test_a_sign_in_continues_the_accounts_conversation(env):
    side = UserSide(services.handoffs().db)
    first = side.conversation_for_sign_in("marie.dupont", timedelta(hours=24))
    assert side.conversation_for_sign_in("marie.dupont", timedelta(hours=24)) == first  # recent: continued
    assert side.conversation_for_sign_in("paul.martin", timedelta(hours=24)) != first  # another account
    renewed = side.start_new("marie.dupont")
    assert renewed != first and side.current("marie.dupont") == renewed
    # Old and quiet: a new one; but an open live chat is always found again, however old.
    with services.handoffs().db.write() as session:
        session.get(AccountConversation, "marie.dupont").started_at = utcnow() - timedelta(days=3)
        session.add(ConversationActivity(sender_id=renewed, last_message_at=utcnow() - timedelta(days=3)))
    later = side.conversation_for_sign_in("marie.dupont", timedelta(hours=24))
    assert later != renewed
    services.handoffs().request(renewed, "marie.dupont", {})
    assert side.conversation_for_sign_in("marie.dupont", timedelta(hours=24)) == renewed


def test_ended_chats_are_purged_with_what_the_user_did(env):
    from claudia.livechat_models import HandoffUserSide
    from claudia.retention import purge_live_chats

    queue, side = services.handoffs(), UserSide(services.handoffs().db)
    handoff = queue.request("conv-old", "marie.dupont", {})
    side.signed_out("conv-old")
    side.end("conv-old", BUTTON)
    assert purge_live_chats(queue.db, timedelta(seconds=-1))["live_chats"] == 1
    with queue.db.read() as session:
        assert session.get(HandoffUserSide, handoff["id"]) is None
