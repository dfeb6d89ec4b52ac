"""Evaluation form and actions, live-chat request actions, with the real database."""
import asyncio

import pytest

from claudia import messages, services
from actions.evaluation_actions import ContinuerConversation, EnregistrerEvaluation, ValidateFormulaireEvaluation
from actions.handoff_actions import DemanderAgent, EnregistrerMessage, ValidateFormulaireMessage
from tests.conftest import MAIRIE, make_tracker, texts

LAST = {"operation": "activer", "siret": MAIRIE, "name": "Mairie de Valmont", "outcome": "effectuee"}


def run(action, tracker, dispatcher, domain):
    events = asyncio.run(action.run(dispatcher, tracker, domain))
    return events, {e["name"]: e["value"] for e in events if e.get("event") == "slot"}


@pytest.mark.parametrize(
    "text,entities,expected",
    [
        ('/choisir_motif{"motif": "reponse_compliquee"}', [{"entity": "motif", "value": "reponse_compliquee"}],
         "reponse_compliquee"),
        ("la question n'a pas été comprise", [], "question_non_comprise"),
        ("c'était imprécis", [], "reponse_imprecise"),
        ("4", [], "autre"),
    ],
)
def test_reason_from_button_or_words(env, dispatcher, domain, text, entities, expected):
    tracker = make_tracker({"requested_slot": "motif_insatisfaction"}, intent="choisir_motif", text=text,
                           entities=entities, active_loop="formulaire_evaluation")
    _, slots = run(ValidateFormulaireEvaluation(), tracker, dispatcher, domain)
    assert slots["motif_insatisfaction"] == expected and slots["requested_slot"] == "commentaire"


def test_unknown_reason_is_asked_again(env, dispatcher, domain):
    tracker = make_tracker({"requested_slot": "motif_insatisfaction"}, intent="nlu_fallback", text="bof",
                           active_loop="formulaire_evaluation")
    _, slots = run(ValidateFormulaireEvaluation(), tracker, dispatcher, domain)
    assert slots.get("motif_insatisfaction") is None and slots["requested_slot"] == "motif_insatisfaction"
    assert messages.MOTIF_NON_COMPRIS in texts(dispatcher)


def test_comment_then_send(env, dispatcher, domain):
    tracker = make_tracker({"requested_slot": "commentaire", "motif_insatisfaction": "autre"},
                           intent="hors_perimetre", text="Je n'ai pas pu aller au bout",
                           active_loop="formulaire_evaluation")
    _, slots = run(ValidateFormulaireEvaluation(), tracker, dispatcher, domain)
    assert slots["commentaire"] == "Je n'ai pas pu aller au bout" and slots["requested_slot"] == "envoi_commentaire"


@pytest.mark.parametrize("requested", ["motif_insatisfaction", "commentaire"])
def test_cancel_ends_the_form_keeping_the_vote(env, dispatcher, domain, requested):
    tracker = make_tracker({"requested_slot": requested}, intent="annuler", text="/annuler",
                           active_loop="formulaire_evaluation")
    _, slots = run(ValidateFormulaireEvaluation(), tracker, dispatcher, domain)
    assert slots["envoi_commentaire"] is False and slots["requested_slot"] is None


def asked_evaluation(tracker):
    """The conversation's events as after a procedure: the evaluation question is waiting."""
    tracker.events = [{"event": "action", "name": "action_terminer_procedure"},
                      {"event": "bot", "text": messages.EVALUATION_QUESTION}]
    return tracker


def test_thumbs_up_is_recorded_with_the_procedure(env, dispatcher, domain):
    tracker = asked_evaluation(make_tracker({"derniere_procedure": LAST}, intent="evaluer_positif",
                                            text="parfait merci", active_loop=None))
    run(EnregistrerEvaluation(), tracker, dispatcher, domain)
    (row,) = services.feedback().all()
    assert (row["vote"], row["procedure"], row["siret"], row["login"]) == ("positif", "activer", MAIRIE, "marie.dupont")
    assert messages.MERCI_AVIS_POSITIF in texts(dispatcher)


@pytest.mark.parametrize("sent", [True, False])
def test_thumbs_down_sent_or_cancelled(env, dispatcher, domain, sent):
    tracker = make_tracker({"derniere_procedure": LAST, "motif_insatisfaction": "autre",
                            "commentaire": "trop long" if sent else None, "envoi_commentaire": sent},
                           intent="affirmer" if sent else "annuler", text="/affirmer", active_loop=None)
    _, slots = run(EnregistrerEvaluation(), tracker, dispatcher, domain)
    (row,) = services.feedback().all()
    assert (row["vote"], row["reason"], row["comment"], row["comment_cancelled"]) == (
        "negatif", "autre", "trop long" if sent else None, not sent)
    assert (messages.AVIS_ENVOYE if sent else messages.AVIS_SANS_COMMENTAIRE) in texts(dispatcher)
    titles = [b["title"] for m in dispatcher.messages for b in m.get("buttons") or []]
    assert titles == ["Contacter un agent", "Continuer notre conversation"]
    assert all(slots[name] is None for name in ("motif_insatisfaction", "commentaire", "envoi_commentaire"))


