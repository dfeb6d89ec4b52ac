"""What the review pages read: indexed queries over the review index, newest first.

Every query reads at most one page of rows (plus one, to know if there is a
next page) through an index; totals are counted up to `COUNT_CAP` only, so no
page grows with the number of conversations. Pages go backwards with a cursor
(the last row shown) rather than an offset.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from typing import Any, Dict, List, Optional

from sqlalchemy import column, exists, func, literal_column, or_, select, table, text, tuple_
from sqlalchemy.sql import Select

from claudia import params, review_logins
from claudia.db import Database
from claudia.review_fold import OUTCOMES
from claudia.review_models import COMMENT
from claudia.review_models import ReviewConversation as C
from claudia.review_models import ReviewLabel as L
from claudia.review_models import ReviewMessage as M

COUNT_CAP = 1000
REVIEWED = ("confirme", "corrige")
TEXT_WINDOW = 10_000  # a text search looks at the newest 10,000 messages containing its words
FTS = table("review_messages_fts", column("rowid"))  # SQLite FTS5, created by review_index
PER_PAGE = 20


def _epoch(day: date, end: bool = False) -> float:
    moment = datetime.combine(day + timedelta(days=1) if end else day, time(), tzinfo=timezone.utc)
    return moment.timestamp()


def iso(timestamp: Optional[float]) -> str:
    try:
        return datetime.fromtimestamp(timestamp, tz=timezone.utc).isoformat(timespec="seconds") if timestamp else ""
    except (TypeError, ValueError, OverflowError, OSError):  # a tracker event's odd timestamp: no date shown
        return ""


@dataclass
class Filters:
    since: Optional[date] = None
    until: Optional[date] = None
    user: Optional[str] = None
    procedure: Optional[str] = None
    outcome: Optional[str] = None
    thumbs_down: bool = False
    low_confidence: bool = False
    intent: Optional[str] = None
    action: Optional[str] = None
    reviewed: Optional[bool] = None
    tag: Optional[str] = None

    @classmethod
    def from_query(cls, query) -> "Filters":
        """The filters of a query string; a date out of bounds raises params.BadParameter."""
        reviewed = query.get("reviewed")
        outcome = query.get("outcome") or None
        return cls(
            since=params.day(query.get("since"), "de début"),
            until=params.day(query.get("until"), "de fin"),
            user=(query.get("user") or "").strip() or None, procedure=query.get("procedure") or None,
            outcome=outcome if outcome in OUTCOMES else None,
            thumbs_down=query.get("thumbs_down") == "1", low_confidence=query.get("low_confidence") == "1",
            intent=query.get("intent") or None, action=query.get("action") or None,
            reviewed=None if reviewed not in ("0", "1") else reviewed == "1",
            tag=query.get("tag") or None,
        )


@dataclass
class MessageFilters:
    intent: Optional[str] = None
    below: Optional[float] = None  # confidence strictly below
    text: Optional[str] = None
    since: Optional[date] = None
    until: Optional[date] = None
    corrected: Optional[bool] = None  # « déjà corrigé » (confirmed or corrected) or not

    @classmethod
    def from_query(cls, query) -> "MessageFilters":
        """The filters of a query string; a number or date out of bounds raises params.BadParameter."""
        below = params.decimal(query.get("below"), "confiance sous", 0, 1)
        corrected = query.get("corrected")
        return cls(intent=query.get("intent") or None, below=below, text=(query.get("q") or "").strip()[:200] or None,
                   since=params.day(query.get("since"), "de début"),
                   until=params.day(query.get("until"), "de fin"),
                   corrected=None if corrected not in ("0", "1") else corrected == "1")


def fts_query(words: str) -> str:
    """A safe FTS5 query: every word of the search, as a quoted prefix, all required."""
    tokens = re.findall(r"\w+", words)[:12]
    return " ".join(f'"{token}"*' for token in tokens)


class ReviewQueries:
    def __init__(self, database: Database, threshold: float = 0.7):
        self.db = database
        self.threshold = threshold

    def _rare(self, condition):
        """Tells SQLite's planner that few rows match, so it uses the condition's index
        rather than scanning the whole table backwards to avoid a sort."""
        return func.likelihood(condition, literal_column("0.001")) if self.db.is_sqlite else condition

    # -- conversations -----------------------------------------------------------------------
    def _conversations(self, f: Filters, before=None) -> Select:
        """Matching conversations, newest first; driven by the label index when a label is asked."""
        labels = [(kind, value) for kind, value in (("i", f.intent), ("a", f.action), ("t", f.tag)) if value]
        if labels:
            (kind, value), labels = labels[0], labels[1:]
            query = (select(C).join(L, L.conversation_id == C.id).where(L.kind == kind, L.value == value)
                     .order_by(L.ended.desc(), L.conversation_id.desc()))
            if before:
                query = query.where(tuple_(L.ended, L.conversation_id) < tuple_(*before))
        else:
            query = select(C).order_by(C.ended.desc(), C.id.desc())
            if before:
                query = query.where(tuple_(C.ended, C.id) < tuple_(*before))
        query = query.where(C.turns > 0)  # not a row made by a live-chat request before any message
        if f.since:
            query = query.where(C.ended >= _epoch(f.since))
        if f.until:
            query = query.where(C.ended < _epoch(f.until, end=True))
        if f.user is not None:  # part of the login, any case, any accents
            query = query.where(C.login.in_(review_logins.matching(f.user)))
        for column, value in ((C.procedure, f.procedure), (C.outcome, f.outcome)):
            if value is not None:
                query = query.where(column == value)
        if f.thumbs_down:
            query = query.where(C.thumbs_down == 1)
        if f.low_confidence:
            query = query.where(or_(C.fallback == 1, C.min_confidence < self.threshold))
        if f.reviewed is not None:
            query = query.where(self._rare(C.reviewed == 1) if f.reviewed else C.reviewed == 0)
        for kind, value in labels:
            query = query.where(exists().where(L.conversation_id == C.id, L.kind == kind, L.value == value))
        return query

    def search(self, filters: Filters, before: Optional[str] = None, per_page: int = PER_PAGE,
               count: bool = True) -> Dict[str, Any]:
        """A page of conversations from the cursor on; with `count`, how many follow (up to COUNT_CAP),
        read by the same index walk as the page itself."""
        query = self._conversations(filters, _cursor(before)).with_only_columns(C.id)
        with self.db.read() as session:
            ids = session.connection().execute(query.limit(COUNT_CAP + 1 if count else per_page + 1)).scalars().all()
            page_ids = ids[:per_page]
            rows = {row.id: row for row in session.execute(select(C).where(C.id.in_(page_ids))).scalars()}
            shown = [rows[i] for i in page_ids]
            labels = self._labels(session, page_ids)
        items = [self.as_dict(row, labels.get(row.id, {})) for row in shown]
        last = shown[-1] if shown else None
        return {"conversations": items, "total": min(len(ids), COUNT_CAP), "more_than": len(ids) > COUNT_CAP,
                "next": f"{last.ended!r}:{last.id}" if last and len(ids) > per_page else None}

    def iterate(self, filters: Filters, chunk: int = 500):
        """Every matching conversation, newest first, a chunk at a time (for the exports)."""
        before, size = None, 50  # a small first chunk: the export starts at once
        while True:
            found = self.search(filters, before=before, per_page=size, count=False)
            size = chunk
            yield from found["conversations"]
            if not found["next"]:
                return
            before = found["next"]

    def summary(self, sender_id: str) -> Optional[Dict[str, Any]]:
        with self.db.read() as session:
            row = session.execute(select(C).where(C.sender_id == sender_id)).scalar()
            return self.as_dict(row, self._labels(session, [row.id]).get(row.id, {})) if row else None

    @staticmethod
    def _labels(session, ids: List[int]) -> Dict[int, Dict[str, List[str]]]:
        found: Dict[int, Dict[str, List[str]]] = {}
        if ids:
            for cid, kind, value in session.execute(select(L.conversation_id, L.kind, L.value)
                                                    .where(L.conversation_id.in_(ids)).order_by(L.value)):
                found.setdefault(cid, {}).setdefault(kind, []).append(value)
        return found

    def as_dict(self, row: C, labels: Dict[str, List[str]]) -> Dict[str, Any]:
        return {
            "conversation_id": row.sender_id, "login": row.login, "started": iso(row.started),
            "ended": iso(row.ended), "turns": row.turns, "procedure": row.procedure, "outcome": row.outcome,
            "thumbs_down": bool(row.thumbs_down), "thumbs_up": bool(row.thumbs_up),
            "handed_off": bool(row.handed_off), "min_confidence": row.min_confidence,
            "fallback": bool(row.fallback),
            "low_confidence": bool(row.fallback) or (row.min_confidence is not None
                                                    and row.min_confidence < self.threshold),
            "refusal_reasons": json.loads(row.refusal_reasons), "reviewed": bool(row.reviewed),
            "tags": json.loads(row.tags), "intents": labels.get("i", []), "actions": labels.get("a", []),
        }

    # -- messages ----------------------------------------------------------------------------------
    def _messages(self, f: MessageFilters, before: Optional[int] = None) -> Select:
        query = select(M)
        if f.text:
            if self.db.is_sqlite:
                # the newest TEXT_WINDOW messages with these words (FTS5 reads its index backwards and
                # stops), then the other filters: bounded however common the words are
                window = select(FTS.c.rowid).where(text("review_messages_fts MATCH :terms"))
                if before:
                    window = window.where(FTS.c.rowid < before)
                if f.until:  # ids grow with time: the window starts at the range's end
                    last = select(M.id).where(M.at < _epoch(f.until, end=True)).order_by(M.at.desc()).limit(1)
                    window = window.where(FTS.c.rowid <= last.scalar_subquery())
                query = query.where(M.id.in_(window.order_by(FTS.c.rowid.desc()).limit(TEXT_WINDOW)))
                query = query.params(terms=fts_query(f.text) or '""')
            elif self.db.engine.dialect.name == "postgresql":
                query = query.where(text("to_tsvector('french', review_messages.text) @@ "
                                         "plainto_tsquery('french', :terms)")).params(terms=f.text)
            else:
                query = query.where(M.text.contains(f.text, autoescape=True))
        if f.intent:
            query = query.where(M.intent == f.intent)
        if f.below is not None:
            query = query.where(M.confidence < f.below)
        if f.since:
            query = query.where(M.at >= _epoch(f.since))
        if f.until:
            query = query.where(M.at < _epoch(f.until, end=True))
        if f.corrected is not None:
            query = query.where(self._rare(M.status.in_(REVIEWED)) if f.corrected else M.status.is_(None))
        else:  # the evaluation's comments are not requests to classify: never in the inbox
            query = query.where(or_(M.status.is_(None), M.status != COMMENT))
        return query

    def messages(self, filters: MessageFilters, before: Optional[int] = None,
                 per_page: int = PER_PAGE) -> Dict[str, Any]:
        query = self._messages(filters, before).with_only_columns(M.id).order_by(M.id.desc())
        if before:
            query = query.where(M.id < before)
        with self.db.read() as session:
            ids = session.connection().execute(query.limit(COUNT_CAP + 1)).scalars().all()  # Core: no ORM rows
            page_ids = ids[:per_page]
            rows = {m.id: m for m in session.execute(select(M).where(M.id.in_(page_ids))).scalars()}
        shown = [rows[i] for i in page_ids]
        return {"messages": [message_dict(m) for m in shown], "total": min(len(ids), COUNT_CAP),
                "more_than": len(ids) > COUNT_CAP, "next": shown[-1].id if shown and len(ids) > per_page else None}

    def messages_by_id(self, ids: List[int]) -> List[Dict[str, Any]]:
        with self.db.read() as session:
            return [message_dict(m) for m in session.execute(select(M).where(M.id.in_(ids)).order_by(M.id)).scalars()]

    def messages_of(self, sender_id: str) -> Dict[int, Dict[str, Any]]:
        with self.db.read() as session:
            query = select(M).where(M.conversation_id == select(C.id).where(C.sender_id == sender_id)
                                    .scalar_subquery())
            return {m.id: message_dict(m) for m in session.execute(query).scalars()}


def message_dict(m: M) -> Dict[str, Any]:
    return {"id": m.id, "conversation_id": m.sender_id, "at": iso(m.at), "text": m.text, "intent": m.intent,
            "confidence": m.confidence, "entities": json.loads(m.entities), "status": m.status,
            "final_intent": m.final_intent, "reviewed_by": m.reviewed_by}


def _cursor(before: Optional[str]):
    return params.cursor(before)

