"""`make run` loads the demo data set: `manage.py load_demo` must work on an empty database whatever day it
runs (it builds its current year from today), through the same services and rules as users do, and do
nothing the second time with --if-empty."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command

from criteria.models import CriteriaSet
from org.models import Unit
from plans.models import Plan
from scoring.models import UnitScore
from tasks.models import Task

pytestmark = pytest.mark.django_db


def test_the_demo_loads_through_the_services_and_only_once(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    out = io.StringIO()
    call_command("load_demo", stdout=out)
    assert "Loaded" in out.getvalue() and "lanhdao.ty" in out.getvalue()
    # Every task's assignee unit is one its plan reaches (SPEC §1): the city's plans stay in the city.
    for task in Task.objects.select_related("plan__owner_unit", "assignee_unit"):
        root = task.plan.owner_unit
        assert task.assignee_unit.path.startswith(root.path), (task.plan.number, task.assignee_unit.code)
    assert Plan.objects.filter(owner_unit__code="YB-TY").exists()
    assert UnitScore.objects.filter(criteria_set__in=CriteriaSet.objects.all()).exists()
    units = Unit.objects.count()
    again = io.StringIO()
    call_command("load_demo", if_empty=True, stdout=again)
    assert "already loaded" in again.getvalue() and Unit.objects.count() == units


def test_the_demo_shows_a_published_round_and_one_in_self_assessment(settings, tmp_path):
    from scoring.models import PublishedResult, PublishedScore, Round, RoundState, SelfAssessment

    settings.MEDIA_ROOT = tmp_path / "media"
    call_command("load_demo", stdout=io.StringIO())
    published = Round.objects.get(criteria_set__code="XA-2019")
    assert (published.state, published.decision_number, published.version) == (
        RoundState.PUBLISHED,
        "215/QĐ-UBND",
        1,
    )
    result = PublishedResult.objects.get(criteria_set__code="XA-2019")
    rows = PublishedScore.objects.filter(result=result)
    assert rows.count() == Unit.objects.filter(kind="commune").count()
    assert set(rows.values_list("class_label", flat=True)) <= {"Xuất sắc", "Tốt", "Khá", "Trung bình", "Yếu"}
    assert rows.filter(rank=1).exists() and rows.filter(bonus__gt=0).count() == 1
    late = SelfAssessment.objects.filter(criteria_set__code="XA-2019", late=True)
    assert late.count() == 1
    current = Round.objects.get(criteria_set__code="XA-2020")
    assert current.state == RoundState.SELF_ASSESSMENT
    states = set(
        SelfAssessment.objects.filter(criteria_set=current.criteria_set).values_list("state", flat=True)
    )
    assert states == {"draft", "submitted"}
