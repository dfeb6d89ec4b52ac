"""The steps of the operating guide as one Rasa form, `formulaire_statut`.

Steps (slots) in order: structure type, action, SIRET, confirmation of the
structure, then
- activation: confirmation of the action;
- inactivation, SIRET closed in SIRENE (case 1): nothing more;
- inactivation, SIRET open in SIRENE (case 2): is there a successor SIRET,
  the successor SIRET, confirmation of the action.
The slot `issue_procedure` ends the form early with a reason (a refusal, or
the user declining); `action_terminer_procedure` then journals and closes.

Every slot is extracted here by an `extract_` method, never from typed
entities, so a typed payload cannot fill a step that was not asked.
"""
from __future__ import annotations

import logging
from typing import Any, Dict, List, Text

from rasa_sdk import FormValidationAction, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from claudia import messages, services
from actions.context import INTERRUPTIONS, current_login, journal, latest_intent, latest_text
from actions.procedure_changes import (
    SWITCHED_THIS_TURN, announced_successor, answer_yes_no, operation_asked, request_text, switch_operation,
    target_siret,
    use_announced_successor,
)
from actions import procedure_answers
from actions.procedure_prompts import AsksNextStep
from actions.repair_steps import RepairsSteps
from claudia.registry import ACTIVATE, INACTIVATE, REFUSED, Attempt, Refusal
from claudia.sirene import SireneUnavailable
from claudia.siret import SIREN_LENGTH, format_siret, read_siret
from claudia.vocabulary import canonical_structure_type, structure_type

logger = logging.getLogger(__name__)

FIRST_STEPS = (None, "type_structure", "action_statut", "siret")


def _say_refusal(dispatcher: CollectingDispatcher, refusal: Refusal) -> None:
    dispatcher.utter_message(
        text=messages.refusal(refusal.reason, refusal.details.get("siret"), refusal.details.get("name"))
    )


