"""What counts as giving up the wait for an operator (channels/waiting.py)."""
import pytest

from channels.waiting import gives_up


@pytest.mark.parametrize("text", [
    "/annuler", "annuler", "Annulez ma demande", "bon tant pis j'attend plus, au revoir", "je ne veux plus attendre",
    "laissez tomber", "j'abandonne", "ARRÊTEZ D'ATTENDRE", "bye",
])
def test_giving_up_in_everyday_words(text):
    assert gives_up(text, "", 0.0)


@pytest.mark.parametrize("text", [
    "allo ?", "j'attends", "je suis toujours là", "je n'annule pas, j'attends", "ne pas annuler svp",
    "/affirmer",
])
def test_other_messages_keep_waiting(text):
    assert not gives_up(text, "", 0.0)


def test_the_assistants_understanding_counts_when_confident():
    assert gives_up("c'est bon je m'en vais", "au_revoir", 0.9)
    assert not gives_up("c'est bon je m'en vais", "au_revoir", 0.3)
    assert not gives_up("je n'annule pas", "annuler", 0.9)
