"""Incremental indexer: new rows of Rasa's tracker store and of the project's tables → review index.

Why not an event broker: the tracker store is already the source of truth, on
SQLite as on PostgreSQL, and reading its `events` table by id needs no change
to Rasa's endpoints nor a broker to run. Each pass reads at most `batch` new
rows per source (ids above the last one read, plus ids skipped by a
transaction that had not committed yet, retried for `GAP_SECONDS`), folds them
into the index in one short transaction, and never rereads what it has read.
Several web fronts may run it at once: a pass that finds the watermark moved
by another one gives up.

A row it cannot index (JSON it cannot read, text no database can store such as a
lone surrogate or a NUL, fields not of the types Rasa writes) is skipped and
reported: a warning in the log with its id and why (never its content), and the
running count `("total", "unindexed")` the dashboard shows. The pass goes on with
the other rows and moves past it (issue #26: one such message used to fail every
pass, and every review page with it).
"""
from __future__ import annotations

import json
import logging
import os
import time
from typing import Any, Dict, List, Set, Tuple

from sqlalchemy import bindparam, create_engine, func, insert, select, text, update
from sqlalchemy.engine import Connection, Engine, make_url
from sqlalchemy.exc import OperationalError, ProgrammingError

from claudia import review_logins, review_tags
from claudia.db import Database
from claudia.params import unstorable
from claudia.models import Conversation, Feedback, Handoff, JournalEntry, UnverifiedRow
from claudia.review_fold import CONVERSATION_FIELDS, Folder, Unindexable, same_comment
from claudia.review_models import (COMMENT, ReviewConversation, ReviewIndexState, ReviewLabel, ReviewMessage,
                                   ReviewStat)

logger = logging.getLogger(__name__)
GAP_SECONDS = 120  # how long an id skipped by an uncommitted insert is waited for
MAX_GAPS = 2000
TRACKER = "tracker"
SIDE_SOURCES = (("journal", JournalEntry), ("feedback", Feedback), ("handoffs", Handoff))
SIDE_COLUMNS = {JournalEntry: ("outcome", "reason"), Feedback: ("vote",), Handoff: ()}
UNINDEXED = ("total", "unindexed")  # the dashboard's count of skipped rows


def ensure_search(engine: Engine) -> None:
    """The database's own full-text index over the messages (FTS5, or PostgreSQL's french config)."""
    with engine.begin() as connection:
        if engine.dialect.name == "sqlite":
            connection.exec_driver_sql(
                "CREATE VIRTUAL TABLE IF NOT EXISTS review_messages_fts USING fts5("
                "text, content='review_messages', content_rowid='id', tokenize='unicode61 remove_diacritics 2')")
        elif engine.dialect.name == "postgresql":
            connection.exec_driver_sql(
                "CREATE INDEX IF NOT EXISTS ix_review_msg_fts ON review_messages "
                "USING gin (to_tsvector('french', text))")


