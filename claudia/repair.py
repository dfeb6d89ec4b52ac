"""How a message typed at a step of a conversation is read: the one place of the repair table.

Every question ClaudIA asks (a step of the procedure, of the evaluation, of a message
left) awaits something. A message typed there is first read as one of the kinds below;
the step only says whether the message holds what it awaits (`awaited`). The table
"step × kind → what ClaudIA does" is docs/repair.md; the actions apply it
(actions/repair_steps.py).

Pure functions: no Rasa, no web, no database.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

ANSWER = "reponse"              # the awaited answer (maybe with more in it: the step uses the more)
QUESTION = "question"           # a question: answer it, then ask the same step again
HESITATION = "hesitation"       # « je ne sais pas », « attendez »: reassure, help, ask again
REPEAT = "repeter"              # « vous pouvez répéter ? »: the same question again
STOP = "arret"                  # « annuler », « laisse tomber »: nothing is changed
PERSON = "conseiller"           # a person, now or by a message left
LEAVE = "depart"                # « au revoir », « bonne journée »: stop, nothing changed, goodbye
RESTART = "recommencer"         # start again from the beginning
NEW_REQUEST = "nouvelle_demande"  # the procedure asked for again, or the other one
NOT_UNDERSTOOD = "incompris"    # anything else: explain what the step needs, then help

# Questions the guide does not answer by itself, and the topic of their answer.
QUESTION_TOPICS = {
    "demander_definition": "definition",
    "demander_prerequis": "prerequis",
    "demander_ou_trouver_siret": "ou_trouver_siret",
    "demander_statut": "statut",
    "demander_contact": "contact",
    "demander_consequences": "consequences",
    "devenir_gestionnaire": "gestionnaire",
    "hors_perimetre": "hors_perimetre",
}
LEAVING_KINDS = {
    "annuler": STOP,
    "demander_agent": PERSON,
    "laisser_message": PERSON,
    "au_revoir": LEAVE,
    "recommencer": RESTART,
}
NEW_REQUESTS = {"activer_structure", "inactiver_structure", "demander_changement_statut"}
# Below this confidence a leaving intent does not end a step: leaving by mistake loses the
# user's progress, asking again costs one message.
LEAVING_CONFIDENCE = 0.5
OFF_TOPIC_CONFIDENCE = 0.5
# Kinds that the step itself cannot handle: the conversation leaves the step (rules act).
LEAVES_THE_STEP = {STOP, PERSON, LEAVE, RESTART}
# After this many messages in a row that do not answer a step, its question comes with
# an explanation in other words and buttons to get out.
HELP_AFTER = 2


@dataclass(frozen=True)
class Reading:
    kind: str
    topic: Optional[str] = None

    @property
    def leaves_the_step(self) -> bool:
        return self.kind in LEAVES_THE_STEP

    @property
    def answers(self) -> bool:
        return self.kind == ANSWER


def read(intent: Optional[str], confidence: float, awaited: bool, clicked: bool = False,
         asks_meaning: bool = False) -> Reading:
    """What a message means at a step.

    `awaited`: the step found what it asks for in the message (a SIRET, a yes, a type…).
    `clicked`: the message is one of the buttons just offered (a payload).
    The order matters: a clicked button or the awaited answer first, because « non merci,
    au revoir » at « Existe-t-il un autre SIRET ? » is an answer; then leaving, which must
    never be missed; then the questions and the rest.
    `asks_meaning`: the words ask what a term means (`claudia.question_forms`): « ça veut
    dire quoi inactiver ? » holds the awaited operation's word, but answers nothing yet.
    """
    if awaited and not (asks_meaning and intent == "demander_definition" and not clicked):
        return Reading(ANSWER)
    if intent in LEAVING_KINDS and (clicked or confidence >= LEAVING_CONFIDENCE):
        return Reading(LEAVING_KINDS[intent])
    if intent == "hors_perimetre" and confidence < OFF_TOPIC_CONFIDENCE:
        return Reading(NOT_UNDERSTOOD)  # « bof » is no question about something else
    if intent in QUESTION_TOPICS:
        return Reading(QUESTION, QUESTION_TOPICS[intent])
    if intent == "hesiter":
        return Reading(HESITATION)
    if intent == "repeter":
        return Reading(REPEAT)
    if intent in NEW_REQUESTS:
        return Reading(NEW_REQUEST)
    return Reading(NOT_UNDERSTOOD)


def needs_help(misses: int) -> bool:
    """After the `HELP_AFTER`-th message in a row that does not answer, help and a way out."""
    return misses >= HELP_AFTER
