"""What a typed message can change in the procedure besides the step being asked.

- a yes or a no in any form answers a yes/no step (the intent and the words must agree);
- a change of mind ("finalement je veux l'activer") switches the procedure, keeping the
  SIRET when the message gives no other one: the structure is checked again for the new
  operation and its confirmation asked again, so nothing is written without the guide's
  confirmations;
- a successor SIRET given with the request is used once the structure is confirmed and
  found open in SIRENE, instead of asking whether there is one.
"""
from __future__ import annotations

import re
from typing import Any, Dict, Optional, Text, Tuple

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from claudia import messages, services
from actions.context import INTERRUPTIONS, current_login, journal, latest_intent, latest_text, previous_user_text
from claudia.registry import ABANDONED, INACTIVATE, Attempt, Refusal
from claudia.siret import format_siret, read_siret, target_and_successor, valid_sirets
from claudia.vocabulary import normalize, requested_operation, yes_no

YES_NO = {"affirmer": True, "nier": False}
OPERATION_OF_INTENT = {"activer_structure": "activer", "inactiver_structure": "inactiver"}
# What a change of mind resets, kept in the tracker's slots for the rest of one turn
# (the key is no slot of the domain, so it is never sent back as an event).
SWITCHED_THIS_TURN = "__procedure_switched"
STEPS_OF_AN_OPERATION = (
    "fiche_structure", "confirmation_structure", "successeur_existe", "siret_successeur",
    "fiche_successeur", "confirmation_action",
)


def answer_yes_no(slot: str, dispatcher: CollectingDispatcher, tracker: Tracker) -> Dict[Text, Any]:
    """Fills a yes/no step only when it is the one asked, from the intent and the words."""
    if tracker.get_slot("requested_slot") != slot or tracker.slots.get(SWITCHED_THIS_TURN):
        return {}
    intent = latest_intent(tracker)
    if intent in INTERRUPTIONS:
        return {}
    text = latest_text(tracker)
    said = None if text.startswith("/") else yes_no(text)
    if intent in YES_NO and (said is None or said == YES_NO[intent]):
        return {slot: YES_NO[intent]}
    if intent not in YES_NO and said is not None:
        return {slot: said}
    dispatcher.utter_message(text=messages.REPONDRE_OUI_NON)
    return {slot: None}


def operation_asked(tracker: Tracker) -> Optional[str]:
    """The operation a message asks for: a button's, else the words (negations read), else the intent."""
    text, intent = latest_text(tracker), latest_intent(tracker)
    if text.startswith("/"):
        return OPERATION_OF_INTENT.get(intent)
    return requested_operation(text) or OPERATION_OF_INTENT.get(intent)


def other_operation_wanted(tracker: Tracker) -> Optional[str]:
    """The other operation, when the words ask for it during a procedure (« finalement je veux
    l'activer »); never from a button, a question (« on pourra la réactiver ? ») or an interruption."""
    current, text = tracker.get_slot("action_statut"), latest_text(tracker)
    if not current or text.startswith("/") or "?" in text or latest_intent(tracker) in INTERRUPTIONS:
        return None
    wanted = requested_operation(text)
    return wanted if wanted and wanted != current else None


# The structure named was the wrong one too: its SIRET is not kept for the other operation.
_WRONG_STRUCTURE = re.compile(
    r"\btromp|\berreur\b|\bpas (?:la|le) bon(?:ne)?\b|\bc'?est (?:l'|la |le |les )[^,.;]{1,40}\bqu'il faut\b")