class ReviewIndexer:
    def __init__(self, database: Database, tracker_url: str, batch: int = 2000):
        self.db = database
        self.tracker = make_tracker_engine(tracker_url)
        self.batch = batch
        ensure_search(self.db.engine)
        review_logins.backfill(self.db.engine)

    # -- one pass ------------------------------------------------------------------------------
    def run_once(self) -> int:
        """Indexes what is new; returns the number of rows read (0: up to date)."""
        state = self._state()
        last, gaps = state[TRACKER]
        events, skipped = self._tracker_rows(last, gaps)
        with self.db.write() as session:
            connection = session.connection()
            locked = self._lock_state(connection)
            if locked.get(TRACKER, (0, {}))[0] != last:
                return 0  # another indexer did this pass
            side = {name: self._side_rows(connection, model, locked.get(name, (0, {}))[0])
                    for name, model in SIDE_SOURCES}
            seen = {e[0] for e in events} | set(skipped)
            if not seen and not any(side.values()):
                self._save_gaps(connection, last, gaps, seen)
                return 0
            folder = self._load(connection, {e[1] for e in events} | {r[1] for rows in side.values() for r in rows})
            folder.expect_comments(events)
            for event_id, sender_id, data in events:
                try:
                    folder.event(event_id, sender_id, data)
                except (TypeError, ValueError, AttributeError) as error:  # folder.event changed nothing
                    skipped.append(_skipped(event_id, str(error) if isinstance(error, Unindexable)
                                            else f"champs inattendus, {type(error).__name__}"))
            folder.stats[UNINDEXED] += len(skipped)
            for _, sender_id, outcome, reason in side["journal"]:
                folder.journal(sender_id, outcome, reason)
            for _, sender_id, vote in side["feedback"]:
                folder.feedback(sender_id, vote)
            for _, sender_id in side["handoffs"]:
                folder.handoff(sender_id)
            folder.finish()
            self._write(connection, folder)
            self._save_gaps(connection, last, gaps, seen)
            for name, rows in side.items():
                if rows:
                    self._set_state(connection, name, rows[-1][0], {})
        return len(seen) + sum(len(rows) for rows in side.values())

    def catch_up(self, max_passes: int = 1000) -> int:
        total = 0
        for _ in range(max_passes):
            read = self.run_once()
            total += read
            if read == 0:
                break
        return total

    # -- reading -----------------------------------------------------------------------------------
    def _state(self) -> Dict[str, Tuple[int, Dict[str, float]]]:
        with self.db.read() as session:
            rows = session.execute(select(ReviewIndexState)).scalars()
            found = {row.source: (row.last_id, json.loads(row.gaps)) for row in rows}
        found.setdefault(TRACKER, (0, {}))
        return found

    def _lock_state(self, connection: Connection) -> Dict[str, Tuple[int, Dict[str, float]]]:
        rows = connection.execute(select(ReviewIndexState).with_for_update()).all()
        return {row.source: (row.last_id, json.loads(row.gaps)) for row in rows}

    def _tracker_rows(self, last: int, gaps: Dict[str, float]) -> Tuple[List[Tuple[int, Any, dict]], List[int]]:
        """The new rows to fold, and the ids of those that cannot be indexed (skipped, reported)."""
        query = "SELECT id, sender_id, data FROM events WHERE id > :last ORDER BY id LIMIT :n"
        try:
            with self.tracker.connect() as connection:
                rows = list(connection.execute(text(query), {"last": last, "n": self.batch}))
                if gaps:
                    found = text("SELECT id, sender_id, data FROM events WHERE id IN :ids").bindparams(
                        bindparam("ids", expanding=True))
                    rows += list(connection.execute(found, {"ids": [int(i) for i in gaps]}))
        except (OperationalError, ProgrammingError) as error:  # no conversation yet: no table yet
            if "events" not in str(error):
                raise
            return [], []
        events, skipped = [], []
        for event_id, sender_id, data in sorted(rows):
            try:
                event = json.loads(data)
            except (TypeError, ValueError):
                skipped.append(_skipped(event_id, "JSON illisible"))
                continue
            if not isinstance(event, dict):
                skipped.append(_skipped(event_id, "pas un objet JSON"))
            elif not isinstance(sender_id, str) or unstorable(sender_id):  # read back before folding: checked here
                skipped.append(_skipped(event_id, "identifiant de conversation impossible à enregistrer"))
            else:
                events.append((event_id, sender_id, event))
        return events, skipped

    def _side_rows(self, connection: Connection, model, last: int) -> List[tuple]:
        columns = [model.id, model.conversation_id] + [getattr(model, name) for name in SIDE_COLUMNS[model]]
        query = (select(*columns).where(model.id > last, model.conversation_id.isnot(None))
                 .order_by(model.id).limit(self.batch))
        if model is Feedback:  # votes the user's messages did not vouch for are not counted (claudia/provenance.py)
            query = query.where(model.id.not_in(select(UnverifiedRow.feedback_id).where(
                UnverifiedRow.feedback_id.isnot(None))))
        rows = list(connection.execute(query))
        if not rows:  # rows without conversation still move the watermark
            top = connection.execute(select(func.max(model.id)).where(model.id > last)).scalar()
            if top:
                self._set_state(connection, model.__tablename__, top, {})
        return rows

    def _load(self, connection: Connection, sender_ids) -> Folder:
        rows: Dict[str, Dict[str, Any]] = {}
        labels = set()
        ids = sorted(sender_ids)
        for start in range(0, len(ids), 500):
            chunk = ids[start:start + 500]
            for row in connection.execute(select(ReviewConversation).where(ReviewConversation.sender_id.in_(chunk))):
                rows[row.sender_id] = {k: getattr(row, k) for k in ("id", "sender_id") + CONVERSATION_FIELDS}
        by_id = {row["id"]: sid for sid, row in rows.items()}
        keys = sorted(by_id)
        for start in range(0, len(keys), 500):
            query = select(ReviewLabel.conversation_id, ReviewLabel.kind, ReviewLabel.value).where(
                ReviewLabel.conversation_id.in_(keys[start:start + 500]))
            labels.update((by_id[c], k, v) for c, k, v in connection.execute(query))
        return Folder(rows, labels)

    # -- writing ----------------------------------------------------------------------------------
    def _write(self, connection: Connection, folder: Folder) -> None:
        self._create_missing(connection, folder)
        changed = [folder.rows[sid] for sid in folder.touched]
        if changed:
            values = {k: bindparam(k) for k in CONVERSATION_FIELDS if k != "login"}
            connection.execute(update(ReviewConversation).where(ReviewConversation.id == bindparam("_id"))
                               .values(**values), [{**row, "_id": row["id"]} for row in changed])
            connection.execute(update(ReviewLabel).where(ReviewLabel.conversation_id == bindparam("_id"))
                               .values(ended=bindparam("_ended")),
                               [{"_id": row["id"], "_ended": row["ended"]} for row in changed])
        if folder.new_labels:
            connection.execute(insert(ReviewLabel), [
                {"conversation_id": folder.rows[sid]["id"], "kind": kind, "value": value,
                 "ended": folder.rows[sid]["ended"]} for sid, kind, value in folder.new_labels])
        if folder.messages:
            for message in folder.messages:
                message["conversation_id"] = folder.rows[message["sender_id"]]["id"]
            connection.execute(insert(ReviewMessage).prefix_with(
                "OR IGNORE" if connection.dialect.name == "sqlite" else ""), folder.messages)
            if connection.dialect.name == "sqlite":
                connection.execute(text("INSERT INTO review_messages_fts(rowid, text) VALUES (:id, :text)"),
                                   [{"id": m["id"], "text": m["text"]} for m in folder.messages])
        for sender_id, comment in folder.late_comments:
            if folder.rows.get(sender_id, {}).get("id") is not None:
                self._mark_comment(connection, folder, folder.rows[sender_id]["id"], comment)
        self._add_stats(connection, folder)

    @staticmethod
    def _mark_comment(connection: Connection, folder: Folder, conversation: int, comment: str) -> None:
        """The conversation's latest message, read by an earlier pass, was the evaluation's comment."""
        latest = connection.execute(select(ReviewMessage.id, ReviewMessage.text, ReviewMessage.intent,
                                           ReviewMessage.confidence, ReviewMessage.status)
                                    .where(ReviewMessage.conversation_id == conversation)
                                    .order_by(ReviewMessage.id.desc()).limit(1)).first()
        if latest is None or latest.status is not None or not same_comment(latest.text, comment):
            return
        connection.execute(update(ReviewMessage).where(ReviewMessage.id == latest.id).values(status=COMMENT))
        if latest.intent and latest.confidence is not None:  # out of the intents' running confidence too
            folder.stats[("intent", latest.intent)] -= 1
            folder.sums[("intent", latest.intent)] -= latest.confidence

    def _create_missing(self, connection: Connection, folder: Folder) -> None:
        missing = [row for row in folder.rows.values() if row["id"] is None]
        if not missing:
            return
        owners = {}
        sender_ids = [row["sender_id"] for row in missing]
        for start in range(0, len(sender_ids), 500):
            query = select(Conversation.sender_id, Conversation.login).where(
                Conversation.sender_id.in_(sender_ids[start:start + 500]))
            owners.update(dict(connection.execute(query).all()))
        review_logins.record(connection, owners.values())
        for row in missing:
            row["login"] = owners.get(row["sender_id"])
            row["id"] = connection.execute(insert(ReviewConversation).values(
                sender_id=row["sender_id"], login=row["login"])).inserted_primary_key[0]
        review_tags.label_new_conversations(connection, missing)  # « test » for testers, labels put early

    def _add_stats(self, connection: Connection, folder: Folder) -> None:
        for key in set(folder.stats) | set(folder.sums):
            count, total = folder.stats.get(key, 0), folder.sums.get(key, 0.0)
            if not count and not total:
                continue
            done = connection.execute(
                update(ReviewStat).where(ReviewStat.kind == key[0], ReviewStat.key == key[1])
                .values(count=ReviewStat.count + count, total=ReviewStat.total + total)).rowcount
            if not done:
                connection.execute(insert(ReviewStat).values(kind=key[0], key=key[1], count=count, total=total))

    def _save_gaps(self, connection: Connection, last: int, gaps: Dict[str, float], seen: Set[int]) -> None:
        """Moves the watermark past every id read (skipped ones included), remembering the holes."""
        now = time.time()
        remaining = {k: v for k, v in gaps.items() if int(k) not in seen and now - v < GAP_SECONDS}
        top = max([last] + [event_id for event_id in seen if event_id > last])
        expected = last + 1
        for event_id in sorted(i for i in seen if i > last):
            remaining.update({str(i): now for i in range(expected, event_id)})
            expected = event_id + 1
        if len(remaining) > MAX_GAPS:
            remaining = dict(sorted(remaining.items(), key=lambda kv: -int(kv[0]))[:MAX_GAPS])
        self._set_state(connection, TRACKER, top, remaining)

    def _set_state(self, connection: Connection, source: str, last_id: int, gaps: Dict[str, float]) -> None:
        values = {"last_id": last_id, "gaps": json.dumps(gaps)}
        done = connection.execute(update(ReviewIndexState).where(ReviewIndexState.source == source)
                                  .values(**values)).rowcount
        if not done:
            connection.execute(insert(ReviewIndexState).values(source=source, **values))


def _skipped(event_id: int, why: str) -> int:
    logger.warning("revue : événement %s du magasin de conversations non indexé (%s), ignoré", event_id, why)
    return event_id


def make_tracker_engine(url: str) -> Engine:
    """Read access to the tracker store's database; Rasa creates and owns its tables."""
    if make_url(url).get_backend_name() == "sqlite":
        busy = int(os.environ.get("CLAUDIA_DB_BUSY_TIMEOUT_MS", "15000"))
        return create_engine(url, connect_args={"check_same_thread": False, "timeout": busy / 1000}, future=True)
    return create_engine(url, pool_pre_ping=True, pool_size=2, max_overflow=2, future=True)
