"""Sessions of the portal stand-in: who is signed in, and which chat is theirs.

The browser holds only an opaque, HttpOnly session cookie. The signed token the
assistant verifies is made here, on the server, for each message; the
conversation id is chosen here too, so nothing the browser sends can change
who speaks or in which conversation.
"""
from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta
from typing import List, Optional, Tuple

from sqlalchemy import delete, select

from claudia.db import Database
from claudia.models import PortalSession, User, utcnow

SESSION_LIFETIME = timedelta(hours=2)


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def new_conversation_id() -> str:
    return "portail-" + secrets.token_hex(12)


@dataclass(frozen=True)
class Manager:
    login: str
    name: str
    conversation_id: str
    csrf_token: str


class PortalSessions:
    def __init__(self, database: Database):
        self.db = database

    def managers(self) -> List[Tuple[str, str]]:
        with self.db.read() as session:
            return [(u.login, u.name) for u in session.execute(select(User).order_by(User.login)).scalars()]

    def sign_in(self, login: str) -> Optional[str]:
        """A fresh session for a user of the registry (never one chosen by the browser)."""
        with self.db.read() as session:
            if session.get(User, login) is None:
                return None
        token = secrets.token_urlsafe(32)
        with self.db.write() as session:
            session.execute(delete(PortalSession).where(PortalSession.expires_at < utcnow()))
            session.add(PortalSession(token_hash=_hash(token), login=login,
                                      conversation_id=new_conversation_id(),
                                      csrf_token=secrets.token_urlsafe(24),
                                      expires_at=utcnow() + SESSION_LIFETIME))
        return token

    def manager_for(self, token: Optional[str]) -> Optional[Manager]:
        if not token:
            return None
        with self.db.read() as session:
            found = session.get(PortalSession, _hash(token))
            if found is None or found.expires_at < utcnow():
                return None
            user = session.get(User, found.login)
            return Manager(found.login, user.name if user else found.login,
                           found.conversation_id, found.csrf_token)

    def new_conversation(self, token: str) -> None:
        with self.db.write() as session:
            found = session.get(PortalSession, _hash(token))
            if found is not None:
                found.conversation_id = new_conversation_id()

    def sign_out(self, token: Optional[str]) -> None:
        if token:
            with self.db.write() as session:
                session.execute(delete(PortalSession).where(PortalSession.token_hash == _hash(token)))
