"""Rasa's SQL tracker store, without reloading the whole conversation at every turn.

Rasa's `SQLTrackerStore.retrieve` reads every event of the conversation's session,
parses its JSON and replays it into a new tracker; `save` counts those events again to
know which ones are new. Both grow with the conversation (measured: +0.5 ms per turn of
history, bench/changes.md). This store keeps the tracker of recent conversations in
memory and, at every turn, only reads the events stored after the ones it already has
(by another Rasa server sharing the database, or by nobody) and only inserts the new ones.

Correctness rests on three rules:
- a cached tracker is handed to one caller at a time (`retrieve` takes it out of the
  cache; `save` puts it back). Rasa modifies a tracker only under the conversation's lock
  (in memory with one server, Redis with several), so the holder is the only writer;
- a tracker whose events changed since it was stored (a turn that failed before saving)
  is never reused: the conversation is read again from the database;
- a new session started elsewhere, or anything unexpected, means a full read, as Rasa does.
"""
from __future__ import annotations

import asyncio
import itertools
import json
import logging
import os
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any, Dict, List, Optional, Text

import sqlalchemy as sa
from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.events import Event, SessionStarted
from rasa.shared.core.trackers import DialogueStateTracker

from claudia.db import writer_turn

logger = logging.getLogger(__name__)

DEFAULT_CACHE_SIZE = 200


@dataclass
class _Stored:
    """A tracker and how much of it is in the database."""

    tracker: DialogueStateTracker
    stored_events: int  # the tracker's first `stored_events` events are in the database
    last_id: int  # id of the conversation's newest event row in the database
    new_session: bool = False  # a session started since it was read: read it again next time


