"""Each server killed (SIGKILL) and restarted during a live chat, in Chromium (the user) and
through the console's API (the operator): no message is lost in either direction. What a
server accepted arrives once; what it could not accept, its sender is told (#23)."""
import os
import signal
import time

import pytest
import requests

from tests.e2e.browser_kit import browser, open_chat, page, sign_in, type_message  # noqa: F401
from tests.e2e.stack import API_TOKEN, Chat, Operator, wait_for


def live_chat(page, stack):
    sign_in(page)
    open_chat(page)
    type_message(page, "je veux parler à un conseiller")
    page.wait_for_selector("text=va vous rejoindre")
    operator = Operator(stack, "agent.durand")
    handoff_id = [c for c in operator.chats() if c["login"] == "marie.dupont" and c["status"] == "attente"][-1]["id"]
    assert operator.post(handoff_id, "take").status_code == 200
    page.wait_for_selector(".message.operateur >> text=a rejoint la conversation")
    return operator, handoff_id


def kill(stack, name):
    process = stack.named[name][0]
    process.kill()
    process.wait(timeout=30)


def transcript(operator, handoff_id):
    return [(line["author"], line["text"]) for line in operator.chat(handoff_id)["transcript"]]


def shown(page, author, text):
    return page.locator(f".message.{author} p", has_text=text).count()


def reloaded(page):
    page.reload()
    page.wait_for_selector("#open-chat")
    open_chat(page)


def test_rasa_killed_during_a_live_chat(page, stack):
    operator, handoff_id = live_chat(page, stack)
    kill(stack, "rasa")
    try:
        # The operator's message is accepted (stored) and the console says the transcript follows.
        answer = operator.post(handoff_id, "messages", {"text": "Message écrit pendant le redémarrage."})
        assert answer.status_code == 200 and "dès le retour de l'assistant" in answer.json()["info"]
        # The user's message cannot be taken: they are told, with no promise it will be handled.
        type_message(page, "Message de l'utilisateur pendant la panne")
        page.locator("#chat-alert", has_text="momentanément indisponible").wait_for(timeout=12000)
    finally:
        stack.start_server("rasa")
    page.wait_for_selector(".message.operateur >> text=Message écrit pendant le redémarrage.", timeout=30000)
    wait_for(lambda: ("operateur", "Message écrit pendant le redémarrage.") in transcript(operator, handoff_id),
             timeout=20)
    type_message(page, "Bien reçu, merci")
    wait_for(lambda: ("utilisateur", "Bien reçu, merci") in transcript(operator, handoff_id), timeout=20)
    lines = transcript(operator, handoff_id)
    assert lines.count(("operateur", "Message écrit pendant le redémarrage.")) == 1
    assert ("utilisateur", "Message de l'utilisateur pendant la panne") not in lines  # refused, and said so
    reloaded(page)
    page.wait_for_selector(".message.user >> text=Bien reçu, merci")
    assert shown(page, "operateur", "Message écrit pendant le redémarrage.") == 1
    assert operator.post(handoff_id, "close").status_code == 200


def test_actions_killed_during_a_live_chat_and_at_its_close(page, stack):
    operator, handoff_id = live_chat(page, stack)
    kill(stack, "actions")
    try:
        assert operator.post(handoff_id, "messages", {"text": "Je vérifie votre structure."}).status_code == 200
        page.wait_for_selector(".message.operateur >> text=Je vérifie votre structure.")
        type_message(page, "Merci, je patiente")
        wait_for(lambda: ("utilisateur", "Merci, je patiente") in transcript(operator, handoff_id), timeout=20)
        # Closed while the assistant cannot run its actions: its return waits, and is done later.
        closed = operator.post(handoff_id, "close")
        assert closed.status_code == 200
    finally:
        stack.start_server("actions")
    page.wait_for_selector("text=ClaudIA reprend la conversation", timeout=30000)
    assert page.locator(".message.assistant", has_text="ClaudIA reprend la conversation").count() == 1
    lines = transcript(operator, handoff_id)
    assert lines.count(("operateur", "Je vérifie votre structure.")) == 1
    assert lines.count(("utilisateur", "Merci, je patiente")) == 1
    type_message(page, "c'est quoi un SIRET ?")  # the assistant answers again
    page.wait_for_selector("text=14 chiffres qui identifie un établissement")


