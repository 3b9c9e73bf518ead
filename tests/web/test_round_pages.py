"""The assessment round's pages (SPEC §3a): the round page with its steps and the units' progress, a unit's
self-assessment and explanation, the appraiser's page beside what the unit said, with bonus and penalty,
and the ranking once published. Each page is for the right users (404 for what they may not see, 403 for
what they may not do); a refused form says why next to its field and the same URL then reloads (200, never
405); a page takes the same number of queries however many units there are.

The Django test client; scores are recomputed by hand between steps (no worker runs here)."""

import datetime as dt
import os
import re
from types import SimpleNamespace

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from criteria.models import CriteriaSet
from scoring import services
from scoring.models import Adjustment, Appraisal, CriterionEvidence, LeafAssessment, RoundAction
from scoring.services import scores_recompute
from tasks import services as task_services
from tests.factories import STEPS_TO, bound_plan, criteria_set_from, drive, pdf_file, unit, user
from tests.scoring.sets import SET_2026

pytestmark = pytest.mark.django_db

CLASSES = [[90, "Xuất sắc"], [80, "Tốt"], [65, "Khá"], [30, "Trung bình"], [0, "Yếu"]]


def _html(r) -> str:
    return r.content.decode()


@pytest.fixture
def s(world):
    """The 2026 test set issued by the city (classes, bonus up to 2, penalty up to 3), a task of X01 on 1.1
    done on time, the city's appraiser and each commune's leader."""
    w = world
    today = timezone.localdate()
    cs = criteria_set_from(SET_2026)
    CriteriaSet.objects.filter(pk=cs.pk).update(
        owner_unit=w.city, classes=CLASSES, bonus_max=2, penalty_max=3
    )
    cs.refresh_from_db()
    plan = bound_plan(w, cs, number="21/KH-UBND")
    task = task_services.task_create(
        actor=w.city_leader,
        plan=plan,
        title="Ban hành kế hoạch CCHC",
        assignee_unit=w.commune,
        due_date=today + dt.timedelta(days=40),
        criterion_code="1.1",
    )
    drive(task, STEPS_TO["approved"], leader=w.city_leader, member=w.official)
    scores_recompute(criteria_set=cs)
    return SimpleNamespace(
        world=w,
        cs=cs,
        today=today,
        appraiser=user("thamdinh", memberships=[(w.city, "appraiser")]),
        leader1=user("lanhdao1", memberships=[(w.commune, "leader")]),
        leader2=user("lanhdao2", memberships=[(w.other_commune, "leader")]),
        round_url=f"/round/{cs.pk}/",
        sheet_url=f"/round/{cs.pk}/units/{w.commune.pk}/",
        appraisal_url=f"/appraisal/{cs.pk}/units/{w.commune.pk}/",
    )


def _step(s, action, **fields):
    services.round_step(
        actor=s.appraiser, criteria_set=s.cs, action=action, fields=services.StepFields(**fields)
    )
    scores_recompute(criteria_set=s.cs)


def _open(s):
    _step(s, RoundAction.OPEN_SELF_ASSESSMENT, self_assessment_until=s.today + dt.timedelta(days=10))


def _self_assessed(s):
    """X01 gives itself 4 of 5 on the manual leaf 1.5 with an explanation and a file, and submits."""
    _open(s)
    w = s.world
    kw = {"actor": s.leader1, "criteria_set": s.cs, "unit": w.commune}
    services.self_assessment_leaf_save(**kw, code="1.5", self_points="4", explanation="Báo cáo đủ, đúng mẫu")
    services.criterion_evidence_add(**kw, code="1.5", file=pdf_file("bao-cao-quy.pdf"), doc_number="12/BC")
    services.self_assessment_submit(**kw)
    scores_recompute(criteria_set=s.cs)


def _explaining(s):
    """…then the appraisal gives 2 on 1.5 (below its own 4) and the explanation opens."""
    _self_assessed(s)
    _step(s, RoundAction.START_APPRAISAL)
    services.appraisal_set(
        actor=s.appraiser,
        criteria_set=s.cs,
        unit=s.world.commune,
        code="1.5",
        points=2,
        note="Thiếu báo cáo quý",
    )
    scores_recompute(criteria_set=s.cs)
    _step(s, RoundAction.OPEN_EXPLANATION, explanation_until=s.today + dt.timedelta(days=5))


