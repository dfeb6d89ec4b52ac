"""Typed conversations, as a new user writes them: no button is clicked, no payload typed.

Through the connected channel, the real Rasa and action servers; then the registry,
the journal and the stored evaluations. The registry must change only after the
guide's confirmations, and no evaluation may be stored that the user did not give.
"""
import json
import uuid

import pytest

from tests.conftest import COMMUNAUTE, ECOLE, MAIRIE, SYNDICAT
from tests.e2e.stack import Chat


def chat(stack, login="marie.dupont"):
    return Chat(stack, f"e2e-typed-{uuid.uuid4().hex[:12]}", login)


def feedback_of(admin, conversation_id):
    rows = [json.loads(line) for line in admin("feedback").splitlines() if line.strip()]
    return [row for row in rows if row["conversation_id"] == conversation_id]


# -- whole requests in one message ---------------------------------------------------------
def test_greeting_request_and_siret_in_one_message_then_typed_yes_and_thumbs_up(stack, structure, admin):
    user = chat(stack)
    user.say("Bonjour, je voudrais réactiver la mairie 219 300 019 00011 svp")
    assert "Mairie de Valmont" in user.text and "souhaitez activer" in user.text
    user.say("ouais c'est elle")
    assert "Confirmez-vous" in user.text
    assert structure(MAIRIE)["status"] == "inactive"  # nothing before the last confirmation
    user.say("oui je confirme")
    assert "est désormais active" in user.text and structure(MAIRIE)["status"] == "active"
    assert "Cette réponse vous a-t-elle aidé" in user.text
    user.say("super merci !")
    assert "Merci pour votre retour" in user.text
    (row,) = feedback_of(admin, user.sender)
    assert (row["vote"], row["siret"]) == ("positif", MAIRIE)


def test_a_story_first_then_the_request_and_a_lukewarm_evaluation_with_reasons_in_words(stack, structure, admin):
    user = chat(stack)
    user.say("Bonjour, notre école Jules Ferry a fermé l'an dernier et elle reçoit encore des factures. "
             "Il faudrait la désactiver, siret 219 300 019 00128")
    assert "École élémentaire Jules Ferry" in user.text and "souhaitez inactiver" in user.text
    user.say("oui")
    assert "est désormais inactive" in user.text and structure(ECOLE)["status"] == "inactive"
    user.say("bof")
    assert "Pouvez-vous nous décrire ce qui ne va pas" in user.text
    user.say("c'était trop compliqué")
    assert "Saisissez votre commentaire" in user.text
    user.say("trop d'étapes pour une simple fermeture")
    assert "trop d'étapes pour une simple fermeture" in user.text
    user.say("oui envoyez")
    assert "bien été envoyés" in user.text
    (row,) = feedback_of(admin, user.sender)
    assert (row["vote"], row["reason"], row["comment"]) == (
        "negatif", "reponse_compliquee", "trop d'étapes pour une simple fermeture")


def test_polite_letter_with_the_target_and_its_successor(stack, structure, journal):
    user = chat(stack)
    user.say("Madame, Monsieur, suite à la dissolution de notre syndicat, je vous prie de bien vouloir "
             "inactiver la structure 259 300 457 00019 ; son activité est reprise par la communauté de "
             "communes, SIRET 200 054 781 00014. Veuillez agréer mes salutations distinguées.")
    assert "Syndicat intercommunal des eaux du Val" in user.text
    user.say("oui c'est bien celle-là")
    # the successor given in the letter: no need to ask for it, but the action is confirmed
    assert "seront reçues par Communauté de communes du Val de Seine" in user.text
    assert "Confirmez-vous" in user.text
    assert structure(SYNDICAT)["status"] == "active"
    user.say("je confirme")
    assert "est désormais inactive" in user.text
    after = structure(SYNDICAT)
    assert (after["status"], after["successor_siret"]) == ("inactive", COMMUNAUTE)
    assert [e["outcome"] for e in journal(user.sender)] == ["effectuee"]


