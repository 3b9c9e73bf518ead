"""The assessment round end to end through the HTTP API (SPEC §3a, §5), as a city's appraiser and two
communes' leaders run it: self-assessment with a manual leaf and evidence, a late unit submitted at the
start of the appraisal, an appraisal below the unit's own points (a note required), bonus within the cap, an
explanation that restores the points, publication with classes and a decision, frozen rows that a reopened
task does not move, and a correction that publishes version 2 while version 1 stays readable.

A real Celery worker recomputes the scores between steps, as in production; the test polls the API.
`api.as_(user)` signs the one client in as that user: every request says whose it is."""

import datetime as dt

import pytest
from django.utils import timezone

from criteria.models import CriteriaSet
from notifications.models import Notification
from scoring.models import PublishedLeaf, PublishedResult, PublishedScore
from scoring.services import scores_recompute, scores_reconcile
from tasks import services as task_services
from tests.factories import STEPS_TO, bound_plan, drive, pdf_file, user
from tests.polling import wait_for
from tests.scoring.sets import SET_2026

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.worker]

CLASSES = [[90, "Xuất sắc"], [80, "Tốt"], [65, "Khá"], [30, "Trung bình"], [0, "Yếu"]]


def _frozen(result_ids):
    return (
        sorted(
            PublishedScore.objects.filter(result_id__in=result_ids).values_list("unit_id", "total", "rank")
        ),
        sorted(
            PublishedLeaf.objects.filter(result_id__in=result_ids).values_list(
                "unit_id", "criterion_id", "points"
            )
        ),
    )


