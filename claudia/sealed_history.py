"""A conversation's earlier messages, as Rasa's tracker store holds them, for claudia/provenance.py.

The action server receives only the events from the latest user message on
(rasa_extensions/speed_tracker.py), so an evaluation written after its reason and comment no
longer sees the 👍 / 👎 that started it, nor a journal entry the SIRET typed a few steps
earlier. Those messages are in the tracker store (every turn before the current one): read
here, once per row written in a user's name (rare), read-only, newest first and at most
`LIMIT` events. What they prove comes from their seals only (claudia/provenance.py): the
store is no more trusted than the tracker the action got.
"""
from __future__ import annotations

import json
import logging
import threading
from typing import Any, Dict, List, Tuple

from sqlalchemy import create_engine, text
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import SQLAlchemyError

from claudia.review_index import make_tracker_engine

logger = logging.getLogger(__name__)
LIMIT = 300
_QUERY = text("SELECT data FROM events WHERE sender_id = :sid AND type_name IN ('user', 'bot') "
              "ORDER BY id DESC LIMIT :n")
_engines: Dict[str, Engine] = {}
_lock = threading.Lock()


def _engine(url: str) -> Engine:
    with _lock:
        if url not in _engines:
            parsed = make_url(url)
            if parsed.get_backend_name() == "sqlite" and parsed.database and parsed.database != ":memory:":
                # read-only: never creates the file nor writes to it
                _engines[url] = create_engine(f"sqlite:///file:{parsed.database}?mode=ro&uri=true",
                                              connect_args={"check_same_thread": False}, future=True)
            else:
                _engines[url] = make_tracker_engine(url)
        return _engines[url]


def stored_events(tracker_url: str, conversation_id: str) -> List[Dict[str, Any]]:
    """The conversation's stored user and bot events, oldest first (none when unreadable)."""
    try:
        with _engine(tracker_url).connect() as connection:
            rows = connection.execute(_QUERY, {"sid": conversation_id, "n": LIMIT}).scalars().all()
    except SQLAlchemyError as error:  # no conversation stored yet (no table, no file): nothing earlier
        logger.debug("tracker store not read for %s: %s", conversation_id, type(error).__name__)
        return []
    events = []
    for data in reversed(rows):
        try:
            event = json.loads(data)
        except (TypeError, ValueError):
            continue
        if isinstance(event, dict):
            events.append(event)
    return events


def merged(stored: List[Dict[str, Any]], window: List[Dict[str, Any]]) -> Tuple[List[Dict[str, Any]], List[str]]:
    """The user events of both, in order, each message once (by id); every bot text of both."""
    seen, users = set(), []
    for event in stored + window:
        if event.get("event") == "user":
            key = event.get("message_id") or id(event)
            if key not in seen:
                seen.add(key)
                users.append(event)
    shown = [event["text"] for event in stored + window
             if event.get("event") == "bot" and isinstance(event.get("text"), str)]
    return users, shown