def test_successor_named_first_in_the_sentence(stack, structure):
    user = chat(stack)
    user.say("la communauté 200 054 781 00014 reprend l'activité du syndicat 259 300 457 00019, "
             "il faut inactiver ce syndicat")
    assert "Syndicat intercommunal des eaux du Val" in user.text
    user.say("oui")
    assert "seront reçues par Communauté de communes du Val de Seine" in user.text


def test_siren_and_nic_given_separately(stack):
    user = chat(stack)
    user.say("activer la mairie, siren 219300019 et nic 00011")
    assert "Mairie de Valmont" in user.text and "souhaitez activer" in user.text


def test_structure_type_from_the_kind_of_body_named(stack):
    user = chat(stack)
    user.say("je veux inactiver le syndicat des eaux")
    assert "SIRET de la structure à inactiver" in user.text  # no question about the type
    other = chat(stack)
    other.say("désactiver notre SARL svp")
    assert "uniquement les structures publiques" in other.text


def test_a_greeting_that_states_a_need_starts_the_procedure(stack):
    """Mostly a greeting's words (the model alone reads `saluer`), but it asks to activate."""
    user = chat(stack)
    user.say("Bonjour madame, j'ai besoin d'aide pour activer notre syndicat")
    assert "SIRET de la structure à activer" in user.text
    thanks = chat(stack)
    thanks.say("Merci pour votre réactivité")  # « réactivité » is not « réactiver »
    assert "SIRET" not in thanks.text


# -- negation and change of mind -----------------------------------------------------------------
def test_negation_picks_the_other_procedure(stack):
    user = chat(stack)
    user.say("je ne veux pas activer mais inactiver l'école 219 300 019 00128")
    assert "École élémentaire Jules Ferry" in user.text and "souhaitez inactiver" in user.text


def test_english_words(stack):
    user = chat(stack)
    user.say("please deactivate la structure publique 219 300 019 00128")
    assert "École élémentaire Jules Ferry" in user.text and "souhaitez inactiver" in user.text


def test_change_of_mind_midway_keeps_the_siret_and_asks_again(stack, structure, journal):
    user = chat(stack)
    user.say("inactiver la structure 219 300 019 00011")
    assert "type de votre structure" in user.text
    user.say("ah non pardon, je veux l'activer, c'est une mairie")
    assert "finalement activer" in user.text and "219 300 019 00011" in user.text
    assert "Mairie de Valmont" in user.text and "souhaitez activer" in user.text
    user.say("oui")
    assert structure(MAIRIE)["status"] == "inactive"
    user.say("oui")
    assert "est désormais active" in user.text and structure(MAIRIE)["status"] == "active"


def test_change_of_mind_after_the_card_checks_the_structure_again(stack, structure, journal):
    user = chat(stack)
    user.say("inactiver la structure publique 259 300 457 00019")
    assert "souhaitez inactiver" in user.text
    user.say("non en fait je veux l'activer")
    assert "finalement activer" in user.text and "déjà active" in user.text
    assert structure(SYNDICAT)["status"] == "active"
    assert [(e["operation"], e["outcome"]) for e in journal(user.sender)] == [
        ("inactiver", "abandonnee"), ("activer", "refusee")]


# -- the evaluation ------------------------------------------------------------------------------
def activate_mairie_typed(user):
    user.say(f"activer la structure publique {MAIRIE}")
    user.say("oui")
    user.say("oui")
    assert "est désormais active" in user.text and "Cette réponse vous a-t-elle aidé" in user.text


def test_plain_yes_is_a_thumbs_up(stack, admin):
    user = chat(stack)
    activate_mairie_typed(user)
    user.say("oui")
    assert "Merci pour votre retour" in user.text
    assert [r["vote"] for r in feedback_of(admin, user.sender)] == ["positif"]


@pytest.mark.parametrize("answer", ["non", "nul"])
def test_plain_no_or_a_bad_word_asks_the_reasons(stack, admin, answer):
    user = chat(stack)
    activate_mairie_typed(user)
    user.say(answer)
    assert "Pouvez-vous nous décrire ce qui ne va pas" in user.text
    user.say("annuler")
    (row,) = feedback_of(admin, user.sender)
    assert (row["vote"], row["comment"]) == ("negatif", None)


