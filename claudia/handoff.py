"""The live-chat queue: requests to talk to an operator, and the messages they send.

A request is `attente` (waiting) until an operator takes it (`en_cours`), then
`close`. Outside opening hours the user may leave a `message` instead.
Everything lives in the project's database so requests survive restarts and
every console and Rasa server sees the same queue.
"""
from __future__ import annotations

import json
import math
from typing import List, Optional

from sqlalchemy import func, select, update

from claudia import metrics
from claudia.db import Database
from claudia.models import Handoff, Outbox, UnverifiedRow, utcnow
from claudia.provenance import Verdict, mark, unverified

WAITING, ONGOING, CLOSED, MESSAGE = "attente", "en_cours", "close", "message"
OPERATOR, ASSISTANT = "operateur", "assistant"


class HandoffError(Exception):
    """The operation does not fit the request's state (closed, taken by someone else)."""


class TakenByAnother(HandoffError):
    """Another operator has the chat: only an explicit take-over (`take_over`) moves it."""

    def __init__(self, operator: str):
        super().__init__("cette discussion est déjà prise en charge par un autre conseiller")
        self.operator = operator


def page_of(total: int, page: int, size: int) -> dict:
    """Where page `page` (from 1) of `total` rows starts; a page beyond the last is the last."""
    pages = max(1, math.ceil(total / size))
    page = min(max(1, page), pages)
    return {"page": page, "pages": pages, "size": size, "total": total, "offset": (page - 1) * size}


def with_marks(session, rows: List[dict]) -> List[dict]:
    """`verified` on each request or message left: False when the user's sealed messages did
    not vouch for it (claudia/provenance.py); the console says « non vérifié »."""
    marked = unverified(session, UnverifiedRow.handoff_id, [row["id"] for row in rows])
    return [{**row, "verified": row["id"] not in marked} for row in rows]


def _as_dict(handoff: Handoff) -> dict:
    now = utcnow()
    return {
        "id": handoff.id,
        "conversation_id": handoff.conversation_id,
        "login": handoff.login,
        "status": handoff.status,
        "created_at": handoff.created_at.isoformat() + "Z",
        "taken_at": handoff.taken_at.isoformat() + "Z" if handoff.taken_at else None,
        "closed_at": handoff.closed_at.isoformat() + "Z" if handoff.closed_at else None,
        "waiting_seconds": int(((handoff.taken_at or now) - handoff.created_at).total_seconds()),
        "operator": handoff.operator,
        "context": json.loads(handoff.context or "{}"),
        "message": handoff.message,
    }


