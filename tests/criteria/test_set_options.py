"""The optional top-level keys of a criteria file (domain/criteria-format.md): `owner`, `classes` and
`adjustments`. A file without them reads as before; each bad value is refused with a message naming the key.

Messages are checked in Vietnamese, their source language (no catalogue can change them)."""

from decimal import Decimal
from pathlib import Path

import pytest
import yaml
from django.utils import translation

from criteria.criteria_file import CriteriaFileError, parse_criteria_file

DATA = Path(__file__).parent / "data"
EXAMPLE = Path(__file__).resolve().parents[2] / "criteria" / "data" / "criteria-commune-2020.yaml"


@pytest.fixture(autouse=True, scope="module")
def _vietnamese():
    with translation.override("vi"):
        yield


def minimal(**extra) -> dict:
    """The minimal district set of tests/criteria/data, with `extra` top-level keys."""
    doc = yaml.safe_load((DATA / "minimal.yaml").read_text("utf-8"))
    doc.update(extra)
    return doc


def commune(**extra) -> dict:
    return minimal(unit_kind="commune", **extra)


def parse(doc: dict):
    return parse_criteria_file(yaml.safe_dump(doc, allow_unicode=True, sort_keys=False))


def only_error(doc: dict) -> str:
    with pytest.raises(CriteriaFileError) as info:
        parse(doc)
    errors = info.value.errors
    assert len(errors) == 1, errors
    return errors[0]


CLASSES = [[90, "Xuất sắc"], [80, "Tốt"], [65, "Khá"], [50, "Trung bình"], [0, "Yếu"]]


# --- Files that read ---------------------------------------------------------------------------------------


def test_a_file_without_the_optional_keys_reads_as_before():
    spec = parse_criteria_file(EXAMPLE.read_bytes())
    assert (spec.owner, spec.classes, spec.bonus_max, spec.penalty_max) == (None, [], None, None)
    assert spec.classes_json() == []


def test_the_three_keys_of_the_format_document_read():
    text = (
        (DATA / "minimal.yaml").read_text("utf-8").replace("unit_kind: district", "unit_kind: commune")
        + """
owner: YB-TP
classes:
  - [90, Xuất sắc]
  - [80, Tốt]
  - [65, Khá]
  - [50, Trung bình]
  - [0, Yếu]
adjustments: {bonus_max: 2, penalty_max: 3}
"""
    )
    spec = parse_criteria_file(text)

    assert spec.owner == "YB-TP"
    assert spec.classes == [
        (Decimal(90), "Xuất sắc"),
        (Decimal(80), "Tốt"),
        (Decimal(65), "Khá"),
        (Decimal(50), "Trung bình"),
        (Decimal(0), "Yếu"),
    ]
    assert spec.classes_json() == [
        ["90", "Xuất sắc"],
        ["80", "Tốt"],
        ["65", "Khá"],
        ["50", "Trung bình"],
        ["0", "Yếu"],
    ]
    assert (spec.bonus_max, spec.penalty_max) == (Decimal(2), Decimal(3))


def test_either_cap_may_be_absent_and_zero_or_100_is_a_cap():
    spec = parse(minimal(adjustments={"bonus_max": 0}))
    assert (spec.bonus_max, spec.penalty_max) == (Decimal(0), None)
    spec = parse(minimal(adjustments={"penalty_max": "100"}))
    assert (spec.bonus_max, spec.penalty_max) == (None, Decimal(100))
    spec = parse(minimal(adjustments={"bonus_max": 1.25, "penalty_max": "0.5"}))
    assert (spec.bonus_max, spec.penalty_max) == (Decimal("1.25"), Decimal("0.5"))


def test_class_thresholds_may_have_two_decimals_and_labels_are_trimmed():
    spec = parse(minimal(classes=[["89.5", " Tốt "], [0.0, "Chưa đạt"]]))
    assert spec.classes == [(Decimal("89.5"), "Tốt"), (Decimal(0), "Chưa đạt")]
    assert spec.classes_json() == [["89.5", "Tốt"], ["0.0", "Chưa đạt"]]


