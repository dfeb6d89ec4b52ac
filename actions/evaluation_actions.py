"""The guide's §3: thumbs up / thumbs down after a procedure, reason and comment."""
from __future__ import annotations

from typing import Any, Dict, List, Text

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from claudia import messages, services
from actions.context import current_login, latest_intent, latest_text, reset_procedure
from claudia.feedback import NEGATIVE, POSITIVE, REASONS
from actions.procedure_prompts import AsksNextStep
from claudia.vocabulary import normalize

EVALUATION_SLOTS = ["motif_insatisfaction", "commentaire", "envoi_commentaire"]
_REASON_WORDS = (
    ("question_non_comprise", ("compris", "comprise", "1")),
    ("reponse_imprecise", ("imprecis", "incomplet", "2")),
    ("reponse_compliquee", ("complique", "3")),
    ("autre", ("autre", "4")),
)


def reset_evaluation() -> List[Dict[Text, Any]]:
    return [SlotSet(name, None) for name in EVALUATION_SLOTS]


def _cancelled(tracker: Tracker) -> bool:
    return latest_intent(tracker) == "annuler" or latest_text(tracker) == "/annuler"


def _reason(tracker: Tracker):
    entity = next(tracker.get_latest_entity_values("motif"), None)
    if entity in REASONS:
        return entity
    text = normalize(latest_text(tracker))
    for reason, words in _REASON_WORDS:
        if any(word in text for word in words):
            return reason
    return None


class ValidateFormulaireEvaluation(AsksNextStep, FormValidationAction):
    def name(self) -> Text:
        return "validate_formulaire_evaluation"

    async def required_slots(self, domain_slots, dispatcher, tracker, domain) -> List[Text]:
        if tracker.get_slot("envoi_commentaire") is False:
            # Cancelled: nothing more to ask. The slot stays listed so that the
            # SDK keeps (validates) the value that ends the form.
            return ["envoi_commentaire"]
        return ["motif_insatisfaction", "commentaire", "envoi_commentaire"]

    def _requested(self, tracker: Tracker, slot: str) -> bool:
        return tracker.get_slot("requested_slot") == slot

    def extract_motif_insatisfaction(self, dispatcher, tracker, domain) -> Dict[Text, Any]:
        if not self._requested(tracker, "motif_insatisfaction"):
            return {}
        if _cancelled(tracker):
            return {"envoi_commentaire": False}
        reason = _reason(tracker)
        if reason is None:
            dispatcher.utter_message(text=messages.MOTIF_NON_COMPRIS)
        return {"motif_insatisfaction": reason}

    def extract_commentaire(self, dispatcher, tracker, domain) -> Dict[Text, Any]:
        if not self._requested(tracker, "commentaire"):
            return {}
        if _cancelled(tracker):
            return {"envoi_commentaire": False}
        text = latest_text(tracker).strip()
        if not text or text.startswith("/"):
            dispatcher.utter_message(text=messages.COMMENTAIRE_VIDE)
            return {"commentaire": None}
        return {"commentaire": text[:1000]}

    def extract_envoi_commentaire(self, dispatcher, tracker, domain) -> Dict[Text, Any]:
        if not self._requested(tracker, "envoi_commentaire"):
            return {}
        intent = latest_intent(tracker)
        if intent == "affirmer":
            return {"envoi_commentaire": True}
        if intent == "nier" or _cancelled(tracker):
            return {"envoi_commentaire": False}
        dispatcher.utter_message(text=messages.REPONDRE_OUI_NON)
        return {"envoi_commentaire": None}


    # Values are checked when extracted; these keep them as they are (and quiet the SDK).
    def validate_motif_insatisfaction(self, value, dispatcher, tracker, domain):
        return {"motif_insatisfaction": value if value in REASONS else None}

    def validate_commentaire(self, value, dispatcher, tracker, domain):
        return {"commentaire": value}

    def validate_envoi_commentaire(self, value, dispatcher, tracker, domain):
        return {"envoi_commentaire": value}


class EnregistrerEvaluation(Action):
    """Stores the vote (and reason, comment) with the procedure it is about."""

    def name(self) -> Text:
        return "action_enregistrer_evaluation"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict):
        context = tracker.get_slot("derniere_procedure") or {}
        store, login = services.feedback(), current_login(tracker)
        if latest_intent(tracker) == "evaluer_positif":
            store.record(tracker.sender_id, login, POSITIVE, context)
            dispatcher.utter_message(text=messages.MERCI_AVIS_POSITIF, buttons=messages.MENU_BUTTONS)
            return reset_evaluation()
        sent = tracker.get_slot("envoi_commentaire") is True
        store.record(
            tracker.sender_id, login, NEGATIVE, context,
            reason=tracker.get_slot("motif_insatisfaction"),
            comment=tracker.get_slot("commentaire") if sent else None,
            comment_cancelled=not sent,
        )
        dispatcher.utter_message(
            text=messages.AVIS_ENVOYE if sent else messages.AVIS_SANS_COMMENTAIRE,
            buttons=messages.APRES_AVIS_BUTTONS,
        )
        return reset_evaluation()


class ContinuerConversation(Action):
    """'Continuer notre conversation': a fresh start, nothing of the last procedure kept."""

    def name(self) -> Text:
        return "action_continuer_conversation"

    async def run(self, dispatcher, tracker, domain):
        dispatcher.utter_message(text=messages.CONTINUER, buttons=messages.MENU_BUTTONS)
        return reset_procedure() + reset_evaluation() + [SlotSet("derniere_procedure", None)]
