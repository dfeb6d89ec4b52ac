"""Typed answers in context: the evaluation, the fallback's choices, a change of mind,
a whole request in one message. Real actions, real database, real Tracker."""
import asyncio

import pytest

from claudia import messages, services
from actions.evaluation_actions import EnregistrerEvaluation, QuitterEvaluation, ValidateFormulaireEvaluation
from actions.fallback_actions import MessageIncompris
from actions.procedure_form import ValidateFormulaireStatut
from tests.conftest import COMMUNAUTE, ECOLE, MAIRIE, SYNDICAT, make_tracker, texts

LAST = {"operation": "activer", "siret": MAIRIE, "name": "Mairie de Valmont", "outcome": "effectuee"}
ASKED = [{"event": "action", "name": "action_terminer_procedure"},
         {"event": "bot", "text": messages.EVALUATION_QUESTION}]


def run(action, tracker, dispatcher, domain):
    events = asyncio.run(action.run(dispatcher, tracker, domain))
    return events, {e["name"]: e["value"] for e in events if e.get("event") == "slot"}


def tracker_with(events, **kwargs):
    tracker = make_tracker(**kwargs)
    tracker.events = list(events)
    return tracker


# -- the evaluation -----------------------------------------------------------------
@pytest.mark.parametrize("intent,text", [("affirmer", "oui"), ("remercier", "merci bcp"),
                                         ("evaluer_positif", "super")])
def test_a_typed_yes_to_the_waiting_question_is_a_thumbs_up(env, dispatcher, domain, intent, text):
    tracker = tracker_with(ASKED, slots={"derniere_procedure": LAST}, intent=intent, text=text, active_loop=None)
    run(EnregistrerEvaluation(), tracker, dispatcher, domain)
    (row,) = services.feedback().all()
    assert row["vote"] == "positif" and row["siret"] == MAIRIE


@pytest.mark.parametrize("events", [
    [],  # never asked
    ASKED + [{"event": "action", "name": "action_enregistrer_evaluation"}],  # already answered
    ASKED + [{"event": "active_loop", "name": "formulaire_statut"}],  # a new procedure started
])
def test_no_vote_is_stored_when_the_question_is_not_waiting(env, dispatcher, domain, events):
    tracker = tracker_with(events, slots={"derniere_procedure": LAST}, intent="remercier", text="merci",
                           active_loop=None)
    run(EnregistrerEvaluation(), tracker, dispatcher, domain)
    assert services.feedback().all() == []
    assert messages.PAS_D_EVALUATION in texts(dispatcher)


def test_a_no_that_answered_nothing_opens_no_evaluation(env, dispatcher, domain):
    tracker = tracker_with([{"event": "action", "name": "action_annuler_procedure"},
                            {"event": "bot", "text": messages.RIEN_A_ANNULER},
                            {"event": "active_loop", "name": "formulaire_evaluation"}],
                           intent="nier", text="non", active_loop="formulaire_evaluation")
    _, slots = run(ValidateFormulaireEvaluation(), tracker, dispatcher, domain)
    assert slots["requested_slot"] is None


def test_a_no_to_the_waiting_question_asks_the_reasons(env, dispatcher, domain):
    tracker = tracker_with(ASKED + [{"event": "active_loop", "name": "formulaire_evaluation"}],
                           intent="nier", text="non", active_loop="formulaire_evaluation")
    _, slots = run(ValidateFormulaireEvaluation(), tracker, dispatcher, domain)
    assert slots["requested_slot"] == "motif_insatisfaction"
    assert messages.QUESTION_MOTIF in texts(dispatcher)


@pytest.mark.parametrize("text,expected", [
    ("vous n'avez pas compris ma demande", "question_non_comprise"),
    ("trop vague, il manque des infos", "reponse_imprecise"),
    ("beaucoup trop technique", "reponse_compliquee"),
    ("autre chose", "autre"),
])
def test_reasons_typed_in_words(env, dispatcher, domain, text, expected):
    tracker = make_tracker({"requested_slot": "motif_insatisfaction"}, intent="choisir_motif", text=text,
                           active_loop="formulaire_evaluation")
    _, slots = run(ValidateFormulaireEvaluation(), tracker, dispatcher, domain)
    assert slots["motif_insatisfaction"] == expected


