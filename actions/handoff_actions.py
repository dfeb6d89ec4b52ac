"""Asking for a person: the live chat with a support operator, or a message left."""
from __future__ import annotations

from datetime import datetime
from typing import Optional, Text

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import ActiveLoop, ConversationPaused, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from claudia import messages, services
from claudia.opening_hours import OpeningHours, french_moment
from actions import message_draft
from actions.context import current_login, latest_intent, latest_text, vouched
from claudia.provenance import Provenance
from actions.procedure_prompts import AsksNextStep


def handoff_context(tracker: Tracker) -> dict:
    """What the operator needs to know: the procedure, the structure, where it stopped."""
    feedback = services.feedback().for_conversation(tracker.sender_id)
    fiche = tracker.get_slot("fiche_structure") or {}
    return {
        "procedure_en_cours": tracker.get_slot("action_statut"),
        "siret": tracker.get_slot("siret"),
        "structure": fiche.get("name"),
        "etape": tracker.get_slot("requested_slot") or tracker.active_loop_name,
        "derniere_procedure": tracker.get_slot("derniere_procedure"),
        "evaluation": feedback[-1] if feedback else None,
    }


def closed_message(hours: OpeningHours, now: Optional[datetime] = None) -> str:
    """« fermé … Réouverture le lundi 16 novembre à 8 h 30 », naming today's holiday if any."""
    now = (now or hours.now()).astimezone(hours.zone)
    reopening = hours.next_opening(now)
    return messages.chat_ferme(french_moment(reopening) if reopening else None, hours.holiday_name(now.date()))


class DemanderAgent(Action):
    """'Contacter un agent' or 'je veux parler à un conseiller', at any moment."""

    def name(self) -> Text:
        return "action_demander_agent"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict):
        queue = services.handoffs()
        hours = services.opening_hours()
        if not hours.is_open():
            dispatcher.utter_message(text=closed_message(hours), buttons=messages.CHAT_FERME_BUTTONS)
            return [ActiveLoop(None)]
        if queue.open_for(tracker.sender_id):
            dispatcher.utter_message(text=messages.AGENT_DEJA_DEMANDE, buttons=messages.NE_PLUS_ATTENDRE_BUTTONS)
        else:
            login = current_login(tracker)
            queue.request(tracker.sender_id, login, handoff_context(tracker),
                          provenance=vouched(tracker, login, Provenance.handoff_request))
            dispatcher.utter_message(text=messages.AGENT_VA_REJOINDRE, buttons=messages.NE_PLUS_ATTENDRE_BUTTONS)
        # The assistant stays silent until the operator closes the chat; the user's
        # messages keep being recorded in the tracker.
        return [ActiveLoop(None), ConversationPaused()]


class ValidateFormulaireMessage(AsksNextStep, FormValidationAction):
    def name(self) -> Text:
        return "validate_formulaire_message"

    def extract_message_conseiller(self, dispatcher, tracker, domain):
        if tracker.get_slot("requested_slot") != "message_conseiller":
            return {}
        if latest_intent(tracker) == "annuler" or latest_text(tracker) == "/annuler":
            return {"message_conseiller": ""}  # empty: the user chose not to leave one
        text = latest_text(tracker).strip()
        draft = message_draft.pending_draft(tracker)  # « ok » was typed and its sending asked about
        if draft is not None and (text == "/affirmer" or latest_intent(tracker) == "affirmer"):
            return {"message_conseiller": draft[:2000]}
        if draft is not None and (text == "/nier" or latest_intent(tracker) == "nier"):
            return {"message_conseiller": None}  # asked again for the message
        if not text or text.startswith("/"):
            return {"message_conseiller": None}
        if message_draft.says_nothing(text):
            dispatcher.utter_message(text=message_draft.question(text), buttons=message_draft.SEND_AS_IS)
            return {"message_conseiller": None}
        return {"message_conseiller": text[:2000]}

    def validate_message_conseiller(self, value, dispatcher, tracker, domain):
        return {"message_conseiller": value}

    async def run(self, dispatcher, tracker, domain):
        events = await super().run(dispatcher, tracker, domain)
        if any(m.get("buttons") == message_draft.SEND_AS_IS for m in dispatcher.messages):
            # Its sending is asked about: not the step's question again on top of it.
            dispatcher.messages[:] = [m for m in dispatcher.messages if m.get("text") != messages.QUESTION_MESSAGE]
        return events

    async def next_requested_slot(self, dispatcher, tracker, domain):
        # The SDK leaves this to Rasa when the form has its domain's slots, and then
        # AsksNextStep never sees which step comes: the form's first turn said nothing.
        return SlotSet("requested_slot", None if tracker.slots.get("message_conseiller") is not None
                       else "message_conseiller")


class EnregistrerMessage(Action):
    def name(self) -> Text:
        return "action_enregistrer_message"

    async def run(self, dispatcher, tracker, domain):
        text = tracker.get_slot("message_conseiller")
        if text:
            login = current_login(tracker)
            services.handoffs().leave_message(tracker.sender_id, login, handoff_context(tracker), text,
                                              provenance=vouched(tracker, login, Provenance.message_left, text))
            dispatcher.utter_message(text=messages.MESSAGE_LAISSE, buttons=messages.MENU_BUTTONS)
        else:
            dispatcher.utter_message(text=messages.MESSAGE_ANNULE, buttons=messages.MENU_BUTTONS)
        return [SlotSet("message_conseiller", None)]


class FinConseiller(Action):
    """Run when the operator closes the chat: the assistant is back and asks for an evaluation."""

    def name(self) -> Text:
        return "action_fin_conseiller"

    async def run(self, dispatcher, tracker, domain):
        dispatcher.utter_message(text=messages.FIN_CONSEILLER)
        dispatcher.utter_message(text=messages.EVALUATION_QUESTION, buttons=messages.EVALUATION_BUTTONS)
        return []
