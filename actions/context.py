"""What the actions read from a conversation: the verified user, the procedure's slots."""
from __future__ import annotations

from typing import Any, Dict, List, Optional

from rasa_sdk import Tracker
from rasa_sdk.events import SlotSet

from claudia import services

# Intents that ask something beside the current step; the form lets rules answer them.
INTERRUPTIONS = {"demander_definition", "demander_prerequis", "annuler", "recommencer", "demander_agent"}

PROCEDURE_SLOTS = [
    "type_structure",
    "action_statut",
    "siret",
    "fiche_structure",
    "confirmation_structure",
    "successeur_existe",
    "siret_successeur",
    "fiche_successeur",
    "confirmation_action",
    "issue_procedure",
    "requested_slot",
]


def current_login(tracker: Tracker) -> Optional[str]:
    """The login the channel recorded for the latest message of this conversation."""
    latest = tracker.latest_message or {}
    return services.assertions().login_for(latest.get("message_id"), tracker.sender_id, latest.get("text"))


def spend_confirmation(tracker: Tracker, expected_prompt: str) -> Optional[str]:
    """The login who answered yes to `expected_prompt` with the latest message (once)."""
    latest = tracker.latest_message or {}
    return services.assertions().spend_confirmation(
        latest.get("message_id"), tracker.sender_id, latest.get("text"), expected_prompt)


def latest_intent(tracker: Tracker) -> Optional[str]:
    return ((tracker.latest_message or {}).get("intent") or {}).get("name")


def latest_text(tracker: Tracker) -> str:
    return (tracker.latest_message or {}).get("text") or ""


def reset_procedure() -> List[Dict[str, Any]]:
    """Clears every slot of the procedure so nothing leaks into the next one."""
    return [SlotSet(name, None) for name in PROCEDURE_SLOTS]
