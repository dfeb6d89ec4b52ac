"""A live chat's life from both sides, in Chromium with two contexts (the user on the portal,
the operator on the console): the user ends it (button, words), signs out, starts a new
conversation, comes back from another browser; the console says each at once (#23)."""
import re
import time

import pytest

from tests.e2e.browser_kit import (assert_accessible, browser, click_choice, console_sign_in,  # noqa: F401
                                   new_context, open_chat, page, sign_in, type_message, user_lines)
from tests.e2e.stack import Operator, wait_for

PLACE = re.compile(r"Vous êtes \d+(er|e) dans la file d'attente")


@pytest.fixture
def console(browser, stack):
    context = new_context(browser, stack)
    opened = context.new_page()
    opened.set_default_timeout(20000)
    console_sign_in(opened)
    yield opened
    context.close()


def ask(page, stack, login="marie.dupont"):
    """The user asks for a person; the place in the queue shows within 2 s of the answer."""
    type_message(page, "je veux parler à un conseiller")
    page.wait_for_selector("text=va vous rejoindre")
    asked = time.monotonic()
    page.locator("#live-text").filter(has_text=PLACE).wait_for(timeout=5000)
    assert time.monotonic() - asked < 2.0
    operator = Operator(stack, "agent.durand")
    return operator, [c for c in operator.chats() if c["login"] == login and c["status"] == "attente"][-1]["id"]


def take_in_console(console, handoff_id):
    console.goto(f"/console/chats/{handoff_id}")
    console.click("#take")
    console.wait_for_selector("text=Vous avez cette discussion en charge")


def test_the_user_ends_the_chat_with_the_button_and_the_console_says_so(page, console, stack):
    sign_in(page)
    open_chat(page)
    operator, handoff_id = ask(page, stack)
    type_message(page, "Je suis toujours là")  # typed while waiting: acknowledged, kept for the operator
    page.wait_for_selector(".message.assistant >> text=le conseiller le lira en vous rejoignant")
    take_in_console(console, handoff_id)
    page.wait_for_selector(".message.operateur >> text=a rejoint la conversation")
    page.locator("#live-text", has_text="en relation avec un conseiller").wait_for()
    # The wait is over: its « Ne plus attendre » buttons cannot be clicked any more.
    assert page.locator("#stop-waiting").is_hidden()
    stale = page.locator(".choices button", has_text="Ne plus attendre")
    assert stale.count() >= 2 and all(stale.nth(n).is_disabled() for n in range(stale.count()))
    assert page.locator("#end-chat").is_visible()
    assert_accessible(page, "discussion avec un conseiller, bouton Terminer")
    assert "Je suis toujours là" in console.locator("#transcript").inner_text()
    page.click("#end-chat")
    page.wait_for_selector(".message.assistant >> text=vous avez mis fin à la discussion avec le conseiller")
    assert page.locator("#live-status").is_hidden()
    started = time.monotonic()
    console.locator("#chat-state", has_text="L'utilisateur a mis fin à la discussion (bouton").wait_for(timeout=5000)
    assert time.monotonic() - started < 3
    assert console.locator("#reply button[type=submit]").is_disabled()
    assert_accessible(console, "console : discussion terminée par l'utilisateur")
    assert operator.chat(handoff_id)["handoff"]["status"] == "close"
    type_message(page, "c'est quoi un SIRET ?")  # the assistant answers again
    page.wait_for_selector("text=14 chiffres qui identifie un établissement")


@pytest.mark.parametrize("words", ["je veux terminer la discussion", "Merci pour tout, au revoir"])
def test_the_user_ends_the_chat_in_words(page, console, stack, words):
    sign_in(page)
    open_chat(page)
    operator, handoff_id = ask(page, stack)
    take_in_console(console, handoff_id)
    console.fill("#reply-text", "Bonjour, que puis-je pour vous ?")
    console.press("#reply-text", "Enter")
    page.wait_for_selector(".message.operateur >> text=que puis-je pour vous")
    type_message(page, words)
    page.wait_for_selector(".message.assistant >> text=vous avez mis fin à la discussion avec le conseiller")
    console.locator("#chat-state", has_text="en le disant dans ses messages").wait_for(timeout=5000)
    assert words in console.locator("#transcript").inner_text()  # the operator reads the words too
    page.wait_for_selector("#live-status", state="hidden")
    assert operator.chat(handoff_id)["handoff"]["status"] == "close"