def test_a_whole_round_through_the_api(world, api, worker, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    w = world
    today = timezone.localdate()
    appraiser = user("thamdinh", memberships=[(w.city, "appraiser")])
    leader1 = user("lanhdao1", memberships=[(w.commune, "leader")])
    leader2 = user("lanhdao2", memberships=[(w.other_commune, "leader")])

    r = api.as_(w.admin).post("/api/criteria-sets/", SET_2026.encode(), content_type="application/yaml")
    assert r.status_code == 201, r.json()
    cs_id = r.json()["id"]
    # The city issues the set: it scores its own communes, in classes, with up to 2 bonus points.
    CriteriaSet.objects.filter(pk=cs_id).update(
        owner_unit=w.city, classes=CLASSES, bonus_max=2, penalty_max=3
    )
    cs = CriteriaSet.objects.get(pk=cs_id)
    plan = bound_plan(w, cs, number="21/KH-UBND")
    task = task_services.task_create(
        actor=w.city_leader,
        plan=plan,
        title="Ban hành kế hoạch CCHC",
        assignee_unit=w.commune,
        due_date=today + dt.timedelta(days=40),
        criterion_code="1.1",
    )
    task = drive(task, STEPS_TO["approved"], leader=w.city_leader, member=w.official)
    base = f"/api/criteria-sets/{cs_id}"

    # Tracking: a leader cannot move the round; the appraiser opens the self-assessment.
    assert api.as_(leader1).post(f"{base}/round/open_self_assessment/", {}).status_code == 403
    r = api.as_(appraiser).post(f"{base}/round/open_self_assessment/", {}, format="json")
    assert r.status_code == 400 and "self_assessment_until" in r.json()
    until = (today + dt.timedelta(days=10)).isoformat()
    r = api.as_(appraiser).post(
        f"{base}/round/open_self_assessment/", {"self_assessment_until": until}, format="json"
    )
    assert r.status_code == 200, r.json()
    assert r.json()["state"] == "self_assessment"
    assert r.json()["units"] == {"draft": 2, "submitted": 0, "late": 0, "not_started": 2}
    assert (
        api.as_(appraiser)
        .post(f"{base}/round/open_self_assessment/", {"self_assessment_until": until}, format="json")
        .status_code
        == 409
    )

    # X01's leader: self points on the manual leaf (not on an automatic one), an explanation, evidence.
    sheet = f"{base}/self-assessments/{w.commune.pk}"
    assert api.as_(leader1).put(f"{sheet}/1.1/", {"self_points": "5"}, format="json").status_code == 400
    assert (
        api.as_(leader1).put(f"{sheet}/1.5/", {"self_points": "6"}, format="json").status_code == 400
    )  # above max 5
    r = api.as_(leader1).put(
        f"{sheet}/1.5/", {"self_points": "4", "explanation": "Báo cáo đủ, đúng mẫu"}, format="json"
    )
    assert r.status_code == 200, r.json()
    leaf = {x["code"]: x for x in r.json()["leaves"]}["1.5"]
    assert (leaf["self_points"], leaf["explanation"]) == ("4.0000", "Báo cáo đủ, đúng mẫu")
    r = api.as_(leader1).post(
        f"{sheet}/evidence/",
        {"criterion_code": "1.5", "file": pdf_file("bao-cao-quy.pdf"), "doc_number": "12/BC-UBND"},
        format="multipart",
    )
    assert r.status_code == 201, r.json()
    # Another commune's leader may not write X01's sheet; an official of X01 neither.
    assert api.as_(leader2).put(f"{sheet}/1.5/", {"self_points": "5"}, format="json").status_code == 404
    assert api.as_(w.official).put(f"{sheet}/1.5/", {"self_points": "5"}, format="json").status_code == 403
    assert api.as_(leader1).post(f"{sheet}/submit/").status_code == 200
    assert api.as_(leader1).post(f"{sheet}/submit/").status_code == 409
    assert api.as_(leader1).put(f"{sheet}/1.5/", {"self_points": "5"}, format="json").status_code == 409

    # The appraisal starts: X02, which never submitted, is submitted as it stands, late.
    r = api.as_(appraiser).post(f"{base}/round/start_appraisal/", {}, format="json")
    assert r.status_code == 200 and r.json()["units"]["late"] == 1
    assert api.as_(appraiser).get(f"{base}/self-assessments/{w.other_commune.pk}/").json()["late"] is True

    def own_points_seen():
        leaves = {x["code"]: x for x in api.as_(appraiser).get(f"{sheet}/").json()["leaves"]}
        return leaves["1.5"]["own_points"] == "4.0000"

    wait_for(own_points_seen, what="the worker to recompute X01's own points")
    # Below the unit's own points, a note is required.
    r = api.as_(appraiser).put(f"{base}/appraisals/{w.commune.pk}/1.5/", {"points": "2"}, format="json")
    assert r.status_code == 400 and "note" in r.json()
    r = api.as_(appraiser).put(
        f"{base}/appraisals/{w.commune.pk}/1.5/", {"points": "2", "note": "Thiếu báo cáo quý"}, format="json"
    )
    assert r.status_code == 200, r.json()
    r = api.as_(appraiser).put(
        f"{base}/adjustments/{w.commune.pk}/", {"bonus": "3", "note": "Sáng kiến"}, format="json"
    )
    assert r.status_code == 400 and "bonus" in r.json()
    r = api.as_(appraiser).put(
        f"{base}/adjustments/{w.commune.pk}/", {"bonus": "1", "note": "Sáng kiến"}, format="json"
    )
    assert r.status_code == 200, r.json()

    # The explanation: X01 may answer the leaf appraised below its own points, and only that one.
    r = api.as_(appraiser).post(
        f"{base}/round/open_explanation/",
        {"explanation_until": (today + dt.timedelta(days=5)).isoformat()},
        format="json",
    )
    assert r.status_code == 200, r.json()

    def awaiting():
        return [
            x["code"] for x in api.as_(appraiser).get(f"{sheet}/").json()["leaves"] if x["awaiting_answer"]
        ]

    assert wait_for(awaiting, what="the appraisal in X01's sheet") == ["1.5"]
    assert api.as_(leader1).put(f"{sheet}/1.1/answer/", {"text": "x"}, format="json").status_code == 400
    r = api.as_(leader1).put(
        f"{sheet}/1.5/answer/", {"text": "Đã gửi báo cáo quý IV ngày 10/12"}, format="json"
    )
    assert r.status_code == 200, r.json()

    # The final appraisal settles it: the points come back.
    assert (
        api.as_(appraiser).post(f"{base}/round/start_final_appraisal/", {}, format="json").status_code == 200
    )
    r = api.as_(appraiser).put(
        f"{base}/appraisals/{w.commune.pk}/1.5/",
        {"points": "4", "note": "Chấp nhận giải trình"},
        format="json",
    )
    assert r.status_code == 200

    # Publication needs the decision.
    r = api.as_(appraiser).post(f"{base}/round/publish/", {"decision_number": ""}, format="json")
    assert r.status_code == 400 and "decision_number" in r.json()
    r = api.as_(appraiser).post(
        f"{base}/round/publish/",
        {"decision_number": "125/QĐ-UBND", "decided_on": today.isoformat()},
        format="json",
    )
    assert r.status_code == 200, r.json()
    assert (r.json()["state"], r.json()["version"]) == ("published", 1)
    # The worker announces it to both communes' leaders (in the app, by their channels) and renders the
    # decision's annex once.
    wait_for(
        lambda: (
            set(
                Notification.objects.filter(kind="results_published").values_list(
                    "recipient__username", flat=True
                )
            )
            == {"lanhdao1", "lanhdao2"}
        ),
        what="the publication notices",
    )
    wait_for(lambda: PublishedResult.objects.get(criteria_set=cs, version=1).annex, what="the stored annex")
    body = api.as_(w.stranger).get(f"{base}/scores/").json()
    assert body["published"]["decision_number"] == "125/QĐ-UBND"
    rows = {x["unit_code"]: x for x in body["results"]}
    # X01: 1.1 on time 10 + 1.2 (1/1) 10 + 1.3 (1/1) 5 + 1.5 appraised 4 + 2.4 full 5 + bonus 1 = 35 of 95
    # (2.3 has no task and is excluded: part 2 offers 25 of its 30).
    assert (rows["X01"]["total"], rows["X01"]["bonus"], rows["X01"]["rank"]) == ("35.0000", "1.0000", 1)
    assert (rows["X01"]["percent"], rows["X01"]["class"]) == ("36.8421", "Trung bình")
    assert (rows["X02"]["total"], rows["X02"]["class"], rows["X02"]["rank"]) == ("5.0000", "Yếu", 2)
    assert (
        api.as_(appraiser)
        .put(f"{base}/appraisals/{w.commune.pk}/1.5/", {"points": "5"}, format="json")
        .status_code
        == 409
    )

    # After publication, reopening the task moves nothing: not the frozen rows, not the live scores.
    result_ids = [p["version"] for p in api.as_(appraiser).get(f"{base}/round/").json()["published"]]
    assert result_ids == [1]
    frozen = _frozen(PublishedScore.objects.values_list("result_id", flat=True))
    live_before = api.as_(appraiser).get(f"{base}/scores/{w.commune.pk}/").json()["score"]["total"]
    task_services.task_reopen(actor=w.city_leader, task=task, reason="Cần bổ sung")
    assert scores_recompute(criteria_set=cs) == 0
    assert scores_reconcile(criteria_set=cs) == []
    assert _frozen(PublishedScore.objects.values_list("result_id", flat=True)) == frozen
    assert api.as_(appraiser).get(f"{base}/scores/{w.commune.pk}/").json()["score"]["total"] == live_before
    assert api.as_(w.stranger).get(f"{base}/scores/").json()["results"][0]["total"] == "35.0000"

    # A correction: not by an appraiser, only with a reason; version 1 stays the published one meanwhile.
    assert (
        api.as_(appraiser).post(f"{base}/round/correct/", {"reason": "Sai sót"}, format="json").status_code
        == 403
    )
    assert api.as_(w.admin).post(f"{base}/round/correct/", {}, format="json").status_code == 400
    r = api.as_(w.admin).post(f"{base}/round/correct/", {"reason": "Nhiệm vụ 1.1 bị mở lại"}, format="json")
    assert r.status_code == 200 and r.json()["state"] == "final_appraisal"

    def live_total():
        return api.as_(w.admin).get(f"{base}/scores/{w.commune.pk}/").json()["score"]["total"] != live_before

    wait_for(live_total, what="the live scores to move again after the correction")
    assert api.as_(w.admin).get(f"{base}/scores/").json()["published"]["version"] == 1
    r = api.as_(w.admin).post(
        f"{base}/round/publish/",
        {"decision_number": "130/QĐ-UBND", "decided_on": today.isoformat()},
        format="json",
    )
    assert r.status_code == 200 and r.json()["version"] == 2
    assert [p["version"] for p in r.json()["published"]] == [2, 1]
    assert r.json()["published"][0]["correction_reason"] == "Nhiệm vụ 1.1 bị mở lại"
    v2 = {x["unit_code"]: x for x in api.as_(w.admin).get(f"{base}/scores/").json()["results"]}
    # The reopened task is pending now: 1.1, 1.2 and 1.3 lose their points: 4 + 5 + 1 = 10.
    assert v2["X01"]["total"] == "10.0000"
    v1 = {
        x["unit_code"]: x for x in api.as_(w.admin).get(f"{base}/scores/", {"version": 1}).json()["results"]
    }
    assert v1["X01"]["total"] == "35.0000"
    assert api.as_(w.admin).get(f"{base}/scores/", {"version": 9}).status_code == 404
