"""The sign-in throttle (claudia/throttle.py) on a real SQLite file, seen by two engines as
two processes of the web front would see it."""
import hashlib
import hmac

from sqlalchemy import text

from claudia.db import Database
from claudia.throttle import LoginThrottle, wait_in_words

KEY = hmac.new(b"secret", b"label", hashlib.sha256).digest()


def _two_processes(tmp_path, now, key=KEY):
    url = f"sqlite:///{tmp_path / 'claudia.db'}"
    return [LoginThrottle(Database(url), "console", key, clock=lambda: now[0]) for _ in range(2)]


def _fail(throttle, login="agent.durand", address="10.0.0.1", cookie=None):
    attempt, wait = throttle.admit(login, address, cookie)
    assert attempt is not None, wait
    return attempt


def test_delays_hold_across_processes(tmp_path):
    now = [1000.0]
    first, second = _two_processes(tmp_path, now)
    for n in range(5):
        _fail(first if n % 2 else second)
    assert second.admit("agent.durand", "10.0.0.1") == (None, 1.0)
    assert first.admit(" AGENT.Durand ", "10.0.0.1") == (None, 1.0)  # the login as the form sends it
    assert first.admit("agent.durand", "10.0.0.2")[0] is not None  # another address: its own count
    now[0] += 1
    _fail(second)
    assert first.admit("agent.durand", "10.0.0.1") == (None, 2.0)
    now[0] += 2
    first.succeeded(_fail(first))  # the right password, seen by the other process too
    assert [second.admit("agent.durand", "10.0.0.1")[1] for _ in range(5)] == [0.0] * 5


def test_failures_are_forgotten_after_a_day(tmp_path):
    now = [1000.0]
    first, second = _two_processes(tmp_path, now)
    for _ in range(5):
        _fail(first)
    now[0] += 86400 + 1
    assert second.admit("agent.durand", "10.0.0.1")[0] is not None
    with first.database.read() as session:  # the old rows left the table
        assert session.execute(text("SELECT count(*) FROM sign_in_failures")).scalar() == 1


def test_trusted_device_cookies_prove_one_account_signed_in_on_this_server(tmp_path):
    now = [1000.0]
    first, second = _two_processes(tmp_path, now)
    cookie = first.succeeded(_fail(first))
    device = cookie.split(".")[0]
    assert second.trusted_device(cookie, "agent.durand") == device  # another process knows it
    assert second.trusted_device(cookie, " Agent.Durand") == device
    assert second.trusted_device(cookie, "agent.moreau") is None  # bound to its account
    other_server = LoginThrottle(Database(f"sqlite:///{tmp_path / 'other.db'}"), "console", b"other key")
    assert other_server.trusted_device(cookie, "agent.durand") is None  # and to the servers' key
    portal = LoginThrottle(first.database, "portail", KEY)
    assert portal.trusted_device(cookie, "agent.durand") is None  # and to its sign-in page
    tampered = cookie[:-1] + ("0" if cookie[-1] != "0" else "1")
    for forged in (tampered, "", "a.b.c", "a.².c", f"{device}.99999999999.{cookie.split('.')[2]}", "x" * 500):
        assert second.trusted_device(forged, "agent.durand") is None, forged
    now[0] += 181 * 86400
    assert second.trusted_device(cookie, "agent.durand") is None  # 180 days at most


def test_a_trusted_device_counts_apart_from_its_address(tmp_path):
    now = [1000.0]
    first, second = _two_processes(tmp_path, now)
    cookie = first.succeeded(_fail(first))
    for _ in range(5):
        _fail(second)  # someone else at the same address
    assert second.admit("agent.durand", "10.0.0.1")[0] is None
    assert second.admit("agent.durand", "10.0.0.1", cookie)[0] is not None  # her own count: one failure
    assert second.admit("agent.durand", "10.0.0.1", "forged.1.cookie")[0] is None


def test_waits_in_french():
    assert [wait_in_words(s) for s in (0.2, 1, 1.5, 32, 59, 64, 128, 900)] == [
        "1 seconde", "1 seconde", "2 secondes", "32 secondes", "59 secondes", "2 minutes", "3 minutes",
        "15 minutes"]
