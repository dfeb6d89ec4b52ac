"""Who owns a conversation id, and which button payloads it was last offered.

A conversation id is bound to the identity that first used it (a login, or
"not connected"); nobody else may write into it. The payloads list lets the
channel accept a typed `/intent{...}` only when it is exactly one of the
buttons the assistant just showed, i.e. when typing it equals clicking.
"""
from __future__ import annotations

import json
from typing import List, Optional

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from claudia.db import Database
from claudia.models import Conversation


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

    def owner(self, sender_id: str) -> Optional[str]:
        with self.db.read() as session:
            row = session.execute(
                select(Conversation.login).where(Conversation.sender_id == sender_id)
            ).first()
            return row[0] if row else None

    def offered_payloads(self, sender_id: str) -> List[str]:
        with self.db.read() as session:
            row = session.get(Conversation, sender_id)
            return json.loads(row.offered_payloads) if row else []

    def remember_payloads(self, sender_id: str, payloads: List[str]) -> None:
        with self.db.write() as session:
            row = session.get(Conversation, sender_id)
            if row is not None:
                row.offered_payloads = json.dumps(payloads)
