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
import time
from bisect import bisect_left, bisect_right
from collections.abc import Iterable

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
        # The working days of a span of whole years, in order: day arithmetic inside it is a bisection
        # instead of a walk (a planning cycle does it for tens of thousands of tasks). Outside it, the walk.
        self._span: tuple[dt.date, dt.date] | None = None
        self._days: list[dt.date] = []

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

    def _indexed(self, *days: dt.date) -> list[dt.date] | None:
        """The ordered working days of a span holding `days` (built around the first use: two years each
        side, widened on demand up to ten years), or None for days too far apart to index."""
        lo, hi = min(days), max(days)
        if self._span is None or not (self._span[0] <= lo and hi <= self._span[1]):
            if self._span is not None:
                lo, hi = min(lo, self._span[0]), max(hi, self._span[1])
            first, last = dt.date(max(lo.year - 2, 1), 1, 1), dt.date(min(hi.year + 2, 9999), 12, 31)
            if (last - first).days > _MAX_SCAN_DAYS:
                return None
            span = [first + dt.timedelta(days=i) for i in range((last - first).days + 1)]
            self._days = [d for d in span if self.is_working_day(d)]
            self._span = (first, last)
        return self._days

    def next_working_day(self, day: dt.date) -> dt.date:
        """`day` itself when it is a working day, else the first working day after it (Civil Code art.
        148)."""
        days = self._indexed(day)
        if days is not None:
            i = bisect_left(days, day)
            if i < len(days):
                return days[i]
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
        days = self._indexed(day)
        if days is not None:
            # Working days up to and including `day` (n > 0), or before it (n < 0).
            i = bisect_right(days, day) + n - 1 if n > 0 else bisect_left(days, day) + n
            if 0 <= i < len(days):
                return days[i]
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
        days = self._indexed(start, end)
        if days is not None:
            return sign * (bisect_right(days, end) - bisect_right(days, start))
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


# How long a process trusts its calendar before checking the admin table for changes. Web, worker and beat
# are separate processes (with no shared cache in the embedded default), so each checks the table itself.
_RECHECK_SECONDS = 30
_state: dict = {"signature": None, "calendar": None, "checked": 0.0}


def _table_signature() -> tuple:
    from django.db.models import Count, Max

    from org.models import CalendarDay

    agg = CalendarDay.objects.aggregate(n=Count("id"), last=Max("updated_at"))
    return (agg["n"], agg["last"])


def _load(signature: tuple) -> WorkingCalendar:
    from org.models import CalendarDay

    off, working = [], []
    for day, is_working in CalendarDay.objects.values_list("date", "is_working"):
        (working if is_working else off).append(day)
    return WorkingCalendar(extra_days_off=off, working_days=working)


def get_calendar() -> WorkingCalendar:
    """The calendar with the admin table applied. Rebuilt when the table changed (checked at most every
    30 seconds per process, by one small aggregate query)."""
    now = time.monotonic()
    if _state["calendar"] is None or now - _state["checked"] > _RECHECK_SECONDS:
        signature = _table_signature()
        if signature != _state["signature"] or _state["calendar"] is None:
            _state["calendar"] = _load(signature)
            _state["signature"] = signature
        _state["checked"] = now
    return _state["calendar"]


def calendar_changed() -> None:
    """Forget this process's calendar at once (others notice within 30 seconds). Call after commit."""
    _state["calendar"] = None
    _state["signature"] = None
