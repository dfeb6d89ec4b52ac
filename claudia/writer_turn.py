"""One writer at a time on a SQLite file, across the threads and processes of a machine.

SQLite lets one writer in at a time; the others poll, sleeping 1, 2, 5, 10 … up to
100 ms between tries, so under load a write often waits far longer than the one before
it took. ClaudIA's processes (Rasa's workers, the action server, the web front) and their
threads therefore take turns before writing: the threads of a process on a lock that
wakes the next one at once, the processes on a `flock` of a lock file beside the database
(`<database>.writer-lock`), tried again every few milliseconds at most. A writer that is
not ClaudIA's (an admin's sqlite3 shell) still meets SQLite's own busy wait.

Waiting longer than `timeout` seconds raises `WriterTurnTimeout`, as SQLite would give up
after its busy timeout: callers answer politely and change nothing. A lock file (or its
directory) that another account owns or may write is refused when the turn is made
(claudia/safe_paths.py), and a link in its place is never followed.
"""
from __future__ import annotations

import errno
import fcntl
import os
import threading
import time
from pathlib import Path
from typing import Optional

from sqlalchemy.exc import SQLAlchemyError

from claudia import metrics
from claudia.safe_paths import check_directory, check_file, open_lock_file

LONGEST_PAUSE_SECONDS = 0.005


class WriterTurnTimeout(SQLAlchemyError):
    """Another writer kept the database longer than the timeout (caught where SQLite's own
    « database is locked » is: as a SQLAlchemy error)."""


class WriterTurn:
    """A re-entrant context manager: the writer's turn on one SQLite file."""

    def __init__(self, database_path: str, timeout: float = 15.0):
        self.lock_path = Path(f"{database_path}.writer-lock")
        self.timeout = timeout
        self._label = metrics.code(Path(database_path).stem.lower(), "database")
        check_directory(self.lock_path.parent, "database_dir")  # at start-up, before any write
        check_file(self.lock_path, "lock")
        self._start_afresh()

    def _start_afresh(self) -> None:
        """In a new process: a forked child inherits its parent's state, and an open file
        shared with the parent would share its lock too."""
        self._pid = os.getpid()
        self._threads = threading.RLock()
        self._depth = 0
        self._descriptor: Optional[int] = None

    def __enter__(self) -> "WriterTurn":
        if self._pid != os.getpid():
            self._start_afresh()
        started = time.monotonic()
        if not self._threads.acquire(timeout=self.timeout):
            metrics.WRITER_TIMEOUTS.labels(self._label).inc()
            raise WriterTurnTimeout(str(self.lock_path))
        try:
            if self._depth == 0:
                self._lock_file()
        except BaseException:
            self._threads.release()
            raise
        self._depth += 1
        if self._depth == 1:  # the outermost turn: how long this writer waited for it
            metrics.WRITER_WAIT_SECONDS.labels(self._label).observe(time.monotonic() - started)
        return self

    def __exit__(self, *exc) -> None:
        self._depth -= 1
        try:
            if self._depth == 0:
                fcntl.flock(self._descriptor, fcntl.LOCK_UN)
        finally:
            self._threads.release()

    def _lock_file(self) -> None:
        if self._descriptor is None:
            self._descriptor = open_lock_file(self.lock_path)
        deadline, pause = time.monotonic() + self.timeout, 0.0005
        while True:
            try:
                fcntl.flock(self._descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
                return
            except OSError as error:
                if error.errno not in (errno.EWOULDBLOCK, errno.EACCES):
                    raise
            if time.monotonic() >= deadline:
                metrics.WRITER_TIMEOUTS.labels(self._label).inc()
                raise WriterTurnTimeout(str(self.lock_path))
            time.sleep(pause)
            pause = min(pause * 2, LONGEST_PAUSE_SECONDS)
