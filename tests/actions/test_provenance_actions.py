"""The actions' side of claudia/provenance.py: the earlier turns come from the tracker store.

The action server gets the events from the latest user message on only; the 👎 that started an
evaluation is then found in Rasa's tracker store (a real SQLTrackerStore on SQLite here).
"""
import asyncio

import pytest
from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import BotUttered, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker
from rasa_sdk import Tracker

from actions.context import transcript
from actions.evaluation_actions import EnregistrerEvaluation
from claudia import messages, services
from claudia.assertions import SEAL_KEY
from tests.conftest import ROOT, record_message

SENDER = "conversation-provenance"
COMMENT = "Trop de questions pour une activation"


def sealed(text, intent, prompt):
    message_id, seal = record_message("marie.dupont", SENDER, text, intent, prompt)
    return UserUttered(text, {"name": intent, "confidence": 1.0},
                       parse_data={"intent": {"name": intent, "confidence": 1.0}, "entities": [], "text": text,
                                   SEAL_KEY: seal}, message_id=message_id)


@pytest.fixture
def tracker_store(env, monkeypatch):
    path = env / "tracker.db"
    monkeypatch.setenv("CLAUDIA_TRACKER_DB_URL", f"sqlite:///{path}")
    services.reset()
    return SQLTrackerStore(Domain.load(str(ROOT / "domain.yml")), dialect="sqlite", db=str(path))


def earlier_turns():
    return [BotUttered(messages.EVALUATION_QUESTION),
            sealed("/evaluer_negatif", "evaluer_negatif", messages.EVALUATION_QUESTION),
            BotUttered(messages.QUESTION_MOTIF),
            sealed('/choisir_motif{"motif": "autre"}', "choisir_motif", messages.QUESTION_MOTIF),
            BotUttered(messages.QUESTION_COMMENTAIRE),
            sealed(COMMENT, "nlu_fallback", messages.QUESTION_COMMENTAIRE),
            BotUttered(messages.comment_to_send(COMMENT))]


def action_tracker():
    """What the action gets at « Envoyer »: the latest message and the slots, no earlier events."""
    send = sealed("/affirmer", "affirmer", messages.comment_to_send(COMMENT))
    latest = {**send.parse_data, "message_id": send.message_id}
    slots = {"motif_insatisfaction": "autre", "commentaire": COMMENT, "envoi_commentaire": True,
             "derniere_procedure": None}
    return Tracker(SENDER, slots, latest, [send.as_dict()], False, None, {}, "action_listen")


def votes():
    return [(row["comment"], row["verified"]) for row in services.feedback().for_conversation(SENDER)]


def test_the_vote_that_started_the_evaluation_is_read_from_the_tracker_store(tracker_store, dispatcher, domain):
    asyncio.run(tracker_store.save(DialogueStateTracker.from_events(SENDER, earlier_turns())))
    tracker = action_tracker()
    assert [m.text for m in transcript(tracker).messages] == [
        "/evaluer_negatif", '/choisir_motif{"motif": "autre"}', COMMENT, "/affirmer"]
    asyncio.run(EnregistrerEvaluation().run(dispatcher, tracker, domain))
    assert votes() == [(COMMENT, True)]


def test_without_the_earlier_turns_the_same_row_is_kept_but_unverified(tracker_store, dispatcher, domain):
    asyncio.run(EnregistrerEvaluation().run(dispatcher, action_tracker(), domain))
    assert votes() == [(COMMENT, False)]
