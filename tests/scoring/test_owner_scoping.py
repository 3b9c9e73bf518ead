"""A criteria set scores the units of its kind in its owner unit's subtree, and every unit of the kind when it
has no owner (SPEC §3); a unit moved to another province leaves one set and joins the other at the next
recompute; the delta compares with the previous year's set of the same owner.

Two provinces: Yên Bái (P01, the world's: communes X01 and X02 in the city C01, X99 in Lục Yên C02) and
Lào Cai (P02: communes Y01 and Y02 right below it, as after 2025). Each has a 2019 and a 2020 commune set of
its own, and there is a nationwide set for each year. Every set holds one manual leaf of 100 points, so a
unit's total is what the council appraised; each number is a literal with its arithmetic beside it."""

from decimal import Decimal as D
from types import SimpleNamespace

import pytest

from org import services as org_services
from org.models import UnitKind
from scoring.models import UnitScore
from scoring.services import appraisal_set, scores_recompute
from tests.factories import criteria_set_from, unit

pytestmark = pytest.mark.django_db


def set_text(code: str, year: int, *, owner: str | None = None, extra: str = "") -> str:
    owner_line = f"owner: {owner}\n" if owner else ""
    return f"""
code: {code}
name: Bộ tiêu chí {code}
year: {year}
unit_kind: commune
period: {{start: {year - 1}-12-15, end: {year}-12-14}}
criteria:
  - code: "1"
    title: Đánh giá của Hội đồng
    max: 100
    children:
      - {{code: "1.1", title: Điểm thẩm định, max: 100, rule: {{type: manual}}}}
{owner_line}{extra}"""


CLASSES = "classes: [[90, Xuất sắc], [80, Tốt], [65, Khá], [50, Trung bình], [0, Yếu]]\n"


@pytest.fixture
def s(world):
    w = world
    lao_cai = unit("P02", kind=UnitKind.PROVINCE, name="Tỉnh Lào Cai")
    y01 = unit("Y01", parent=lao_cai, name="Xã Bản Vược")
    y02 = unit("Y02", parent=lao_cai, name="Xã Cốc Lếu")
    x01, x02, x99 = w.commune, w.other_commune, w.elsewhere_commune
    sets = SimpleNamespace(
        a19=criteria_set_from(set_text("A-2019", 2019, owner="P01")),
        b19=criteria_set_from(set_text("B-2019", 2019, owner="P02")),
        n19=criteria_set_from(set_text("VN-2019", 2019)),
        a20=criteria_set_from(set_text("A-2020", 2020, owner="P01", extra=CLASSES)),
        b20=criteria_set_from(set_text("B-2020", 2020, owner="P02")),
        n20=criteria_set_from(set_text("VN-2020", 2020)),
    )
    appraised = {
        sets.a19: {x01: 60, x02: 50, x99: 40},
        sets.b19: {y01: 30, y02: 20},
        sets.n19: {x01: 11, x02: 12, x99: 13, y01: 14, y02: 15},
        sets.a20: {x01: 70, x02: 55, x99: 45},
        sets.b20: {y01: 33, y02: 25},
        sets.n20: {x01: 31, x02: 32, x99: 33, y01: 34, y02: 35},
    }
    for cs, points in appraised.items():
        for u, value in points.items():
            appraisal_set(actor=w.admin, criteria_set=cs, unit=u, code="1.1", points=D(value))
    for cs in (sets.a19, sets.b19, sets.n19, sets.a20, sets.b20, sets.n20):
        scores_recompute(criteria_set=cs)
    return SimpleNamespace(world=w, sets=sets, lao_cai=lao_cai, x01=x01, x02=x02, x99=x99, y01=y01, y02=y02)


def rows(cs) -> dict[str, tuple]:
    """A set's score rows by unit code: (total, delta, rank, parent code)."""
    return {
        r.unit.code: (r.total, r.delta, r.rank, r.parent_unit.code if r.parent_unit else None)
        for r in UnitScore.objects.filter(criteria_set=cs).select_related("unit", "parent_unit")
    }


def test_each_provinces_set_scores_only_its_own_communes(s):
    assert set(rows(s.sets.a20)) == {"X01", "X02", "X99"}
    assert set(rows(s.sets.b20)) == {"Y01", "Y02"}
    assert set(rows(s.sets.a19)) == {"X01", "X02", "X99"}
    assert set(rows(s.sets.b19)) == {"Y01", "Y02"}
    # a nationwide set scores every commune of both provinces
    assert set(rows(s.sets.n20)) == {"X01", "X02", "X99", "Y01", "Y02"}


