"""The cached validator accepts and rejects exactly what Rasa's own check does."""
import jsonschema
import pytest
from rasa.core.actions.action import RemoteAction

from channels.speedups import _validate_action_result

GOOD = [
    {"events": [{"event": "slot", "name": "siret", "value": "21930001900011"}], "responses": [{"text": "ok"}]},
    {"events": [{"event": "action", "name": "action_listen"}, {"event": "active_loop", "name": None}]},
    {"events": [], "responses": []},
    {},
]
BAD = [
    {"events": "not a list"},
    {"events": [{"event": "slot", "name": 3}]},
    {"responses": "x"},
    {"events": [{"event": "no_such_event"}]},
]


@pytest.mark.parametrize("result", GOOD)
def test_accepts_what_rasa_accepts(result):
    jsonschema.validate(result, RemoteAction.action_response_format_spec())
    assert _validate_action_result(RemoteAction.__new__(RemoteAction), result) is True


@pytest.mark.parametrize("result", BAD)
def test_rejects_what_rasa_rejects(result):
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(result, RemoteAction.action_response_format_spec())
    with pytest.raises(jsonschema.ValidationError, match="Failed to validate Action server response"):
        _validate_action_result(RemoteAction.__new__(RemoteAction), result)
