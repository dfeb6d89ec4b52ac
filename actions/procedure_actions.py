"""Closing, cancelling and restarting the activation / inactivation procedure."""
from __future__ import annotations

import logging
from typing import Any, Dict, List, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import ActiveLoop, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict
from sqlalchemy.exc import SQLAlchemyError

from claudia import messages, services
from actions.context import current_login, journal, reset_procedure, spend_confirmation
from actions.procedure_prompts import QUESTIONS
from claudia.registry import ABANDONED, ACTIVATE, DONE, INACTIVATE, REFUSED, Attempt, Refusal
from claudia.sirene import SireneUnavailable
from claudia.siret import format_siret

logger = logging.getLogger(__name__)

# Endings chosen by the user; every other `issue_procedure` is a refusal by a rule.
USER_ENDINGS = {"structure_privee_choisie", "sans_successeur", "confirmation_refusee"}


def _attempt(tracker: Tracker, login) -> Attempt:
    return Attempt(
        login=login,
        conversation_id=tracker.sender_id,
        operation=tracker.get_slot("action_statut"),
        siret=tracker.get_slot("siret"),
        successor_siret=tracker.get_slot("siret_successeur"),
    )


def _all_steps_confirmed(tracker: Tracker) -> bool:
    """The write happens only if every confirmation the guide asks for was given."""
    fiche = tracker.get_slot("fiche_structure") or {}
    if not fiche or tracker.get_slot("confirmation_structure") is not True:
        return False
    if fiche.get("siret") != tracker.get_slot("siret"):
        return False
    operation = tracker.get_slot("action_statut")
    if operation == ACTIVATE:
        return tracker.get_slot("confirmation_action") is True
    if fiche.get("sirene_active"):
        return (
            tracker.get_slot("successeur_existe") is True
            and bool(tracker.get_slot("siret_successeur"))
            and (tracker.get_slot("fiche_successeur") or {}).get("siret") == tracker.get_slot("siret_successeur")
            and tracker.get_slot("confirmation_action") is True
        )
    return True


def final_question(tracker: Tracker) -> str:
    """The last question the user must have said yes to, as the form asked it from these slots.

    Activation and inactivation with a successor end with « Confirmez-vous cette action ? »;
    inactivation of a structure closed in SIRENE ends with the structure's card.
    """
    fiche = tracker.get_slot("fiche_structure") or {}
    if tracker.get_slot("action_statut") == ACTIVATE or fiche.get("sirene_active"):
        return QUESTIONS["confirmation_action"](tracker)[0]
    return QUESTIONS["confirmation_structure"](tracker)[0]


class TerminerProcedure(Action):
    """After the form: carry out the confirmed action, or journal why not."""

    def name(self) -> Text:
        return "action_terminer_procedure"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict):
        login = current_login(tracker)
        attempt = _attempt(tracker, login)
        ending = tracker.get_slot("issue_procedure")
        if ending:
            outcome = ABANDONED if ending in USER_ENDINGS else REFUSED
            journal(tracker, attempt, outcome, ending)
        elif not _all_steps_confirmed(tracker):
            ending = "etapes_incompletes"
            journal(tracker, attempt, REFUSED, ending)
            dispatcher.utter_message(text=messages.refusal(ending))
        elif login is None:
            ending = "non_connecte"
            services.registry().record(attempt, REFUSED, ending)
            dispatcher.utter_message(text=messages.refusal(ending))
        else:
            ending = self._check_then_carry_out(dispatcher, tracker, attempt)
        events = reset_procedure() + [SlotSet("derniere_procedure", _summary(tracker, ending))]
        events += offer_next_structure(dispatcher, tracker)
        offer_evaluation(dispatcher)
        return events

    def _check_then_carry_out(self, dispatcher: CollectingDispatcher, tracker: Tracker, attempt: Attempt) -> str:
        try:
            confirmed_by = spend_confirmation(tracker, final_question(tracker))
        except SQLAlchemyError:
            logger.exception("could not read the confirmation of %s", tracker.sender_id)
            dispatcher.utter_message(text=messages.ENREGISTREMENT_IMPOSSIBLE)
            return "incident_technique"
        if confirmed_by != attempt.login:
            # Not the user's own « oui » to this very question, said once through the
            # channel: replayed, appended through Rasa's API, or slots changed since.
            logger.warning("unverified confirmation in %s", tracker.sender_id)
            journal(tracker, attempt, REFUSED, "confirmation_non_verifiee")  # marked unverified (provenance.py)
            dispatcher.utter_message(text=messages.refusal("confirmation_non_verifiee"))
            return "confirmation_non_verifiee"
        return self._carry_out(dispatcher, tracker, attempt)

    @staticmethod
    def _carry_out(dispatcher: CollectingDispatcher, tracker: Tracker, attempt: Attempt) -> str:
        """Writes, and returns how it ended: DONE or the refusal's reason."""
        registry = services.registry()
        try:
            etablissement = services.sirene().lookup(attempt.siret)
        except SireneUnavailable as exc:
            journal(tracker, attempt, REFUSED, "sirene_indisponible", str(exc))
            dispatcher.utter_message(text=messages.refusal("sirene_indisponible"))
            return "sirene_indisponible"
        try:
            structure = registry.apply(attempt, etablissement)
        except SQLAlchemyError:
            # The transaction rolled back as a whole: nothing changed, nothing journaled.
            logger.exception("registry write failed for %s", attempt.siret)
            dispatcher.utter_message(text=messages.ENREGISTREMENT_IMPOSSIBLE)
            return "incident_technique"
        except Refusal as refusal:
            dispatcher.utter_message(
                text=messages.refusal(
                    refusal.reason, refusal.details.get("siret"), refusal.details.get("name")
                )
            )
            return refusal.reason
        successor = tracker.get_slot("fiche_successeur") if structure.get("successor_siret") else None
        dispatcher.utter_message(text=messages.done(attempt.operation, structure, successor))
        return DONE


