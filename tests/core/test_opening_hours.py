from datetime import datetime, timezone
from zoneinfo import ZoneInfo

import pytest

from claudia.opening_hours import OpeningHours

PARIS = ZoneInfo("Europe/Paris")


def at(day, hour, minute=0):
    return datetime(2026, 11, day, hour, minute, tzinfo=PARIS)  # 2026-11-23 is a Monday


@pytest.mark.parametrize(
    "moment,is_open",
    [
        (at(23, 8, 29), False),
        (at(23, 8, 30), True),
        (at(25, 12, 0), True),
        (at(27, 18, 29), True),
        (at(27, 18, 30), False),
        (at(28, 10, 0), False),  # Saturday
        (at(29, 10, 0), False),  # Sunday
    ],
)
def test_default_hours(moment, is_open):
    assert OpeningHours().is_open(moment) is is_open


def test_time_zone_is_honoured():
    # 07:45 UTC on a winter Monday is 08:45 in Paris: open.
    assert OpeningHours().is_open(datetime(2026, 11, 23, 7, 45, tzinfo=timezone.utc))
    assert not OpeningHours().is_open(datetime(2026, 11, 23, 7, 15, tzinfo=timezone.utc))


def test_configurable_hours():
    hours = OpeningHours("mon-fri 08:30-12:00,13:30-18:30; sat 09:00-12:00")
    assert not hours.is_open(at(23, 12, 30))
    assert hours.is_open(at(28, 9, 30))
    assert OpeningHours("always").is_open(at(29, 3, 0))
    assert not OpeningHours("").is_open(at(23, 10, 0))
    assert OpeningHours("mon-sun 00:00-24:00").is_open(at(29, 23, 59))


def test_unreadable_hours_are_refused():
    with pytest.raises(ValueError):
        OpeningHours("lundi 8h-18h")
