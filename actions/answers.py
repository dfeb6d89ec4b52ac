"""Answers to the questions asked around the procedure, at any step or outside it.

One function per topic of claudia/repair.py's QUESTION_TOPICS; `answer()` is what both
the steps (actions/repair_steps.py) and the rules outside a step (action_expliquer) call.
Nothing here writes anything: the status question reads the registry only.
"""
from __future__ import annotations

from collections import Counter
from typing import Callable, Dict, List, Optional, Text

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from claudia import messages, services
from actions.context import current_login, latest_intent, latest_text
from claudia.registry import ACTIVATE, INACTIVATE
from claudia.repair import QUESTION_TOPICS
from claudia.siret import format_siret, valid_sirets
from claudia.vocabulary import normalize, term

# The term a bare "c'est quoi ?" most likely refers to, given the step being asked.
TERM_OF_STEP = {
    "type_structure": "structure_publique",
    "siret": "siret",
    "successeur_existe": "successeur",
    "siret_successeur": "successeur",
}
AGENT_BUTTONS = [messages.AGENT_BUTTON]


def _definition(dispatcher: CollectingDispatcher, tracker: Tracker) -> None:
    entity = next(tracker.get_latest_entity_values("terme"), None)
    asked = term(entity) or term(latest_text(tracker)) or TERM_OF_STEP.get(tracker.get_slot("requested_slot"))
    dispatcher.utter_message(text=messages.DEFINITIONS.get(asked, messages.DEFINITION_GENERALE))


def _prerequisites(dispatcher: CollectingDispatcher, tracker: Tracker) -> None:
    operation = tracker.get_slot("action_statut")
    if operation is None:
        text = normalize(latest_text(tracker))
        if "inactiv" in text or "desactiv" in text:
            operation = INACTIVATE
        elif "activ" in text:
            operation = ACTIVATE
    texts = {ACTIVATE: [messages.PREREQUIS_ACTIVATION], INACTIVATE: [messages.PREREQUIS_INACTIVATION]}
    for text in texts.get(operation, [messages.PREREQUIS_ACTIVATION, messages.PREREQUIS_INACTIVATION]):
        dispatcher.utter_message(text=text)


def _where_is_the_siret(dispatcher: CollectingDispatcher, tracker: Tracker) -> None:
    dispatcher.utter_message(text=messages.OU_TROUVER_SIRET)


def _manager(dispatcher: CollectingDispatcher, tracker: Tracker) -> None:
    dispatcher.utter_message(text=messages.DEVENIR_GESTIONNAIRE)


def _contact(dispatcher: CollectingDispatcher, tracker: Tracker) -> None:
    dispatcher.utter_message(text=messages.CONTACT_SUPPORT, buttons=AGENT_BUTTONS)


def _consequences(dispatcher: CollectingDispatcher, tracker: Tracker) -> None:
    dispatcher.utter_message(text=messages.CONSEQUENCES)


def _off_topic(dispatcher: CollectingDispatcher, tracker: Tracker) -> None:
    dispatcher.utter_message(text=messages.HORS_PERIMETRE_AIDE, buttons=AGENT_BUTTONS)


def _status_line(structure: dict) -> str:
    return messages.STATUT_UNE.format(name=structure["name"], siret=format_siret(structure["siret"]),
                                      status=messages.STATUTS.get(structure["status"], structure["status"]))


def _name_words(name: str) -> set:
    return {word for word in normalize(name).replace("'", " ").split() if len(word) > 3}


def structures_named(text: str, structures: List[dict]) -> List[dict]:
    """The user's structures a message names, by SIRET or by the distinctive words of their name.

    A word in the names of most of the user's structures (the town's: « … de Valmont ») names
    none of them."""
    sirets = {siret for siret, _, _ in valid_sirets(text)}
    by_siret = [s for s in structures if s["siret"] in sirets]
    if by_siret or sirets:
        return by_siret
    words = set(normalize(text).replace("'", " ").split())
    counts = Counter(word for structure in structures for word in _name_words(structure["name"]))
    common = {word for word, n in counts.items() if len(structures) > 2 and n > len(structures) / 2}
    named = []
    for structure in structures:
        distinctive = _name_words(structure["name"]) - common
        if distinctive and len(distinctive & words) >= max(1, min(2, len(distinctive))):
            named.append(structure)
    return named


def names_a_structure(tracker: Tracker) -> bool:
    """Does the latest message name one of the user's structures (a follow-up question)?"""
    login = current_login(tracker)
    if login is None:
        return bool(valid_sirets(latest_text(tracker)))
    return bool(structures_named(latest_text(tracker), services.registry().managed_structures(login)))


def _status(dispatcher: CollectingDispatcher, tracker: Tracker) -> None:
    """« Est-ce que ma structure est active ? »: read from the registry, nothing written."""
    login = current_login(tracker)
    if login is None:
        dispatcher.utter_message(text=messages.STATUT_NON_CONNECTE)
        return
    mine = services.registry().managed_structures(login)
    if not mine:
        dispatcher.utter_message(text=messages.STATUT_AUCUNE)
        return
    text = latest_text(tracker)
    named = structures_named(text, mine)
    if not named and valid_sirets(text):
        dispatcher.utter_message(text=messages.STATUT_NON_RATTACHE)
        return
    chosen = named or [s for s in mine if s["siret"] == tracker.get_slot("siret")] or mine
    if len(chosen) == 1:
        dispatcher.utter_message(text=_status_line(chosen[0]) + " " + messages.STATUT_RIEN_CHANGE)
        return
    lines = "\n".join("• " + _status_line(s) for s in chosen)
    dispatcher.utter_message(text=f"{messages.STATUT_PLUSIEURS}\n{lines}\n{messages.STATUT_RIEN_CHANGE}")


ANSWERS: Dict[Text, Callable[[CollectingDispatcher, Tracker], None]] = {
    "definition": _definition,
    "prerequis": _prerequisites,
    "ou_trouver_siret": _where_is_the_siret,
    "gestionnaire": _manager,
    "contact": _contact,
    "consequences": _consequences,
    "statut": _status,
    "hors_perimetre": _off_topic,
}


def answer(topic: Optional[str], dispatcher: CollectingDispatcher, tracker: Tracker) -> None:
    ANSWERS.get(topic or "", _definition)(dispatcher, tracker)


def topic_of_latest(tracker: Tracker) -> Optional[str]:
    return QUESTION_TOPICS.get(latest_intent(tracker) or "")
