"""Units and users (SPEC §1, §5, §6): the unit tree and its materialised paths, the CSV import (service and
`manage.py import_units`), and the /api/units/ and /api/users/ endpoints."""

from __future__ import annotations

import io

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import translation
from rest_framework.test import APIClient

from org import services
from org.management.commands.import_units import Command as ImportUnits
from org.models import AuditAction, AuditEntry, Membership, Role, Unit, UnitKind, User
from tests import factories
from tests.factories import user

pytestmark = pytest.mark.django_db


def path_of(unit_or_code) -> str:
    code = unit_or_code if isinstance(unit_or_code, str) else unit_or_code.code
    return Unit.objects.get(code=code).path


def expected_path(code: str) -> str:
    """The path a unit must have, worked out from the parent links alone."""
    unit = Unit.objects.get(code=code)
    ids = []
    while unit is not None:
        ids.append(unit.pk)
        unit = unit.parent
    return "/" + "/".join(str(i) for i in reversed(ids)) + "/"


def assert_paths_consistent():
    for code in Unit.objects.values_list("code", flat=True):
        assert path_of(code) == expected_path(code), code


# ---- unit_create / unit_update -----------------------------------------------------------------------


def test_unit_create_builds_paths_down_the_tree():
    p = services.unit_create(code="P01", name="Tỉnh", kind=UnitKind.PROVINCE)
    c = services.unit_create(code="C01", name="Thành phố", kind=UnitKind.DISTRICT, parent=p)
    x = services.unit_create(code="X01", name="Phường", kind=UnitKind.COMMUNE, parent=c)
    assert p.path == f"/{p.pk}/" == path_of(p)
    assert c.path == f"/{p.pk}/{c.pk}/" == path_of(c)
    assert x.path == f"/{p.pk}/{c.pk}/{x.pk}/" == path_of(x)
    assert x.ancestor_ids() == [p.pk, c.pk, x.pk]
    assert set(Unit.objects.subtree_of([c]).values_list("code", flat=True)) == {"C01", "X01"}


def test_unit_create_refuses_bad_input():
    services.unit_create(code="P01", name="Tỉnh", kind=UnitKind.PROVINCE)
    with pytest.raises(ValidationError) as exc:
        services.unit_create(code="P01", name="Khác", kind=UnitKind.PROVINCE)
    assert "code" in exc.value.message_dict
    with pytest.raises(ValidationError) as exc:
        services.unit_create(code="P02", name="Khác", kind="village")
    assert "kind" in exc.value.message_dict
    with pytest.raises(ValidationError) as exc:
        services.unit_create(code="P03", name="", kind=UnitKind.PROVINCE)
    assert "name" in exc.value.message_dict
    assert list(Unit.objects.values_list("code", flat=True)) == ["P01"]


def test_moving_a_subtree_rewrites_every_descendant_path(world):
    # C01 (with X01, X02) moves from P01 to under C02.
    city = Unit.objects.get(code="C01")
    services.unit_update(unit=city, parent=Unit.objects.get(code="C02"))
    assert_paths_consistent()
    assert path_of("X01").startswith(path_of("C02"))
    # Visibility follows the tree: the Lục Yên leader now sees the moved communes.
    assert set(Unit.objects.visible_to(world.stranger_leader).values_list("code", flat=True)) == {
        "C02",
        "X99",
        "C01",
        "X01",
        "X02",
    }
    # Moved to the top, it is a root.
    services.unit_update(unit=Unit.objects.get(code="C01"), parent=None)
    assert path_of("C01") == f"/{city.pk}/"
    assert_paths_consistent()


def test_a_unit_cannot_move_under_itself_or_a_descendant(world):
    city = Unit.objects.get(code="C01")
    for target in ("C01", "X01"):
        with pytest.raises(ValidationError) as exc:
            services.unit_update(unit=Unit.objects.get(code="C01"), parent=Unit.objects.get(code=target))
        assert "parent" in exc.value.message_dict
    assert path_of(city) == city.path
    assert_paths_consistent()


