"""The chat in a real browser: headless Chromium (Debian's) driven by Playwright.

Screenshots of the main steps go to results/screenshots/; the best are kept in docs/.
"""
import json
import os
import re

from tests.conftest import COMMUNAUTE, MAIRIE, SYNDICAT
from tests.e2e.browser_kit import (PASSWORD, assert_accessible, browser, click_choice, new_context,  # noqa: F401
                                   open_chat, page, shot, sign_in, type_message)
from tests.e2e.stack import Operator, wait_for


def test_activation_by_clicking(page, structure):
    page.goto("/")
    assert_accessible(page, "portail : connexion")
    sign_in(page)
    shot(page, "01-portail")
    open_chat(page)
    shot(page, "02-accueil-claudia")
    click_choice(page, "Je veux activer/inactiver ma structure")
    page.wait_for_selector("text=Quel est le type de votre structure")
    click_choice(page, "Structure publique")
    page.wait_for_selector("text=Quelle action souhaitez-vous réaliser")
    click_choice(page, "Activer une structure publique")
    page.wait_for_selector("text=SIRET de la structure à activer")
    type_message(page, "219 300 019 00011")
    page.wait_for_selector("text=Est-ce bien la structure que vous souhaitez activer")
    shot(page, "03-structure-trouvee")
    assert_accessible(page, "structure trouvée")
    click_choice(page, "Oui, c'est la bonne structure")
    page.wait_for_selector("text=Confirmez-vous cette action")
    click_choice(page, "Confirmer")
    page.wait_for_selector("text=est désormais active dans Chorus Pro")
    shot(page, "04-activation-effectuee")
    assert_accessible(page, "activation effectuée, évaluation")
    # used choices are greyed out: a second click cannot happen
    assert page.locator(".choices button", has_text="Confirmer").first.is_disabled()
    assert structure(MAIRIE)["status"] == "active"


def test_inactivation_with_successor(page, structure):
    sign_in(page)
    open_chat(page)
    type_message(page, f"inactiver ma structure publique {SYNDICAT}")
    page.wait_for_selector("text=Est-ce bien la structure que vous souhaitez inactiver")
    click_choice(page, "Oui, c'est la bonne structure")
    page.wait_for_selector("text=Existe-t-il un autre SIRET reprenant son activité")
    click_choice(page, "Oui")
    page.wait_for_selector("text=SIRET de la structure reprenant l'activité")
    type_message(page, "200 054 781 00014")
    page.wait_for_selector("text=Confirmez-vous cette action")
    shot(page, "05-inactivation-successeur")
    click_choice(page, "Confirmer")
    page.wait_for_selector("text=est désormais inactive dans Chorus Pro")
    stored = structure(SYNDICAT)
    assert stored["status"] == "inactive" and stored["successor_siret"] == COMMUNAUTE


def test_thumbs_down_and_live_chat_with_an_operator(page, stack, admin):
    sign_in(page)
    open_chat(page)
    type_message(page, f"activer la structure publique {MAIRIE}")
    click_choice(page, "Oui, c'est la bonne structure")
    click_choice(page, "Confirmer")
    page.wait_for_selector("text=Cette réponse vous a-t-elle aidé")
    click_choice(page, "👎")
    page.wait_for_selector("text=Pouvez-vous nous décrire ce qui ne va pas")
    shot(page, "06-evaluation-motifs")
    assert_accessible(page, "motifs de l'évaluation")
    click_choice(page, "La réponse apportée était imprécise ou incomplète")
    page.wait_for_selector("text=Saisissez votre commentaire")
    type_message(page, "Je n'ai pas pu aller au bout de la procédure")
    page.wait_for_selector("text=Votre commentaire : «")
    click_choice(page, "Envoyer")
    page.wait_for_selector("text=bien été envoyés")
    rows = [json.loads(line) for line in admin("feedback").splitlines()]
    assert rows[-1]["reason"] == "reponse_imprecise"
    assert rows[-1]["comment"] == "Je n'ai pas pu aller au bout de la procédure"

    click_choice(page, "Contacter un agent")
    page.wait_for_selector("text=va vous rejoindre")
    operator = Operator(stack, "agent.durand")
    conversation = [c for c in operator.chats() if c["login"] == "marie.dupont" and c["status"] == "attente"][-1]
    assert operator.post(conversation["id"], "take").status_code == 200
    assert operator.post(conversation["id"], "messages",
                         {"text": "Bonjour, je suis Sophie. Je regarde votre dossier."}).status_code == 200
    live = page.locator(".message.operateur", has_text="Je regarde votre dossier")
    live.wait_for()
    assert "conseiller du support" in live.locator(".who").inner_text()
    assert "Sophie Durand" in live.locator(".who").inner_text()
    shot(page, "07-conseiller-en-direct")
    assert_accessible(page, "conseiller en direct")
    type_message(page, "Merci beaucoup !")
    wait_for(lambda: ("utilisateur", "Merci beaucoup !") in [
        (t["author"], t["text"]) for t in operator.chat(conversation["id"])["transcript"]])
    assert operator.post(conversation["id"], "close").status_code == 200
    page.wait_for_selector("text=ClaudIA reprend la conversation")
    click_choice(page, "👍")
    page.wait_for_selector("text=Merci pour votre retour")


