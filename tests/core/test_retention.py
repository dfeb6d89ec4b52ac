"""Retention (`python -m claudia.admin purge`), on real rows of each kind: conversations saved by Rasa's
SQL tracker store and indexed for the review, their owners and pushed messages, evaluations, live
chats, messages left and answered, the audit journal."""
import asyncio
import json
import os
import sqlite3
import subprocess
import sys
import time
from datetime import timedelta

import pytest
import yaml
from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, BotUttered, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from claudia.conversations import Conversations
from claudia.db import Database
from claudia.feedback import FeedbackStore
from claudia.handoff import HandoffQueue
from claudia.registry import Attempt, Registry
from claudia.retention import Retention, period
from claudia.review_index import ReviewIndexer
from claudia.review_store import ReviewStore
from claudia.tickets import Tickets
from claudia.waiting import WaitingRoom
from tests.conftest import DEMO_REGISTRY, MAIRIE, ROOT

DAY = 86400
AGES = {"old": 400, "middle": 200, "recent": 0}  # days since the last event


class Data:
    def __init__(self, tmp_path):
        self.db_path, self.tracker_path = tmp_path / "claudia.db", tmp_path / "tracker.db"
        self.env = dict(os.environ, PYTHONPATH=str(ROOT), CLAUDIA_DB_URL=f"sqlite:///{self.db_path}",
                        CLAUDIA_TRACKER_DB_URL=f"sqlite:///{self.tracker_path}")
        for name in ("CONVERSATION_RETENTION_DAYS", "EVALUATION_RETENTION_DAYS", "LIVECHAT_RETENTION_DAYS",
                     "ANONYMOUS_RETENTION_HOURS"):
            self.env.pop(f"CLAUDIA_{name}", None)
        self.database = Database(self.env["CLAUDIA_DB_URL"])
        self.tracker = SQLTrackerStore(Domain.empty(), dialect="sqlite", db=str(self.tracker_path))

    def sql(self, statement: str, *args):
        with sqlite3.connect(self.db_path) as db:
            return db.execute(statement, args).fetchall()

    def events(self, sender: str) -> int:
        with sqlite3.connect(self.tracker_path) as tracker:
            return tracker.execute("SELECT count(*) FROM events WHERE sender_id = ?", (sender,)).fetchone()[0]

    def conversation(self, sender: str, login, days: int) -> None:
        """A conversation as the servers leave it: Rasa's events, the owner, its activity, a message
        pushed to its chat; its last event `days` ago."""
        at = time.time() - days * DAY
        said = f"activer la mairie {sender}"
        asyncio.run(self.tracker.save(DialogueStateTracker.from_events(sender, [
            ActionExecuted("action_listen", timestamp=at - 60),
            UserUttered(said, {"name": "activer_structure", "confidence": 0.9}, timestamp=at - 50),
            BotUttered("Voici la structure trouvée", timestamp=at - 40),
            ActionExecuted("action_listen", timestamp=at)])))
        conversations = Conversations(self.database)
        assert conversations.claim(sender, login)
        conversations.remember_turn(sender, ["/affirmer"], "question")
        HandoffQueue(self.database).post(sender, "assistant", "ClaudIA reprend la conversation")
        when = f"-{days} days"
        self.sql("UPDATE conversations SET created_at = datetime('now', ?) WHERE sender_id = ?", when, sender)
        self.sql("UPDATE conversation_activity SET last_message_at = datetime('now', ?) WHERE sender_id = ?",
                 when, sender)
        self.sql("UPDATE outbox SET at = datetime('now', ?) WHERE conversation_id = ?", when, sender)

    def age(self, table: str, columns, row_id: int, days: int) -> None:
        for column in columns:
            self.sql(f"UPDATE {table} SET {column} = datetime('now', ?) WHERE id = ?", f"-{days} days", row_id)

    def purge(self, **settings) -> dict:
        env = dict(self.env, **{f"CLAUDIA_{k.upper()}": str(v) for k, v in settings.items()})
        done = subprocess.run([sys.executable, "-m", "claudia.admin", "purge"], cwd=ROOT, env=env,
                              capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, done.stderr
        return json.loads(done.stdout)


@pytest.fixture
def data(tmp_path):
    made = Data(tmp_path)
    Registry(made.database).replace_all(yaml.safe_load(DEMO_REGISTRY.read_text(encoding="utf-8")))
    for age, days in AGES.items():
        made.conversation(f"connecte-{age}", "marie.dupont", days)
    made.conversation("anonyme-old", None, 2)  # not connected, idle for two days
    made.conversation("anonyme-recent", None, 0)
    ReviewIndexer(made.database, made.env["CLAUDIA_TRACKER_DB_URL"]).catch_up()
    ReviewStore(made.database).mark("connecte-old", "relecteur.leroy", reviewed=True, tags=["a-revoir"])
    ReviewStore(made.database).mark("connecte-recent", "relecteur.leroy", reviewed=True, tags=["a-revoir"])

    feedback, queue = FeedbackStore(made.database), HandoffQueue(made.database)
    for age, days in AGES.items():
        made.age("feedback", ["at"], feedback.record(f"connecte-{age}", "marie.dupont", "negatif", {}, "autre",
                                                     f"commentaire {age}")["id"], days)
        closed = queue.request(f"chat-{age}", "marie.dupont", {})
        WaitingRoom(made.database).news_for_user(f"chat-{age}")  # the user's presence: handoff_activity
        queue.take(closed["id"], "agent.durand")
        queue.close(closed["id"], "agent.durand")
        made.age("handoffs", ["created_at", "taken_at", "closed_at"], closed["id"], days)
        answered = queue.leave_message(f"ticket-{age}", "marie.dupont", {}, f"message {age}")
        Tickets(made.database).answer(answered["id"], "agent.durand", "Sophie Durand", "Voici la réponse")
        made.age("handoffs", ["created_at", "closed_at"], answered["id"], days)
        Registry(made.database).record(Attempt("marie.dupont", f"connecte-{age}", "activer", MAIRIE),
                                       "abandonnee", None)
        made.sql("UPDATE journal SET at = datetime('now', ?) WHERE conversation_id = ?", f"-{days} days",
                 f"connecte-{age}")
    waiting = queue.request("chat-waiting", "marie.dupont", {})  # still waiting, however old
    made.age("handoffs", ["created_at"], waiting["id"], 400)
    unanswered = queue.leave_message("ticket-unanswered", "marie.dupont", {}, "toujours sans réponse")
    made.age("handoffs", ["created_at"], unanswered["id"], 400)
    cancelled = queue.request("chat-cancelled", "marie.dupont", {})
    WaitingRoom(made.database).cancel("chat-cancelled")
    made.age("handoffs", ["created_at", "closed_at"], cancelled["id"], 400)
    made.database.engine.dispose()
    return made


def conversations_left(data) -> set:
    with sqlite3.connect(data.tracker_path) as tracker:
        in_tracker = {row[0] for row in tracker.execute("SELECT DISTINCT sender_id FROM events")}
    owners = {row[0] for row in data.sql("SELECT sender_id FROM conversations")}
    indexed = {row[0] for row in data.sql("SELECT sender_id FROM review_conversations")}
    assert in_tracker == owners == indexed  # gone from every place at once
    return in_tracker


def test_each_kind_is_kept_its_configured_time_then_purged(data):
    everything = {"connecte-old", "connecte-middle", "connecte-recent", "anonyme-old", "anonyme-recent"}
    assert conversations_left(data) == everything
    kept_for_ever = data.purge(conversation_retention_days=0, evaluation_retention_days=0,
                               livechat_retention_days=0, anonymous_retention_hours=0)
    assert kept_for_ever == {}
    assert conversations_left(data) == everything

    done = data.purge()  # the defaults: 24 h not connected, 180 days, 365 days, 180 days
    assert done == {"anonymous_conversations": 1, "conversations": 2, "evaluations": 1, "live_chats": 5,
                    "pushed_messages": 0}
    assert conversations_left(data) == {"connecte-recent", "anonyme-recent"}
    for sender in ("connecte-old", "connecte-middle", "anonyme-old"):
        assert data.events(sender) == 0
        assert data.sql("SELECT count(*) FROM conversation_activity WHERE sender_id = ?", sender) == [(0,)]
        assert data.sql("SELECT count(*) FROM outbox WHERE conversation_id = ?", sender) == [(0,)]
    assert data.events("connecte-recent") == 4
    assert sorted(data.sql("SELECT conversation_id FROM outbox")) == [("anonyme-recent",), ("connecte-recent",)]
    assert data.sql("SELECT conversation_id FROM review_marks") == [("connecte-recent",)]
    if data.sql("SELECT name FROM sqlite_master WHERE name = 'review_tags'"):
        assert data.sql("SELECT sender_id FROM review_tags") == [("connecte-recent",)]
    # the review's messages and their full-text index went with them
    indexed = {row[0] for row in data.sql("SELECT sender_id FROM review_messages")}
    assert indexed == {"connecte-recent", "anonyme-recent"}
    assert data.sql("SELECT count(*) FROM review_messages_fts WHERE review_messages_fts MATCH 'old'") == [(0,)]
    assert data.sql("SELECT count(*) FROM review_messages_fts WHERE review_messages_fts MATCH 'recent'") == [(2,)]
    data.sql("INSERT INTO review_messages_fts(review_messages_fts) VALUES ('integrity-check')")

    assert sorted(row[0] for row in data.sql("SELECT comment FROM feedback")) == [
        "commentaire middle", "commentaire recent"]  # 365 days for evaluations
    assert sorted(data.sql("SELECT conversation_id, status FROM handoffs")) == [
        ("chat-recent", "close"), ("chat-waiting", "attente"), ("ticket-recent", "repondu"),
        ("ticket-unanswered", "message")]
    assert data.sql("SELECT count(*) FROM ticket_answers") == [(1,)]
    assert data.sql("SELECT count(*) FROM handoff_activity WHERE handoff_id NOT IN (SELECT id FROM handoffs)") == [(0,)]
    assert len(data.sql("SELECT * FROM journal")) == 3  # the audit journal is kept
    assert data.purge() == {"anonymous_conversations": 0, "conversations": 0, "evaluations": 0, "live_chats": 0,
                            "pushed_messages": 0}


def test_shorter_periods_purge_more_and_old_pushed_messages_go(data):
    data.sql("UPDATE outbox SET at = datetime('now', '-30 days') WHERE conversation_id = 'connecte-recent'")
    done = data.purge(conversation_retention_days=100, evaluation_retention_days=100, livechat_retention_days=20)
    assert done["conversations"] == 2 and done["evaluations"] == 2 and done["live_chats"] == 5
    assert done["pushed_messages"] == 1  # 30 days old, no live chat open in that conversation
    assert sorted(row[0] for row in data.sql("SELECT comment FROM feedback")) == ["commentaire recent"]


def test_a_period_of_zero_or_nonsense_never_purges_everything():
    assert period(0) is None and period(-5) is None and period(float("nan")) is None and period(float("inf")) is None
    assert period(1e12) is None and period(36) == timedelta(hours=36)
    settings = type("S", (), dict(anonymous_retention_hours=24, conversation_retention_days=180,
                                  evaluation_retention_days=0, livechat_retention_days=-1))()
    assert Retention.from_settings(settings) == Retention(timedelta(hours=24), timedelta(days=180), None, None)
