"""The chat around the happy path, in Chromium: history after a reload, two tabs, links,
the assistant stopped or hanging. axe-core checks every state shown."""
import os
import signal
import time

from playwright.sync_api import expect

from tests.conftest import MAIRIE
from tests.e2e.browser_kit import (GREETING, assert_accessible, browser, click_choice, new_context,  # noqa: F401
                                   open_chat, page, shot, sign_in, type_message, user_lines)


def test_reload_mid_procedure_shows_the_conversation_and_no_fake_message(page):
    sign_in(page)
    assert_accessible(page, "portail connecté, discussion fermée")
    open_chat(page)
    assert user_lines(page) == []  # the greeting is the assistant's own, no « Bonjour » sent for the user
    assert_accessible(page, "discussion ouverte, accueil")
    click_choice(page, "Je veux activer/inactiver ma structure")
    page.wait_for_selector("text=Quel est le type de votre structure")
    click_choice(page, "Structure publique")
    page.wait_for_selector("text=Quelle action souhaitez-vous réaliser")
    type_message(page, "activer")
    page.wait_for_selector("text=SIRET de la structure à activer")
    type_message(page, MAIRIE)
    page.wait_for_selector("text=Est-ce bien la structure que vous souhaitez activer")
    before = user_lines(page)

    page.reload()
    page.wait_for_selector("#open-chat")
    open_chat(page)
    page.wait_for_selector("text=Est-ce bien la structure que vous souhaitez activer")
    assert user_lines(page) == before == ["Je veux activer/inactiver ma structure", "Structure publique",
                                          "activer", MAIRIE]
    # Answered buttons show what was chosen and cannot be clicked again; only the newest are active.
    chosen = page.locator(".choices button[aria-pressed=true]")
    assert chosen.all_inner_texts() == ["Je veux activer/inactiver ma structure", "Structure publique"]
    assert page.locator(".choices button:not([disabled])").all_inner_texts() == ["Oui, c'est la bonne structure", "Non"]
    assert page.locator(".message.assistant", has_text=GREETING).count() == 1
    assert_accessible(page, "historique après rechargement")
    shot(page, "11-historique-apres-rechargement")
    click_choice(page, "Oui, c'est la bonne structure")
    page.wait_for_selector("text=Confirmez-vous cette action")
    assert "Merci de répondre par Oui ou par Non" not in page.locator("#messages").inner_text()


def test_two_tabs_show_the_same_conversation(browser, stack):
    context = new_context(browser, stack)
    first, second = context.new_page(), context.new_page()
    for tab in (first, second):
        tab.set_default_timeout(20000)
    sign_in(first)
    open_chat(first)
    second.goto("/")
    open_chat(second)
    type_message(first, "c'est quoi un SIRET ?")
    first.wait_for_selector("text=14 chiffres qui identifie un établissement")
    second.wait_for_selector("text=14 chiffres qui identifie un établissement")
    assert user_lines(second) == user_lines(first) == ["c'est quoi un SIRET ?"]
    # The greeting's button, older than the last answer, is no longer active in either tab.
    for tab in (first, second):
        assert tab.locator(".choices button:not([disabled])", has_text="Je veux activer").count() <= 1
    type_message(second, "activer ma structure publique")
    first.wait_for_selector("text=SIRET de la structure à activer")
    assert user_lines(first) == user_lines(second)
    context.close()


def test_documentation_link_is_a_link_and_nothing_else_is_markup(page):
    sign_in(page)
    open_chat(page)
    type_message(page, "quels sont les prérequis ?")
    link = page.locator('.message.assistant a[href^="https://communaute.chorus-pro.gouv.fr/documentation/"]')
    link.first.wait_for()
    assert link.first.get_attribute("rel") == "noopener noreferrer"
    type_message(page, "voir https://evil.example/piege et https://communaute.chorus-pro.gouv.fr/x")
    page.wait_for_selector(".message.user >> text=evil.example")
    assert page.locator(".message.user a").count() == 0  # the user's words never become links
    assert page.locator('#messages a[href*="evil"]').count() == 0
    assert_accessible(page, "réponse avec lien de documentation")


def test_assistant_killed_then_restarted_during_a_chat(page, stack):
    sign_in(page)
    open_chat(page)
    rasa = stack.named["rasa"][0]
    rasa.kill()  # a crash: SIGKILL, no clean shutdown
    rasa.wait(timeout=30)
    try:
        started = time.monotonic()
        type_message(page, "activer ma structure publique")
        alert = page.locator("#chat-alert")
        alert.filter(has_text="momentanément indisponible").wait_for(timeout=10000)
        assert time.monotonic() - started < 10
        assert "Failed to fetch" not in page.content()
        assert_accessible(page, "assistant arrêté : message d'erreur")
        shot(page, "12-assistant-indisponible")
        page.reload()  # the portal itself keeps running
        page.wait_for_selector("#open-chat")
        page.click("#open-chat")
        alert.filter(has_text="indisponible").wait_for(timeout=10000)
    finally:
        stack.start_server("rasa")
    # Back by itself: the next poll reloads the conversation and clears the error.
    page.wait_for_selector(f".message.assistant >> text={GREETING}", timeout=30000)
    expect(page.locator("#chat-alert")).to_be_empty(timeout=30000)
    type_message(page, "c'est quoi un SIRET ?")
    page.wait_for_selector("text=14 chiffres qui identifie un établissement")


def test_assistant_hanging_gets_a_french_message_within_ten_seconds(page, stack):
    sign_in(page)
    open_chat(page)
    rasa = stack.pids("rasa")  # the server and its worker processes
    assert len(rasa) >= 2
    for pid in rasa:
        os.kill(pid, signal.SIGSTOP)
    try:
        started = time.monotonic()
        type_message(page, "c'est quoi un SIRET ?")
        page.locator("#chat-alert").filter(has_text="trop de temps").wait_for(timeout=10000)
        assert time.monotonic() - started < 10
        assert page.locator("#typing").inner_text() == ""
    finally:
        for pid in rasa:
            os.kill(pid, signal.SIGCONT)
    # Back by itself: the next poll reloads the conversation and clears the error.
    expect(page.locator("#chat-alert")).to_be_empty(timeout=30000)
    type_message(page, "quels sont les prérequis ?")
    page.wait_for_selector("text=Pour vous rattacher à une structure")