def offer_next_structure(dispatcher: CollectingDispatcher, tracker: Tracker) -> List[Dict[Text, Any]]:
    """The second structure the user named with the first: offered now, its SIRET kept for
    the procedure a button starts (read like a message not understood, `demande_en_attente`)."""
    queued = (tracker.get_slot("siret_suivant") or "").split()
    if not queued:
        return []
    following, rest = queued[0], queued[1:]
    buttons = [{"title": "Activer cette structure", "payload": "/activer_structure"},
               {"title": "Inactiver cette structure", "payload": "/inactiver_structure"}]
    if tracker.get_slot("action_statut") == INACTIVATE:
        buttons.reverse()  # the operation just done first: « on passe au suivant » means it (typed_buttons)
    dispatcher.utter_message(text=messages.STRUCTURE_SUIVANTE.format(siret=format_siret(following)), buttons=buttons)
    kind = " structure publique" if tracker.get_slot("type_structure") == "publique" else ""
    return [SlotSet("siret_suivant", " ".join(rest) or None), SlotSet("demande_en_attente", following + kind)]


def offer_evaluation(dispatcher: CollectingDispatcher) -> None:
    """After every procedure, done or not, the guide's thumbs up / down."""
    dispatcher.utter_message(text=messages.EVALUATION_QUESTION, buttons=messages.EVALUATION_BUTTONS)


def _summary(tracker: Tracker, outcome: str) -> dict:
    """What the evaluation and a handoff will say the last procedure was."""
    fiche = tracker.get_slot("fiche_structure") or {}
    return {
        "operation": tracker.get_slot("action_statut"),
        "siret": tracker.get_slot("siret"),
        "name": fiche.get("name"),
        "outcome": outcome,
    }


class AnnulerProcedure(Action):
    """'annuler', 'laisse tomber': stop the procedure, change nothing."""

    def name(self) -> Text:
        return "action_annuler_procedure"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict):
        if not tracker.active_loop_name and not tracker.get_slot("action_statut"):
            dispatcher.utter_message(text=messages.RIEN_A_ANNULER)
            return reset_procedure()
        if tracker.get_slot("siret"):
            journal(tracker, _attempt(tracker, current_login(tracker)), ABANDONED, "annulee_par_utilisateur")
        dispatcher.utter_message(text=messages.ANNULATION)
        offer_evaluation(dispatcher)
        events: List[Dict[Text, Any]] = [ActiveLoop(None)]
        summary = _summary(tracker, "annulee_par_utilisateur")
        return events + reset_procedure() + [SlotSet("derniere_procedure", summary)]


class RecommencerProcedure(Action):
    """'recommencer': clear every step; the form then starts again from the first."""

    def name(self) -> Text:
        return "action_recommencer_procedure"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict):
        if tracker.get_slot("siret"):
            journal(tracker, _attempt(tracker, current_login(tracker)), ABANDONED, "recommencee")
        dispatcher.utter_message(text=messages.RECOMMENCER)
        return reset_procedure()