def test_web_front_killed_during_a_live_chat(page, stack):
    operator, handoff_id = live_chat(page, stack)
    kill(stack, "web")
    try:
        with pytest.raises(requests.ConnectionError):  # the console cannot send: the operator sees it
            operator.post(handoff_id, "messages", {"text": "perdu ?"})
        type_message(page, "Vous êtes là ?")
        page.locator("#chat-alert", has_text="indisponible").wait_for(timeout=12000)
    finally:
        stack.start_server("web")
    operator = Operator(stack, "agent.durand")  # sessions survive; a new sign-in is simplest
    assert operator.post(handoff_id, "messages", {"text": "Oui, je suis là."}).status_code == 200
    page.wait_for_selector(".message.operateur >> text=Oui, je suis là.", timeout=30000)
    type_message(page, "Parfait")
    wait_for(lambda: ("utilisateur", "Parfait") in transcript(operator, handoff_id), timeout=20)
    assert ("operateur", "perdu ?") not in transcript(operator, handoff_id)
    assert operator.post(handoff_id, "close").status_code == 200


def test_a_message_sent_again_after_a_timeout_is_answered_once(page, stack):
    """Slow, not lost: Rasa has the message and waits for its (stopped) action server past the
    chat's timeout; the chat sends it again meanwhile, with the same id."""
    sign_in(page)
    open_chat(page)
    actions = stack.pids("actions")
    for pid in actions:
        os.kill(pid, signal.SIGSTOP)
    try:
        type_message(page, "c'est quoi un SIRET ?")
        alert = page.locator("#chat-alert", has_text="votre message est bien reçu")
        alert.wait_for(timeout=12000)
        assert "éessayez" not in alert.inner_text()  # it will be handled: no « réessayez »
        time.sleep(8)  # the chat sends it again (same id) meanwhile
    finally:
        for pid in actions:
            os.kill(pid, signal.SIGCONT)
    page.wait_for_selector("text=14 chiffres qui identifie un établissement", timeout=40000)
    page.wait_for_timeout(4000)  # any late duplicate would show by now
    assert page.locator(".message.assistant", has_text="14 chiffres qui identifie").count() == 1
    reloaded(page)
    page.wait_for_selector("text=14 chiffres qui identifie un établissement")
    assert shown(page, "user", "c'est quoi un SIRET ?") == 1  # handled once: one turn in the tracker
    assert page.locator(".message.assistant", has_text="14 chiffres qui identifie").count() == 1


def user_turns(stack, sender, text):
    tracker = requests.get(f"http://127.0.0.1:{stack.rasa_port}/conversations/{sender}/tracker",
                           params={"token": API_TOKEN}, timeout=30).json()
    return [e for e in tracker["events"] if e.get("event") == "user" and e.get("text") == text]


def test_the_channel_handles_a_client_id_once_even_when_its_first_sender_gave_up(stack):
    """The channel itself: the first arrival's sender stops waiting (its connection closes); the
    message is still handled, once; arrivals with the same id get that answer, never a second turn."""
    sender, client_id = f"e2e-once-{os.getpid()}-{time.monotonic_ns()}", "retry-test-0123456789"
    chat = Chat(stack, sender, login="marie.dupont")
    chat.say("bonjour")
    actions = stack.pids("actions")
    for pid in actions:
        os.kill(pid, signal.SIGSTOP)
    try:
        with pytest.raises(requests.Timeout):  # the sender gives up after 2 s
            requests.post(stack.webhook, json={"sender": sender, "message": "c'est quoi un SIRET ?",
                                               "client_id": client_id},
                          headers={"Authorization": f"Bearer {chat.token}"}, timeout=2)
        chat.say("c'est quoi un SIRET ?", client_id=client_id)  # sent again: still being handled
        assert chat.status == 202 and chat.replies == {"en_cours": True}
    finally:
        for pid in actions:
            os.kill(pid, signal.SIGCONT)
    wait_for(lambda: chat.say("c'est quoi un SIRET ?", client_id=client_id) and chat.status == 200, timeout=30)
    assert "14 chiffres qui identifie un établissement" in chat.text
    chat.say("c'est quoi un SIRET ?", client_id=client_id)
    assert "14 chiffres qui identifie un établissement" in chat.text
    assert len(user_turns(stack, sender, "c'est quoi un SIRET ?")) == 1
    chat.say("c'est quoi un SIRET ?", client_id="another-message-123")  # a new message is a new turn
    assert len(user_turns(stack, sender, "c'est quoi un SIRET ?")) == 2
