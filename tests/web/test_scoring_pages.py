"""The scoring pages: the leader dashboard, the ranking table, a unit's breakdown, the survey import and the
appraisal entry. Each is scoped to what the signed-in user may see (404) and do (403), and takes the same
number of queries whatever the number of units and tasks."""

import datetime as dt
import io
import re
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from openpyxl import load_workbook

from org.models import Unit
from scoring.models import Appraisal, SurveyResult
from scoring.services import scores_recompute
from tasks import services as task_services
from tests.factories import STEPS_TO, bound_plan, criteria_set_from, drive, unit, user
from tests.scoring.sets import SET_2026

pytestmark = pytest.mark.django_db

TZ = ZoneInfo("Asia/Ho_Chi_Minh")
NOW = dt.datetime(2026, 11, 16, 10, 0, tzinfo=TZ)  # a Monday
OVERDUE_DUE = dt.date(2026, 10, 1)  # 46 days before NOW
FUTURE_DUE = dt.date(2026, 12, 1)


@pytest.fixture(autouse=True)
def clock():
    with time_machine.travel(NOW, tick=False):
        yield NOW


def _html(r) -> str:
    return r.content.decode()


def _task(s, assignee, member, code, due, steps, title):
    task = task_services.task_create(
        actor=s.world.city_leader,
        plan=s.plan,
        title=title,
        assignee_unit=assignee,
        due_date=due,
        criterion_code=code,
    )
    return drive(task, steps, leader=s.world.city_leader, member=member)


@pytest.fixture
def scored(world):
    """The 2026 test set bound to a plan of the city. X01 has an overdue task on 1.1 (5 points: only 2.4's
    "full when no tasks"); X02 did its own on time (30 points); X99, in another district, has none (5)."""
    w = world
    cs = criteria_set_from(SET_2026)
    s = SimpleNamespace(world=w, cs=cs, plan=bound_plan(w, cs, number="20/KH-UBND"))
    s.overdue = _task(s, w.commune, w.official, "1.1", OVERDUE_DUE, ["assign", "start"], "Ban hành kế hoạch")
    s.done = _task(
        s, w.other_commune, w.other_official, "1.1", FUTURE_DUE, STEPS_TO["approved"], "Kế hoạch của xã"
    )
    scores_recompute(criteria_set=cs)
    s.appraiser = user("appraiser", memberships=[(w.city, "appraiser")])
    s.far_appraiser = user("farappraiser", memberships=[(w.elsewhere, "appraiser")])
    return s


def _ranking_rows(html: str) -> dict[str, tuple[str, str]]:
    """unit code → (rank, total) as the ranking table carries them."""
    rows = re.findall(r'data-unit="([^"]+)" data-rank="(\d*)" data-total="([^"]+)"', html)
    return {code: (rank, total) for code, rank, total in rows}


def _grow(s, n: int) -> None:
    """Add n communes under the city, each with a task on time and one overdue, and score them."""
    for i in range(n):
        commune = unit(f"XN{i:02d}", parent=s.world.city)
        member = user(f"member{i}", memberships=[(commune, "official")])
        _task(s, commune, member, "1.1", FUTURE_DUE, STEPS_TO["approved"], f"Việc xong {i}")
        _task(s, commune, member, "1.4", OVERDUE_DUE, ["assign"], f"Việc quá hạn {i}")
    scores_recompute(criteria_set=s.cs)


def _queries(client, url: str) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


# --- Menu ---------------------------------------------------------------------------------------------------


def test_the_menu_shows_each_role_its_pages_and_the_bell(scored, web):
    w = scored.world
    html = _html(web.as_(w.official).get("/my-tasks/"))
    assert 'href="/ranking/"' in html and 'href="/notifications/"' in html and 'class="bell"' in html
    assert 'href="/dashboard/"' not in html and 'href="/appraisal/"' not in html
    html = _html(web.as_(w.city_leader).get("/my-tasks/"))
    assert 'href="/dashboard/"' in html and 'href="/appraisal/"' not in html
    html = _html(web.as_(scored.appraiser).get("/my-tasks/"))
    assert 'href="/appraisal/"' in html and 'href="/dashboard/"' not in html


