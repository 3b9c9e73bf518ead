"""Make the load test's people and work on top of `manage.py load_demo` (run by `make load`).

For each of the city's wards and communes: officials each leading a few tasks in progress on the city's
annual plan (bound to this year's criteria set, so approvals move the scores); leaders of the city who
approve; viewers (leaders of the province) who read the dashboards. Writes loadtest/accounts.json for the
locustfile. Everything goes through the services, as in real use."""

from __future__ import annotations

import datetime as dt
import json
import os
import sys
from pathlib import Path

import django

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
django.setup()

from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY  # noqa: E402
from django.utils import timezone  # noqa: E402
from rest_framework.authtoken.models import Token  # noqa: E402

from org import services as org_services  # noqa: E402
from org.models import Unit, User  # noqa: E402
from org.sessions import SessionStore  # noqa: E402  (the session engine of the settings)
from plans.models import Plan  # noqa: E402
from tasks import services as task_services  # noqa: E402

PASSWORD = "Load@2026-test"
OFFICIALS_PER_UNIT = int(os.environ.get("LOAD_OFFICIALS_PER_UNIT", "12"))
TASKS_PER_OFFICIAL = int(os.environ.get("LOAD_TASKS_PER_OFFICIAL", "4"))
LEADERS = int(os.environ.get("LOAD_LEADERS", "60"))
VIEWERS = int(os.environ.get("LOAD_VIEWERS", "40"))
OUT = Path(os.environ.get("LOAD_ACCOUNTS", Path(__file__).with_name("accounts.json")))


def credentials(user: User) -> dict:
    """What a browser that signed in yesterday and an integration that keeps its token already hold: a
    session and an API token (most simulated users start with them; some sign in on the page)."""
    session = SessionStore()
    session[SESSION_KEY] = str(user.pk)
    session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    session.create()
    token, _ = Token.objects.get_or_create(user=user)
    return {"username": user.username, "session": session.session_key, "token": token.key}


def main() -> None:
    year = timezone.localdate().year
    city = Unit.objects.get(code="YB-TP")
    province = Unit.objects.get(code="YB")
    plan = Plan.objects.get(number="271/KH-UBND", year=year, owner_unit=city)
    cs = plan.criteria_set
    leaf_codes = list(
        cs.criteria.filter(rule__type__in=["task_on_time", "task_ratio_bands"])
        .order_by("order")
        .values_list("code", flat=True)
    )
    demo_leader = User.objects.get(username="lanhdao.tp")
    communes = list(Unit.objects.filter(parent=city).order_by("code"))
    due = timezone.localdate() + dt.timedelta(days=60)
    officials = []
    n = 0
    for unit in communes:
        slug = unit.code.split("-")[1].lower()
        for i in range(OFFICIALS_PER_UNIT):
            official = org_services.user_create(
                username=f"load.{slug}.{i}",
                password=PASSWORD,
                full_name=f"Cán bộ tải {slug.upper()} {i}",
                email="",
                memberships=[(unit, "official")],
            )
            task_ids = []
            for k in range(TASKS_PER_OFFICIAL):
                task = task_services.task_create(
                    actor=demo_leader,
                    plan=plan,
                    title=f"Nhiệm vụ thử tải {slug.upper()}-{i}-{k}",
                    assignee_unit=unit,
                    lead=official,
                    due_date=due,
                    criterion_code=leaf_codes[n % len(leaf_codes)],
                )
                n += 1
                task_services.task_assign(actor=demo_leader, task=task)
                task_services.task_start(actor=official, task=task)
                task_ids.append(task.pk)
            officials.append({**credentials(official), "tasks": task_ids, "unit": unit.pk})
    leaders = []
    for i in range(LEADERS):
        leader = org_services.user_create(
            username=f"load.leader.{i}",
            password=PASSWORD,
            full_name=f"Lãnh đạo thành phố (tải) {i}",
            memberships=[(city, "leader")],
        )
        leaders.append({**credentials(leader), "index": i})
    viewers = []
    for i in range(VIEWERS):
        viewer = org_services.user_create(
            username=f"load.viewer.{i}",
            password=PASSWORD,
            full_name=f"Lãnh đạo tỉnh (tải) {i}",
            memberships=[(province, "leader")],
        )
        viewers.append(credentials(viewer))
    OUT.write_text(
        json.dumps(
            {
                "password": PASSWORD,
                "plan": plan.pk,
                "criteria_set": cs.pk,
                "city": city.pk,
                "communes": [u.pk for u in communes],
                "officials": officials,
                "leaders": leaders,
                "viewers": viewers,
            },
            indent=1,
        )
    )
    print(f"load test data: {len(officials)} officials, {n} tasks, {LEADERS} leaders, {VIEWERS} viewers")


if __name__ == "__main__":
    main()
