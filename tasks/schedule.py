"""When the occurrences of a recurring series fall (issue 15). Pure functions of dates and a working-day
calendar: no database, so they are tested across Tết, swapped Saturdays, month ends and 29 February.

A schedule cuts time into periods, each with a key that names it for good ("2027-03", "2027-Q1",
"2027-BC1" … "2027-BC4", "2027", or an RFC 5545 occurrence's date):
- `monthly`, `quarterly`, `yearly`: calendar months, quarters, years;
- `reports`: the four CCHC report periods of BNV letter 581/BNV-CCHC, whose data run to the cut-offs
  14/3 (Q1), 14/6 (6 months), 14/9 (Q3) and 14/12 (the year), each from the day after the previous one;
- `rrule`: an RFC 5545 rule (python-dateutil), each occurrence its own one-day period.

An occurrence is due on the due-day rule's date, moved to the next working day: the `due_day` of the
period's last month (clamped to its last day, so 31 is every month's end and 29 February only in leap
years), or with no due day the period's last day (for the report periods, the cut-off). It is created
`lead_days` working days before it is due.
"""

from __future__ import annotations

import calendar as pycalendar
import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass

from dateutil import rrule as du_rrule

MONTHLY, QUARTERLY, REPORTS, YEARLY, RRULE = "monthly", "quarterly", "reports", "yearly", "rrule"
SCHEDULES = (MONTHLY, QUARTERLY, REPORTS, YEARLY, RRULE)
#: BNV 581/BNV-CCHC: (key suffix, cut-off month); the cut-off day is the 14th.
REPORT_PERIODS = (("BC1", 3), ("BC2", 6), ("BC3", 9), ("BC4", 12))
REPORT_CUTOFF_DAY = 14
#: An RRULE more frequent than daily is no task schedule.
_RRULE_FREQS = {du_rrule.YEARLY, du_rrule.MONTHLY, du_rrule.WEEKLY, du_rrule.DAILY}


@dataclass(frozen=True)
class Period:
    key: str
    first: dt.date
    last: dt.date


@dataclass(frozen=True)
class Occurrence:
    key: str
    due: dt.date  # the working day it is due
    create_on: dt.date  # the working day it is created
    period: Period


def _month_end(year: int, month: int) -> dt.date:
    return dt.date(year, month, pycalendar.monthrange(year, month)[1])


def parse_rrule(text: str, dtstart: dt.date) -> du_rrule.rrule:
    """The rule of an RFC 5545 RRULE text (with or without the `RRULE:` prefix), from `dtstart`; ValueError
    when it cannot be read, has its own DTSTART, or is more frequent than daily."""
    text = (text or "").strip()
    if not text:
        raise ValueError("empty rule")
    if "DTSTART" in text.upper():
        raise ValueError("DTSTART is the series' start date")
    start = dt.datetime.combine(dtstart, dt.time())
    rule = du_rrule.rrulestr(text, dtstart=start)
    if not isinstance(rule, du_rrule.rrule) or rule._freq not in _RRULE_FREQS:
        raise ValueError("a rule at most daily")
    return rule


def periods(schedule: str, start: dt.date, end: dt.date, *, rrule_text: str = "") -> Iterator[Period]:
    """The periods of `schedule` whose last day lies in [start, end], in order."""
    if schedule == RRULE:
        rule = parse_rrule(rrule_text, start)
        for moment in rule.between(
            dt.datetime.combine(start, dt.time()), dt.datetime.combine(end, dt.time()), inc=True
        ):
            day = moment.date()
            yield Period(day.isoformat(), day, day)
        return
    for year in range(start.year, end.year + 1):
        for period in _year_periods(schedule, year):
            if start <= period.last <= end:
                yield period


def _year_periods(schedule: str, year: int) -> list[Period]:
    if schedule == MONTHLY:
        return [Period(f"{year}-{m:02d}", dt.date(year, m, 1), _month_end(year, m)) for m in range(1, 13)]
    if schedule == QUARTERLY:
        return [
            Period(f"{year}-Q{q}", dt.date(year, 3 * q - 2, 1), _month_end(year, 3 * q)) for q in range(1, 5)
        ]
    if schedule == YEARLY:
        return [Period(str(year), dt.date(year, 1, 1), dt.date(year, 12, 31))]
    if schedule == REPORTS:
        out = []
        first = dt.date(year - 1, 12, REPORT_CUTOFF_DAY + 1)
        for suffix, month in REPORT_PERIODS:
            # Every report counts from the year's start (15/12 of the year before), to its own cut-off.
            out.append(Period(f"{year}-{suffix}", first, dt.date(year, month, REPORT_CUTOFF_DAY)))
        return out
    raise ValueError(f"unknown schedule {schedule!r}")


def rule_date(period: Period, schedule: str, due_day: int | None) -> dt.date:
    """The date the due-day rule gives in `period`, before moving it to a working day."""
    if schedule == RRULE or due_day is None:
        return period.last
    last = period.last
    return dt.date(last.year, last.month, min(due_day, pycalendar.monthrange(last.year, last.month)[1]))


def occurrences(
    *,
    schedule: str,
    due_day: int | None,
    lead_days: int,
    starts_on: dt.date,
    ends_on: dt.date | None,
    until: dt.date,
    calendar,
    rrule_text: str = "",
) -> list[Occurrence]:
    """The occurrences due in [starts_on, min(ends_on, until)] (their working due day), each with the
    working day it is created on."""
    end = min(ends_on, until) if ends_on else until
    if end < starts_on:
        return []
    out = []
    # A period whose rule date is late in the month, moved over a holiday, may be due a little after its
    # last day: look a month further and filter by the due day.
    for period in periods(schedule, starts_on, end + dt.timedelta(days=31), rrule_text=rrule_text):
        due = calendar.next_working_day(rule_date(period, schedule, due_day))
        if not (starts_on <= due <= end):
            continue
        create_on = calendar.add_working_days(due, -lead_days) if lead_days else due
        out.append(Occurrence(period.key, due, create_on, period))
    return out
