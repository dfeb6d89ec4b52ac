"""The repair table applied at every step of every form (docs/repair.md).

`RepairsSteps` is a mixin for the forms' validation actions. Before a step's own
extraction runs, the message is read (claudia/repair.py) with what the step says it
awaits (`awaits`). Only the awaited answer reaches the step's `extract_`/`validate_`
methods; a question is answered, a hesitation reassured, a repeat repeated, and the
same step is asked again; leaving (stop, a person, goodbye, start again) is left to the
rules, the form stepping aside; after two messages in a row that do not answer, the
question comes with an explanation in other words and buttons to get out.
"""
from __future__ import annotations

from typing import Any, Dict, List, Text

from rasa_sdk import Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from claudia import messages
from actions.answers import answer
from actions.context import latest_intent, latest_text, saw_question
from actions.procedure_prompts import QUESTIONS
from claudia.question_forms import asks_definition
from claudia.repair import HESITATION, NEW_REQUEST, QUESTION, REPEAT, Reading, needs_help, read

MISSES = "relances"
# What a step says when the message is not understood (before the help comes).
NOT_UNDERSTOOD = {
    "type_structure": messages.TYPE_NON_COMPRIS,
    "action_statut": messages.ACTION_NON_COMPRISE,
    "siret": messages.SIRET_ERREURS["absent"],
    "siret_successeur": messages.SIRET_ERREURS["absent"],
    "confirmation_structure": messages.REPONDRE_OUI_NON,
    "successeur_existe": messages.REPONDRE_OUI_NON,
    "confirmation_action": messages.REPONDRE_OUI_NON,
    "envoi_commentaire": messages.REPONDRE_OUI_NON,
    "motif_insatisfaction": messages.MOTIF_NON_COMPRIS,
}
SIRET_STEPS = {"siret", "siret_successeur"}


def ask_again(step: Text, dispatcher: CollectingDispatcher, tracker: Tracker, with_help: bool) -> None:
    """The step's question again; with help, its buttons plus a person and « Annuler »."""
    text, buttons = QUESTIONS[step](tracker)
    if with_help:
        offered = {b["payload"] for b in buttons}
        buttons = buttons + [b for b in messages.SORTIE_BUTTONS if b["payload"] not in offered]
    dispatcher.utter_message(text=text, buttons=buttons)


def respond(reading: Reading, step: Text, misses: int, dispatcher: CollectingDispatcher, tracker: Tracker) -> None:
    """What ClaudIA says before asking the step again, for each kind of message."""
    if reading.kind == QUESTION:
        answer(reading.topic, dispatcher, tracker)
    elif reading.kind == HESITATION:
        dispatcher.utter_message(text=messages.HESITATION)
        if step in SIRET_STEPS:
            dispatcher.utter_message(text=messages.OU_TROUVER_SIRET)
    elif reading.kind == REPEAT:
        dispatcher.utter_message(text=messages.REPETITION)
    elif reading.kind == NEW_REQUEST:
        dispatcher.utter_message(text=messages.TOUJOURS_EN_COURS)
    if needs_help(misses) and step in messages.AIDE_ETAPE:
        dispatcher.utter_message(text=messages.AIDE_ETAPE[step])
    elif reading.kind not in (QUESTION, HESITATION, REPEAT, NEW_REQUEST) and step in NOT_UNDERSTOOD:
        dispatcher.utter_message(text=NOT_UNDERSTOOD[step])


class RepairsSteps:
    """Mixin for a FormValidationAction: reads each message at a step before the step does."""

    also_leaving: frozenset = frozenset()  # kinds that leave this form's steps too

    def awaits(self, step: Text, tracker: Tracker) -> bool:
        """Does the latest message hold what `step` asks for (or a correction it handles)?"""
        raise NotImplementedError

    def reading(self, step: Text, tracker: Tracker) -> Reading:
        parsed = (tracker.latest_message or {}).get("intent") or {}
        text = latest_text(tracker)
        return read(latest_intent(tracker), parsed.get("confidence") or 0.0, self.awaits(step, tracker),
                    clicked=text.startswith("/"), asks_meaning=asks_definition(text))

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain) -> List[Dict[Text, Any]]:
        step = tracker.get_slot("requested_slot")
        if step not in QUESTIONS or tracker.active_loop_name != self.form_name():  # type: ignore[attr-defined]
            return await super().run(dispatcher, tracker, domain)  # type: ignore[misc]
        question = QUESTIONS[step](tracker)[0]
        if not saw_question(tracker, question):
            # Typed before this question reached the user (« Oui » clicked twice): it answered
            # the question before, already taken. The step is asked again, nothing read.
            ask_again(step, dispatcher, tracker, with_help=False)
            # a slot other than requested_slot, or Rasa would reject the form's turn
            return [SlotSet(MISSES, tracker.get_slot(MISSES)), SlotSet("requested_slot", step)]
        reading = self.reading(step, tracker)
        if reading.answers:
            events = await super().run(dispatcher, tracker, domain)  # type: ignore[misc]
            return events + self._count_invalid_answer(step, events, dispatcher, tracker)
        if reading.leaves_the_step or reading.kind in self.also_leaving:
            return []  # nothing validated: the form steps aside and the rules act
        misses = int(tracker.get_slot(MISSES) or 0) + 1
        respond(reading, step, misses, dispatcher, tracker)
        ask_again(step, dispatcher, tracker, needs_help(misses))
        # The same step stays asked: said explicitly, or Rasa would take the domain's order.
        return [SlotSet(MISSES, misses), SlotSet("requested_slot", step)]

    @staticmethod
    def _count_invalid_answer(step: Text, events: List[Dict[Text, Any]], dispatcher: CollectingDispatcher,
                              tracker: Tracker) -> List[Dict[Text, Any]]:
        """An answer the step refused (a wrong SIRET, a successor not allowed) is a miss too:
        the same question is never asked a third time without help and a way out."""
        asked = next((e["value"] for e in reversed(events)
                      if e.get("event") == "slot" and e.get("name") == "requested_slot"), None)
        if asked != step:
            return [SlotSet(MISSES, None)] if tracker.get_slot(MISSES) else []
        misses = int(tracker.get_slot(MISSES) or 0) + 1
        if needs_help(misses) and dispatcher.messages:
            question = dispatcher.messages[-1]
            offered = {b.get("payload") for b in question.get("buttons") or []}
            question["buttons"] = (question.get("buttons") or []) + [
                b for b in messages.SORTIE_BUTTONS if b["payload"] not in offered]
            if step in messages.AIDE_ETAPE:
                help_text = CollectingDispatcher()
                help_text.utter_message(text=messages.AIDE_ETAPE[step])
                dispatcher.messages.insert(len(dispatcher.messages) - 1, help_text.messages[0])
        return [SlotSet(MISSES, misses)]
