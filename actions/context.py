"""What the actions read from a conversation: the verified user, the procedure's slots, and
whether the user's sealed messages vouch for a row written in their name (claudia/provenance.py)."""
from __future__ import annotations

from typing import Any, Callable, Dict, List, Optional

from rasa_sdk import Tracker
from rasa_sdk.events import SlotSet

from claudia import messages, sealed_history, services
from claudia.assertions import SEAL_KEY, digest
from claudia.provenance import SPENT, Provenance, Sealed, Transcript, Verdict

# Intents that ask something beside the current step; the form lets rules answer them.
INTERRUPTIONS = {"demander_definition", "demander_prerequis", "annuler", "recommencer", "demander_agent",
                 "demander_ou_trouver_siret", "demander_statut", "demander_contact", "demander_consequences",
                 "devenir_gestionnaire", "hesiter", "repeter"}

PROCEDURE_SLOTS = [
    "type_structure",
    "action_statut",
    "siret",
    "fiche_structure",
    "confirmation_structure",
    "successeur_existe",
    "siret_successeur",
    "fiche_successeur",
    "siret_successeur_annonce",
    "demande_en_attente",
    "confirmation_action",
    "issue_procedure",
    "relances",
    "requested_slot",
]


# Actions after which an evaluation question is no longer waiting for its answer.
EVALUATION_CLOSERS = {
    "action_enregistrer_evaluation", "action_continuer_conversation", "action_quitter_evaluation",
    "action_annuler_procedure", "action_demander_agent",
}
LOOPS_CLOSING_EVALUATION = {"formulaire_statut", "formulaire_evaluation"}
# What the assistant says once a vote is stored.
EVALUATION_ANSWERED = {messages.MERCI_AVIS_POSITIF, messages.AVIS_ENVOYE, messages.AVIS_SANS_COMMENTAIRE,
                       messages.AVIS_ENREGISTRE_SANS_MOTIF}


def evaluation_pending(tracker: Tracker, closing_loops=frozenset(LOOPS_CLOSING_EVALUATION)) -> bool:
    """Was « Cette réponse vous a-t-elle aidé ? » asked, and not yet answered or left?

    Read from the conversation's events, so a vote is stored only when the question
    is really waiting: never from a "merci" or an "oui" said about something else.
    """
    for event in reversed(tracker.events):
        kind = event.get("event")
        text = event.get("text") or ""
        if kind == "bot" and text in EVALUATION_ANSWERED:
            return False
        if kind == "bot" and messages.EVALUATION_QUESTION in text:
            return True
        if kind == "action" and event.get("name") in EVALUATION_CLOSERS:
            return False
        if kind == "active_loop" and event.get("name") in closing_loops:
            return False
    return False


def _previous_user_event(tracker: Tracker) -> Dict[str, Any]:
    users = [e for e in tracker.events if e.get("event") == "user"]
    return users[-2] if len(users) >= 2 else {}


def previous_user_intent(tracker: Tracker) -> Optional[str]:
    """The intent of the user's message before the latest one."""
    return ((_previous_user_event(tracker).get("parse_data") or {}).get("intent") or {}).get("name")


def previous_user_text(tracker: Tracker) -> str:
    """The text of the user's message before the latest one."""
    return _previous_user_event(tracker).get("text") or ""


def current_login(tracker: Tracker) -> Optional[str]:
    """The login the channel sealed into the latest message of this conversation."""
    latest = tracker.latest_message or {}
    return services.assertions().login_for(
        latest.get(SEAL_KEY), latest.get("message_id"), tracker.sender_id, latest.get("text"))


def saw_question(tracker: Tracker, prompt: str) -> bool:
    """Had the user seen the assistant's latest `prompt` when they sent the latest message?

    The channel seals the last message the user had on screen: a message sent before the
    answer to the previous one arrived (« Confirmer » then « oui je confirme ») did not see
    the question and must not be read as its answer; one sent after it, or after anything
    said since, did. Not-connected messages carry no seal: the events are all there is.
    """
    latest = tracker.latest_message or {}
    seen = services.assertions().seen_prompt(
        latest.get(SEAL_KEY), latest.get("message_id"), tracker.sender_id, latest.get("text"))
    if seen is None:
        return True
    since: List[str] = []
    events = list(tracker.events)
    last_user = max((i for i, e in enumerate(events) if e.get("event") == "user"), default=len(events))
    for event in reversed(events[:last_user]):
        if event.get("event") == "bot" and event.get("text"):
            since.append(event["text"])
            if prompt in event["text"]:
                return seen in {digest(text) for text in since}
    return True  # the question is not in this conversation's events: nothing to compare


def spend_confirmation(tracker: Tracker, expected_prompt: str) -> Optional[str]:
    """The login who answered yes to `expected_prompt` with the latest message (once)."""
    latest = tracker.latest_message or {}
    return services.assertions().spend_confirmation(
        latest.get(SEAL_KEY), latest.get("message_id"), tracker.sender_id, latest.get("text"), expected_prompt)


def transcript(tracker: Tracker, earlier_turns: bool = True) -> Transcript:
    """The user's messages with their seals (the latest last) and the assistant's texts: the
    earlier turns from the tracker store (the action gets the latest ones only), then these."""
    stored = sealed_history.stored_events(services.settings().tracker_db_url, tracker.sender_id) \
        if earlier_turns else []
    users, shown = sealed_history.merged(stored, list(tracker.events or []))
    said = [Sealed(e.get("message_id"), e.get("text"), (e.get("parse_data") or {}).get(SEAL_KEY)) for e in users]
    latest = tracker.latest_message or {}
    if not said or said[-1].message_id != latest.get("message_id"):
        said.append(Sealed(latest.get("message_id"), latest.get("text"), latest.get(SEAL_KEY)))
    return Transcript(tracker.sender_id, said, shown)


def vouched(tracker: Tracker, login: Optional[str],
            rule: Callable[..., Verdict], *args: Any, **kwargs: Any) -> Optional[Verdict]:
    """`rule` (a method of Provenance, e.g. `Provenance.vote`) applied to this conversation for a
    row about to be written in `login`'s name; None for a row that names nobody."""
    if login is None:
        return None
    rules = Provenance(services.assertions())
    # Most rows follow from the action's own events (a 👍 clicked at the question, a request made
    # now): decided without reading the tracker store. Less evidence can only refuse more, so the
    # earlier turns are read only when the action's events do not vouch for the row.
    quick = rule(rules, transcript(tracker, earlier_turns=False), *args, **kwargs)
    if quick.verified or quick.reason == SPENT:
        return quick
    return rule(rules, transcript(tracker), *args, **kwargs)


def journal(tracker: Tracker, attempt: Any, outcome: str, reason: Optional[str], detail: str = "") -> None:
    """Journals an attempt that changed nothing (`attempt`: claudia.registry.Attempt), marked if the
    user's messages do not vouch for it."""
    verdict = vouched(tracker, attempt.login, Provenance.journal, outcome, attempt.siret, attempt.successor_siret,
                      reason)
    services.registry().record(attempt, outcome, reason, detail, provenance=verdict)


def latest_intent(tracker: Tracker) -> Optional[str]:
    return ((tracker.latest_message or {}).get("intent") or {}).get("name")


def latest_text(tracker: Tracker) -> str:
    return (tracker.latest_message or {}).get("text") or ""


def reset_procedure() -> List[Dict[str, Any]]:
    """Clears every slot of the procedure so nothing leaks into the next one."""
    return [SlotSet(name, None) for name in PROCEDURE_SLOTS]
