"""The reminder policy (SPEC §4): a task's dates, state and the working calendar in, the reminders due out.

Pure: no ORM, no clock. The planner gathers `TaskFacts` in bulk, passes `now`, and writes what
`due_reminders` returns to the reminder ledger, whose unique key (task, recipient, kind, effective due
date, offset) makes planning idempotent. All day arithmetic is in working days of the `WorkingCalendar`
given (Vietnamese public holidays, swapped days, the admin table), so every reminder day is a working day.

Two streams
-----------
- ``"reminder"``: to the task's people (SPEC §4 "Recipients").
  - ``due_k``: k working days before the effective due date, for each k in ``before_offsets``
    (``due_0`` is the due day itself), but only on a day strictly later than the day the task was
    assigned: the ``assigned`` notice covers that day and the days before it.
  - ``at_risk``: for a task of at least ``at_risk_min_length`` working days, at its midpoint, when the
    progress is under ``at_risk_progress_below`` %. The task runs over the working days
    d_0 < d_1 < … < d_(L-1) of [start, effective due date], start being the start date or else the day
    it was assigned; the midpoint is d_(L // 2), i.e. ``add_working_days(d_0, L // 2)``: for L = 20 it is
    the 11th working day, ten working days into the task. Its offset is the number of working days from
    the midpoint to the due date (L - 1 - L // 2). Like ``due_k``, only later than the day assigned.
  - ``overdue``: ``overdue_first`` working days after the effective due date, then every
    ``overdue_every`` working days (1, 4, 7, 10, …); offset ``-n``.
- ``"escalation"``: to the leaders of the plan's owner unit, ``escalation_first`` working days overdue,
  then every ``escalation_every`` (5, 10, 15, …); offset ``-n``. On a day when both streams have one
  (10 working days overdue by default) both are due.

The catch-up rule
-----------------
Reminders go out in the sending window only: on a working day, from ``send_at`` (08:00) to before
``send_until`` (17:00), local time. `due_reminders` gives, per stream, only the most recent reminder whose
day has come. A reminder not sent on its day (downtime, a night, a weekend or Tết in between) is therefore
sent at the next window unless a newer one of the same stream has become due meanwhile, in which case the
stale one is dropped: after downtime the task's people get one reminder, not a burst, and an escalation is
never swallowed by an overdue reminder (nor the reverse). The planner calls `due_reminders` every cycle; the
ledger's unique key turns the repeats into no-ops.

When the reminder stream has two reminders on one day (a custom policy whose at-risk midpoint falls on a
``due_k`` day), the at-risk nudge sorts after the ``due_k`` and so is the one sent when the progress is
behind. Progress is judged when planning, not as it was on the midpoint day.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, fields
from zoneinfo import ZoneInfo

from django.utils.translation import gettext, ngettext

from org.calendar import WorkingCalendar

__all__ = [
    "OPEN_STATES",
    "VN_TZ",
    "DueReminder",
    "InvalidPolicy",
    "ReminderPolicy",
    "TaskFacts",
    "describe",
    "due_reminders",
    "in_sending_window",
    "reminder_moment",
    "reminder_sequence",
    "ROUND_OFFSETS",
    "round_last_day",
    "round_reminder_offset",
]

VN_TZ = ZoneInfo("Asia/Ho_Chi_Minh")

OPEN_STATES = frozenset({"assigned", "in_progress", "returned"})

REMINDER = "reminder"
ESCALATION = "escalation"

# More working days than this in one setting is a typo (a year has about 250 working days), and would
# push the calendar's arithmetic towards its ten-year guard.
_MAX_DAYS = 366

_INT_FIELDS = (
    "at_risk_min_length",
    "at_risk_progress_below",
    "overdue_first",
    "overdue_every",
    "escalation_first",
    "escalation_every",
)
_TIME_FIELDS = ("send_at", "send_until")


class InvalidPolicy(ValueError):
    """A reminder policy that cannot be used. `errors` maps each bad field to its message, ready for a
    400 answer; str(exc) lists them all."""

    def __init__(self, errors: dict[str, str]):
        self.errors = dict(errors)
        super().__init__(" ".join(f"{name}: {message}" for name, message in self.errors.items()))


@dataclass(frozen=True)
class ReminderPolicy:
    """When reminders are due (SPEC §4 defaults). Valid by construction: the constructor raises
    `InvalidPolicy` (a ValueError) for values that make no sense. `before_offsets` is kept sorted from
    the earliest reminder (largest offset) to the due day."""

    before_offsets: tuple[int, ...] = (7, 3, 1, 0)  # working days before the effective due date
    at_risk_min_length: int = 20  # task length in working days
    at_risk_progress_below: int = 50  # percent; 0 turns the at-risk nudge off
    overdue_first: int = 1  # working days after the effective due date
    overdue_every: int = 3  # then every 3: 1, 4, 7, 10, ...
    escalation_first: int = 5
    escalation_every: int = 5  # 5, 10, 15, ...
    send_at: dt.time = dt.time(8, 0)  # local Asia/Ho_Chi_Minh
    send_until: dt.time = dt.time(17, 0)  # sending window end; later waits for the next working day

    def __post_init__(self) -> None:
        errors: dict[str, str] = {}
        offsets = self.before_offsets
        if isinstance(offsets, list | tuple) and all(_is_int(k) for k in offsets):
            message = _check_offsets(offsets)
            if message:
                errors["before_offsets"] = message
            else:
                object.__setattr__(self, "before_offsets", tuple(sorted(offsets, reverse=True)))
        else:
            errors["before_offsets"] = gettext("phải là một danh sách số nguyên (số ngày làm việc).")
        for name in _INT_FIELDS:
            message = _check_int(name, getattr(self, name))
            if message:
                errors[name] = message
        for name in _TIME_FIELDS:
            value = getattr(self, name)
            if not isinstance(value, dt.time):
                errors[name] = gettext("phải là giờ dạng HH:MM.")
            elif value.tzinfo is not None:
                errors[name] = gettext("là giờ địa phương (Asia/Ho_Chi_Minh), không kèm múi giờ.")
        if "send_at" not in errors and "send_until" not in errors and not self.send_at < self.send_until:
            errors["send_until"] = gettext("phải muộn hơn giờ bắt đầu gửi (send_at).")
        if errors:
            raise InvalidPolicy(errors)

    @classmethod
    def from_dict(cls, data: dict) -> ReminderPolicy:
        """A policy from admin-edited JSON. Missing fields take the defaults, so a per-plan policy can be
        stored as the fields it changes, on top of the global one:
        ``ReminderPolicy.from_dict({**global_policy.to_dict(), **plan_overrides})``. Unknown fields, wrong
        types and senseless values raise `InvalidPolicy` (a ValueError) naming every bad field."""
        if not isinstance(data, dict):
            raise InvalidPolicy({"__all__": gettext("Chính sách nhắc việc phải là một đối tượng JSON.")})
        known = {f.name for f in fields(cls)}
        errors: dict[str, str] = {}
        for name in sorted(set(data) - known, key=str):
            errors[str(name)] = gettext("không phải là một thiết lập của chính sách nhắc việc.")
        values: dict = {}
        for name, value in data.items():
            if name not in known:
                continue
            if name in _TIME_FIELDS and isinstance(value, str):
                try:
                    value = dt.time.fromisoformat(value)
                except ValueError:
                    errors[name] = gettext("phải là giờ dạng HH:MM.")
                    continue
            elif name == "before_offsets" and isinstance(value, list):
                value = tuple(value)
            values[name] = value
        try:
            policy = cls(**values)
        except InvalidPolicy as exc:
            errors.update(exc.errors)
            raise InvalidPolicy(errors) from None
        if errors:
            raise InvalidPolicy(errors)
        return policy

    def to_dict(self) -> dict:
        """JSON-ready; `from_dict(p.to_dict()) == p`."""
        return {
            "before_offsets": list(self.before_offsets),
            **{name: getattr(self, name) for name in _INT_FIELDS},
            **{name: _time_text(getattr(self, name)) for name in _TIME_FIELDS},
        }


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _check_offsets(offsets) -> str | None:
    if any(k < 0 for k in offsets):
        return gettext(
            "số ngày trước hạn không được âm (0 là chính ngày đến hạn; nhắc sau hạn là mục quá hạn)."
        )
    if any(k > _MAX_DAYS for k in offsets):
        return gettext("mỗi giá trị phải từ 0 đến %(max)d ngày làm việc.") % {"max": _MAX_DAYS}
    if len(set(offsets)) != len(offsets):
        return gettext("các giá trị không được trùng nhau.")
    return None


def _check_int(name: str, value: object) -> str | None:
    if not _is_int(value):
        return gettext("phải là một số nguyên.")
    if name == "at_risk_progress_below":
        lo, hi = 0, 100
    else:
        lo, hi = 1, _MAX_DAYS  # "every 0 days" never ends; overdue starts after the due day
    if not lo <= value <= hi:
        return gettext("phải từ %(lo)d đến %(hi)d (nhận được %(value)d).") % {
            "lo": lo,
            "hi": hi,
            "value": value,
        }
    return None


def _time_text(value: dt.time) -> str:
    if value.second or value.microsecond:
        return value.isoformat()
    return value.isoformat(timespec="minutes")


@dataclass(frozen=True)
class TaskFacts:
    """What the policy needs to know about a task."""

    state: str  # draft, assigned, in_progress, submitted, returned, approved, cancelled
    assigned_on: dt.date | None  # local date the task was assigned
    start_date: dt.date | None
    effective_due_date: dt.date
    progress: int  # 0..100, current


@dataclass(frozen=True)
class DueReminder:
    kind: str  # "due_7", "due_3", "due_1", "due_0" (f"due_{k}"), "at_risk", "overdue", "escalation"
    offset: int  # working days before the effective due date (>= 0), or minus working days overdue (< 0)
    day: dt.date  # the working day it is due; it goes out at policy.send_at that day
    stream: str  # "reminder" (before-due, at-risk, overdue) or "escalation"


def _sort_key(reminder: DueReminder) -> tuple:
    # Day order; on one day the reminder stream first, and in it at_risk after a due_k, so that the
    # "most recent" of the stream is the at-risk nudge when it is kept.
    kind_rank = {"at_risk": 1, "overdue": 2, "escalation": 3}.get(reminder.kind, 0)
    return (reminder.day, reminder.stream == ESCALATION, kind_rank)


def reminder_sequence(
    task: TaskFacts,
    policy: ReminderPolicy,
    calendar: WorkingCalendar,
    *,
    until: dt.date,
    latest_overdue_only: bool = False,
) -> list[DueReminder]:
    """Every reminder the policy gives this task on days up to `until`, in day order (see `_sort_key`).
    Ignores the state and the progress; the at-risk nudge is included when the task is long enough.
    With `latest_overdue_only`, of the overdue reminders and of the escalations only the last one is
    given (computed directly: a task overdue for months does not walk its whole history).

    `task.effective_due_date` should already be a working day (the caller applies `next_working_day`);
    one that is not, say because the admin table changed since it was stored, is moved to the next
    working day here, so the reminders still fall on working days and count from a real deadline."""
    due = calendar.next_working_day(task.effective_due_date)
    assigned_on = task.assigned_on
    result: list[DueReminder] = []

    def after_assignment(day: dt.date) -> bool:
        return assigned_on is None or day > assigned_on

    for k in policy.before_offsets:
        day = calendar.add_working_days(due, -k)
        if day <= until and after_assignment(day):
            result.append(DueReminder(kind=f"due_{k}", offset=k, day=day, stream=REMINDER))

    start = task.start_date or assigned_on
    if start is not None:
        length = calendar.working_days_in(start, due)
        if length >= policy.at_risk_min_length:
            midpoint = calendar.add_working_days(calendar.next_working_day(start), length // 2)
            if midpoint <= until and after_assignment(midpoint):
                offset = calendar.working_days_between(midpoint, due)
                result.append(DueReminder(kind="at_risk", offset=offset, day=midpoint, stream=REMINDER))

    for kind, stream, first, every in (
        ("overdue", REMINDER, policy.overdue_first, policy.overdue_every),
        ("escalation", ESCALATION, policy.escalation_first, policy.escalation_every),
    ):
        if until <= due:
            break
        if latest_overdue_only:
            late = calendar.working_days_between(due, until)  # working days in (due, until]
            if late >= first:
                n = first + (late - first) // every * every
                result.append(
                    DueReminder(kind=kind, offset=-n, day=calendar.add_working_days(due, n), stream=stream)
                )
            continue
        n, day = first, calendar.add_working_days(due, first)
        while day <= until:
            result.append(DueReminder(kind=kind, offset=-n, day=day, stream=stream))
            # Stepping from the previous reminder day equals counting from the due day (both are
            # working days), and keeps a long-overdue task linear rather than quadratic.
            n, day = n + every, calendar.add_working_days(day, every)

    result.sort(key=_sort_key)
    return result


def _local(now: dt.datetime, tz: dt.tzinfo) -> dt.datetime:
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValueError("now must be an aware datetime (use django.utils.timezone.now())")
    return now.astimezone(tz)


def in_sending_window(
    now: dt.datetime, policy: ReminderPolicy, calendar: WorkingCalendar, *, tz: dt.tzinfo = VN_TZ
) -> bool:
    """True when `now` (aware) is on a local working day, at or after `send_at` and before `send_until`."""
    local = _local(now, tz)
    return calendar.is_working_day(local.date()) and policy.send_at <= local.time() < policy.send_until


def due_reminders(
    task: TaskFacts,
    policy: ReminderPolicy,
    calendar: WorkingCalendar,
    *,
    now: dt.datetime,
    tz: dt.tzinfo = VN_TZ,
) -> list[DueReminder]:
    """What the planner should plan at `now`: nothing outside the sending window or for a task that is
    not open (draft, submitted, approved, cancelled); otherwise, per stream, only the most recent
    reminder whose day has come (the catch-up rule in the module docstring). The at-risk nudge counts
    only while the progress is under `at_risk_progress_below`. At most one reminder per stream, the
    reminder stream first."""
    if task.state not in OPEN_STATES or not in_sending_window(now, policy, calendar, tz=tz):
        return []
    today = _local(now, tz).date()
    latest: dict[str, DueReminder] = {}
    # Only the last of each stream counts, and overdue days come after every other reminder day.
    for reminder in reminder_sequence(task, policy, calendar, until=today, latest_overdue_only=True):
        if reminder.kind == "at_risk" and task.progress >= policy.at_risk_progress_below:
            continue
        latest[reminder.stream] = reminder  # the sequence is in order: the last one wins
    return [latest[stream] for stream in (REMINDER, ESCALATION) if stream in latest]


def reminder_moment(day: dt.date, policy: ReminderPolicy, tz: dt.tzinfo = VN_TZ) -> dt.datetime:
    """The aware moment a reminder due on `day` goes out: `policy.send_at` local time that day."""
    return dt.datetime.combine(day, policy.send_at, tzinfo=tz)


def describe(reminder: DueReminder) -> str:
    """A short phrase for the reminder's title, in the active language: "7 ngày làm việc trước hạn",
    "quá hạn 4 ngày làm việc"."""
    kind, n = reminder.kind, abs(reminder.offset)
    if kind.startswith("due_"):
        if n == 0:
            return gettext("đến hạn hôm nay")
        return ngettext("%(n)d ngày làm việc trước hạn", "%(n)d ngày làm việc trước hạn", n) % {"n": n}
    if kind == "at_risk":
        return ngettext(
            "có nguy cơ trễ hạn: đã qua nửa thời gian, còn %(n)d ngày làm việc",
            "có nguy cơ trễ hạn: đã qua nửa thời gian, còn %(n)d ngày làm việc",
            n,
        ) % {"n": n}
    if kind == "overdue":
        return ngettext("quá hạn %(n)d ngày làm việc", "quá hạn %(n)d ngày làm việc", n) % {"n": n}
    if kind == "escalation":
        return ngettext(
            "báo cáo lãnh đạo: quá hạn %(n)d ngày làm việc",
            "báo cáo lãnh đạo: quá hạn %(n)d ngày làm việc",
            n,
        ) % {"n": n}
    raise ValueError(f"unknown reminder kind {kind!r}")


# The assessment round's deadlines: `round_policy`, re-exported here.
from .round_policy import ROUND_OFFSETS, round_last_day, round_reminder_offset  # noqa: E402