def test_unit_update_with_a_stale_object_still_writes_the_right_paths(world):
    """An object loaded before its ancestor moved must not write an out-of-date path."""
    commune = Unit.objects.select_related("parent").get(code="X01")  # loaded now, with its parent…
    other = Unit.objects.get(code="X02")
    services.unit_update(unit=Unit.objects.get(code="C01"), parent=Unit.objects.get(code="C02"))  # …moved
    services.unit_create(code="T01", name="Tổ", kind=UnitKind.COMMUNE, parent=other)
    assert_paths_consistent()
    services.unit_update(unit=commune, name="Phường Đồng Tâm (mới)")
    assert_paths_consistent()
    assert Unit.objects.visible_to(world.stranger_leader).filter(code__in=["X01", "T01"]).count() == 2
    # A move checked against an old path must still refuse a loop: C02 is now above X02.
    with pytest.raises(ValidationError):
        services.unit_update(unit=Unit.objects.get(code="C02"), parent=other)
    assert_paths_consistent()


# ---- units_import_csv --------------------------------------------------------------------------------


def csv_bytes(*rows: str, header: str = "code,name,kind,parent_code") -> bytes:
    return ("\n".join([header, *rows]) + "\n").encode("utf-8")


def test_import_a_good_file_in_any_order():
    data = csv_bytes(
        "X01,Phường Đồng Tâm,commune,C01",  # the parent comes later in the file
        "C01,Thành phố Yên Bái,district,P01",
        "P01,Tỉnh Yên Bái,province,",
        "S01,Sở Nội vụ,department,P01",
    )
    result = services.units_import_csv(data=data)
    assert (result.created, result.updated) == (4, 0)
    assert Unit.objects.get(code="X01").parent.code == "C01"
    assert Unit.objects.get(code="C01").name == "Thành phố Yên Bái"
    assert_paths_consistent()
    # Importing again applies the changed row and leaves the others alone (not saved again).
    again = services.units_import_csv(
        data=data.replace(b"S\xe1\xbb\x9f N\xe1\xbb\x99i v\xe1\xbb\xa5", b"SNV")
    )
    assert (again.created, again.updated, again.unchanged) == (0, 1, 3)
    assert Unit.objects.get(code="S01").name == "SNV"
    assert Unit.objects.count() == 4


def test_import_accepts_a_bom_and_an_existing_parent(world):
    data = "\ufeffcode,name,kind,parent_code\nX03,Xã Mới,commune,C01\n".encode()
    assert services.units_import_csv(data=data).created == 1
    assert path_of("X03") == path_of("C01") + f"{Unit.objects.get(code='X03').pk}/"


def test_import_that_moves_units_keeps_every_path_right(world):
    """Moving C01 under C02 and adding a commune under X01 (not in the file, moved with C01) in one file."""
    data = csv_bytes("C01,Thành phố Yên Bái,district,C02", "X50,Xã Mới,commune,X01")
    assert services.units_import_csv(data=data).created == 1
    assert_paths_consistent()
    assert Unit.objects.visible_to(world.stranger_leader).filter(code="X50").exists()


@pytest.mark.parametrize(
    ("rows", "messages"),
    [
        (
            [
                "P01,Tỉnh,province,",  # row 3 (row 2 is a good one)
                "C01,Thành phố,city,P01",  # row 4: unknown kind
                "X01,,commune,C01",  # row 5: no name
                "X02,Xã,commune,NOPE",  # row 6: unknown parent
                "P01,Tỉnh lần hai,province,",  # row 7: twice
                ",Không mã,commune,P01",  # row 8: no code
                "X03,Xã,commune,X03",  # row 9: its own parent
            ],
            ["row 4: kind", "row 5: name", "row 6: parent", "row 7: code", "row 8: code", "row 9:"],
        ),
        (["A01,Một,commune,B01", "B01,Hai,commune,A01"], ["row 3 (A01)", "row 4 (B01)"]),  # a cycle
        (
            ["A01,Một,commune,B01", "B01,Hai,commune,C01", "C01,Ba,commune,A01"],
            ["row 3 (A01)", "row 4 (B01)", "row 5 (C01)"],
        ),
    ],
    ids=["bad-rows", "cycle-of-two", "cycle-of-three"],
)
def test_a_bad_file_is_refused_whole_with_its_row_numbers(rows, messages):
    services.unit_create(code="Z00", name="Có sẵn", kind=UnitKind.PROVINCE)
    good_first = "G01,Đơn vị tốt,commune,Z00"
    with pytest.raises(ValidationError) as exc:
        services.units_import_csv(data=csv_bytes(good_first, *rows))
    text = "\n".join(exc.value.message_dict["file"])
    for m in messages:
        assert m in text, text
    assert list(Unit.objects.values_list("code", flat=True)) == ["Z00"]


