"""The review's user filter: part of a login, whatever its case and accents (« marie » finds
« Marie.Dupont », « hélène » finds « helene.martin » and the other way round).

Neither SQLite nor a PostgreSQL without the `unaccent` extension compares without accents, so
each login of the indexed conversations is kept once more, folded (lower case, accents
stripped), in `review_logins`: a small table (one row per user, not per conversation). The
filter looks for the folded words there, then reads the conversations of the logins found
through their own index.
"""
from __future__ import annotations

from typing import Iterable

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.sql import Select

from claudia.review_models import ReviewConversation, ReviewLogin
from claudia.vocabulary import normalize

MAX_TERM = 128


def fold(text: str) -> str:
    """Lower case, accents stripped, spaces collapsed: what the filter compares."""
    return " ".join(normalize(text).split())


def record(connection: Connection, logins: Iterable[str]) -> None:
    """Adds the logins not yet known (another indexer adding the same one at once is no error)."""
    rows = [{"login": login, "folded": fold(login)[:128]} for login in sorted({name for name in logins if name})]
    dialect = postgresql if connection.dialect.name == "postgresql" else sqlite
    statement = dialect.insert(ReviewLogin).on_conflict_do_nothing(index_elements=["login"])
    for start in range(0, len(rows), 500):
        connection.execute(statement, rows[start:start + 500])


def backfill(engine: Engine) -> None:
    """Logins of conversations indexed before this table existed (read once, through the login index)."""
    query = (select(ReviewConversation.login).distinct()
             .where(ReviewConversation.login.isnot(None),
                    ReviewConversation.login.notin_(select(ReviewLogin.login))))
    with engine.begin() as connection:
        record(connection, connection.execute(query).scalars().all())


def matching(term: str) -> Select:
    """The logins whose folded form contains the folded term (its LIKE wildcards are plain text)."""
    return select(ReviewLogin.login).where(ReviewLogin.folded.contains(fold(term)[:MAX_TERM], autoescape=True))