class HandoffQueue:
    def __init__(self, database: Database):
        self.db = database

    # -- the assistant's side -----------------------------------------------
    def request(self, conversation_id: str, login: Optional[str], context: dict,
                provenance: Optional[Verdict] = None) -> dict:
        """Queues a request, or returns the one already open for this conversation; a new one is
        marked when the user's sealed messages do not vouch for it (claudia/provenance.py)."""
        with self.db.write() as session:
            existing = self._open(session, conversation_id)
            if existing is not None:
                return _as_dict(existing)
            handoff = Handoff(conversation_id=conversation_id, login=login, status=WAITING,
                              created_at=utcnow(), context=json.dumps(context, ensure_ascii=False))
            session.add(handoff)
            session.flush()
            mark(session, provenance, handoff_id=handoff.id)
            return _as_dict(handoff)

    def leave_message(self, conversation_id: str, login: Optional[str], context: dict, message: str,
                      provenance: Optional[Verdict] = None) -> dict:
        with self.db.write() as session:
            handoff = Handoff(conversation_id=conversation_id, login=login, status=MESSAGE,
                              created_at=utcnow(), context=json.dumps(context, ensure_ascii=False),
                              message=message)
            session.add(handoff)
            session.flush()
            mark(session, provenance, handoff_id=handoff.id)
            return _as_dict(handoff)

    def open_for(self, conversation_id: str) -> Optional[dict]:
        with self.db.read() as session:
            handoff = self._open(session, conversation_id)
            return _as_dict(handoff) if handoff else None

    @staticmethod
    def _open(session, conversation_id: str) -> Optional[Handoff]:
        return session.execute(
            select(Handoff).where(Handoff.conversation_id == conversation_id,
                                  Handoff.status.in_((WAITING, ONGOING)))
        ).scalars().first()

    # -- the console's side -----------------------------------------------------
    def listing(self) -> List[dict]:
        """Waiting and ongoing chats, then messages left, oldest first."""
        with self.db.read() as session:
            rows = session.execute(
                select(Handoff).where(Handoff.status.in_((WAITING, ONGOING, MESSAGE)))
                .order_by(Handoff.created_at, Handoff.id)
            ).scalars()
            return [_as_dict(h) for h in rows]

    def live_page(self, page: int = 1, size: int = 50) -> dict:
        """One page of the waiting and ongoing chats, oldest first, and how many of each there are."""
        with self.db.read() as session:
            counts = dict(session.execute(
                select(Handoff.status, func.count()).where(Handoff.status.in_((WAITING, ONGOING)))
                .group_by(Handoff.status)).all())
            where = page_of(sum(counts.values()), page, size)
            rows = session.execute(
                select(Handoff).where(Handoff.status.in_((WAITING, ONGOING)))
                .order_by(Handoff.created_at, Handoff.id).offset(where.pop("offset")).limit(size)
            ).scalars()
            return {"items": with_marks(session, [_as_dict(h) for h in rows]), **where,
                    "waiting": counts.get(WAITING, 0), "ongoing": counts.get(ONGOING, 0)}

    def get(self, handoff_id: int) -> Optional[dict]:
        with self.db.read() as session:
            handoff = session.get(Handoff, handoff_id)
            return with_marks(session, [_as_dict(handoff)])[0] if handoff else None

    def take(self, handoff_id: int, operator: str) -> dict:
        """Takes a waiting chat, atomically: of operators taking it at once, one wins.

        The answer's `joined` is True only for the operator whose take moved it out of
        the queue (the one who announces it to the user); taking one's own chat again
        changes nothing. A chat another operator has raises TakenByAnother.
        """
        with self.db.write() as session:
            won = session.execute(
                update(Handoff).where(Handoff.id == handoff_id, Handoff.status == WAITING)
                .values(status=ONGOING, operator=operator, taken_at=utcnow())
                .execution_options(synchronize_session=False)
            ).rowcount == 1
            handoff = session.get(Handoff, handoff_id, populate_existing=True)
            if handoff is None or handoff.status != ONGOING:
                raise HandoffError("cette discussion n'est plus ouverte")
            if handoff.operator != operator:
                raise TakenByAnother(handoff.operator)
            taken = {**_as_dict(handoff), "joined": won}
            waited = (handoff.taken_at - handoff.created_at).total_seconds() if won and handoff.taken_at else None
        if waited is not None:
            metrics.LIVECHAT_WAIT_SECONDS.observe(max(0.0, waited))
        return taken

    def take_over(self, handoff_id: int, operator: str, previous: str) -> dict:
        """Moves an ongoing chat from `previous` (the operator the taker was told has it) to
        `operator`; refused if it has changed hands, or closed, since."""
        with self.db.write() as session:
            moved = session.execute(
                update(Handoff).where(Handoff.id == handoff_id, Handoff.status == ONGOING,
                                      Handoff.operator == previous, Handoff.operator != operator)
                .values(operator=operator).execution_options(synchronize_session=False)
            ).rowcount == 1
            handoff = session.get(Handoff, handoff_id, populate_existing=True)
            if handoff is None or handoff.status not in (WAITING, ONGOING):
                raise HandoffError("cette discussion n'est plus ouverte")
            if not moved:
                if handoff.status == WAITING:
                    raise HandoffError("cette discussion attend un conseiller : prenez-la simplement en charge")
                if handoff.operator == operator:
                    raise HandoffError("vous avez déjà cette discussion en charge")
                raise TakenByAnother(handoff.operator)
            return _as_dict(handoff)

    def check_owner(self, handoff_id: int, operator: str) -> dict:
        handoff = self.get(handoff_id)
        if handoff is None or handoff.get("status") != ONGOING or handoff["operator"] != operator:
            raise HandoffError("prenez d'abord cette discussion en charge")
        return handoff

    def close(self, handoff_id: int, operator: str) -> dict:
        with self.db.write() as session:
            handoff = session.get(Handoff, handoff_id)
            if handoff is None or handoff.status != ONGOING or handoff.operator != operator:
                raise HandoffError("prenez d'abord cette discussion en charge")
            handoff.status, handoff.closed_at = CLOSED, utcnow()
            return _as_dict(handoff)

    def archive_message(self, handoff_id: int, operator: str) -> dict:
        """Marks a message left outside opening hours as dealt with."""
        with self.db.write() as session:
            handoff = session.get(Handoff, handoff_id)
            if handoff is None or handoff.status != MESSAGE:
                raise HandoffError("ce message n'est plus en attente")
            handoff.status, handoff.operator, handoff.closed_at = CLOSED, operator, utcnow()
            return _as_dict(handoff)

    # -- messages to the user's chat ------------------------------------------------
    def post(self, conversation_id: str, author: str, text: str,
             operator_name: Optional[str] = None, buttons: Optional[list] = None) -> int:
        with self.db.write() as session:
            message = Outbox(conversation_id=conversation_id, at=utcnow(), author=author,
                             operator_name=operator_name, text=text,
                             buttons=json.dumps(buttons or [], ensure_ascii=False))
            session.add(message)
            session.flush()
            return message.id

    def outbox_after(self, conversation_id: str, after_id: int = 0) -> List[dict]:
        with self.db.read() as session:
            rows = session.execute(
                select(Outbox).where(Outbox.conversation_id == conversation_id, Outbox.id > after_id)
                .order_by(Outbox.id)
            ).scalars()
            return [
                {"id": m.id, "at": m.at.isoformat() + "Z", "author": m.author,
                 "operator_name": m.operator_name, "text": m.text, "buttons": json.loads(m.buttons)}
                for m in rows
            ]