class ValidateFormulaireStatut(RepairsSteps, AsksNextStep, FormValidationAction):
    def name(self) -> Text:
        return "validate_formulaire_statut"

    def awaits(self, step: Text, tracker: Tracker) -> bool:
        return procedure_answers.awaits(step, tracker)

    async def required_slots(
        self,
        domain_slots: List[Text],
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
    ) -> List[Text]:
        if tracker.get_slot("issue_procedure"):
            return []  # the procedure ended early: let the form close
        steps = ["type_structure", "action_statut", "siret", "confirmation_structure"]
        operation = tracker.get_slot("action_statut")
        fiche = tracker.get_slot("fiche_structure") or {}
        if operation == ACTIVATE:
            steps.append("confirmation_action")
        elif operation == INACTIVATE and fiche.get("sirene_active"):
            steps.append("successeur_existe")
            if tracker.get_slot("successeur_existe"):
                steps += ["siret_successeur", "confirmation_action"]
        return steps

    # -- structure type --------------------------------------------------------
    def extract_type_structure(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Dict[Text, Any]:
        if tracker.get_slot("type_structure") or latest_intent(tracker) in INTERRUPTIONS:
            return {}
        entity = next(tracker.get_latest_entity_values("type_structure"), None)
        value = canonical_structure_type(entity) or structure_type(request_text(tracker))
        if value:
            return {"type_structure": value}
        if tracker.get_slot("requested_slot") == "type_structure":
            dispatcher.utter_message(text=messages.TYPE_NON_COMPRIS)
            return {"type_structure": None}
        return {}

    def validate_type_structure(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Dict[Text, Any]:
        if value == "privee":
            dispatcher.utter_message(text=messages.STRUCTURE_PRIVEE_CHOISIE)
            return {"type_structure": "privee", "issue_procedure": "structure_privee_choisie"}
        return {"type_structure": "publique" if value == "publique" else None}

    # -- action ------------------------------------------------------------------
    def extract_action_statut(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Dict[Text, Any]:
        if tracker.get_slot("action_statut"):
            return switch_operation(dispatcher, tracker)  # a change of mind, or nothing
        intent = latest_intent(tracker)
        operation = operation_asked(tracker) if intent not in INTERRUPTIONS else None
        if operation:
            return {"action_statut": operation}
        if tracker.get_slot("requested_slot") == "action_statut" and intent not in INTERRUPTIONS:
            dispatcher.utter_message(text=messages.ACTION_NON_COMPRISE)
            return {"action_statut": None}
        return {}

    def validate_action_statut(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Dict[Text, Any]:
        # after a change of mind, the steps of the previous operation are cleared too
        return {"action_statut": value if value in (ACTIVATE, INACTIVATE) else None,
                **tracker.slots.get(SWITCHED_THIS_TURN, {})}

    # -- SIRET of the structure ------------------------------------------------------
    def extract_siret(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Dict[Text, Any]:
        requested = tracker.get_slot("requested_slot")
        if requested not in FIRST_STEPS and requested != "confirmation_structure":
            return {}
        if latest_intent(tracker) in INTERRUPTIONS:
            return {}
        text = request_text(tracker)
        if not text or text.startswith("/"):
            return {}  # a button payload never carries a SIRET
        if tracker.get_slot("siret"):
            return procedure_answers.corrected_siret(dispatcher, tracker)
        joined = procedure_answers.siren_then_nic(tracker) if requested == "siret" else None
        if joined:
            return {"siret": joined}
        if requested == "siret" or len(read_siret(text).digits) >= SIREN_LENGTH:
            return {"siret": text}
        return {}  # « au 1er janvier » in a request is no SIRET

    def validate_siret(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Dict[Text, Any]:
        if value is None:
            return {"siret": None}
        reading = read_siret(target_siret(value))
        if not reading.is_valid:
            dispatcher.utter_message(text=messages.siret_error(reading.error, reading.digits))
            return {"siret": None}
        # "inactiver X, repris par Y": Y is kept for the successor step
        updates = {"siret": reading.siret, "siret_successeur_annonce": announced_successor(value)}
        others = procedure_answers.other_structures(value, reading.siret)
        if others:  # « la mairie et l'école »: one after the other
            dispatcher.utter_message(text=messages.DEUX_STRUCTURES.format(
                premier=format_siret(reading.siret),
                second=messages.SUIVANTES_SEPARATEUR.join(format_siret(other) for other in others)))
            updates["siret_suivant"] = " ".join(others)  # offered one at a time, in order
        return updates

    # -- confirmations -------------------------------------------------------------------
    def extract_confirmation_structure(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Dict[Text, Any]:
        if tracker.get_slot("requested_slot") == "confirmation_structure" and procedure_answers.new_target(tracker):
            return {}  # another SIRET: extract_siret takes it and the card is shown again
        return answer_yes_no("confirmation_structure", dispatcher, tracker)

    def validate_confirmation_structure(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Dict[Text, Any]:
        if value is False:
            dispatcher.utter_message(text=messages.PAS_LA_BONNE_STRUCTURE)
            return {"confirmation_structure": None, "siret": None, "fiche_structure": None}
        return {"confirmation_structure": value}

    def extract_successeur_existe(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Dict[Text, Any]:
        if tracker.get_slot("requested_slot") != "successeur_existe":
            return {}
        text = procedure_answers.typed(tracker)
        if procedure_answers.no_successor(tracker):
            return {"successeur_existe": False}
        if read_siret(text).error != "absent" and latest_intent(tracker) not in INTERRUPTIONS:
            # « oui bien sûr, la comcom : 200 054 781 00014 »: yes, and here it is
            return {"successeur_existe": True, "siret_successeur": text}
        return answer_yes_no("successeur_existe", dispatcher, tracker)

    def validate_successeur_existe(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Dict[Text, Any]:
        if value is False:
            dispatcher.utter_message(text=messages.SANS_SUCCESSEUR)
            return {"successeur_existe": False, "issue_procedure": "sans_successeur"}
        return {"successeur_existe": value}

    def extract_confirmation_action(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Dict[Text, Any]:
        return answer_yes_no("confirmation_action", dispatcher, tracker)

    def validate_confirmation_action(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Dict[Text, Any]:
        if value is False:
            dispatcher.utter_message(text=messages.CONFIRMATION_REFUSEE)
            return {"confirmation_action": False, "issue_procedure": "confirmation_refusee"}
        return {"confirmation_action": value}

    # -- successor SIRET --------------------------------------------------------------------
    def extract_siret_successeur(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Dict[Text, Any]:
        if tracker.get_slot("requested_slot") != "siret_successeur":
            return {}
        if latest_intent(tracker) in INTERRUPTIONS or latest_text(tracker).startswith("/"):
            return {}
        if procedure_answers.no_successor(tracker):
            return {"successeur_existe": False}  # « dans ce cas on n'en a pas d'autre »
        return {"siret_successeur": procedure_answers.siren_then_nic(tracker) or latest_text(tracker)}

    def validate_siret_successeur(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Dict[Text, Any]:
        if value is None:
            return {"siret_successeur": None}
        reading = read_siret(value)
        if not reading.is_valid:
            dispatcher.utter_message(text=messages.siret_error(reading.error, reading.digits))
            return {"siret_successeur": None}
        login = current_login(tracker)
        if login is None:
            dispatcher.utter_message(text=messages.refusal("non_connecte"))
            return {"siret_successeur": None, "issue_procedure": "non_connecte"}
        try:
            successor = services.registry().check_successor(
                login, tracker.get_slot("siret"), reading.siret
            )
        except Refusal as refusal:
            _say_refusal(dispatcher, refusal)
            return {"siret_successeur": None}
        return {"siret_successeur": reading.siret, "fiche_successeur": successor}

    # -- checks once the structure is known ------------------------------------------
    async def get_validation_events(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> List[Dict[Text, Any]]:
        events = await super().get_validation_events(dispatcher, tracker, domain)
        tracker.add_slots(events)
        updates = self._check_user_and_structure(dispatcher, tracker)
        tracker.slots.update(updates)
        if tracker.get_slot("demande_en_attente"):
            updates["demande_en_attente"] = None  # read at the first step only
        successor_updates = use_announced_successor(dispatcher, tracker)
        tracker.slots.update(successor_updates)
        updates.update(successor_updates)
        return events + [SlotSet(name, value) for name, value in updates.items()]

    def _check_user_and_structure(
        self, dispatcher: CollectingDispatcher, tracker: Tracker
    ) -> Dict[Text, Any]:
        """Connected? Then, once type, action and SIRET are known: may this be done?"""
        if tracker.get_slot("issue_procedure"):
            return {}
        login = current_login(tracker)
        if login is None:
            dispatcher.utter_message(text=messages.refusal("non_connecte"))
            return {"issue_procedure": "non_connecte"}
        operation, siret = tracker.get_slot("action_statut"), tracker.get_slot("siret")
        if tracker.get_slot("type_structure") != "publique" or not operation or not siret:
            return {}
        if tracker.get_slot("fiche_structure"):
            return {}
        attempt = Attempt(login, tracker.sender_id, operation, siret)
        try:
            etablissement = services.sirene().lookup(siret)
        except SireneUnavailable as exc:
            logger.warning("SIRENE unavailable for %s: %s", siret, exc)
            journal(tracker, attempt, REFUSED, "sirene_indisponible", str(exc))
            dispatcher.utter_message(text=messages.refusal("sirene_indisponible"))
            return {"siret": None}
        try:
            structure = services.registry().check(login, operation, siret, etablissement)
        except Refusal as refusal:
            _say_refusal(dispatcher, refusal)
            if refusal.reason == "siret_inconnu":  # probably a typo: ask again
                journal(tracker, attempt, REFUSED, refusal.reason)
                return {"siret": None}
            return {"issue_procedure": refusal.reason}
        return {"fiche_structure": _fiche(structure, etablissement)}


def _fiche(structure: dict, etablissement) -> dict:
    """The structure card's data (guide step 6): the registry's row and what SIRENE says."""
    return {**{key: structure[key] for key in ("siret", "name", "status", "kind")},
            "sirene_active": etablissement.active, "sirene_denomination": etablissement.denomination,
            "sirene_address": etablissement.address}
