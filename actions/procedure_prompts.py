"""The questions of every form step, with their buttons, asked by the validation actions.

Rasa's forms would call an `action_ask_<slot>` after each validation: one more HTTP
round trip to the action server per turn. The validation action already runs on
every form turn and knows the next step, so it asks the question itself
(`AsksNextStep`) and the domain declares no ask action (bench/changes.md).
"""
from __future__ import annotations

from typing import Any, Callable, Dict, List, Optional, Text, Tuple

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from claudia import messages
from claudia.feedback import REASONS

Buttons = List[Dict[Text, Any]]
YES_NO_BUTTONS = [{"title": "Oui", "payload": "/affirmer"}, {"title": "Non", "payload": "/nier"}]
CANCEL_BUTTON = [{"title": "Annuler", "payload": "/annuler"}]


def _type_structure(tracker: Tracker) -> Tuple[Text, Buttons]:
    return messages.QUESTION_TYPE, [
        {"title": "Structure publique", "payload": '/informer_type_structure{"type_structure": "publique"}'},
        {"title": "Structure privée", "payload": '/informer_type_structure{"type_structure": "privee"}'},
    ]


def _action_statut(tracker: Tracker) -> Tuple[Text, Buttons]:
    return messages.QUESTION_ACTION, [
        {"title": "Activer une structure publique", "payload": "/activer_structure"},
        {"title": "Inactiver une structure publique", "payload": "/inactiver_structure"},
    ]


def _siret(tracker: Tracker) -> Tuple[Text, Buttons]:
    return messages.QUESTION_SIRET.get(tracker.get_slot("action_statut"), messages.QUESTION_SIRET[None]), []


def _confirmation_structure(tracker: Tracker) -> Tuple[Text, Buttons]:
    """Step 6 of the guide: show the structure found and ask if it is the right one."""
    card = messages.structure_card(tracker.get_slot("fiche_structure") or {}, tracker.get_slot("action_statut"))
    return card, [{"title": "Oui, c'est la bonne structure", "payload": "/affirmer"},
                  {"title": "Non", "payload": "/nier"}]


def _successeur_existe(tracker: Tracker) -> Tuple[Text, Buttons]:
    return messages.QUESTION_SUCCESSEUR_EXISTE, YES_NO_BUTTONS + [
        {"title": "Qu'est-ce qu'un SIRET reprenant l'activité ?",
         "payload": '/demander_definition{"terme": "successeur"}'}]


def _siret_successeur(tracker: Tracker) -> Tuple[Text, Buttons]:
    return messages.QUESTION_SIRET_SUCCESSEUR, []


def _confirmation_action(tracker: Tracker) -> Tuple[Text, Buttons]:
    """Confirm the action, naming the successor when there is one."""
    text = messages.confirm_action(tracker.get_slot("action_statut"), tracker.get_slot("fiche_structure") or {},
                                   tracker.get_slot("fiche_successeur"))
    return text, [{"title": "Confirmer", "payload": "/affirmer"}, {"title": "Annuler", "payload": "/nier"}]


def _motif_insatisfaction(tracker: Tracker) -> Tuple[Text, Buttons]:
    reasons = [{"title": label, "payload": f'/choisir_motif{{"motif": "{code}"}}'} for code, label in REASONS.items()]
    return messages.QUESTION_MOTIF, reasons + CANCEL_BUTTON


def _commentaire(tracker: Tracker) -> Tuple[Text, Buttons]:
    return messages.QUESTION_COMMENTAIRE, CANCEL_BUTTON


def _envoi_commentaire(tracker: Tracker) -> Tuple[Text, Buttons]:
    return messages.comment_to_send(tracker.get_slot("commentaire") or ""), [
        {"title": "Envoyer", "payload": "/affirmer"}, {"title": "Annuler", "payload": "/nier"}]


def _message_conseiller(tracker: Tracker) -> Tuple[Text, Buttons]:
    return messages.QUESTION_MESSAGE, CANCEL_BUTTON


QUESTIONS: Dict[Text, Callable[[Tracker], Tuple[Text, Buttons]]] = {
    "type_structure": _type_structure,
    "action_statut": _action_statut,
    "siret": _siret,
    "confirmation_structure": _confirmation_structure,
    "successeur_existe": _successeur_existe,
    "siret_successeur": _siret_successeur,
    "confirmation_action": _confirmation_action,
    "motif_insatisfaction": _motif_insatisfaction,
    "commentaire": _commentaire,
    "envoi_commentaire": _envoi_commentaire,
    "message_conseiller": _message_conseiller,
}


def ask(slot: Text, dispatcher: CollectingDispatcher, tracker: Tracker) -> None:
    text, buttons = QUESTIONS[slot](tracker)
    dispatcher.utter_message(text=text, buttons=buttons)


class AsksNextStep:
    """Mixin for FormValidationAction: after validating, ask for the step that comes next.

    If Rasa then rejects the form's turn (the message was a question about something
    else), the whole turn's output is dropped, this question with it; the form asks
    again after the rules have answered.
    """

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain) -> List[Dict[Text, Any]]:
        events = await super().run(dispatcher, tracker, domain)  # type: ignore[misc]
        next_slot: Optional[Text] = next(
            (e["value"] for e in reversed(events) if e.get("event") == "slot" and e.get("name") == "requested_slot"),
            None)
        if next_slot in QUESTIONS:
            ask(next_slot, dispatcher, tracker)
        return events
