"""The rule lookup stopped at the longest rule finds the same rules as Rasa's full walk."""
import json
import random

import pytest
from rasa.core.policies.rule_policy import RulePolicy
from rasa.shared.core.trackers import DialogueStateTracker

from channels import speed_rules
from tests.channels.test_speed_states import DOMAIN, random_events


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
