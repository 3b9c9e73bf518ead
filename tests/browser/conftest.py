"""What the browser tests share: Debian's Chromium driven by Playwright (sync API) against pytest-django's
live server, a real Celery worker thread where scores must follow a change, the people and data the
scenarios need, and the screenshots folder.

Playwright's sync API runs an event loop in this thread; the test's own ORM calls (set-up, checks) are
synchronous and safe, so Django's async guard is told so, for as long as the browser runs (this module's
tests) and no longer: other tests start subprocesses that must not inherit the setting.
"""

from __future__ import annotations

import datetime as dt
import os
import re
from pathlib import Path
from types import SimpleNamespace

import pytest

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-background-networking", "--disable-gpu"]
SHOTS = Path(__file__).resolve().parent / "screenshots"
PASSWORD = "Secret-pass-123"  # tests.factories.user
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}


ASYNC_UNSAFE = "DJANGO_ALLOW_ASYNC_UNSAFE"


@pytest.fixture(scope="module")
def chromium():
    """The browser, for one test module; Playwright's event loop stops with it."""
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: install Debian's Chromium with `apt-get install -y chromium`.")
    from playwright.sync_api import sync_playwright

    previous = os.environ.get(ASYNC_UNSAFE)
    os.environ[ASYNC_UNSAFE] = "true"
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            yield browser
            browser.close()
    finally:
        if previous is None:
            os.environ.pop(ASYNC_UNSAFE, None)
        else:
            os.environ[ASYNC_UNSAFE] = previous


@pytest.fixture
def browse(chromium, live_server):
    """`browse(user, viewport=DESKTOP)`: a page of a fresh browser context, signed in through the sign-in
    form as `user` (or anonymous with None). Contexts are closed after the test."""
    contexts = []

    def open_(user=None, *, viewport=DESKTOP):
        context = chromium.new_context(viewport=viewport, base_url=live_server.url, locale="vi-VN")
        context.set_default_timeout(10_000)
        contexts.append(context)
        page = context.new_page()
        if user is not None:
            sign_in(page, user.username)
        return page

    yield open_
    for context in contexts:
        context.close()


def sign_in(page, username: str, password: str = PASSWORD) -> None:
    page.goto("/accounts/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    page.press("input[name=password]", "Enter")
    # Home: a leader lands on the approval inbox, anyone else on their tasks.
    page.wait_for_url(re.compile(r"/(my-tasks|inbox)/$"))


def shot(page, name: str) -> Path:
    """Save a full-page screenshot under tests/browser/screenshots/ (git-ignored) and return its path."""
    SHOTS.mkdir(exist_ok=True)
    width = page.viewport_size["width"]
    path = SHOTS / f"{name}-{width}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


@pytest.fixture
def worker(transactional_db):
    """A real Celery worker (a thread of this process) consuming the project's queue on Redis, so a task
    approved in the browser changes the scores exactly as in production."""
    from celery.contrib.testing.worker import start_worker
    from celery.signals import task_postrun
    from django.db import connections

    from config import celery_app
    from notifications import tasks as _notification_jobs  # noqa: F401  (registers the jobs)
    from scoring import tasks as _scoring_jobs  # noqa: F401

    def close_connections(**kwargs):
        # The worker thread's database connection is closed after each job, so the test database can be
        # flushed when the test ends.
        connections.close_all()

    task_postrun.connect(close_connections, weak=False)
    try:
        with start_worker(
            celery_app, pool="solo", perform_ping_check=False, loglevel="WARNING", shutdown_timeout=15
        ) as running:
            yield running
    finally:
        task_postrun.disconnect(close_connections)


def criteria_set_text(year: int) -> str:
    """The scoring tests' set, for `year` (the pages open on the current year's set)."""
    from tests.scoring.sets import SET_2026

    return (
        SET_2026.replace("T-2026", f"T-{year}")
        .replace("year: 2026", f"year: {year}")
        .replace("năm 2026", f"năm {year}")
        .replace("{start: 2025-12-15, end: 2026-12-14}", f"{{start: {year - 1}-12-15, end: {year}-12-14}}")
    )


@pytest.fixture
def scenario(transactional_db):
    """The city of tests.factories.World with this year's criteria set bound to plan 20/KH-UBND.

    X01 (Phường Đồng Tâm) has task 1.1 in progress and ten days overdue, led by `official`, and task 2.1
    (a metric, not yet reported) due in twenty days: it only has 2.4's 5 points. X02 (Xã Tân Thịnh) has no
    task but 5 appraised points on 1.5, so 10 points, and ranks first. Approving X01's task 1.1 late
    earns 4 (1.1, late) + 2 (1.3: half of its tasks from a higher level approved) more: 11, first."""
    from django.utils import timezone

    from criteria.services import criteria_set_import
    from scoring.services import appraisal_set, scores_recompute
    from tasks import services as task_services
    from tests.factories import World, bound_plan, drive, user

    w = World()
    today = timezone.localdate()
    cs = criteria_set_import(data=criteria_set_text(today.year))
    plan = bound_plan(w, cs, number="20/KH-UBND")
    overdue = task_services.task_create(
        actor=w.city_leader,
        plan=plan,
        title="Ban hành kế hoạch CCHC năm của phường",
        assignee_unit=w.commune,
        lead=w.official,
        start_date=today - dt.timedelta(days=40),
        due_date=today - dt.timedelta(days=10),
        criterion_code="1.1",
    )
    overdue = drive(overdue, ["assign", "start"], leader=w.city_leader, member=w.official)
    upcoming = task_services.task_create(
        actor=w.city_leader,
        plan=plan,
        title="Báo cáo tỷ lệ hồ sơ giải quyết đúng hạn",
        assignee_unit=w.commune,
        due_date=today + dt.timedelta(days=20),
        criterion_code="2.1",
    )
    drive(upcoming, ["assign"], leader=w.city_leader, member=w.official)
    appraiser = user("appraiser", memberships=[(w.city, "appraiser")])
    appraisal_set(actor=appraiser, criteria_set=cs, unit=w.other_commune, code="1.5", points=5, note="Đủ")
    scores_recompute(criteria_set=cs)
    return SimpleNamespace(world=w, cs=cs, plan=plan, overdue=overdue, appraiser=appraiser, today=today)
