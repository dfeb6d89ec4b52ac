"""What each step of the procedure awaits, and the answers that carry more than was asked.

- `awaits(step, tracker)`: the step's part of the repair table (actions/repair_steps.py);
- a SIREN given in one message and its NIC in the next are put together;
- a new SIRET given at the type, action or structure-card step replaces the old one;
- « oui, c'est le 200 054 781 00014 » at « Existe-t-il un autre SIRET ? » answers both steps;
- « on n'en a pas d'autre » at the successor's SIRET means there is no successor;
- two structures named at once: the first now, the second offered once the first is done.
"""
from __future__ import annotations

import re
from typing import Any, Dict, Optional, Text

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from claudia import messages
from actions.context import INTERRUPTIONS, latest_intent, latest_text, previous_user_text
from actions.procedure_changes import SWITCHED_THIS_TURN, other_operation_wanted
from claudia.repair import LEAVING_KINDS
from claudia.siret import attempts_a_number, format_siret, read_siret, target_and_successor, valid_sirets
from claudia.vocabulary import canonical_structure_type, normalize, requested_operation, structure_type, yes_no

YES_NO_STEPS = {"confirmation_structure", "successeur_existe", "confirmation_action"}
_NO_SUCCESSOR = re.compile(
    r"\b(?:aucun\w*|pas d'autre|pas d autre|n'en a pas|n'y en a pas|y en a pas|il n'y a pas|personne|"
    r"rien|pas de successeur|pas de siret)\b")
_NIC = re.compile(r"^\D*(\d{5})\D*$")


def typed(tracker: Tracker) -> str:
    """The latest text, unless it is a button's payload."""
    text = latest_text(tracker)
    return "" if text.startswith("/") else text


def siren_then_nic(tracker: Tracker) -> Optional[str]:
    """« 219300019 » then « 00011 »: the SIRET they make together, if valid."""
    nic = _NIC.match(typed(tracker))
    previous = read_siret(previous_user_text(tracker))
    if nic is None or previous.error != "siren":
        return None
    joined = read_siret(previous.digits + nic.group(1))
    return joined.siret if joined.is_valid else None


def new_target(tracker: Tracker) -> Optional[str]:
    """A SIRET in the message other than the one the procedure uses (a correction)."""
    target, _ = target_and_successor(typed(tracker))
    return target if target and target != tracker.get_slot("siret") else None


def other_structures(text: str, target: Optional[str]) -> list:
    """SIRETs named besides the target and its successor (« la mairie et l'école »)."""
    sirets = [s for s, _, _ in valid_sirets(text)]
    first, successor = target_and_successor(text)
    if len(sirets) < 2 or (successor and len(sirets) == 2):
        return []
    return [s for s in sirets if s not in (first, target, successor)]


def no_successor(tracker: Tracker) -> bool:
    text = typed(tracker)
    if read_siret(text).error != "absent":
        return False
    return latest_intent(tracker) == "nier" or yes_no(text) is False or bool(_NO_SUCCESSOR.search(normalize(text)))


def _yes_or_no(tracker: Tracker) -> bool:
    if latest_intent(tracker) in ("affirmer", "nier"):
        return True
    return yes_no(typed(tracker)) is not None


def awaits(step: str, tracker: Tracker) -> bool:
    """Does the latest message answer `step`, or correct an earlier answer the step can use?"""
    text = typed(tracker)
    has_digits = read_siret(text).error != "absent"
    if latest_intent(tracker) in INTERRUPTIONS and not has_digits:
        return False  # « nan laisse tomber »: the stop, not a no (the extractors agree)
    if other_operation_wanted(tracker) and latest_intent(tracker) not in LEAVING_KINDS:
        return True
    if step == "type_structure":
        entity = next(tracker.get_latest_entity_values("type_structure"), None)
        return bool(canonical_structure_type(entity) or structure_type(text) or has_digits)
    if step == "action_statut":
        return latest_intent(tracker) in ("activer_structure", "inactiver_structure") or bool(
            requested_operation(text)) or has_digits
    if step == "siret":
        return attempts_a_number(text)
    if step == "siret_successeur":
        return attempts_a_number(text) or no_successor(tracker)
    if step in YES_NO_STEPS:
        if step == "successeur_existe" and no_successor(tracker):
            return True
        return _yes_or_no(tracker) or (has_digits and step != "confirmation_action")
    return True


def corrected_siret(dispatcher: CollectingDispatcher, tracker: Tracker) -> Dict[Text, Any]:
    """« non, c'est le 259 300 457 00019 »: the new SIRET replaces the old one, said aloud."""
    new = new_target(tracker)
    if not new or tracker.slots.get(SWITCHED_THIS_TURN):
        return {}
    dispatcher.utter_message(text=messages.NOUVEAU_SIRET.format(siret=format_siret(new)))
    return {"siret": typed(tracker), "fiche_structure": None, "confirmation_structure": None}
