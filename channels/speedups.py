"""Measured fixes to Rasa's hot path, applied when the Rasa server loads our channel.

Profiling a loaded server (py-spy, see bench/results.md) showed ~40 % of its CPU in
`RemoteAction._validate_action_result`: `jsonschema.validate` re-checks the (large,
constant) response schema against the meta-schema on every action-server call. This
builds the validator once and validates each response exactly as before: same
schema, same errors, same message.

`apply()` also installs the fixes that keep a turn's cost independent of the
conversation's length (channels/speed_states.py, speed_tracker.py, speed_rules.py; the
tracker store, channels/speed_tracker_store.py, is named in the endpoints file).
"""
from __future__ import annotations

from typing import Any, Dict

from jsonschema import ValidationError
from jsonschema.exceptions import best_match
from jsonschema.validators import validator_for
from rasa.core.actions.action import RemoteAction
from rasa.shared.constants import DOCS_BASE_URL

from channels import speed_rules, speed_states, speed_tracker

_validator = None


def _response_validator():
    global _validator
    if _validator is None:
        schema = RemoteAction.action_response_format_spec()
        cls = validator_for(schema)
        cls.check_schema(schema)  # once, instead of once per action call
        _validator = cls(schema)
    return _validator


def _validate_action_result(self: RemoteAction, result: Dict[str, Any]) -> bool:
    error = best_match(_response_validator().iter_errors(result))
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
