"""No dead ends: a message not understood gets its likely meanings as buttons, then a person.

Rasa's two-stage fallback asks "did you mean X?" for one intent; here the two or
three most likely meanings are offered at once (from the NLU's ranking, with the
operation read in the words first), then, if the next message is not understood
either, a person. A procedure asked for in any words while not connected always
gets the connected-mode notice.
"""
from __future__ import annotations

from typing import Any, Dict, List, Optional, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import FollowupAction, SlotSet, UserUtteranceReverted
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from claudia import messages
from actions.context import current_login, evaluation_pending, latest_intent, latest_text, previous_user_intent
from actions.answers import answer, names_a_structure
from actions.evaluation_actions import record_thumbs_up, vote_given
from actions.procedure_actions import USER_ENDINGS
from actions.procedure_changes import correction_after_end
from claudia.question_forms import asks_about_invoices_rejected
from claudia.registry import DONE
from claudia.siret import format_siret
from claudia.vocabulary import courtesy, mentions_procedure, normalize, requested_operation

NOT_UNDERSTOOD = {"nlu_fallback"}
MAX_CHOICES = 3
OPERATION_INTENTS = {"activer": "activer_structure", "inactiver": "inactiver_structure"}
EVALUATION_INTENTS = {"evaluer_positif", "evaluer_negatif"}
PROCEDURE_ONLY_INTENTS = {"annuler", "recommencer"}
GIVES_A_STEP = {"informer_siret", "informer_type_structure"}
# Answers that mean nothing without a question ("oui" when nothing was asked).
OUT_OF_CONTEXT = {"affirmer", "nier", "choisir_motif"}
NOT_REFUSALS = {DONE, "annulee_par_utilisateur"} | USER_ENDINGS


def _refused(tracker: Tracker) -> Optional[str]:
    """The reason the last procedure was refused, if it was (not done, not stopped by the user)."""
    outcome = (tracker.get_slot("derniere_procedure") or {}).get("outcome")
    return outcome if outcome and outcome not in NOT_REFUSALS else None


def _button(intent: str) -> Dict[Text, Any]:
    return {"title": messages.INTENT_TITLES[intent], "payload": f"/{intent}"}


def likely_meanings(tracker: Tracker) -> List[str]:
    """The intents worth offering, most likely first."""
    text = latest_text(tracker)
    ranked: List[str] = []
    operation = requested_operation(text)
    if operation:
        ranked.append(OPERATION_INTENTS[operation])
    elif mentions_procedure(text):
        ranked.append("demander_changement_statut")
    elif latest_intent(tracker) in GIVES_A_STEP:
        ranked += ["activer_structure", "inactiver_structure"]  # a SIRET or a type alone: which procedure?
    pending = evaluation_pending(tracker)
    in_procedure = bool(tracker.get_slot("action_statut")) or tracker.active_loop_name == "formulaire_statut"
    for candidate in (tracker.latest_message or {}).get("intent_ranking") or []:
        name = candidate.get("name")
        if name not in messages.INTENT_TITLES or name in ranked:
            continue
        if name in EVALUATION_INTENTS and not pending:
            continue
        if name in PROCEDURE_ONLY_INTENTS and not in_procedure:
            continue
        ranked.append(name)
    return ranked[:MAX_CHOICES]


class MessageIncompris(Action):
    """For `nlu_fallback` and `hors_perimetre`: the notice, the likely meanings, or a person."""

    def name(self) -> Text:
        return "action_message_incompris"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict):
        text = latest_text(tracker)
        if mentions_procedure(text) and current_login(tracker) is None:
            dispatcher.utter_message(text=messages.refusal("non_connecte"))
            return []
        correction = correction_after_end(tracker)
        if correction:
            operation, siret = correction
            dispatcher.utter_message(text=messages.REPRISE_AUTRE_SIRET.format(
                operation=operation, siret=format_siret(siret)))
            return [SlotSet("action_statut", operation), SlotSet("type_structure", "publique"),
                    FollowupAction("formulaire_statut")]
        if previous_user_intent(tracker) == "demander_statut" and names_a_structure(tracker):
            answer("statut", dispatcher, tracker)  # « et l'office de tourisme 219 300 019 00342 ? »
            return []
        pending = evaluation_pending(tracker)
        if pending and vote_given(tracker) is not None:
            return self._answer_evaluation(dispatcher, tracker, text)
        if pending and _refused(tracker) == "non_connecte" and "connect" in normalize(text):
            # « je suis pourtant bien connectée ! »: this chat was opened without the user's identity
            dispatcher.utter_message(text=messages.CONNEXION_EXPLIQUEE, buttons=[messages.AGENT_BUTTON])
            return []
        if latest_intent(tracker) == "hors_perimetre" and (
                not mentions_procedure(text) or asks_about_invoices_rejected(text)):
            dispatcher.utter_message(text=messages.HORS_PERIMETRE_AIDE,
                                     buttons=messages.MENU_BUTTONS + [messages.AGENT_BUTTON])
            return []
        if pending and _refused(tracker) and latest_intent(tracker) in NOT_UNDERSTOOD | {"hors_perimetre", "affirmer"}:
            # « comment ça pas les droits ?? je suis bien connectée ! »: what the refusal means, who helps
            answer("contact", dispatcher, tracker)
            return []
        kind = courtesy(text)
        if kind:
            dispatcher.utter_message(response=f"utter_{kind}")
            return []
        if latest_intent(tracker) in OUT_OF_CONTEXT:
            dispatcher.utter_message(text=messages.NEUTRE, buttons=messages.MENU_BUTTONS)
            return []
        if previous_user_intent(tracker) in NOT_UNDERSTOOD | {"hors_perimetre"}:
            dispatcher.utter_message(text=messages.INCOMPRIS_ENCORE,
                                     buttons=[messages.AGENT_BUTTON] + messages.MENU_BUTTONS)
            return []
        self._offer_meanings(dispatcher, likely_meanings(tracker))
        # A procedure started from one of these buttons still reads this message's SIRET and type.
        return [] if text.startswith("/") else [SlotSet("demande_en_attente", text[:1000])]

    @staticmethod
    def _answer_evaluation(dispatcher: CollectingDispatcher, tracker: Tracker, text: str) -> List[Dict[Text, Any]]:
        """The evaluation answered in words the model was unsure of: « top », « bof »..."""
        if vote_given(tracker) is True:
            return record_thumbs_up(dispatcher, tracker)
        return [FollowupAction("formulaire_evaluation")]  # the reasons, as after 👎

    @staticmethod
    def _offer_meanings(dispatcher: CollectingDispatcher, meanings: List[str]) -> None:
        if not meanings:
            dispatcher.utter_message(text=messages.INCOMPRIS, buttons=messages.MENU_BUTTONS + [messages.AGENT_BUTTON])
            return
        dispatcher.utter_message(text=messages.INTERPRETATIONS,
                                 buttons=[_button(intent) for intent in meanings] + [messages.AGENT_BUTTON])


class DefautIncompris(MessageIncompris):
    """The same answers when no rule applies: replaces Rasa's `action_default_fallback`
    (RulePolicy's core fallback; the review counts it as a fallback).

    Like Rasa's own, it then forgets the message, so the
    conversation waits for the next one instead of predicting this action again.
    """

    def name(self) -> Text:
        return "action_default_fallback"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict):
        events = await super().run(dispatcher, tracker, domain)
        if any(event.get("event") == "followup" for event in events):
            return events  # the reasons of a 👎 come next
        return events + [UserUtteranceReverted()]
