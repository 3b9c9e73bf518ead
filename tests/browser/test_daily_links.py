"""The task lists' tabs and pager, clicked in a real browser (htmx redraws the results and pushes the
address): a tab keeps the unit filter and its count is reachable, "Sau ›" reaches the next page; a refused
submit followed by the language switch and a reload shows the task page, never the browser's 405."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from tests.browser.conftest import shot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def listing(transactional_db):
    from tests.factories import World

    world = World()
    past = timezone.localdate() - dt.timedelta(days=30)
    for i in range(27):
        world.task("assigned", title=f"Việc phường số {i:02d}")
    world.task("in_progress", due=past, title="Việc phường quá hạn")
    world.task("in_progress", due=past, unit=world.other_commune, title="Việc xã khác quá hạn")
    submitted = world.task("submitted", title="Chờ lãnh đạo duyệt")
    return world, submitted


def test_tabs_and_pager_keep_the_filters_and_reach_every_task(listing, browse):
    world, _submitted = listing
    page = browse(world.city_leader)
    # Every year: the list opens on this year's deadlines, and three weeks ahead may be next year.
    page.goto("/tasks/?unit=X01&tab=all&year=all")
    expect(page.locator(".pagination .pageinfo")).to_contain_text("Trang 1/2")
    page.get_by_role("link", name="Sau ›").click()
    expect(page.locator(".pagination .pageinfo")).to_contain_text("Trang 2/2")
    assert page.url.endswith("/tasks/?unit=X01&tab=all&year=all&page=2")
    expect(page.locator(".task-title")).to_have_count(4)  # 29 tasks of X01: 25 + 4
    page.locator("a.tab-overdue").click()
    expect(page.locator("a.tab-overdue")).to_have_attribute("aria-current", "true")
    assert page.url.endswith("/tasks/?unit=X01&tab=overdue&year=all")
    expect(page.locator(".task-title")).to_have_text(["Việc phường quá hạn"])
    shot(page, "tasks-overdue-tab")
    page.goto("/my-tasks/")
    page.locator("a.tab-to_approve").click()
    expect(page.locator(".task-title")).to_have_text(["Chờ lãnh đạo duyệt"])


def test_a_refused_submit_then_english_then_a_reload_shows_the_task_page(listing, browse):
    world, _submitted = listing
    from tasks.models import Task

    task = Task.objects.get(title="Việc phường quá hạn")
    page = browse(world.official)
    page.goto(f"/tasks/{task.pk}/")
    page.locator(f'form[action="/tasks/{task.pk}/submit/"] button[type=submit]').first.click()
    expect(page.locator("main")).to_contain_text("tài liệu kiểm chứng")
    page.get_by_role("button", name="EN").click()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.locator("main")).to_contain_text("Việc phường quá hạn")
    response = page.reload()
    assert response.status == 200
    assert page.url.endswith(f"/tasks/{task.pk}/")
