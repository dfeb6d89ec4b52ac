"""« ok » at the leave-a-message step is not the message at once: its sending is asked about (#23)."""
from claudia import messages
from actions.handoff_actions import ValidateFormulaireMessage
from actions.message_draft import SEND_AS_IS, says_nothing
from tests.actions.test_evaluation_actions import run
from tests.conftest import make_tracker, texts


def at_the_step(text, intent=None, events=()):
    tracker = make_tracker(intent=intent, text=text, active_loop="formulaire_message",
                           slots={"requested_slot": "message_conseiller"})
    tracker.events = list(events) + [{"event": "user", "text": text}]
    return tracker


def filled(events):
    return [e.get("value") for e in events if e.get("event") == "slot" and e.get("name") == "message_conseiller"]


def test_words_that_say_nothing():
    assert all(says_nothing(t) for t in ("ok", "OK !", "d'accord merci", "oui", "Merci beaucoup", "k"))
    assert not any(says_nothing(t) for t in ("ok pour la mairie de Valmont ?", "Ma mairie n'apparaît pas",
                                             "rappelez-moi au 01 02 03 04 05"))


def test_ok_is_asked_about_then_sent_as_is_or_written(env, dispatcher, domain):
    events, _ = run(ValidateFormulaireMessage(), at_the_step("ok"), dispatcher, domain)
    assert filled(events) == [None]
    assert [m["buttons"] for m in dispatcher.messages] == [SEND_AS_IS]  # the question, not the step's again
    assert "« ok »" in texts(dispatcher) and messages.QUESTION_MESSAGE not in texts(dispatcher)
    asked = [{"event": "user", "text": "ok"}, {"event": "bot", "text": dispatcher.messages[0]["text"]}]

    dispatcher.messages.clear()
    events, _ = run(ValidateFormulaireMessage(), at_the_step("/affirmer", "affirmer", asked), dispatcher, domain)
    assert filled(events) == ["ok"]  # confirmed: sent as it is

    dispatcher.messages.clear()
    events, _ = run(ValidateFormulaireMessage(), at_the_step("non", "nier", asked), dispatcher, domain)
    assert filled(events) == [None] and messages.QUESTION_MESSAGE in texts(dispatcher)

    dispatcher.messages.clear()  # or the real message, typed instead of answering
    events, _ = run(ValidateFormulaireMessage(), at_the_step("Ma mairie n'apparaît pas", "informer", asked),
                    dispatcher, domain)
    assert filled(events) == ["Ma mairie n'apparaît pas"]

