"""org.calendar.WorkingCalendar against real Vietnamese dates: Tết 2020, 30/4–1/5, the 2025 and 2026 swapped
days, and the admin table of extra days off and working Saturdays. Pure: no database."""

from datetime import date, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from org.calendar import WorkingCalendar

CAL = WorkingCalendar()


def days(start: date, end: date) -> list[date]:
    return [start + timedelta(days=i) for i in range((end - start).days + 1)]


def test_tet_2020_is_off_from_23_to_29_january():
    for day in days(date(2020, 1, 23), date(2020, 1, 29)):
        assert not CAL.is_working_day(day), day
    assert CAL.is_working_day(date(2020, 1, 22))  # Wednesday before Tết
    assert CAL.is_working_day(date(2020, 1, 30))  # Thursday after
    assert CAL.add_working_days(date(2020, 1, 22), 1) == date(2020, 1, 30)
    assert CAL.add_working_days(date(2020, 1, 30), -1) == date(2020, 1, 22)
    assert CAL.next_working_day(date(2020, 1, 25)) == date(2020, 1, 30)
    assert CAL.working_days_in(date(2020, 1, 20), date(2020, 1, 31)) == 5  # 20, 21, 22, 30, 31
    assert CAL.holiday_name(date(2020, 1, 25)) is not None
    assert CAL.holiday_name(date(2020, 1, 30)) is None


def test_30_april_and_1_may_2020_are_off():
    assert not CAL.is_working_day(date(2020, 4, 30))
    assert not CAL.is_working_day(date(2020, 5, 1))
    assert CAL.is_working_day(date(2020, 4, 29))
    assert CAL.next_working_day(date(2020, 4, 30)) == date(2020, 5, 4)  # Thu, Fri off, then the weekend
    assert CAL.add_working_days(date(2020, 4, 29), 1) == date(2020, 5, 4)
    assert CAL.working_days_between(date(2020, 4, 27), date(2020, 5, 8)) == 7  # 28, 29, 4, 5, 6, 7, 8


def test_2025_swap_saturday_26_april_worked_friday_2_may_off():
    assert CAL.is_working_day(date(2025, 4, 26))
    assert not CAL.is_working_day(date(2025, 4, 19))  # an ordinary Saturday
    assert not CAL.is_working_day(date(2025, 4, 30))
    assert not CAL.is_working_day(date(2025, 5, 1))
    assert not CAL.is_working_day(date(2025, 5, 2))
    assert CAL.add_working_days(date(2025, 4, 25), 1) == date(2025, 4, 26)
    assert CAL.add_working_days(date(2025, 4, 29), 1) == date(2025, 5, 5)
    assert CAL.add_working_days(date(2025, 5, 5), -3) == date(2025, 4, 26)
    # 21–25 April, Saturday 26, Monday 28 and Tuesday 29; nothing from 30 April to 4 May.
    assert CAL.working_days_in(date(2025, 4, 21), date(2025, 5, 4)) == 8


def test_2026_swap_saturday_22_august_worked_monday_31_august_off():
    assert CAL.is_working_day(date(2026, 8, 22))
    assert not CAL.is_working_day(date(2026, 8, 29))  # an ordinary Saturday
    assert not CAL.is_working_day(date(2026, 8, 31))
    assert not CAL.is_working_day(date(2026, 9, 1))
    assert not CAL.is_working_day(date(2026, 9, 2))
    assert CAL.add_working_days(date(2026, 8, 21), 1) == date(2026, 8, 22)
    assert CAL.add_working_days(date(2026, 8, 28), 1) == date(2026, 9, 3)
    assert CAL.next_working_day(date(2026, 8, 31)) == date(2026, 9, 3)
    # Saturday 22, 24–28 August, 3 and 4 September.
    assert CAL.working_days_between(date(2026, 8, 21), date(2026, 9, 4)) == 8


def test_admin_extra_day_off_and_working_saturday():
    extra_off = date(2020, 3, 4)  # a Wednesday
    worked = date(2020, 3, 7)  # a Saturday
    cal = WorkingCalendar(extra_days_off=[extra_off], working_days=[worked])
    assert CAL.is_working_day(extra_off) and not cal.is_working_day(extra_off)
    assert not CAL.is_working_day(worked) and cal.is_working_day(worked)
    assert cal.add_working_days(date(2020, 3, 3), 1) == date(2020, 3, 5)
    assert cal.add_working_days(date(2020, 3, 6), 1) == date(2020, 3, 7)
    assert cal.working_days_in(date(2020, 3, 2), date(2020, 3, 8)) == 5  # Mon, Tue, Thu, Fri, Sat


def test_admin_overrides_beat_the_national_calendar():
    # The admin table is the last word: it can cancel a swapped Saturday or make a holiday a working day.
    cal = WorkingCalendar(extra_days_off=[date(2025, 4, 26)], working_days=[date(2025, 5, 2)])
    assert not cal.is_working_day(date(2025, 4, 26))
    assert cal.is_working_day(date(2025, 5, 2))
    assert cal.add_working_days(date(2025, 4, 25), 1) == date(2025, 4, 28)


def test_sign_conventions_and_empty_ranges():
    assert CAL.next_working_day(date(2020, 2, 5)) == date(2020, 2, 5)
    assert CAL.add_working_days(date(2020, 2, 8), 0) == date(2020, 2, 10)  # Saturday → Monday
    assert CAL.add_working_days(date(2020, 2, 8), -1) == date(2020, 2, 7)
    assert CAL.working_days_between(date(2020, 2, 10), date(2020, 2, 7)) == -1
    assert CAL.working_days_between(date(2020, 2, 7), date(2020, 2, 7)) == 0
    assert CAL.working_days_in(date(2020, 2, 7), date(2020, 2, 6)) == 0
    assert CAL.working_days_in(date(2020, 2, 8), date(2020, 2, 9)) == 0


@pytest.mark.parametrize(
    ("day", "working"),
    [
        (date(2019, 1, 5), True),  # Saturday worked for Monday 31/12/2018
        (date(2018, 12, 31), False),
        (date(2014, 12, 27), True),  # Saturday worked for Friday 2/1/2015
        (date(2015, 1, 2), False),
    ],
)
def test_swaps_that_cross_a_year_boundary(day, working):
    # A fresh calendar per case: the swap must be known whichever year is looked at first.
    assert WorkingCalendar().is_working_day(day) is working


@settings(max_examples=200, deadline=None)
@given(
    day=st.dates(min_value=date(2019, 1, 1), max_value=date(2027, 12, 31)),
    n=st.integers(min_value=-300, max_value=300),
)
def test_adding_working_days_and_counting_them_agree(day, n):
    start = CAL.next_working_day(day)
    end = CAL.add_working_days(start, n)
    assert CAL.is_working_day(end)
    assert CAL.working_days_between(start, end) == n
