"""The working-day calendar (SPEC §4): Monday to Friday, less Vietnam's public holidays (the `holidays`
package, which also knows the swapped working Saturdays it has been told about), plus the admin table of
extra days off and working Saturdays (`org.models.CalendarDay`).

`WorkingCalendar` is pure: it takes its overrides as plain sets, so the reminder policy and the scoring
rules can be tested without a database. `get_calendar()` builds one from the database and caches it until
the admin table changes. It lives in `org` so that `tasks`, `notifications` and `scoring` can all use it
without depending on each other.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from functools import lru_cache

import holidays

# A due date or reminder further than this from today is not a real deadline: refuse to loop forever.
_MAX_SCAN_DAYS = 3660


class WorkingCalendar:
    """Which days are working days, and arithmetic in working days."""

    def __init__(self, *, extra_days_off: Iterable[dt.date] = (), working_days: Iterable[dt.date] = ()):
        self.extra_days_off = frozenset(extra_days_off)
        self.working_days = frozenset(working_days)
        self._vn = holidays.country_holidays("VN")
        self._cache: dict[dt.date, bool] = {}

    def is_working_day(self, day: dt.date) -> bool:
        try:
            return self._cache[day]
        except KeyError:
            pass
        if day in self.working_days:
            result = True
        elif day in self.extra_days_off or day in self._vn:
            result = False
        elif day.weekday() >= 5:
            result = day in self._vn.weekend_workdays
        else:
            result = True
        self._cache[day] = result
        return result

    def holiday_name(self, day: dt.date) -> str | None:
        return self._vn.get(day)

    def next_working_day(self, day: dt.date) -> dt.date:
        """`day` itself when it is a working day, else the first working day after it (Civil Code art.
        148)."""
        for _ in range(_MAX_SCAN_DAYS):
            if self.is_working_day(day):
                return day
            day += dt.timedelta(days=1)
        raise ValueError("no working day within ten years")

    def add_working_days(self, day: dt.date, n: int) -> dt.date:
        """The working day `n` working days after (n > 0) or before (n < 0) `day`; n = 0 gives
        `next_working_day(day)`."""
        if n == 0:
            return self.next_working_day(day)
        step = dt.timedelta(days=1 if n > 0 else -1)
        remaining = abs(n)
        for _ in range(_MAX_SCAN_DAYS):
            day += step
            if self.is_working_day(day):
                remaining -= 1
                if remaining == 0:
                    return day
        raise ValueError("working-day arithmetic beyond ten years")

    def working_days_between(self, start: dt.date, end: dt.date) -> int:
        """Working days in (start, end]: how many working days `end` lies after `start` (negative when
        `end` is before `start`)."""
        if end == start:
            return 0
        sign = 1
        if end < start:
            start, end, sign = end, start, -1
        if (end - start).days > _MAX_SCAN_DAYS:
            raise ValueError("working-day arithmetic beyond ten years")
        count = 0
        day = start
        while day < end:
            day += dt.timedelta(days=1)
            if self.is_working_day(day):
                count += 1
        return sign * count

    def working_days_in(self, start: dt.date, end: dt.date) -> int:
        """Working days in [start, end], both included (a task's length)."""
        if end < start:
            return 0
        return self.working_days_between(start - dt.timedelta(days=1), end)


@lru_cache(maxsize=1)
def _cached_calendar(version: int) -> WorkingCalendar:
    from org.models import CalendarDay

    off, working = [], []
    for day, is_working in CalendarDay.objects.values_list("date", "is_working"):
        (working if is_working else off).append(day)
    return WorkingCalendar(extra_days_off=off, working_days=working)


def get_calendar() -> WorkingCalendar:
    """The calendar with the admin table applied; rebuilt when the table changes (any process)."""
    from django.core.cache import cache

    version = cache.get("org:calendar-version") or 0
    return _cached_calendar(version)


def calendar_changed() -> None:
    """Invalidate every process's cached calendar (called after the admin table changes)."""
    from django.core.cache import cache

    try:
        cache.incr("org:calendar-version")
    except ValueError:
        cache.set("org:calendar-version", 1, None)
    _cached_calendar.cache_clear()
