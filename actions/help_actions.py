"""Answers to "what does this word mean?" and "what do I need?", at any step."""
from __future__ import annotations

from typing import Optional, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from claudia import messages
from actions.context import latest_intent, latest_text
from claudia.registry import ACTIVATE, INACTIVATE
from claudia.vocabulary import normalize, term

# The term a bare "c'est quoi ?" most likely refers to, given the step being asked.
TERM_OF_STEP = {
    "type_structure": "structure_publique",
    "siret": "siret",
    "successeur_existe": "successeur",
    "siret_successeur": "successeur",
}


def _asked_term(tracker: Tracker) -> Optional[str]:
    entity = next(tracker.get_latest_entity_values("terme"), None)
    return term(entity) or term(latest_text(tracker)) or TERM_OF_STEP.get(
        tracker.get_slot("requested_slot")
    )


class Expliquer(Action):
    def name(self) -> Text:
        return "action_expliquer"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict):
        if latest_intent(tracker) == "demander_prerequis":
            dispatcher.utter_message(text=self._prerequisites(tracker))
        else:
            asked = _asked_term(tracker)
            dispatcher.utter_message(text=messages.DEFINITIONS.get(asked, messages.DEFINITION_GENERALE))
        return []

    @staticmethod
    def _prerequisites(tracker: Tracker) -> str:
        operation = tracker.get_slot("action_statut")
        if operation is None:
            text = normalize(latest_text(tracker))
            if "inactiv" in text or "desactiv" in text:
                operation = INACTIVATE
            elif "activ" in text:
                operation = ACTIVATE
        if operation == ACTIVATE:
            return messages.PREREQUIS_ACTIVATION
        if operation == INACTIVATE:
            return messages.PREREQUIS_INACTIVATION
        return messages.PREREQUIS_ACTIVATION + "\n\n" + messages.PREREQUIS_INACTIVATION
