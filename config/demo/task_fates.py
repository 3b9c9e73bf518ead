"""The demo's tasks: one task driven through its life by the task services up to its fate (draft, cancelled,
assigned, in progress, submitted, returned, approved, late), and the current year's tasks in every state
around today. The random draws keep their order: the same seed gives the same tasks."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

from django.core.files.uploadedfile import SimpleUploadedFile

from tasks import services as task_services

from .context import Demo, at
from .data import CURRENT_FATES, DISCIPLINE, METRIC_RANGES, TASK_TITLES
from .plans import CurrentPlans


def pdf(title: str) -> bytes:
    """A one-page PDF that shows `title` (its ASCII letters), for an evidence file."""
    text = re.sub(r"[^A-Za-z0-9 ./-]", "", title)[:60]
    return (
        b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>"
        b"endobj\n3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 595 842]/Contents 4 0 R>>endobj\n"
        b"4 0 obj<</Length 44>>stream\nBT /F1 12 Tf 72 760 Td (" + text.encode() + b") Tj ET\nendstream\n"
        b"endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
    )


def task_leaves(cs) -> list:
    """The criteria of `cs` that tasks serve: scored from tasks (not by survey or by hand) and titled."""
    return [
        c
        for c in cs.criteria.filter(rule__isnull=False).order_by("order")
        if c.rule["type"] not in ("survey", "manual") and c.code in TASK_TITLES
    ]


# --- one task, driven through its life by the services -------------------------------------------------
def task_make(demo: Demo, plan, unit, leaf, *, due, fate, title=None, leader=None):
    """A task of `plan` for `unit` on criterion `leaf`, due `due`, taken by the services as far as `fate`."""
    leader = leader or demo.org.leader_of(plan)
    official = demo.org.officials[unit.pk]
    title = title or TASK_TITLES[leaf.code]
    t, start, created = _task_new(
        demo, plan, unit, leaf, due=due, title=title, leader=leader, official=official
    )
    if fate == "draft":
        return t
    if fate == "cancelled":
        task_services.task_cancel(
            actor=leader, task=t, reason="Nhiệm vụ được lồng ghép vào kế hoạch khác", now=created
        )
        return t
    task_services.task_assign(actor=leader, task=t, now=created)
    if fate == "assigned" or fate == "due_soon" and demo.rng.random() < 0.4:
        return t
    started = at(start)
    task_services.task_start(actor=official, task=t, now=started)
    if fate in ("in_progress", "overdue", "due_soon"):
        task_services.task_report_progress(
            actor=official, task=t, progress=demo.rng.choice([10, 30, 60, 80]), now=started
        )
        return t
    submit_day = _task_submit(demo, t, leaf, official, due=due, start=start, fate=fate, title=title)
    if fate == "submitted":
        return t
    if fate == "returned":
        task_services.task_return(
            actor=leader,
            task=t,
            reason="Tài liệu kiểm chứng chưa có chữ ký, đóng dấu",
            now=at(submit_day, 15),
        )
        return t
    task_services.task_approve(actor=leader, task=t, now=at(submit_day, 16))
    return t


def _task_new(demo: Demo, plan, unit, leaf, *, due, title, leader, official):
    """Create the draft, a few days before it starts (not before its plan was issued).
    Returns (task, start date, creation time)."""
    rng = demo.rng
    start = min(due - dt.timedelta(days=rng.randint(20, 60)), due)
    created = at(max(start - dt.timedelta(days=3), plan.issued_on or start))
    t = task_services.task_create(
        actor=leader,
        plan=plan,
        title=title,
        assignee_unit=unit,
        lead=official if rng.random() < 0.6 else None,
        start_date=start,
        due_date=due,
        criterion_code=leaf.code,
        priority=rng.choice(["normal", "normal", "high", "urgent"]),
        description=f"Thực hiện theo {plan.number}. Tiêu chí {leaf.code}: {leaf.title}.",
        now=created,
    )
    return t, start, created


def _task_submit(demo: Demo, t, leaf, official, *, due, start, fate, title) -> dt.date:
    """Add the evidence (a report, with a metric where the criterion reads one) and submit: on time or before
    today, or late by 2-20 days for a `late` fate. Returns the day of submission."""
    rng = demo.rng
    eff = demo.calendar.next_working_day(due)
    submit_day = (
        eff - dt.timedelta(days=rng.randint(0, 10))
        if fate != "late"
        else eff + dt.timedelta(days=rng.randint(2, 20))
    )
    submit_day = max(submit_day, start)
    if fate != "late" and submit_day > demo.today:
        submit_day = demo.today
    metric = None
    if leaf.code in METRIC_RANGES:
        lo, hi = METRIC_RANGES[leaf.code]
        metric = Decimal(str(round(rng.uniform(lo, hi), 1)))
    doc_no = f"{rng.randint(10, 450)}/BC-UBND"
    task_services.evidence_add(
        actor=official,
        task=t,
        file=SimpleUploadedFile(f"{doc_no.replace('/', '-')}.pdf", pdf(title)),
        doc_number=doc_no,
        doc_date=submit_day,
        description=title,
        metric_value=metric,
        now=at(submit_day, 8),
    )
    task_services.task_submit(actor=official, task=t, now=at(submit_day, 10))
    return submit_day


# --- the current year: tasks in every state, around today ------------------------------------------------
def current_year_tasks(demo: Demo, plans: CurrentPlans) -> None:
    """Every commune gets the annual plan's tasks (fates in a cycle, dates around today), plan 36's three
    discipline tasks and the province's task; then the city's draft plan gets a parent task and sub-tasks."""
    cs = demo.sets[demo.today.year]
    leaves = task_leaves(cs)
    discipline_leaf = cs.criteria.get(code="5.1")
    higher_leaf = cs.criteria.get(code="1.5")
    for i, unit in enumerate(demo.org.scored):
        for j, leaf in enumerate(leaves):
            fate = CURRENT_FATES[(i * 7 + j) % len(CURRENT_FATES)]
            due = _current_due(demo, fate)
            task_make(demo, plans.annual[unit.parent_id], unit, leaf, due=due, fate=fate)
        for title, working_days, fate in DISCIPLINE:
            due = demo.calendar.add_working_days(demo.today, working_days)
            task_make(
                demo, plans.discipline[unit.parent_id], unit, discipline_leaf, due=due, fate=fate, title=title
            )
        task_make(
            demo,
            plans.provincial,
            unit,
            higher_leaf,
            due=demo.calendar.add_working_days(demo.today, 5 + i % 4),
            fate="in_progress" if i % 2 else "assigned",
            title="Thu thập, làm sạch dữ liệu dân cư trên địa bàn",
            leader=demo.org.province_leader,
        )
    _draft_tasks(demo, plans.draft)


def _current_due(demo: Demo, fate: str) -> dt.date:
    """A due date that fits `fate` today: done ones well past, overdue ones lately past, due_soon ones within
    a week of working days, open ones ahead."""
    rng, today = demo.rng, demo.today
    if fate in ("approved", "late"):
        return today - dt.timedelta(days=rng.randint(10, 200))
    if fate == "overdue":
        return today - dt.timedelta(days=rng.randint(1, 30))
    if fate == "due_soon":
        return demo.calendar.add_working_days(today, rng.choice([0, 1, 3, 7]))
    return today + dt.timedelta(days=rng.randint(5, 60))


def _draft_tasks(demo: Demo, draft_plan) -> None:
    """The city's draft inspection plan: a task for the city and a sub-task for each of three wards."""
    leader, today = demo.org.city_leader, demo.today
    parent = task_services.task_create(
        actor=leader,
        plan=draft_plan,
        title="Kiểm tra CCHC tại các phường",
        assignee_unit=demo.org.city,
        due_date=today + dt.timedelta(days=30),
    )
    for unit in demo.org.communes[:3]:
        task_services.task_create(
            actor=leader,
            plan=draft_plan,
            parent=parent,
            assignee_unit=unit,
            title=f"Tự kiểm tra CCHC tại {unit.name}",
            due_date=today + dt.timedelta(days=20),
        )
