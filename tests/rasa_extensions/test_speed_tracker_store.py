"""The cached SQL tracker store gives what Rasa's SQLTrackerStore reads from the same
database, in a real SQLite file: across turns, with a second server writing to the same
conversation, after a failed turn, and across sessions."""
import asyncio

import pytest
from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.events import (
    ActionExecuted,
    SessionStarted,
    SlotSet,
    UserUttered,
)

from rasa_extensions.speed_tracker_store import CachedSQLTrackerStore
from tests.rasa_extensions.test_speed_states import DOMAIN


def run(coroutine):
    return asyncio.run(coroutine)


@pytest.fixture
def db(tmp_path):
    return str(tmp_path / "tracker.db")


def stores(db):
    return CachedSQLTrackerStore(DOMAIN, dialect="sqlite", db=db), SQLTrackerStore(DOMAIN, dialect="sqlite", db=db)


def turn(tracker, n):
    for event in (UserUttered(f"message {n}", {"name": "saluer"}), ActionExecuted("utter_bonjour"),
                  SlotSet("siret", str(n)), ActionExecuted("action_listen")):
        tracker.update(event)


def dumped(tracker):
    return [event.as_dict() for event in tracker.events]


async def converse(store, sender, turns, start=0):
    for n in range(start, start + turns):
        tracker = await store.get_or_create_tracker(sender)
        turn(tracker, n)
        await store.save(tracker)


def test_same_conversation_as_rasa_reads_and_the_tracker_is_reused(db):
    cached, plain = stores(db)
    run(converse(cached, "c1", 5))
    first = run(cached.retrieve("c1"))
    assert dumped(first) == dumped(run(plain.retrieve("c1")))
    assert first.get_slot("siret") == "4"
    turn(first, 5)
    run(cached.save(first))
    assert run(cached.retrieve("c1")) is first  # no reload: the same tracker, extended
    assert dumped(first) == dumped(run(plain.retrieve("c1")))
    assert len(run(plain.retrieve("c1")).events) == 1 + 6 * 4


def test_events_written_by_another_server_are_read(db):
    cached, plain = stores(db)
    other = CachedSQLTrackerStore(DOMAIN, dialect="sqlite", db=db)
    run(converse(cached, "c2", 2))
    run(converse(other, "c2", 3, start=2))  # the next turns land on another Rasa server
    tracker = run(cached.retrieve("c2"))
    assert dumped(tracker) == dumped(run(plain.retrieve("c2")))
    assert tracker.get_slot("siret") == "4"


def test_a_turn_that_failed_before_saving_is_forgotten(db):
    cached, plain = stores(db)
    run(converse(cached, "c3", 2))
    tracker = run(cached.retrieve("c3"))
    run(cached.save(tracker))
    turn(tracker, 99)  # modified, never saved (the action server failed, say)
    again = run(cached.retrieve("c3"))
    assert again is not tracker
    assert dumped(again) == dumped(run(plain.retrieve("c3")))
    assert again.get_slot("siret") == "1"


def test_two_holders_never_share_a_tracker(db):
    cached, plain = stores(db)
    run(converse(cached, "c4", 2))
    one = run(cached.retrieve("c4"))
    two = run(cached.retrieve("c4"))
    assert one is not two
    turn(two, 7)
    run(cached.save(two))
    turn(one, 8)  # the older holder saves too: counted as Rasa counts, as without the cache
    run(cached.save(one))
    assert len(run(plain.retrieve("c4")).events) == len(one.events)


def test_a_new_session_is_read_from_its_start_as_rasa_does(db):
    cached, plain = stores(db)
    run(converse(cached, "c5", 3))
    tracker = run(cached.retrieve("c5"))
    tracker.update(ActionExecuted("action_session_start"))
    tracker.update(SessionStarted())
    tracker.update(ActionExecuted("action_listen"))
    run(cached.save(tracker))
    turn(tracker, 10)
    run(cached.save(tracker))
    reread = run(cached.retrieve("c5"))
    assert reread is not tracker
    assert dumped(reread) == dumped(run(plain.retrieve("c5")))
    assert [e["event"] for e in dumped(reread)][:2] == ["session_started", "action"]


def test_exists_does_not_take_the_tracker_out(db):
    cached, _ = stores(db)
    run(converse(cached, "c6", 2))
    tracker = run(cached.retrieve("c6"))
    run(cached.save(tracker))
    assert run(cached.exists("c6")) and not run(cached.exists("nobody"))
    assert run(cached.retrieve("c6")) is tracker


def test_the_cache_is_bounded(db):
    cached = CachedSQLTrackerStore(DOMAIN, dialect="sqlite", db=db, cache_size=3)
    for n in range(6):
        run(converse(cached, f"b{n}", 2))
    assert len(cached._cache) <= 3
    # nothing else keeps a conversation once its turn is saved (the soak grew by 80 KB a conversation)
    assert cached._handed_out == {}


def test_a_new_conversation_is_cached_after_its_first_save(db):
    cached, plain = stores(db)
    tracker = run(cached.get_or_create_tracker("n1"))
    turn(tracker, 0)
    run(cached.save(tracker))
    assert run(cached.retrieve("n1")) is tracker  # the second turn reads nothing again
    turn(tracker, 1)
    run(cached.save(tracker))
    assert dumped(tracker) == dumped(run(plain.retrieve("n1")))


def test_trackers_saved_only_the_rasa_way_are_bounded_too(db):
    cached = CachedSQLTrackerStore(DOMAIN, dialect="sqlite", db=db, cache_size=3)
    for n in range(8):  # new conversations whose last save was Rasa's way (no later turn)
        run(cached.get_or_create_tracker(f"r{n}"))
    assert len(cached._handed_out) <= 3
    assert len(run(SQLTrackerStore(DOMAIN, dialect="sqlite", db=db).keys())) == 8