@pytest.mark.parametrize("requested", ["motif_insatisfaction", "commentaire", "envoi_commentaire"])
def test_a_new_request_leaves_the_reason_and_comment_steps(env, dispatcher, domain, requested):
    tracker = make_tracker({"requested_slot": requested}, intent="inactiver_structure",
                           text=f"inactiver ma structure {ECOLE}", active_loop="formulaire_evaluation")
    events, slots = run(ValidateFormulaireEvaluation(), tracker, dispatcher, domain)
    assert "commentaire" not in slots and "motif_insatisfaction" not in slots
    assert dispatcher.messages == [] or messages.MOTIF_NON_COMPRIS not in texts(dispatcher)


def test_a_comment_mentioning_a_procedure_by_chance_stays_a_comment(env, dispatcher, domain):
    tracker = make_tracker({"requested_slot": "commentaire"}, intent="hors_perimetre",
                           text="la page était lente pendant l'inactivation", active_loop="formulaire_evaluation")
    _, slots = run(ValidateFormulaireEvaluation(), tracker, dispatcher, domain)
    assert slots["commentaire"] == "la page était lente pendant l'inactivation"


def test_leaving_keeps_the_thumbs_down_already_given(env, dispatcher, domain):
    tracker = make_tracker({"requested_slot": "commentaire", "motif_insatisfaction": "autre",
                            "derniere_procedure": LAST}, intent="demander_agent", text="un conseiller svp",
                           active_loop="formulaire_evaluation")
    events, slots = run(QuitterEvaluation(), tracker, dispatcher, domain)
    (row,) = services.feedback().all()
    assert (row["vote"], row["reason"], row["comment"]) == ("negatif", "autre", None)
    assert any(e["event"] == "active_loop" and e["name"] is None for e in events)


# -- the fallback ---------------------------------------------------------------------
RANKING = [{"name": "nlu_fallback", "confidence": 0.55}, {"name": "demander_definition", "confidence": 0.4},
           {"name": "hors_perimetre", "confidence": 0.3}, {"name": "demander_prerequis", "confidence": 0.2},
           {"name": "evaluer_positif", "confidence": 0.1}, {"name": "annuler", "confidence": 0.05}]


def fallback_tracker(text, intent="nlu_fallback", login="marie.dupont", events=(), ranking=RANKING):
    tracker = tracker_with(events, intent=intent, text=text, login=login, active_loop=None)
    tracker.latest_message["intent_ranking"] = ranking
    return tracker


def test_not_understood_offers_the_likely_meanings_then_a_person(env, dispatcher, domain):
    run(MessageIncompris(), fallback_tracker("euh le truc là"), dispatcher, domain)
    (reply,) = dispatcher.messages
    assert reply["text"] == messages.INTERPRETATIONS
    assert [b["payload"] for b in reply["buttons"]] == ["/demander_definition", "/demander_prerequis",
                                                       "/demander_agent"]


def test_the_operation_read_in_the_words_comes_first(env, dispatcher, domain):
    run(MessageIncompris(), fallback_tracker("euh désactivation du bazar"), dispatcher, domain)
    assert dispatcher.messages[0]["buttons"][0]["payload"] == "/inactiver_structure"


def test_two_messages_not_understood_in_a_row_offer_a_person(env, dispatcher, domain):
    previous = {"event": "user", "text": "xx", "parse_data": {"intent": {"name": "nlu_fallback"}}}
    current = {"event": "user", "text": "yy", "parse_data": {"intent": {"name": "nlu_fallback"}}}
    run(MessageIncompris(), fallback_tracker("yy", events=[previous, current]), dispatcher, domain)
    assert dispatcher.messages[0]["text"] == messages.INCOMPRIS_ENCORE
    assert dispatcher.messages[0]["buttons"][0]["payload"] == "/demander_agent"


@pytest.mark.parametrize("intent", ["nlu_fallback", "hors_perimetre"])
def test_a_procedure_asked_in_any_words_while_not_connected_gets_the_notice(env, dispatcher, domain, intent):
    run(MessageIncompris(), fallback_tracker("jveux fermer ma structure stp", intent=intent, login=None),
        dispatcher, domain)
    assert texts(dispatcher) == messages.refusal("non_connecte")


def test_words_that_do_not_evaluate_are_no_vote_and_the_optional_question_is_not_pressed(
        env, dispatcher, domain):
    run(MessageIncompris(), fallback_tracker("mwé", events=ASKED), dispatcher, domain)
    assert messages.EVALUATION_NON_COMPRISE not in texts(dispatcher)
    assert services.feedback().all() == []