def test_a_cycle_with_existing_units_is_refused_with_its_row(world):
    # P01 is above C01 today: putting P01 under C01 would make a loop.
    with pytest.raises(ValidationError) as exc:
        services.units_import_csv(data=csv_bytes("X77,Xã,commune,P01", "P01,Tỉnh,province,C01"))
    assert list(exc.value.message_dict) == ["file"]
    assert "row 3" in " ".join(exc.value.message_dict["file"])
    assert not Unit.objects.filter(code="X77").exists()
    assert_paths_consistent()


@pytest.mark.parametrize(
    "data",
    [
        "code,name,kind,parent_code\nX01,Xã Tân Phú,commune,\n".encode("latin-1"),
        "code,name,kind,parent_code\nX01,Xã Tân Thịnh,commune,\n".encode("utf-16"),
        b"",
        b"ma,ten,loai,cap_tren\nX01,Xa,commune,\n",
        b"code,name,kind\nX01,Xa,commune\n",
        b"code,name,kind,parent_code\nX01," + b"a" * 200_000 + b",commune,\n",
        b"\x00\x01\x02\x03binary",
    ],
    ids=["latin-1", "utf-16", "empty", "wrong-header", "missing-column", "huge-field", "binary"],
)
def test_an_unreadable_file_is_refused_with_a_message(data):
    with pytest.raises(ValidationError) as exc:
        services.units_import_csv(data=data)
    assert list(exc.value.message_dict) == ["file"] and exc.value.message_dict["file"]
    assert not Unit.objects.exists()


# ---- manage.py import_units --------------------------------------------------------------------------


def test_import_units_command_prints_counts(tmp_path, world):
    f = tmp_path / "units.csv"
    f.write_bytes(csv_bytes("X03,Xã Mới,commune,C01", "C01,Thành phố Yên Bái,district,P01"))
    out = io.StringIO()
    with translation.override("en"):
        call_command("import_units", str(f), stdout=out)
    # C01 is as the file says: left alone, not counted as an update.
    assert "1 created" in out.getvalue() and "0 updated" in out.getvalue()
    assert Unit.objects.get(code="X03").parent.code == "C01"


def test_import_units_command_refuses_a_bad_file_with_row_numbers(tmp_path):
    f = tmp_path / "units.csv"
    f.write_bytes(csv_bytes("P01,Tỉnh,province,", "C01,Thành phố,city,P01", "X01,Xã,commune,NOPE"))
    with pytest.raises(CommandError) as exc:
        call_command("import_units", str(f))
    assert "row 3" in str(exc.value) and "row 4" in str(exc.value)
    assert not Unit.objects.exists()
    with pytest.raises(CommandError) as exc:
        call_command("import_units", str(tmp_path / "missing.csv"))
    assert "missing.csv" in str(exc.value)


@pytest.mark.django_db(transaction=True)
def test_import_units_from_the_command_line_exits_non_zero_without_a_traceback(tmp_path, capsys):
    f = tmp_path / "units.csv"
    f.write_bytes(b"code,name,kind,parent_code\nP01,T\xe1nh,province,\n")  # not UTF-8
    with pytest.raises(SystemExit) as exc:
        ImportUnits().run_from_argv(["manage.py", "import_units", str(f)])
    assert exc.value.code != 0
    err = capsys.readouterr().err
    assert "UTF-8" in err and "Traceback" not in err
    assert not Unit.objects.exists()


# ---- /api/units/ -------------------------------------------------------------------------------------


