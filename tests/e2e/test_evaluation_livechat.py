"""Evaluation and live chat on the real servers: assistant, action server, console."""
import json
import uuid

import requests

from tests.conftest import MAIRIE
from tests.e2e.stack import Chat, Operator, wait_for


def chat(stack, login="marie.dupont"):
    return Chat(stack, f"e2e-{uuid.uuid4().hex[:12]}", login)


def activate_mairie(user):
    user.say(f"activer la structure publique {MAIRIE}")
    user.click("Oui")
    user.click("Confirmer")
    assert "est désormais active" in user.text


def feedback_of(admin, conversation_id):
    rows = [json.loads(line) for line in admin("feedback").splitlines() if line.strip()]
    return [row for row in rows if row["conversation_id"] == conversation_id]


def test_thumbs_up_after_a_procedure(stack, admin):
    user = chat(stack)
    activate_mairie(user)
    assert "Cette réponse vous a-t-elle aidé" in user.text
    user.click("👍")
    assert "Merci pour votre retour" in user.text
    (row,) = feedback_of(admin, user.sender)
    assert (row["vote"], row["procedure"], row["siret"], row["outcome"], row["login"]) == (
        "positif", "activer", MAIRIE, "effectuee", "marie.dupont")


def test_free_text_thumbs_up_after_a_refusal(stack, admin):
    user = chat(stack, login="luc.bernard")
    user.say(f"activer la structure publique {MAIRIE}")
    assert "Cette réponse vous a-t-elle aidé" in user.text
    user.say("parfait merci")
    (row,) = feedback_of(admin, user.sender)
    assert row["vote"] == "positif" and row["outcome"] == "droits_insuffisants"


def test_thumbs_down_comment_cancelled(stack, admin):
    user = chat(stack)
    activate_mairie(user)
    user.say("ça ne m'a pas aidé")
    titles = [b["title"] for r in user.replies for b in r.get("buttons") or []]
    assert titles[:4] == ["La question n'a pas été comprise",
                          "La réponse apportée était imprécise ou incomplète",
                          "La réponse apportée était compliquée", "Autre"]
    user.click("Autre")
    assert "Saisissez votre commentaire" in user.text
    user.click("Annuler")
    assert "sans commentaire" in user.text
    (row,) = feedback_of(admin, user.sender)
    assert (row["vote"], row["reason"], row["comment"], row["comment_cancelled"]) == ("negatif", "autre", None, True)
    user.click("Continuer notre conversation")
    assert "quelle est votre question" in user.text


def test_thumbs_down_then_live_chat_with_an_operator(stack, admin):
    user = chat(stack)
    activate_mairie(user)
    user.click("👎")
    user.click("La réponse apportée était compliquée")
    user.say("Je n'ai pas pu aller au bout de la procédure")
    assert "« Je n'ai pas pu aller au bout de la procédure »" in user.text
    user.click("Envoyer")
    assert "bien été envoyés" in user.text
    (row,) = feedback_of(admin, user.sender)
    assert (row["vote"], row["reason"], row["comment"]) == (
        "negatif", "reponse_compliquee", "Je n'ai pas pu aller au bout de la procédure")

    user.click("Contacter un agent")
    assert "un conseiller du support Chorus Pro va vous rejoindre" in user.text
    user.say("bonjour, il y a quelqu'un ?")
    # Waiting: a short acknowledgement, the words kept for the operator (#23).
    assert "le conseiller le lira en vous rejoignant" in user.text and "/annuler" in user.payloads

    sophie = Operator(stack, "agent.durand")
    assert sophie.signed_in
    mine = wait_for(lambda: [c for c in sophie.chats() if c["conversation_id"] == user.sender])
    handoff = mine[0]
    assert handoff["status"] == "attente" and handoff["login"] == "marie.dupont"
    assert handoff["context"]["evaluation"]["reason"] == "reponse_compliquee"
    assert handoff["context"]["derniere_procedure"]["siret"] == MAIRIE

    karim = Operator(stack, "agent.moreau")
    assert karim.post(handoff["id"], "messages", {"text": "je ne l'ai pas prise"}).status_code == 409

    assert sophie.post(handoff["id"], "take").status_code == 200
    assert sophie.post(handoff["id"], "messages", {"text": "Bonjour, je regarde votre dossier."}).status_code == 200
    assert karim.post(handoff["id"], "close").status_code == 409  # not his chat
    pushed = wait_for(lambda: user.pending()["messages"])
    texts = [m["text"] for m in pushed]
    assert "Bonjour, je regarde votre dossier." in texts
    assert all(m["author"] == "operateur" for m in pushed)
    assert pushed[-1]["operator_name"] == "Sophie Durand"
    assert user.pending()["live_chat"]["status"] == "en_cours"

    user.say("Merci, j'attends.")
    assert user.replies == []
    transcript = sophie.chat(handoff["id"])["transcript"]
    said = [(line["author"], line["text"]) for line in transcript]
    assert ("utilisateur", "bonjour, il y a quelqu'un ?") in said
    assert ("utilisateur", "Merci, j'attends.") in said
    assert ("operateur", "Bonjour, je regarde votre dossier.") in said
    assert ("assistant", "Cette réponse vous a-t-elle aidé ?") in said

    assert sophie.post(handoff["id"], "close").status_code == 200
    last_id = pushed[-1]["id"]
    after_close = user.pending(after=last_id)
    assert [m["author"] for m in after_close["messages"]] == ["assistant", "assistant"]
    assert "ClaudIA reprend la conversation" in after_close["messages"][0]["text"]
    assert after_close["live_chat"] is None
    user.click_from(after_close["messages"], "👍")
    assert "Merci pour votre retour" in user.text  # the assistant answers again
    assert [r["vote"] for r in feedback_of(admin, user.sender)] == ["negatif", "positif"]