def test_html_is_shown_as_text(page):
    sign_in(page)
    open_chat(page)
    hostile = '<img src=x onerror="window.hacked=1"><b>gras</b><script>window.hacked=2</script>'
    type_message(page, hostile)
    page.wait_for_selector(".message.user")
    page.wait_for_selector(".message.assistant >> nth=1")
    assert page.locator(".message.user").last.inner_text().endswith(hostile)
    assert page.locator("#messages img, #messages b, #messages script").count() == 0
    assert page.evaluate("window.hacked") is None


def test_keyboard_and_phone_width(browser, stack):
    context = new_context(browser, stack, viewport={"width": 375, "height": 720}, is_mobile=True)
    page = context.new_page()
    sign_in(page)
    page.focus("#open-chat")
    page.keyboard.press("Enter")
    page.wait_for_selector(".message.assistant >> text=Que puis-je faire pour vous")
    assert page.evaluate("document.activeElement.id") == "chat-input"
    page.keyboard.type("c'est quoi un SIRET ?")
    page.keyboard.press("Enter")
    page.wait_for_selector("text=14 chiffres qui identifie un établissement")
    box = page.locator("#chat-panel").bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= 375
    shot(page, "08-telephone")
    assert_accessible(page, "largeur d'un téléphone")
    page.keyboard.press("Escape")
    assert page.locator("#chat-panel").is_hidden()
    context.close()


def test_the_browser_holds_no_identity(page, stack):
    sign_in(page)
    cookies = page.evaluate("document.cookie")
    assert "claudia_portail" not in cookies  # HttpOnly: scripts cannot read or replay it
    assert re.search(r"[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+", page.content()) is None  # no JWT in the page
    forged = page.evaluate("""async () => {
        const r = await fetch('/chat/messages', {method: 'POST', headers: {'Content-Type': 'application/json'},
                                                  body: JSON.stringify({message: 'bonjour'})});
        return r.status; }""")
    assert forged == 403  # no CSRF token: refused
    csrf = page.locator('meta[name="csrf"]').get_attribute("content")
    replies = page.evaluate("""async (csrf) => {
        const r = await fetch('/chat/messages', {method: 'POST',
            headers: {'Content-Type': 'application/json', 'X-CSRF-Token': csrf},
            body: JSON.stringify({message: 'activer une structure publique', sender: 'conversation-de-paul',
                                  metadata: {claudia_identity: 'x', login: 'paul.martin'}})});
        return await r.json(); }""", csrf)
    assert "SIRET de la structure à activer" in " ".join(r.get("text", "") for r in replies)
    operator = Operator(stack, "agent.durand")
    assert all(c["conversation_id"] != "conversation-de-paul" for c in operator.chats())


def test_wrong_password_is_refused(page):
    page.goto("/")
    page.select_option("#login", "marie.dupont")
    page.fill("#password", "pas-le-bon")
    page.click("text=Se connecter")
    page.wait_for_selector("text=Compte ou mot de passe incorrect")
    assert_accessible(page, "portail : mot de passe refusé")
    assert page.locator("#open-chat").count() == 0


def test_review_inbox_filter_view_and_save_story(page, stack):
    refused = f"revue-navigateur-{os.getpid()}"
    from tests.e2e.stack import Chat
    Chat(stack, refused, "luc.bernard").say(f"activer la structure publique {MAIRIE}")
    page.goto("/console/login")
    page.fill("input[name=login]", "relecteur.leroy")
    page.fill("input[name=password]", "revue-demo-2026")
    page.click("text=Se connecter")
    page.wait_for_selector("#conversations")
    page.select_option("#f-outcome", "refusee")
    page.click("text=Filtrer")
    page.wait_for_selector(f"#conversations >> text={refused}")
    assert page.locator("#conversations tbody tr").count() >= 1
    assert all("refusée" in row for row in page.locator("#conversations tbody tr").all_inner_texts())
    shot(page, "09-revue-filtre")
    page.click(f"text={refused}")
    page.wait_for_selector("text=intention")
    assert "intention activer_structure" in page.locator("ol.steps li.user .nlu").first.inner_text()
    page.fill("input[name=name]", "refus de droits (navigateur)")
    page.click("text=Enregistrer comme histoire de test")
    page.wait_for_selector("text=Conversation enregistrée comme test")
    shot(page, "10-revue-conversation")
    saved = (stack.workdir / "test_revues.yml").read_text(encoding="utf-8")
    assert "refus de droits (navigateur)" in saved and "action_terminer_procedure" in saved
