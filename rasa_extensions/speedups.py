"""Measured fixes to Rasa's hot path, applied when the Rasa server loads our channel.

Profiling a loaded server (py-spy, see bench/results.md) showed ~40 % of its CPU in
`RemoteAction._validate_action_result`: `jsonschema.validate` re-checks the (large,
constant) response schema against the meta-schema on every action-server call. This
builds the validator once and validates each response exactly as before: same
schema, same errors, same message.

Validating each event against the 23 alternatives of the events' `oneOf` was still the
largest single cost of an action call (~9 % of the Rasa server's samples on an idle
machine). Each alternative is told apart by its constant `event` name, so an event is
valid exactly when it passes the common part and the one alternative of its name: that
is checked first, and any response that fails it is validated again the full way, so
errors are Rasa's, word for word.

`apply()` also installs the fixes that keep a turn's cost independent of the
conversation's length (rasa_extensions/speed_states.py, speed_tracker.py, speed_rules.py; the
tracker store, rasa_extensions/speed_tracker_store.py, is named in the endpoints file).
"""
from __future__ import annotations

import copy
from typing import Any, Dict

from jsonschema import ValidationError
from jsonschema.exceptions import best_match
from jsonschema.validators import validator_for
from rasa.core.actions.action import RemoteAction
from rasa.shared.constants import DOCS_BASE_URL

from rasa_extensions import speed_rules, speed_states, speed_tracker

_validators: Dict[str, Any] = {}


def _response_validators() -> Dict[str, Any]:
    """The full validator, the response without the events' alternatives, and one per event name."""
    if not _validators:
        schema = RemoteAction.action_response_format_spec()
        cls = validator_for(schema)
        cls.check_schema(schema)  # once, instead of once per action call
        common = copy.deepcopy(schema)
        alternatives = common["properties"]["events"]["items"].pop("oneOf")
        by_name = {alt["properties"]["event"]["const"]: cls(alt) for alt in alternatives}
        assert len(by_name) == len(alternatives)  # the names tell the alternatives apart
        _validators.update(full=cls(schema), common=cls(common), events=by_name)
    return _validators


def is_valid_quickly(result: Any) -> bool:
    """True exactly when the full schema accepts `result` (see the module's docstring)."""
    validators = _response_validators()
    if not validators["common"].is_valid(result):
        return False
    events = result.get("events") if isinstance(result, dict) else None
    for event in events if isinstance(events, list) else []:
        alternative = validators["events"].get(event.get("event"))
        if alternative is None or not alternative.is_valid(event):
            return False
    return True


def _validate_action_result(self: RemoteAction, result: Dict[str, Any]) -> bool:
    if is_valid_quickly(result):
        return True
    error = best_match(_response_validators()["full"].iter_errors(result))
    if error is not None:
        error.message += (
            f". Failed to validate Action server response from API, "
            f"make sure your response from the Action endpoint is valid. "
            f"For more information about the format visit "
            f"{DOCS_BASE_URL}/custom-actions"
        )
        raise error
    return True


def apply() -> None:
    RemoteAction._validate_action_result = _validate_action_result
    speed_states.apply()
    speed_tracker.apply()
    speed_rules.apply()


__all__ = ["apply", "ValidationError"]