def _published(s, number="125/QĐ-UBND"):
    _explaining(s)
    _step(s, RoundAction.START_FINAL_APPRAISAL)
    _step(s, RoundAction.PUBLISH, decision_number=number, decided_on=s.today)


def _queries(client, url: str) -> int:
    client.get(url)  # the first request of a session does a few more (the session, the user's settings)
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


def _grow(s, n: int) -> None:
    """n more communes under the city, each with a leader, scored and in the round if it is open."""
    for i in range(n):
        commune = unit(f"XN{i:02d}", parent=s.world.city)
        user(f"lead{i}", memberships=[(commune, "leader")])
    scores_recompute(criteria_set=s.cs)
    services.self_assessments_open(criteria_set=s.cs)


def _media_files(settings) -> set[str]:
    root = str(settings.MEDIA_ROOT)
    return {os.path.join(d, f) for d, _dirs, files in os.walk(root) for f in files}


# --- The round page -----------------------------------------------------------------------------------------


def test_the_round_page_shows_the_stage_to_everyone_and_the_next_step_to_those_who_run_it(s, web):
    w = s.world
    html = _html(web.as_(w.stranger).get(s.round_url))
    assert 'data-round-state="tracking"' in html and 'aria-current="step"' in html
    assert 'name="step"' not in html and 'id="h-progress"' not in html
    html = _html(web.as_(s.appraiser).get(s.round_url))
    assert 'name="step" value="open_self_assessment"' in html
    assert 'type="date" name="self_assessment_until"' in html and 'name="decision_number"' not in html
    progress = html.split('id="h-progress"', 1)[1]
    assert 'data-unit="X01" data-status="not_started"' in progress and "Chưa bắt đầu" in progress
    assert "X99" not in progress  # another district's commune is not scored on the city's set
    # A commune leader may not move the round: no form, and a forged step is refused (403).
    client = web.as_(s.leader1)
    assert 'name="step"' not in _html(client.get(s.round_url))
    assert client.post(s.round_url, {"step": "open_self_assessment"}).status_code == 403
    assert web.as_(s.appraiser).get("/round/999999/").status_code == 404


def test_a_step_without_its_date_is_refused_at_the_field_and_the_page_reloads(s, web):
    client = web.as_(s.appraiser)
    r = client.post(s.round_url, {"step": "open_self_assessment"})
    assert r.status_code == 400
    assert re.search(r'id="id_self_assessment_until_error">Trường này là bắt buộc ở bước này\.<', _html(r))
    assert client.get(s.round_url).status_code == 200  # a reload of the same URL: the page, not a 405
    yesterday = (s.today - dt.timedelta(days=1)).isoformat()
    r = client.post(s.round_url, {"step": "open_self_assessment", "self_assessment_until": yesterday})
    assert r.status_code == 400 and "Hạn không được trước ngày hôm nay." in _html(r)
    until = s.today + dt.timedelta(days=10)
    r = client.post(s.round_url, {"step": "open_self_assessment", "self_assessment_until": until.isoformat()})
    assert r.status_code == 302 and r["Location"] == s.round_url
    html = _html(client.get(s.round_url))
    assert "Kỳ đánh giá đã chuyển sang giai đoạn “Tự đánh giá”." in html
    assert f'data-field="self_assessment_until">{until:%d/%m/%Y}<' in html
    assert 'data-count="not_started">2<' in html
    assert 'name="step" value="start_appraisal"' in html and "data-confirm=" in html
    # The same step again, from a page drawn before: the service's answer, on the page (409).
    r = client.post(s.round_url, {"step": "open_self_assessment", "self_assessment_until": until.isoformat()})
    assert r.status_code == 409 and "Không thể “Mở tự đánh giá”" in _html(r)


