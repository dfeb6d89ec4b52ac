"""The review index on PostgreSQL: the same indexer and queries, full text with the french config.

Needs the PostgreSQL of scripts/test_services.sh (make test starts it); works in its own schema."""
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from bench.review_data import generate
from claudia.db import Database
from claudia.review_index import ReviewIndexer
from claudia.review_queries import Filters, MessageFilters, ReviewQueries
from claudia.review_store import ReviewStore

ROOT = Path(__file__).resolve().parents[2]
SCHEMA = "review_test"


def _pg_url():
    env = ROOT / "var" / "test-services.env"
    values = dict(line.split("=", 1) for line in env.read_text().split() if "=" in line) if env.exists() else {}
    return values.get("CLAUDIA_TEST_PG_URL")


@pytest.fixture
def pg():
    url = _pg_url()
    if not url:
        pytest.skip("PostgreSQL not available: run scripts/test_services.sh as root (make test does)")
    admin = create_engine(url)
    with admin.begin() as connection:
        connection.execute(text(f"DROP SCHEMA IF EXISTS {SCHEMA} CASCADE; CREATE SCHEMA {SCHEMA}"))
    yield f"{url}?options=-csearch_path%3D{SCHEMA}"
    with admin.begin() as connection:
        connection.execute(text(f"DROP SCHEMA IF EXISTS {SCHEMA} CASCADE"))
    admin.dispose()


def test_index_and_queries_on_postgresql(pg):
    database = Database(pg)
    generate(pg, pg, 300, days=20)
    indexer = ReviewIndexer(database, pg, batch=700)
    assert indexer.catch_up() > 3000
    assert indexer.catch_up() == 0
    queries = ReviewQueries(database)
    seen, before = [], None
    while True:
        page = queries.search(Filters(), before=before, per_page=40)
        seen += [c["conversation_id"] for c in page["conversations"]]
        if not (before := page["next"]):
            break
    assert len(seen) == len(set(seen)) == 300
    found = queries.messages(MessageFilters(text="anciennes ecoles"), per_page=300)["messages"]
    assert found and all(m["text"] == "desactiver notre ancienne ecole" for m in found)  # french stemming (accents must match: no unaccent extension)
    assert queries.messages(MessageFilters(text="' OR 1=1 --"))["total"] == 0
    assert queries.search(Filters(intent="demander_agent", outcome="transferee"))["conversations"]
    store = ReviewStore(database)
    store.mark(seen[0], "relecteur", reviewed=True, tags=["pg"])
    assert [c["conversation_id"] for c in queries.search(Filters(tag="pg", reviewed=True))["conversations"]] == [seen[0]]
    assert store.dashboard()["total"] == 300
    database.engine.dispose()
