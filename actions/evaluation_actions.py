"""The guide's §3: thumbs up / thumbs down after a procedure, reason and comment.

Typed answers count as much as the buttons: « oui », « super », « merci » are a 👍,
« non », « bof », « nul » a 👎 (then the reasons, which can be typed in words). A
vote is stored only when the question is really waiting for it
(`evaluation_pending`), and a new request, « annuler » or asking for a person
leaves the reason and comment steps at once.
"""
from __future__ import annotations

import re
from typing import Any, Dict, List, Optional, Text

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import ActiveLoop, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from claudia import messages, services
from actions.context import (
    current_login, evaluation_pending, latest_intent, latest_text, reset_procedure, saw_question, vouched,
)
from claudia.provenance import Provenance
from claudia.feedback import NEGATIVE, POSITIVE, REASONS
from actions.procedure_prompts import AsksNextStep
from actions.repair_steps import RepairsSteps
from claudia.repair import NEW_REQUEST
from claudia.vocabulary import evaluation_in_words, mentions_procedure, normalize, yes_no

EVALUATION_SLOTS = ["motif_insatisfaction", "commentaire", "envoi_commentaire"]
POSITIVE_INTENTS = {"evaluer_positif", "affirmer", "remercier"}
# Intents that leave the reason and comment steps: a new request or a person.
LEAVING_INTENTS = {"activer_structure", "inactiver_structure", "demander_changement_statut", "demander_agent"}
LEAVING_CONFIDENCE = 0.8
_REASON_WORDS = (
    ("question_non_comprise", r"\b(?:pas|mal|rien|in)\s*compri|\bcompris|\bcomprend|\bpremier|\b1\b|\bla 1\b"),
    ("reponse_imprecise", r"imprecis|incomplet|vague|manqu|pas assez|precis|\bdeuxieme|\bsecond|\b2\b"),
    ("reponse_compliquee", r"complique|complexe|difficile|technique|jargon|\btroisieme|\b3\b"),
    ("autre", r"\bautre|\bdernier|\bquatrieme|\baucun|\b4\b"),
)


CLICKED_VOTES = {"/evaluer_positif": True, "/evaluer_negatif": False}


def vote_given(tracker: Tracker) -> Optional[bool]:
    """The vote in the latest message: a click on 👍 / 👎, or words that evaluate, typed after
    the user saw « Cette réponse vous a-t-elle aidé ? ». None for anything else (a request, a
    protest, a goodbye, a confirmation sent twice): the evaluation is optional."""
    text = latest_text(tracker)
    if text.startswith("/"):
        return CLICKED_VOTES.get(text.split("{", 1)[0])
    if not saw_question(tracker, messages.EVALUATION_QUESTION):
        return None
    return evaluation_in_words(text)


def reset_evaluation() -> List[Dict[Text, Any]]:
    return [SlotSet(name, None) for name in EVALUATION_SLOTS]


def _cancelled(tracker: Tracker) -> bool:
    return latest_intent(tracker) == "annuler" or latest_text(tracker) == "/annuler"


def _leaves(tracker: Tracker) -> bool:
    """A new procedure request or a request for a person, said during the reason or comment."""
    if latest_intent(tracker) not in LEAVING_INTENTS:
        return False
    text = latest_text(tracker)
    if text.startswith("/"):
        return True
    confidence = ((tracker.latest_message or {}).get("intent") or {}).get("confidence") or 0.0
    return confidence >= LEAVING_CONFIDENCE and (
        latest_intent(tracker) == "demander_agent" or mentions_procedure(text))


def _says_goodbye(tracker: Tracker) -> bool:
    confidence = ((tracker.latest_message or {}).get("intent") or {}).get("confidence") or 0.0
    return latest_intent(tracker) == "au_revoir" and confidence >= LEAVING_CONFIDENCE


def reason_in_words(tracker: Tracker) -> Optional[str]:
    entity = next(tracker.get_latest_entity_values("motif"), None)
    if entity in REASONS:
        return entity
    text = normalize(latest_text(tracker))
    for reason, pattern in _REASON_WORDS:
        if re.search(pattern, text):
            return reason
    return None


_SEND = re.compile(r"\benvo[iy]")


def _send_in_words(tracker: Tracker) -> Optional[bool]:
    """« envoyer », « envoie le commentaire »: the Envoyer button in words."""
    text = normalize(latest_text(tracker))
    if _SEND.search(text):
        return not re.search(r"\bpas\b|\bne\b|\bn'", text)
    return None


class ValidateFormulaireEvaluation(RepairsSteps, AsksNextStep, FormValidationAction):
    # a new request leaves the evaluation (the 👎 already given is kept): rules start it
    also_leaving = {NEW_REQUEST}

    def name(self) -> Text:
        return "validate_formulaire_evaluation"

    def awaits(self, step: Text, tracker: Tracker) -> bool:
        if _cancelled(tracker):
            return True
        if step == "motif_insatisfaction":
            return reason_in_words(tracker) is not None
        if step == "commentaire":  # everything typed is the comment, but leaving
            return not _leaves(tracker) and not _says_goodbye(tracker)
        if step == "envoi_commentaire":
            return latest_intent(tracker) in ("affirmer", "nier") or _send_in_words(tracker) is not None
        return True

    async def required_slots(self, domain_slots, dispatcher, tracker, domain) -> List[Text]:
        if tracker.get_slot("requested_slot") is None and latest_intent(tracker) == "nier" and \
                not evaluation_pending(tracker, closing_loops={"formulaire_statut"}):
            return []  # a "non" that answered something else: no evaluation to collect
        if tracker.get_slot("requested_slot") is None and not latest_text(tracker).startswith("/") \
                and vote_given(tracker) is not False:
            return []  # words that do not evaluate (a correction, a protest): no 👎 to explain
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
        reason = reason_in_words(tracker)
        if reason is None and _leaves(tracker):
            return {}  # the form steps aside: a rule leaves the evaluation
        if reason is None:
            dispatcher.utter_message(text=messages.MOTIF_NON_COMPRIS)
        return {"motif_insatisfaction": reason}

    def extract_commentaire(self, dispatcher, tracker, domain) -> Dict[Text, Any]:
        if not self._requested(tracker, "commentaire"):
            return {}
        if _cancelled(tracker):
            return {"envoi_commentaire": False}
        if _leaves(tracker):
            return {}
        text = latest_text(tracker).strip()
        if not text or text.startswith("/"):
            dispatcher.utter_message(text=messages.COMMENTAIRE_VIDE)
            return {"commentaire": None}
        return {"commentaire": text[:1000]}

    def extract_envoi_commentaire(self, dispatcher, tracker, domain) -> Dict[Text, Any]:
        if not self._requested(tracker, "envoi_commentaire"):
            return {}
        if _leaves(tracker):
            return {}
        intent, send = latest_intent(tracker), _send_in_words(tracker)
        if send is not None:
            return {"envoi_commentaire": send}
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