def test_publishing_needs_the_decision_and_a_correction_needs_a_reason(s, web):
    _explaining(s)
    _step(s, RoundAction.START_FINAL_APPRAISAL)
    client = web.as_(s.appraiser)
    html = _html(client.get(s.round_url))
    assert 'name="decision_number"' in html and 'name="decided_on"' in html
    r = client.post(s.round_url, {"step": "publish", "decided_on": s.today.isoformat()})
    assert r.status_code == 400 and 'id="id_decision_number_error"' in _html(r)
    r = client.post(
        s.round_url, {"step": "publish", "decision_number": "125/QĐ-UBND", "decided_on": s.today.isoformat()}
    )
    assert r.status_code == 302
    html = _html(client.get(s.round_url))
    date = f"{s.today:%d/%m/%Y}"
    assert f"Đã công bố kết quả theo Quyết định số 125/QĐ-UBND ngày {date} (phiên bản 1)." in html
    assert 'data-round-state="published"' in html and 'data-version="1"' in html
    # An appraiser may not correct; an administrator may, with a reason.
    assert 'name="step" value="correct"' not in html
    admin = web.as_(s.world.admin)
    assert 'name="reason"' in _html(admin.get(s.round_url))
    r = admin.post(s.round_url, {"step": "correct"})
    assert r.status_code == 400 and 'id="id_reason_error"' in _html(r)
    assert admin.post(s.round_url, {"step": "correct", "reason": "Sai sót ở 1.1"}).status_code == 302
    assert "Lý do đính chính" in _html(admin.get(s.round_url))


def test_the_published_versions_link_to_their_exports_once_those_pages_exist(s, web):
    from django.urls import NoReverseMatch, reverse

    _published(s)
    html = _html(web.as_(s.world.stranger).get(s.round_url))
    row = html.split('data-version="1"', 1)[1].split("</tr>", 1)[0]
    assert "125/QĐ-UBND" in row and f"{s.today:%d/%m/%Y}" in row
    for name, label in (("scoring:published_xlsx", ">Excel<"), ("scoring:published_pdf", ">PDF<")):
        try:
            url = reverse(name, args=[s.cs.pk, 1])
        except NoReverseMatch:  # the exports' pages are not there yet: no link, and no error
            assert label not in row
        else:
            assert f'href="{url}"' in row


def test_the_progress_table_shows_each_status_and_pages_by_fifty(s, web):
    _open(s)
    w = s.world
    services.self_assessment_leaf_save(
        actor=s.leader2, criteria_set=s.cs, unit=w.other_commune, code="1.5", explanation="Đang làm"
    )
    services.self_assessment_submit(actor=s.leader1, criteria_set=s.cs, unit=w.commune)
    _grow(s, 50)
    client = web.as_(s.appraiser)
    html = _html(client.get(s.round_url))
    assert 'data-unit="X01" data-status="submitted"' in html and "Đã gửi" in html
    assert 'data-unit="X02" data-status="draft"' in html and "Đang tự đánh giá" in html
    assert html.count('data-status="not_started"') == 48  # 50 a page: X01, X02 and 48 of the new ones
    assert 'href="?page=2"' in html and "??" not in html
    html = _html(client.get(s.round_url, {"page": 2}))
    assert 'data-unit="XN49"' in html and 'data-unit="X01"' not in html and 'href="?page=1"' in html
    # Late: the appraisal starts, every unit not yet submitted is submitted as it stands.
    _step(s, RoundAction.START_APPRAISAL)
    html = _html(client.get(s.round_url))
    assert 'data-unit="X02" data-status="late"' in html and "Nộp muộn" in html
    assert 'data-count="late">51<' in html and 'data-count="submitted">1<' in html
    # The appraiser's list of units says the same.
    html = _html(client.get(f"/appraisal/?set={s.cs.pk}"))
    assert re.search(r'data-status="late"><span class="badge tone-done_late">Nộp muộn<', html)


def test_the_round_page_takes_the_same_number_of_queries_for_more_units(s, web):
    _open(s)
    client = web.as_(s.appraiser)
    small = _queries(client, s.round_url)
    _grow(s, 18)
    assert _queries(client, s.round_url) == small


# --- The self-assessment page -------------------------------------------------------------------------------


