"""Connection to the project's database: a SQLite file by default, PostgreSQL by URL.

Writes that must not race (checking rights and a structure's status, then
changing it) run in `Database.write()`: on SQLite that is a `BEGIN IMMEDIATE`
transaction (one writer at a time), on PostgreSQL the registry locks the rows
it reads with `SELECT ... FOR UPDATE`.
"""
from __future__ import annotations

import os
import threading
from contextlib import contextmanager, nullcontext
from pathlib import Path
from typing import Any, Dict, Iterator

from sqlalchemy import create_engine, event
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import QueuePool

from claudia import livechat_models, models, review_models  # noqa: F401 (their tables, on Base's metadata, are created here)
from claudia.table_base import Base
from claudia.safe_paths import check_directory, check_sqlite_location
from claudia.writer_turn import WriterTurn

_IMMEDIATE = "claudia_immediate"


def _prepare_sqlite(engine: Engine, busy_timeout_ms: int) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record):
        # Let SQLAlchemy, not pysqlite, decide when transactions begin.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        # SQLite's advice for WAL: commits are not synced one by one (a power cut may lose
        # the last ones, whole, never half of one); a crash of the program loses nothing.
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute(f"PRAGMA busy_timeout={int(busy_timeout_ms)}")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn):
        immediate = conn.get_execution_options().get(_IMMEDIATE)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


def busy_timeout_ms() -> int:
    """How long a writer waits for another (ms): CLAUDIA_DB_BUSY_TIMEOUT_MS, 15 s by default."""
    return int(os.environ.get("CLAUDIA_DB_BUSY_TIMEOUT_MS", "15000"))


def writer_turn(engine: Engine):
    """What a writer holds before writing: the writers' turn on a SQLite file, a plain lock
    for an in-memory SQLite database, nothing for PostgreSQL (its row locks suffice)."""
    if engine.dialect.name != "sqlite":
        return nullcontext()
    database = engine.url.database
    if not database or database == ":memory:":
        return threading.RLock()
    return WriterTurn(str(Path(database).resolve()), busy_timeout_ms() / 1000)


def make_engine(url: str) -> Engine:
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            # Private from the start (SQLite gives its -wal and -shm files the same mode), and
            # refused in a directory another account could tamper with (claudia/safe_paths.py).
            database = Path(parsed.database)
            database.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
            check_directory(database.parent, "database_dir")
            database.touch(mode=0o600, exist_ok=True)
            check_sqlite_location(database)
        busy = busy_timeout_ms()
        # A few connections kept open (SQLAlchemy 1.4 would open one per session for a file).
        engine = create_engine(
            url, connect_args={"check_same_thread": False, "timeout": busy / 1000}, future=True,
            poolclass=QueuePool, pool_size=5, max_overflow=10,
        )
        _prepare_sqlite(engine, busy)
    else:
        engine = create_engine(url, pool_pre_ping=True, pool_size=5, max_overflow=10, future=True)
    Base.metadata.create_all(engine)
    return engine


def row_of(session: Session, model: Any, **key: Any) -> Any:
    """The row of `model` with this primary key (one column), added to the session if there is none."""
    (value,) = key.values()
    row = session.get(model, value)
    if row is None:
        row = model(**key)
        session.add(row)
    return row


class Database:
    def __init__(self, url: str):
        self.url = url
        self.engine = make_engine(url)
        self.is_sqlite = self.engine.dialect.name == "sqlite"
        # SQLite makes waiting writers poll, sleeping up to 100 ms: ClaudIA's writers, in
        # every process, take turns on a lock instead (claudia/writer_turn.py).
        self._write_turn = writer_turn(self.engine)
        self._reader = sessionmaker(bind=self.engine, future=True, expire_on_commit=False)
        self._writer = sessionmaker(
            bind=self.engine.execution_options(**{_IMMEDIATE: True}),
            future=True,
            expire_on_commit=False,
        )

    @contextmanager
    def read(self) -> Iterator[Session]:
        with self._reader() as session, session.begin():
            yield session

    @contextmanager
    def write(self) -> Iterator[Session]:
        """A transaction that holds the write lock from its first statement."""
        with self._write_turn, self._writer() as session, session.begin():
            yield session


_databases: Dict[str, Database] = {}
_lock = threading.Lock()


def get_database(url: str) -> Database:
    """One Database (engine and pool) per URL and process."""
    with _lock:
        if url not in _databases:
            _databases[url] = Database(url)
        return _databases[url]
