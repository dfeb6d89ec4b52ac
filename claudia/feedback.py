"""Evaluations of the assistant (the guide's thumbs up / thumbs down)."""
from __future__ import annotations

from typing import List, Optional

from sqlalchemy import select

from claudia import metrics
from claudia.db import Database
from claudia.models import Feedback, UnverifiedRow, utcnow
from claudia.provenance import Verdict, mark

POSITIVE, NEGATIVE = "positif", "negatif"
# The guide's four reasons, in its order, with the words shown to the user.
REASONS = {
    "question_non_comprise": "La question n'a pas été comprise",
    "reponse_imprecise": "La réponse apportée était imprécise ou incomplète",
    "reponse_compliquee": "La réponse apportée était compliquée",
    "autre": "Autre",
}


class FeedbackStore:
    def __init__(self, database: Database):
        self.db = database

    def record(
        self,
        conversation_id: str,
        login: Optional[str],
        vote: str,
        context: Optional[dict] = None,
        reason: Optional[str] = None,
        comment: Optional[str] = None,
        comment_cancelled: bool = False,
        provenance: Optional[Verdict] = None,
    ) -> dict:
        """Stores a vote; marked when the user's sealed messages do not vouch for it
        (`provenance`, claudia/provenance.py): kept, but out of the satisfaction figures."""
        context = context or {}
        with self.db.write() as session:
            entry = Feedback(
                at=utcnow(),
                conversation_id=conversation_id,
                login=login,
                procedure=context.get("operation"),
                siret=context.get("siret"),
                outcome=context.get("outcome"),
                vote=vote,
                reason=reason,
                comment=comment,
                comment_cancelled=int(comment_cancelled),
            )
            session.add(entry)
            session.flush()
            mark(session, provenance, feedback_id=entry.id)
            stored = {**entry.as_dict(), "verified": provenance is None or provenance.verified}
        if not stored["verified"]:
            return stored  # out of the satisfaction figures
        known_reason = reason if not reason or reason in REASONS else metrics.OTHER
        metrics.EVALUATIONS.labels(metrics.vote_label(vote), metrics.code(known_reason, "evaluation_reason")).inc()
        return stored

    def for_conversation(self, conversation_id: str) -> List[dict]:
        return self._read(Feedback.conversation_id == conversation_id)

    def all(self) -> List[dict]:
        return self._read()

    def _read(self, *where) -> List[dict]:
        """Evaluations with `verified`: False when the user's sealed messages did not vouch for it."""
        query = select(Feedback, UnverifiedRow.id).outerjoin(
            UnverifiedRow, UnverifiedRow.feedback_id == Feedback.id).where(*where).order_by(Feedback.id)
        with self.db.read() as session:
            return [{**f.as_dict(), "verified": marked is None} for f, marked in session.execute(query)]
