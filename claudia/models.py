"""Tables of the project's database: registry, roles, journal, conversation owners, and which
rows written in a user's name their sealed messages vouch for."""
from __future__ import annotations

from sqlalchemy import (
    Column,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)

from claudia.table_base import Base, utcnow

KIND_PUBLIC, KIND_PRIVATE = "public", "private"
STATUS_ACTIVE, STATUS_INACTIVE = "active", "inactive"
# Roles that make a user a manager "de niveau structure", able to (in)activate it.
STRUCTURE_MANAGER_ROLES = ("principal", "secondaire")
ALL_ROLES = ("principal", "secondaire", "service", "utilisateur")


class Structure(Base):
    __tablename__ = "structures"

    siret = Column(String(14), primary_key=True)
    name = Column(String(255), nullable=False)
    kind = Column(String(16), nullable=False)  # public | private
    status = Column(String(16), nullable=False)  # active | inactive
    # The structure that receives the invoices once this one is inactive.
    successor_siret = Column(String(14), nullable=True)
    updated_at = Column(DateTime, nullable=False, default=utcnow)

    def as_dict(self) -> dict:
        return {
            "siret": self.siret,
            "name": self.name,
            "kind": self.kind,
            "status": self.status,
            "successor_siret": self.successor_siret,
            "updated_at": self.updated_at.isoformat() if self.updated_at else None,
        }


class User(Base):
    __tablename__ = "users"

    login = Column(String(128), primary_key=True)
    name = Column(String(255), nullable=False, default="")


class Role(Base):
    __tablename__ = "roles"
    __table_args__ = (UniqueConstraint("login", "siret", name="uq_role_login_siret"),)

    id = Column(Integer, primary_key=True, autoincrement=True)
    login = Column(String(128), ForeignKey("users.login", ondelete="CASCADE"), nullable=False, index=True)
    siret = Column(String(14), ForeignKey("structures.siret", ondelete="CASCADE"), nullable=False)
    role = Column(String(16), nullable=False)


class JournalEntry(Base):
    """One attempt to change a structure, done or not: who, when, what, outcome, why."""

    __tablename__ = "journal"

    id = Column(Integer, primary_key=True, autoincrement=True)
    at = Column(DateTime, nullable=False, default=utcnow, index=True)
    login = Column(String(128), nullable=True)
    conversation_id = Column(String(255), nullable=True, index=True)
    operation = Column(String(16), nullable=True)  # activer | inactiver
    siret = Column(String(32), nullable=True, index=True)
    successor_siret = Column(String(32), nullable=True)
    outcome = Column(String(16), nullable=False)  # effectuee | refusee | abandonnee
    reason = Column(String(64), nullable=True)
    detail = Column(Text, nullable=True)

    def as_dict(self) -> dict:
        return {
            "id": self.id,
            "at": self.at.isoformat() + "Z",
            "login": self.login,
            "conversation_id": self.conversation_id,
            "operation": self.operation,
            "siret": self.siret,
            "successor_siret": self.successor_siret,
            "outcome": self.outcome,
            "reason": self.reason,
            "detail": self.detail,
        }


class Conversation(Base):
    """Binds a conversation id to the user who started it (NULL: not connected)."""

    __tablename__ = "conversations"

    sender_id = Column(String(255), primary_key=True)
    login = Column(String(128), nullable=True)
    created_at = Column(DateTime, nullable=False, default=utcnow)
    # JSON list of the button payloads last offered, the only ones a user may send.
    offered_payloads = Column(Text, nullable=False, default="[]")


class Feedback(Base):
    """A thumbs up / down given after a procedure, with the reason and comment if any."""

    __tablename__ = "feedback"

    id = Column(Integer, primary_key=True, autoincrement=True)
    at = Column(DateTime, nullable=False, default=utcnow, index=True)
    conversation_id = Column(String(255), nullable=False, index=True)
    login = Column(String(128), nullable=True)
    procedure = Column(String(16), nullable=True)  # activer | inactiver
    siret = Column(String(14), nullable=True)
    outcome = Column(String(64), nullable=True)  # how the procedure ended
    vote = Column(String(8), nullable=False)  # positif | negatif
    reason = Column(String(32), nullable=True)
    comment = Column(Text, nullable=True)
    comment_cancelled = Column(Integer, nullable=False, default=0)

    def as_dict(self) -> dict:
        return {
            "id": self.id,
            "at": self.at.isoformat() + "Z",
            "conversation_id": self.conversation_id,
            "login": self.login,
            "procedure": self.procedure,
            "siret": self.siret,
            "outcome": self.outcome,
            "vote": self.vote,
            "reason": self.reason,
            "comment": self.comment,
            "comment_cancelled": bool(self.comment_cancelled),
        }


class Handoff(Base):
    """A request to talk to a person: queued, taken by an operator, closed; or a message left."""

    __tablename__ = "handoffs"

    id = Column(Integer, primary_key=True, autoincrement=True)
    conversation_id = Column(String(255), nullable=False, index=True)
    login = Column(String(128), nullable=True)
    status = Column(String(16), nullable=False, index=True)  # attente | en_cours | close | message
    created_at = Column(DateTime, nullable=False, default=utcnow)
    taken_at = Column(DateTime, nullable=True)
    closed_at = Column(DateTime, nullable=True)
    operator = Column(String(128), nullable=True)
    context = Column(Text, nullable=False, default="{}")  # JSON: procedure, structure, step, evaluation
    message = Column(Text, nullable=True)  # the message left outside opening hours


