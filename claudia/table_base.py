"""The declarative base every table of the project's database derives from.

A module of its own so that the table modules (`claudia.models`, `claudia.review_models`)
stand side by side on it instead of importing each other; `claudia.db` imports them all
before it creates the tables.
"""
from __future__ import annotations

from datetime import datetime, timezone

from sqlalchemy.orm import declarative_base

Base = declarative_base()


def utcnow() -> datetime:
    """Now, in UTC, as the naive datetime the tables store."""
    return datetime.now(timezone.utc).replace(tzinfo=None)
