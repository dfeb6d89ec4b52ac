"""When the live chat with an operator is open.

CLAUDIA_LIVECHAT_HOURS, e.g. "mon-fri 08:30-18:30" (the default) or
"mon-fri 08:30-12:00,13:30-18:30; sat 09:00-12:00"; an empty value means
always closed, "always" always open. Times are in CLAUDIA_TIMEZONE (Europe/Paris).
"""
from __future__ import annotations

import re
from datetime import datetime, time
from typing import List, Optional, Tuple
from zoneinfo import ZoneInfo

DAYS = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
_SPAN = re.compile(r"^(\d{1,2}):(\d{2})-(\d{1,2}):(\d{2})$")

Slot = Tuple[int, time, time]  # weekday, start, end (end "24:00" becomes 23:59:59)


def _clock(hours: str, minutes: str) -> time:
    if int(hours) == 24:
        return time(23, 59, 59)
    return time(int(hours), int(minutes))


def _days(spec: str) -> List[int]:
    first, _, last = spec.partition("-")
    start = DAYS.index(first)
    end = DAYS.index(last) if last else start
    return list(range(start, end + 1))


def parse(spec: str) -> Optional[List[Slot]]:
    """None means always open; [] always closed."""
    spec = spec.strip().lower()
    if spec == "always":
        return None
    slots: List[Slot] = []
    for part in filter(None, (p.strip() for p in spec.split(";"))):
        days, _, spans = part.partition(" ")
        for span in spans.split(","):
            match = _SPAN.match(span.strip())
            if not match:
                raise ValueError(f"horaires illisibles : {part!r}")
            start, end = _clock(*match.group(1, 2)), _clock(*match.group(3, 4))
            slots += [(day, start, end) for day in _days(days)]
    return slots


class OpeningHours:
    def __init__(self, spec: str = "mon-fri 08:30-18:30", timezone: str = "Europe/Paris"):
        self.slots = parse(spec)
        self.zone = ZoneInfo(timezone)

    def is_open(self, at: Optional[datetime] = None) -> bool:
        if self.slots is None:
            return True
        local = (at or datetime.now(self.zone)).astimezone(self.zone)
        now = local.time()
        return any(day == local.weekday() and start <= now < end for day, start, end in self.slots)
