"""Tables of the review index: what the review pages read instead of Rasa's tracker store.

Filled incrementally by `claudia.review_index` from the tracker store's `events`
table (by id) and from the journal, evaluations and live-chat tables, so that a
review page reads a few indexed rows whatever the number of conversations.
"""
from __future__ import annotations

from sqlalchemy import Column, DateTime, Float, Index, Integer, String, Text, UniqueConstraint

from claudia.table_base import Base, utcnow

# A review_messages status: the text answered the evaluation's « Saisissez votre commentaire »; it
# is no request to classify, so it stays out of the intent inbox and of the intent statistics.
COMMENT = "commentaire"


class ReviewConversation(Base):
    """One conversation of the tracker store, summarised as the inbox shows it."""

    __tablename__ = "review_conversations"
    __table_args__ = (
        Index("ix_review_conv_ended", "ended", "id", "turns"),  # covering: the inbox reads only the index
        Index("ix_review_conv_outcome", "outcome", "ended"),
        Index("ix_review_conv_login", "login", "ended"),
        Index("ix_review_conv_thumbs", "thumbs_down", "ended"),
        Index("ix_review_conv_reviewed", "reviewed", "ended"),
    )

    id = Column(Integer, primary_key=True, autoincrement=True)
    sender_id = Column(String(255), nullable=False, unique=True)
    login = Column(String(128), nullable=True)
    started = Column(Float, nullable=False, default=0.0)
    ended = Column(Float, nullable=False, default=0.0)
    turns = Column(Integer, nullable=False, default=0)  # user messages, commands included
    procedure = Column(String(16), nullable=True)  # activer | inactiver
    outcome = Column(String(16), nullable=False, default="sans_procedure")
    done = Column(Integer, nullable=False, default=0)  # journal: effectuee seen
    refused = Column(Integer, nullable=False, default=0)
    abandoned = Column(Integer, nullable=False, default=0)  # journal abandonnee or form started
    refusal_reasons = Column(Text, nullable=False, default="[]")  # JSON list
    thumbs_down = Column(Integer, nullable=False, default=0)
    thumbs_up = Column(Integer, nullable=False, default=0)
    handed_off = Column(Integer, nullable=False, default=0)
    min_confidence = Column(Float, nullable=True)
    fallback = Column(Integer, nullable=False, default=0)
    reviewed = Column(Integer, nullable=False, default=0)
    tags = Column(Text, nullable=False, default="[]")  # JSON list, copy of the conversation's review_tags


class ReviewLabel(Base):
    """An intent (i), action (a) or tag (t) seen in a conversation, for the inbox's filters."""

    __tablename__ = "review_labels"
    __table_args__ = (
        UniqueConstraint("conversation_id", "kind", "value", name="uq_review_label"),
        Index("ix_review_label_lookup", "kind", "value", "ended", "conversation_id"),
    )

    id = Column(Integer, primary_key=True, autoincrement=True)
    conversation_id = Column(Integer, nullable=False)  # review_conversations.id
    kind = Column(String(1), nullable=False)
    value = Column(String(255), nullable=False)
    ended = Column(Float, nullable=False, default=0.0)  # the conversation's, for newest-first


class ReviewMessage(Base):
    """One typed user message (buttons excluded) with what the NLU predicted and its review."""

    __tablename__ = "review_messages"
    __table_args__ = (
        Index("ix_review_msg_intent", "intent", "id"),
        Index("ix_review_msg_status", "status", "id"),
        Index("ix_review_msg_at", "at"),
        Index("ix_review_msg_conversation", "conversation_id"),
    )

    id = Column(Integer, primary_key=True, autoincrement=False)  # the tracker event's id
    conversation_id = Column(Integer, nullable=False)
    sender_id = Column(String(255), nullable=False)
    at = Column(Float, nullable=False)
    text = Column(Text, nullable=False)
    intent = Column(String(255), nullable=True)
    confidence = Column(Float, nullable=True)
    entities = Column(Text, nullable=False, default="[]")  # JSON [{entity, value}]
    status = Column(String(12), nullable=True)  # None | confirme | corrige | commentaire (COMMENT)
    final_intent = Column(String(255), nullable=True)  # the confirmed or corrected intent
    reviewed_by = Column(String(128), nullable=True)


class ReviewCorrection(Base):
    """A text written into the training data by the review, and its intent."""

    __tablename__ = "review_corrections"

    text = Column(String(1000), primary_key=True)
    intent = Column(String(255), nullable=False)
    by = Column(String(128), nullable=True)
    at = Column(Float, nullable=False)


class ReviewStat(Base):
    """Running totals for the dashboard: (kind, key) → count and sum."""

    __tablename__ = "review_stats"

    kind = Column(String(16), primary_key=True)  # day | outcome | refusal | vote | intent | total
    key = Column(String(255), primary_key=True)
    count = Column(Integer, nullable=False, default=0)
    total = Column(Float, nullable=False, default=0.0)


class ReviewIndexState(Base):
    """Where the indexer stopped in each source (last id read, ids not yet seen)."""

    __tablename__ = "review_index_state"

    source = Column(String(32), primary_key=True)
    last_id = Column(Integer, nullable=False, default=0)
    gaps = Column(Text, nullable=False, default="{}")  # JSON {id: first seen (epoch s)}


class ReviewMark(Base):
    """A maintainer's mark on a conversation: reviewed or not."""

    __tablename__ = "review_marks"

    conversation_id = Column(String(255), primary_key=True)
    reviewed = Column(Integer, nullable=False, default=0)
    # JSON list of the tags written before review_tags existed (copied there once, then left).
    tags = Column(Text, nullable=False, default="[]")
    updated_by = Column(String(128), nullable=True)
    updated_at = Column(DateTime, nullable=False, default=utcnow)


class ReviewTag(Base):
    """A reviewer's own label on a conversation (sender id): one row per label, who put it, when."""

    __tablename__ = "review_tags"
    __table_args__ = (
        UniqueConstraint("sender_id", "tag", name="uq_review_tag"),
        Index("ix_review_tag_tag", "tag"),
    )

    id = Column(Integer, primary_key=True, autoincrement=True)
    sender_id = Column(String(255), nullable=False)
    tag = Column(String(40), nullable=False)
    added_by = Column(String(128), nullable=True)
    added_at = Column(DateTime, nullable=False, default=utcnow)


class ReviewLogin(Base):
    """Each login of the indexed conversations with its search key (lower case, no accents), so
    that the user filter finds « marie » in « Marie.Dupont » on SQLite as on PostgreSQL."""

    __tablename__ = "review_logins"

    login = Column(String(128), primary_key=True)
    folded = Column(String(128), nullable=False, index=True)
