"""The action server runs each action in a worker thread, not on its event loop.

ClaudIA's actions are plain blocking code (SQLite, the SIRENE client) under `async def run`,
and rasa_sdk awaits them on the server's one event loop: while one action waited for the
database's writer turn, every other conversation's action waited too (profiled under 20
conversations: 35 % of the action server's busy time was that wait, bench/changes.md).
Each call now runs in a thread of a small pool, on an event loop of that thread's own, so
a wait blocks only its own conversation. The actions and the services they use are already
called from several threads by the Rasa server's channel (claudia/db.py: one engine and
pool per process, a session per call, the writers' turn per thread).
"""
from __future__ import annotations

import asyncio
import contextvars
import os
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Dict, Optional

from rasa_sdk.executor import ActionExecutor

DEFAULT_THREADS = 4
_original_run = ActionExecutor.run
_thread_state = threading.local()
_pool: Optional[ThreadPoolExecutor] = None


def _run_here(executor: ActionExecutor, action_call: Dict[str, Any]) -> Optional[Dict[str, Any]]:
    loop = getattr(_thread_state, "loop", None)
    if loop is None:
        loop = _thread_state.loop = asyncio.new_event_loop()
    started = time.perf_counter()
    try:
        return loop.run_until_complete(_original_run(executor, action_call))
    finally:  # the action's own time on this server (claudia/metrics.py, imported once the launcher
        from claudia import metrics  # has set the workers' metrics directory: serving/metrics_dir.py)

        metrics.ACTION_SECONDS.labels(metrics.code(action_call.get("next_action"), "action")).observe(
            time.perf_counter() - started)


async def run_in_a_thread(self: ActionExecutor, action_call: Dict[str, Any]) -> Optional[Dict[str, Any]]:
    # In a copy of this request's context: the action's log lines keep its request id (claudia/log_format.py).
    context = contextvars.copy_context()
    return await asyncio.get_running_loop().run_in_executor(_pool, context.run, _run_here, self, action_call)


def install(threads: Optional[int] = None) -> None:
    """From now on, action calls run in CLAUDIA_ACTION_THREADS (4) threads of this process."""
    global _pool
    count = threads or int(os.environ.get("CLAUDIA_ACTION_THREADS") or DEFAULT_THREADS)
    _pool = ThreadPoolExecutor(max_workers=count, thread_name_prefix="action")
    ActionExecutor.run = run_in_a_thread
