"""The writers' turn on a SQLite file (claudia/writer_turn.py), with real processes."""
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from sqlalchemy.exc import SQLAlchemyError

from claudia.writer_turn import WriterTurn, WriterTurnTimeout

ROOT = Path(__file__).resolve().parents[2]
HOLDER = """
import sys, time
from claudia.writer_turn import WriterTurn
with WriterTurn(sys.argv[1]):
    print("held", flush=True)
    time.sleep(float(sys.argv[2]))
"""


def _holder(path, seconds):
    process = subprocess.Popen([sys.executable, "-c", HOLDER, str(path), str(seconds)], cwd=ROOT,
                               env=dict(os.environ, PYTHONPATH=str(ROOT)), stdout=subprocess.PIPE, text=True)
    assert process.stdout.readline().strip() == "held"
    return process


def test_a_writer_of_another_process_is_waited_for_then_followed_at_once(tmp_path):
    holder = _holder(tmp_path / "db.sqlite", 0.5)
    started = time.monotonic()
    with WriterTurn(str(tmp_path / "db.sqlite")):
        waited = time.monotonic() - started
    holder.wait(timeout=10)
    assert 0.3 < waited < 1.5


def test_waiting_past_the_timeout_is_a_database_error(tmp_path):
    holder = _holder(tmp_path / "db.sqlite", 5)
    try:
        with pytest.raises(WriterTurnTimeout) as raised:
            with WriterTurn(str(tmp_path / "db.sqlite"), timeout=0.3):
                pass
        assert isinstance(raised.value, SQLAlchemyError)  # answered politely where SQLite's errors are
    finally:
        holder.kill()
        holder.wait(timeout=10)


def test_threads_take_turns_and_a_thread_may_reenter(tmp_path):
    turn = WriterTurn(str(tmp_path / "db.sqlite"))
    inside, overlaps = [], []

    def write():
        with turn:
            with turn:  # a write inside a write (re-entrant)
                inside.append(1)
                overlaps.append(len(inside))
                time.sleep(0.01)
                inside.pop()

    threads = [threading.Thread(target=write) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert overlaps == [1] * 8


def test_a_forked_child_takes_turns_with_its_parent(tmp_path):
    """Rasa's workers are forked: a child must not share its parent's lock."""
    turn = WriterTurn(str(tmp_path / "db.sqlite"), timeout=0.3)
    with turn:
        pid = os.fork()
        if pid == 0:  # the child, while the parent writes
            try:
                with turn:
                    os._exit(1)  # got in beside the parent: wrong
            except WriterTurnTimeout:
                os._exit(0)
        _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
