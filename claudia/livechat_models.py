"""Tables of the live chat's life from the user's side (issue #23).

Tables of their own (not columns on existing ones) so that existing databases get
them from `create_all` without a migration:

- `account_conversations`: the portal account's current conversation. The chat
  follows the account, not the browser session: a new tab, another browser or a
  new sign-in finds the same conversation (and its live chat);
- `handoff_user_side`: what the user did to a live chat the operator must know of
  (signed out of the portal, ended the chat and how);
- `inbound_messages`: the client ids of the user's messages already handled, so a
  message sent again (after a timeout) is answered once;
- `tracker_pending`: what the console could not yet write into Rasa's tracker (Rasa
  was down when an operator wrote or closed the chat); written when it is back;
- `account_emails`, `ticket_mails`: the account's e-mail, and the e-mail telling a user
  their message left was answered, kept until the SMTP server took it.
"""
from __future__ import annotations

from sqlalchemy import Column, DateTime, ForeignKey, Integer, String, Text

from claudia.table_base import Base, utcnow


class AccountConversation(Base):
    __tablename__ = "account_conversations"

    login = Column(String(128), primary_key=True)
    conversation_id = Column(String(64), nullable=False)
    started_at = Column(DateTime, nullable=False, default=utcnow)


class HandoffUserSide(Base):
    __tablename__ = "handoff_user_side"

    handoff_id = Column(Integer, ForeignKey("handoffs.id", ondelete="CASCADE"), primary_key=True)
    signed_out_at = Column(DateTime, nullable=True)  # signed out of the portal during the chat
    ended_how = Column(String(32), nullable=True)  # bouton | mots | nouvelle_conversation
    ended_at = Column(DateTime, nullable=True)


class InboundMessage(Base):
    __tablename__ = "inbound_messages"

    conversation_id = Column(String(255), primary_key=True)
    client_id = Column(String(64), primary_key=True)
    received_at = Column(DateTime, nullable=False, default=utcnow, index=True)
    answer = Column(Text, nullable=True)  # the JSON answer given, sent again to a retry; NULL while handled


class TrackerPending(Base):
    """What the console could not write into Rasa's tracker (Rasa was down or restarting): an
    operator's message (`outbox_id`, already in the user's chat through the outbox) or the
    assistant's resumption after the chat was closed. Written, in order, when Rasa is back."""

    __tablename__ = "tracker_pending"

    id = Column(Integer, primary_key=True, autoincrement=True)
    conversation_id = Column(String(255), nullable=False, index=True)
    outbox_id = Column(Integer, nullable=True)  # the operator's message, shown to the user meanwhile
    kind = Column(String(16), nullable=False)  # evenement | reprise
    payload = Column(Text, nullable=False)  # the tracker event (JSON), or the action to resume with
    created_at = Column(DateTime, nullable=False, default=utcnow)
    claimed_until = Column(DateTime, nullable=True)  # a worker is writing it (another waits until then)


class AccountEmail(Base):
    """The portal account's e-mail address, as the portal gave it at the last sign-in."""

    __tablename__ = "account_emails"

    login = Column(String(128), primary_key=True)
    email = Column(String(320), nullable=False)
    updated_at = Column(DateTime, nullable=False, default=utcnow)


class TicketMail(Base):
    """The e-mail telling a user their message left was answered: kept until sent."""

    __tablename__ = "ticket_mails"

    handoff_id = Column(Integer, ForeignKey("handoffs.id", ondelete="CASCADE"), primary_key=True)
    email = Column(String(320), nullable=False)
    created_at = Column(DateTime, nullable=False, default=utcnow)
    sent_at = Column(DateTime, nullable=True)
    attempts = Column(Integer, nullable=False, default=0)
    last_error = Column(Text, nullable=True)
