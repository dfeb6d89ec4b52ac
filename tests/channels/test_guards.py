"""Limits on not-connected visitors (channels/guards.py), with the real settings."""
import pytest

from channels import guards
from claudia import messages, services
from claudia.throttle import SlidingWindow


@pytest.fixture
def limits(env, monkeypatch):
    monkeypatch.setenv("CLAUDIA_ANONYMOUS_RATE", "3")
    monkeypatch.setenv("CLAUDIA_ANONYMOUS_MAX_MESSAGES", "10")
    services.reset()
    guards.reset()
    yield
    guards.reset()


def test_messages_per_address_are_limited(limits):
    assert [guards.anonymous_refusal("10.0.0.1", 0) for _ in range(3)] == [None] * 3
    assert guards.anonymous_refusal("10.0.0.1", 0) == messages.TROP_DE_MESSAGES
    assert guards.anonymous_refusal("10.0.0.2", 0) is None  # another visitor


def test_a_conversation_stops_at_its_cap(limits):
    assert guards.anonymous_refusal("10.0.0.3", 9) is None
    assert guards.anonymous_refusal("10.0.0.3", 10) == messages.LIMITE_CONVERSATION_ANONYME


def test_sliding_window_forgets_old_hits(monkeypatch):
    now = [1000.0]
    monkeypatch.setattr("claudia.throttle.time.monotonic", lambda: now[0])
    window = SlidingWindow(2, 60)
    assert window.allow("a") and window.allow("a") and not window.allow("a")
    now[0] += 61
    assert window.allow("a")
    assert not window.blocked("b") and "b" not in window._hits  # looking adds no key
