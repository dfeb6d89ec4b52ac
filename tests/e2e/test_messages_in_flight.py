"""Messages sent before the answer to the previous one arrived (a double click, an impatient
« oui je confirme ») answer the question the user had on screen, never the next one.

Both messages leave at once, through the authenticated channel, to the real servers; the
channel seals, for each, the assistant's last message the user had seen (issue #22).
"""
import threading
import uuid

import pytest

from tests.conftest import ECOLE
from tests.e2e.stack import Chat


def _at_once(stack, sender, first, second):
    """Sends `first`, then `second` while `first` is still being answered: SIRENE (the loopback
    INSEE) takes 0.8 s to answer the lookup `first` causes, so the user has not seen its answer."""
    stack.insee.fail_next(status=200, delay=0.8)
    chats = [Chat(stack, sender, "marie.dupont"), Chat(stack, sender, "marie.dupont")]
    threads = [threading.Thread(target=chat.say, args=(text,)) for chat, text in zip(chats, (first, second))]
    threads[0].start()
    threading.Event().wait(0.2)
    threads[1].start()
    for thread in threads:
        thread.join(30)
    return chats


@pytest.mark.parametrize("yes", ["oui", "/affirmer"])  # typed, or the « Oui » button clicked
def test_a_yes_typed_for_the_card_on_screen_never_confirms_the_next_card(stack, structure, journal, yes):
    sender = f"e2e-inflight-{uuid.uuid4().hex[:10]}"
    user = Chat(stack, sender, "marie.dupont")
    user.say("inactiver la structure publique 259 300 457 00019")
    assert "Syndicat intercommunal" in user.text and "Est-ce bien la structure" in user.text
    # a correction (its card is slow to come), and a « oui » typed while the first card is on screen
    first, second = _at_once(stack, sender, "non pardon, c'est le 219 300 019 00128", yes)
    assert "École élémentaire Jules Ferry" in first.text
    assert "Est-ce bien la structure" in second.text  # the new card asked again, not confirmed
    assert structure(ECOLE)["status"] == "active" and journal(sender) == []
    user.say("oui c'est bien l'école")
    assert "est désormais inactive" in user.text and structure(ECOLE)["status"] == "inactive"


@pytest.mark.parametrize("impatient", ["oui je confirme", "oui", "/affirmer"])  # « /affirmer »: a double click
def test_an_impatient_confirmation_is_no_vote(stack, admin, impatient):
    sender = f"e2e-impatient-{uuid.uuid4().hex[:10]}"
    user = Chat(stack, sender, "marie.dupont")
    user.say("activer la structure publique 219 300 019 00011")
    user.say("oui")
    assert "Confirmez-vous" in user.text
    first, second = _at_once(stack, sender, "Confirmer", impatient)
    assert "est désormais active" in first.text
    assert '"conversation_id": "%s"' % sender not in admin("feedback")
    user.say("super, merci")  # the evaluation, once seen, is still there to answer
    assert "Merci pour votre retour" in user.text
    assert admin("feedback").count('"conversation_id": "%s"' % sender) == 1
