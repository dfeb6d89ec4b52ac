"""Waiting for an operator, live chat, messages left and the console, in Chromium.
axe-core checks every page and state shown."""
import os
import re

from tests.e2e.browser_kit import (assert_accessible, browser, click_choice, console_sign_in,  # noqa: F401
                                   new_context, open_chat, page, shot, sign_in, type_message, user_lines)
from tests.e2e.stack import Operator, wait_for

PLACE = re.compile(r"Vous êtes \d+(er|e) dans la file d'attente \(attente estimée : environ \d+ min\)")


def ask_for_an_operator(page, stack):
    type_message(page, "je veux parler à un conseiller")
    page.wait_for_selector("text=va vous rejoindre")
    operator = Operator(stack, "agent.durand")
    waiting = [c for c in operator.chats() if c["login"] == "marie.dupont" and c["status"] == "attente"]
    return operator, waiting[-1]["id"]


def test_waiting_shows_the_place_and_can_be_given_up(page, stack):
    sign_in(page)
    open_chat(page)
    operator, handoff_id = ask_for_an_operator(page, stack)
    page.locator("#live-text").filter(has_text=PLACE).wait_for()
    assert page.locator("#stop-waiting").is_visible()
    assert_accessible(page, "attente d'un conseiller")
    shot(page, "13-attente-conseiller")
    page.click("#stop-waiting")
    page.wait_for_selector("text=vous ne patientez plus")
    page.wait_for_selector("#live-status", state="hidden")
    assert handoff_id not in [c["id"] for c in operator.chats()]
    assert operator.chat(handoff_id)["handoff"]["status"] == "annulee"
    type_message(page, "c'est quoi un SIRET ?")  # the assistant answers again
    page.wait_for_selector("text=14 chiffres qui identifie un établissement")
    # The same in words, typed casually.
    operator, handoff_id = ask_for_an_operator(page, stack)
    type_message(page, "bon tant pis j'attend plus, au revoir")
    page.wait_for_selector(".message.assistant >> text=vous ne patientez plus >> nth=1")
    assert operator.chat(handoff_id)["handoff"]["status"] == "annulee"


def test_reload_during_a_live_chat_unread_badge_and_user_leaving(page, stack):
    sign_in(page)
    open_chat(page)
    operator, handoff_id = ask_for_an_operator(page, stack)
    assert operator.post(handoff_id, "take").status_code == 200
    assert operator.post(handoff_id, "messages", {"text": "Bonjour, je regarde votre dossier."}).status_code == 200
    page.wait_for_selector(".message.operateur >> text=je regarde votre dossier")
    before = user_lines(page)
    page.reload()
    page.wait_for_selector("#open-chat")
    open_chat(page)
    page.wait_for_selector(".message.operateur >> text=je regarde votre dossier")
    assert user_lines(page) == before == ["je veux parler à un conseiller"]
    assert page.locator(".message.operateur >> text=je regarde votre dossier").count() == 1
    page.locator("#live-text", has_text="en relation avec un conseiller").wait_for()
    type_message(page, "Merci, j'attends")
    wait_for(lambda: ("utilisateur", "Merci, j'attends") in [
        (t["author"], t["text"]) for t in operator.chat(handoff_id)["transcript"]])
    page.click("#close-chat")
    operator.post(handoff_id, "messages", {"text": "C'est corrigé de notre côté."})
    page.locator("#unread").filter(has_text="1 nouveau message").wait_for()
    assert_accessible(page, "discussion fermée, message non lu")
    shot(page, "14-badge-non-lu")
    page.click("#open-chat")
    page.wait_for_selector(".message.operateur >> text=C'est corrigé de notre côté.")
    assert page.locator("#unread").is_hidden()
    assert not operator.chat(handoff_id)["handoff"]["user_left"]
    page.goto("about:blank")  # the user leaves: the operator is told
    wait_for(lambda: operator.chat(handoff_id)["handoff"]["user_closed_page"], timeout=15)
    assert operator.post(handoff_id, "close").status_code == 200


def test_a_wait_expires_when_the_user_left_and_they_are_told(page, stack):
    sign_in(page)
    open_chat(page)
    operator, handoff_id = ask_for_an_operator(page, stack)
    page.goto("about:blank")
    wait_for(lambda: operator.chat(handoff_id)["handoff"]["status"] == "expiree", timeout=60)
    assert handoff_id not in [c["id"] for c in operator.chats()]
    page.goto("/")  # back, same session: same conversation
    open_chat(page)
    page.wait_for_selector("text=Votre demande de conseiller a expiré")
    assert page.locator("#live-status").is_hidden()
    type_message(page, "c'est quoi un SIRET ?")  # the assistant is back
    page.wait_for_selector("text=14 chiffres qui identifie un établissement")


