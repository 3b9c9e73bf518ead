"""The month of the deadline calendar (tasks:calendar), pure: which month a `?month=` asks for, and its
Monday-first grid of days, each marked today, weekend, public holiday or day off (org.calendar's working
calendar), carrying the tasks due that day. No queries: the view reads the month's tasks in one query and
hands them in."""

from __future__ import annotations

import calendar as _stdlib_calendar
import datetime as dt
import functools
import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

import holidays

from org.calendar import WorkingCalendar

#: The months the calendar shows: a deadline outside these years is a typing error, not a plan.
FIRST_YEAR, LAST_YEAR = 1990, 2200

_MONTH = re.compile(r"^\s*(\d{4})-(\d{1,2})\s*$")


def parse_month(raw: str | None, *, today: dt.date) -> tuple[dt.date, bool]:
    """(first day of the month asked for, whether `raw` was understood). No or empty `raw`: today's month,
    understood. Anything that is not `YYYY-MM` with a real month between FIRST_YEAR and LAST_YEAR: today's
    month, not understood (the page says so)."""
    this_month = today.replace(day=1)
    if raw is None or not raw.strip():
        return this_month, True
    m = _MONTH.match(raw)
    if not m:
        return this_month, False
    year, month = int(m.group(1)), int(m.group(2))
    if not (FIRST_YEAR <= year <= LAST_YEAR and 1 <= month <= 12):
        return this_month, False
    return dt.date(year, month, 1), True


def month_shift(first: dt.date, months: int) -> dt.date:
    """The first day of the month `months` after (or before) the month of `first`."""
    index = first.year * 12 + first.month - 1 + months
    return dt.date(index // 12, index % 12 + 1, 1)


def month_key(first: dt.date) -> str:
    """The `?month=` value of a month."""
    return f"{first.year:04d}-{first.month:02d}"


#: The `holidays` package's language for each language of the site (its default follows the process locale).
_HOLIDAY_LANGUAGES = {"vi": "vi", "en": "en_US"}


@functools.lru_cache(maxsize=32)
def _holiday_names(year: int, language: str) -> dict[dt.date, str]:
    return dict(holidays.country_holidays("VN", years=year, language=language))


def holiday_name_in(language: str | None):
    """`day -> name or None`: Vietnam's public holidays named in the site's `language` (Vietnamese unless
    English), for the grid's labels; whether a day is worked is still the working calendar's to say."""
    code = _HOLIDAY_LANGUAGES.get((language or "vi").split("-")[0], "vi")
    return lambda day: _holiday_names(day.year, code).get(day)


@dataclass
class Day:
    date: dt.date
    in_month: bool
    is_today: bool
    is_weekend: bool
    is_working: bool
    holiday: str | None
    tasks: list = field(default_factory=list)

    @property
    def is_day_off(self) -> bool:
        """Not a working day though a weekday (a holiday or an extra day off), or a working Saturday (làm
        bù) the other way round: what the grid marks beyond the plain weekend."""
        return self.is_weekend == self.is_working


@dataclass
class Month:
    first: dt.date
    weeks: list[list[Day]]

    @property
    def last(self) -> dt.date:
        return month_shift(self.first, 1) - dt.timedelta(days=1)

    @property
    def days_with_tasks(self) -> list[Day]:
        """The month's days that have a deadline, in order: the phone's list."""
        return [d for week in self.weeks for d in week if d.in_month and d.tasks]

    @property
    def task_count(self) -> int:
        return sum(len(d.tasks) for week in self.weeks for d in week if d.in_month)


def grid_span(first: dt.date) -> tuple[dt.date, dt.date]:
    """The first Monday and the last Sunday of the grid of the month starting `first`: the days whose tasks
    the grid shows (the neighbouring months' days at its edges included)."""
    weeks = _stdlib_calendar.Calendar(firstweekday=0).monthdatescalendar(first.year, first.month)
    return weeks[0][0], weeks[-1][-1]


def month_grid(
    first: dt.date,
    *,
    today: dt.date,
    working: WorkingCalendar,
    tasks: Iterable = (),
    due=None,
    holiday_name=None,
) -> Month:
    """The Monday-first weeks of the month starting `first`, each day marked and carrying the `tasks` due on
    it (`due(task)` gives a task's day; by default its `effective_due_date`), in the order given. Holidays
    are named by `holiday_name(day)` (by default the working calendar's names)."""
    due = due or (lambda t: t.effective_due_date)
    holiday_name = holiday_name or working.holiday_name
    by_day: dict[dt.date, list] = defaultdict(list)
    for task in tasks:
        by_day[due(task)].append(task)
    weeks = []
    for week in _stdlib_calendar.Calendar(firstweekday=0).monthdatescalendar(first.year, first.month):
        weeks.append(
            [
                Day(
                    date=d,
                    in_month=d.month == first.month,
                    is_today=d == today,
                    is_weekend=d.weekday() >= 5,
                    is_working=working.is_working_day(d),
                    holiday=holiday_name(d),
                    tasks=by_day.get(d, []),
                )
                for d in week
            ]
        )
    return Month(first=first, weeks=weeks)
