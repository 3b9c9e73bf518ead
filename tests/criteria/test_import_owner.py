"""Importing a criteria set with its owner unit, classes and caps (SPEC §1, §3; domain/criteria-format.md):
the owner comes from the file's `owner` or from an `owner_unit` given beside it, which wins; the admins and
appraisers of the owner unit (or of a unit above it) import it, a superuser a set without owner; the API,
the command and the audit trail show what was imported.

Messages are checked in Vietnamese, their source language."""

from decimal import Decimal as D
from io import StringIO

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import translation

from criteria.models import CriteriaSet, Criterion
from criteria.services import criteria_set_delete, criteria_set_import, criteria_set_rename
from org.models import AuditAction, AuditEntry, UnitKind
from tests.factories import unit, user

pytestmark = pytest.mark.django_db
VI = {"HTTP_ACCEPT_LANGUAGE": "vi"}


@pytest.fixture(autouse=True)
def _vietnamese():
    with translation.override("vi"):
        yield


def set_text(code: str = "XA-2021", *, unit_kind: str = "commune", extra: str = "") -> str:
    """A small valid criteria set; `extra` adds top-level lines (owner, classes, adjustments)."""
    return f"""
code: {code}
name: Bộ tiêu chí {code}
year: 2021
unit_kind: {unit_kind}
period: {{start: 2020-12-15, end: 2021-12-14}}
criteria:
  - code: "1"
    title: Đánh giá của Hội đồng
    max: 100
    children:
      - {{code: "1.1", title: Điểm thẩm định, max: 100, rule: {{type: manual}}}}
{extra}"""


ROUND_KEYS = """owner: P01
classes: [[90, Xuất sắc], [80, Tốt], [65, Khá], [50, Trung bình], [0, Yếu]]
adjustments: {bonus_max: 2, penalty_max: 3.5}
"""


@pytest.fixture
def people(world):
    """Who may import a set owned by the province P01 and who may not."""
    other_province = unit("P02", kind=UnitKind.PROVINCE, name="Tỉnh Lào Cai")
    other_commune = unit("X201", parent=other_province, name="Xã Bản Vược")
    department = unit("S01", kind=UnitKind.DEPARTMENT, parent=world.province, name="Sở Nội vụ")
    return type(
        "People",
        (),
        {
            "other_province": other_province,
            "other_commune": other_commune,
            "department": department,
            "province_admin": user("quantri.tinh", memberships=[(world.province, "admin")]),
            "province_appraiser": user("thamdinh.tinh", memberships=[(world.province, "appraiser")]),
            "province_leader": user("lanhdao.tinh", memberships=[(world.province, "leader")]),
            "city_admin": user("quantri.tp", memberships=[(world.city, "admin")]),
            "other_appraiser": user("thamdinh.laocai", memberships=[(other_province, "appraiser")]),
            # An admin of a district elsewhere who also works in the province: sees P01, does not run it.
            "district_admin": user(
                "quantri.lucyen", memberships=[(world.elsewhere, "admin"), (world.province, "official")]
            ),
        },
    )()


# --- Through the service -----------------------------------------------------------------------------------


def test_the_file_names_the_owner_and_the_set_keeps_its_classes_and_caps(world):
    cs = criteria_set_import(data=set_text(extra=ROUND_KEYS))

    cs.refresh_from_db()
    assert cs.owner_unit == world.province
    assert cs.classes == [
        ["90", "Xuất sắc"],
        ["80", "Tốt"],
        ["65", "Khá"],
        ["50", "Trung bình"],
        ["0", "Yếu"],
    ]
    assert (cs.bonus_max, cs.penalty_max) == (D("2"), D("3.5"))
    assert cs.allows_adjustments
    entry = AuditEntry.objects.get(action=AuditAction.CRITERIA_SET_IMPORTED)
    assert entry.unit_id == world.province.pk
    assert entry.changes == {
        "code": [None, "XA-2021"],
        "year": [None, 2021],
        "criteria": [None, 2],
        "owner_unit": [None, world.province.pk],
        "classes": [None, cs.classes],
        "bonus_max": [None, "2"],
        "penalty_max": [None, "3.5"],
    }


