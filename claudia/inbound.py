"""The user's messages by the id their chat gave them: a message sent again is answered once.

The chat gives each message a client id and, when the answer is slow to come (a
timeout), sends the same message again with the same id. The first arrival registers
the id and is handled; its answer is stored; any later arrival gets that answer (or,
while the first is still being handled, is told so) instead of being handled again.
Ids are kept for KEEP_FOR, long past any retry.
"""
from __future__ import annotations

import random
import re
from datetime import timedelta
from typing import Optional

from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError

from claudia.db import Database
from claudia.livechat_models import InboundMessage
from claudia.models import utcnow

CLIENT_ID = re.compile(r"[A-Za-z0-9_-]{8,64}")
KEEP_FOR = timedelta(days=1)
# A message registered this long ago with no answer was lost with its server (killed while
# handling it): a new arrival handles it again.
LOST_AFTER = timedelta(seconds=90)


def valid_client_id(value: object) -> bool:
    return isinstance(value, str) and CLIENT_ID.fullmatch(value) is not None


class InboundMessages:
    def __init__(self, database: Database):
        self.db = database

    def begin(self, conversation_id: str, client_id: str) -> Optional[dict]:
        """None when this arrival is the first (handle it); otherwise {"answer": the stored answer
        (JSON text) or None while the first arrival is still being handled}."""
        if random.random() < 0.01:
            self.purge()
        try:
            with self.db.write() as session:
                row = session.get(InboundMessage, (conversation_id, client_id))
                if row is None:
                    session.add(InboundMessage(conversation_id=conversation_id, client_id=client_id,
                                               received_at=utcnow()))
                    return None
                if row.answer is None and row.received_at < utcnow() - LOST_AFTER:
                    row.received_at = utcnow()
                    return None
                return {"answer": row.answer}
        except IntegrityError:  # another arrival registered it at the same moment
            return {"answer": None}

    def answer_of(self, conversation_id: str, client_id: str) -> Optional[str]:
        with self.db.read() as session:
            return session.execute(select(InboundMessage.answer).where(
                InboundMessage.conversation_id == conversation_id, InboundMessage.client_id == client_id)).scalar()

    def finish(self, conversation_id: str, client_id: str, answer: str) -> None:
        with self.db.write() as session:
            session.execute(update(InboundMessage).where(
                InboundMessage.conversation_id == conversation_id, InboundMessage.client_id == client_id)
                .values(answer=answer).execution_options(synchronize_session=False))

    def forget(self, conversation_id: str, client_id: str) -> None:
        """The handling failed before any answer: a retry handles it again."""
        with self.db.write() as session:
            session.execute(delete(InboundMessage).where(
                InboundMessage.conversation_id == conversation_id, InboundMessage.client_id == client_id))

    def purge(self) -> int:
        with self.db.write() as session:
            return session.execute(delete(InboundMessage).where(
                InboundMessage.received_at < utcnow() - KEEP_FOR)).rowcount or 0
