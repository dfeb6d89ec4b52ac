"""Around a live-chat request: the user's place in the queue, their presence, giving up.

The user's chat asks for news every few seconds while its page is open; each
ask marks them present. A waiting request whose user has not asked for
`abandon_after` seconds (the page was closed, the network is gone) expires,
so the queue only holds people who still wait. The operator sees whether the
user is still there.
"""
from __future__ import annotations

import math
from datetime import timedelta
from typing import List, Optional

from sqlalchemy import func, select

from claudia import metrics
from claudia.db import Database, row_of
from claudia.handoff import ONGOING, WAITING, HandoffQueue, _as_dict
from claudia.livechat_models import HandoffUserSide
from claudia.models import Handoff, HandoffActivity, utcnow

CANCELLED, EXPIRED = "annulee", "expiree"
# Seconds without news after which a user counts as gone (for the operator's eyes).
PRESENT_WITHIN_SECONDS = 20
# A user who closed the page and did not come back within this many seconds (a reload
# comes back at once) has left: their waiting request expires.
LEFT_GRACE_SECONDS = 15
# Mean wait assumed before any request has been taken (seconds).
DEFAULT_MEAN_WAIT_SECONDS = 180


class WaitingRoom:
    def __init__(self, database: Database):
        self.db = database
        self.queue = HandoffQueue(database)

    # -- the user's side --------------------------------------------------------------
    def news_for_user(self, conversation_id: str) -> Optional[dict]:
        """The open request of this conversation, with its place in the queue; marks the user present."""
        with self.db.read() as session:  # most chats have no request: no write lock for them
            if HandoffQueue._open(session, conversation_id) is None:
                return None
        with self.db.write() as session:
            handoff = HandoffQueue._open(session, conversation_id)
            if handoff is None:
                return None
            activity = row_of(session, HandoffActivity, handoff_id=handoff.id)
            activity.user_seen_at, activity.user_left_at = utcnow(), None
            side = session.get(HandoffUserSide, handoff.id)
            if side is not None:  # back after signing out
                side.signed_out_at = None
            news = {"status": handoff.status, "operator": handoff.operator}
            if handoff.status == WAITING:
                position = self._position(session, handoff)
                news.update(position=position, estimate_minutes=self._estimate(session, position))
            return news

    def user_left(self, conversation_id: str) -> None:
        """The user closed the page: the operator is told; a waiting request will expire."""
        with self.db.write() as session:
            handoff = HandoffQueue._open(session, conversation_id)
            if handoff is not None:
                row_of(session, HandoffActivity, handoff_id=handoff.id).user_left_at = utcnow()

    def cancel(self, conversation_id: str) -> Optional[dict]:
        """« Ne plus attendre »: the waiting request is withdrawn (not one already taken)."""
        with self.db.write() as session:
            handoff = HandoffQueue._open(session, conversation_id)
            if handoff is None or handoff.status != WAITING:
                return None
            handoff.status, handoff.closed_at = CANCELLED, utcnow()
            return _as_dict(handoff)

    # -- housekeeping ------------------------------------------------------------------
    def expire_abandoned(self, abandon_after_seconds: float) -> List[dict]:
        """Waiting requests whose user gave no news for `abandon_after_seconds`, or closed
        the page and did not come back: expired."""
        limit = utcnow() - timedelta(seconds=abandon_after_seconds)
        left_limit = utcnow() - timedelta(seconds=LEFT_GRACE_SECONDS)
        expired = []
        with self.db.write() as session:
            rows = session.execute(
                select(Handoff, HandoffActivity)
                .outerjoin(HandoffActivity, HandoffActivity.handoff_id == Handoff.id)
                .where(Handoff.status == WAITING)
            ).all()
            for handoff, activity in rows:
                last_news = (activity.user_seen_at if activity and activity.user_seen_at else handoff.created_at)
                left = activity.user_left_at if activity else None
                if last_news < limit or (left is not None and left < left_limit):
                    handoff.status, handoff.closed_at = EXPIRED, utcnow()
                    expired.append(_as_dict(handoff))
        return expired

    # -- the operator's side -----------------------------------------------------------
    def operator_answered(self, handoff_id: int) -> None:
        with self.db.write() as session:
            activity = row_of(session, HandoffActivity, handoff_id=handoff_id)
            first = activity.first_answer_at is None
            activity.first_answer_at = activity.first_answer_at or utcnow()
            handoff = session.get(Handoff, handoff_id) if first else None
            since = (handoff.taken_at or handoff.created_at) if handoff else None
        if since is not None:
            metrics.LIVECHAT_FIRST_ANSWER_SECONDS.observe(max(0.0, (utcnow() - since).total_seconds()))

    def presence(self, handoff_ids: List[int]) -> dict:
        """For each request: is the user still there, and how long the first answer took."""
        if not handoff_ids:
            return {}
        now = utcnow()
        with self.db.read() as session:
            rows = session.execute(
                select(Handoff, HandoffActivity)
                .outerjoin(HandoffActivity, HandoffActivity.handoff_id == Handoff.id)
                .where(Handoff.id.in_(handoff_ids))
            ).all()
        result = {}
        for handoff, activity in rows:
            seen = activity.user_seen_at if activity else None
            left = activity.user_left_at if activity else None
            first = activity.first_answer_at if activity else None
            result[handoff.id] = {
                "user_left": bool(left) or (seen is not None and (now - seen).total_seconds()
                                            > PRESENT_WITHIN_SECONDS),
                "user_closed_page": bool(left),
                "first_answer_seconds": int((first - (handoff.taken_at or handoff.created_at))
                                            .total_seconds()) if first else None,
            }
        return result

    # -- helpers ------------------------------------------------------------------------
    @staticmethod
    def _position(session, handoff: Handoff) -> int:
        ahead = session.execute(
            select(func.count()).select_from(Handoff).where(
                Handoff.status == WAITING,
                (Handoff.created_at < handoff.created_at)
                | ((Handoff.created_at == handoff.created_at) & (Handoff.id < handoff.id)))
        ).scalar_one()
        return ahead + 1

    @staticmethod
    def _estimate(session, position: int) -> int:
        """Minutes, from the mean wait of the last 20 requests taken by an operator."""
        taken = session.execute(
            select(Handoff.created_at, Handoff.taken_at).where(Handoff.taken_at.is_not(None))
            .order_by(Handoff.taken_at.desc()).limit(20)
        ).all()
        waits = [(t - c).total_seconds() for c, t in taken]
        mean = sum(waits) / len(waits) if waits else DEFAULT_MEAN_WAIT_SECONDS
        return max(1, math.ceil(position * mean / 60))


__all__ = ["WaitingRoom", "CANCELLED", "EXPIRED", "ONGOING", "WAITING"]
