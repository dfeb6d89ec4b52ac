"""The questions of the procedure's steps, with their buttons.

Rasa forms call `action_ask_<slot>` to ask for a step. Each question is an
action (rather than a domain response) because some show what was found
(the structure card, the summary before the final confirmation).
"""
from __future__ import annotations

from typing import Any, Dict, List, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions import messages

YES_NO_BUTTONS = [{"title": "Oui", "payload": "/affirmer"}, {"title": "Non", "payload": "/nier"}]


class _Question(Action):
    slot: Text = ""

    def name(self) -> Text:
        return f"action_ask_{self.slot}"

    def question(self, tracker: Tracker) -> Text:
        raise NotImplementedError

    def buttons(self, tracker: Tracker) -> List[Dict[Text, Any]]:
        return []

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict):
        dispatcher.utter_message(text=self.question(tracker), buttons=self.buttons(tracker))
        return []


class AskTypeStructure(_Question):
    slot = "type_structure"

    def question(self, tracker: Tracker) -> Text:
        return messages.QUESTION_TYPE

    def buttons(self, tracker: Tracker) -> List[Dict[Text, Any]]:
        return [
            {"title": "Structure publique", "payload": '/informer_type_structure{"type_structure": "publique"}'},
            {"title": "Structure privée", "payload": '/informer_type_structure{"type_structure": "privee"}'},
        ]


class AskActionStatut(_Question):
    slot = "action_statut"

    def question(self, tracker: Tracker) -> Text:
        return messages.QUESTION_ACTION

    def buttons(self, tracker: Tracker) -> List[Dict[Text, Any]]:
        return [
            {"title": "Activer une structure publique", "payload": "/activer_structure"},
            {"title": "Inactiver une structure publique", "payload": "/inactiver_structure"},
        ]


class AskSiret(_Question):
    slot = "siret"

    def question(self, tracker: Tracker) -> Text:
        return messages.QUESTION_SIRET.get(tracker.get_slot("action_statut"), messages.QUESTION_SIRET[None])


class AskConfirmationStructure(_Question):
    """Step 6 of the guide: show the structure found and ask if it is the right one."""

    slot = "confirmation_structure"

    def question(self, tracker: Tracker) -> Text:
        fiche = tracker.get_slot("fiche_structure") or {}
        return messages.structure_card(fiche, tracker.get_slot("action_statut"))

    def buttons(self, tracker: Tracker) -> List[Dict[Text, Any]]:
        return [
            {"title": "Oui, c'est la bonne structure", "payload": "/affirmer"},
            {"title": "Non", "payload": "/nier"},
        ]


class AskSuccesseurExiste(_Question):
    slot = "successeur_existe"

    def question(self, tracker: Tracker) -> Text:
        return messages.QUESTION_SUCCESSEUR_EXISTE

    def buttons(self, tracker: Tracker) -> List[Dict[Text, Any]]:
        return YES_NO_BUTTONS + [
            {
                "title": "Qu'est-ce qu'un SIRET reprenant l'activité ?",
                "payload": '/demander_definition{"terme": "successeur"}',
            }
        ]


class AskSiretSuccesseur(_Question):
    slot = "siret_successeur"

    def question(self, tracker: Tracker) -> Text:
        return messages.QUESTION_SIRET_SUCCESSEUR


class AskConfirmationAction(_Question):
    """Confirm the action, naming the successor when there is one."""

    slot = "confirmation_action"

    def question(self, tracker: Tracker) -> Text:
        return messages.confirm_action(
            tracker.get_slot("action_statut"),
            tracker.get_slot("fiche_structure") or {},
            tracker.get_slot("fiche_successeur"),
        )

    def buttons(self, tracker: Tracker) -> List[Dict[Text, Any]]:
        return [{"title": "Confirmer", "payload": "/affirmer"}, {"title": "Annuler", "payload": "/nier"}]