def test_an_admin_creates_and_moves_units_through_the_api(world, api):
    admin = api.as_(world.admin)
    r = admin.post(
        "/api/units/",
        {"code": "X10", "name": "Xã Văn Phú", "kind": "commune", "parent": world.city.pk},
        format="json",
    )
    assert r.status_code == 201, r.content
    assert r.json() == {
        "id": r.json()["id"],
        "code": "X10",
        "name": "Xã Văn Phú",
        "kind": "commune",
        "parent": world.city.pk,
    }
    assert path_of("X10") == world.city.path + f"{r.json()['id']}/"
    # Move the city under Lục Yên: every path below it follows.
    r = admin.patch(f"/api/units/{world.city.pk}/", {"parent": world.elsewhere.pk}, format="json")
    assert r.status_code == 200 and r.json()["parent"] == world.elsewhere.pk
    assert_paths_consistent()
    r = admin.patch(f"/api/units/{world.city.pk}/", {"parent": world.commune.pk}, format="json")
    assert r.status_code == 400 and "parent" in r.json()


def test_an_admin_member_manages_units_too(world, api):
    unit_admin = factories.user("unitadmin", memberships=[(world.province, Role.ADMIN)])
    r = api.as_(unit_admin).post(
        "/api/units/",
        {"code": "S05", "name": "Sở Tư pháp", "kind": "department", "parent": world.province.pk},
        format="json",
    )
    assert r.status_code == 201


@pytest.mark.parametrize("who", ["city_leader", "official"])
def test_a_non_admin_may_not_create_or_change_units(world, api, who):
    client = api.as_(getattr(world, who))
    r = client.post(
        "/api/units/",
        {"code": "X11", "name": "Xã", "kind": "commune", "parent": world.city.pk},
        format="json",
    )
    assert r.status_code == 403
    r = client.post("/api/units/", {}, format="json")  # bad input from a non-admin: still 403
    assert r.status_code == 403
    assert client.patch(f"/api/units/{world.commune.pk}/", {"name": "Đổi"}, format="json").status_code == 403
    assert not Unit.objects.filter(code="X11").exists()
    assert Unit.objects.get(pk=world.commune.pk).name == "Phường Đồng Tâm"


@pytest.mark.parametrize(
    ("body", "fields"),
    [
        ({}, {"code", "name", "kind"}),
        ({"code": "X01", "name": "Trùng mã", "kind": "commune"}, {"code"}),
        ({"code": "X12", "name": "Xã", "kind": "village"}, {"kind"}),
        ({"code": "X12", "name": "Xã", "kind": "commune", "parent": 999999}, {"parent"}),
        ({"code": "X" * 33, "name": "Xã", "kind": "commune"}, {"code"}),
        ({"code": "X12", "name": "", "kind": "commune"}, {"name"}),
    ],
)
def test_bad_unit_input_is_a_400_with_field_errors(world, api, body, fields):
    r = api.as_(world.admin).post("/api/units/", body, format="json")
    assert r.status_code == 400
    assert set(r.json()) == fields
    assert Unit.objects.count() == 6


def test_units_are_listed_by_subtree_and_filterable(world, api):
    leader = api.as_(world.city_leader)
    assert [u["code"] for u in leader.get(f"/api/units/?parent={world.city.pk}").json()["results"]] == [
        "X01",
        "X02",
    ]
    assert [u["code"] for u in leader.get("/api/units/?kind=district").json()["results"]] == ["C01"]


# ---- /api/users/ -------------------------------------------------------------------------------------


def test_an_admin_creates_a_user_with_memberships(world, api):
    r = api.as_(world.admin).post(
        "/api/users/",
        {
            "username": "nguyenvana",
            "password": "Cchc-Yen-Bai-2026!",
            "full_name": "Nguyễn Văn A",
            "email": "a@yenbai.gov.vn",
            "memberships": [
                {"unit": world.commune.pk, "role": "official"},
                {"unit": world.city.pk, "role": "leader"},
            ],
        },
        format="json",
    )
    assert r.status_code == 201, r.content
    body = r.json()
    assert "password" not in body
    assert body["username"] == "nguyenvana" and body["full_name"] == "Nguyễn Văn A"
    assert sorted((m["unit_code"], m["role"]) for m in body["memberships"]) == [
        ("C01", "leader"),
        ("X01", "official"),
    ]
    # The new user signs in and sees what their memberships give them.
    token = APIClient().post("/api/auth/token/", {"username": "nguyenvana", "password": "Cchc-Yen-Bai-2026!"})
    assert token.status_code == 200
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.json()['token']}")
    assert [u["code"] for u in client.get("/api/units/").json()["results"]] == ["C01", "X01", "X02"]