# --- Ranking ------------------------------------------------------------------------------------------------


def test_ranking_opens_on_the_users_peer_group_and_links_only_breakdowns_they_may_see(scored, web):
    w, cs = scored.world, scored.cs
    html = _html(web.as_(w.official).get("/ranking/"))
    assert _ranking_rows(html) == {"X02": ("1", "30.0000"), "X01": ("2", "5.0000")}
    assert f'href="/ranking/{cs.pk}/units/{w.commune.pk}/"' in html
    assert f'href="/ranking/{cs.pk}/units/{w.other_commune.pk}/"' not in html
    assert f"/api/criteria-sets/{cs.pk}/export.xlsx?parent={w.city.pk}" in html
    assert 'class="rankbars"' in html and "<svg" in html

    # Another district's official lands on their own group, and may look at the city's without links.
    client = web.as_(w.stranger)
    assert set(_ranking_rows(_html(client.get("/ranking/")))) == {"X99"}
    html = _html(client.get(f"/ranking/?set={cs.pk}&parent={w.city.pk}"))
    assert set(_ranking_rows(html)) == {"X01", "X02"} and f"/ranking/{cs.pk}/units/" not in html
    assert client.get("/ranking/?set=999999").status_code == 404
    assert client.get("/ranking/?set=abc").status_code == 404
    # "²" passes str.isdigit (int() refuses it), "١" is an Arabic-Indic digit, 20 digits overflow a bigint.
    for raw in ("²", "١", "9" * 20, f"{cs.pk}.0"):
        assert client.get("/ranking/", {"set": raw}).status_code == 404, raw


def test_the_export_link_gives_the_score_sheets(scored, web):
    w, cs = scored.world, scored.cs
    r = web.as_(w.city_leader).get(f"/api/criteria-sets/{cs.pk}/export.xlsx?parent={w.city.pk}")
    assert r.status_code == 200
    wb = load_workbook(io.BytesIO(r.content))
    assert {"X01", "X02"} <= set(wb.sheetnames)


def test_ranking_takes_the_same_number_of_queries_for_more_units(scored, web, django_assert_max_num_queries):
    client = web.as_(scored.world.city_leader)
    url = f"/ranking/?set={scored.cs.pk}&parent={scored.world.city.pk}"
    small = _queries(client, url)
    _grow(scored, 12)
    with django_assert_max_num_queries(small):
        html = _html(client.get(url))
    assert len(_ranking_rows(html)) == 14


# --- Breakdown ----------------------------------------------------------------------------------------------


def test_breakdown_shows_points_lost_and_the_tasks_behind_them(scored, web):
    w, cs = scored.world, scored.cs
    r = web.as_(w.official).get(f"/ranking/{cs.pk}/units/{w.commune.pk}/")
    assert r.status_code == 200
    html = _html(r)
    assert "Phường Đồng Tâm" in html and 'data-total="5.0000"' in html
    # Criterion 1.1: the overdue task, its status badge and a link to it.
    assert f'href="/tasks/{scored.overdue.pk}/"' in html
    assert 'class="badge tone-overdue"' in html
    assert "Tiêu chí bị mất điểm nhiều nhất" in html and "−10" in html
    # An official cannot appraise, so no appraisal button.
    assert f"/appraisal/{cs.pk}/units/" not in html


def test_breakdown_is_404_for_what_the_user_may_not_see(scored, web):
    w, cs = scored.world, scored.cs
    url = f"/ranking/{cs.pk}/units/{{}}/"
    assert web.as_(w.official).get(url.format(w.other_commune.pk)).status_code == 404
    assert web.as_(w.stranger).get(url.format(w.commune.pk)).status_code == 404
    leader = web.as_(w.city_leader)
    assert leader.get(url.format(w.other_commune.pk)).status_code == 200
    assert leader.get(url.format(w.city.pk)).status_code == 404  # not scored on a commune set
    assert leader.get(f"/ranking/999999/units/{w.commune.pk}/").status_code == 404
    html = _html(web.as_(scored.appraiser).get(url.format(w.commune.pk)))
    assert f'href="/appraisal/{cs.pk}/units/{w.commune.pk}/"' in html