def test_a_units_sheet_is_seen_by_its_members_and_above_and_edited_by_its_leaders(s, web):
    _open(s)
    w = s.world
    html = _html(web.as_(s.leader1).get(s.sheet_url))
    assert 'name="c1_5-self_points"' in html and 'name="c1_1-self_points"' not in html  # manual leaves only
    assert 'name="c1_1-explanation"' in html and 'name="c1_1-file"' in html
    assert "Gửi bản tự đánh giá" in html and "Ban hành kế hoạch CCHC" in html  # the task behind 1.1
    for reader in (w.official, w.city_leader, s.appraiser):
        html = _html(web.as_(reader).get(s.sheet_url))
        assert "Phường Đồng Tâm" in html and 'name="c1_5-self_points"' not in html, reader
        assert "Gửi bản tự đánh giá" not in html
    for outsider in (s.leader2, w.stranger):
        assert web.as_(outsider).get(s.sheet_url).status_code == 404
    assert web.as_(w.official).post(s.sheet_url, {"c1_5-explanation": "x"}).status_code == 403
    assert web.as_(w.admin).get(f"/round/{s.cs.pk}/units/{w.elsewhere_commune.pk}/").status_code == 404
    assert web.as_(w.admin).get(f"/round/{s.cs.pk}/units/{w.city.pk}/").status_code == 404


def test_a_refused_leaf_saves_nothing_and_says_why_at_that_leaf(s, web, settings):
    _open(s)
    client = web.as_(s.leader1)
    before = _media_files(settings)
    r = client.post(
        s.sheet_url,
        {
            "c1_1-explanation": "Đã ban hành đúng hạn",
            "c1_4-file": pdf_file("bao-cao.pdf"),
            "c1_5-self_points": "6",
        },
    )
    assert r.status_code == 400
    html = _html(r)
    assert re.search(r'id="id_c1_5-self_points_error">Điểm phải từ 0 đến 5', html)
    assert "id_c1_1-explanation_error" not in html and "Chưa lưu: có 1 tiêu chí cần sửa" in html
    assert LeafAssessment.objects.count() == 0 and CriterionEvidence.objects.count() == 0
    assert _media_files(settings) == before  # 1.4's file, stored before 1.5 was refused, is gone too
    assert client.get(s.sheet_url).status_code == 200
    # A file that is not what its name says is refused at its leaf.
    r = client.post(s.sheet_url, {"c1_5-self_points": "4", "c1_5-file": pdf_file("gia.pdf", b"MZ not a pdf")})
    assert r.status_code == 400 and 'id="id_c1_5-file_error"' in _html(r)
    assert LeafAssessment.objects.count() == 0


def test_a_leader_saves_self_points_an_explanation_and_a_file_then_submits(s, web):
    _open(s)
    client = web.as_(s.leader1)
    r = client.post(
        s.sheet_url,
        {
            "c1_5-self_points": "4,5",
            "c1_5-explanation": "Báo cáo đủ, đúng mẫu",
            "c1_5-file": pdf_file("bao-cao-quy.pdf"),
            "c1_5-doc_number": "12/BC-UBND",
        },
    )
    assert r.status_code == 302 and r["Location"] == s.sheet_url
    evidence = CriterionEvidence.objects.get()
    html = _html(client.get(s.sheet_url))
    assert "Đã lưu 2 thay đổi." in html
    assert 'name="c1_5-self_points" value="4.5"' in html and "Báo cáo đủ, đúng mẫu" in html
    assert f'href="/round/evidence/{evidence.pk}/"' in html and "bao-cao-quy.pdf" in html
    # The file: for those who may see the unit's breakdown only.
    r = client.get(f"/round/evidence/{evidence.pk}/")
    assert r.status_code == 200 and b"".join(r.streaming_content).startswith(b"%PDF")
    assert web.as_(s.world.official).get(f"/round/evidence/{evidence.pk}/").status_code == 200
    assert web.as_(s.leader2).get(f"/round/evidence/{evidence.pk}/").status_code == 404
    assert web.as_(s.world.stranger).get(f"/round/evidence/{evidence.pk}/").status_code == 404
    # Submitting locks it: the page shows the state and no input any more.
    client = web.as_(s.leader1)
    r = client.post(s.sheet_url, {"submit": "1"})
    assert r.status_code == 302
    html = _html(client.get(s.sheet_url))
    assert "Đã gửi bản tự đánh giá." in html and 'data-sheet-state="submitted"' in html
    assert 'name="c1_5-self_points"' not in html and "Gửi bản tự đánh giá" not in html
    assert "gửi lúc" in html and "data-late" not in html
    r = client.post(s.sheet_url, {"submit": "1"})  # from a page drawn before
    assert r.status_code == 409 and "Bản tự đánh giá đã gửi" in _html(r)