def test_signing_out_is_told_and_signing_in_again_finds_the_chat(browser, page, console, stack):
    sign_in(page)
    open_chat(page)
    operator, handoff_id = ask(page, stack)
    take_in_console(console, handoff_id)
    console.fill("#reply-text", "Je regarde votre dossier.")
    console.press("#reply-text", "Enter")
    page.wait_for_selector(".message.operateur >> text=Je regarde votre dossier.")
    page.click("text=Se déconnecter")
    page.wait_for_selector("#login")
    console.locator("#chat-state", has_text="l'utilisateur s'est déconnecté du portail").wait_for(timeout=5000)
    assert_accessible(console, "console : l'utilisateur s'est déconnecté")
    console.fill("#reply-text", "Voici la réponse à votre question.")  # written while the user is away
    console.press("#reply-text", "Enter")
    console.locator("#transcript", has_text="Voici la réponse").wait_for()

    # Back in another browser (a new context: no cookie, no storage), signed in again.
    other = new_context(browser, stack)
    again = other.new_page()
    again.set_default_timeout(20000)
    sign_in(again, fresh=False)
    open_chat(again)
    again.wait_for_selector(".message.operateur >> text=Je regarde votre dossier.")
    again.wait_for_selector(".message.operateur >> text=Voici la réponse à votre question.")
    again.locator("#live-text", has_text="en relation avec un conseiller").wait_for()
    assert user_lines(again) == ["je veux parler à un conseiller"]
    wait_for(lambda: "déconnecté" not in console.locator("#chat-state").inner_text(), timeout=8)  # back
    # Asking again for a person returns to this chat: the words go to the operator, no second chat.
    type_message(again, "je veux parler à un conseiller")
    console.locator("#transcript >> text=je veux parler à un conseiller >> nth=1").wait_for()
    mine = [c for c in operator.chats() if c["login"] == "marie.dupont"]
    assert [c["id"] for c in mine] == [handoff_id]
    other.close()
    assert operator.post(handoff_id, "close").status_code == 200


def test_a_new_conversation_during_a_chat_ends_it_once_confirmed(page, console, stack):
    sign_in(page)
    open_chat(page)
    operator, handoff_id = ask(page, stack)
    take_in_console(console, handoff_id)
    page.wait_for_selector(".message.operateur >> text=a rejoint la conversation")
    page.locator("#live-text", has_text="en relation").wait_for()
    asked = []
    page.once("dialog", lambda dialog: (asked.append(dialog.message), dialog.dismiss()))
    page.click("#new-chat")  # dismissed: nothing changes
    wait_for(lambda: asked)
    assert "y mettra fin" in asked[0]
    assert operator.chat(handoff_id)["handoff"]["status"] == "en_cours"
    page.once("dialog", lambda dialog: dialog.accept())
    page.click("#new-chat")
    page.wait_for_selector(".message.operateur", state="detached")
    page.wait_for_selector("#live-status", state="hidden")
    console.locator("#chat-state", has_text="a commencé une nouvelle conversation").wait_for(timeout=5000)
    assert operator.chat(handoff_id)["handoff"]["status"] == "close"
    assert user_lines(page) == []
    # A new request is a new chat, listed once.
    _, second = ask(page, stack)
    assert second != handoff_id
    assert [c["id"] for c in operator.chats() if c["login"] == "marie.dupont"] == [second]
    page.click("#stop-waiting")
    page.wait_for_selector("text=vous ne patientez plus")
    assert page.locator("#live-status").is_hidden()  # the banner changed with the answer, not after it


