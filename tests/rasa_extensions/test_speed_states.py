"""The remembered dialogue states are the ones Rasa computes, after every event of
conversations with forms, reverts, restarts, rule-only turns and follow-up actions,
including when the caller modifies what it gets (as Rasa's featurizer does)."""
import copy
import random

import pytest
from rasa.core.featurizers.tracker_featurizers import MaxHistoryTrackerFeaturizer
from rasa.shared.core.constants import RULE_ONLY_LOOPS, RULE_ONLY_SLOTS
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import (
    ActionExecuted,
    ActionReverted,
    ActiveLoop,
    FollowupAction,
    Restarted,
    SessionStarted,
    SlotSet,
    UserUttered,
    UserUtteranceReverted,
)
from rasa.shared.core.trackers import DialogueStateTracker

from rasa_extensions import speed_states

DOMAIN = Domain.from_yaml("""
version: "3.1"
intents: [saluer, affirmer, nier, informer_siret, demander_definition]
entities: [terme]
slots:
  siret: {type: text, influence_conversation: true, mappings: [{type: custom}]}
  confirmation: {type: bool, influence_conversation: true, mappings: [{type: custom}]}
  etape: {type: categorical, values: [a, b], influence_conversation: true, mappings: [{type: custom}]}
  regle: {type: text, influence_conversation: true, mappings: [{type: custom}]}
forms:
  formulaire: {required_slots: [siret, confirmation]}
responses:
  utter_bonjour: [{text: bonjour}]
  utter_definition: [{text: definition}]
actions: [action_expliquer, action_terminer]
""")
RULE_ONLY = {RULE_ONLY_SLOTS: ["regle"], RULE_ONLY_LOOPS: []}
VARIANTS = [dict(), dict(omit_unset_slots=True),
            dict(ignore_rule_only_turns=True, rule_only_data=RULE_ONLY)]


def user(rng):
    intent = rng.choice(["saluer", "affirmer", "nier", "informer_siret", "demander_definition"])
    entities = [{"entity": "terme", "value": "siret", "start": 0, "end": 5}] if rng.random() < 0.3 else []
    return [ActionExecuted("action_listen"),
            UserUttered(f"texte {rng.random()}", {"name": intent, "confidence": 0.9}, entities)]


def form_turn(rng):
    return [ActionExecuted("formulaire"), SlotSet(rng.choice(["siret", "confirmation"]), rng.random() < 0.5),
            SlotSet("requested_slot", rng.choice(["siret", "confirmation", None]))]


def random_events(rng, count):
    choices = [
        lambda: user(rng),
        lambda: [ActionExecuted(rng.choice(["utter_bonjour", "action_expliquer", "utter_definition"]),
                                hide_rule_turn=rng.random() < 0.4)],
        lambda: [ActionExecuted("formulaire"), ActiveLoop("formulaire")],
        lambda: [ActionExecuted("formulaire_b"), ActiveLoop("formulaire_b")] if rng.random() < 0.1 else [],
        lambda: form_turn(rng),
        lambda: [ActionExecuted("action_terminer"), ActiveLoop(None), SlotSet("siret", None)],
        lambda: [SlotSet(rng.choice(["etape", "regle"]), rng.choice(["a", "b", None]))],
        lambda: [UserUtteranceReverted()],
        lambda: [ActionReverted()],
        lambda: [FollowupAction("action_expliquer")],
        lambda: [Restarted()] if rng.random() < 0.2 else [SessionStarted()] if rng.random() < 0.2 else [],
    ]
    weights = [30, 15, 6, 2, 20, 4, 6, 2, 2, 2, 1]
    events = []
    while len(events) < count:
        events += rng.choices(choices, weights)[0]()
    return events


def as_predicted(states, use_text):
    """What Rasa's featurizer does to the states before any policy reads them."""
    states = copy.deepcopy(states)
    MaxHistoryTrackerFeaturizer(max_history=None)._choose_last_user_input([states], use_text)
    return states


@pytest.mark.parametrize("seed", range(8))
def test_same_states_as_rasa_after_every_event(seed):
    rng = random.Random(seed)
    tracker = DialogueStateTracker("conversation", DOMAIN.slots)
    for event in random_events(rng, 140):
        tracker.update(event)
        for variant in VARIANTS:
            expected = speed_states.original(DOMAIN, tracker, **variant)
            got = speed_states.states_for_tracker_history(DOMAIN, tracker, **variant)
            for use_text in (False, True):
                assert as_predicted(got, use_text) == as_predicted(expected, use_text)
            # The last states are Rasa's own, untouched; callers may modify them in place.
            assert got[-2:] == expected[-2:]
            MaxHistoryTrackerFeaturizer(max_history=None)._choose_last_user_input([got], rng.random() < 0.5)


def test_a_new_tracker_from_the_same_events_gives_the_same_states():
    rng = random.Random(99)
    events = random_events(rng, 120)
    first = DialogueStateTracker.from_events("a", events, DOMAIN.slots)
    second = DialogueStateTracker.from_events("a", events, DOMAIN.slots)
    speed_states.states_for_tracker_history(DOMAIN, first)
    for use_text in (False, True):
        assert as_predicted(speed_states.states_for_tracker_history(DOMAIN, first), use_text) == \
            as_predicted(speed_states.states_for_tracker_history(DOMAIN, second), use_text) == \
            as_predicted(speed_states.original(DOMAIN, second), use_text)


def test_speedups_install_it_on_rasa_domain():
    from rasa_extensions import speedups

    speedups.apply()
    assert Domain.states_for_tracker_history is speed_states.states_for_tracker_history