class CachedSQLTrackerStore(SQLTrackerStore):
    """`SQLTrackerStore` with an in-memory cache of recent trackers and incremental reads."""

    def __init__(self, *args: Any, cache_size: Optional[int] = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        size = cache_size if cache_size is not None else os.environ.get("CLAUDIA_TRACKER_CACHE_SIZE")
        self.cache_size = int(size) if size not in (None, "") else DEFAULT_CACHE_SIZE
        self._cache: "OrderedDict[str, _Stored]" = OrderedDict()
        self._handed_out: Dict[str, _Stored] = {}
        if self.engine.dialect.name == "sqlite":
            # SQLAlchemy 1.4 opens a new SQLite connection for every session (NullPool): keep a
            # few open instead, shared by the threads the store's calls run in.
            self.engine = sa.create_engine(self.engine.url, poolclass=sa.pool.QueuePool, pool_size=4,
                                           max_overflow=4, connect_args={"check_same_thread": False})
            sa.event.listen(self.engine, "connect", _sqlite_pragmas)
            self.sessionmaker = sa.orm.session.sessionmaker(bind=self.engine)
        # Writers of every process (Rasa's workers) take turns on a lock rather than on SQLite's
        # busy wait, which sleeps up to 100 ms between tries (claudia/writer_turn.py).
        self._write_turn = writer_turn(self.engine)

    async def retrieve(self, sender_id: Text) -> Optional[DialogueStateTracker]:
        entry = self._cache.pop(sender_id, None)
        self._handed_out.pop(sender_id, None)
        if entry is not None and len(entry.tracker.events) == entry.stored_events:
            rows = await asyncio.to_thread(self._rows_after, sender_id, entry.last_id)
            if not any(type_name == SessionStarted.type_name for _, type_name, _ in rows):
                for row_id, _, data in rows:
                    event = Event.from_parameters(json.loads(data))
                    if event is not None:
                        entry.tracker.update(event)
                    entry.last_id = row_id
                entry.stored_events = len(entry.tracker.events)
                self._hand_out(sender_id, entry)
                return entry.tracker
        return await self._retrieve_and_remember(sender_id)

    async def _retrieve_and_remember(self, sender_id: Text) -> Optional[DialogueStateTracker]:
        rows = await asyncio.to_thread(self._session_rows, sender_id)
        if not rows or not self.domain:
            return None
        tracker = DialogueStateTracker.from_dict(sender_id, [json.loads(data) for _, _, data in rows],
                                                 self.domain.slots)
        self._hand_out(sender_id, _Stored(tracker, len(tracker.events), rows[-1][0]))
        return tracker

    async def save(self, tracker: DialogueStateTracker) -> None:
        sender_id = tracker.sender_id
        entry = self._handed_out.get(sender_id)
        if entry is None or entry.tracker is not tracker or len(tracker.events) < entry.stored_events:
            # Not a tracker this store handed out (a new conversation, a replaced tracker):
            # Rasa's way, which counts what the database holds; from then on it is known.
            self._cache.pop(sender_id, None)
            if self.event_broker is not None:
                await self.stream_events(tracker)
            last_id = await asyncio.to_thread(self._save_the_rasa_way, tracker)
            self._hand_out(sender_id, _Stored(tracker, len(tracker.events), last_id))
            return
        new_events = list(itertools.islice(tracker.events, entry.stored_events, None))
        if self.event_broker is not None:
            await self._stream_new_events(self.event_broker, new_events, sender_id)
        if new_events:
            entry.last_id = await asyncio.to_thread(self._insert, sender_id, new_events)
            entry.stored_events = len(tracker.events)
        if any(isinstance(event, SessionStarted) for event in new_events):
            entry.new_session = True
        # Saved: the tracker leaves the turn's hands (kept only in the bounded cache), or every
        # conversation ever handled would stay in memory.
        self._handed_out.pop(sender_id, None)
        if entry.new_session:
            # Rasa reads a conversation from its latest session on: so will the next turn.
            self._cache.pop(sender_id, None)
        else:
            self._remember(sender_id, entry)

    async def exists(self, conversation_id: Text) -> bool:
        """Whether the conversation has events, without taking its tracker out of the cache."""
        def query() -> bool:
            with self.session_scope() as session:
                return session.query(self.SQLEvent.id).filter(
                    self.SQLEvent.sender_id == conversation_id).first() is not None
        return await asyncio.to_thread(query)

    def _hand_out(self, sender_id: str, entry: _Stored) -> None:
        """Trackers a turn is using. Bounded too: a tracker dropped here is only saved the
        slower way (Rasa's) at the end of its turn."""
        self._handed_out[sender_id] = entry
        while len(self._handed_out) > max(self.cache_size, 1):
            self._handed_out.pop(next(iter(self._handed_out)))

    def _remember(self, sender_id: str, entry: _Stored) -> None:
        self._cache[sender_id] = entry
        self._cache.move_to_end(sender_id)
        while len(self._cache) > self.cache_size:
            self._cache.popitem(last=False)

    def _session_rows(self, sender_id: str) -> List[tuple]:
        with self.session_scope() as session:
            query = self._event_query(session, sender_id, fetch_events_from_all_sessions=False)
            return [(event.id, event.type_name, event.data) for event in query]

    def _rows_after(self, sender_id: str, last_id: int) -> List[tuple]:
        with self.session_scope() as session:
            return session.query(self.SQLEvent.id, self.SQLEvent.type_name, self.SQLEvent.data).filter(
                self.SQLEvent.sender_id == sender_id, self.SQLEvent.id > last_id,
            ).order_by(self.SQLEvent.id).all()

    def _insert(self, sender_id: str, events: List[Event]) -> int:
        """Inserts the events as Rasa does (same columns, same JSON); returns the id of the
        last one. The rows are built before the writers' turn is taken, which every
        process's writers wait for (claudia/writer_turn.py)."""
        values = [self._values(sender_id, event) for event in events]
        table = self.SQLEvent.__table__
        with self._write_turn, self.engine.begin() as connection:
            connection.execute(table.insert(), values)
            return connection.execute(sa.select(sa.func.max(table.c.id)).where(
                table.c.sender_id == sender_id)).scalar()

    @staticmethod
    def _values(sender_id: str, event: Event) -> Dict[str, Any]:
        data = event.as_dict()
        return {
            "sender_id": sender_id,
            "type_name": event.type_name,
            "timestamp": data.get("timestamp"),
            "intent_name": data.get("parse_data", {}).get("intent", {}).get("name"),
            "action_name": data.get("name"),
            "data": json.dumps(data),
        }

    def _row(self, sender_id: str, event: Event) -> "SQLTrackerStore.SQLEvent":
        return self.SQLEvent(**self._values(sender_id, event))

    def _save_the_rasa_way(self, tracker: DialogueStateTracker) -> int:
        """Inserts the events the database does not have yet; returns the newest event's id."""
        with self._write_turn, self.session_scope() as session:
            rows = [self._row(tracker.sender_id, event) for event in self._additional_events(session, tracker)]
            session.add_all(rows)
            session.commit()
            return session.query(sa.func.max(self.SQLEvent.id)).filter(
                self.SQLEvent.sender_id == tracker.sender_id).scalar() or 0


def _sqlite_pragmas(connection: Any, _record: Any) -> None:
    """Write-ahead log: readers do not wait for the writer and a commit needs no full sync."""
    cursor = connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()
