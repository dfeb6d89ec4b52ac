"""How busy the machine's processors have been since the last look.

The review index's background pass (web/review.py) costs about 2 ms of processor per
conversation turn and takes the database's writer turn; while the machine is busy
answering users it waits (bench/changes.md: +5 % turns per second under load). Read from
Linux's /proc/stat; where it cannot be read, the machine is never deemed busy.
"""
from __future__ import annotations

from pathlib import Path
from typing import Optional, Tuple

PROC_STAT = Path("/proc/stat")


class CpuMeter:
    def __init__(self, stat_file: Path = PROC_STAT) -> None:
        self.stat_file = stat_file
        self._last: Optional[Tuple[int, int]] = self._read()

    def _read(self) -> Optional[Tuple[int, int]]:
        """(total, idle) jiffies of all processors together, or None."""
        try:
            fields = self.stat_file.read_text().splitlines()[0].split()
            if fields[0] != "cpu":
                return None
            ticks = [int(value) for value in fields[1:]]
            return sum(ticks[:8]), ticks[3] + ticks[4]  # guest time is counted in user time already
        except (OSError, ValueError, IndexError):
            return None

    def busy_fraction(self) -> float:
        """Share of processor time spent working since the previous call (0.0 to 1.0)."""
        now, last = self._read(), self._last
        self._last = now
        if now is None or last is None or now[0] <= last[0]:
            return 0.0
        total, idle = now[0] - last[0], now[1] - last[1]
        return max(0.0, min(1.0, 1 - idle / total))