def test_asking_for_a_human_mid_procedure(stack):
    user = chat(stack)
    user.say("inactiver une structure publique")
    user.say("je veux parler à un conseiller")
    assert "va vous rejoindre" in user.text
    sophie = Operator(stack, "agent.durand")
    handoff = wait_for(lambda: [c for c in sophie.chats() if c["conversation_id"] == user.sender])[0]
    assert handoff["context"]["procedure_en_cours"] == "inactiver"
    assert handoff["context"]["etape"] == "siret"


def test_console_requires_an_operator(stack):
    anonymous = requests.get(f"{stack.console}/api/chats", timeout=10)
    assert anonymous.status_code == 401
    page = requests.get(f"{stack.console}/", timeout=10, allow_redirects=False)
    assert page.status_code == 302 and page.headers["Location"].endswith("/console/login")
    wrong = Operator(stack, "agent.durand", password="pas-le-bon-mot")
    assert not wrong.signed_in
    sophie = Operator(stack, "agent.durand")
    no_csrf = sophie.http.post(f"{stack.console}/api/chats/1/take", json={}, timeout=10)
    assert no_csrf.status_code == 403


def test_pending_messages_only_for_the_owner(stack):
    owner = chat(stack)
    owner.say("bonjour")
    intruder = Chat(stack, owner.sender, "paul.martin")
    intruder.pending()
    assert intruder.status == 403


def channel(stack, path):
    return stack.webhook.rsplit("/", 1)[0] + path


def test_history_greets_once_and_only_for_the_owner(stack):
    user = chat(stack)
    headers = {"Authorization": f"Bearer {user.token}"}
    opened = requests.post(channel(stack, "/history"), json={"sender": user.sender}, headers=headers, timeout=30)
    assert opened.status_code == 200
    lines = opened.json()["messages"]
    assert [(m["author"], m["active"]) for m in lines] == [("assistant", True)]
    assert "Que puis-je faire pour vous" in lines[0]["text"]
    again = requests.post(channel(stack, "/history"), json={"sender": user.sender}, headers=headers, timeout=30)
    assert again.json()["messages"] == lines  # no second greeting
    user.click_from([{"buttons": lines[0]["buttons"]}], "Je veux activer")  # the greeting's button is accepted
    assert "Quel est le type de votre structure" in user.text
    other = {"Authorization": f"Bearer {stack.token('paul.martin')}"}
    for method, path in (("post", "/history"), ("post", "/left")):
        refused = getattr(requests, method)(channel(stack, path), json={"sender": user.sender}, headers=other,
                                            timeout=30)
        assert refused.status_code == 403
    assert requests.get(channel(stack, "/updates"), params={"sender": user.sender}, headers=other,
                        timeout=30).status_code == 403
    assert requests.post(channel(stack, "/history"), json={"sender": user.sender}, timeout=30).status_code == 403


def test_giving_up_a_wait_through_the_channel(stack):
    user = chat(stack)
    user.say("je veux parler à un conseiller")
    assert "/annuler" in user.payloads
    headers = {"Authorization": f"Bearer {user.token}"}
    news = requests.get(channel(stack, "/updates"), params={"sender": user.sender}, headers=headers,
                        timeout=30).json()["live_chat"]
    assert news["status"] == "attente" and news["position"] >= 1 and news["estimate_minutes"] >= 1
    user.say("allo ?")  # waiting: recorded for the operator, acknowledged (#23)
    assert "le conseiller le lira en vous rejoignant" in user.text and "/annuler" in user.payloads
    user.say("/annuler")  # the « Ne plus attendre » button, still accepted after the acknowledgement
    assert "vous ne patientez plus" in user.text
    assert user.pending()["live_chat"] is None
    user.say("c'est quoi un SIRET ?")
    assert "14 chiffres" in user.text
    user.say("je veux parler à un conseiller")
    user.say("laissez tomber")
    assert "vous ne patientez plus" in user.text
    # Once an operator has taken the chat, the same words go to them; « au revoir » ends it (#23).
    user.say("je veux parler à un conseiller")
    operator = Operator(stack, "agent.durand")
    handoff = [c for c in operator.chats() if c["conversation_id"] == user.sender][0]
    operator.post(handoff["id"], "take")
    assert user.say("laissez tomber") == []
    assert operator.chat(handoff["id"])["handoff"]["status"] == "en_cours"
    user.say("au revoir")
    assert "vous avez mis fin à la discussion avec le conseiller" in user.text
    assert operator.chat(handoff["id"])["handoff"]["status"] == "close"
    assert operator.post(handoff["id"], "close").status_code == 409  # already ended by the user
