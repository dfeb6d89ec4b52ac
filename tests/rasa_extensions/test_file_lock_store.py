"""Conversation locks shared by processes (rasa_extensions/file_lock_store.py): real lock files, a
real second process holding a lock, as a second Rasa worker would."""
import asyncio
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from rasa.core.lock_store import LockError

from rasa_extensions.file_lock_store import FileLockStore
from rasa.utils.endpoints import EndpointConfig

ROOT = Path(__file__).resolve().parents[2]

HOLDER = """
import asyncio, sys, time
from rasa_extensions.file_lock_store import FileLockStore
async def main():
    async with FileLockStore(lock_dir=sys.argv[1]).lock(sys.argv[2]):
        print("held", flush=True)
        await asyncio.sleep(float(sys.argv[3]))
asyncio.run(main())
"""


def _holder(lock_dir, conversation, seconds):
    """Another process holding `conversation`'s lock for `seconds`, once it says so."""
    process = subprocess.Popen([sys.executable, "-c", HOLDER, str(lock_dir), conversation, str(seconds)],
                               cwd=ROOT, env=dict(os.environ, PYTHONPATH=str(ROOT)), stdout=subprocess.PIPE,
                               text=True)
    assert process.stdout.readline().strip() == "held"
    return process


async def _time_to_lock(store, conversation, lifetime=30):
    started = time.monotonic()
    async with store.lock(conversation, lock_lifetime=lifetime):
        return time.monotonic() - started


def test_a_conversation_locked_by_another_process_waits_for_it(tmp_path):
    holder = _holder(tmp_path, "conv-1", 1.0)
    try:
        store = FileLockStore(lock_dir=str(tmp_path))
        assert asyncio.run(_time_to_lock(store, "conv-2")) < 0.2  # other conversations do not wait
        waited = asyncio.run(_time_to_lock(store, "conv-1"))
        assert 0.5 < waited < 5
    finally:
        holder.wait(timeout=10)


def test_a_dead_holder_frees_the_conversation_at_once(tmp_path):
    holder = _holder(tmp_path, "conv-1", 60)
    holder.send_signal(signal.SIGKILL)
    holder.wait(timeout=10)
    assert asyncio.run(_time_to_lock(FileLockStore(lock_dir=str(tmp_path)), "conv-1")) < 0.5


def test_waiting_longer_than_the_lifetime_raises_rasas_lock_error(tmp_path):
    holder = _holder(tmp_path, "conv-1", 5)
    try:
        with pytest.raises(LockError):
            asyncio.run(_time_to_lock(FileLockStore(lock_dir=str(tmp_path)), "conv-1", lifetime=0.3))
    finally:
        holder.kill()
        holder.wait(timeout=10)


def test_callers_of_one_process_take_turns_in_arrival_order(tmp_path):
    store = FileLockStore(endpoint_config=EndpointConfig(lock_dir=str(tmp_path)))
    order, inside = [], []

    async def turn(n):
        async with store.lock("conv-1"):
            inside.append(n)
            assert len(inside) == 1
            await asyncio.sleep(0.01)
            order.append(n)
            inside.remove(n)

    async def main():
        await asyncio.gather(*(turn(n) for n in range(5)))

    asyncio.run(main())
    assert order == [0, 1, 2, 3, 4]
    assert store._slots == {}  # nothing kept once every caller is gone
    assert (tmp_path / "conversations.lock").stat().st_mode & 0o777 == 0o600
