"""The pure policy of the assessment round's deadline reminders (SPEC §3a): 7, 3, 1, 0 working days before
the self-assessment deadline, 3, 1, 0 before the explanation deadline, from 08:00 on working days, only the
latest after downtime, nothing once the deadline is over. No database, no clock: real Vietnamese calendars
and explicit moments."""

from datetime import UTC, date, datetime, time, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from notifications.policy import (
    ROUND_OFFSETS,
    VN_TZ,
    ReminderPolicy,
    in_sending_window,
    round_last_day,
    round_reminder_offset,
)
from org.calendar import WorkingCalendar

CAL = WorkingCalendar()
SELF, EXPLAIN = "self_assessment_due", "explanation_due"
# Wednesday 5/2/2020, just after Tết (23–29/1/2020 off).
AFTER_TET = date(2020, 2, 5)


def at(day: date, hh: int = 8, mm: int = 0) -> datetime:
    return datetime.combine(day, time(hh, mm), tzinfo=VN_TZ)


def offset(deadline, kind, moment, calendar=CAL, **kw):
    return round_reminder_offset(deadline, kind, moment, calendar, **kw)


def daily(deadline, kind, start, end, calendar=CAL, clock=(8, 0)):
    """(day, offset) of each day in [start, end] at `clock` that gives an offset."""
    result = []
    day = start
    while day <= end:
        got = offset(deadline, kind, at(day, *clock), calendar)
        if got is not None:
            result.append((day, got))
        day += timedelta(days=1)
    return result


def firsts(pairs):
    """The day each offset is first given: what the ledger plans (a repeat of an offset is a no-op)."""
    seen: dict[int, date] = {}
    for day, k in pairs:
        seen.setdefault(k, day)
    return sorted(seen.items(), key=lambda kv: kv[1])


def test_self_assessment_offsets_skip_tet_and_weekends():
    pairs = daily(AFTER_TET, SELF, date(2020, 1, 1), date(2020, 2, 20))
    assert firsts(pairs) == [
        (7, date(2020, 1, 20)),
        (3, date(2020, 1, 31)),  # Tết 23–29/1 and the weekends are not counted
        (1, date(2020, 2, 4)),
        (0, date(2020, 2, 5)),
    ]
    # Every day the offset stays the latest due (the ledger sends it once), never on a day off.
    assert all(CAL.is_working_day(day) for day, _k in pairs)
    assert (date(2020, 1, 24), 7) not in pairs  # Tết
    assert pairs[-1] == (date(2020, 2, 5), 0)  # nothing after the deadline


def test_explanation_offsets_are_3_1_0():
    pairs = daily(AFTER_TET, EXPLAIN, date(2020, 1, 1), date(2020, 2, 20))
    assert firsts(pairs) == [(3, date(2020, 1, 31)), (1, date(2020, 2, 4)), (0, date(2020, 2, 5))]
    assert offset(AFTER_TET, EXPLAIN, at(date(2020, 1, 20))) is None  # no 7 for an explanation


def test_only_from_08_00_in_the_sending_window():
    d7 = date(2020, 1, 20)
    assert offset(AFTER_TET, SELF, at(d7, 7, 59)) is None
    assert offset(AFTER_TET, SELF, at(d7, 8, 0)) == 7
    assert offset(AFTER_TET, SELF, at(d7, 16, 59)) == 7
    assert offset(AFTER_TET, SELF, at(d7, 17, 0)) is None  # the window closes; the next working morning
    assert offset(AFTER_TET, SELF, at(date(2020, 1, 18), 9, 0)) is None  # Saturday
    assert offset(AFTER_TET, SELF, at(date(2020, 1, 27), 9, 0)) is None  # Tết
    # The same moment in UTC is the same answer.
    assert offset(AFTER_TET, SELF, at(d7, 8, 0).astimezone(UTC)) == 7
    # The global policy's window applies.
    early = ReminderPolicy(send_at=time(7, 0))
    assert offset(AFTER_TET, SELF, at(d7, 7, 30), policy=early) == 7


def test_after_downtime_only_the_latest_offset():
    # Down from before the 7-day reminder until the day before the deadline: one reminder, the 1-day one.
    assert offset(AFTER_TET, SELF, at(date(2020, 2, 4), 10, 30)) == 1
    # Between two reminder days the latest is still the one due (planned once by the ledger).
    assert offset(AFTER_TET, SELF, at(date(2020, 1, 22), 9, 0)) == 7
    assert offset(AFTER_TET, SELF, at(date(2020, 2, 3), 9, 0)) == 3
    # Before the first reminder day, nothing.
    assert offset(AFTER_TET, SELF, at(date(2020, 1, 17), 9, 0)) is None
    assert offset(AFTER_TET, EXPLAIN, at(date(2020, 1, 30), 9, 0)) is None


