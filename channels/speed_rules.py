"""RulePolicy's rule lookup, without walking the whole conversation.

`RulePolicy._get_possible_keys` filters the rules against the conversation's states from
the newest back to the very first one; but a rule is always applicable at a depth beyond
its own length (`_is_rule_applicable` returns True there), so once past the longest rule
nothing can change and the rest of the walk (growing with the conversation) is skipped.
The result is the same set of keys.
"""
from __future__ import annotations

import itertools
from typing import Dict, List, Set, Text, Tuple

from rasa.core.policies.rule_policy import RulePolicy
from rasa.shared.core.domain import State

_original = RulePolicy._get_possible_keys
_longest: Dict[int, Tuple[Dict[Text, Text], int, int]] = {}


def _longest_rule(policy: RulePolicy, lookup: Dict[Text, Text]) -> int:
    """Number of states of the longest rule of `lookup` (computed once per lookup table)."""
    known = _longest.get(id(lookup))
    if known is None or known[0] is not lookup or known[1] != len(lookup):
        depth = max((len(policy._rule_key_to_state(rule)) for rule in lookup), default=0)
        known = _longest[id(lookup)] = (lookup, len(lookup), depth)
    return known[2]


def get_possible_keys(self: RulePolicy, lookup: Dict[Text, Text], states: List[State]) -> Set[Text]:
    depth = _longest_rule(self, lookup)
    possible_keys = set(lookup.keys())
    for i, state in enumerate(itertools.islice(reversed(states), depth)):
        possible_keys = {key for key in possible_keys if self._is_rule_applicable(key, i, state)}
    return possible_keys


def apply() -> None:
    RulePolicy._get_possible_keys = get_possible_keys