# --- Dashboard ----------------------------------------------------------------------------------------------


def test_dashboard_shows_the_leaders_units_their_progress_overdue_tasks_and_scores(scored, web):
    w, cs = scored.world, scored.cs
    assert web.as_(w.official).get("/dashboard/").status_code == 403
    r = web.as_(w.city_leader).get("/dashboard/")
    assert r.status_code == 200
    html = _html(r)
    assert "Tổng quan: Thành phố Yên Bái" in html and 'class="monthchart"' in html
    # The units falling behind: X01 with its overdue task; X02 is fine.
    behind = html.split('id="h-behind"', 1)[1].split("</section>", 1)[0]
    assert "Phường Đồng Tâm" in behind and "Xã Tân Thịnh" not in behind
    # Overdue by age: 46 days, so in "more than 20", and the task is listed.
    ages = html.split('id="h-ages"', 1)[1].split("</section>", 1)[0]
    assert re.search(r"trên 20 ngày</th>.*?<td class=\"num\">1</td>", ages, re.S)
    assert f'href="/tasks/{scored.overdue.pk}/"' in ages
    # Index scores and ranks, linked to the breakdowns.
    assert f'href="/ranking/{cs.pk}/units/{w.commune.pk}/"' in html and "2/2" in html
    # Drill down into a sub-unit; another district is not the leader's.
    assert web.as_(w.city_leader).get(f"/dashboard/?unit={w.commune.pk}").status_code == 200
    assert web.as_(w.city_leader).get(f"/dashboard/?unit={w.elsewhere.pk}").status_code == 404
    assert "Phường Đồng Tâm" not in _html(web.as_(w.stranger_leader).get("/dashboard/"))


def test_dashboard_takes_the_same_number_of_queries_for_more_units(
    scored, web, django_assert_max_num_queries
):
    client = web.as_(scored.world.city_leader)
    small = _queries(client, "/dashboard/")
    _grow(scored, 12)
    with django_assert_max_num_queries(small):
        html = _html(client.get("/dashboard/"))
    assert "Đơn vị XN11" in html


# --- Survey import ------------------------------------------------------------------------------------------


def _csv(text: str, name: str = "dieu-tra.csv") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, text.encode(), content_type="text/csv")


def test_survey_import_lists_every_bad_row_and_imports_nothing(scored, web):
    w, cs = scored.world, scored.cs
    url = f"/appraisal/{cs.pk}/survey/"
    assert web.as_(w.official).get(url).status_code == 403
    client = web.as_(scored.appraiser)
    assert client.get(url).status_code == 200
    bad = "unit_code,criterion_code,points\nX01,3.1,15\nX77,3.1,5\nX02,3.1,abc\nX02,1.1,3\n"
    r = client.post(url, {"file": _csv(bad)})
    assert r.status_code == 400
    html = _html(r)
    assert "dòng 3" in html and "X77" in html
    assert "dòng 4" in html and "abc" in html
    assert "dòng 5" in html and "1.1" in html
    assert "dòng 2:" not in html
    assert 'name="payload"' not in html and SurveyResult.objects.count() == 0
    # A unit outside the appraiser's subtree is refused before anything is confirmed.
    r = client.post(url, {"file": _csv("unit_code,criterion_code,points\nX99,3.1,5\n")})
    assert r.status_code == 400 and "X99" in _html(r) and 'name="payload"' not in _html(r)