def test_off_topic_gets_the_scope_answer(env, dispatcher, domain):
    run(MessageIncompris(), fallback_tracker("quel temps fait-il", intent="hors_perimetre"), dispatcher, domain)
    assert texts(dispatcher) == messages.HORS_PERIMETRE_AIDE
    assert messages.AGENT_BUTTON in dispatcher.messages[0]["buttons"]


# -- the procedure: whole requests, changes of mind, yes and no in any form ---------------
def test_target_and_successor_in_one_message(registry, dispatcher, domain):
    text = f"inactiver la structure publique {SYNDICAT}, l'activité est reprise par {COMMUNAUTE}"
    tracker = make_tracker(intent="inactiver_structure", text=text)
    _, slots = run(ValidateFormulaireStatut(), tracker, dispatcher, domain)
    assert slots["siret"] == SYNDICAT and slots["siret_successeur_annonce"] == COMMUNAUTE
    assert slots["requested_slot"] == "confirmation_structure"
    # the structure confirmed: the announced successor answers the two successor steps
    confirmed = make_tracker({**{k: v for k, v in slots.items() if k != "requested_slot"},
                              "requested_slot": "confirmation_structure"}, intent="affirmer", text="oui")
    dispatcher.messages.clear()
    _, after = run(ValidateFormulaireStatut(), confirmed, dispatcher, domain)
    assert after["successeur_existe"] is True and after["siret_successeur"] == COMMUNAUTE
    assert after["requested_slot"] == "confirmation_action"
    assert "Communauté de communes du Val de Seine" in texts(dispatcher)


def test_negation_picks_the_other_procedure_and_the_body_gives_the_type(registry, dispatcher, domain):
    tracker = make_tracker(intent="activer_structure",
                           text=f"je ne veux pas activer mais inactiver l'école {ECOLE}")
    _, slots = run(ValidateFormulaireStatut(), tracker, dispatcher, domain)
    assert (slots["action_statut"], slots["type_structure"], slots["siret"]) == ("inactiver", "publique", ECOLE)


def test_change_of_mind_keeps_the_siret_and_asks_the_confirmation_again(registry, dispatcher, domain):
    tracker = make_tracker({"action_statut": "inactiver", "siret": MAIRIE, "requested_slot": "type_structure"},
                           intent="activer_structure", text="pardon, je veux l'activer, c'est une mairie")
    _, slots = run(ValidateFormulaireStatut(), tracker, dispatcher, domain)
    assert (slots["action_statut"], slots["type_structure"]) == ("activer", "publique")
    assert slots["fiche_structure"]["siret"] == MAIRIE and slots["requested_slot"] == "confirmation_structure"
    assert messages.procedure_switched("activer", MAIRIE) in texts(dispatcher)
    assert "souhaitez activer" in texts(dispatcher)


def test_change_of_mind_after_the_card_is_journaled_and_checked_again(registry, dispatcher, domain):
    fiche = {"siret": ECOLE, "name": "École élémentaire Jules Ferry", "status": "active", "kind": "public",
             "sirene_active": False}
    tracker = make_tracker({"type_structure": "publique", "action_statut": "inactiver", "siret": ECOLE,
                            "fiche_structure": fiche, "requested_slot": "confirmation_structure"},
                           intent="nier", text="non finalement je veux la réactiver")
    _, slots = run(ValidateFormulaireStatut(), tracker, dispatcher, domain)
    assert slots["action_statut"] == "activer" and slots["issue_procedure"] == "deja_active"
    assert slots.get("confirmation_structure") is None
    (entry,) = registry.journal(tracker.sender_id)
    assert (entry["operation"], entry["outcome"], entry["reason"]) == ("inactiver", "abandonnee", "changement_procedure")


@pytest.mark.parametrize("text,expected", [("ouais", True), ("oki", True), ("nan", False), ("nope", False)])
def test_yes_and_no_in_any_form_answer_a_confirmation(registry, dispatcher, domain, text, expected):
    tracker = make_tracker({"type_structure": "publique", "action_statut": "activer", "siret": MAIRIE,
                            "fiche_structure": {"siret": MAIRIE, "name": "Mairie de Valmont", "status": "inactive",
                                                "kind": "public", "sirene_active": True},
                            "requested_slot": "confirmation_structure"}, intent="hors_perimetre", text=text)
    _, slots = run(ValidateFormulaireStatut(), tracker, dispatcher, domain)
    assert slots["confirmation_structure"] is (True if expected else None)


