"""Conversation locks shared by the Rasa worker processes of one machine.

Rasa handles one conversation's messages one at a time by holding the conversation's
lock while a message is processed. Its default lock store lives in the memory of one
process, so Rasa refuses several worker processes without Redis. This store keeps the
locks in the kernel instead: each conversation owns one byte of a lock file
(`var/locks/conversations.lock`, a POSIX record lock at an offset hashed from the
conversation id), which every worker process on the machine sees.

- Within a process, callers of one conversation queue on an `asyncio.Lock`, in arrival
  order (POSIX record locks belong to a process, so they cannot tell its callers apart).
- Between processes, the byte lock is tried without blocking the event loop and tried
  again after a short sleep (2 ms, growing to 50 ms) while another worker holds it.
- A worker that dies loses its locks at once (the kernel releases them): no lifetime to
  wait out, unlike tickets in Redis.
- Waiting longer than the lock lifetime raises Rasa's `LockError`, as Rasa's stores do.
- A lock directory or file that another account owns or may write stops the server at
  start-up (claudia/safe_paths.py): that account could hold every conversation's lock.

Several machines sharing PostgreSQL need Redis's lock store (serving/endpoints.py).
"""
from __future__ import annotations

import asyncio
import errno
import fcntl
import hashlib
import os
import time
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import AsyncGenerator, Dict, Optional, Text

from rasa.core.lock import TicketLock
from rasa.core.lock_store import LOCK_LIFETIME, LockError, LockStore
from rasa.utils.endpoints import EndpointConfig

from claudia.safe_paths import check_directory, open_lock_file

DEFAULT_LOCK_DIR = "var/locks"
LOCK_FILE = "conversations.lock"
FIRST_RETRY_SECONDS = 0.002
LONGEST_RETRY_SECONDS = 0.05


@dataclass
class _Slot:
    """The callers of this process waiting for, or holding, one conversation's byte."""

    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    users: int = 0


def lock_offset(conversation_id: Text) -> int:
    """The byte of the lock file that stands for this conversation (below 2**62)."""
    digest = hashlib.blake2b(conversation_id.encode("utf-8"), digest_size=8).digest()
    return int.from_bytes(digest, "big") >> 2


class FileLockStore(LockStore):
    """Per-conversation locks as POSIX record locks on one file: several Rasa workers, one machine."""

    def __init__(self, endpoint_config: Optional[EndpointConfig] = None, lock_dir: Optional[str] = None) -> None:
        configured = (endpoint_config.kwargs if endpoint_config else {}).get("lock_dir")
        directory = Path(lock_dir or configured or os.environ.get("CLAUDIA_LOCK_DIR") or DEFAULT_LOCK_DIR)
        directory.mkdir(mode=0o700, parents=True, exist_ok=True)
        check_directory(directory, "lock_dir")
        self.path = directory / LOCK_FILE
        self._descriptor = open_lock_file(self.path)
        self._slots: Dict[int, _Slot] = {}

    @asynccontextmanager
    async def lock(self, conversation_id: Text, lock_lifetime: float = LOCK_LIFETIME,
                   wait_time_in_seconds: float = 1) -> AsyncGenerator[TicketLock, None]:
        """Holds the conversation's lock for the body; `wait_time_in_seconds` is Rasa's poll
        interval for tickets and is not used: waiting here is short sleeps, then the lock."""
        offset = lock_offset(conversation_id)
        deadline = time.monotonic() + lock_lifetime
        slot = self._slots.setdefault(offset, _Slot())
        slot.users += 1
        try:
            try:
                await asyncio.wait_for(slot.lock.acquire(), timeout=lock_lifetime)
            except asyncio.TimeoutError:
                raise LockError(f"Could not acquire lock for conversation_id '{conversation_id}'.")
            try:
                await self._lock_byte(offset, deadline, conversation_id)
                try:
                    yield TicketLock(conversation_id)
                finally:
                    fcntl.lockf(self._descriptor, fcntl.LOCK_UN, 1, offset)
            finally:
                slot.lock.release()
        finally:
            slot.users -= 1
            if not slot.users:
                del self._slots[offset]

    async def _lock_byte(self, offset: int, deadline: float, conversation_id: Text) -> None:
        pause = FIRST_RETRY_SECONDS
        while True:
            try:
                fcntl.lockf(self._descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB, 1, offset)
                return
            except OSError as error:
                if error.errno not in (errno.EACCES, errno.EAGAIN):
                    raise LockError(f"Lock file error for conversation_id '{conversation_id}': {error}")
            if time.monotonic() + pause > deadline:
                raise LockError(f"Could not acquire lock for conversation_id '{conversation_id}'.")
            await asyncio.sleep(pause)
            pause = min(pause * 2, LONGEST_RETRY_SECONDS)

    def close(self) -> None:
        os.close(self._descriptor)
