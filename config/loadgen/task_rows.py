"""The generated tasks and their evidence. Tasks spread over the year and over every state, consistent with
their dates (approved ones on time or late, open ones pending or overdue); evidence rows, with the metric
values, for every submitted, returned or approved task. History rows are not generated (nothing the
benchmarks read). The random draws keep their order: the same seed gives the same rows."""

from __future__ import annotations

import datetime as dt
import hashlib
import math
import random
from dataclasses import dataclass
from decimal import Decimal

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.utils import timezone

from org.calendar import get_calendar
from tasks.models import Evidence, Task

from .bulk import copy_rows
from .data import (
    EVIDENCE_COLUMNS,
    FUTURE_STATES,
    METRIC_RANGES,
    PAST_OPEN_STATES,
    PDF,
    PRIORITIES,
    PROGRESS,
    TASK_COLUMNS,
    TZ,
)


@dataclass
class _Space:
    """What every task row draws from."""

    rng: random.Random
    today: dt.date
    now: dt.datetime
    communes: list
    province_of: dict[int, int]
    plans: dict[int, int]  # owner unit id -> plan id
    officials: dict[int, list[int]]
    leaves: list[str]  # criterion codes scored from tasks
    days: list[dt.date]  # the possible due dates
    eff: dict[dt.date, dt.date]  # due date -> effective due date (the next working day)


def tasks_generate(total: int, communes, province_of, plans, officials, cs, *, rng, today, year) -> int:
    """`total` tasks, every commune at least one, the rest at random. Returns how many were written."""
    calendar = get_calendar()
    leaves = [
        c.code
        for c in cs.criteria.filter(rule__isnull=False).order_by("order")
        if c.rule["type"] not in ("survey", "manual")
    ]
    days = [dt.date(year, 1, 2) + dt.timedelta(days=d) for d in range(362)]
    space = _Space(
        rng=rng,
        today=today,
        now=timezone.now(),
        communes=communes,
        province_of=province_of,
        plans=plans,
        officials=officials,
        leaves=leaves,
        days=days,
        eff={d: calendar.next_working_day(d) for d in days},
    )
    rows = (_task_row(space, i) for i in range(total))
    return copy_rows(Task, TASK_COLUMNS, rows, total=total, desc="tasks")


def _at(day: dt.date, hour: int) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour), tzinfo=TZ)


def _task_row(s: _Space, i: int) -> tuple:
    """Task number `i`, in TASK_COLUMNS order."""
    rng, communes = s.rng, s.communes
    unit = communes[i % len(communes)] if i < len(communes) else rng.choice(communes)
    own = rng.random() < 0.6
    plan_id = s.plans[unit.pk] if own else s.plans[s.province_of[unit.pk]]
    due = rng.choice(s.days)
    effective = s.eff[due]
    start = due - dt.timedelta(days=rng.randint(10, 60))
    code = rng.choice(s.leaves)
    past = effective < s.today
    state = _state(rng, past=past, days_behind=(s.today - effective).days)
    assigned = None if state == "draft" else _at(start, 9)
    submitted = approved = metric = None
    if state in ("submitted", "returned", "approved"):
        sub_day = _submission_day(rng, past=past, effective=effective, start=start, today=s.today)
        submitted = _at(sub_day, 10)
        if state == "approved":
            approved = _at(sub_day, 16)
        if code in METRIC_RANGES:
            lo, hi = METRIC_RANGES[code]
            metric = Decimal(rng.randint(lo * 10, hi * 10)) / 10
    unit_officials = s.officials.get(unit.pk) or [None]
    lead = rng.choice(unit_officials) if rng.random() < 0.7 else None
    progress = 100 if state == "approved" else rng.choice(PROGRESS)
    return (
        plan_id,
        None,
        f"Nhiệm vụ {code} #{i}",
        "",
        unit.pk,
        lead,
        None,
        start,
        due,
        effective,
        rng.choice(PRIORITIES),
        code,
        progress,
        metric,
        state,
        assigned,
        submitted,
        approved,
        s.now,
        s.now,
    )


def _state(rng: random.Random, *, past: bool, days_behind: int) -> str:
    """A state for a task whose deadline has passed (`past`, `days_behind` days ago) or not."""
    r = rng.random()
    if not past:
        return _first_under(r, FUTURE_STATES, "cancelled")
    # Most tasks are done within weeks of their deadline: the share still open decays with how long ago the
    # task fell due (about 25 % a day after, 12 % a month after, 4 % at the start of the year), so the
    # overdue backlog is what a real province carries.
    behind = 0.04 + 0.21 * math.exp(-days_behind / 30)
    state = _first_under(r / behind, PAST_OPEN_STATES, "approved") if r < behind else "approved"
    if state == "approved" and rng.random() < 0.03:
        state = "cancelled"
    return state


def _first_under(r: float, bounds: list[tuple[float, str]], otherwise: str) -> str:
    return next((state for bound, state in bounds if r < bound), otherwise)


def _submission_day(rng: random.Random, *, past: bool, effective, start, today) -> dt.date:
    """On time (up to 10 days early) or, for a fifth of past tasks, 1-15 days late; never before the start
    or after today."""
    late = past and rng.random() < 0.2
    sub_day = (
        effective + dt.timedelta(days=rng.randint(1, 15))
        if late
        else effective - dt.timedelta(days=rng.randint(0, 10))
    )
    return min(max(sub_day, start), today)


def evidence_generate(plans: dict[int, int]) -> int:
    """One evidence row (the same stored PDF) for every submitted, returned or approved task of `plans`,
    dated on its submission and carrying its metric value. Returns how many were written."""
    name = "evidence/load/sample.pdf"
    if not default_storage.exists(name):
        default_storage.save(name, ContentFile(PDF))
    digest = hashlib.sha256(PDF).hexdigest()
    qs = Task.objects.filter(
        plan_id__in=list(plans.values()), state__in=["submitted", "returned", "approved"]
    )
    n = 0
    last = 0
    # Read in chunks before writing: a connection cannot run a query while a COPY is in progress.
    while True:
        chunk = list(
            qs.filter(id__gt=last).order_by("id").values_list("id", "metric_value", "submitted_at")[:50000]
        )
        if not chunk:
            return n
        last = chunk[-1][0]
        rows = [
            (
                task_id,
                name,
                "bao-cao.pdf",
                "application/pdf",
                len(PDF),
                digest,
                f"{task_id}/BC",
                submitted.date(),
                "Báo cáo kết quả thực hiện",
                metric,
                None,
                submitted,
            )
            for task_id, metric, submitted in chunk
        ]
        n += copy_rows(Evidence, EVIDENCE_COLUMNS, rows, total=len(rows), desc="evidence")
