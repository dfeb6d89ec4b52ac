"""The rule lookup stopped at the longest rule finds the same rules as Rasa's full walk."""
import json
import random

import pytest
from rasa.core.policies.rule_policy import RULES_NOT_IN_STORIES, RulePolicy
from rasa.shared.core.trackers import DialogueStateTracker

from rasa_extensions import speed_rules
from tests.rasa_extensions.test_speed_states import DOMAIN, random_events


def states_of(seed, count):
    tracker = DialogueStateTracker.from_events("c", random_events(random.Random(seed), count), DOMAIN.slots)
    return tracker.past_states(DOMAIN)


@pytest.mark.parametrize("seed", range(4))
def test_same_rules_as_rasa(seed):
    rng = random.Random(seed)
    policy = RulePolicy.__new__(RulePolicy)
    source = states_of(seed + 100, 200)
    rules = {}
    for _ in range(60):  # rules cut from a conversation, some from its very start, some loosened
        length = rng.randint(1, 5)
        start = 0 if rng.random() < 0.2 else rng.randint(0, max(len(source) - length, 0))
        rule = [dict(state) for state in source[start:start + length]]
        if rng.random() < 0.5:
            rule[0].pop("slots", None)
        rules[json.dumps(rule, sort_keys=True)] = "action"
    for count in (3, 10, 80):
        states = states_of(seed, count)
        for end in range(1, len(states) + 1, 7):
            assert speed_rules.get_possible_keys(policy, rules, states[:end]) == \
                speed_rules._original(policy, rules, states[:end])
    assert any(speed_rules._original(policy, rules, source[:end]) for end in range(1, len(source)))


@pytest.mark.parametrize("seed", range(3))
def test_a_turn_is_hidden_exactly_when_rasa_hides_it(seed):
    """The placeholder key is never one of the rules absent from the stories, and a key that
    could be one is Rasa's own."""
    rng = random.Random(seed)
    policy = RulePolicy.__new__(RulePolicy)
    source = states_of(seed + 50, 150)
    absent = []
    for _ in range(20):
        length = rng.randint(1, 4)
        start = rng.randint(0, max(len(source) - length, 0))
        absent.append(json.dumps(source[start:start + length], sort_keys=True))
    absent += [json.dumps(source[:k], sort_keys=True) for k in (1, 2, 3)]  # a conversation's first states
    policy.lookup = {RULES_NOT_IN_STORIES: absent + ["handling active loops and forms - formulaire"]}
    hidden_seen = 0
    for end in range(1, len(source) + 1):
        ours = speed_rules.create_feature_key(policy, source[:end]) in policy.lookup[RULES_NOT_IN_STORIES]
        rasa = speed_rules._original_feature_key(policy, source[:end]) in policy.lookup[RULES_NOT_IN_STORIES]
        assert ours == rasa
        hidden_seen += rasa
    assert hidden_seen  # the check met keys that are in the list, not only keys that are not


def test_the_debug_log_formats_only_the_last_states():
    states = states_of(7, 120)
    assert speed_rules.format_tracker_states(states) == RulePolicy.__mro__[1].format_tracker_states(states[-10:])