def test_a_file_without_the_new_keys_imports_a_nationwide_set_as_before(world):
    cs = criteria_set_import(data=set_text())
    cs.refresh_from_db()
    assert (cs.owner_unit, cs.classes, cs.bonus_max, cs.penalty_max) == (None, [], None, None)
    assert not cs.allows_adjustments
    entry = AuditEntry.objects.get(action=AuditAction.CRITERIA_SET_IMPORTED)
    assert entry.unit_id is None
    assert set(entry.changes) == {"code", "year", "criteria"}


def test_an_owner_given_beside_the_file_overrides_the_files_owner(world):
    cs = criteria_set_import(data=set_text(extra=ROUND_KEYS), owner_unit=world.city)
    assert CriteriaSet.objects.get(pk=cs.pk).owner_unit == world.city
    # and gives one to a file that names none
    cs = criteria_set_import(data=set_text("XA-2021-B"), owner_unit=world.province)
    assert CriteriaSet.objects.get(pk=cs.pk).owner_unit == world.province


def test_an_owner_code_that_names_no_unit_is_refused_naming_owner(world):
    with pytest.raises(ValidationError) as refused:
        criteria_set_import(data=set_text(extra="owner: KHONG-CO\n"))
    assert refused.value.message_dict == {"file": ["owner: không có đơn vị mã 'KHONG-CO'"]}
    assert not CriteriaSet.objects.exists() and not Criterion.objects.exists()


@pytest.mark.parametrize(
    ("unit_kind", "owner_attr", "message"),
    [
        (
            "commune",
            "commune",
            "owner: Phường Đồng Tâm (X01) thuộc loại commune, không ở trên các đơn vị được chấm: bộ tiêu chí "
            "cho đơn vị loại commune do một đơn vị loại province, district ban hành",
        ),
        (
            "district",
            "city",
            "owner: Thành phố Yên Bái (C01) thuộc loại district, không ở trên các đơn vị được chấm: bộ tiêu "
            "chí cho đơn vị loại district do một đơn vị loại province ban hành",
        ),
        (
            "commune",
            "department",
            "owner: Sở Nội vụ (S01) thuộc loại department, không ở trên các đơn vị được chấm: bộ tiêu chí "
            "cho đơn vị loại commune do một đơn vị loại province, district ban hành",
        ),
    ],
)
def test_the_owner_must_be_of_a_kind_above_the_scored_units(world, people, unit_kind, owner_attr, message):
    owner = getattr(world, owner_attr, None) or getattr(people, owner_attr)
    with pytest.raises(ValidationError) as refused:
        criteria_set_import(data=set_text(unit_kind=unit_kind, extra=f"owner: {owner.code}\n"))
    assert refused.value.message_dict == {"file": [message]}
    # given beside the file, the same problem is the owner_unit's
    with pytest.raises(ValidationError) as refused:
        criteria_set_import(data=set_text(unit_kind=unit_kind), owner_unit=owner)
    problem = message.removeprefix("owner: ")
    assert refused.value.message_dict == {"owner_unit": [problem[0].upper() + problem[1:] + "."]}
    assert not CriteriaSet.objects.exists()


def test_a_province_set_takes_no_owner_beside_the_file(world):
    with pytest.raises(ValidationError) as refused:
        criteria_set_import(data=set_text(unit_kind="province"), owner_unit=world.province)
    assert refused.value.message_dict == {
        "owner_unit": ["Bộ tiêu chí cho đơn vị loại province áp dụng toàn quốc, không có đơn vị ban hành."]
    }


def test_a_district_or_city_owns_the_commune_sets_below_it(world):
    cs = criteria_set_import(data=set_text(extra="owner: C01\n"))
    assert cs.owner_unit == world.city


