"""What a Rasa worker does with the active model named in the database (serving/model_follower.py)."""
from datetime import datetime, timedelta

from serving.model_follower import next_step

ACTIVATED = datetime(2026, 12, 5, 10, 0)
ACTIVE = {"id": 2, "sha256": "b" * 64, "activated_at": ACTIVATED}


def test_nothing_to_do_without_activation_or_when_already_served():
    assert next_step(None, None, "a" * 64, None, None) == "keep"
    assert next_step(ACTIVE, 2, "b" * 64, None, None) == "keep"


def test_the_same_file_is_adopted_without_loading_it_again():
    assert next_step(ACTIVE, None, "b" * 64, None, ACTIVATED + timedelta(hours=1)) == "adopt"


def test_another_model_is_loaded_but_not_one_that_failed():
    assert next_step(ACTIVE, 1, "a" * 64, None, None) == "load"
    assert next_step(ACTIVE, None, "a" * 64, None, ACTIVATED - timedelta(minutes=1)) == "load"
    assert next_step(ACTIVE, 1, "a" * 64, "b" * 64, None) == "keep"


def test_a_model_trained_by_hand_after_the_last_activation_is_served_until_the_next_one():
    hand_trained = ACTIVATED + timedelta(minutes=5)
    assert next_step(ACTIVE, None, "c" * 64, None, hand_trained) == "keep"
    later = dict(ACTIVE, id=3, sha256="d" * 64, activated_at=hand_trained + timedelta(minutes=1))
    assert next_step(later, None, "c" * 64, None, hand_trained) == "load"
