"""Bounds on what not-connected visitors can make the channel store.

Anyone may chat without signing in, so the Rasa servers limit not-connected
messages per client address and minute (counted in the project's database, so
the limit holds across Rasa's worker processes and servers), cap each
not-connected conversation's length, and now and then delete not-connected
conversations idle for longer than the retention period (claudia/retention.py).
"""
from __future__ import annotations

import asyncio
import logging
import threading
from datetime import timedelta
from typing import Optional

from claudia import messages, services
from claudia.retention import purge_anonymous
from claudia.db import get_database
from claudia.rate_limits import NowAndThen, SharedWindow

logger = logging.getLogger(__name__)

RETENTION_EVERY_SECONDS = 600
ANONYMOUS_SCOPE = "anonymous"
_per_address: Optional[SharedWindow] = None
_window_lock = threading.Lock()
_retention_runs = NowAndThen(RETENTION_EVERY_SECONDS)


def _address_window() -> SharedWindow:
    global _per_address
    with _window_lock:
        if _per_address is None:
            settings = services.settings()
            _per_address = SharedWindow(get_database(settings.db_url), ANONYMOUS_SCOPE,
                                        settings.anonymous_rate_per_minute, 60)
        return _per_address


def reset() -> None:
    """Forget the counts (tests)."""
    global _per_address
    _address_window().forget()
    with _window_lock:
        _per_address = None
    _retention_runs.forget()


def anonymous_refusal(address: str, message_count: int) -> Optional[str]:
    """A polite answer if this not-connected message is over a limit, else None (a database
    write: call it off the event loop)."""
    if message_count >= services.settings().anonymous_max_messages:
        return messages.LIMITE_CONVERSATION_ANONYME
    if not _address_window().allow(address or "?"):
        return messages.TROP_DE_MESSAGES
    return None


def _retention() -> None:
    settings = services.settings()
    try:
        purge_anonymous(services.conversations(), settings.tracker_db_url,
                        timedelta(hours=settings.anonymous_retention_hours))
    except Exception:  # retention must never break a conversation
        logger.exception("retention of not-connected conversations failed")


def retention_now_and_then() -> None:
    """Runs the retention in a worker thread, at most every RETENTION_EVERY_SECONDS."""
    if _retention_runs.due():
        asyncio.get_running_loop().run_in_executor(None, _retention)