# The permission matrix: who may import a set owned by the province P01 (SPEC §1).
MATRIX = [
    ("superuser", True),
    ("province_admin", True),
    ("province_appraiser", True),
    ("city_admin", False),  # the owner is above their unit
    ("other_appraiser", False),  # another province
    ("province_leader", False),  # leaders do not run criteria sets
    ("district_admin", False),  # sees the province, runs only their district
]


def _who(world, people, name):
    return world.admin if name == "superuser" else getattr(people, name)


@pytest.mark.parametrize(("name", "allowed"), MATRIX)
def test_who_may_import_a_set_owned_by_the_province(world, people, name, allowed):
    actor = _who(world, people, name)
    if allowed:
        cs = criteria_set_import(data=set_text(), actor=actor, owner_unit=world.province)
        assert cs.owner_unit == world.province
        assert AuditEntry.objects.get(action=AuditAction.CRITERIA_SET_IMPORTED).actor == actor
        return
    with pytest.raises(PermissionDenied) as refused:
        criteria_set_import(data=set_text(), actor=actor, owner_unit=world.province)
    assert str(refused.value) == (
        "Chỉ quản trị viên hoặc thẩm định viên của Tỉnh Yên Bái (P01) (hoặc của đơn vị cấp trên) mới nhập "
        "và quản lý được bộ tiêu chí do đơn vị này ban hành."
    )
    assert not CriteriaSet.objects.exists()


def test_the_owner_named_in_the_file_is_checked_the_same_way(world, people):
    with pytest.raises(PermissionDenied, match=r"Tỉnh Yên Bái \(P01\)"):
        criteria_set_import(data=set_text(extra="owner: P01\n"), actor=people.district_admin)
    assert criteria_set_import(data=set_text(extra="owner: P01\n"), actor=people.province_admin)


def test_a_file_owner_the_user_cannot_see_answers_like_an_unknown_code(world, people):
    for code in ("P01", "KHONG-CO"):
        with pytest.raises(ValidationError) as refused:
            criteria_set_import(data=set_text(extra=f"owner: {code}\n"), actor=people.other_appraiser)
        assert refused.value.message_dict == {
            "file": [f"owner: không có đơn vị mã '{code}' trong các đơn vị bạn xem được"]
        }


def test_an_appraiser_of_the_province_imports_a_set_of_a_city_below_it(world, people):
    cs = criteria_set_import(data=set_text(), actor=people.province_appraiser, owner_unit=world.city)
    assert cs.owner_unit == world.city
    with pytest.raises(PermissionDenied):
        criteria_set_import(data=set_text("XA-2021-B"), actor=people.other_appraiser, owner_unit=world.city)


def test_an_owner_given_beside_the_file_is_refused_before_the_file_is_read(world, people):
    with pytest.raises(PermissionDenied):
        criteria_set_import(data=b"code: [unclosed", actor=people.city_admin, owner_unit=world.province)


def test_those_who_run_an_owned_set_rename_and_delete_it_and_no_one_else(world, people):
    cs = criteria_set_import(data=set_text(extra=ROUND_KEYS))
    with pytest.raises(PermissionDenied, match=r"Tỉnh Yên Bái \(P01\)"):
        criteria_set_rename(actor=people.other_appraiser, criteria_set=cs, name="Đổi tên")
    with pytest.raises(PermissionDenied, match=r"Tỉnh Yên Bái \(P01\)"):
        criteria_set_delete(actor=people.city_admin, criteria_set=cs)
    criteria_set_rename(actor=people.province_appraiser, criteria_set=cs, name="Bộ tiêu chí đã đổi tên")
    entry = AuditEntry.objects.get(action=AuditAction.CRITERIA_SET_CHANGED)
    assert entry.unit_id == world.province.pk
    criteria_set_delete(actor=people.province_admin, criteria_set=cs)
    assert not CriteriaSet.objects.exists()


