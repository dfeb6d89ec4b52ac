"""RulePolicy's rule lookup, without walking the whole conversation.

- `RulePolicy._get_possible_keys` filters the rules against the conversation's states from
  the newest back to the very first one; but a rule is always applicable at a depth beyond
  its own length (`_is_rule_applicable` returns True there), so once past the longest rule
  nothing can change and the rest of the walk (growing with the conversation) is skipped.
  The result is the same set of keys.
- When no rule applies, RulePolicy serialises every state of the conversation to JSON (a
  "feature key") only to check whether it is one of the rules absent from the stories
  (which hides the turn from other policies). A key with more states than the longest of
  those rules cannot be one of them: a short placeholder, absent from the list, is used.
- The states formatted for the debug log (built at every prediction, logged or not) are
  the last DEBUG_STATES ones.
"""
from __future__ import annotations

import itertools
import json
from typing import Dict, List, Optional, Set, Text, Tuple

from rasa.core.policies.policy import Policy
from rasa.core.policies.rule_policy import RULES_NOT_IN_STORIES, RulePolicy
from rasa.shared.core.domain import State

DEBUG_STATES = 10
_original = RulePolicy._get_possible_keys
_original_feature_key = RulePolicy._create_feature_key
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


def _longest_key(policy: RulePolicy, keys: List[Text]) -> int:
    known = _longest.get(id(keys))
    if known is None or known[0] is not keys or known[1] != len(keys):
        depth = 0
        for key in keys:
            try:
                states = json.loads(key)
            except ValueError:
                continue  # not a rule key (loop markers): never equal to a JSON list of states
            depth = max(depth, len(states) if isinstance(states, list) else 0)
        known = _longest[id(keys)] = (keys, len(keys), depth)
    return known[2]


def create_feature_key(self: RulePolicy, states: List[State]) -> Optional[Text]:
    longest = _longest_key(self, self.lookup.get(RULES_NOT_IN_STORIES, []))
    kept = 0
    for state in reversed(states):
        if self._is_rule_snippet_state(state):
            break
        kept += 1
        if kept > longest:
            return f"<{len(states)} states, longer than any rule absent from the stories>"
    return _original_feature_key(self, states)


def format_tracker_states(states: List[dict]) -> Text:
    return Policy.format_tracker_states(states[-DEBUG_STATES:])


def apply() -> None:
    RulePolicy._get_possible_keys = get_possible_keys
    RulePolicy._create_feature_key = create_feature_key
    RulePolicy.format_tracker_states = staticmethod(format_tracker_states)
