"""The process-wide services the actions and the channel use, built once from Settings."""
from __future__ import annotations

import threading
from datetime import datetime
from typing import Optional

from claudia.assertions import MessageAssertions, seal_key
from claudia.config import Settings, load_settings
from claudia.conversations import Conversations
from claudia.db import get_database
from claudia.feedback import FeedbackStore
from claudia.handoff import HandoffQueue
from claudia.tickets import Tickets
from claudia.waiting import WaitingRoom
from claudia.opening_hours import OpeningHours, parse_closed_dates
from claudia.registry import Registry
from claudia.sirene import SireneSource, build_sirene
from claudia.testers import RoutedFeedback, RoutedRegistry, test_db_url

_lock = threading.Lock()
_settings: Optional[Settings] = None
_sirene: Optional[SireneSource] = None


def settings() -> Settings:
    global _settings
    with _lock:
        if _settings is None:
            _settings = load_settings()
        return _settings


def registry() -> Registry:
    """The real registry; a test identity's reads and writes go to the test registry (claudia/testers.py)."""
    return RoutedRegistry(Registry(get_database(settings().db_url)), test_registry)


def test_registry() -> Registry:
    """The testers' registry: a database of its own, seeded from the demo data (CLAUDIA_TEST_DB_URL)."""
    return Registry(get_database(test_db_url(settings().db_url)))


def conversations() -> Conversations:
    return Conversations(get_database(settings().db_url))


def assertions() -> MessageAssertions:
    return MessageAssertions(get_database(settings().db_url), seal_key(settings().jwt_secret))


def feedback() -> FeedbackStore:
    """The real evaluations; a tester's votes go to the test database (claudia/testers.py)."""
    return RoutedFeedback(FeedbackStore(get_database(settings().db_url)),  # type: ignore[return-value]
                          lambda: FeedbackStore(get_database(test_db_url(settings().db_url))))


def handoffs() -> HandoffQueue:
    return HandoffQueue(get_database(settings().db_url))


def waiting_room() -> WaitingRoom:
    return WaitingRoom(get_database(settings().db_url))


def tickets() -> Tickets:
    return Tickets(get_database(settings().db_url))


def opening_hours() -> OpeningHours:
    current = settings()
    return OpeningHours(current.livechat_hours, current.timezone, current.holidays_subdivision,
                        parse_closed_dates(current.livechat_closed_dates),
                        fixed_now=datetime.fromisoformat(current.livechat_clock) if current.livechat_clock else None)


def sirene() -> SireneSource:
    global _sirene
    current = settings()
    with _lock:
        if _sirene is None:
            _sirene = build_sirene(current)
        return _sirene


def reset() -> None:
    """Forget settings and services (tests change the environment between cases)."""
    global _settings, _sirene
    with _lock:
        _settings = None
        _sirene = None