def test_words_that_contradict_the_intent_are_asked_again(registry, dispatcher, domain):
    tracker = make_tracker({"type_structure": "publique", "action_statut": "activer", "siret": MAIRIE,
                            "fiche_structure": {"siret": MAIRIE, "name": "Mairie de Valmont", "status": "inactive",
                                                "kind": "public", "sirene_active": True},
                            "requested_slot": "confirmation_action",
                            "confirmation_structure": True}, intent="affirmer", text="non")
    _, slots = run(ValidateFormulaireStatut(), tracker, dispatcher, domain)
    assert slots["confirmation_action"] is None and messages.REPONDRE_OUI_NON in texts(dispatcher)


def test_a_procedure_started_from_a_fallback_button_keeps_the_message_siret(registry, dispatcher, domain):
    events, slots = run(MessageIncompris(), fallback_tracker(f"euh désactivation du bazar {ECOLE}"), dispatcher,
                        domain)
    assert slots["demande_en_attente"] == f"euh désactivation du bazar {ECOLE}"
    dispatcher.messages.clear()
    clicked = make_tracker({"demande_en_attente": slots["demande_en_attente"]}, intent="inactiver_structure",
                           text="/inactiver_structure")
    _, after = run(ValidateFormulaireStatut(), clicked, dispatcher, domain)
    assert after["siret"] == ECOLE and after["demande_en_attente"] is None
    assert after["requested_slot"] == "type_structure"  # "bazar" names no kind of body


def test_the_core_fallback_forgets_the_message(env, dispatcher, domain):
    from actions.fallback_actions import DefautIncompris

    events, _ = run(DefautIncompris(), fallback_tracker("oui", intent="affirmer"), dispatcher, domain)
    assert events[-1]["event"] == "rewind" and texts(dispatcher) == messages.NEUTRE


@pytest.mark.parametrize("text", ["top top", "génial 👍"])
def test_an_enthusiastic_word_the_model_missed_is_a_thumbs_up_once(env, dispatcher, domain, text):
    run(MessageIncompris(), fallback_tracker(text, events=ASKED), dispatcher, domain)
    assert [r["vote"] for r in services.feedback().all()] == ["positif"]
    answered = ASKED + [{"event": "bot", "text": messages.MERCI_AVIS_POSITIF}]
    run(MessageIncompris(), fallback_tracker("top", events=answered), dispatcher, domain)
    assert len(services.feedback().all()) == 1


def test_a_lukewarm_word_the_model_missed_asks_the_reasons(env, dispatcher, domain):
    events, _ = run(MessageIncompris(), fallback_tracker("mouais bof", events=ASKED), dispatcher, domain)
    assert events == [{"event": "followup", "name": "formulaire_evaluation", "timestamp": None}]
    assert services.feedback().all() == []


@pytest.mark.parametrize("text,response", [("mci bcp", "utter_remercier"), ("a+", "utter_au_revoir"),
                                           ("slt", "utter_saluer")])
def test_courtesies_the_model_missed(env, dispatcher, domain, text, response):
    run(MessageIncompris(), fallback_tracker(text), dispatcher, domain)
    assert dispatcher.messages[0]["response"] == response


@pytest.mark.parametrize("outcome,explained", [("droits_insuffisants", True), ("ferme_sirene", True),
                                               ("effectuee", False)])
def test_a_protest_after_a_refusal_gets_who_can_help_and_no_vote(env, dispatcher, domain, outcome, explained):
    tracker = fallback_tracker("comment ça pas les droits ?? je suis bien connectée pourtant", events=ASKED)
    tracker.slots["derniere_procedure"] = dict(LAST, outcome=outcome)
    run(MessageIncompris(), tracker, dispatcher, domain)
    assert (messages.CONTACT_SUPPORT in texts(dispatcher)) is explained
    assert services.feedback().all() == []


def test_a_not_connected_user_who_says_she_is_connected_is_told_how_to_open_the_chat(env, dispatcher, domain):
    tracker = fallback_tracker("je suis pourtant bien connectée !", intent="hors_perimetre", login=None,
                               events=ASKED)
    tracker.slots["derniere_procedure"] = dict(LAST, outcome="non_connecte")
    run(MessageIncompris(), tracker, dispatcher, domain)
    assert texts(dispatcher) == messages.CONNEXION_EXPLIQUEE
    assert services.feedback().all() == []
