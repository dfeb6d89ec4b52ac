"""The reading of a message at a step (claudia/repair.py): the order of the repair table."""
import pytest

from claudia.repair import (
    ANSWER, HESITATION, LEAVE, NEW_REQUEST, NOT_UNDERSTOOD, PERSON, QUESTION, REPEAT, RESTART, STOP, needs_help,
    read,
)


@pytest.mark.parametrize("intent,confidence,awaited,clicked,kind,topic", [
    ("informer_siret", 0.9, True, False, ANSWER, None),
    ("au_revoir", 0.9, True, False, ANSWER, None),          # « non merci, au revoir » answers a yes/no
    ("annuler", 0.9, False, False, STOP, None),
    ("annuler", 0.3, False, True, STOP, None),              # a click needs no confidence
    ("annuler", 0.3, False, False, NOT_UNDERSTOOD, None),   # an unsure stop does not lose the progress
    ("demander_agent", 0.8, False, False, PERSON, None),
    ("laisser_message", 0.8, False, False, PERSON, None),
    ("au_revoir", 0.8, False, False, LEAVE, None),
    ("recommencer", 0.8, False, False, RESTART, None),
    ("demander_ou_trouver_siret", 0.4, False, False, QUESTION, "ou_trouver_siret"),
    ("demander_statut", 0.9, False, False, QUESTION, "statut"),
    ("demander_contact", 0.9, False, False, QUESTION, "contact"),
    ("demander_consequences", 0.9, False, False, QUESTION, "consequences"),
    ("devenir_gestionnaire", 0.9, False, False, QUESTION, "gestionnaire"),
    ("hors_perimetre", 0.9, False, False, QUESTION, "hors_perimetre"),
    ("hors_perimetre", 0.3, False, False, NOT_UNDERSTOOD, None),
    ("hesiter", 0.5, False, False, HESITATION, None),
    ("repeter", 0.5, False, False, REPEAT, None),
    ("activer_structure", 0.9, False, False, NEW_REQUEST, None),
    ("nlu_fallback", 0.2, False, False, NOT_UNDERSTOOD, None),
    (None, 0.0, False, False, NOT_UNDERSTOOD, None),
])
def test_each_kind_of_message(intent, confidence, awaited, clicked, kind, topic):
    reading = read(intent, confidence, awaited, clicked)
    assert (reading.kind, reading.topic) == (kind, topic)
    assert reading.leaves_the_step == (kind in (STOP, PERSON, LEAVE, RESTART))


def test_help_comes_with_the_second_miss():
    assert [needs_help(n) for n in (0, 1, 2, 3)] == [False, False, True, True]


def test_a_question_about_the_awaited_word_answers_nothing():
    """« ça veut dire quoi inactiver ? » at the action step holds « inactiver »."""
    assert read("demander_definition", 0.9, True, asks_meaning=True).kind == QUESTION
    assert read("inactiver_structure", 0.9, True, asks_meaning=True).kind == ANSWER
    assert read("demander_definition", 0.9, True, clicked=True, asks_meaning=True).kind == ANSWER
