"""Shared sliding windows (claudia/rate_limits.py) on a real SQLite file, seen by two engines
as two processes would see it."""
from sqlalchemy import text

from claudia.db import Database
from claudia.rate_limits import SharedWindow


def _two_processes(tmp_path, now):
    url = f"sqlite:///{tmp_path / 'limits.db'}"
    return [SharedWindow(Database(url), "anonymous", 3, 60, clock=lambda: now[0]) for _ in range(2)]


def test_the_limit_holds_across_processes(tmp_path):
    now = [1000.0]
    first, second = _two_processes(tmp_path, now)
    assert [first.allow("10.0.0.1"), second.allow("10.0.0.1"), first.allow("10.0.0.1")] == [True] * 3
    assert not second.allow("10.0.0.1") and not first.allow("10.0.0.1")
    assert second.allow("10.0.0.2")  # another visitor


def test_old_attempts_leave_the_window_and_the_table(tmp_path):
    now = [1000.0]
    first, second = _two_processes(tmp_path, now)
    for _ in range(3):
        first.allow("10.0.0.1")
    now[0] += 30
    assert not second.allow("10.0.0.1")  # refused attempts are not counted
    now[0] += 31
    assert second.allow("10.0.0.1")
    with first.database.read() as session:
        assert session.execute(text("SELECT count(*) FROM rate_hits")).scalar() == 1


def test_scopes_count_apart(tmp_path):
    url = f"sqlite:///{tmp_path / 'limits.db'}"
    a, b = SharedWindow(Database(url), "a", 1, 60), SharedWindow(Database(url), "b", 1, 60)
    assert a.allow("k") and b.allow("k") and not a.allow("k")
    a.forget()
    assert a.allow("k") and not b.allow("k")