def test_off_topic_question_or_complaint_while_the_evaluation_waits_is_no_vote(stack, admin):
    user = chat(stack)
    activate_mairie_typed(user)
    user.say("comment déposer une facture ?")
    assert "Merci pour votre retour" not in user.text
    assert feedback_of(admin, user.sender) == []


def test_a_new_request_during_the_reasons_leaves_the_evaluation(stack, admin):
    user = chat(stack)
    activate_mairie_typed(user)
    user.say("non")
    assert "Pouvez-vous nous décrire" in user.text
    user.say("inactiver ma structure publique 219 300 019 00128")
    assert "École élémentaire Jules Ferry" in user.text and "souhaitez inactiver" in user.text
    (row,) = feedback_of(admin, user.sender)
    assert (row["vote"], row["reason"], row["comment"]) == ("negatif", None, None)


def test_asking_for_a_person_during_the_comment_leaves_at_once(stack, admin):
    user = chat(stack)
    activate_mairie_typed(user)
    user.say("non")
    user.say("vous n'avez pas compris ma question")
    assert "Saisissez votre commentaire" in user.text
    user.say("je veux parler à un conseiller")
    assert "conseiller" in user.text
    (row,) = feedback_of(admin, user.sender)
    assert (row["vote"], row["reason"], row["comment"]) == ("negatif", "question_non_comprise", None)


def test_a_new_procedure_while_the_evaluation_waits_stores_nothing(stack, admin):
    user = chat(stack)
    activate_mairie_typed(user)
    user.say("maintenant je voudrais désactiver l'école 219 300 019 00128")
    assert "souhaitez inactiver" in user.text
    user.say("oui")
    assert "est désormais inactive" in user.text
    assert feedback_of(admin, user.sender) == []


# -- everyday words, no dead ends, not connected ------------------------------------------
def test_everyday_words(stack):
    user = chat(stack)
    user.say("slt")
    assert "je suis ClaudIA" in user.text
    user.say("ouais")  # a yes when nothing was asked: one polite answer, then it listens
    assert user.text.count("Que puis-je faire pour vous") == 1
    user.say("mci bcp")
    assert "Avec plaisir" in user.text or "Merci" in user.text
    user.say("a+")
    assert "Au revoir" in user.text


def test_sms_request_and_informal_answers(stack, structure):
    user = chat(stack)
    user.say("bjr jveux reactiver la mairie 21930001900011 stp")
    assert "Mairie de Valmont" in user.text
    user.say("ouep")
    assert "Confirmez-vous" in user.text
    user.say("nan finalement")
    assert "rien" in user.text and "modifié" in user.text
    assert structure(MAIRIE)["status"] == "inactive"


@pytest.mark.parametrize("text", ["jveux désactiver ma struct stp", "bonjour, pourriez-vous fermer notre structure ?",
                                  "please activate ma structure"])
def test_procedure_in_any_words_while_not_connected_gets_the_notice(stack, text):
    user = Chat(stack, f"e2e-typed-{uuid.uuid4().hex[:12]}")
    user.say(text)
    assert "mode connecté" in user.text


def test_a_siret_alone_offers_the_procedures(stack):
    user = chat(stack)
    user.say("219 300 019 00011")
    assert {"/activer_structure", "/inactiver_structure"} <= set(user.payloads)
    user.say("l'activer")
    assert "type de votre structure" in user.text
    # the SIRET given just before is kept, as a click on « Activer » would keep it
    user.say("c'est une mairie, donc publique")
    assert "Mairie de Valmont" in user.text and "souhaitez activer" in user.text


def test_a_siret_said_earlier_in_another_context_is_not_reused(stack):
    user = chat(stack)
    user.say("219 300 019 00011")
    user.say("c'est quoi un siret ?")
    user.say("je veux activer une structure publique")
    assert "SIRET" in user.text and "Mairie de Valmont" not in user.text
