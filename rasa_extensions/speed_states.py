"""The dialogue states of a conversation, computed once instead of at every prediction.

Before every prediction Rasa's policies ask `Domain.states_for_tracker_history`, which
replays the whole conversation event by event to rebuild the state before each action:
the cost grows with the conversation (23 % of the Rasa server's CPU at turn 250, py-spy,
bench/changes.md), several times per turn. The states of the events already seen do not
change when events are appended, so this keeps, on the tracker, the states computed so
far and a copy of the replayed tracker at a few recent points, and only replays what is
new. The result is the same list Rasa computes (tests/rasa_extensions/test_speed_states.py
compares them event by event, reverts and forms included).

Rasa may rewrite the recent past (`UserUtteranceReverted`, `ActionReverted`, a form's
happy path folding its previous turn): the events Rasa applies are compared with those
seen before, and the replay restarts from the latest copy taken before the first
difference, or from the start.
"""
from __future__ import annotations

import copy
from collections import deque
from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional, Tuple

from rasa.shared.core import constants
from rasa.shared.core.domain import Domain, State
from rasa.shared.core.events import ActionExecuted
from rasa.shared.core.trackers import DialogueStateTracker

_MEMO = "_claudia_states_memo"
KEPT_CHECKPOINTS = 6  # about two turns of predictions: a form folds back about one turn
FRESH_TAIL = 2  # states handed out as fresh copies (Rasa's featurizer edits the last one in place)
_original = Domain.states_for_tracker_history


@dataclass
class _Checkpoint:
    """Everything the replay loop knows after `position` applied events."""

    position: int
    replay: DialogueStateTracker
    states: List[State]  # pristine, never handed out
    shown: List[State]  # the same states as handed out (user text dropped when an intent is set)
    last_ml_action_sub_state: Optional[Dict[str, Any]]
    turn_was_hidden: bool


@dataclass
class _Memo:
    applied: List[Any] = field(default_factory=list)
    checkpoints: List[_Checkpoint] = field(default_factory=list)


def clone_state(tracker: DialogueStateTracker) -> DialogueStateTracker:
    """An independent copy of a tracker's current state, without replaying its events
    (the event objects are shared, not copied)."""
    clone = copy.copy(tracker)
    clone.events = deque(tracker.events, maxlen=tracker.events.maxlen)
    clone.slots = copy.copy(tracker.slots)
    for name, slot in tracker.slots.items():
        clone.slots[name] = copy.copy(slot)
    clone.active_loop = copy.copy(tracker.active_loop)
    clone.latest_action = copy.copy(tracker.latest_action)
    return clone


def _copy_state(state: State) -> State:
    return {key: dict(value) if isinstance(value, dict) else value for key, value in state.items()}


def _shown(state: State) -> State:
    """The state as every prediction sees it: text dropped where an intent is known."""
    user = state.get(constants.USER)
    if user and user.get("intent") and user.get("text"):
        state = dict(state)
        state[constants.USER] = {k: v for k, v in user.items() if k != "text"}
        return state
    return _copy_state(state)


def _common_prefix(old: List[Any], new: List[Any]) -> int:
    n = min(len(old), len(new))
    # Fast path: the usual case is `new` extending `old`.
    if n and old[n - 1] is new[n - 1] and old[0] is new[0]:
        if all(a is b for a, b in zip(old, new)):
            return n
    for index in range(n):
        if old[index] is not new[index]:
            return index
    return n


def _step(domain: Domain, cp: _Checkpoint, tracker: DialogueStateTracker, hide_rule_turn: bool,
          ignore_rule_only_turns: bool, omit_unset_slots: bool, rule_only_data) -> Tuple[Optional[State], Any, bool]:
    """Rasa's loop body, for one prior tracker: the state to append (or None) and the loop variables."""
    last_ml, hidden = cp.last_ml_action_sub_state, cp.turn_was_hidden
    if ignore_rule_only_turns:
        if not hidden:
            last_ml = domain._get_prev_action_sub_state(tracker)
        if not tracker.followup_action and not tracker.latest_action_name == tracker.active_loop_name:
            hidden = hide_rule_turn
        if hidden:
            return None, last_ml, hidden
    state = domain.get_active_state(tracker, omit_unset_slots=omit_unset_slots)
    if ignore_rule_only_turns:
        domain._remove_rule_only_features(state, rule_only_data)
        if cp.states:
            domain._substitute_rule_only_user_input(state, cp.states[-1])
        if last_ml:
            state[constants.PREVIOUS_ACTION] = last_ml
    return domain._clean_state(state), last_ml, hidden


def states_for_tracker_history(
    self: Domain,
    tracker: DialogueStateTracker,
    omit_unset_slots: bool = False,
    ignore_rule_only_turns: bool = False,
    rule_only_data: Optional[Dict[str, Any]] = None,
) -> List[State]:
    memos: Dict[tuple, _Memo] = tracker.__dict__.setdefault(_MEMO, {})
    key = (id(self), omit_unset_slots, ignore_rule_only_turns, repr(rule_only_data))
    memo = memos.setdefault(key, _Memo())
    applied = tracker.applied_events()
    same = _common_prefix(memo.applied, applied)
    usable = [cp for cp in memo.checkpoints if cp.position <= same]
    if usable:
        start = usable[-1]
        cp = _Checkpoint(start.position, clone_state(start.replay), list(start.states), list(start.shown),
                         start.last_ml_action_sub_state, start.turn_was_hidden)
    else:
        cp = _Checkpoint(0, tracker.init_copy(), [], [], None, False)

    def consume(prior: DialogueStateTracker, hide_rule_turn: bool, into: _Checkpoint) -> None:
        state, into.last_ml_action_sub_state, into.turn_was_hidden = _step(
            self, into, prior, hide_rule_turn, ignore_rule_only_turns, omit_unset_slots, rule_only_data)
        if state is not None:
            into.states.append(state)
            into.shown.append(_shown(state))

    for event in applied[cp.position:]:
        if isinstance(event, ActionExecuted):
            consume(cp.replay, event.hide_rule_turn, cp)
        cp.replay.update(event)
    cp.position = len(applied)

    # The state after the last event is provisional (more events will follow): computed on copies.
    final = _Checkpoint(cp.position, cp.replay, list(cp.states), list(cp.shown),
                        cp.last_ml_action_sub_state, cp.turn_was_hidden)
    consume(cp.replay, False, final)

    memo.applied = applied
    memo.checkpoints = (usable + [cp])[-KEPT_CHECKPOINTS:]
    tail = _tail_start(final.states)
    return final.shown[:tail] + copy.deepcopy(final.states[tail:])


def _tail_start(states: List[State]) -> int:
    """Where the states a caller may modify begin: the last ones, and every state sharing
    the last one's user part (Rasa's rule-only substitution shares it; the featurizer then
    edits it in place, which Rasa's own result shows in all of them)."""
    start = max(len(states) - FRESH_TAIL, 0)
    last_user = states[-1].get(constants.USER) if states else None
    if last_user is not None:
        while start > 0 and states[start - 1].get(constants.USER) is last_user:
            start -= 1
    return start


def apply() -> None:
    Domain.states_for_tracker_history = states_for_tracker_history


def original(domain: Domain, tracker: DialogueStateTracker, **kwargs: Any) -> List[State]:
    """Rasa's own computation, for comparison."""
    return _original(domain, tracker, **kwargs)