class Outbox(Base):
    """Messages for a user's chat that did not come as an answer: operator's, or after a handoff."""

    __tablename__ = "outbox"

    id = Column(Integer, primary_key=True, autoincrement=True)
    conversation_id = Column(String(255), nullable=False, index=True)
    at = Column(DateTime, nullable=False, default=utcnow)
    author = Column(String(16), nullable=False)  # operateur | assistant
    operator_name = Column(String(255), nullable=True)
    text = Column(Text, nullable=False)
    buttons = Column(Text, nullable=False, default="[]")


class Operator(Base):
    """A support operator or a conversation reviewer, who signs in to the console."""

    __tablename__ = "operators"

    login = Column(String(128), primary_key=True)
    name = Column(String(255), nullable=False)
    password_hash = Column(String(255), nullable=False)
    role = Column(String(16), nullable=False, default="operateur")  # operateur | relecteur


class ConsoleSession(Base):
    __tablename__ = "console_sessions"

    token_hash = Column(String(64), primary_key=True)
    login = Column(String(128), ForeignKey("operators.login", ondelete="CASCADE"), nullable=False)
    csrf_token = Column(String(64), nullable=False)
    expires_at = Column(DateTime, nullable=False)


class PortalSession(Base):
    """A signed-in manager of the portal stand-in, and the conversation of their chat."""

    __tablename__ = "portal_sessions"

    token_hash = Column(String(64), primary_key=True)
    login = Column(String(128), nullable=False)
    conversation_id = Column(String(64), nullable=False)
    csrf_token = Column(String(64), nullable=False)
    expires_at = Column(DateTime, nullable=False)


class SpentConfirmation(Base):
    """A signed-in user's « oui » that has authorised a registry write: it cannot authorise
    another (claudia/assertions.py). Kept until the message's seal expires, then deleted."""

    __tablename__ = "spent_confirmations"

    message_id = Column(String(64), primary_key=True)
    spent_at = Column(DateTime, nullable=False, default=utcnow)
    expires_at = Column(DateTime, nullable=False, index=True)


class ConversationActivity(Base):
    """Per conversation: the last question the channel showed, and how many messages came."""

    __tablename__ = "conversation_activity"

    sender_id = Column(String(255), primary_key=True)
    prompt_hash = Column(String(64), nullable=True)
    message_count = Column(Integer, nullable=False, default=0)
    last_message_at = Column(DateTime, nullable=False, default=utcnow, index=True)


class HandoffActivity(Base):
    """What the queue learns around a live-chat request: the user's presence, the first answer.

    A table of its own (not columns on `handoffs`) so existing databases get it from
    `create_all` without a migration.
    """

    __tablename__ = "handoff_activity"

    handoff_id = Column(Integer, ForeignKey("handoffs.id", ondelete="CASCADE"), primary_key=True)
    user_seen_at = Column(DateTime, nullable=True)  # last time the user's chat asked for news
    user_left_at = Column(DateTime, nullable=True)  # the user closed the chat or the page
    first_answer_at = Column(DateTime, nullable=True)  # the operator's first own message


class TicketAnswer(Base):
    """An operator's answer to a message left outside opening hours (a ticket)."""

    __tablename__ = "ticket_answers"

    handoff_id = Column(Integer, ForeignKey("handoffs.id", ondelete="CASCADE"), primary_key=True)
    text = Column(Text, nullable=False)
    operator = Column(String(128), nullable=False)
    operator_name = Column(String(255), nullable=False)
    answered_at = Column(DateTime, nullable=False, default=utcnow)
    delivered_at = Column(DateTime, nullable=True)  # shown in the user's chat


class RateHit(Base):
    """One counted attempt of a shared sliding window (claudia/rate_limits.py)."""

    __tablename__ = "rate_hits"

    id = Column(Integer, primary_key=True)
    scope = Column(String(32), nullable=False)
    key = Column(String(255), nullable=False)
    at = Column(Float, nullable=False, index=True)  # seconds since the epoch: the same clock for every process

    __table_args__ = (Index("ix_rate_hits_scope_key_at", "scope", "key", "at"),)


class SpentMessage(Base):
    """A signed-in user's sealed message that has vouched for a row of one kind written in their
    name (claudia/provenance.py): it cannot vouch for a second one. Deleted once it could no
    longer vouch for anything (its seal expired, plus the window earlier messages count in)."""

    __tablename__ = "spent_messages"

    message_id = Column(String(64), primary_key=True)
    kind = Column(String(64), primary_key=True)  # vote | conseiller | message | journal:<outcome>:<siret>
    expires_at = Column(DateTime, nullable=False, index=True)


class UnverifiedRow(Base):
    """A journal, feedback or handoff row written in a signed-in user's name that their sealed
    messages do not vouch for (claudia/provenance.py): the row is kept, this marks it. A table
    of its own (no column added to existing ones), deleted with its row."""

    __tablename__ = "unverified_rows"

    id = Column(Integer, primary_key=True, autoincrement=True)
    journal_id = Column(Integer, ForeignKey("journal.id", ondelete="CASCADE"), nullable=True, unique=True)
    feedback_id = Column(Integer, ForeignKey("feedback.id", ondelete="CASCADE"), nullable=True, unique=True)
    handoff_id = Column(Integer, ForeignKey("handoffs.id", ondelete="CASCADE"), nullable=True, unique=True)
    message_id = Column(String(64), nullable=True)  # the latest message when the row was written
    reason = Column(String(32), nullable=False)  # why it is not vouched for (claudia/provenance.py)
    created_at = Column(DateTime, nullable=False, default=utcnow)
