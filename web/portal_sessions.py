"""Sessions of the portal stand-in: who is signed in, and which chat is theirs.

The browser holds only an opaque, HttpOnly session cookie. The signed token the
assistant verifies is made here, on the server, for each message; the
conversation id is chosen here too, so nothing the browser sends can change
who speaks or in which conversation.

The conversation follows the account, not the session (claudia/user_side.py): every
session of an account (tabs, browsers, a new sign-in) is in the account's current
conversation. A sign-in continues it if it has an open live chat or was active within
CLAUDIA_PORTAL_RESUME_HOURS (24 by default); « Nouvelle conversation » starts a new one
for all of them, ending a live chat still open (the operator is told).
"""
from __future__ import annotations

import hashlib
import os
import secrets
from dataclasses import dataclass
from datetime import timedelta
from typing import List, Optional, Tuple

from sqlalchemy import delete, select

from claudia.db import Database
from claudia.models import PortalSession, User, utcnow
from claudia.ticket_mail import TicketMails
from claudia.user_side import NEW_CONVERSATION, UserSide

SESSION_LIFETIME = timedelta(hours=2)


def email_of(login: str) -> str:
    """The account's e-mail address. The real portal knows it; this stand-in makes one up from the
    login and CLAUDIA_PORTAL_EMAIL_DOMAIN (example.org by default, a domain reserved for examples)."""
    return f"{login}@{os.environ.get('CLAUDIA_PORTAL_EMAIL_DOMAIN', 'example.org')}"


def resume_within() -> timedelta:
    """How long after its last message a conversation is continued at the next sign-in."""
    return timedelta(hours=float(os.environ.get("CLAUDIA_PORTAL_RESUME_HOURS", "24")))


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass(frozen=True)
class Manager:
    login: str
    name: str
    conversation_id: str
    csrf_token: str


class PortalSessions:
    def __init__(self, database: Database):
        self.db = database
        self.user_side = UserSide(database)

    def managers(self) -> List[Tuple[str, str]]:
        with self.db.read() as session:
            return [(u.login, u.name) for u in session.execute(select(User).order_by(User.login)).scalars()]

    def sign_in(self, login: str) -> Optional[str]:
        """A fresh session for a user of the registry (never one chosen by the browser)."""
        with self.db.read() as session:
            if session.get(User, login) is None:
                return None
        token = secrets.token_urlsafe(32)
        conversation_id = self.user_side.conversation_for_sign_in(login, resume_within())
        # Where to tell them that a message they left was answered (claudia/ticket_mail.py).
        TicketMails(self.db).remember_email(login, email_of(login))
        with self.db.write() as session:
            session.execute(delete(PortalSession).where(PortalSession.expires_at < utcnow()))
            session.add(PortalSession(token_hash=_hash(token), login=login,
                                      conversation_id=conversation_id,
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
            login, name, csrf = found.login, user.name if user else found.login, found.csrf_token
            conversation_id = found.conversation_id
        return Manager(login, name, self.user_side.current(login) or conversation_id, csrf)

    def new_conversation(self, token: str) -> Optional[dict]:
        """A new conversation for the account; the live chat still open in the old one ends
        (returned, so that its operator can be told)."""
        manager = self.manager_for(token)
        if manager is None:
            return None
        ended = self.user_side.end(manager.conversation_id, NEW_CONVERSATION)
        conversation_id = self.user_side.start_new(manager.login)
        with self.db.write() as session:
            found = session.get(PortalSession, _hash(token))
            if found is not None:
                found.conversation_id = conversation_id
        return ended

    def sign_out(self, token: Optional[str]) -> None:
        """Signing out: the operator of an open live chat is told; the chat stays open and the
        user finds it when they sign in again."""
        manager = self.manager_for(token)
        if manager is not None:
            self.user_side.signed_out(manager.conversation_id)
        if token:
            with self.db.write() as session:
                session.execute(delete(PortalSession).where(PortalSession.token_hash == _hash(token)))