def test_a_single_class_at_zero_is_accepted():
    assert parse(minimal(classes=[[0, "Đạt"]])).classes == [(Decimal(0), "Đạt")]


def test_an_owner_code_may_be_a_number_and_is_trimmed():
    assert parse(commune(owner=1234)).owner == "1234"
    assert parse(commune(owner=" YB-TP ")).owner == "YB-TP"


# --- owner ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("value", ["", "YB TP", "X" * 33, ["YB-TP"], {"code": "YB-TP"}, True, 1.5])
def test_the_owner_must_be_a_unit_code(value):
    assert only_error(commune(owner=value)).startswith(
        "owner: phải là mã của đơn vị ban hành, từ 1 đến 32 ký tự, không có dấu cách (ví dụ YB-TP)"
    )


def test_an_empty_owner_says_to_leave_the_key_out():
    assert only_error(commune(owner=None)) == (
        "owner: để trống; bỏ trường owner nếu bộ tiêu chí áp dụng toàn quốc"
    )


def test_a_province_set_has_no_owner_above_it():
    assert only_error(minimal(unit_kind="province", owner="VN")) == (
        "owner: bộ tiêu chí cho đơn vị loại province không có đơn vị ban hành ở cấp trên: "
        "bỏ trường owner (bộ tiêu chí áp dụng toàn quốc)"
    )


# --- classes -------------------------------------------------------------------------------------------


@pytest.mark.parametrize("value", [[], None, "Xuất sắc", {"90": "Xuất sắc"}, 90])
def test_classes_must_be_a_non_empty_list(value):
    assert only_error(minimal(classes=value)).startswith(
        "classes: phải là danh sách không rỗng các cặp [ngưỡng phần trăm, tên xếp loại]"
    )


@pytest.mark.parametrize("item", [[90], [90, "Tốt", "x"], "90 Tốt", {"90": "Tốt"}, None])
def test_each_class_must_be_a_pair(item):
    assert only_error(minimal(classes=[item, [0, "Yếu"]])) == (
        "classes: xếp loại 1 phải là cặp [ngưỡng phần trăm, tên xếp loại]"
    )


@pytest.mark.parametrize("threshold", ["chín mươi", None, True, [90]])
def test_a_class_threshold_must_be_a_number(threshold):
    assert only_error(minimal(classes=[[threshold, "Tốt"], [0, "Yếu"]])).startswith(
        "classes: xếp loại 1: ngưỡng phải là số phần trăm, không phải"
    )


@pytest.mark.parametrize(("threshold", "shown"), [(101, "101"), (-5, "-5"), ("100.01", "100.01")])
def test_a_class_threshold_is_a_percent_from_0_to_100(threshold, shown):
    assert only_error(minimal(classes=[[threshold, "Tốt"], [0, "Yếu"]])) == (
        f"classes: xếp loại 1: ngưỡng {shown} phải từ 0 đến 100"
    )


def test_a_class_threshold_has_at_most_two_decimals():
    assert only_error(minimal(classes=[["89.995", "Tốt"], [0, "Yếu"]])) == (
        "classes: xếp loại 1: ngưỡng 89.995 có hơn 2 chữ số thập phân"
    )


@pytest.mark.parametrize(
    ("classes", "message"),
    [
        ([[80, "Tốt"], [90, "Xuất sắc"], [0, "Yếu"]], "xếp loại 2: 90 sau 80"),
        ([[80, "Tốt"], [80, "Khá"], [0, "Yếu"]], "xếp loại 2: 80 sau 80"),
        ([[80, "Tốt"], [0, "Khá"], [0, "Yếu"]], "xếp loại 3: 0 sau 0"),
    ],
)
def test_class_thresholds_strictly_descend(classes, message):
    assert only_error(minimal(classes=classes)) == f"classes: các ngưỡng phải giảm dần ({message})"


def test_the_last_class_threshold_is_zero():
    assert only_error(minimal(classes=[[90, "Xuất sắc"], [50, "Đạt"]])) == (
        "classes: ngưỡng của xếp loại cuối phải là 0, để đơn vị nào cũng được xếp loại (không phải 50)"
    )


