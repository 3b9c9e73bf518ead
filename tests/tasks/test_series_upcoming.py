"""What the series pages show of a schedule (`TaskSeries.upcoming`): the next due dates, each the due-day
rule's date moved to the next working day, skipped occurrences marked; a preview of a series not saved."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from org.calendar import get_calendar
from tasks.models import TaskSeries

pytestmark = pytest.mark.django_db


def test_upcoming_report_periods_fall_on_the_cut_offs_moved_to_working_days(world):
    today = timezone.localdate()
    s = TaskSeries(plan=world.plan, title="BC", schedule="reports", starts_on=today, lead_days=5)
    got = s.upcoming(today, count=8)
    cal = get_calendar()
    expected = []
    year = today.year
    while len(expected) < 8:
        for month in (3, 6, 9, 12):
            rule = dt.date(year, month, 14)
            if cal.next_working_day(rule) >= today and len(expected) < 8:
                expected.append((rule, cal.next_working_day(rule)))
        year += 1
    assert [(o.rule_date, o.due) for o in got] == expected
    assert all(o.moved == (o.rule_date != o.due) for o in got)
    assert all(cal.is_working_day(o.due) and o.create_on == cal.add_working_days(o.due, -5) for o in got)
    assert all(o.key.endswith(("BC1", "BC2", "BC3", "BC4")) for o in got)


def test_upcoming_marks_skips_and_stops_at_the_end(world):
    today = timezone.localdate()
    s = TaskSeries(
        plan=world.plan,
        title="Tháng",
        schedule="monthly",
        due_day=31,
        starts_on=today,
        ends_on=today + dt.timedelta(days=100),
    )
    first, second, *rest = s.upcoming(today, count=12)
    assert len(rest) <= 2  # about three month ends in 100 days, never past the end date
    assert all(o.due <= s.ends_on for o in (first, second, *rest))
    s.skipped = [second.key]
    assert [o.skipped for o in s.upcoming(today, count=12)][:2] == [False, True]


def test_upcoming_of_an_unreadable_rule_is_a_value_error(world):
    s = TaskSeries(
        plan=world.plan, title="R", schedule="rrule", rrule="FREQ=NEVER", starts_on=timezone.localdate()
    )
    with pytest.raises(ValueError):
        s.upcoming(timezone.localdate())
    s.rrule = "FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=29"  # only leap years: sparse, still found
    days = [o.due for o in s.upcoming(timezone.localdate(), count=2)]
    assert len(days) == 2 and days[1].year - days[0].year in (4, 8)