def test_nothing_after_the_deadline():
    assert offset(AFTER_TET, SELF, at(AFTER_TET, 16, 0)) == 0
    assert offset(AFTER_TET, SELF, at(date(2020, 2, 6), 8, 0)) is None
    assert offset(AFTER_TET, EXPLAIN, at(date(2020, 3, 2), 8, 0)) is None


def test_a_deadline_on_a_day_off_ends_with_the_next_working_day():
    saturday = date(2020, 2, 8)
    assert round_last_day(saturday, CAL) == date(2020, 2, 10)  # as a task's due date: Monday
    assert firsts(daily(saturday, EXPLAIN, date(2020, 1, 1), date(2020, 2, 20))) == [
        (3, date(2020, 2, 5)),
        (1, date(2020, 2, 7)),
        (0, date(2020, 2, 10)),
    ]
    assert offset(saturday, EXPLAIN, at(date(2020, 2, 11))) is None
    # The admin's extra day off moves them too.
    calendar = WorkingCalendar(extra_days_off={date(2020, 2, 6)})
    assert firsts(daily(saturday, EXPLAIN, date(2020, 1, 1), date(2020, 2, 20), calendar)) == [
        (3, date(2020, 2, 4)),
        (1, date(2020, 2, 7)),
        (0, date(2020, 2, 10)),
    ]


def test_bad_input_is_refused():
    with pytest.raises(ValueError, match="unknown round reminder kind"):
        offset(AFTER_TET, "results_published", at(date(2020, 2, 4)))
    with pytest.raises(ValueError, match="aware"):
        offset(AFTER_TET, SELF, datetime(2020, 2, 4, 8, 0))


def days_between(start: date, end: date):
    """The days from `start` up to, not including, `end`."""
    day = start
    while day < end:
        yield day
        day += timedelta(days=1)


# --- properties -------------------------------------------------------------------------------------------

DAYS = st.dates(min_value=date(2019, 1, 1), max_value=date(2030, 12, 31))


@st.composite
def calendars(draw):
    if draw(st.booleans()):
        return CAL
    near = st.dates(min_value=date(2018, 12, 1), max_value=date(2031, 1, 31))
    return WorkingCalendar(
        extra_days_off=draw(st.sets(near, max_size=20)), working_days=draw(st.sets(near, max_size=10))
    )


@settings(max_examples=300, deadline=None)
@given(
    calendar=calendars(),
    deadline=DAYS,
    kind=st.sampled_from(sorted(ROUND_OFFSETS)),
    days_before=st.integers(-10, 40),
    clock=st.times(),
)
def test_property_the_offset_due_is_the_latest_whose_day_has_come(
    calendar, deadline, kind, days_before, clock
):
    moment = datetime.combine(deadline - timedelta(days=days_before), clock, tzinfo=VN_TZ)
    today = moment.date()
    got = round_reminder_offset(deadline, kind, moment, calendar)
    last = round_last_day(deadline, calendar)
    assert calendar.is_working_day(last) and last >= deadline
    assert all(not calendar.is_working_day(d) for d in days_between(deadline, last))
    day_of = {k: calendar.add_working_days(last, -k) for k in ROUND_OFFSETS[kind]}
    come = [k for k, day in day_of.items() if day <= today]
    if not in_sending_window(moment, ReminderPolicy(), calendar) or today > last:
        assert got is None
    elif not come:
        assert got is None  # before the first reminder day
    else:
        assert got == min(come)  # the most recent: the smallest offset whose day has come
        assert calendar.is_working_day(today) and today <= last
        assert calendar.working_days_between(today, last) <= got <= max(ROUND_OFFSETS[kind])


@settings(max_examples=60, deadline=None)
@given(calendar=calendars(), deadline=DAYS, kind=st.sampled_from(sorted(ROUND_OFFSETS)))
def test_property_each_offset_first_comes_on_its_working_day_in_order(calendar, deadline, kind):
    last = round_last_day(deadline, calendar)
    start = calendar.add_working_days(last, -max(ROUND_OFFSETS[kind])) - timedelta(days=10)
    pairs = daily(deadline, kind, start, last + timedelta(days=10), calendar)
    assert firsts(pairs) == [(k, calendar.add_working_days(last, -k)) for k in ROUND_OFFSETS[kind]]
    assert all(calendar.is_working_day(day) and day <= last for day, _k in pairs)
    # The offsets only ever decrease as the days pass: never a stale one after a newer one.
    values = [k for _day, k in pairs]
    assert values == sorted(values, reverse=True)
