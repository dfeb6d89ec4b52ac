"""Who owns a conversation id, and which button payloads it was last offered.

A conversation id is bound to the identity that first used it (a login, or
"not connected"); nobody else may write into it. The payloads list lets the
channel accept a typed `/intent{...}` only when it is exactly one of the
buttons the assistant just showed, i.e. when typing it equals clicking.
"""
from __future__ import annotations

import json
import re
from datetime import timedelta
from typing import Dict, List, NamedTuple, Optional, Tuple

from sqlalchemy import delete, insert, select, update
from sqlalchemy.exc import IntegrityError

from claudia.db import Database
from claudia.models import Conversation, ConversationActivity, utcnow

# Conversation ids: letters, digits and . _ : @ - only (no newline can forge a log line).
SENDER_ID = re.compile(r"[A-Za-z0-9._:@-]{1,128}")


def valid_sender_id(sender_id: object) -> bool:
    return isinstance(sender_id, str) and SENDER_ID.fullmatch(sender_id) is not None


class Turn(NamedTuple):
    """What the channel needs to know of a conversation before a message is handled."""
    prompt_hash: Optional[str]
    message_count: int
    offered: List[str]
    titles: Dict[str, str] = {}  # title -> payload of the buttons offered, to read them typed


def _offered(raw: Optional[str]) -> Tuple[List[str], Dict[str, str]]:
    """The stored buttons: payloads, or [payload, title] pairs (titles kept since issue #22)."""
    payloads, titles = [], {}
    for item in json.loads(raw or "[]"):
        if isinstance(item, list) and len(item) == 2:
            payloads.append(item[0])
            titles[item[1]] = item[0]
        elif isinstance(item, str):
            payloads.append(item)
    return payloads, titles


class Conversations:
    def __init__(self, database: Database):
        self.db = database

    def claim(self, sender_id: str, login: Optional[str]) -> bool:
        """Binds `sender_id` to `login` on first use; False if it belongs to someone else."""
        with self.db.read() as session:
            row = session.get(Conversation, sender_id)
            if row is not None:
                return row.login == login
        try:
            with self.db.write() as session:
                session.add(Conversation(sender_id=sender_id, login=login, offered_payloads="[]"))
            return True
        except IntegrityError:  # another request bound it first
            with self.db.read() as session:
                return session.get(Conversation, sender_id).login == login

    def claim_turn(self, sender_id: str, login: Optional[str]) -> Optional["Turn"]:
        """`claim`, and in the same read the conversation's last question, message count and
        buttons offered; None if the conversation is someone else's. (One query, no ORM
        objects: it runs on every message.)"""
        query = (select(Conversation.login, Conversation.offered_payloads, ConversationActivity.prompt_hash,
                        ConversationActivity.message_count)
                 .outerjoin(ConversationActivity, ConversationActivity.sender_id == Conversation.sender_id)
                 .where(Conversation.sender_id == sender_id))
        with self.db.read() as session:
            row = session.execute(query).first()
        if row is not None:
            if row.login != login:
                return None
            return Turn(row.prompt_hash, row.message_count or 0, *_offered(row.offered_payloads))
        return Turn(None, 0, []) if self.claim(sender_id, login) else None

    def anonymous_count(self, sender_id: str) -> int:
        """Messages of a not-connected conversation so far (0 for an unknown id or someone
        else's): what the limits on not-connected visitors need, read before anything is written."""
        with self.db.read() as session:
            return session.scalar(
                select(ConversationActivity.message_count)
                .join(Conversation, Conversation.sender_id == ConversationActivity.sender_id)
                .where(ConversationActivity.sender_id == sender_id, Conversation.login.is_(None))) or 0

    def belongs_to(self, sender_id: str, login: Optional[str]) -> bool:
        """True if `sender_id` exists and is `login`'s; never creates anything (polling)."""
        with self.db.read() as session:
            row = session.get(Conversation, sender_id)
            return row is not None and row.login == login

    def owner(self, sender_id: str) -> Optional[str]:
        with self.db.read() as session:
            row = session.execute(
                select(Conversation.login).where(Conversation.sender_id == sender_id)
            ).first()
            return row[0] if row else None

    def offered_payloads(self, sender_id: str) -> List[str]:
        with self.db.read() as session:
            row = session.get(Conversation, sender_id)
            return _offered(row.offered_payloads)[0] if row else []

    def remember_payloads(self, sender_id: str, payloads: List[str]) -> None:
        with self.db.write() as session:
            row = session.get(Conversation, sender_id)
            if row is not None:
                row.offered_payloads = json.dumps(payloads)

    def remember_turn(self, sender_id: str, payloads: Optional[List], prompt_hash: Optional[str]) -> None:
        """After a turn: one more message counted and, if the assistant answered (`payloads`
        not None), the buttons it offered (payloads, or [payload, title] pairs) and the
        question it asked. (Plain statements, no ORM objects: it runs on every message.)"""
        now = utcnow()
        answered = {} if payloads is None else {"prompt_hash": prompt_hash}
        with self.db.write() as session:
            counted = session.execute(
                update(ConversationActivity).where(ConversationActivity.sender_id == sender_id)
                .values(message_count=ConversationActivity.message_count + 1, last_message_at=now, **answered))
            if counted.rowcount == 0:
                session.execute(insert(ConversationActivity).values(
                    sender_id=sender_id, message_count=1, last_message_at=now, **answered))
            if payloads is not None:
                session.execute(update(Conversation).where(Conversation.sender_id == sender_id)
                                .values(offered_payloads=json.dumps(payloads)))

    def stale_anonymous(self, older_than: timedelta, limit: int = 500) -> List[str]:
        """Not-connected conversations with no message for `older_than` (retention)."""
        cutoff = utcnow() - older_than
        with self.db.read() as session:
            rows = session.execute(
                select(Conversation.sender_id)
                .outerjoin(ConversationActivity, ConversationActivity.sender_id == Conversation.sender_id)
                .where(Conversation.login.is_(None), Conversation.created_at < cutoff,
                       (ConversationActivity.last_message_at.is_(None))
                       | (ConversationActivity.last_message_at < cutoff))
                .limit(limit))
            return [row[0] for row in rows]

    def forget(self, sender_ids: List[str]) -> None:
        if not sender_ids:
            return
        with self.db.write() as session:
            session.execute(delete(ConversationActivity).where(ConversationActivity.sender_id.in_(sender_ids)))
            session.execute(delete(Conversation).where(Conversation.sender_id.in_(sender_ids)))
