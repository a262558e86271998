"""Acknowledgement deadlines in Dutch working days: weekends and national holidays do not count."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest

from meldpunt.workdays import add_working_days, deadline_after, easter_sunday, is_working_day, public_holidays

AMSTERDAM = ZoneInfo("Europe/Amsterdam")


@pytest.mark.parametrize(
    ("year", "easter"),
    [
        (2024, date(2024, 3, 31)),
        (2025, date(2025, 4, 20)),
        (2026, date(2026, 4, 5)),
        (2038, date(2038, 4, 25)),
    ],
)
def test_easter_sunday(year: int, easter: date) -> None:
    assert easter_sunday(year) == easter


def test_holidays_of_2026() -> None:
    holidays = public_holidays(2026)
    assert {
        date(2026, 1, 1),
        date(2026, 4, 6),  # Tweede Paasdag
        date(2026, 4, 27),  # Koningsdag
        date(2026, 5, 14),  # Hemelvaartsdag
        date(2026, 5, 25),  # Tweede Pinksterdag
        date(2026, 12, 25),
        date(2026, 12, 26),
    } <= holidays
    assert date(2026, 5, 5) not in holidays  # Bevrijdingsdag is a day off in lustrum years only
    assert date(2025, 5, 5) in public_holidays(2025)
    assert is_working_day(date(2026, 4, 3))  # Goede Vrijdag is a working day
    assert not is_working_day(date(2026, 4, 6))


def test_kings_day_moves_to_saturday_when_the_27th_is_a_sunday() -> None:
    # 27 April 2025 was a Sunday.
    assert date(2025, 4, 26) in public_holidays(2025)
    assert date(2025, 4, 27) not in public_holidays(2025)


def test_weekend_is_skipped() -> None:
    friday = date(2026, 11, 20)
    assert add_working_days(friday, 1) == date(2026, 11, 23)
    assert add_working_days(friday, 2) == date(2026, 11, 24)
    assert add_working_days(friday, 0) == friday


def test_christmas_and_weekend_are_skipped() -> None:
    # Thursday 24 December 2026; 25 and 26 are holidays, 27 is a Sunday.
    assert add_working_days(date(2026, 12, 24), 1) == date(2026, 12, 28)


def test_deadline_is_the_end_of_the_due_day_in_amsterdam() -> None:
    # Friday 23:30 in Amsterdam (22:30 UTC): the day of receipt is the Amsterdam day, Friday.
    received = datetime(2026, 11, 20, 23, 30, tzinfo=AMSTERDAM)
    due = deadline_after(received, 2)
    assert due == datetime(2026, 11, 24, 23, 59, 59, tzinfo=AMSTERDAM)


def test_negative_days_are_refused() -> None:
    with pytest.raises(ValueError):
        add_working_days(date(2026, 1, 1), -1)