def test_survey_import_previews_then_imports_what_was_previewed(scored, web):
    cs = scored.cs
    url = f"/appraisal/{cs.pk}/survey/"
    client = web.as_(scored.appraiser)
    r = client.post(url, {"file": _csv("unit_code,criterion_code,points\nX01,3.1,15\nX02,3.2;7,5\n")})
    assert r.status_code == 400  # "3.2;7,5" is not three cells
    r = client.post(url, {"file": _csv("unit_code;criterion_code;points\nX01;3.1;15\nX02;3.2;7,5\n")})
    assert r.status_code == 200
    html = _html(r)
    assert "Phường Đồng Tâm" in html and "Xã Tân Thịnh" in html and "Xác nhận nhập" in html
    assert SurveyResult.objects.count() == 0
    payload = re.search(r'name="payload" value="([^"]+)"', html).group(1)
    # A tampered payload imports nothing.
    r = client.post(url, {"payload": payload[:-3] + "abc", "confirm": "1"})
    assert r.status_code == 302 and SurveyResult.objects.count() == 0
    r = client.post(url, {"payload": payload, "confirm": "1"})
    assert r.status_code == 302 and r["Location"] == f"/appraisal/?set={cs.pk}"
    got = {(s.unit.code, s.criterion.code): str(s.points) for s in SurveyResult.objects.all()}
    assert got == {("X01", "3.1"): "15.0000", ("X02", "3.2"): "7.5000"}


def test_a_survey_refused_at_confirmation_says_why_on_the_upload_page(scored, web):
    """Something changed between the preview and the confirmation: a message, not a 500, nothing imported."""
    cs = scored.cs
    url = f"/appraisal/{cs.pk}/survey/"
    client = web.as_(scored.appraiser)
    html = _html(client.post(url, {"file": _csv("unit_code,criterion_code,points\nX01,3.1,15\nX02,3.2,7\n")}))
    payload = re.search(r'name="payload" value="([^"]+)"', html).group(1)
    Unit.objects.filter(code="X02").update(kind="district")  # no longer scored on this set
    r = client.post(url, {"payload": payload, "confirm": "1"})
    assert r.status_code == 302 and r["Location"] == url
    assert "X02" in _html(client.get(url))
    assert SurveyResult.objects.count() == 0


# --- Appraisal ----------------------------------------------------------------------------------------------


def test_appraisal_entry_checks_each_field_saves_and_clears(scored, web):
    w, cs = scored.world, scored.cs
    url = f"/appraisal/{cs.pk}/units/{w.commune.pk}/"
    client = web.as_(scored.appraiser)
    html = _html(client.get(url))
    assert 'name="c1_5-points"' in html and 'name="c2_1-points"' in html and "Tự chấm" in html

    # Above the leaf's max: refused next to the field, and nothing saved (not even the valid one).
    r = client.post(url, {"c1_5-points": "7", "c1_4-points": "2"})
    assert r.status_code == 400
    html = _html(r)
    assert 'id="id_c1_5-points_error"' in html and 'id="id_c1_4-points_error"' not in html
    assert Appraisal.objects.count() == 0
    # A note without points.
    r = client.post(url, {"c1_4-note": "thiếu hồ sơ"})
    assert r.status_code == 400 and 'id="id_c1_4-points_error"' in _html(r)

    r = client.post(url, {"c1_5-points": "4,5", "c1_5-note": "Báo cáo đầy đủ"})
    assert r.status_code == 302
    a = Appraisal.objects.get()
    assert (a.criterion.code, str(a.points), a.note) == ("1.5", "4.5000", "Báo cáo đầy đủ")
    assert a.appraiser == scored.appraiser
    html = _html(client.get(url))
    assert 'value="4.5"' in html and "Báo cáo đầy đủ" in html

    # Emptying the box clears the appraisal.
    assert client.post(url, {"c1_5-points": ""}).status_code == 302
    assert Appraisal.objects.count() == 0