def _from_the_form(tracker: Tracker) -> bool:
    """Did the user go through the 👎 reason / comment steps (or cancel them)?"""
    return tracker.get_slot("envoi_commentaire") is not None or bool(tracker.get_slot("motif_insatisfaction"))


def record_thumbs_up(dispatcher: CollectingDispatcher, tracker: Tracker) -> List[Dict[Text, Any]]:
    login = current_login(tracker)
    services.feedback().record(tracker.sender_id, login, POSITIVE, tracker.get_slot("derniere_procedure") or {},
                               provenance=vouched(tracker, login, Provenance.vote, POSITIVE))
    dispatcher.utter_message(text=messages.MERCI_AVIS_POSITIF, buttons=messages.MENU_BUTTONS)
    return reset_evaluation()


def _no_vote(dispatcher: CollectingDispatcher, tracker: Tracker) -> List[Dict[Text, Any]]:
    """A « oui », « merci » or protest that evaluates nothing: no vote is stored. A yes sent
    twice (« Confirmer » then « oui je confirme », or « Confirmer » double-clicked), or any
    message sent before the question was on screen, leaves the optional question open."""
    text = latest_text(tracker)
    said_yes = yes_no(text) is True or text.split("{", 1)[0] == "/affirmer"  # typed, or « Confirmer » clicked
    if evaluation_pending(tracker) and (said_yes or not saw_question(tracker, messages.EVALUATION_QUESTION)):
        dispatcher.utter_message(text=messages.DEMARCHE_TERMINEE)
        dispatcher.utter_message(text=messages.EVALUATION_QUESTION, buttons=messages.EVALUATION_BUTTONS)
        return []
    dispatcher.utter_message(text=messages.PAS_D_EVALUATION, buttons=messages.MENU_BUTTONS + [messages.AGENT_BUTTON])
    return reset_evaluation()


class EnregistrerEvaluation(Action):
    """Stores the vote (and reason, comment) with the procedure it is about."""

    def name(self) -> Text:
        return "action_enregistrer_evaluation"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict):
        context = tracker.get_slot("derniere_procedure") or {}
        store, login = services.feedback(), current_login(tracker)
        if not _from_the_form(tracker):
            if latest_intent(tracker) not in POSITIVE_INTENTS:
                dispatcher.utter_message(text=messages.NEUTRE, buttons=messages.MENU_BUTTONS)
                return reset_evaluation()
            if not evaluation_pending(tracker) or vote_given(tracker) is not True:
                return _no_vote(dispatcher, tracker)
            return record_thumbs_up(dispatcher, tracker)
        sent = tracker.get_slot("envoi_commentaire") is True
        reason, comment = tracker.get_slot("motif_insatisfaction"), tracker.get_slot("commentaire") if sent else None
        store.record(
            tracker.sender_id, login, NEGATIVE, context, reason=reason, comment=comment, comment_cancelled=not sent,
            provenance=vouched(tracker, login, Provenance.vote, NEGATIVE, reason, comment),
        )
        dispatcher.utter_message(
            text=messages.AVIS_ENVOYE if sent else messages.AVIS_SANS_COMMENTAIRE,
            buttons=messages.APRES_AVIS_BUTTONS,
        )
        return reset_evaluation()


class QuitterEvaluation(Action):
    """A new request or a person asked for during the 👎 steps: keep the vote, leave at once."""

    def name(self) -> Text:
        return "action_quitter_evaluation"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict):
        if tracker.active_loop_name == "formulaire_evaluation":
            login, reason = current_login(tracker), tracker.get_slot("motif_insatisfaction")
            services.feedback().record(
                tracker.sender_id, login, NEGATIVE, tracker.get_slot("derniere_procedure") or {},
                reason=reason, comment=None, comment_cancelled=True,
                provenance=vouched(tracker, login, Provenance.vote, NEGATIVE, reason),
            )
            dispatcher.utter_message(text=messages.AVIS_ENREGISTRE_SANS_MOTIF)
        return [ActiveLoop(None), SlotSet("requested_slot", None)] + reset_evaluation()


class ContinuerConversation(Action):
    """'Continuer notre conversation': a fresh start, nothing of the last procedure kept."""

    def name(self) -> Text:
        return "action_continuer_conversation"

    async def run(self, dispatcher, tracker, domain):
        dispatcher.utter_message(text=messages.CONTINUER, buttons=messages.MENU_BUTTONS)
        return reset_procedure() + reset_evaluation() + [SlotSet("derniere_procedure", None)]