def test_the_delta_compares_with_last_years_set_of_the_same_owner(s):
    a20 = rows(s.sets.a20)
    # X01: 70 - 60 on Yên Bái's 2019 set (not 70 - 11 on the nationwide one)
    assert a20["X01"] == (D("70"), D("10"), 1, "C01")
    # X02: 55 - 50; a peer of X01 (same parent, the city): second
    assert a20["X02"] == (D("55"), D("5"), 2, "C01")
    # X99: 45 - 40, alone in Lục Yên's group
    assert a20["X99"] == (D("45"), D("5"), 1, "C02")
    b20 = rows(s.sets.b20)
    # Y01: 33 - 30, Y02: 25 - 20, peers right below the province
    assert b20 == {"Y01": (D("33"), D("3"), 1, "P02"), "Y02": (D("25"), D("5"), 2, "P02")}
    n20 = rows(s.sets.n20)
    # the nationwide set compares with the nationwide 2019 set: 31 - 11, 35 - 15
    assert (n20["X01"][1], n20["Y02"][1]) == (D("20"), D("20"))


def test_the_set_with_classes_labels_its_units_and_the_others_do_not(s):
    labels = dict(UnitScore.objects.filter(criteria_set=s.sets.a20).values_list("unit__code", "class_label"))
    # 70 % is at least 65 (Khá), 55 % at least 50 (Trung bình), 45 % below 50 (Yếu)
    assert labels == {"X01": "Khá", "X02": "Trung bình", "X99": "Yếu"}
    assert set(UnitScore.objects.filter(criteria_set=s.sets.b20).values_list("class_label", flat=True)) == {
        ""
    }


def test_a_commune_moved_to_the_other_province_leaves_one_set_and_joins_the_other(s):
    # Y02 is merged into Yên Bái's city
    org_services.unit_update(unit=s.y02, parent=s.world.city)
    appraisal_set(actor=s.world.admin, criteria_set=s.sets.a20, unit=s.y02, code="1.1", points=D("44"))

    scores_recompute(criteria_set=s.sets.a20)
    scores_recompute(criteria_set=s.sets.b20)

    b20 = rows(s.sets.b20)
    assert b20 == {"Y01": (D("33"), D("3"), 1, "P02")}  # alone in its group now
    a20 = rows(s.sets.a20)
    assert set(a20) == {"X01", "X02", "X99", "Y02"}
    # Y02 ranks among the city's communes (70, 55, 44). It has no total on Yên Bái's 2019 set (its 2019
    # total, 20, was on Lào Cai's): no delta, not 44 - 20.
    assert a20["Y02"] == (D("44"), None, 3, "C01")
    assert a20["X01"] == (D("70"), D("10"), 1, "C01")
    # still on the nationwide set, now first among the city's communes (35 before 32 and 31); its delta
    # stays 35 - 15 on the nationwide 2019 set
    scores_recompute(criteria_set=s.sets.n20)
    assert rows(s.sets.n20)["Y02"] == (D("35"), D("20"), 1, "C01")


def test_recomputing_only_the_moved_commune_drops_it_too(s):
    org_services.unit_update(unit=s.y02, parent=s.world.city)

    scores_recompute(criteria_set=s.sets.b20, unit_ids=[s.y02.pk])
    scores_recompute(criteria_set=s.sets.a20, unit_ids=[s.y02.pk])

    assert set(rows(s.sets.b20)) == {"Y01"}
    assert rows(s.sets.b20)["Y01"][2] == 1
    # scored on Yên Bái's set, with no appraisal there yet: 0 points
    assert rows(s.sets.a20)["Y02"] == (D("0"), None, 3, "C01")


def test_last_years_sets_follow_the_move_and_this_years_deltas_with_them(s):
    """Once last year's sets are recomputed too, Y02 leaves Lào Cai's 2019 set as well; Y01's delta on
    Lào Cai's 2020 set is still 33 - 30 and Y02's on the nationwide one 35 - 15."""
    org_services.unit_update(unit=s.y02, parent=s.world.city)
    for cs in (s.sets.b19, s.sets.b20, s.sets.n19, s.sets.n20):
        scores_recompute(criteria_set=cs)

    assert set(rows(s.sets.b19)) == {"Y01"}
    assert rows(s.sets.b20) == {"Y01": (D("33"), D("3"), 1, "P02")}
    assert rows(s.sets.n20)["Y02"][1] == D("20")
