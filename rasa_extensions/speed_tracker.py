"""Tracker operations that Rasa repeats over the whole conversation at every turn.

Measured with py-spy at turn 250 of one conversation (bench/changes.md):
- `DialogueStateTracker.applied_events` walks every event, several times per turn (session
  check, policies, action payload). Its result for the events already seen does not change
  when events are appended, unless a new form name appears (which changes how earlier
  events are folded): it is kept on the tracker and only the new events are walked;
- `DialogueStateTracker.copy` (a throw-away copy before every action) replays every event
  into a new tracker. It now copies the current state directly: same slots, form, latest
  message and action, same events;
- the action server received every event of the conversation (`EventVerbosity.ALL`),
  serialised to JSON at every call. Our actions read the slots, the latest message and,
  for forms, the slot events at the end of the list (rasa_sdk's `slots_to_validate`): they
  now receive the events from the latest user message on (at least the last
  `MIN_EVENTS_SENT`), which contain all of that.
"""
from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import Any, Dict, List, Set

import rasa
from rasa.core.actions.action import RemoteAction
from rasa.shared.core.events import (
    ActionExecuted,
    ActionReverted,
    ActiveLoop,
    Event,
    Restarted,
    SessionStarted,
    UserUttered,
    UserUtteranceReverted,
)
from rasa.shared.core.trackers import DialogueStateTracker, EventVerbosity

from rasa_extensions.speed_states import clone_state

_APPLIED = "_claudia_applied_memo"
_PRIVATE = ("_claudia_applied_memo", "_claudia_states_memo")
MIN_EVENTS_SENT = 20
_original_applied_events = DialogueStateTracker.applied_events
_original_copy = DialogueStateTracker.copy
_original_action_call_format = RemoteAction._action_call_format


@dataclass
class _Applied:
    count: int  # events walked
    first: Any
    last: Any
    loop_names: Set[str]
    applied: List[Event]


def _walk(tracker: DialogueStateTracker, events, loop_names: Set[str], applied: List[Event]) -> None:
    """Rasa's loop of `applied_events`, on a list it can resume."""
    for event in events:
        if isinstance(event, (Restarted, SessionStarted)):
            applied.clear()
        elif isinstance(event, ActionReverted):
            tracker._undo_till_previous(ActionExecuted, applied)
        elif isinstance(event, UserUtteranceReverted):
            tracker._undo_till_previous(UserUttered, applied)
            tracker._undo_till_previous(ActionExecuted, applied)
        elif (
            isinstance(event, ActionExecuted)
            and event.action_name in loop_names
            and not tracker._first_loop_execution_or_unhappy_path(event.action_name, applied)
        ):
            tracker._undo_till_previous_loop_execution(event.action_name, applied)
        else:
            applied.append(event)


def applied_events(self: DialogueStateTracker) -> List[Event]:
    events = self.events
    count = len(events)
    memo: _Applied = self.__dict__.get(_APPLIED)
    if memo is not None and 0 < memo.count <= count and events[0] is memo.first \
            and events[memo.count - 1] is memo.last:
        new = list(itertools.islice(events, memo.count, None))
        if {e.name for e in new if isinstance(e, ActiveLoop) and e.name} <= memo.loop_names:
            _walk(self, new, memo.loop_names, memo.applied)
            memo.count, memo.last = count, events[-1] if count else None
            return list(memo.applied)
    loop_names = {e.name for e in events if isinstance(e, ActiveLoop) and e.name}
    applied: List[Event] = []
    _walk(self, events, loop_names, applied)
    if count:
        self.__dict__[_APPLIED] = _Applied(count, events[0], events[-1], loop_names, applied)
    return list(applied)


def copy_tracker(self: DialogueStateTracker) -> DialogueStateTracker:
    """The tracker's current state in a new tracker, as `copy()` gives, without replaying."""
    clone = clone_state(self)
    for name in _PRIVATE:
        clone.__dict__.pop(name, None)
    return clone


def recent_events(tracker: DialogueStateTracker) -> List[Event]:
    """The events from the latest user message on, and at least the last MIN_EVENTS_SENT."""
    taken: List[Event] = []
    for event in reversed(tracker.events):
        taken.append(event)
        if isinstance(event, UserUttered) and len(taken) >= MIN_EVENTS_SENT:
            break
        if isinstance(event, (Restarted, SessionStarted)) and len(taken) >= MIN_EVENTS_SENT:
            break
    taken.reverse()
    return taken


def _action_call_format(self: RemoteAction, tracker: DialogueStateTracker, domain) -> Dict[str, Any]:
    state = tracker.current_state(EventVerbosity.NONE)
    state["events"] = [event.as_dict() for event in recent_events(tracker)]
    result = {"next_action": self._name, "sender_id": tracker.sender_id, "tracker": state,
              "version": rasa.__version__}
    if not self._is_selective_domain_enabled() or domain.does_custom_action_explicitly_need_domain(self.name()):
        result["domain"] = domain.as_dict()
    return result


def apply() -> None:
    DialogueStateTracker.applied_events = applied_events
    DialogueStateTracker.copy = copy_tracker
    RemoteAction._action_call_format = _action_call_format