def test_an_admin_member_may_create_users(world, api):
    unit_admin = factories.user("unitadmin", memberships=[(world.province, Role.ADMIN)])
    client = api.as_(unit_admin)
    body = {"username": "newbie", "password": "Cchc-Yen-Bai-2026!"}
    # A user with no membership would be nobody's to manage afterwards.
    r = client.post("/api/users/", {**body, "memberships": []}, format="json")
    assert r.status_code == 400 and "memberships" in r.json()
    r = client.post(
        "/api/users/",
        {**body, "memberships": [{"unit": world.commune.pk, "role": "official"}]},
        format="json",
    )
    assert r.status_code == 201, r.json()
    assert User.objects.get(username="newbie").memberships.get().unit == world.commune


@pytest.mark.parametrize(
    "body",
    [
        {
            "username": "hacker",
            "password": "Cchc-Yen-Bai-2026!",
            "memberships": [{"unit": 1, "role": "admin"}],
        },
        {},  # even bad input from a non-admin answers 403, never field errors
    ],
)
@pytest.mark.parametrize("who", ["city_leader", "official"])
def test_a_non_admin_may_not_create_users(world, api, who, body):
    r = api.as_(getattr(world, who)).post("/api/users/", body, format="json")
    assert r.status_code == 403
    assert not User.objects.filter(username="hacker").exists()


def test_a_non_admin_sees_only_themselves(world, api):
    r = api.as_(world.official).get("/api/users/")
    assert [u["username"] for u in r.json()["results"]] == ["official"]
    assert api.as_(world.official).get(f"/api/users/{world.city_leader.pk}/").status_code == 404


@pytest.mark.parametrize(
    ("body", "fields"),
    [
        ({}, {"username", "password"}),
        ({"username": "official", "password": "Cchc-Yen-Bai-2026!"}, {"username"}),
        ({"username": "x y z!", "password": "Cchc-Yen-Bai-2026!"}, {"username"}),
        ({"username": "newone", "password": "Cchc-Yen-Bai-2026!", "email": "not-an-email"}, {"email"}),
        (
            {
                "username": "newone",
                "password": "Cchc-Yen-Bai-2026!",
                "memberships": [{"unit": 999999, "role": "official"}],
            },
            {"memberships"},
        ),
        (
            {
                "username": "newone",
                "password": "Cchc-Yen-Bai-2026!",
                "memberships": [{"unit": 1, "role": "king"}],
            },
            {"memberships"},
        ),
    ],
)
def test_bad_user_input_is_a_400_with_field_errors(world, api, body, fields):
    count = User.objects.count()
    r = api.as_(world.admin).post("/api/users/", body, format="json")
    assert r.status_code == 400
    assert set(r.json()) == fields
    assert User.objects.count() == count


@pytest.mark.parametrize(
    "password",
    [
        "Ab1!",  # too short
        "password123",  # common
        "48203957291046",  # all digits
        "tranthib2026",  # too close to the username
        "tranthib@yenbai.gov.vn",  # too close to the e-mail address
    ],
)
def test_passwords_are_validated(world, api, password):
    r = api.as_(world.admin).post(
        "/api/users/",
        {
            "username": "tranthib2026",
            "password": password,
            "full_name": "Trần Thị B",
            "email": "tranthib@yenbai.gov.vn",
        },
        format="json",
    )
    assert r.status_code == 400 and list(r.json()) == ["password"] and r.json()["password"]
    assert not User.objects.filter(username="tranthib2026").exists()
    assert not Membership.objects.filter(user__username="tranthib2026").exists()


