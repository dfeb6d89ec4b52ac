"""Retention of not-connected conversations: anonymous chats do not pile up forever.

Anyone may chat without signing in (help, definitions), so what they leave must
not grow without bound: conversations without an owner and without a message for
`CLAUDIA_ANONYMOUS_RETENTION_HOURS` are deleted from Rasa's SQL tracker store
(its `events` table) and from the project's database.
"""
from __future__ import annotations

import logging
import threading
from datetime import timedelta
from typing import Dict

from sqlalchemy import bindparam, create_engine, text
from sqlalchemy.engine import Engine

from claudia.conversations import Conversations

logger = logging.getLogger(__name__)
_engines: Dict[str, Engine] = {}
_lock = threading.Lock()


def _tracker_engine(url: str) -> Engine:
    with _lock:
        if url not in _engines:
            _engines[url] = create_engine(url, future=True)
        return _engines[url]


def purge_anonymous(conversations: Conversations, tracker_db_url: str, older_than: timedelta) -> int:
    """Deletes stale not-connected conversations everywhere; returns how many."""
    total = 0
    while True:
        stale = conversations.stale_anonymous(older_than)
        if not stale:
            return total
        with _tracker_engine(tracker_db_url).begin() as connection:
            connection.execute(
                text("DELETE FROM events WHERE sender_id IN :ids").bindparams(bindparam("ids", expanding=True)),
                {"ids": stale})
        conversations.forget(stale)
        total += len(stale)
        logger.info("retention: %d not-connected conversations deleted", len(stale))