@pytest.mark.parametrize("label", ["", "   ", None, 5, ["Tốt"]])
def test_a_class_label_is_a_non_empty_text(label):
    assert only_error(minimal(classes=[[50, label], [0, "Yếu"]])).startswith(
        "classes: xếp loại 1: tên phải là văn bản không rỗng, không phải"
    )


def test_a_class_label_has_at_most_64_characters():
    assert parse(minimal(classes=[[50, "Đ" * 64], [0, "Yếu"]])).classes[0][1] == "Đ" * 64
    assert only_error(minimal(classes=[[50, "Đ" * 65], [0, "Yếu"]])) == (
        "classes: xếp loại 1: tên dài quá 64 ký tự"
    )


@pytest.mark.parametrize("second", ["Tốt", " Tốt", "TỐT"])
def test_class_labels_are_unique(second):
    assert only_error(minimal(classes=[[80, "Tốt"], [50, second], [0, "Yếu"]])) == (
        f"classes: tên xếp loại {second.strip()!r} bị dùng nhiều lần"
    )


def test_every_bad_class_is_reported_and_no_last_zero_check_on_a_broken_list():
    with pytest.raises(CriteriaFileError) as info:
        parse(minimal(classes=[[120, "Tốt"], [50, ""], [60, "Khá"]]))
    assert info.value.errors == [
        "classes: xếp loại 1: ngưỡng 120 phải từ 0 đến 100",
        "classes: xếp loại 2: tên phải là văn bản không rỗng, không phải ''",
        "classes: các ngưỡng phải giảm dần (xếp loại 3: 60 sau 50)",
    ]


# --- adjustments ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("value", [None, 2, "2", [2, 3]])
def test_adjustments_must_be_a_mapping(value):
    assert only_error(minimal(adjustments=value)) == (
        "adjustments: phải có dạng {bonus_max: số điểm, penalty_max: số điểm}"
    )


def test_an_empty_adjustments_mapping_is_refused():
    assert only_error(minimal(adjustments={})) == (
        "adjustments: ghi ít nhất một trong bonus_max, penalty_max (bỏ trường adjustments nếu bộ "
        "tiêu chí không có điểm thưởng, điểm trừ)"
    )


def test_an_unknown_adjustments_key_is_refused_naming_it():
    assert only_error(minimal(adjustments={"bonus_max": 2, "bonus": 3})) == (
        "adjustments.bonus: trường không hợp lệ (các trường hợp lệ: bonus_max, penalty_max)"
    )


@pytest.mark.parametrize(
    ("value", "shown"), [(-1, "-1"), (100.5, "100.5"), ("hai", "'hai'"), (None, "None"), (True, "True")]
)
@pytest.mark.parametrize("key", ["bonus_max", "penalty_max"])
def test_a_cap_is_a_number_from_0_to_100(key, value, shown):
    assert only_error(minimal(adjustments={key: value})) == (
        f"adjustments.{key}: phải là số điểm từ 0 đến 100, không phải {shown}"
    )


def test_a_cap_has_at_most_two_decimals():
    assert only_error(minimal(adjustments={"penalty_max": "0.125"})) == (
        "adjustments.penalty_max: 0.125 có hơn 2 chữ số thập phân"
    )


# --- With the rest of the file -------------------------------------------------------------------------


def test_an_unknown_top_level_key_lists_the_optional_keys_too():
    assert only_error(minimal(ownr="YB-TP")) == (
        "'ownr': trường không hợp lệ (các trường hợp lệ: code, name, year, unit_kind, period, criteria, "
        "owner, classes, adjustments)"
    )


def test_bad_optional_keys_are_reported_with_the_other_problems_and_refuse_the_file():
    doc = commune(owner="", classes=[[50, "Đạt"]], adjustments={"bonus_max": 200})
    doc["year"] = "2020"
    with pytest.raises(CriteriaFileError) as info:
        parse(doc)
    fields = [e.split(":", 1)[0] for e in info.value.errors]
    assert fields == ["year", "owner", "classes", "adjustments.bonus_max"]
