"""Rows written in a user's name through Rasa's API within the seal's 5 minutes (issue #26).

The attacker holds Rasa's API token (as in test_attacks.py): after a real signed-in user's
message, they append events and execute the actions that write evaluations, journal entries
and messages left. Each row is still written, marked unverified (claudia/provenance.py), and
left out of the satisfaction figures; the real user's own rows are all verified.
"""
import json
import uuid

from claudia import messages
from claudia.db import Database, get_database
from claudia.handoff import HandoffQueue
from tests.conftest import CCAS, MAIRIE
from tests.e2e.stack import Chat
from tests.e2e.test_attacks import manager_said_yes_to_the_card, rasa_api, texts
from web.review import Review


def chat(stack):
    return Chat(stack, f"provenance-{uuid.uuid4().hex[:12]}", "marie.dupont")


def rows(admin, command, conversation_id):
    found = [json.loads(line) for line in admin(command).splitlines() if line.strip()]
    return [row for row in found if row["conversation_id"] == conversation_id]


def attack(stack, conversation, action, slots=None, bot_text=None):
    """With Rasa's API token: events appended to the user's conversation, then `action` executed."""
    events = [{"event": "slot", "name": name, "value": value} for name, value in (slots or {}).items()]
    if bot_text:
        events.append({"event": "bot", "text": bot_text})
    if events:
        rasa_api(stack, conversation, "tracker/events", events)
    return texts(rasa_api(stack, conversation, "execute", {"name": action})["messages"])


def activate_mairie(user):
    user.say(f"activer la structure publique {MAIRIE}")
    user.click("Oui")
    user.click("Confirmer")
    assert "est désormais active" in user.text


def positive_votes(stack):
    review = Review(Database(stack.env["CLAUDIA_DB_URL"]), stack.env["CLAUDIA_TRACKER_DB_URL"])
    review.indexer.catch_up()
    return review.dashboard()["votes"].get("positif", 0)


def test_a_second_thumbs_up_through_the_api_is_marked_and_not_counted(stack, admin, journal):
    before = positive_votes(stack)
    user = chat(stack)
    activate_mairie(user)
    user.click("👍")
    assert "Merci pour votre retour" in user.text
    # the question asked again, the user's 👍 message still the latest: the vote action once more
    said = attack(stack, user.sender, "action_enregistrer_evaluation", bot_text=messages.EVALUATION_QUESTION)
    assert "Merci pour votre retour" in said
    assert [(r["vote"], r["verified"]) for r in rows(admin, "feedback", user.sender)] == [
        ("positif", True), ("positif", False)]
    assert positive_votes(stack) - before == 1
    assert [(e["outcome"], e["verified"]) for e in journal(user.sender)] == [("effectuee", True)]


def test_a_comment_the_user_never_typed_is_marked(stack, admin, journal):
    user = chat(stack)
    user.say(f"activer la structure publique {MAIRIE}")
    user.say("annuler")
    assert "Cette réponse vous a-t-elle aidé" in user.text
    user.click("👎")
    user.click("Autre")
    user.say("Trop de questions pour une activation")
    user.click("Envoyer")
    assert "bien été envoyés" in user.text
    made_up = {"motif_insatisfaction": "autre", "commentaire": "Ce service est une honte",
               "envoi_commentaire": True}
    attack(stack, user.sender, "action_enregistrer_evaluation", slots=made_up)
    stored = [(r["comment"], r["verified"]) for r in rows(admin, "feedback", user.sender)]
    assert stored == [("Trop de questions pour une activation", True), ("Ce service est une honte", False)]
    assert [(e["reason"], e["verified"]) for e in journal(user.sender)] == [("annulee_par_utilisateur", True)]


def test_a_refusal_on_a_siret_the_user_never_gave_is_marked(stack, admin, journal):
    user = manager_said_yes_to_the_card(stack)
    slots = {"action_statut": "inactiver", "siret": CCAS, "fiche_structure": None,
             "issue_procedure": "droits_insuffisants"}
    attack(stack, user.sender, "action_terminer_procedure", slots=slots)
    (entry,) = journal(user.sender)
    assert (entry["siret"], entry["login"], entry["verified"]) == (CCAS, "marie.dupont", False)


def test_a_message_left_with_made_up_text_is_marked(stack, admin):
    user = chat(stack)
    user.say("je voudrais laisser un message au support")
    assert messages.QUESTION_MESSAGE in user.text
    user.say("Merci de me rappeler au sujet de la mairie de Valmont")
    assert "Votre message a bien été enregistré" in user.text
    attack(stack, user.sender, "action_enregistrer_message", slots={"message_conseiller": "Supprimez mon compte"})
    queue = HandoffQueue(get_database(stack.env["CLAUDIA_DB_URL"]))
    left = [queue.get(item["id"]) for item in queue.listing() if item["conversation_id"] == user.sender]
    assert [(item["message"], item["verified"]) for item in left] == [
        ("Merci de me rappeler au sujet de la mairie de Valmont", True), ("Supprimez mon compte", False)]


def test_the_users_own_rows_are_verified_and_a_request_they_did_not_make_is_not(stack, admin, journal):
    """A refusal, a 👍 in words and a live-chat request, each from the user's own message; then a
    request the user did not make, executed through the API."""
    user = Chat(stack, f"provenance-{uuid.uuid4().hex[:12]}", "luc.bernard")
    user.say(f"activer la structure publique {MAIRIE}")
    assert "Cette réponse vous a-t-elle aidé" in user.text
    user.say("parfait merci")
    user.say("je veux parler à un conseiller")
    assert "un conseiller du support Chorus Pro va vous rejoindre" in user.text
    assert [(e["reason"], e["verified"]) for e in journal(user.sender)] == [("droits_insuffisants", True)]
    assert [(r["vote"], r["verified"]) for r in rows(admin, "feedback", user.sender)] == [("positif", True)]
    queue = HandoffQueue(get_database(stack.env["CLAUDIA_DB_URL"]))
    (request,) = [queue.get(item["id"]) for item in queue.listing() if item["conversation_id"] == user.sender]
    assert (request["status"], request["login"], request["verified"]) == ("attente", "luc.bernard", True)
    # the user gives up waiting; a new request executed through the API is kept, marked
    user.click("Ne plus attendre")
    assert queue.open_for(user.sender) is None
    attack(stack, user.sender, "action_demander_agent")
    made_up = queue.open_for(user.sender)
    assert made_up["id"] != request["id"] and queue.get(made_up["id"])["verified"] is False
