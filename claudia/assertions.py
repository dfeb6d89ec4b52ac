"""The channel's word on each user message, kept server-side and spent by a write.

For every message of a signed-in user, the connected channel records who sent it,
a hash of its text, the intent it was understood as, and a hash of the assistant's
question it answered. The tracker holds only the message id: nothing in the
tracker store proves an identity, and nothing expired stays anywhere (expired
records are deleted).

Actions read the user's identity from the record of the tracker's latest message.
A registry write additionally needs that message to be an affirmative answer to
the very confirmation question the write's slots describe, and spends the record:
a replayed message, or events appended through Rasa's HTTP API, cannot confirm
anything.
"""
from __future__ import annotations

import hashlib
import threading
import time
from datetime import datetime, timedelta
from typing import Optional

from sqlalchemy import delete, insert, update

from claudia.db import Database
from claudia.models import MessageAssertion, utcnow

CONFIRMING_INTENT = "affirmer"
# Actions of one turn run within seconds; the record outlives them only a little.
DEFAULT_TTL_SECONDS = 300
PURGE_EVERY_SECONDS = 60


def digest(text: Optional[str]) -> str:
    return hashlib.sha256((text or "").encode("utf-8")).hexdigest()


class MessageAssertions:
    _last_purge = 0.0
    _purge_lock = threading.Lock()

    def __init__(self, database: Database, ttl_seconds: int = DEFAULT_TTL_SECONDS):
        self.db = database
        self.ttl = ttl_seconds

    def issue(self, message_id: str, conversation_id: str, login: str, text: str,
              intent: Optional[str], prompt_hash: Optional[str], token_expires_at: int) -> None:
        """Records the channel's word on one message, before Rasa handles it."""
        expires = min(datetime.utcfromtimestamp(token_expires_at), utcnow() + timedelta(seconds=self.ttl))
        with self.db.write() as session:  # a plain INSERT: it runs on every signed-in message
            session.execute(insert(MessageAssertion).values(
                message_id=message_id, conversation_id=conversation_id, login=login,
                text_hash=digest(text), intent=intent, prompt_hash=prompt_hash, expires_at=expires))
        self._purge_now_and_then()

    def _find(self, session, message_id: Optional[str], conversation_id: str,
              text: Optional[str]) -> Optional[MessageAssertion]:
        if not message_id:
            return None
        found = session.get(MessageAssertion, message_id)
        if found is None or found.expires_at < utcnow():
            return None
        if found.conversation_id != conversation_id or found.text_hash != digest(text):
            return None
        return found

    def login_for(self, message_id: Optional[str], conversation_id: str, text: Optional[str]) -> Optional[str]:
        """The user who sent this message in this conversation, if the channel said so."""
        with self.db.read() as session:
            found = self._find(session, message_id, conversation_id, text)
            return found.login if found else None

    def spend_confirmation(self, message_id: Optional[str], conversation_id: str, text: Optional[str],
                           expected_prompt: str) -> Optional[str]:
        """The login who confirmed `expected_prompt` with this message, once; None otherwise."""
        with self.db.write() as session:
            found = self._find(session, message_id, conversation_id, text)
            if found is None or found.spent_at is not None:
                return None
            if found.intent != CONFIRMING_INTENT or found.prompt_hash != digest(expected_prompt):
                return None
            spent = session.execute(
                update(MessageAssertion)
                .where(MessageAssertion.message_id == message_id, MessageAssertion.spent_at.is_(None))
                .values(spent_at=utcnow()))
            return found.login if spent.rowcount == 1 else None

    def purge_expired(self) -> int:
        with self.db.write() as session:
            return session.execute(delete(MessageAssertion).where(MessageAssertion.expires_at < utcnow())).rowcount

    def _purge_now_and_then(self) -> None:
        with self._purge_lock:
            if time.monotonic() - MessageAssertions._last_purge < PURGE_EVERY_SECONDS:
                return
            MessageAssertions._last_purge = time.monotonic()
        self.purge_expired()
