"""The reminder policy of the assessment round's deadlines (SPEC §3a): a deadline, its kind, the moment and
the working calendar in, the reminder due out. Pure, like the task policy (`policy`), whose sending window
it shares; re-exported by `notifications.policy`."""

from __future__ import annotations

import datetime as dt

from org.calendar import WorkingCalendar

from .policy import VN_TZ, ReminderPolicy, _local, in_sending_window

# Scoring tells, every 15 minutes, which scored units still owe something before a round deadline (a local
# date, the end of that working day). A unit's leaders are reminded 7, 3, 1 and 0 working days before the
# self-assessment deadline, 3, 1 and 0 before the explanation deadline, in the sending window of the
# global reminder policy (08:00 on working days by default). The catch-up rule is the task reminders':
# only the most recent offset whose day has come is due, so after downtime (or for a round opened late)
# the leaders get one reminder, not a burst; and nothing once the deadline has passed.

ROUND_OFFSETS: dict[str, tuple[int, ...]] = {
    "self_assessment_due": (7, 3, 1, 0),
    "explanation_due": (3, 1, 0),
}


def round_last_day(deadline: dt.date, calendar: WorkingCalendar) -> dt.date:
    """The last working day of a round deadline (it ends with that working day): the deadline itself, or,
    when it is not a working day, the next working day, as for a task's due date (and as scoring's
    `deadline_end`, which already sends a working day)."""
    return calendar.next_working_day(deadline)


def round_reminder_offset(
    deadline: dt.date,
    kind: str,
    now: dt.datetime,
    calendar: WorkingCalendar,
    *,
    policy: ReminderPolicy | None = None,
    tz: dt.tzinfo = VN_TZ,
) -> int | None:
    """The offset (working days before the deadline) of the round reminder of `kind` due at `now`, or None.

    None outside the sending window of `policy` (the defaults: 08:00 to 17:00 on working days, local
    time) and once the deadline's last working day is over; otherwise the most recent offset of
    `ROUND_OFFSETS[kind]` whose day (that many working days before `round_last_day`) has come, or None
    before the first one.
    The ledger's unique key turns a repeat of the same answer into no notice."""
    try:
        offsets = ROUND_OFFSETS[kind]
    except KeyError:
        raise ValueError(f"unknown round reminder kind {kind!r}") from None
    policy = policy or ReminderPolicy()
    if not in_sending_window(now, policy, calendar, tz=tz):
        return None
    today = _local(now, tz).date()
    last = round_last_day(deadline, calendar)
    if today > last:
        return None
    due = None
    for k in sorted(offsets, reverse=True):
        if calendar.add_working_days(last, -k) <= today:
            due = k
    return due