def test_the_explanation_page_lists_only_the_leaves_appraised_below_the_units_points(s, web):
    _explaining(s)
    client = web.as_(s.leader1)
    html = _html(client.get(s.sheet_url))
    assert 'data-code="1.5"' in html and 'data-code="1.1"' not in html
    assert 'data-own="4"' in html and "Thiếu báo cáo quý" in html and 'name="c1_5-answer"' in html
    assert f"đến hết ngày {s.today + dt.timedelta(days=5):%d/%m/%Y}" in html
    r = client.post(s.sheet_url, {"c1_5-answer": "Đã gửi báo cáo quý IV ngày 10/12"})
    assert r.status_code == 302
    html = _html(client.get(s.sheet_url))
    assert "Đã gửi báo cáo quý IV ngày 10/12" in html
    # The appraiser reads the answer beside the leaf.
    html = _html(web.as_(s.appraiser).get(s.appraisal_url))
    assert "Giải trình" in html and "Đã gửi báo cáo quý IV ngày 10/12" in html


def test_the_sheet_takes_the_same_number_of_queries_for_more_units_and_files(s, web):
    _open(s)
    client = web.as_(s.leader1)
    small = _queries(client, s.sheet_url)
    _grow(s, 18)
    for code in ("1.1", "1.4", "1.5"):
        services.criterion_evidence_add(
            actor=s.leader1, criteria_set=s.cs, unit=s.world.commune, code=code, file=pdf_file()
        )
    assert _queries(client, s.sheet_url) == small


# --- The appraiser's page -----------------------------------------------------------------------------------


def test_the_appraiser_sees_what_the_unit_said_and_needs_a_note_below_its_points(s, web):
    _self_assessed(s)
    _step(s, RoundAction.START_APPRAISAL)
    client = web.as_(s.appraiser)
    html = _html(client.get(s.appraisal_url))
    said = html.split('id="leaf-c1_5"', 1)[1].split('class="apr-inputs"', 1)[0]
    assert 'data-own="4"' in said and "điểm đơn vị tự chấm" in said and "Báo cáo đủ, đúng mẫu" in said
    assert "bao-cao-quy.pdf" in said and "/round/evidence/" in said
    r = client.post(s.appraisal_url, {"c1_5-points": "2"})
    assert r.status_code == 400
    assert re.search(r"Điểm thẩm định thấp hơn điểm tự đánh giá của đơn vị: ghi rõ lý do\.", _html(r))
    assert Appraisal.objects.filter(unit=s.world.commune).count() == 0
    assert client.get(s.appraisal_url).status_code == 200
    r = client.post(s.appraisal_url, {"c1_5-points": "2", "c1_5-note": "Thiếu báo cáo quý"})
    assert r.status_code == 302
    assert Appraisal.objects.get(unit=s.world.commune).note == "Thiếu báo cáo quý"


def test_bonus_and_penalty_within_the_sets_caps(s, web):
    client = web.as_(s.appraiser)
    html = _html(client.get(s.appraisal_url))
    assert 'name="adj-bonus"' in html and 'name="adj-penalty"' in html and "Điểm thưởng tối đa 2." in html
    r = client.post(s.appraisal_url, {"adjustment": "1", "adj-bonus": "3", "adj-note": "Sáng kiến"})
    assert r.status_code == 400 and re.search(r'id="id_adj-bonus_error">Tối đa 2(\.00)? điểm', _html(r))
    assert client.get(s.appraisal_url).status_code == 200
    r = client.post(s.appraisal_url, {"adjustment": "1", "adj-bonus": "1"})
    assert r.status_code == 400 and "Ghi rõ lý do điểm thưởng, điểm trừ." in _html(r)
    r = client.post(s.appraisal_url, {"adjustment": "1", "adj-bonus": "1,5", "adj-note": "Sáng kiến"})
    assert r.status_code == 302
    assert "Đã lưu điểm thưởng, điểm trừ." in _html(client.get(s.appraisal_url))
    row = Adjustment.objects.get()
    assert (str(row.bonus), row.note) == ("1.50", "Sáng kiến")
    # A set without bonus or penalty has no such form.
    CriteriaSet.objects.filter(pk=s.cs.pk).update(bonus_max=None, penalty_max=None)
    assert 'name="adj-bonus"' not in _html(client.get(s.appraisal_url))


