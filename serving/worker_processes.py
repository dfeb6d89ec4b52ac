"""Sanic worker processes that share their server's memory and do not outlive it.

With several workers, Sanic's main process forks them and waits. If the main process
is killed outright (SIGKILL, the OOM killer), its workers would go on serving the port
unsupervised, and the server that supervisord starts again could not take the port.
Each worker therefore asks the kernel for SIGKILL when its parent dies (Linux
`PR_SET_PDEATHSIG`); a parent already gone by then means exit at once.

The workers are forked after Rasa, TensorFlow and the rest are imported, so those pages
are shared with the parent until someone writes to them. Python's garbage collector
writes to every object it scans, which would copy most of those pages into each worker:
the objects that exist at fork time are frozen first (`gc.freeze()`, as Python's
documentation advises for fork without exec), so the collector leaves them alone.
"""
from __future__ import annotations

import ctypes
import ctypes.util
import gc
import os
import signal

PR_SET_PDEATHSIG = 1


def _die_with_parent(parent: int) -> None:
    libc = ctypes.CDLL(ctypes.util.find_library("c"), use_errno=True)
    if libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0) != 0:
        return  # not Linux, or refused: the workers merely behave as Sanic's own
    if os.getppid() != parent:  # the parent died between fork and prctl
        os._exit(1)


def prepare_workers() -> None:
    """Every process forked from this one from now on shares its objects' pages as long as
    it can and is killed when this one dies."""
    parent = os.getpid()
    os.register_at_fork(before=gc.freeze, after_in_child=lambda: _die_with_parent(parent))
