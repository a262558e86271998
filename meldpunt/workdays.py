"""Working days in the Netherlands, for acknowledgement deadlines.

Weekends and the national public holidays count as non-working days: Nieuwjaarsdag, Eerste en Tweede Paasdag, Koningsdag (27 April, or 26 April when the 27th
is a Sunday), Bevrijdingsdag in lustrum years (every fifth year, when it is a general day off by most
collective agreements), Hemelvaartsdag, Eerste en Tweede Pinksterdag, Eerste en Tweede Kerstdag. Goede Vrijdag is not a general day
off and counts as a working day.
Source: Algemene termijnenwet, art. 3, and rijksoverheid.nl, "Officiële feestdagen".
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from functools import cache
from zoneinfo import ZoneInfo

from django.conf import settings


def easter_sunday(year: int) -> date:
    """Easter Sunday in the Gregorian calendar (the anonymous Gregorian computus)."""
    golden = year % 19
    century, year_of_century = divmod(year, 100)
    leap_centuries, century_rest = divmod(century, 4)
    moon_correction = (century + 8) // 25
    sun_correction = (century - moon_correction + 1) // 3
    epact = (19 * golden + century - leap_centuries - sun_correction + 15) % 30
    leap_years, year_rest = divmod(year_of_century, 4)
    weekday = (32 + 2 * century_rest + 2 * leap_years - epact - year_rest) % 7
    offset = (golden + 11 * epact + 22 * weekday) // 451
    month, day = divmod(epact + weekday - 7 * offset + 114, 31)
    return date(year, month, day + 1)


@cache
def public_holidays(year: int) -> frozenset[date]:
    easter = easter_sunday(year)
    kings_day = date(year, 4, 27)
    if kings_day.weekday() == 6:
        kings_day = date(year, 4, 26)
    days = {
        date(year, 1, 1),
        easter,
        easter + timedelta(days=1),
        kings_day,
        easter + timedelta(days=39),  # Hemelvaartsdag
        easter + timedelta(days=49),  # Eerste Pinksterdag
        easter + timedelta(days=50),  # Tweede Pinksterdag
        date(year, 12, 25),
        date(year, 12, 26),
    }
    if year % 5 == 0:
        days.add(date(year, 5, 5))
    return frozenset(days)


def is_working_day(day: date) -> bool:
    return day.weekday() < 5 and day not in public_holidays(day.year)


def add_working_days(start: date, days: int) -> date:
    """The working day `days` working days after `start` (start itself does not count)."""
    if days < 0:
        raise ValueError("days must not be negative")
    current = start
    remaining = days
    while remaining:
        current += timedelta(days=1)
        if is_working_day(current):
            remaining -= 1
    return current


def deadline_after(moment: datetime, working_days: int) -> datetime:
    """The end of the working day that is `working_days` working days after the day of `moment`, in the
    Dutch time zone: a report received on Friday evening with two working days is due Tuesday 23:59:59."""
    zone = ZoneInfo(settings.TIME_ZONE)
    local_day = moment.astimezone(zone).date()
    due_day = add_working_days(local_day, working_days)
    return datetime.combine(due_day, time(23, 59, 59), tzinfo=zone)