def test_ok_at_the_leave_a_message_step_is_asked_about(page, stack):
    sign_in(page)
    open_chat(page)
    type_message(page, "je voudrais laisser un message au support")
    page.wait_for_selector("text=Écrivez votre message pour le support")
    type_message(page, "ok")
    page.wait_for_selector(".message.assistant >> text=Votre message pour le support serait : « ok »")
    assert page.locator("text=Votre message a bien été enregistré").count() == 0
    assert_accessible(page, "message court : confirmation demandée")
    click_choice(page, "Non, je l'écris")
    page.wait_for_selector(".message.assistant >> text=Écrivez votre message pour le support >> nth=1")
    type_message(page, "merci")
    page.wait_for_selector(".message.assistant >> text=« merci » >> nth=0")
    click_choice(page, "Oui, l'envoyer tel quel")
    page.wait_for_selector("text=Votre message a bien été enregistré")
    operator = Operator(stack, "agent.durand")
    body = operator.http.get(f"{stack.console}/api/chats", timeout=10).json()
    pages = body["pages"]["open"]["pages"]
    last = operator.http.get(f"{stack.console}/api/chats", params={"page_a_traiter": pages}, timeout=10).json()
    assert [t["message"] for t in last["tickets"]["open"] if t["login"] == "marie.dupont"][-1] == "merci"


def test_signing_out_and_in_keeps_the_conversation_and_shows_the_answer_to_a_message_left(page, stack):
    sign_in(page)
    open_chat(page)
    type_message(page, "je voudrais laisser un message au support")
    page.wait_for_selector("text=Écrivez votre message pour le support")
    left = f"Merci de vérifier le rattachement de la crèche ({time.monotonic_ns()})"
    type_message(page, left)
    page.wait_for_selector("text=Votre message a bien été enregistré")
    page.click("text=Se déconnecter")
    page.wait_for_selector("#login")
    operator = Operator(stack, "agent.durand")
    last = operator.http.get(f"{stack.console}/api/chats", timeout=10).json()["pages"]["open"]["pages"]
    tickets = operator.http.get(f"{stack.console}/api/chats", params={"page_a_traiter": last}, timeout=10).json()
    (ticket,) = [t for t in tickets["tickets"]["open"] if t["message"] == left]
    answered = operator.http.post(f"{stack.console}/tickets/{ticket['id']}", timeout=10, allow_redirects=False,
                                  data={"csrf": operator.csrf, "answer": "C'est fait : la crèche est rattachée."})
    assert answered.status_code == 303
    sign_in(page, fresh=False)  # signed in again: the same conversation, and the answer in it
    open_chat(page)
    page.wait_for_selector(".message.operateur >> text=C'est fait : la crèche est rattachée.")
    assert user_lines(page) == ["je voudrais laisser un message au support", left]


def test_only_the_owner_of_a_conversation_can_end_its_chat(stack):
    import requests

    from tests.e2e.stack import Chat

    user = Chat(stack, f"e2e-end-{time.monotonic_ns()}", login="marie.dupont")
    user.say("je veux parler à un conseiller")
    end = stack.webhook.rsplit("/", 1)[0] + "/end"
    for headers in ({"Authorization": f"Bearer {stack.token('paul.martin')}"}, {}):
        refused = requests.post(end, json={"sender": user.sender}, headers=headers, timeout=30)
        assert refused.status_code == 403
    assert user.pending()["live_chat"]["status"] == "attente"
    ended = requests.post(end, json={"sender": user.sender}, headers={"Authorization": f"Bearer {user.token}"},
                          timeout=30).json()
    assert ended["ended"] is True and "vous ne patientez plus" in ended["messages"][0]["text"]
    assert user.pending()["live_chat"] is None
    again = requests.post(end, json={"sender": user.sender}, headers={"Authorization": f"Bearer {user.token}"},
                          timeout=30).json()
    assert again == {"ended": False, "messages": []}
