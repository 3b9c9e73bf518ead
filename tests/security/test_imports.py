"""Hostile imports: criteria-set YAML, survey results (CSV or XLSX), a plan's tasks (XLSX) and units
(CSV). Malformed, oversized and hostile files (alias and entity bombs, zip bombs, deep nesting, tags that
would run code) are refused whole, with a message that says why, and nothing is written."""

from __future__ import annotations

import io

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.test import Client
from django.utils import translation

from criteria.models import CriteriaSet
from org.models import Unit
from org.services import units_import_csv
from scoring.models import SurveyResult
from tasks.models import Task
from tasks.services import tasks_import_xlsx
from tests.factories import criteria_set_from, user

from .hostile import xlsx, xlsx_with_entity_bomb, yaml_alias_bomb, yaml_deep, zip_bomb

pytestmark = pytest.mark.django_db

EN = {"HTTP_ACCEPT_LANGUAGE": "en"}
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


def messages_of(response) -> str:
    return " ".join(response.json()["file"])


# --- criteria sets (POST /api/criteria-sets/, administrators) ---------------------------------------------

CRITERIA = [
    pytest.param(yaml_alias_bomb(), "too many aliases", id="billion laughs (YAML aliases)"),
    pytest.param("code: X\n" + "#" * 1_100_000 + "\n", "more than", id="over 1 MB"),
    pytest.param(yaml_deep(), "nested too deeply", id="nested 20000 levels"),
    pytest.param(
        "code: X\ncriteria: " + "{a: " * 3000 + "1" + "}" * 3000, "nested too deeply", id="deep map"
    ),
    pytest.param("code: !!python/object/apply:os.system ['id']\n", "python", id="a tag that would run code"),
    pytest.param("a: &a [*a]\n", "", id="a recursive alias"),
    pytest.param(b"\xff\xfe\x00\x00binary", "UTF-8", id="not text"),
    pytest.param("code: [unclosed\n", "YAML", id="malformed YAML"),
]


@pytest.mark.parametrize("content, words", CRITERIA)
def test_a_hostile_criteria_file_is_refused_whole(world, api, content, words):
    data = content.encode() if isinstance(content, str) else content
    before = CriteriaSet.objects.count()
    upload = SimpleUploadedFile("bo-tieu-chi.yaml", data, content_type="application/yaml")
    response = api.as_(world.admin).post("/api/criteria-sets/", {"file": upload}, format="multipart", **EN)
    assert response.status_code == 400, response.content
    assert words in messages_of(response), messages_of(response)
    assert CriteriaSet.objects.count() == before
    # The same as the raw request body.
    response = api.as_(world.admin).generic(
        "POST", "/api/criteria-sets/", data, content_type="application/yaml", **EN
    )
    assert response.status_code == 400
    assert CriteriaSet.objects.count() == before


def test_the_criteria_command_refuses_it_too(world, tmp_path):
    path = tmp_path / "bomb.yaml"
    path.write_text(yaml_alias_bomb())
    with pytest.raises(CommandError, match="too many aliases"):
        call_command("import_criteria", str(path))
    assert not CriteriaSet.objects.exists()


# --- survey results (POST /api/criteria-sets/{id}/survey/, appraisers) ------------------------------------

SURVEY_SET = """
code: SURVEY-2026
name: Bộ tiêu chí có điều tra
year: 2026
unit_kind: commune
period: {start: 2025-12-15, end: 2026-12-14}
criteria:
  - {code: "1", title: Chỉ đạo, max: 60, rule: {type: manual}}
  - code: "2"
    title: Điều tra xã hội học
    max: 40
    part: survey
    children:
      - {code: "2.1", title: Hài lòng, max: 40, rule: {type: survey}}
"""

SURVEYS = [
    pytest.param(lambda: ("bomb.xlsx", zip_bomb("xlsx", 128)), "implausible size", id="zip bomb xlsx"),
    pytest.param(
        lambda: ("laughs.xlsx", xlsx_with_entity_bomb([["unit_code", "criterion_code", "points"]])),
        "not a readable XLSX",
        id="XML entity bomb xlsx",
    ),
    pytest.param(
        lambda: ("big.csv", b"unit_code,criterion_code,points\n" + b"X01,2.1,1\n" * 600_000),
        "larger than 5 MB",
        id="over 5 MB",
    ),
    pytest.param(lambda: ("wrong.csv", b"don_vi,diem\nX01,3\n"), "first row must be", id="wrong header"),
    pytest.param(
        lambda: ("wrong.xlsx", xlsx([["ma", "tieu_chi"], ["X01", "2.1"]])),
        "first row must be",
        id="xlsx header",
    ),
    pytest.param(lambda: ("bin.csv", b"\x00\x01\x02\xff" * 100), "neither UTF-8 CSV nor XLSX", id="binary"),
    pytest.param(
        lambda: ("half.csv", b"unit_code,criterion_code,points\nX01,2.1,30\nX02,2.1,9999\n"),
        "outside 0 to",
        id="one bad row among good ones",
    ),
    pytest.param(
        lambda: ("quote.csv", b'unit_code,criterion_code,points\n"X01,2.1,3\n' + b"x" * 200_000),
        "",
        id="an unterminated quote",
    ),
]


