"""The pure schedule functions of recurring series (tasks.schedule): periods, the due-day rule, the move to
the next working day across Tết, swapped Saturdays, month ends and 29 February, and the creation day."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from org.calendar import WorkingCalendar
from tasks import schedule as sched

CAL = WorkingCalendar()


def _occ(schedule, year, *, due_day=None, lead_days=0, calendar=CAL, rrule_text=""):
    return sched.occurrences(
        schedule=schedule,
        due_day=due_day,
        lead_days=lead_days,
        starts_on=dt.date(year, 1, 1),
        ends_on=dt.date(year, 12, 31),
        until=dt.date(year, 12, 31),
        calendar=calendar,
        rrule_text=rrule_text,
    )


def test_the_four_report_periods_of_bnv_581_end_at_their_cut_offs():
    periods = list(sched.periods(sched.REPORTS, dt.date(2027, 1, 1), dt.date(2027, 12, 31)))
    assert [(p.key, p.last) for p in periods] == [
        ("2027-BC1", dt.date(2027, 3, 14)),
        ("2027-BC2", dt.date(2027, 6, 14)),
        ("2027-BC3", dt.date(2027, 9, 14)),
        ("2027-BC4", dt.date(2027, 12, 14)),
    ]
    assert all(p.first == dt.date(2026, 12, 15) for p in periods)


def test_the_5th_of_the_period_s_last_month_moved_to_the_next_working_day():
    dues = [(o.key, o.due) for o in _occ(sched.REPORTS, 2027, due_day=5)]
    assert dues == [
        ("2027-BC1", dt.date(2027, 3, 5)),  # a Friday
        ("2027-BC2", dt.date(2027, 6, 7)),  # Saturday 5/6 → Monday
        ("2027-BC3", dt.date(2027, 9, 6)),  # Sunday 5/9 → Monday
        ("2027-BC4", dt.date(2027, 12, 6)),  # Sunday 5/12 → Monday
    ]
    # With no due day, the cut-off itself: 14/3/2027 is a Sunday.
    assert _occ(sched.REPORTS, 2027)[0].due == dt.date(2027, 3, 15)


def test_month_ends_and_29_february():
    feb = {o.key: o.due for o in _occ(sched.MONTHLY, 2028, due_day=31)}
    assert feb["2028-02"] == dt.date(2028, 2, 29)  # a leap year's Tuesday
    # Sunday 30/4 (Reunification Day), Monday 1/5 (Labour Day), and the day off in lieu the calendar gives.
    assert feb["2028-04"] >= dt.date(2028, 5, 2) and feb["2028-04"] == CAL.next_working_day(
        dt.date(2028, 4, 30)
    )
    assert {o.key: o.due for o in _occ(sched.MONTHLY, 2027, due_day=29)}["2027-02"] == dt.date(2027, 3, 1)
    leap = _occ(sched.RRULE, 2028, rrule_text="FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=29")
    assert [o.key for o in leap] == ["2028-02-29"]
    assert _occ(sched.RRULE, 2027, rrule_text="FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=29") == []
    ends = _occ(sched.RRULE, 2027, rrule_text="RRULE:FREQ=MONTHLY;BYMONTHDAY=-1")
    assert [o.period.last.day for o in ends] == [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]


def test_a_due_day_in_tet_waits_for_the_end_of_the_holiday():
    tet = [d for d in (dt.date(2027, 2, 1) + dt.timedelta(days=i) for i in range(28)) if CAL.holiday_name(d)]
    assert tet, "the holidays package knows Tết 2027"
    [feb] = [o for o in _occ(sched.MONTHLY, 2027, due_day=tet[0].day) if o.key == "2027-02"]
    assert feb.due > tet[-1] and CAL.is_working_day(feb.due)
    assert not any(CAL.is_working_day(tet[0] + dt.timedelta(days=i)) for i in range((feb.due - tet[0]).days))


def test_a_swapped_working_saturday_and_an_extra_day_off():
    saturday = dt.date(2027, 6, 5)
    swapped = WorkingCalendar(working_days={saturday})
    assert [o.due for o in _occ(sched.REPORTS, 2027, due_day=5, calendar=swapped)][1] == saturday
    off = WorkingCalendar(extra_days_off={dt.date(2027, 3, 5)})
    assert _occ(sched.REPORTS, 2027, due_day=5, calendar=off)[0].due == dt.date(2027, 3, 8)
    # Created 3 working days before Wednesday 9/6: Tuesday, Monday, and the swapped Saturday.
    [_, june, *_rest] = _occ(sched.REPORTS, 2027, due_day=9, lead_days=3, calendar=swapped)
    assert june.due == dt.date(2027, 6, 9) and june.create_on == saturday
    assert _occ(sched.REPORTS, 2027, due_day=9, lead_days=3)[1].create_on == dt.date(2027, 6, 4)


def test_quarterly_yearly_and_the_series_end():
    assert [o.key for o in _occ(sched.QUARTERLY, 2027)] == ["2027-Q1", "2027-Q2", "2027-Q3", "2027-Q4"]
    assert [o.key for o in _occ(sched.YEARLY, 2027, due_day=15)] == ["2027"]
    cut = sched.occurrences(
        schedule=sched.MONTHLY,
        due_day=10,
        lead_days=0,
        starts_on=dt.date(2027, 3, 1),
        ends_on=dt.date(2027, 5, 1),
        until=dt.date(2028, 1, 1),
        calendar=CAL,
    )
    assert [o.key for o in cut] == ["2027-03", "2027-04"]


@pytest.mark.parametrize(
    "rule", ["", "FREQ=HOURLY", "FREQ=MONTHLY;FOO=1", "DTSTART:20270101\nRRULE:FREQ=DAILY"]
)
def test_an_unreadable_or_too_frequent_rule_is_refused(rule):
    with pytest.raises(ValueError):
        sched.parse_rrule(rule, dt.date(2027, 1, 1))


@settings(max_examples=60, deadline=None)
@given(
    schedule=st.sampled_from([sched.MONTHLY, sched.QUARTERLY, sched.REPORTS, sched.YEARLY]),
    year=st.integers(min_value=2024, max_value=2030),
    due_day=st.one_of(st.none(), st.integers(min_value=1, max_value=31)),
    lead_days=st.integers(min_value=0, max_value=30),
)
def test_every_occurrence_is_due_on_the_first_working_day_from_its_rule_date(
    schedule, year, due_day, lead_days
):
    found = _occ(schedule, year, due_day=due_day, lead_days=lead_days)
    assert len({o.key for o in found}) == len(found)
    for o in found:
        rule = sched.rule_date(o.period, schedule, due_day)
        assert (rule.year, rule.month) == (o.period.last.year, o.period.last.month)
        assert CAL.is_working_day(o.due) and o.due >= rule
        assert not any(CAL.is_working_day(rule + dt.timedelta(days=i)) for i in range((o.due - rule).days))
        assert CAL.is_working_day(o.create_on)
        assert CAL.working_days_between(o.create_on, o.due) == lead_days