def test_left_message_is_answered_from_the_console(browser, stack, page):
    sign_in(page)
    open_chat(page)
    type_message(page, "je voudrais laisser un message au support")
    page.wait_for_selector("text=Écrivez votre message pour le support")
    left = f"Ma mairie n'apparaît pas dans la liste ({os.getpid()})"
    type_message(page, left)
    page.wait_for_selector("text=Votre message a bien été enregistré")

    context = new_context(browser, stack)
    console = context.new_page()
    console.set_default_timeout(20000)
    console.goto("/console/login")
    assert_accessible(console, "console : connexion")
    console_sign_in(console)
    row = console.locator("#tickets-open tr", has_text=left)
    row.wait_for()
    assert_accessible(console, "console : discussions et messages")
    shot(console, "15-console-messages")
    row.locator("text=Répondre").click()
    console.wait_for_selector("#answer-text")
    assert_accessible(console, "console : message à traiter")
    console.click("summary")
    console.click(".canned-reply >> text=Documentation")
    assert "https://communaute.chorus-pro.gouv.fr/documentation/" in console.input_value("#answer-text")
    console.fill("#answer-text", "Bonjour, votre mairie est rattachée. Détails : "
                                 "https://communaute.chorus-pro.gouv.fr/documentation/")
    console.click("text=Envoyer la réponse")
    console.wait_for_selector("text=Réponse envoyée")
    assert_accessible(console, "console : message répondu")
    console.goto("/console/")
    console.locator("#tickets-answered tr", has_text=left).filter(has_text="pas encore").wait_for()

    page.reload()  # the next time the user opens the chat
    page.wait_for_selector("#open-chat")
    open_chat(page)
    answer = page.locator(".message.operateur", has_text="votre mairie est rattachée")
    answer.wait_for()
    assert left in answer.inner_text() and "Sophie Durand" in answer.inner_text()
    assert answer.locator('a[href="https://communaute.chorus-pro.gouv.fr/documentation/"]').count() == 1
    shot(page, "16-reponse-au-message")
    page.reload()
    open_chat(page)
    assert page.locator(".message.operateur", has_text="votre mairie est rattachée").count() == 1  # once
    console.locator("#tickets-answered tr", has_text=left).filter(has_text="oui").wait_for()
    context.close()


def test_console_transcript_keyboard_and_canned_replies(browser, stack, page):
    sign_in(page)
    open_chat(page)
    click_choice(page, "Je veux activer/inactiver ma structure")
    page.wait_for_selector("text=Quel est le type de votre structure")
    operator, handoff_id = ask_for_an_operator(page, stack)
    context = new_context(browser, stack)
    console = context.new_page()
    console.set_default_timeout(20000)
    console_sign_in(console)
    console.goto(f"/console/chats/{handoff_id}")
    transcript = console.locator("#transcript")
    transcript.locator("text=Je veux activer/inactiver ma structure").wait_for()
    assert "/demander_changement_statut" not in transcript.inner_text()
    assert_accessible(console, "console : discussion en attente")
    # Refreshes add new lines only: an existing line is the same node 3 s later.
    console.evaluate("document.querySelector('#transcript > div').dataset.seen = '1'")
    console.wait_for_timeout(3000)
    assert console.locator("#transcript > div[data-seen='1']").count() == 1
    console.click("#take")
    console.wait_for_selector("text=Vous avez cette discussion en charge")
    console.fill("#reply-text", "Première ligne")
    console.press("#reply-text", "Shift+Enter")
    console.type("#reply-text", "Deuxième ligne")
    assert console.input_value("#reply-text") == "Première ligne\nDeuxième ligne"
    console.press("#reply-text", "Enter")
    page.wait_for_selector(".message.operateur >> text=Deuxième ligne")
    assert "Première ligne\nDeuxième ligne" in page.locator(".message.operateur").last.inner_text()
    console.click("summary")
    console.click(".canned-reply >> text=Vérification en cours")
    console.press("#reply-text", "Enter")
    page.wait_for_selector(".message.operateur >> text=Je vérifie les informations")
    console.locator("#context", has_text=re.compile(r"première réponse : \d+ s")).wait_for()
    assert_accessible(console, "console : discussion en cours")
    shot(console, "17-console-discussion")
    console.click("#close")
    console.wait_for_selector("text=Discussion clôturée")
    page.wait_for_selector("text=ClaudIA reprend la conversation")
    console.goto("/console/")
    console.wait_for_selector("#chats")
    assert_accessible(console, "console : file des discussions")
    context.close()


def restart_actions(stack, **env):
    stack.env.update(env)
    stack.stop_server("actions")
    stack.start_server("actions")


def test_public_holiday_closes_the_live_chat_and_says_when_it_reopens(page, stack):
    saved = dict(stack.env)
    # The action server reads opening hours on 14 July 2026, a Tuesday, at 10:00 in Paris.
    restart_actions(stack, CLAUDIA_LIVECHAT_HOURS="mon-fri 08:30-18:30", CLAUDIA_LIVECHAT_CLOCK="2026-07-14T10:00")
    try:
        sign_in(page)
        open_chat(page)
        type_message(page, "je veux parler à un conseiller")
        closed = page.locator(".message.assistant", has_text="jour férié")
        closed.wait_for()
        assert "fermé aujourd'hui (Fête nationale, jour férié)" in closed.inner_text()
        assert "Réouverture le mercredi 15 juillet à 8 h 30." in closed.inner_text()
        assert page.locator("#live-status").is_hidden()
        assert_accessible(page, "chat fermé un jour férié")
        shot(page, "18-jour-ferie")
        click_choice(page, "Laisser un message")
        page.wait_for_selector("text=Écrivez votre message pour le support")
        type_message(page, "Merci de me rappeler demain")
        page.wait_for_selector("text=Votre message a bien été enregistré")
    finally:
        stack.env.clear()
        stack.env.update(saved)
        stack.stop_server("actions")
        stack.start_server("actions")
