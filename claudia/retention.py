"""Retention: what users leave is deleted once it is old enough (personal data of public agents).

- Not-connected conversations without a message for `CLAUDIA_ANONYMOUS_RETENTION_HOURS`
  (24 h): anyone may chat without signing in, so what they leave must not pile up. The
  Rasa servers also run this part now and then (channels/guards.py).
- Every conversation whose last event is older than `CLAUDIA_CONVERSATION_RETENTION_DAYS`:
  its events in Rasa's tracker store, its owner and activity, the messages pushed to its
  chat, its rows in the review index (full-text index included), its review marks and tags.
- Evaluations given more than `CLAUDIA_EVALUATION_RETENTION_DAYS` ago.
- Live chats ended (closed, cancelled, expired) and messages left that were answered or
  archived, `CLAUDIA_LIVECHAT_RETENTION_DAYS` after they ended, with their activity and
  answer, and the messages pushed to users' chats that long ago. A request still waiting or
  in progress, and a message still unanswered, are kept until they end.

A period of 0 keeps that kind for ever. The audit journal is not purged: it is the proof of
who changed which structure (docs/operations.md). The review dashboard's running totals are
counts, not conversations: they keep counting what was purged.

`python -m claudia.admin purge` runs one pass; `purge --loop`, a supervised program of
`make run` (serving/supervisor.py), one every `CLAUDIA_PURGE_EVERY_SECONDS`.
"""
from __future__ import annotations

import json
import logging
import math
import threading
import time
from dataclasses import dataclass
from datetime import timedelta
from typing import Callable, Dict, List, Optional, Tuple

from sqlalchemy import bindparam, delete, func, select, text
from sqlalchemy.engine import Engine
from sqlalchemy.exc import OperationalError, ProgrammingError

from claudia.config import Settings
from claudia.conversations import Conversations
from claudia.db import Database, writer_turn
from claudia.handoff import CLOSED, ONGOING, WAITING
from claudia.models import Base, Conversation, ConversationActivity, Feedback, Handoff, HandoffActivity, Outbox, \
    TicketAnswer, utcnow
from claudia.review_index import make_tracker_engine
from claudia.review_models import ReviewConversation, ReviewLabel, ReviewMessage
from claudia.tickets import ANSWERED
from claudia.waiting import CANCELLED, EXPIRED

logger = logging.getLogger(__name__)
BATCH = 500
ENDED = (CLOSED, CANCELLED, EXPIRED, ANSWERED)
OPEN = (WAITING, ONGOING)
# Rows of the project's database that belong to one conversation: (table, column of its id).
CONVERSATION_ROWS = (("conversation_activity", "sender_id"), ("conversations", "sender_id"),
                     ("outbox", "conversation_id"), ("review_marks", "conversation_id"),
                     ("review_tags", "sender_id"))
LONGEST_HOURS = 24 * 365 * 1000  # beyond a thousand years, "for ever"
_engines: Dict[str, Tuple[Engine, object]] = {}
_lock = threading.Lock()


@dataclass(frozen=True)
class Retention:
    """How long each kind is kept; None: for ever."""
    anonymous: Optional[timedelta]
    conversations: Optional[timedelta]
    evaluations: Optional[timedelta]
    live_chats: Optional[timedelta]

    @classmethod
    def from_settings(cls, settings: Settings) -> "Retention":
        return cls(period(settings.anonymous_retention_hours), period(24 * settings.conversation_retention_days),
                   period(24 * settings.evaluation_retention_days), period(24 * settings.livechat_retention_days))


def period(hours: float) -> Optional[timedelta]:
    """`hours` as a period; 0, a negative or an unreadable number keeps for ever (never purges all)."""
    if not math.isfinite(hours) or hours <= 0 or hours > LONGEST_HOURS:
        return None
    return timedelta(hours=hours)


def _tracker(url: str) -> Tuple[Engine, object]:
    """The tracker store's engine and the turn its writers take (claudia/writer_turn.py)."""
    with _lock:
        if url not in _engines:
            engine = make_tracker_engine(url)
            _engines[url] = (engine, writer_turn(engine))
        return _engines[url]


def _no_events_table(error: Exception) -> bool:
    return "events" in str(error)  # no conversation yet: Rasa has not created its table


# -- conversations ----------------------------------------------------------------------------
def forget(database: Database, tracker_url: str, sender_ids: List[str], active_since: Optional[float] = None) -> int:
    """Deletes these conversations everywhere; with `active_since` (epoch seconds), not those
    that have an event since then (a user came back meanwhile). Returns how many went."""
    if not sender_ids:
        return 0
    engine, turn = _tracker(tracker_url)
    ids = bindparam("ids", expanding=True)
    try:
        with turn, engine.begin() as connection:
            if active_since is not None:
                recent = connection.execute(text("SELECT DISTINCT sender_id FROM events WHERE sender_id IN :ids "
                                                 "AND timestamp >= :since").bindparams(ids),
                                            {"ids": sender_ids, "since": active_since})
                kept = {row[0] for row in recent}
                sender_ids = [s for s in sender_ids if s not in kept]
            if sender_ids:
                connection.execute(text("DELETE FROM events WHERE sender_id IN :ids").bindparams(ids),
                                   {"ids": sender_ids})
    except (OperationalError, ProgrammingError) as error:
        if not _no_events_table(error):
            raise
    for start in range(0, len(sender_ids), BATCH):
        _forget_rows(database, sender_ids[start:start + BATCH])
    return len(sender_ids)