# --- Through the API ---------------------------------------------------------------------------------------


def _upload(client, text: str, **data):
    return client.post(
        "/api/criteria-sets/",
        {"file": SimpleUploadedFile("bo-tieu-chi.yaml", text.encode()), **data},
        format="multipart",
        **VI,
    )


def test_the_api_shows_the_owner_the_classes_and_the_caps(world, api):
    r = _upload(api.as_(world.admin), set_text(extra=ROUND_KEYS))

    assert r.status_code == 201, r.json()
    body = r.json()
    assert (body["owner_unit"], body["owner_unit_code"]) == (world.province.pk, "P01")
    assert body["classes"] == [
        {"threshold": "90.00", "label": "Xuất sắc"},
        {"threshold": "80.00", "label": "Tốt"},
        {"threshold": "65.00", "label": "Khá"},
        {"threshold": "50.00", "label": "Trung bình"},
        {"threshold": "0.00", "label": "Yếu"},
    ]
    assert (body["bonus_max"], body["penalty_max"]) == ("2.00", "3.50")
    listed = api.as_(world.stranger).get("/api/criteria-sets/").json()["results"]
    assert [(s["code"], s["owner_unit_code"], s["bonus_max"]) for s in listed] == [("XA-2021", "P01", "2.00")]
    shown = api.as_(world.stranger).get(f"/api/criteria-sets/{body['id']}/").json()
    assert shown["classes"][0] == {"threshold": "90.00", "label": "Xuất sắc"}


def test_a_nationwide_set_shows_no_owner_and_no_caps(world, api):
    r = _upload(api.as_(world.admin), set_text())
    assert r.status_code == 201, r.json()
    body = r.json()
    assert [body[k] for k in ("owner_unit", "owner_unit_code", "classes", "bonus_max", "penalty_max")] == [
        None,
        None,
        [],
        None,
        None,
    ]


def test_the_api_takes_the_owner_unit_beside_the_file(world, people, api):
    r = _upload(api.as_(people.province_admin), set_text(extra=ROUND_KEYS), owner_unit=world.city.pk)
    assert r.status_code == 201, r.json()
    assert r.json()["owner_unit"] == world.city.pk
    assert CriteriaSet.objects.get().owner_unit == world.city


def test_with_a_raw_yaml_body_the_owner_unit_goes_in_the_query_string(world, people, api):
    r = api.as_(people.province_appraiser).post(
        f"/api/criteria-sets/?owner_unit={world.province.pk}", set_text(), content_type="application/yaml"
    )
    assert r.status_code == 201, r.json()
    assert r.json()["owner_unit_code"] == "P01"


@pytest.mark.parametrize(("name", "allowed"), MATRIX)
def test_who_may_import_through_the_api(world, people, api, name, allowed):
    client = api.as_(_who(world, people, name))
    r = _upload(client, set_text(), owner_unit=world.province.pk)
    if allowed:
        assert r.status_code == 201, r.json()
        return
    # Those who cannot see the province (it is above their unit, or elsewhere): as if it did not exist.
    hidden = name in ("city_admin", "other_appraiser")
    if hidden:
        assert r.status_code == 400 and list(r.json()) == ["owner_unit"]
    else:
        assert r.status_code == 403, r.json()
    # named in the file instead
    r = _upload(client, set_text(extra="owner: P01\n"))
    assert r.status_code == (400 if hidden else 403), r.json()
    if hidden:
        assert r.json() == {"file": ["owner: không có đơn vị mã 'P01' trong các đơn vị bạn xem được"]}
    assert not CriteriaSet.objects.exists()


def test_a_403_for_a_unit_the_user_sees_names_it_and_comes_before_the_file_is_read(world, people, api):
    r = _upload(api.as_(people.district_admin), "code: [unclosed", owner_unit=world.province.pk)
    assert r.status_code == 403
    assert "Tỉnh Yên Bái (P01)" in r.json()["detail"]


