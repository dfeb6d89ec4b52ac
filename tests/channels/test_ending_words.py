"""Which words end a live chat with an operator (channels/waiting.py), negations included."""
import pytest

from channels.waiting import ends_chat


@pytest.mark.parametrize("text", ["au revoir", "Merci beaucoup, au revoir !", "je veux terminer la discussion",
                                  "on peut clore la conversation", "fin de la discussion", "bye",
                                  "Je voudrais mettre fin à cette discussion svp"])
def test_ending_words(text):
    assert ends_chat(text, "", 0.0)


@pytest.mark.parametrize("text", ["je ne veux pas terminer la discussion", "attendez, ce n'est pas fini",
                                  "Merci, j'attends", "je veux terminer mon activation", "la discussion est utile"])
def test_words_that_do_not_end_it(text):
    assert not ends_chat(text, "remercier", 0.9)


def test_a_confident_goodbye_intent_ends_it_a_doubtful_one_not():
    assert ends_chat("bonne journée", "au_revoir", 0.95)
    assert not ends_chat("bonne journée", "au_revoir", 0.5)
