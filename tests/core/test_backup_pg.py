"""`backup` / `restore` on PostgreSQL (`pg_dump` and `pg_restore` run by the admin command), and the
retention purge's queries there.

Needs the PostgreSQL of scripts/test_services.sh (make test starts it); works in its own schema
(the URL's search_path), as tests/core/test_review_index_pg.py does."""
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml
from sqlalchemy import create_engine, text

from bench.review_data import generate
from claudia.db import Database
from claudia.feedback import FeedbackStore
from claudia.handoff import HandoffQueue
from claudia.registry import Registry
from claudia.review_index import ReviewIndexer
from tests.conftest import DEMO_REGISTRY, fresh_pg_schema

ROOT = Path(__file__).resolve().parents[2]
SCHEMA = "backup_test"
TABLES = ("structures", "roles", "journal", "feedback", "handoffs", "outbox", "conversations", "events")


@pytest.fixture
def pg():
    with fresh_pg_schema(SCHEMA) as url:
        yield url


def admin(url: str, *args) -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONPATH=str(ROOT), CLAUDIA_DB_URL=url, CLAUDIA_TRACKER_DB_URL=url)
    return subprocess.run([sys.executable, "-m", "claudia.admin", *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=300)


def everything(url: str) -> dict:
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            return {table: connection.execute(text(f"SELECT * FROM {table} ORDER BY 1")).all() for table in TABLES}
    finally:
        engine.dispose()


def test_pg_dump_and_pg_restore(pg, tmp_path):
    database = Database(pg)
    Registry(database).replace_all(yaml.safe_load(DEMO_REGISTRY.read_text(encoding="utf-8")))
    FeedbackStore(database).record("pg-1", "marie.dupont", "negatif", {"operation": "activer"}, "autre", "un avis")
    queue = HandoffQueue(database)
    chat = queue.request("pg-1", "marie.dupont", {})
    queue.take(chat["id"], "agent.durand")
    queue.post("pg-1", "operateur", "Bonjour", "Sophie Durand")
    generate(pg, pg, 60, days=30)  # conversations in the tracker store's `events`, journal, evaluations, live chats
    saved = everything(pg)
    assert all(saved[table] for table in TABLES)

    done = admin(pg, "backup", str(tmp_path / "saved"))
    assert done.returncode == 0, done.stderr
    (entry,) = json.loads(done.stdout)["databases"]
    assert entry["kind"] == "postgresql" and entry["schema"] == SCHEMA and entry["file"] == "claudia.pgdump"
    assert entry["settings"] == ["CLAUDIA_DB_URL", "CLAUDIA_TRACKER_DB_URL"]
    assert "claudia:claudia@" not in entry["source"] and "claudia:***@" in entry["source"]  # no password written
    assert entry["bytes"] == (tmp_path / "saved" / "claudia.pgdump").stat().st_size

    refused = admin(pg, "restore", str(tmp_path / "saved"))  # this test's own pool is still connected
    assert refused.returncode == 2 and "session(s) PostgreSQL" in refused.stderr
    database.engine.dispose()

    for loss in ("DELETE FROM journal; UPDATE structures SET status = 'inactive'",  # rows lost or changed
                 f"DROP SCHEMA {SCHEMA} CASCADE"):  # everything lost
        engine = create_engine(pg)
        with engine.begin() as connection:
            connection.execute(text(loss))
            others = connection.execute(text(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                "AND pid <> pg_backend_pid() AND backend_type = 'client backend'")).scalar()
        engine.dispose()
        # without other sessions (other tests may be connected to the database: then forced)
        done = admin(pg, "restore", str(tmp_path / "saved"), *(["--force"] if others else []))
        assert done.returncode == 0, done.stderr
        (restored,) = json.loads(done.stdout)["restored"]
        assert restored["tables"]["events"] == len(saved["events"])
        assert everything(pg) == saved

    with open(tmp_path / "saved" / "claudia.pgdump", "ab") as dump:
        dump.write(b"\0")
    refused = admin(pg, "restore", "--force", str(tmp_path / "saved"))
    assert refused.returncode == 2 and "taille" in refused.stderr


def test_purge_on_postgresql(pg):
    database = Database(pg)
    generate(pg, pg, 200, days=400)  # conversations, evaluations, live chats spread over 400 days
    ReviewIndexer(database, pg).catch_up()
    database.engine.dispose()
    done = admin(pg, "purge")
    assert done.returncode == 0, done.stderr
    purged = json.loads(done.stdout)
    assert purged["conversations"] > 50 and purged["evaluations"] > 0 and purged["live_chats"] > 0
    engine = create_engine(pg)
    with engine.connect() as connection:
        oldest = connection.execute(text("SELECT min(timestamp) FROM events")).scalar()
        assert oldest > time.time() - 181 * 86400
        senders = {row[0] for row in connection.execute(text("SELECT DISTINCT sender_id FROM events"))}
        for table, column in (("conversations", "sender_id"), ("review_conversations", "sender_id")):
            assert {row[0] for row in connection.execute(text(f"SELECT {column} FROM {table}"))} == senders
        assert connection.execute(text(
            "SELECT count(*) FROM feedback WHERE at < now() - interval '366 days'")).scalar() == 0
    engine.dispose()
    assert json.loads(admin(pg, "purge").stdout)["conversations"] == 0
