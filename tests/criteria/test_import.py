"""Importing a criteria set: the example file goes in whole; a wrong file is refused whole, through the API
and the command, with the criterion named and nothing written."""

from decimal import Decimal as D
from io import StringIO
from pathlib import Path
from unittest import mock

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import translation

from criteria.management.commands.import_criteria import Command as ImportCommand
from criteria.models import CriteriaSet, Criterion
from tests.factories import user

pytestmark = pytest.mark.django_db
EN = {"HTTP_ACCEPT_LANGUAGE": "en"}  # messages are checked in English; the interface defaults to Vietnamese


@pytest.fixture
def english():
    with translation.override("en"):
        yield


EXAMPLE = Path(__file__).resolve().parents[2] / "criteria" / "data" / "criteria-commune-2020.yaml"
# The example with one band out of order: 1.1.2's thresholds must strictly descend.
BROKEN = EXAMPLE.read_text(encoding="utf-8").replace(
    "bands: [[1.0, 2], [0.8, 1]]}", "bands: [[0.8, 2], [1.0, 1]]}", 1
)


def test_the_broken_fixture_really_differs_from_the_example():
    assert EXAMPLE.read_text(encoding="utf-8") != BROKEN


def test_the_example_file_imports_through_the_command(tmp_path, english):
    out = StringIO()
    call_command("import_criteria", str(EXAMPLE), stdout=out)

    cs = CriteriaSet.objects.get()
    assert (cs.code, cs.year, cs.unit_kind) == ("XA-2020", 2020, "commune")
    assert str(cs.period_start) == "2019-12-15" and str(cs.period_end) == "2020-12-14"
    total = cs.criteria.count()
    leaves = cs.criteria.filter(rule__isnull=False).count()
    assert (
        "Imported XA-2020" in out.getvalue() and f"{total} criteria, {leaves} scored leaves" in out.getvalue()
    )
    top = cs.criteria.filter(parent__isnull=True)
    # 70 points from evidence, 30 from the survey, as the seed article says
    assert sum(c.max_points for c in top.filter(part="evidence")) == D("70")
    assert sum(c.max_points for c in top.filter(part="survey")) == D("30")
    # criteria are kept in document order, depth first, with their parents
    codes = list(cs.criteria.order_by("order").values_list("code", flat=True))
    assert codes[:6] == ["1", "1.1", "1.1.1", "1.1.2", "1.2", "1.2.1"]
    leaf = cs.criteria.get(code="1.1.1")
    assert (leaf.parent.code, leaf.parent.parent.code, leaf.depth) == ("1.1", "1", 2)
    assert leaf.rule == {"type": "task_on_time", "late_points": "0.5", "when_no_tasks": "zero"}
    assert cs.source == EXAMPLE.read_text(encoding="utf-8")


def test_a_broken_file_is_refused_whole_by_the_command(tmp_path, english):
    path = tmp_path / "broken.yaml"
    path.write_text(BROKEN, encoding="utf-8")

    with pytest.raises(CommandError) as refused:
        call_command("import_criteria", str(path))

    assert "criterion 1.1.2" in str(refused.value)
    assert "strictly descend" in str(refused.value)
    assert "nothing was imported" in str(refused.value)
    assert not CriteriaSet.objects.exists() and not Criterion.objects.exists()


def test_the_command_line_shows_the_error_without_a_traceback_and_exits_non_zero(tmp_path, capsys, english):
    path = tmp_path / "broken.yaml"
    path.write_text(BROKEN, encoding="utf-8")
    # run_from_argv closes every connection at the end; the test's transaction must survive it.
    with mock.patch("django.core.management.base.connections"), pytest.raises(SystemExit) as exited:
        ImportCommand().run_from_argv(["manage.py", "import_criteria", str(path), "--skip-checks"])

    assert exited.value.code == 1
    err = capsys.readouterr().err
    assert "criterion 1.1.2" in err and "Traceback" not in err
    assert not CriteriaSet.objects.exists()


def test_a_missing_file_is_a_readable_error(tmp_path, english):
    with pytest.raises(CommandError, match="Cannot read .*nope.yaml"):
        call_command("import_criteria", str(tmp_path / "nope.yaml"))


def test_the_same_code_twice_is_refused(tmp_path, english):
    call_command("import_criteria", str(EXAMPLE), stdout=StringIO())
    with pytest.raises(CommandError, match="XA-2020 already exists"):
        call_command("import_criteria", str(EXAMPLE))
    assert CriteriaSet.objects.count() == 1


# --- Through the API -------------------------------------------------------------------------------------


def test_an_administrator_uploads_the_file(world, api):
    client = api.as_(world.admin)
    r = client.post(
        "/api/criteria-sets/",
        {"file": SimpleUploadedFile("xa-2020.yaml", EXAMPLE.read_bytes())},
        format="multipart",
    )

    assert r.status_code == 201, r.json()
    body = r.json()
    assert body["code"] == "XA-2020" and body["unit_kind"] == "commune"
    first = body["criteria"][0]
    assert (first["code"], first["max"], first["part"]) == ("1", "12.0000", "evidence")
    assert first["children"][0]["children"][0]["code"] == "1.1.1"
    assert first["children"][0]["children"][0]["rule"]["type"] == "task_on_time"
    # the set is then listed and shown to every signed-in user
    other = api.as_(world.stranger)
    assert [s["code"] for s in other.get("/api/criteria-sets/").json()["results"]] == ["XA-2020"]
    assert other.get(f"/api/criteria-sets/{body['id']}/").json()["criteria"][1]["code"] == "2"


def test_the_file_may_be_the_raw_request_body(world, api):
    r = api.as_(world.admin).post(
        "/api/criteria-sets/", EXAMPLE.read_bytes(), content_type="application/yaml"
    )
    assert r.status_code == 201, r.json()
    assert CriteriaSet.objects.get().code == "XA-2020"