def test_appraisal_entry_is_for_appraisers_of_the_units_subtree(scored, web):
    w, cs = scored.world, scored.cs
    url = f"/appraisal/{cs.pk}/units/{{}}/"
    assert web.as_(w.city_leader).get(url.format(w.commune.pk)).status_code == 403
    assert web.as_(scored.far_appraiser).get(url.format(w.commune.pk)).status_code == 404
    assert web.as_(scored.far_appraiser).get(url.format(w.elsewhere_commune.pk)).status_code == 200
    assert web.as_(scored.appraiser).get(url.format(w.city.pk)).status_code == 404
    assert web.as_(w.official).get("/appraisal/").status_code == 403
    html = _html(web.as_(scored.appraiser).get(f"/appraisal/?set={cs.pk}"))
    assert "Phường Đồng Tâm" in html and "Xã Tân Thịnh" in html and "Xã Mường Lai" not in html


def test_the_scoring_pages_speak_english(scored, web):
    w = scored.world
    w.city_leader.language = "en"
    w.city_leader.save(update_fields=["language"])
    client = web.as_(w.city_leader)
    client.post("/accounts/language/", {"language": "en", "next": "/ranking/"})
    html = _html(client.get("/ranking/"))
    assert "PAR index ranking" in html and "Ranking table" in html and "Xếp hạng chỉ số" not in html
    html = _html(client.get("/dashboard/"))
    assert "Dashboard: Thành phố Yên Bái" in html and "Units falling behind" in html
    assert "Overdue tasks by days overdue" in html and "Đơn vị chậm tiến độ" not in html
    html = _html(client.get(f"/ranking/{scored.cs.pk}/units/{w.commune.pk}/"))
    assert "Points by criterion" in html and "Still to win" in html


def test_the_appraisal_page_shows_who_changed_which_leaf_from_what_to_what(scored, web):
    """Issue 12: an appraisal is an audited write; the appraisal page lists its history."""
    from org.models import AuditAction, AuditEntry

    w, cs = scored.world, scored.cs
    client = web.as_(scored.appraiser)
    url = f"/appraisal/{cs.pk}/units/{w.commune.pk}/"
    page = client.get(url)
    assert page.status_code == 200 and "Chưa có thao tác nào được ghi lại." in _html(page)
    data = {}
    for item in page.context["items"]:
        if "form" in item:
            form = item["form"]
            data.update({form.add_prefix(name): value for name, value in form.initial.items()})
    data["c1_1-points"], data["c1_1-note"] = "1", "Thiếu kế hoạch đã ban hành"
    html = _html(client.post(url, data, follow=True))
    assert "Lịch sử thẩm định" in html and "Lưu điểm thẩm định" in html
    assert "Thiếu kế hoạch đã ban hành" in html and scored.appraiser.display_name in html
    (entry,) = AuditEntry.objects.filter(action=AuditAction.APPRAISAL_SAVED)
    assert entry.unit == w.commune and entry.actor == scored.appraiser
    assert entry.changes == {"1.1": [None, "1"]}


def test_a_survey_import_leaves_one_audit_entry_per_unit_with_points_before_and_after(scored, web):
    from org.models import AuditAction, AuditEntry
    from scoring.services import survey_import

    w, cs = scored.world, scored.cs
    first = b"unit_code,criterion_code,points\nX01,3.1,15\nX01,3.2,8\nX02,3.1,20\n"
    survey_import(actor=scored.appraiser, criteria_set=cs, data=first, filename="dot1.csv")
    survey_import(
        actor=scored.appraiser, criteria_set=cs, data=b"unit_code,criterion_code,points\nX01,3.1,17.5\n"
    )
    entries = AuditEntry.objects.filter(action=AuditAction.SURVEY_IMPORTED, unit=w.commune).order_by("id")
    assert [e.changes for e in entries] == [
        {"3.1": [None, "15"], "3.2": [None, "8"]},
        {"3.1": ["15", "17.5"]},
    ]
    assert entries[0].note == "dot1.csv" and entries[0].actor == scored.appraiser
    assert AuditEntry.objects.filter(action=AuditAction.SURVEY_IMPORTED, unit=w.other_commune).count() == 1
    html = _html(web.as_(scored.appraiser).get(f"/appraisal/{cs.pk}/units/{w.commune.pk}/"))
    assert "Nhập kết quả điều tra xã hội học" in html and "17.5" in html
