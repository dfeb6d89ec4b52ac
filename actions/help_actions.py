"""Questions asked outside any step: « c'est quoi un SIRET ? », « ma structure est-elle active ? »…

Inside a step, the step answers them itself (actions/repair_steps.py); both use
actions/answers.py.
"""
from __future__ import annotations

from typing import Text

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from claudia import messages
from actions.answers import answer, topic_of_latest


class Expliquer(Action):
    def name(self) -> Text:
        return "action_expliquer"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict):
        answer(topic_of_latest(tracker), dispatcher, tracker)
        return []


class Repeter(Action):
    """« Vous pouvez répéter ? » outside a step: the assistant's last message again, buttons included."""

    def name(self) -> Text:
        return "action_repeter"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict):
        for event in reversed(tracker.events):
            if event.get("event") == "bot" and event.get("text"):
                buttons = (event.get("data") or {}).get("buttons") or []
                dispatcher.utter_message(text=messages.REPETITION)
                dispatcher.utter_message(text=event["text"], buttons=buttons)
                return []
        dispatcher.utter_message(response="utter_saluer")
        return []