def switch_operation(dispatcher: CollectingDispatcher, tracker: Tracker) -> Dict[Text, Any]:
    """"Finalement je veux l'activer" during an inactivation (or the reverse): start the new one."""
    wanted = other_operation_wanted(tracker)
    if not wanted:
        return {}
    current, text = tracker.get_slot("action_statut"), latest_text(tracker)
    kept = tracker.get_slot("siret")
    if kept and tracker.get_slot("fiche_structure"):
        journal(tracker, Attempt(current_login(tracker), tracker.sender_id, current, kept), ABANDONED,
                "changement_procedure")
    updates: Dict[Text, Any] = {name: None for name in STEPS_OF_AN_OPERATION}
    updates["action_statut"] = wanted
    new_target, successor = target_and_successor(text)
    if new_target:
        updates["siret"], kept = new_target, None
    elif _WRONG_STRUCTURE.search(normalize(text)):
        # « je me suis trompée, c'est l'école qu'il faut fermer, pas la mairie »: not this one
        updates["siret"], kept = None, None
    updates["siret_successeur_annonce"] = successor
    dispatcher.utter_message(text=messages.procedure_switched(wanted, kept))
    # Slots outside the form's steps are only kept from the validation: it sends them.
    tracker.slots[SWITCHED_THIS_TURN] = dict(updates)
    return updates


def request_text(tracker: Tracker) -> str:
    """The words of the request: the message, or, when the procedure starts from a button
    offered after a message not understood, that message (so its SIRET and type are kept).
    A request typed right after a bare SIRET (« 21930001900011 », then « je veux l'activer »)
    is read with it, as the button would have been."""
    text = latest_text(tracker)
    if tracker.get_slot("requested_slot") is not None:
        return text
    pending = tracker.get_slot("demande_en_attente") or ""
    if text.startswith("/") or (tracker.latest_message or {}).get("bouton"):
        return pending  # a button, clicked or its words typed (« on passe au syndicat maintenant »)
    if (pending and pending == previous_user_text(tracker) and read_siret(text).error == "absent"
            and read_siret(pending).error != "absent"):
        return f"{text} {pending}"
    return text


def target_siret(text: str) -> str:
    """The structure's SIRET in a message that may also give the successor's."""
    target, _ = target_and_successor(text)
    return target or text


def announced_successor(text: str) -> Optional[str]:
    _, successor = target_and_successor(text)
    return successor


def use_announced_successor(dispatcher: CollectingDispatcher, tracker: Tracker) -> Dict[Text, Any]:
    """Once the structure is confirmed, the successor given with the request answers two steps."""
    announced = tracker.get_slot("siret_successeur_annonce")
    fiche = tracker.get_slot("fiche_structure") or {}
    if not announced or tracker.get_slot("confirmation_structure") is not True:
        return {}
    if tracker.get_slot("action_statut") != INACTIVATE or not fiche.get("sirene_active"):
        if tracker.get_slot("action_statut") == INACTIVATE:
            dispatcher.utter_message(text=messages.SUCCESSEUR_ANNONCE_IGNORE.format(
                siret=format_siret(announced)))
        return {"siret_successeur_annonce": None}
    if tracker.get_slot("successeur_existe") is not None:
        return {}
    updates: Dict[Text, Any] = {"siret_successeur_annonce": None, "successeur_existe": True}
    login = current_login(tracker)
    try:
        successor = services.registry().check_successor(login, tracker.get_slot("siret"), announced)
    except Refusal as refusal:
        dispatcher.utter_message(text=messages.refusal(
            refusal.reason, refusal.details.get("siret"), refusal.details.get("name")))
        return updates  # the successor step is asked
    updates.update({"siret_successeur": read_siret(announced).siret, "fiche_successeur": successor})
    return updates


CORRECTING_INTENTS = {"informer_siret", "nlu_fallback", "nier"}


def correction_after_end(tracker: Tracker) -> Optional[Tuple[Text, Text]]:
    """« ah non pardon, c'est pas la médiathèque, la mairie c'est le 219 300 019 00011 » once the
    procedure has ended (done, refused or stopped): the same operation again, for the one new
    SIRET the message gives. Returns (that operation, that SIRET), else None. Nothing is
    written without the structure's card and the confirmation being asked again."""
    last = tracker.get_slot("derniere_procedure") or {}
    operation, text = last.get("operation"), latest_text(tracker)
    if not operation or tracker.active_loop_name or latest_intent(tracker) not in CORRECTING_INTENTS:
        return None
    sirets = valid_sirets(text)
    if len(sirets) != 1 or sirets[0][0] == last.get("siret") or "?" in text:
        return None
    return (operation, sirets[0][0]) if requested_operation(text) in (None, operation) else None