def test_continue_clears_the_previous_procedure(env, dispatcher, domain):
    tracker = make_tracker({"derniere_procedure": LAST, "siret": MAIRIE, "action_statut": "activer"},
                           intent="continuer_conversation", active_loop=None)
    _, slots = run(ContinuerConversation(), tracker, dispatcher, domain)
    assert slots["derniere_procedure"] is None and slots["siret"] is None and slots["action_statut"] is None
    assert messages.CONTINUER in texts(dispatcher)


def test_asking_for_an_agent_queues_and_pauses(env, dispatcher, domain, monkeypatch):
    monkeypatch.setenv("CLAUDIA_LIVECHAT_HOURS", "always")
    services.reset()
    tracker = make_tracker({"action_statut": "inactiver", "siret": MAIRIE, "requested_slot": "confirmation_structure"},
                           intent="demander_agent", text="je veux parler à un conseiller")
    events, _ = run(DemanderAgent(), tracker, dispatcher, domain)
    assert {"event": "pause"} in [{"event": e["event"]} for e in events]
    handoff = services.handoffs().open_for(tracker.sender_id)
    assert handoff["login"] == "marie.dupont"
    assert handoff["context"]["procedure_en_cours"] == "inactiver"
    assert handoff["context"]["etape"] == "confirmation_structure"
    assert messages.AGENT_VA_REJOINDRE in texts(dispatcher)


def test_outside_opening_hours_offers_to_leave_a_message(env, dispatcher, domain, monkeypatch):
    monkeypatch.setenv("CLAUDIA_LIVECHAT_HOURS", "")
    services.reset()
    tracker = make_tracker(intent="demander_agent", text="un agent svp", active_loop=None)
    events, _ = run(DemanderAgent(), tracker, dispatcher, domain)
    assert "pause" not in [e["event"] for e in events]
    assert services.handoffs().open_for(tracker.sender_id) is None
    assert messages.CHAT_FERME in texts(dispatcher)
    assert [b["payload"] for b in dispatcher.messages[0]["buttons"]][0] == "/laisser_message"


def test_message_left_for_the_operators(env, dispatcher, domain):
    tracker = make_tracker({"requested_slot": "message_conseiller"}, intent="hors_perimetre",
                           text="Merci de me rappeler au 01 02 03 04 05", active_loop="formulaire_message")
    _, slots = run(ValidateFormulaireMessage(), tracker, dispatcher, domain)
    assert slots["message_conseiller"] == "Merci de me rappeler au 01 02 03 04 05"
    run(EnregistrerMessage(), make_tracker(slots, active_loop=None), dispatcher, domain)
    (left,) = services.handoffs().listing()
    assert left["status"] == "message" and left["message"].startswith("Merci de me rappeler")


def test_closed_message_on_a_public_holiday_says_when_it_reopens():
    from datetime import datetime
    from zoneinfo import ZoneInfo
    from actions.handoff_actions import closed_message
    from claudia.opening_hours import OpeningHours
    bastille_day = datetime(2026, 7, 14, 10, 0, tzinfo=ZoneInfo("Europe/Paris"))  # a Tuesday
    text = closed_message(OpeningHours(), now=bastille_day)
    assert "fermé aujourd'hui (Fête nationale, jour férié)" in text
    assert text.endswith("Réouverture le mercredi 15 juillet à 8 h 30.")
    friday_evening = datetime(2026, 12, 24, 19, 0, tzinfo=ZoneInfo("Europe/Paris"))  # Thursday 24, then Christmas
    assert closed_message(OpeningHours(), now=friday_evening).endswith("Réouverture le lundi 28 décembre à 8 h 30.")


def test_leaving_a_message_asks_for_it_on_the_first_turn(env, dispatcher, domain):
    tracker = make_tracker(intent="laisser_message", text="je voudrais laisser un message au support",
                           active_loop="formulaire_message")
    events, _ = run(ValidateFormulaireMessage(), tracker, dispatcher, domain)
    assert {"event": "slot", "name": "requested_slot", "value": "message_conseiller"} in [
        {k: e.get(k) for k in ("event", "name", "value")} for e in events]
    assert messages.QUESTION_MESSAGE in texts(dispatcher)
