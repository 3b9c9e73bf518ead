"""The task lists' pages and the API filter with one FilterSet (`tasks.filters.TaskFilterSet`): the same
query answers the same tasks on /tasks/ and on /api/tasks/, search included."""

from __future__ import annotations

import datetime as dt
import re
from urllib.parse import quote

import pytest
from django.utils import timezone

from plans import services as plan_services
from plans.search import fold

pytestmark = pytest.mark.django_db


@pytest.fixture
def tasks(world):
    past = timezone.localdate() - dt.timedelta(days=30)
    second = plan_services.plan_issue(
        actor=world.city_leader,
        plan=plan_services.plan_create(
            actor=world.city_leader, owner_unit=world.city, number="7/KH-UBND", title="KH số hóa", year=2026
        ),
    )
    return {
        "digitise": world.task("in_progress", title="Số hóa hồ sơ một cửa", priority="high"),
        "described": world.task("assigned", title="Rà soát quy trình", description="Số hóa hồ sơ lưu trữ"),
        "overdue": world.task("in_progress", due=past, title="Báo cáo quý quá hạn"),
        "draft": world.task("draft", title="Dự thảo: hồ sơ điện tử"),
        "elsewhere": world.task("assigned", unit=world.other_commune, title="Hồ Sơ của xã Tân Thịnh"),
        "second_plan": world.task("assigned", plan=second, title="Công khai TTHC"),
    }


def _page_ids(client, query: str) -> set[int]:
    # Every year: the page opens on this year's deadlines, the API on every year; the same filters are
    # compared over the same tasks (the year filter itself: tests/web/test_task_table.py).
    r = client.get(f"/tasks/?year=all&{query}")
    assert r.status_code == 200
    return {int(pk) for pk in re.findall(r'class="task-title" href="/tasks/(\d+)/"', r.content.decode())}


def _api_ids(client, query: str) -> set[int]:
    r = client.get(f"/api/tasks/?page_size=200&{query}")
    assert r.status_code == 200, r.content
    return {row["id"] for row in r.json()["results"]}


@pytest.mark.parametrize(
    "text",
    [
        "hồ sơ",  # in titles (any case) and in a description: titles only
        "HỒ SƠ",
        "số hóa",  # a plan's title and a task's description say it too
        "hóa hồ",  # across two words, as typed
        "hồ số",  # accents aside, "ho so": the words as typed in "Số hóa hồ sơ"
        "ho so",  # typed without accents, and
        "HO SO",  # in capitals: the same tasks
        "rà soát",
        "Đề án",  # đ is d: no title has it
        "X01",  # a unit code, and
        "7/KH",  # a plan number, are not in any title
        "quá hạn",
        "  Công khai TTHC  ",  # spaces around are dropped
        "không có",
    ],
)
def test_a_search_answers_the_same_tasks_on_the_page_and_in_the_api(world, web, api, tasks, text):
    query = f"tab=all&q={quote(text)}"
    page = _page_ids(web.as_(world.city_leader), query)
    assert page == _api_ids(api.as_(world.city_leader), query)
    assert page == {t.pk for t in tasks.values() if fold(text.strip()) in fold(t.title)}


def test_the_search_finds_what_the_user_types_in_a_title(world, web, tasks):
    page = _page_ids(web.as_(world.city_leader), "tab=all&q=h%E1%BB%93+s%C6%A1")  # "hồ sơ"
    assert page == {tasks["digitise"].pk, tasks["draft"].pk, tasks["elsewhere"].pk}


@pytest.mark.parametrize(
    "query",
    [
        "tab=all&state=draft",
        "tab=all&state=in_progress&state=assigned",
        "tab=all&unit=X02",
        "tab=all&priority=high",
        "tab=all&tone=overdue",
        "tab=overdue",
        "tab=open",
        "tab=done",
        "tab=all&q=h%E1%BB%93&unit=X01&state=in_progress",
    ],
)
def test_every_filter_answers_the_same_tasks_on_the_page_and_in_the_api(world, web, api, tasks, query):
    page = _page_ids(web.as_(world.city_leader), query)
    assert page == _api_ids(api.as_(world.city_leader), query)


def test_a_plan_filter_and_a_users_scope_agree_too(world, web, api, tasks):
    plan = tasks["second_plan"].plan_id
    for user in (world.city_leader, world.official, world.other_official):
        for query in (f"tab=all&plan={plan}", "tab=all&q=h%E1%BB%93", "tab=to_approve"):
            assert _page_ids(web.as_(user), query) == _api_ids(api.as_(user), query), (user, query)
    assert _page_ids(web.as_(world.city_leader), f"tab=all&plan={plan}") == {tasks["second_plan"].pk}
    assert tasks["elsewhere"].pk not in _api_ids(api.as_(world.official), "tab=all&q=h%E1%BB%93")
