"""The cached validator accepts and rejects exactly what Rasa's own check does."""
import jsonschema
import pytest
from rasa.core.actions.action import RemoteAction

from rasa_extensions.speedups import _validate_action_result

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


def test_the_quick_check_agrees_with_the_full_schema_on_random_responses():
    """Events of every name with fields of random types: the per-name check (one
    alternative instead of 23) accepts exactly what the full schema accepts."""
    import random

    from rasa_extensions.speedups import is_valid_quickly

    schema = RemoteAction.action_response_format_spec()
    full = jsonschema.validators.validator_for(schema)(schema)
    alternatives = schema["properties"]["events"]["items"]["oneOf"]
    names = [alt["properties"]["event"]["const"] for alt in alternatives] + ["no_such_event", 3, None]
    keys = sorted({key for alt in alternatives for key in alt.get("properties", {})} | {"timestamp", "metadata"})
    values = [None, 0, 1.5, "x", "", [], {}, True, [{"title": "a", "payload": "/b"}], {"intent": {"name": "x"}}]
    rng = random.Random(15)
    agreed = {True: 0, False: 0}
    for _ in range(3000):
        events = []
        for _ in range(rng.randint(0, 3)):
            event = {key: rng.choice(values) for key in rng.sample(keys, rng.randint(0, 4))}
            if rng.random() < 0.95:
                event["event"] = rng.choice(names)
            events.append(event if rng.random() < 0.97 else "not an event")
        result = {"events": events} if rng.random() < 0.9 else {"events": events, "responses": rng.choice(values)}
        expected = full.is_valid(result)
        assert is_valid_quickly(result) is expected, result
        agreed[expected] += 1
    assert min(agreed.values()) > 100  # both outcomes were really tried