def test_an_admin_of_one_subtree_cannot_reach_into_another(world, api):
    """An administrator holding the role in the city places units and grants memberships only where they see:
    a unit elsewhere answers as if it did not exist."""
    city_admin = factories.user("cityadmin", memberships=[(world.city, Role.ADMIN)])
    client = api.as_(city_admin)
    r = client.post(
        "/api/units/",
        {"code": "X20", "name": "Xã", "kind": "commune", "parent": world.elsewhere.pk},
        format="json",
    )
    assert r.status_code == 400 and list(r.json()) == ["parent"]
    r = client.patch(f"/api/units/{world.commune.pk}/", {"parent": world.elsewhere.pk}, format="json")
    assert r.status_code == 400 and list(r.json()) == ["parent"]
    assert (
        client.patch(f"/api/units/{world.elsewhere.pk}/", {"name": "Đổi"}, format="json").status_code == 404
    )
    r = client.post(
        "/api/users/",
        {
            "username": "mole",
            "password": "Cchc-Yen-Bai-2026!",
            "memberships": [{"unit": world.elsewhere.pk, "role": "leader"}],
        },
        format="json",
    )
    assert r.status_code == 400 and list(r.json()) == ["memberships"]
    assert not User.objects.filter(username="mole").exists()
    assert_paths_consistent()
    # Inside their subtree they may.
    r = client.post(
        "/api/users/",
        {
            "username": "newofficial",
            "password": "Cchc-Yen-Bai-2026!",
            "memberships": [{"unit": world.commune.pk, "role": "official"}],
        },
        format="json",
    )
    assert r.status_code == 201
    r = client.post(
        "/api/units/",
        {"code": "X21", "name": "Xã", "kind": "commune", "parent": world.city.pk},
        format="json",
    )
    assert r.status_code == 201


# ---- units_import_csv in bulk (issue 15) ---------------------------------------------------------------


def _communes(n: int, parent: str = "C01", prefix: str = "N") -> list[str]:
    return [f"{prefix}{i:04d},Xã số {i},commune,{parent}" for i in range(n)]


@pytest.mark.parametrize("n", [10, 100])
def test_import_creates_new_units_in_a_constant_number_of_queries(world, n, django_assert_max_num_queries):
    """A district and its communes (two levels of new units): the same few queries for 10 rows as for 100."""
    data = csv_bytes("D50,Huyện Mới,district,P01", *_communes(n, parent="D50"))
    with django_assert_max_num_queries(12):
        result = services.units_import_csv(data=data)
    assert (result.created, result.updated, result.unchanged) == (n + 1, 0, 0)
    assert Unit.objects.filter(parent__code="D50").count() == n
    assert_paths_consistent()
    # One audit row per new unit, written with them.
    assert (
        AuditEntry.objects.filter(action=AuditAction.UNIT_CREATED, subject_repr__contains="Xã số").count()
        == n
    )


@pytest.mark.parametrize("n", [10, 100])
def test_import_updates_changed_units_in_bulk_and_skips_unchanged(world, n, django_assert_max_num_queries):
    services.units_import_csv(data=csv_bytes(*_communes(n)))
    renamed = [row.replace("Xã số", "Phường số") if i % 2 else row for i, row in enumerate(_communes(n))]
    with django_assert_max_num_queries(10):
        result = services.units_import_csv(data=csv_bytes(*renamed))
    assert (result.created, result.updated, result.unchanged) == (0, n // 2, n - n // 2)
    assert Unit.objects.filter(name__startswith="Phường số").count() == n // 2
    assert AuditEntry.objects.filter(action=AuditAction.UNIT_CHANGED).count() == n // 2


def test_import_refuses_every_row_the_actor_may_not_write_and_writes_nothing(world):
    """A city admin: rows under the city are theirs; a row under another district, and a change of their own
    unit, are refused with their row numbers, all at once."""
    admin = user("cityadmin", memberships=[(world.city, "admin")])
    data = csv_bytes(
        "X60,Xã Mới,commune,C01",  # row 2: fine
        "X61,Xã Khác,commune,C02",  # row 3: under Lục Yên, not theirs
        "C01,Thành phố đổi tên,district,P01",  # row 4: their own unit
        "X62,Xã Con,commune,X60",  # row 5: under a new unit of theirs: fine
    )
    with pytest.raises(ValidationError) as exc:
        services.units_import_csv(actor=admin, data=data)
    text = " ".join(exc.value.message_dict["file"])
    assert "row 3" in text and "row 4" in text and "row 2" not in text and "row 5" not in text
    assert not Unit.objects.filter(code__in=["X60", "X61", "X62"]).exists()
    ok = services.units_import_csv(
        actor=admin, data=csv_bytes("X60,Xã Mới,commune,C01", "X62,Xã Con,commune,X60")
    )
    assert ok.created == 2
    assert_paths_consistent()
