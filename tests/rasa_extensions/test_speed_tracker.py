"""Remembered applied events, the direct tracker copy and the shorter action-server payload
give what Rasa's own code gives, after every event of random conversations."""
import random

import pytest
from rasa.core.actions.action import RemoteAction
from rasa.shared.core.events import ActionExecuted, SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker, EventVerbosity
from rasa.utils.endpoints import EndpointConfig
from rasa_sdk import Tracker

from rasa_extensions import speed_tracker
from tests.rasa_extensions.test_speed_states import DOMAIN, random_events


@pytest.mark.parametrize("seed", range(6))
def test_applied_events_and_copy_match_rasa_after_every_event(seed):
    rng = random.Random(seed)
    tracker = DialogueStateTracker("conversation", DOMAIN.slots)
    for event in random_events(rng, 150):
        tracker.update(event)
        expected = speed_tracker._original_applied_events(tracker)
        assert speed_tracker.applied_events(tracker) == expected
        assert all(a is b for a, b in zip(speed_tracker.applied_events(tracker), expected))
        copied, replayed = speed_tracker.copy_tracker(tracker), speed_tracker._original_copy(tracker)
        assert copied.current_state(EventVerbosity.ALL) == replayed.current_state(EventVerbosity.ALL)
        assert copied.past_states(DOMAIN) == replayed.past_states(DOMAIN)
        before = tracker.current_state(EventVerbosity.ALL)
        copied.update(SlotSet("siret", "autre"))  # the copy is independent of the original
        assert copied.get_slot("siret") == "autre"
        assert tracker.current_state(EventVerbosity.ALL) == before


def payload_tracker(tracker, call_format):
    action = RemoteAction("validate_formulaire", EndpointConfig("http://127.0.0.1:1/webhook"))
    return Tracker.from_dict(call_format(action, tracker, DOMAIN)["tracker"])


@pytest.mark.parametrize("seed", range(4))
def test_the_action_server_reads_the_same_from_the_shorter_payload(seed):
    rng = random.Random(seed)
    tracker = DialogueStateTracker("conversation", DOMAIN.slots)
    for event in random_events(rng, 120) + [ActionExecuted("action_listen"),
                                            UserUttered("mon siret", {"name": "informer_siret"}),
                                            SlotSet("siret", "21930001900011"), SlotSet("confirmation", True)]:
        tracker.update(event)
        short = payload_tracker(tracker, speed_tracker._action_call_format)
        full = payload_tracker(tracker, speed_tracker._original_action_call_format)
        assert short.slots == full.slots
        assert short.latest_message == full.latest_message
        assert short.slots_to_validate() == full.slots_to_validate()
        assert short.get_latest_input_channel() == full.get_latest_input_channel()
        assert short.active_loop == full.active_loop and short.is_paused() == full.is_paused()
        assert short.latest_action_name == full.latest_action_name
        assert len(short.events) <= len(full.events)
    assert len(short.events) < 40 < len(full.events)
