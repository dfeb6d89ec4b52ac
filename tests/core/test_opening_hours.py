from datetime import datetime, timezone
from zoneinfo import ZoneInfo

import pytest

from claudia.opening_hours import OpeningHours, french_moment, parse_closed_dates

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


# -- French public holidays, closure dates, reopening --------------------------------------
def paris(year, month, day, hour=10, minute=0):
    return datetime(year, month, day, hour, minute, tzinfo=PARIS)


@pytest.mark.parametrize("day", [(2026, 7, 14), (2026, 11, 11), (2026, 12, 25), (2026, 5, 14), (2027, 5, 17)])
def test_public_holidays_are_closed(day):
    hours = OpeningHours()
    assert not hours.is_open(paris(*day))  # Tuesday 14 July, Wednesday 11 November, Friday 25 December...
    assert hours.holiday_name(paris(*day).date())


def test_alsace_moselle_has_its_own_days():
    good_friday, st_stephen = paris(2026, 4, 3), paris(2026, 12, 28)  # 26/12/2026 is a Saturday: use 2025
    assert OpeningHours().is_open(good_friday)
    assert not OpeningHours(subdivision="57").is_open(good_friday)
    assert OpeningHours().is_open(paris(2025, 12, 26))
    assert not OpeningHours(subdivision="6AE").is_open(paris(2025, 12, 26))
    assert OpeningHours(subdivision="57").is_open(st_stephen)


def test_closure_dates_are_configurable():
    closed = parse_closed_dates("2026-12-24, 2026-08-10..2026-08-12")
    hours = OpeningHours(closed_dates=closed)
    assert not hours.is_open(paris(2026, 12, 24)) and not hours.is_open(paris(2026, 8, 11))
    assert hours.is_open(paris(2026, 8, 13))
    with pytest.raises(ValueError):
        parse_closed_dates("24/12/2026")


def test_next_opening_skips_nights_weekends_and_holidays():
    hours = OpeningHours()
    assert hours.next_opening(at(23, 7, 0)) == at(23, 8, 30)  # before opening, same day
    assert hours.next_opening(at(27, 19, 0)) == paris(2026, 11, 30, 8, 30)  # Friday evening -> Monday
    # Tuesday 10 November evening: Wednesday 11 is Armistice day, reopening Thursday 12.
    assert hours.next_opening(paris(2026, 11, 10, 19)) == paris(2026, 11, 12, 8, 30)
    assert french_moment(paris(2026, 11, 12, 8, 30)) == "jeudi 12 novembre à 8 h 30"
    assert french_moment(paris(2026, 11, 12, 14, 0)) == "jeudi 12 novembre à 14 h"
    assert OpeningHours("always").next_opening() is None and OpeningHours("").next_opening() is None


def test_closed_message_names_the_holiday_and_the_reopening():
    from claudia.messages import chat_ferme
    text = chat_ferme("jeudi 12 novembre à 8 h 30", "Armistice 1918")
    assert "fermé aujourd'hui (Armistice 1918, jour férié)" in text
    assert text.endswith("Réouverture le jeudi 12 novembre à 8 h 30.")


def test_a_fixed_clock_for_demos_is_read_and_refused_in_production(monkeypatch):
    from claudia import services
    from claudia.config import InsecureConfiguration, check_production, load_settings
    monkeypatch.setenv("CLAUDIA_LIVECHAT_CLOCK", "2026-07-14T10:00")
    monkeypatch.setenv("CLAUDIA_LIVECHAT_HOURS", "mon-fri 08:30-18:30")
    services.reset()
    hours = services.opening_hours()
    assert hours.now() == paris(2026, 7, 14, 10) and not hours.is_open()
    assert hours.next_opening() == paris(2026, 7, 15, 8, 30)
    monkeypatch.setenv("CLAUDIA_ENV", "production")
    with pytest.raises(InsecureConfiguration, match="CLAUDIA_LIVECHAT_CLOCK"):
        check_production(load_settings(), {"CLAUDIA_JWT_SECRET": "x" * 40, "CLAUDIA_DB_URL": "sqlite://"})
    services.reset()


@pytest.mark.parametrize("spec, said", [
    ("mon-fri 08:30-18:30", "Il est ouvert du lundi au vendredi de 8 h 30 à 18 h 30, hors jours fériés."),
    ("mon-fri 09:00-17:00", "Il est ouvert du lundi au vendredi de 9 h à 17 h, hors jours fériés."),
    ("mon-fri 08:30-12:00,13:30-18:30; sat 09:00-12:00",
     "Il est ouvert du lundi au vendredi de 8 h 30 à 12 h et de 13 h 30 à 18 h 30, "
     "et le samedi de 9 h à 12 h, hors jours fériés."),
    ("mon 09:00-12:00; wed 09:00-12:00; fri 14:00-17:30",
     "Il est ouvert le lundi et le mercredi de 9 h à 12 h, et le vendredi de 14 h à 17 h 30, hors jours fériés."),
    ("tue-thu 10:15-16:45; sat-sun 10:00-24:00",
     "Il est ouvert du mardi au jeudi de 10 h 15 à 16 h 45, et le samedi et le dimanche de 10 h à minuit, "
     "hors jours fériés."),
    ("mon-sun 00:00-24:00", "Il est ouvert tous les jours 24 h sur 24, hors jours fériés."),
])
def test_closed_message_tells_the_configured_hours(monkeypatch, spec, said):
    from actions.handoff_actions import closed_message
    from claudia import services
    monkeypatch.setenv("CLAUDIA_LIVECHAT_HOURS", spec)
    services.reset()
    try:
        text = closed_message(services.opening_hours(), now=paris(2026, 11, 11, 23, 0))  # Armistice, at night
    finally:
        services.reset()
    assert said in text
    assert text.startswith("Le chat avec un conseiller est fermé aujourd'hui (Armistice")
    assert ", jour férié). Il est ouvert " in text
    assert text.count("(") == 1 and text.count(")") == 1  # the holiday's only: no parentheses in a row
    if spec != "mon-fri 08:30-18:30":
        assert "8 h 30 à 18 h 30" not in text


def test_closed_message_without_hours_to_tell(monkeypatch):
    from claudia import services
    from claudia.messages import CHAT_FERME, chat_ferme
    monkeypatch.setenv("CLAUDIA_LIVECHAT_HOURS", "")  # always closed: no hours, no reopening
    services.reset()
    try:
        text = chat_ferme(None)
    finally:
        services.reset()
    assert text == f"Le chat avec un conseiller est fermé pour le moment. {CHAT_FERME}"
    assert chat_ferme(None, schedule="le lundi de 9 h à 12 h").startswith(
        "Le chat avec un conseiller est fermé pour le moment. "
        "Il est ouvert le lundi de 9 h à 12 h, hors jours fériés.")