def _forget_rows(database: Database, sender_ids: List[str]) -> None:
    with database.write() as session:
        connection = session.connection()
        indexed = list(connection.execute(select(ReviewConversation.id).where(
            ReviewConversation.sender_id.in_(sender_ids))).scalars())
        if indexed:
            if database.is_sqlite and connection.execute(text(
                    "SELECT 1 FROM sqlite_master WHERE name = 'review_messages_fts'")).first():
                connection.execute(text(  # an external-content FTS5 index forgets a row given its text
                    "INSERT INTO review_messages_fts(review_messages_fts, rowid, text) SELECT 'delete', id, text "
                    "FROM review_messages WHERE conversation_id IN :ids").bindparams(bindparam("ids", expanding=True)),
                    {"ids": indexed})
            for model in (ReviewMessage, ReviewLabel):
                connection.execute(delete(model).where(model.conversation_id.in_(indexed)))
            connection.execute(delete(ReviewConversation).where(ReviewConversation.id.in_(indexed)))
        for name, column in CONVERSATION_ROWS:
            table = Base.metadata.tables.get(name)
            if table is not None:
                connection.execute(table.delete().where(table.c[column].in_(sender_ids)))


def purge_anonymous(conversations: Conversations, tracker_db_url: str, older_than: timedelta) -> int:
    """Deletes stale not-connected conversations everywhere; returns how many."""
    total = 0
    while True:
        stale = conversations.stale_anonymous(older_than, limit=BATCH)
        if not stale:
            return total
        forget(conversations.db, tracker_db_url, stale)
        total += len(stale)
        logger.info("retention: %d not-connected conversations deleted", len(stale))


def purge_conversations(database: Database, tracker_url: str, older_than: timedelta) -> int:
    """Deletes every conversation whose last event (or, without events, last message) is older."""
    since, cutoff = time.time() - older_than.total_seconds(), utcnow() - older_than
    engine, _ = _tracker(tracker_url)
    total = 0
    while True:
        try:
            with engine.connect() as connection:
                stale = [row[0] for row in connection.execute(text(
                    "SELECT sender_id FROM events GROUP BY sender_id HAVING max(timestamp) < :since LIMIT :n"),
                    {"since": since, "n": BATCH})]
        except (OperationalError, ProgrammingError) as error:
            if not _no_events_table(error):
                raise
            stale = []
        gone = forget(database, tracker_url, stale, since)
        if not gone:
            break
        total += gone
    after = ""
    while True:  # owners left without events (claimed, never stored; or events already gone)
        with database.read() as session:
            owners = list(session.execute(
                select(Conversation.sender_id)
                .outerjoin(ConversationActivity, ConversationActivity.sender_id == Conversation.sender_id)
                .where(Conversation.created_at < cutoff, Conversation.sender_id > after,
                       ConversationActivity.last_message_at.is_(None) | (ConversationActivity.last_message_at < cutoff))
                .order_by(Conversation.sender_id).limit(BATCH)).scalars())
        if not owners:
            return total
        after = owners[-1]
        total += forget(database, tracker_url, owners, since)


# -- evaluations and live chats -------------------------------------------------------------------
def purge_evaluations(database: Database, older_than: timedelta) -> int:
    with database.write() as session:
        return session.connection().execute(delete(Feedback).where(Feedback.at < utcnow() - older_than)).rowcount or 0


def purge_live_chats(database: Database, older_than: timedelta) -> Dict[str, int]:
    """Ended live chats and dealt-with messages left, and the messages pushed, older than that."""
    cutoff = utcnow() - older_than
    ended_at = func.coalesce(Handoff.closed_at, Handoff.created_at)
    total = 0
    while True:
        with database.write() as session:
            ids = list(session.execute(select(Handoff.id).where(Handoff.status.in_(ENDED), ended_at < cutoff)
                                       .limit(BATCH)).scalars())
            connection = session.connection()
            for model in (HandoffActivity, TicketAnswer):
                connection.execute(delete(model).where(model.handoff_id.in_(ids)))
            connection.execute(delete(Handoff).where(Handoff.id.in_(ids)))
        total += len(ids)
        if len(ids) < BATCH:
            break
    still_open = select(Handoff.conversation_id).where(Handoff.status.in_(OPEN))
    with database.write() as session:
        pushed = session.connection().execute(
            delete(Outbox).where(Outbox.at < cutoff, Outbox.conversation_id.not_in(still_open)))
    return {"live_chats": total, "pushed_messages": pushed.rowcount or 0}


# -- the job ------------------------------------------------------------------------------------
def purge(database: Database, tracker_url: str, retention: Retention) -> Dict[str, int]:
    """One pass over every kind; how many of each were deleted."""
    done: Dict[str, int] = {}
    if retention.anonymous:
        done["anonymous_conversations"] = purge_anonymous(Conversations(database), tracker_url, retention.anonymous)
    if retention.conversations:
        done["conversations"] = purge_conversations(database, tracker_url, retention.conversations)
    if retention.evaluations:
        done["evaluations"] = purge_evaluations(database, retention.evaluations)
    if retention.live_chats:
        done.update(purge_live_chats(database, retention.live_chats))
    return done


def purge_periodically(one_pass: Callable[[], Dict[str, int]], every: float, say: Callable[[str], None],
                       passes: Optional[int] = None) -> None:
    """Runs `one_pass` every `every` seconds (for ever, or `passes` times), one JSON line each;
    a failed pass is said and the next one tries again (the supervisor restarts a dead job)."""
    done = 0
    while passes is None or done < passes:
        began = time.monotonic()
        try:
            say(json.dumps({"at": utcnow().isoformat() + "Z", "purged": one_pass()}))
        except Exception as error:  # a locked or unreachable database: the next pass will tell
            logger.exception("retention pass failed")
            say(json.dumps({"at": utcnow().isoformat() + "Z", "error": f"{type(error).__name__}: {error}"}))
        done += 1
        if passes is None or done < passes:
            time.sleep(max(1.0, every - (time.monotonic() - began)))
