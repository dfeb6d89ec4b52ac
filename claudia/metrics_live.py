"""Gauges read from the databases at each scrape of the web front's `/metrics`.

The state of the queue is in the project's database, shared by every server: reading it when
Prometheus asks (every 15 s or so) is exact whatever process changed it, and costs the turns
nothing.
- claudia_livechat_queue{status="waiting|ongoing"}: live-chat requests waiting for an
  operator, and chats going on;
- claudia_livechat_oldest_wait_seconds: how long the oldest waiting request has waited;
- claudia_messages_left_open: messages left outside opening hours not answered yet;
- claudia_review_index_lag_events / _seconds: tracker-store events the review indexer has not
  read yet (claudia/review_index.py), and the age of the oldest of them.
A source that cannot be read is left out of that scrape (and logged): an alert on an absent
series then says so, and the scrape still answers.
"""
from __future__ import annotations

import logging
import time
from typing import Iterator, Optional

from prometheus_client.core import GaugeMetricFamily
from sqlalchemy import func, select, text
from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError

from claudia.db import Database
from claudia.handoff import MESSAGE, ONGOING, WAITING
from claudia.models import Handoff, utcnow
from claudia.review_models import ReviewIndexState

logger = logging.getLogger(__name__)
TRACKER_SOURCE = "tracker"  # claudia/review_index.py's name for the tracker store's events
NEXT_EVENT = text("SELECT timestamp FROM events WHERE id > :last ORDER BY id LIMIT 1")
LAST_EVENT = text("SELECT max(id) FROM events")


class LiveCollector:
    """A prometheus-client collector (`collect()` is called at each scrape)."""

    def __init__(self, database: Database, tracker: Optional[Engine] = None):
        self.db = database
        self.tracker = tracker

    def collect(self) -> Iterator[GaugeMetricFamily]:
        try:
            yield from self._queue()
        except SQLAlchemyError:
            logger.exception("metrics: the live-chat queue could not be read")
        if self.tracker is not None:
            try:
                yield from self._index_lag()
            except SQLAlchemyError:
                logger.exception("metrics: the review index's lag could not be read")

    def _queue(self) -> Iterator[GaugeMetricFamily]:
        with self.db.read() as session:
            counts = dict(session.execute(
                select(Handoff.status, func.count()).where(Handoff.status.in_((WAITING, ONGOING, MESSAGE)))
                .group_by(Handoff.status)).all())
            oldest = session.execute(select(func.min(Handoff.created_at)).where(Handoff.status == WAITING)).scalar()
        queue = GaugeMetricFamily("claudia_livechat_queue", "Live-chat requests by status (waiting, ongoing)",
                                  labels=["status"])
        queue.add_metric(["waiting"], counts.get(WAITING, 0))
        queue.add_metric(["ongoing"], counts.get(ONGOING, 0))
        yield queue
        yield GaugeMetricFamily("claudia_livechat_oldest_wait_seconds",
                                "How long the oldest waiting live-chat request has waited (0: none)",
                                value=max(0.0, (utcnow() - oldest).total_seconds()) if oldest else 0.0)
        yield GaugeMetricFamily("claudia_messages_left_open", "Messages left outside opening hours, not answered",
                                value=counts.get(MESSAGE, 0))

    def _index_lag(self) -> Iterator[GaugeMetricFamily]:
        with self.db.read() as session:
            state = session.get(ReviewIndexState, TRACKER_SOURCE)
        last = state.last_id if state else 0
        with self.tracker.connect() as connection:
            try:
                newest = connection.execute(LAST_EVENT).scalar() or 0
                first_unread = connection.execute(NEXT_EVENT, {"last": last}).scalar()
            except SQLAlchemyError as error:
                if "events" not in str(error):  # no conversation yet: no table yet
                    raise
                newest, first_unread = 0, None
        yield GaugeMetricFamily("claudia_review_index_lag_events", "Tracker-store events not indexed for the "
                                "review yet", value=max(0, newest - last))
        age = max(0.0, time.time() - first_unread) if first_unread else 0.0
        yield GaugeMetricFamily("claudia_review_index_lag_seconds", "Age of the oldest tracker-store event not "
                                "indexed for the review yet (0: up to date)", value=age)