def test_after_publication_the_appraisal_page_is_read_only(s, web):
    _published(s)
    client = web.as_(s.appraiser)
    html = _html(client.get(s.appraisal_url))
    assert "Kết quả đã công bố" in html and "<fieldset disabled" in html
    assert ">Lưu điểm thẩm định</button>" not in html and ">Lưu điểm thưởng, điểm trừ</button>" not in html
    r = client.post(s.appraisal_url, {"c1_5-points": "5", "c1_5-note": "x"})
    assert r.status_code == 409 and "đính chính" in _html(r)


# --- The ranking and the links to the round ---------------------------------------------------------------


def test_the_live_ranking_shows_classes_and_links_to_the_round(s, web):
    html = _html(web.as_(s.world.official).get(f"/ranking/?set={s.cs.pk}"))
    assert f'href="{s.round_url}"' in html and "Xếp loại" in html
    assert re.search(r'data-unit="X01".*?data-class="Trung bình"', html, re.S)
    assert "Kết quả đã công bố" not in html
    html = _html(web.as_(s.appraiser).get(f"/appraisal/?set={s.cs.pk}"))
    assert f'href="{s.round_url}"' in html


def test_once_published_the_ranking_is_the_published_version_with_its_decision(s, web):
    _published(s)
    client = web.as_(s.world.stranger)
    date = f"{s.today:%d/%m/%Y}"
    html = _html(client.get(f"/ranking/?set={s.cs.pk}&parent={s.world.city.pk}"))
    assert f"Kết quả đã công bố theo Quyết định số 125/QĐ-UBND ngày {date} (phiên bản 1)" in html
    assert re.search(r'data-unit="X01".*?data-class="[^"]+"', html, re.S) and 'name="version"' not in html
    # A correction and a second decision: version 2 by default, version 1 on request.
    services.round_step(
        actor=s.world.admin, criteria_set=s.cs, action="correct", fields=services.StepFields(reason="Sai sót")
    )
    _step(s, RoundAction.PUBLISH, decision_number="130/QĐ-UBND", decided_on=s.today)
    html = _html(client.get(f"/ranking/?set={s.cs.pk}&parent={s.world.city.pk}"))
    assert "Quyết định số 130/QĐ-UBND" in html and "(phiên bản 2)" in html and 'name="version"' in html
    html = _html(client.get(f"/ranking/?set={s.cs.pk}&parent={s.world.city.pk}&version=1"))
    assert "Quyết định số 125/QĐ-UBND" in html and "(phiên bản 1)" in html
    assert client.get(f"/ranking/?set={s.cs.pk}&version=9").status_code == 404


def test_a_leaders_dashboard_links_to_the_sheet_while_the_round_asks_for_it(s, web):
    client = web.as_(s.leader1)
    assert s.sheet_url not in _html(client.get("/dashboard/"))
    _open(s)
    html = _html(client.get("/dashboard/"))
    assert f'href="{s.sheet_url}"' in html and "Mở bản tự đánh giá" in html
    assert f"hết ngày {s.today + dt.timedelta(days=10):%d/%m/%Y}" in html
    # The city's leader does not assess a commune in its place.
    assert s.sheet_url not in _html(web.as_(s.world.city_leader).get("/dashboard/"))


def test_the_round_page_shows_its_steps_in_the_audit_trail_and_the_breakdown_links_the_sheet(db, web):
    from criteria.services import criteria_set_import
    from scoring.services import StepFields, round_step
    from tests.factories import World

    w = World()
    cs = criteria_set_import(data=SET_2026)
    until = timezone.localdate() + dt.timedelta(days=9)
    round_step(
        actor=w.admin,
        criteria_set=cs,
        action="open_self_assessment",
        fields=StepFields(self_assessment_until=until),
    )
    body = web.as_(w.admin).get(f"/round/{cs.pk}/").content.decode()
    history = body[body.index("Nhật ký kỳ đánh giá") :]
    assert "Chuyển giai đoạn kỳ đánh giá" in history and until.strftime("%Y-%m-%d") in history
    leader = user("ldx01", memberships=[(w.commune, "leader")])
    page = web.as_(leader).get(f"/ranking/{cs.pk}/units/{w.commune.pk}/").content.decode()
    assert f'href="/round/{cs.pk}/units/{w.commune.pk}/"' in page
