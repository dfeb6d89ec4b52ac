"""When the live chat with an operator is open.

CLAUDIA_LIVECHAT_HOURS, e.g. "mon-fri 08:30-18:30" (the default) or
"mon-fri 08:30-12:00,13:30-18:30; sat 09:00-12:00"; an empty value means
always closed, "always" always open. Times are in CLAUDIA_TIMEZONE (Europe/Paris).
French public holidays are closed (the `holidays` package; CLAUDIA_HOLIDAYS_SUBDIVISION
adds a department's own days, e.g. "57" for Moselle: Good Friday and 26 December),
and so are the dates of CLAUDIA_LIVECHAT_CLOSED_DATES ("2026-12-24, 2026-08-10..2026-08-14").
"""
from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta
from typing import Iterable, List, Optional, Set, Tuple
from zoneinfo import ZoneInfo

import holidays

DAYS = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
_SPAN = re.compile(r"^(\d{1,2}):(\d{2})-(\d{1,2}):(\d{2})$")
JOURS = ["lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche"]
MOIS = ["janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre",
        "octobre", "novembre", "décembre"]
LOOK_AHEAD_DAYS = 60

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


def parse_closed_dates(spec: str) -> Set[date]:
    """"2026-12-24, 2026-08-10..2026-08-14" -> the set of those dates."""
    closed: Set[date] = set()
    for part in filter(None, (p.strip() for p in (spec or "").replace(";", ",").split(","))):
        first, _, last = part.partition("..")
        try:
            start, end = date.fromisoformat(first.strip()), date.fromisoformat((last or first).strip())
        except ValueError:
            raise ValueError(f"date de fermeture illisible : {part!r} (attendu AAAA-MM-JJ)") from None
        closed.update(start + timedelta(days=n) for n in range((end - start).days + 1))
    return closed


def french_moment(moment: datetime) -> str:
    """« lundi 16 novembre à 8 h 30 »."""
    minutes = f" {moment.minute:02d}" if moment.minute else ""
    return f"{JOURS[moment.weekday()]} {moment.day} {MOIS[moment.month - 1]} à {moment.hour} h{minutes}"


def french_time(moment: time) -> str:
    """« 8 h 30 », « 12 h »; the end of the day (24:00) reads « minuit »."""
    if moment >= time(23, 59, 59):
        return "minuit"
    return f"{moment.hour} h {moment.minute:02d}" if moment.minute else f"{moment.hour} h"


def _french_days(days: List[int]) -> str:
    """[0, 1, 2, 3, 4] -> « du lundi au vendredi »; [0, 2] -> « le lundi et le mercredi »."""
    if len(days) == 7:
        return "tous les jours"
    runs: List[List[int]] = []
    for day in days:
        if runs and day == runs[-1][-1] + 1:
            runs[-1].append(day)
        else:
            runs.append([day])
    words: List[str] = []
    for run in runs:
        words += [f"du {JOURS[run[0]]} au {JOURS[run[-1]]}"] if len(run) > 2 else [f"le {JOURS[d]}" for d in run]
    return _listed(words)


def _listed(words: List[str]) -> str:
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " et " + words[-1]


def describe_slots(slots: List[Slot]) -> str:
    """« du lundi au vendredi de 8 h 30 à 12 h et de 13 h 30 à 18 h 30, et le samedi de 9 h à 12 h »."""
    spans_by_day = {}
    for day, start, end in sorted(slots):
        spans_by_day.setdefault(day, []).append((start, end))
    days_by_spans: dict = {}
    for day, spans in sorted(spans_by_day.items()):
        days_by_spans.setdefault(tuple(spans), []).append(day)
    parts = []
    for spans, days in sorted(days_by_spans.items(), key=lambda item: item[1][0]):
        if spans == ((time(0, 0), time(23, 59, 59)),):
            hours = "24 h sur 24"
        else:
            hours = " et ".join(f"de {french_time(start)} à {french_time(end)}" for start, end in spans)
        parts.append(f"{_french_days(days)} {hours}")
    return ", ".join(parts[:-1]) + ", et " + parts[-1] if len(parts) > 1 else parts[0]


class OpeningHours:
    def __init__(self, spec: str = "mon-fri 08:30-18:30", timezone: str = "Europe/Paris",
                 subdivision: str = "", closed_dates: Iterable[date] = (), fixed_now: Optional[datetime] = None):
        self.slots = parse(spec)
        self.zone = ZoneInfo(timezone)
        self.fixed_now = fixed_now.replace(tzinfo=fixed_now.tzinfo or self.zone) if fixed_now else None
        self.public_holidays = holidays.France(subdiv=subdivision or None, language="fr")
        self.closed_dates = set(closed_dates)

    def describe(self) -> Optional[str]:
        """When the chat is open, in French (« du lundi au vendredi de 8 h 30 à 18 h 30 »);
        None when it is always open or never."""
        return describe_slots(self.slots) if self.slots else None

    def now(self) -> datetime:
        """The current moment in the opening hours' time zone (or the fixed one, for demos)."""
        return (self.fixed_now or datetime.now(self.zone)).astimezone(self.zone)

    def is_closed_day(self, day: date) -> bool:
        return day in self.closed_dates or day in self.public_holidays

    def holiday_name(self, day: date) -> Optional[str]:
        return self.public_holidays.get(day)

    def is_open(self, at: Optional[datetime] = None) -> bool:
        if self.slots is None:
            return True
        local = (at or self.now()).astimezone(self.zone)
        if self.is_closed_day(local.date()):
            return False
        now = local.time()
        return any(day == local.weekday() and start <= now < end for day, start, end in self.slots)

    def next_opening(self, at: Optional[datetime] = None) -> Optional[datetime]:
        """When the live chat opens next (after `at`), within two months; None if never."""
        if self.slots is None:
            return None
        local = (at or self.now()).astimezone(self.zone)
        for offset in range(LOOK_AHEAD_DAYS):
            day = local.date() + timedelta(days=offset)
            if self.is_closed_day(day):
                continue
            starts = sorted(start for weekday, start, _ in self.slots if weekday == day.weekday())
            for start in starts:
                moment = datetime.combine(day, start, tzinfo=self.zone)
                if moment > local:
                    return moment
        return None