def test_a_broken_upload_is_refused_whole_naming_the_criterion(world, api):
    r = api.as_(world.admin).post(
        "/api/criteria-sets/",
        {"file": SimpleUploadedFile("broken.yaml", BROKEN.encode())},
        format="multipart",
        **EN,
    )

    assert r.status_code == 400
    messages = r.json()["file"]
    assert any(m.startswith("criterion 1.1.2:") and "strictly descend" in m for m in messages), messages
    assert not CriteriaSet.objects.exists() and not Criterion.objects.exists()


def test_in_vietnamese_too_the_message_names_the_criterion(world, api):
    r = api.as_(world.admin).post(
        "/api/criteria-sets/", BROKEN.encode(), content_type="application/yaml", HTTP_ACCEPT_LANGUAGE="vi"
    )
    assert r.status_code == 400 and r.json()["file"][0].startswith("tiêu chí 1.1.2:")


@pytest.mark.parametrize(
    ("payload", "content_type"),
    [
        (b"", "application/yaml"),
        (b"\xff\xfe not utf-8", "application/yaml"),
        (b"code: [unclosed", "application/yaml"),
        (b"- just\n- a list\n", "text/yaml"),
    ],
)
def test_garbage_is_a_400_never_a_500(world, api, payload, content_type):
    r = api.as_(world.admin).post("/api/criteria-sets/", payload, content_type=content_type)
    assert r.status_code == 400 and r.json()["file"]
    assert not CriteriaSet.objects.exists()


def test_an_upload_without_a_file_is_a_400(world, api):
    r = api.as_(world.admin).post("/api/criteria-sets/", {"name": "x"}, format="multipart")
    assert r.status_code == 400 and "file" in r.json()


def test_only_a_superuser_imports_a_set_without_an_owner(world, api):
    """A set with no owner unit scores every unit of its kind in the country (SPEC §1, §3): the admin or
    appraiser of the whole province, who may import the province's own sets, may not issue it."""
    for who in [
        user("quantri.tinh", memberships=[(world.province, "admin")]),
        user("thamdinh.tinh", memberships=[(world.province, "appraiser")]),
    ]:
        r = api.as_(who).post(
            "/api/criteria-sets/",
            {"file": SimpleUploadedFile("xa-2020.yaml", EXAMPLE.read_bytes())},
            format="multipart",
            **EN,
        )
        assert r.status_code == 403, who.username
        assert "superuser" in r.json()["detail"]
        r = api.as_(who).post(
            "/api/criteria-sets/", EXAMPLE.read_bytes(), content_type="application/yaml", **EN
        )
        assert r.status_code == 403, who.username
    assert not CriteriaSet.objects.exists() and not Criterion.objects.exists()

    r = api.as_(world.admin).post(
        "/api/criteria-sets/", EXAMPLE.read_bytes(), content_type="application/yaml"
    )
    assert r.status_code == 201, r.json()
    assert CriteriaSet.objects.get().code == "XA-2020"


def test_who_runs_no_set_anywhere_is_refused_before_the_file_is_read(world, api):
    """A commune admin (no unit below a commune owns a set) and a province leader (leaders do not run
    criteria sets) import nothing: a 403 before any look at the file, so an empty or broken one answers the
    same."""
    for who in [
        user("quantri.xa", memberships=[(world.commune, "admin")]),
        user("lanhdao.tinh", memberships=[(world.province, "leader")]),
    ]:
        for body in [EXAMPLE.read_bytes(), b"", b"code: [unclosed"]:
            r = api.as_(who).post("/api/criteria-sets/", body, content_type="application/yaml")
            assert r.status_code == 403, (who.username, body[:10])
            assert r.json()["detail"].startswith("Chỉ quản trị viên hoặc thẩm định viên của đơn vị ban hành")
        r = api.as_(who).post(
            "/api/criteria-sets/",
            {"file": SimpleUploadedFile("xa-2020.yaml", EXAMPLE.read_bytes()), "owner_unit": world.city.pk},
            format="multipart",
        )
        assert r.status_code == 403, who.username
    assert not CriteriaSet.objects.exists()


def test_the_service_refuses_too_whoever_calls_it(world, english):
    from django.core.exceptions import PermissionDenied

    from criteria.services import criteria_set_import

    commune_admin = user("quantri.xa", memberships=[(world.commune, "admin")])
    with pytest.raises(PermissionDenied, match="superuser"):
        criteria_set_import(data=EXAMPLE.read_bytes(), actor=commune_admin)
    assert not CriteriaSet.objects.exists()
    assert criteria_set_import(data=EXAMPLE.read_bytes(), actor=world.admin).code == "XA-2020"


def test_the_command_runs_as_the_operator_or_as_a_named_account(world, english):
    commune_admin = user("quantri.xa", memberships=[(world.commune, "admin")])
    with pytest.raises(CommandError, match="nothing was imported.*superuser"):
        call_command("import_criteria", str(EXAMPLE), "--as-user", commune_admin.username)
    with pytest.raises(CommandError, match="No active user nobody"):
        call_command("import_criteria", str(EXAMPLE), "--as-user", "nobody")
    assert not CriteriaSet.objects.exists()
    out = StringIO()
    call_command("import_criteria", str(EXAMPLE), "--as-user", world.admin.username, stdout=out)
    assert "Imported XA-2020" in out.getvalue()
    assert "operator" in ImportCommand.help and "--as-user" in ImportCommand.help


def test_signed_out_users_get_401(world):
    from rest_framework.test import APIClient

    assert APIClient().get("/api/criteria-sets/").status_code == 401
