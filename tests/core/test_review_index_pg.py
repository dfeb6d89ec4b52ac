"""The review index on PostgreSQL: the same indexer and queries, full text with the french config.

Needs the PostgreSQL of scripts/test_services.sh (make test starts it); works in its own schema."""
import json
import time
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from bench.review_data import generate
from claudia.db import Database
from claudia.models import Conversation
from claudia.review_tags import ReviewTags
from claudia.review_index import ReviewIndexer
from claudia.review_queries import Filters, MessageFilters, ReviewQueries
from claudia.review_store import ReviewStore
from tests.conftest import fresh_pg_schema

ROOT = Path(__file__).resolve().parents[2]
SCHEMA = "review_test"


@pytest.fixture
def pg():
    with fresh_pg_schema(SCHEMA) as url:
        yield url


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


def test_user_filter_comments_and_labels_on_postgresql(pg):
    """Issue #24 on PostgreSQL: part of a login in any case and accents (no `unaccent` needed),
    the evaluation's comments out of the intent inbox, reviewers' labels with spaces and accents."""
    database = Database(pg)
    generate(pg, pg, 5, days=2)  # creates the tracker's events table
    tracker = create_engine(pg, future=True)

    def event(sender, **data):
        with tracker.begin() as connection:
            connection.execute(text("INSERT INTO events (sender_id, type_name, timestamp, data) "
                                    "VALUES (:s, :t, :at, :d)"),
                               {"s": sender, "t": data["event"], "at": time.time(), "d": json.dumps(
                                   {"timestamp": time.time(), **data})})

    with database.write() as session:
        session.add_all([Conversation(sender_id="pg-a", login="Hélène.Martin"),
                         Conversation(sender_id="pg-b", login="marie.dupont")])
    for sender, said in (("pg-a", "bonjour"), ("pg-b", "bof")):
        event(sender, event="user", text=said, parse_data={"intent": {"name": "saluer", "confidence": 0.9}})
    event("pg-b", event="user", text="trop long", parse_data={"intent": {"name": "nlu_fallback", "confidence": 0.1}})
    event("pg-b", event="slot", name="commentaire", value="trop long")
    ReviewIndexer(database, pg, batch=700).catch_up()
    queries = ReviewQueries(database)

    def users(term):
        return {c["conversation_id"] for c in queries.search(Filters(user=term), per_page=50)["conversations"]}

    assert users("HELENE") == users("hélène") == users("lène.mar") == {"pg-a"}
    assert users("Marie") == {"pg-b"} and users("%") == set()
    assert len(users("gestionnaire.")) == 5
    texts = [m["text"] for m in queries.messages(MessageFilters(), per_page=50)["messages"]]
    assert "bof" in texts and "trop long" not in texts
    tags = ReviewTags(database)
    assert tags.add("pg-a", "à rejouer", "relecteur") == tags.add("pg-b", "A REJOUER", "relecteur") == "à rejouer"
    labelled = queries.search(Filters(tag="à rejouer"))["conversations"]
    assert {c["conversation_id"] for c in labelled} == {"pg-a", "pg-b"}
    database.engine.dispose()
    tracker.dispose()
