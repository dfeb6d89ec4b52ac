"""Messages left outside opening hours, as tickets the operators answer from the console.

A message left is a `handoffs` row with status `message` (open ticket). An
operator's answer is stored in `ticket_answers` and the ticket becomes
`repondu`. The answer reaches the user the next time they open the chat,
in whatever conversation that is (a new sign-in starts a new one): answers
are found by login, or by conversation for someone not connected.
"""
from __future__ import annotations

from typing import Dict, List, Optional

from sqlalchemy import func, select

from claudia.db import Database
from claudia.handoff import MESSAGE, HandoffError, _as_dict, page_of, with_marks
from claudia.models import Handoff, TicketAnswer, utcnow

ANSWERED = "repondu"
MAX_ANSWER_LENGTH = 4000


def _with_answer(handoff: Handoff, answer: Optional[TicketAnswer]) -> dict:
    ticket = _as_dict(handoff)
    ticket["answer"] = None if answer is None else {
        "text": answer.text, "operator": answer.operator, "operator_name": answer.operator_name,
        "answered_at": answer.answered_at.isoformat() + "Z",
        "delivered_at": answer.delivered_at.isoformat() + "Z" if answer.delivered_at else None,
    }
    return ticket


class Tickets:
    def __init__(self, database: Database):
        self.db = database

    def answer(self, handoff_id: int, operator: str, operator_name: str, text: str) -> dict:
        text = text.strip()[:MAX_ANSWER_LENGTH]
        if not text:
            raise HandoffError("la réponse est vide")
        with self.db.write() as session:
            handoff = session.get(Handoff, handoff_id)
            if handoff is None or handoff.status != MESSAGE:
                raise HandoffError("ce message n'attend plus de réponse")
            answer = TicketAnswer(handoff_id=handoff_id, text=text, operator=operator,
                                  operator_name=operator_name, answered_at=utcnow())
            session.add(answer)
            handoff.status, handoff.operator, handoff.closed_at = ANSWERED, operator, utcnow()
            return _with_answer(handoff, answer)

    def counts(self) -> Dict[str, int]:
        """How many messages wait for an answer (`open`) and how many were answered."""
        with self.db.read() as session:
            counts = dict(session.execute(
                select(Handoff.status, func.count()).where(Handoff.status.in_((MESSAGE, ANSWERED)))
                .group_by(Handoff.status)).all())
        return {"open": counts.get(MESSAGE, 0), "answered": counts.get(ANSWERED, 0)}

    def page(self, answered: bool = False, page: int = 1, size: int = 50) -> dict:
        """One page of the open tickets, oldest first (the next to answer on top), or of the
        answered ones, the latest answer first; with the page's place among all of them."""
        status = ANSWERED if answered else MESSAGE
        order = (TicketAnswer.answered_at.desc(), Handoff.id.desc()) if answered else (Handoff.created_at, Handoff.id)
        with self.db.read() as session:
            total = session.execute(select(func.count()).select_from(Handoff).where(Handoff.status == status)
                                    ).scalar_one()
            where = page_of(total, page, size)
            rows = session.execute(
                select(Handoff, TicketAnswer).outerjoin(TicketAnswer, TicketAnswer.handoff_id == Handoff.id)
                .where(Handoff.status == status).order_by(*order).offset(where.pop("offset")).limit(size)
            ).all()
            items = with_marks(session, [_with_answer(h, a) for h, a in rows])
        return {"items": items, **where}

    def listing(self, limit: int = 100) -> dict:
        """The first `limit` open tickets (oldest first) and answered ones (latest answer first)."""
        return {"open": self.page(False, 1, limit)["items"], "answered": self.page(True, 1, limit)["items"]}

    def get(self, handoff_id: int) -> Optional[dict]:
        with self.db.read() as session:
            handoff = session.get(Handoff, handoff_id)
            if handoff is None or handoff.status not in (MESSAGE, ANSWERED):
                return None
            return with_marks(session, [_with_answer(handoff, session.get(TicketAnswer, handoff_id))])[0]

    def deliver(self, login: Optional[str], conversation_id: str) -> List[dict]:
        """Answers not yet shown to this user; they count as shown from now on."""
        owner = Handoff.login == login if login else Handoff.conversation_id == conversation_id
        with self.db.write() as session:
            rows = session.execute(
                select(Handoff, TicketAnswer).join(TicketAnswer, TicketAnswer.handoff_id == Handoff.id)
                .where(owner, TicketAnswer.delivered_at.is_(None)).order_by(TicketAnswer.answered_at)
            ).all()
            now = utcnow()
            for _, answer in rows:
                answer.delivered_at = now
            return [_with_answer(h, a) for h, a in rows]