@pytest.mark.parametrize("make, words", SURVEYS)
def test_a_hostile_survey_file_is_refused_whole(world, api, make, words):
    cs = criteria_set_from(SURVEY_SET)
    appraiser = user("thamdinh", memberships=[(world.province, "appraiser")])
    name, data = make()
    upload = SimpleUploadedFile(name, data)
    response = api.as_(appraiser).post(
        f"/api/criteria-sets/{cs.pk}/survey/", {"file": upload}, format="multipart", **EN
    )
    assert response.status_code == 400, response.content
    assert words in messages_of(response), messages_of(response)
    assert not SurveyResult.objects.exists()


# --- a plan's tasks (XLSX, on the plan's import page) -----------------------------------------------------

HEADER = ["Unit code", "Task title", "Due date"]

TASK_FILES = [
    pytest.param(lambda: zip_bomb("xlsx", 128), "implausible size", id="zip bomb"),
    pytest.param(lambda: xlsx_with_entity_bomb([HEADER]), "not an Excel", id="XML entity bomb"),
    pytest.param(lambda: b"PK\x03\x04" + b"\x00" * 100, "not an Excel", id="a broken zip"),
    pytest.param(lambda: b"%PDF-1.4 not a workbook", "not an Excel", id="not a workbook"),
    pytest.param(lambda: xlsx([["Tên", "Hạn"], ["Việc", "01/12/2026"]]), "missing column", id="wrong header"),
    pytest.param(
        lambda: xlsx([HEADER] + [["X01", f"Việc {i}", "01/12/2026"] for i in range(1001)]),
        "more than 1000",
        id="too many rows",
    ),
    pytest.param(
        lambda: xlsx([HEADER, ["X01", "Việc tốt", "01/12/2026"], ["X01", "Việc xấu", "ngày mai"]]),
        "Row 3",
        id="one bad row among good ones",
    ),
    pytest.param(
        lambda: xlsx([HEADER, ["X99", "Việc ở đơn vị khác", "01/12/2026"]]),
        "no unit with code 'X99' that you may assign",
        id="a unit out of reach",
    ),
]


@pytest.mark.parametrize("make, words", TASK_FILES)
def test_a_hostile_task_sheet_is_refused_whole(world, make, words):
    before = Task.objects.count()
    with pytest.raises(ValidationError) as refused:
        tasks_import_xlsx(actor=world.city_leader, plan=world.plan, data=make())
    assert words in " ".join(refused.value.messages), refused.value.messages
    assert Task.objects.count() == before


def test_the_import_page_refuses_an_oversized_file_before_reading_it(world, settings):
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    client = Client(**EN)
    client.force_login(world.city_leader)
    big = SimpleUploadedFile(
        "nhiem-vu.xlsx", b"PK\x03\x04" + b"\x00" * (5 * 1024 * 1024 + 1), content_type=XLSX
    )
    response = client.post(f"/plans/{world.plan.pk}/import/", {"file": big})
    assert response.status_code == 400
    assert response.context["form"].errors["file"]
    bomb = SimpleUploadedFile("nhiem-vu.xlsx", zip_bomb("xlsx", 128), content_type=XLSX)
    response = client.post(f"/plans/{world.plan.pk}/import/", {"file": bomb})
    assert response.status_code == 400
    assert "implausible" in str(response.context["form"].errors)
    assert not Task.objects.filter(plan=world.plan).exists()


# --- units (CSV, `manage.py import_units`) ----------------------------------------------------------------

UNIT_FILES = [
    pytest.param(
        b"code,name,kind,parent_code\n" + b"Y,Y,commune,\n" * 0 + b"\xff\xfe", "not UTF-8", id="binary"
    ),
    pytest.param(b"ma,ten\nY1,Y\n", "header must be", id="wrong header"),
    pytest.param(
        b"code,name,kind,parent_code\n" + b"".join(b"Y%d,Y,commune,\n" % i for i in range(20_001)),
        "More than 20000 rows",
        id="too many rows",
    ),
    pytest.param(
        b'code,name,kind,parent_code\nY1,"' + b"x" * 200_000 + b'",commune,\n',
        "field larger",
        id="huge field",
    ),
    pytest.param(
        b"code,name,kind,parent_code\nY1,Good,commune,\nY2,Bad,village,\n", "row 3", id="one bad row"
    ),
    pytest.param(b"code,name,kind,parent_code\nY1,A,commune,Y2\nY2,B,commune,Y1\n", "cycle", id="a cycle"),
    pytest.param(
        b"code,name,kind,parent_code\n../../x,A,commune,\n" + b"Y" * 40 + b",B,commune,\n",
        "longer than 32",
        id="a code too long",
    ),
]


@pytest.mark.parametrize("data, words", UNIT_FILES)
def test_a_hostile_units_file_is_refused_whole(world, data, words):
    before = list(Unit.objects.order_by("pk").values_list("code", "path"))
    with pytest.raises(ValidationError) as refused:
        units_import_csv(data=data)
    assert words in " ".join(refused.value.messages), refused.value.messages
    assert list(Unit.objects.order_by("pk").values_list("code", "path")) == before


def test_the_units_command_says_nothing_was_imported(world, tmp_path):
    path = tmp_path / "units.csv"
    path.write_bytes(b"code,name,kind,parent_code\nY1,Good,commune,\nY2,Bad,village,\n")
    out = io.StringIO()
    with pytest.raises(CommandError, match="nothing was imported"):
        call_command("import_units", str(path), stdout=out)
    assert not Unit.objects.filter(code="Y1").exists()