@pytest.mark.parametrize("value", ["999999", "abc", "1.5", "99999999999999999999999", "-1"])
def test_an_owner_unit_that_is_no_unit_is_a_400(world, api, value):
    r = _upload(api.as_(world.admin), set_text(), owner_unit=value)
    assert r.status_code == 400, r.content
    assert list(r.json()) == ["owner_unit"] and r.json()["owner_unit"]
    assert not CriteriaSet.objects.exists()


def test_an_unknown_owner_unit_and_one_the_user_cannot_see_answer_alike(world, people, api):
    client = api.as_(people.other_appraiser)
    unknown = _upload(client, set_text(), owner_unit=999999).json()
    hidden = _upload(client, set_text(), owner_unit=world.province.pk).json()
    assert unknown["owner_unit"][0].replace("999999", "ID") == hidden["owner_unit"][0].replace(
        str(world.province.pk), "ID"
    )
    assert "không xem được" in hidden["owner_unit"][0]


def test_an_owner_of_the_wrong_kind_through_the_api_is_a_400_naming_it(world, api):
    r = _upload(api.as_(world.admin), set_text(), owner_unit=world.commune.pk)
    assert r.status_code == 400 and list(r.json()) == ["owner_unit"]
    assert "thuộc loại commune" in r.json()["owner_unit"][0]
    r = _upload(api.as_(world.admin), set_text(extra="owner: X01\n"))
    assert r.status_code == 400 and r.json()["file"][0].startswith("owner: Phường Đồng Tâm (X01) thuộc loại")


def test_a_bad_classes_key_through_the_api_names_classes(world, api):
    r = _upload(api.as_(world.admin), set_text(extra="classes: [[90, Tốt], [50, Đạt]]\n"))
    assert r.status_code == 400
    assert r.json() == {
        "file": [
            "classes: ngưỡng của xếp loại cuối phải là 0, để đơn vị nào cũng được xếp loại (không phải 50)"
        ]
    }


# --- Through the command -----------------------------------------------------------------------------------


def test_the_command_takes_the_owner_by_its_code(world, tmp_path):
    path = tmp_path / "xa-2021.yaml"
    path.write_text(set_text(extra=ROUND_KEYS), encoding="utf-8")
    out = StringIO()
    call_command("import_criteria", str(path), "--owner", "C01", stdout=out)
    assert CriteriaSet.objects.get().owner_unit == world.city
    assert "Đơn vị ban hành: Thành phố Yên Bái (C01)." in out.getvalue()


def test_the_command_refuses_an_unknown_owner_code_readably(world, tmp_path):
    path = tmp_path / "xa-2021.yaml"
    path.write_text(set_text(), encoding="utf-8")
    with pytest.raises(CommandError) as refused:
        call_command("import_criteria", str(path), "--owner", "KHONG-CO")
    assert str(refused.value) == "Không có đơn vị mã 'KHONG-CO' (--owner); chưa nhập gì."
    with pytest.raises(CommandError) as refused:
        call_command("import_criteria", str(path), "--owner", "X01")
    assert "Phường Đồng Tâm (X01) thuộc loại commune" in str(refused.value)
    assert not CriteriaSet.objects.exists()


def test_the_command_as_a_named_account_is_checked_against_the_owner(world, people, tmp_path):
    path = tmp_path / "xa-2021.yaml"
    path.write_text(set_text(), encoding="utf-8")
    with pytest.raises(CommandError, match=r"Tỉnh Yên Bái \(P01\)"):
        call_command("import_criteria", str(path), "--owner", "P01", "--as-user", people.city_admin.username)
    call_command(
        "import_criteria",
        str(path),
        "--owner",
        "P01",
        "--as-user",
        people.province_admin.username,
        stdout=StringIO(),
    )
    assert CriteriaSet.objects.get().owner_unit == world.province
