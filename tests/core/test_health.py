"""Readiness checks (claudia/health.py) against real SQLite files, a real loopback INSEE stand-in and
the test PostgreSQL when scripts/test_services.sh started it."""
from __future__ import annotations

import dataclasses
import sqlite3
from urllib.parse import urlparse

import pytest

from claudia import health
from claudia.config import load_settings
from claudia.db import Database
from tests.conftest import DEMO_SIRENE, services_pg_url
from tests.fake_insee import FakeInsee


def test_a_sqlite_database_is_ready_while_its_file_is_there(tmp_path):
    url = f"sqlite:///{tmp_path / 'claudia.db'}"
    Database(url)  # creates it, as the servers do
    check = health.database_check(url)
    assert check().ok
    (tmp_path / "claudia.db").rename(tmp_path / "moved.db")
    gone = check()
    assert not gone.ok and gone.error == "FileNotFound"
    (tmp_path / "moved.db").rename(tmp_path / "claudia.db")
    assert check().ok


def test_a_file_that_is_not_a_database_is_not_ready(tmp_path):
    (tmp_path / "claudia.db").write_bytes(b"not a database at all, " * 100)
    result = health.database_check(f"sqlite:///{tmp_path / 'claudia.db'}")()
    assert not result.ok and result.error == "DatabaseError"


def test_a_database_locked_by_another_process_is_not_ready_after_the_timeout(tmp_path, monkeypatch):
    monkeypatch.setenv("CLAUDIA_READY_TIMEOUT", "0.2")
    path = tmp_path / "claudia.db"
    sqlite3.connect(path).execute("CREATE TABLE t (x)").connection.commit()
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")
    try:
        result = health.database_check(f"sqlite:///{path}")()
        assert not result.ok and result.error == "OperationalError"
    finally:
        holder.execute("ROLLBACK")
        holder.close()


def test_postgresql_is_ready_when_it_accepts_a_connection():
    url = services_pg_url()
    if not url:
        pytest.skip("PostgreSQL not available: run scripts/test_services.sh as root (make test does)")
    try:
        import psycopg2

        psycopg2.connect(url, connect_timeout=2).close()
    except Exception:
        pytest.skip("the test PostgreSQL is not running: run scripts/test_services.sh as root (make test does)")
    assert health.database_check(url)().ok
    parsed = urlparse(url)
    wrong = url.replace(f":{parsed.port}/", ":1/") if parsed.port else url + "?port=1"
    assert not health.database_check(wrong)().ok


def settings_for(**changes):
    return dataclasses.replace(load_settings(), **changes)


def test_the_sirene_api_is_ready_while_it_answers_with_our_key():
    insee = FakeInsee(api_key="good-key").start()
    try:
        assert health.sirene_check(settings_for(sirene_source="api", sirene_api_url=insee.url,
                                                insee_api_key="good-key"))().ok
        refused = health.sirene_check(settings_for(sirene_source="api", sirene_api_url=insee.url,
                                                   insee_api_key="bad-key"))()
        assert not refused.ok and refused.error == "HTTP 401"
        insee.fail_next(status=503)
        down = health.sirene_check(settings_for(sirene_source="api", sirene_api_url=insee.url,
                                                insee_api_key="good-key"))()
        assert not down.ok and down.error == "HTTP 503"
    finally:
        insee.stop()
    stopped = health.sirene_check(settings_for(sirene_source="api", sirene_api_url=insee.url,
                                               insee_api_key="good-key"))()
    assert not stopped.ok and stopped.error == "URLError"


def test_the_sirene_answer_is_remembered_for_a_while(monkeypatch):
    monkeypatch.setenv("CLAUDIA_READY_SIRENE_SECONDS", "3600")
    insee = FakeInsee(api_key="k").start()
    check = health.sirene_check(settings_for(sirene_source="api", sirene_api_url=insee.url, insee_api_key="k"))
    try:
        assert check().ok and check().ok and check().ok
        assert len(insee.requests) == 1  # the INSEE quota is spent once, not at every probe
    finally:
        insee.stop()
    assert check().ok  # still the remembered answer


def test_a_csv_extract_is_ready_while_it_can_be_read(tmp_path):
    assert health.sirene_check(settings_for(sirene_source=str(DEMO_SIRENE)))().ok
    missing = health.sirene_check(settings_for(sirene_source=str(tmp_path / "absent.csv")))()
    assert not missing.ok and missing.error == "FileNotFoundError"


def test_cached_asks_again_once_its_time_is_over():
    now, calls = [0.0], []

    def check():
        calls.append(now[0])
        return health.Check(True)

    cached = health.Cached(check, ttl=2.0, clock=lambda: now[0])
    cached(), cached()
    now[0] = 1.9
    cached()
    now[0] = 2.0
    cached()
    assert calls == [0.0, 2.0]


def test_the_report_is_503_with_the_failing_check_named_and_no_error_text():
    def leaky():
        raise OSError("/secret/path/with password=hunter2")

    status, body = health.report("actions", {"database": lambda: health.Check(True),
                                             "sirene": lambda: health.timed(leaky)})
    assert status == 503 and body["status"] == "not ready" and body["server"] == "actions"
    assert body["checks"]["database"]["ok"] and body["checks"]["sirene"] == {
        "ok": False, "error": "OSError", "ms": body["checks"]["sirene"]["ms"]}
    assert "hunter2" not in str(body)
    assert health.report("web", {"database": lambda: health.Check(True)})[0] == 200
