"""The criteria-set file reader: every invariant of domain/criteria-format.md, each refused with a message
naming the criterion (or the top-level field) a user has to fix."""

import json
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
import yaml
from django.utils import translation

from criteria.criteria_file import (
    CriteriaFileError,
    CriteriaSetSpec,
    iter_nodes,
    leaves,
    node_defs,
    parse_criteria_file,
)
from scoring.rules import aggregate

DATA = Path(__file__).parent / "data"
# SPEC: ../shared sits beside the project on every machine and CI run.
# The project's copy of shared/domain/criteria-commune-2020.yaml (the demo and load data use it too).
EXAMPLE = Path(__file__).resolve().parents[2] / "criteria" / "data" / "criteria-commune-2020.yaml"


@pytest.fixture(autouse=True, scope="module")
def _english():
    # The messages' source language is English; pin it so a future catalog cannot change what we assert.
    with translation.override("en"):
        yield


def minimal() -> dict:
    return yaml.safe_load((DATA / "minimal.yaml").read_text("utf-8"))


def dump(doc: dict) -> str:
    return yaml.safe_dump(doc, allow_unicode=True, sort_keys=False)


def parse(doc: dict | str) -> CriteriaSetSpec:
    return parse_criteria_file(doc if isinstance(doc, str) else dump(doc))


def errors_of(doc: dict | str | bytes) -> list[str]:
    data = doc if isinstance(doc, str | bytes) else dump(doc)
    with pytest.raises(CriteriaFileError) as info:
        parse_criteria_file(data)
    return info.value.errors


def only_error(doc: dict | str | bytes) -> str:
    errors = errors_of(doc)
    assert len(errors) == 1, errors
    return errors[0]


def find(doc: dict, code: str) -> dict:
    stack = list(doc["criteria"])
    while stack:
        node = stack.pop()
        if node.get("code") == code:
            return node
        stack.extend(node.get("children", []))
    raise KeyError(code)


# --- Files that parse ----------------------------------------------------------------------------------


def test_the_example_commune_set_parses_with_70_evidence_and_30_survey_points():
    spec = parse_criteria_file(EXAMPLE.read_bytes())

    assert (spec.code, spec.year, spec.unit_kind) == ("XA-2020", 2020, "commune")
    assert spec.name == "Bộ tiêu chí đánh giá chỉ số CCHC UBND xã, phường năm 2020"
    assert (spec.period_start, spec.period_end) == (date(2019, 12, 15), date(2020, 12, 14))
    assert [node.code for node in spec.criteria] == [str(i) for i in range(1, 10)]
    by_part: dict[str, Decimal] = {}
    for node in spec.criteria:
        by_part[node.part] = by_part.get(node.part, Decimal(0)) + node.max_points
    assert by_part == {"evidence": Decimal(70), "survey": Decimal(30)}
    assert len(leaves(spec)) == 36
    assert {leaf.code for leaf in leaves(spec) if leaf.part == "survey"} == {"9.1", "9.2"}
    # A full score on every leaf gives 100 %.
    full = {leaf.code: leaf.max_points for leaf in leaves(spec)}
    totals = aggregate(node_defs(spec), full, set())
    assert (totals.evidence_points, totals.survey_points, totals.total) == (70, 30, 100)


def test_the_example_rules_are_normalised_to_json_safe_values_with_defaults():
    spec = parse_criteria_file(EXAMPLE.read_text("utf-8"))
    rules = {node.code: node.rule for node, *_ in iter_nodes(spec)}

    assert rules["1.1.2"] == {
        "type": "task_ratio_bands",
        "bands": [["1.0", "2"], ["0.8", "1"]],
        "scope": "plan",
        "count": "on_time",
        "when_no_tasks": "zero",
    }
    assert rules["1.1.1"] == {"type": "task_on_time", "late_points": "0.5", "when_no_tasks": "zero"}
    assert rules["1.2.1"] == {"type": "deduction", "per_item": "0.25", "when_no_tasks": "zero"}
    assert rules["2.3"]["when_no_tasks"] == "full"
    assert rules["2.3"]["count"] == "approved"
    assert rules["3.2"] == {
        "type": "metric_bands",
        "bands": [["100", "5"], ["98", "3"], ["95", "1.5"]],
        "when_no_tasks": "zero",
    }
    assert rules["3.6"] == {"type": "metric_proportional", "target": "80", "when_no_tasks": "zero"}
    assert rules["9.1"] == {"type": "survey", "when_no_tasks": "zero"}
    assert rules["1"] is None and rules["1.1"] is None
    assert json.loads(json.dumps(rules)) == rules


def test_max_points_are_exact_decimals_and_parts_are_inherited():
    spec = parse_criteria_file(EXAMPLE.read_bytes())
    nodes = {node.code: node for node, *_ in iter_nodes(spec)}

    assert nodes["1.4"].max_points == Decimal("1.5")
    assert isinstance(nodes["1.4"].max_points, Decimal)
    assert nodes["1.1.1"].part == "evidence"
    assert nodes["9.2"].part == "survey"


def test_iter_nodes_walks_in_document_order_with_parent_depth_and_sibling_order():
    rows = [(node.code, parent, depth, order) for node, parent, depth, order in iter_nodes(parse(minimal()))]

    assert rows == [
        ("1", None, 0, 0),
        ("1.1", "1", 1, 0),
        ("1.1.1", "1.1", 2, 0),
        ("1.1.2", "1.1", 2, 1),
        ("1.2", "1", 1, 1),
        ("1.3", "1", 1, 2),
        ("1.4", "1", 1, 3),
        ("1.5", "1", 1, 4),
        ("2", None, 0, 1),
        ("2.1", "2", 1, 0),
    ]


def test_leaves_and_node_defs():
    spec = parse(minimal())

    assert [leaf.code for leaf in leaves(spec)] == ["1.1.1", "1.1.2", "1.2", "1.3", "1.4", "1.5", "2.1"]
    defs = {d.code: d for d in node_defs(spec)}
    assert defs["1.1.2"].parent_code == "1.1"
    assert defs["2"].parent_code is None and defs["2"].part == "survey"
    assert defs["1.1"].max_points == Decimal(20)


def test_defaults_are_filled_in():
    spec = parse(minimal())
    rules = {node.code: node.rule for node, *_ in iter_nodes(spec)}

    assert spec.criteria[0].part == "evidence"
    assert rules["1.1.1"] == {"type": "task_on_time", "late_points": "5", "when_no_tasks": "zero"}
    assert rules["1.1.2"]["scope"] == "leaf"
    assert rules["1.1.2"]["count"] == "on_time"


def test_part_defaults_to_evidence():
    doc = minimal()
    del doc["criteria"][0]["part"]

    assert parse(doc).criteria[0].part == "evidence"


def test_late_points_default_is_half_the_max_exactly():
    doc = minimal()
    find(doc, "1.1")["children"] = [
        {"code": "1.1.1", "title": "A", "max": 0.25, "rule": {"type": "task_on_time"}},
        {"code": "1.1.2", "title": "B", "max": 19.75, "rule": {"type": "manual"}},
    ]

    rules = {node.code: node.rule for node, *_ in iter_nodes(parse(doc))}
    assert rules["1.1.1"]["late_points"] == "0.125"


def test_anchors_and_aliases_may_share_bands():
    spec = parse_criteria_file((DATA / "shared-bands-anchor.yaml").read_bytes())

    rules = [leaf.rule for leaf in leaves(spec)]
    assert rules[0]["bands"] == rules[1]["bands"] == [["1.0", "50"], ["0.8", "25"]]
    assert rules[1]["count"] == "approved"


def test_an_integer_code_is_read_as_text():
    text = dump(minimal()).replace("code: '2'", "code: 2")
    assert "code: 2\n" in text

    spec = parse(text)
    assert spec.criteria[1].code == "2"


def test_a_utf8_bom_is_accepted_and_str_and_bytes_give_the_same_spec():
    text = dump(minimal())

    assert parse_criteria_file(b"\xef\xbb\xbf" + text.encode()) == parse_criteria_file(text)


def test_period_dates_may_be_quoted_iso_text():
    doc = minimal()
    doc["period"] = {"start": "2023-12-15", "end": "2024-12-14"}

    spec = parse(doc)
    assert (spec.period_start, spec.period_end) == (date(2023, 12, 15), date(2024, 12, 14))


def test_numbers_may_be_quoted_decimal_text():
    doc = minimal()
    find(doc, "1.2")["rule"]["per_item"] = "2.50"

    rules = {node.code: node.rule for node, *_ in iter_nodes(parse(doc))}
    assert rules["1.2"]["per_item"] == "2.50"


def test_a_survey_part_may_hold_manual_rules():
    doc = minimal()
    find(doc, "2")["children"] = [
        {"code": "2.1", "title": "A", "max": 20, "rule": {"type": "survey"}},
        {"code": "2.2", "title": "B", "max": 10, "rule": {"type": "manual"}},
    ]

    assert [leaf.rule["type"] for leaf in leaves(parse(doc))][-2:] == ["survey", "manual"]


def test_eight_levels_are_accepted():
    doc = minimal()
    doc["criteria"][1]["children"] = [_chain("2", levels=7, max_points=30)]

    spec = parse(doc)
    assert max(depth for _node, _parent, depth, _order in iter_nodes(spec)) == 7


def test_two_thousand_criteria_are_accepted():
    doc = _wide(children=1999)

    assert len(list(iter_nodes(parse(doc)))) == 2000


# --- Refused: reading the file -------------------------------------------------------------------------


def test_a_file_over_the_size_limit_is_refused():
    data = dump(minimal()).encode()

    error = only_error_for(lambda: parse_criteria_file(data, max_bytes=len(data) - 1))
    assert error == f"the file is {len(data)} bytes, more than the {len(data) - 1} allowed"
    assert parse_criteria_file(data, max_bytes=len(data)).code == "TEST-2024"


def test_the_size_limit_counts_utf8_bytes_of_text():
    text = dump(minimal())
    size = len(text.encode("utf-8"))
    assert size > len(text)  # Vietnamese letters take several bytes

    error = only_error_for(lambda: parse_criteria_file(text, max_bytes=size - 1))
    assert "more than the" in error


def test_invalid_utf8_is_refused_with_the_byte_position():
    data = b"code: X\xff\n"

    assert only_error(data) == "the file is not valid UTF-8 (byte 7)"


def test_a_yaml_syntax_error_names_the_line():
    text = "code: XA\nname: [unclosed\nyear: 2020\n"

    error = only_error(text)
    assert error.startswith("YAML error at line ")
    line = int(error.removeprefix("YAML error at line ").split(",")[0])
    assert line in (2, 3, 4)


def test_a_bad_indentation_names_its_line():
    text = (DATA / "minimal.yaml").read_text("utf-8")
    broken = text.replace('      - code: "1.2"', '       - code: "1.2"')
    assert broken != text
    line_of_1_2 = broken.splitlines().index('       - code: "1.2"') + 1

    error = only_error(broken)
    assert error.startswith(f"YAML error at line {line_of_1_2}, column ")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "the file is empty"),
        ("# only a comment\n", "the file is empty"),
        ("- code: X\n", "the file must be a mapping"),
        ("just text\n", "the file must be a mapping"),
        ("null\n", "the file must be a mapping"),
    ],
)
def test_a_root_that_is_not_a_mapping_is_refused(text, message):
    assert only_error(text).startswith(message)


def test_two_documents_are_refused():
    text = dump(minimal()) + "---\n" + dump(minimal())

    assert only_error(text).startswith("YAML error at line ")


def test_python_tags_are_refused():
    text = "code: !!python/object/apply:os.system ['true']\n"

    error = only_error(text)
    assert error.startswith("YAML error at line 1")


def test_an_impossible_date_is_refused():
    doc = dump(minimal()).replace("2023-12-15", "2023-02-30")

    assert only_error(doc).startswith("the file holds a value that cannot be read")


def test_a_billion_laughs_alias_bomb_is_refused():
    lines = ['a0: &a0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    for i in range(1, 10):
        lines.append(f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 10) + "]")

    assert (
        only_error("\n".join(lines) + "\n")
        == "the file expands to more than 100000 values (too many aliases?)"
    )


def test_a_bomb_inside_bands_is_refused():
    text = (DATA / "minimal.yaml").read_text("utf-8")
    assert "bands: [[1.0, 10], [0.8, 5]]" in text
    anchors = "x0: &x0 [[1.0, 10]]\n" + "".join(
        f"x{i}: &x{i} [" + ", ".join([f"*x{i - 1}"] * 10) + "]\n" for i in range(1, 7)
    )
    text = anchors + text.replace("bands: [[1.0, 10], [0.8, 5]]", "bands: *x6")

    assert only_error(text).startswith("the file expands to more than")


def test_a_recursive_alias_is_refused():
    assert (
        only_error("criteria: &c [*c]\n") == "the file has a recursive alias (an anchor used inside itself)"
    )


def test_merge_keys_are_refused():
    text = "base: &base {title: A}\ncriteria:\n  - <<: *base\n    code: '1'\n"

    assert only_error(text) == "line 3: merge keys (<<) are not allowed; repeat the fields instead"


def test_deep_yaml_nesting_is_refused():
    assert only_error("x: " + "[" * 60 + "]" * 60 + "\n") == "the file is nested more than 40 levels deep"


def test_pathological_nesting_is_refused_without_crashing():
    error = only_error("x: " + "[" * 5000 + "]" * 5000 + "\n")

    assert error in ("the file is nested too deeply", "the file is nested more than 40 levels deep")


def test_more_than_2000_criteria_are_refused():
    assert "criteria: more than 2000 criteria" in errors_of(_wide(children=2000))


def test_criteria_past_the_2000th_are_not_even_checked():
    doc = _wide(children=2100)
    for child in doc["criteria"][0]["children"]:
        child["rule"] = {"type": "unknown"}

    errors = errors_of(doc)
    assert errors[0] == "criteria: more than 2000 criteria"
    # 1 + 1999 checked criteria with a bad rule: 2000 errors, 200 shown. Nothing from 1.2000 on.
    assert errors[-1] == "… and 1800 more errors"


def test_more_than_eight_levels_are_refused_naming_the_deepest_parent():
    doc = minimal()
    doc["criteria"][1]["children"] = [_chain("2", levels=8, max_points=30)]

    assert only_error(doc) == "criterion 2.1.1.1.1.1.1.1: criteria are nested more than 8 levels deep"


# --- Refused: top-level fields -------------------------------------------------------------------------


@pytest.mark.parametrize("field", ["code", "name", "year", "unit_kind", "period", "criteria"])
def test_every_top_level_field_is_required(field):
    doc = minimal()
    del doc[field]

    assert only_error(doc) == f"{field}: is required"


def test_an_unknown_top_level_field_is_refused():
    doc = minimal()
    doc["descripton"] = "typo"

    assert only_error(doc).startswith("'descripton': unknown field")


@pytest.mark.parametrize("year", ["2020", 2020.0, True, 20, None])
def test_year_must_be_a_whole_year(year):
    doc = minimal()
    doc["year"] = year

    assert only_error(doc).startswith("year: must be a whole year such as 2020")


@pytest.mark.parametrize("unit_kind", ["ward", "Commune", "", None, 1])
def test_unit_kind_must_be_a_known_kind(unit_kind):
    doc = minimal()
    doc["unit_kind"] = unit_kind

    assert only_error(doc).startswith("unit_kind: must be one of province, department, district, commune")


@pytest.mark.parametrize("code", ["", "XA 2020", None, 1.5, ["X"]])
def test_the_set_code_must_be_a_text_without_spaces(code):
    doc = minimal()
    doc["code"] = code

    assert only_error(doc).startswith("code: must be a text")


@pytest.mark.parametrize("name", ["", "   ", None, 12])
def test_the_name_must_be_a_non_empty_text(name):
    doc = minimal()
    doc["name"] = name

    assert only_error(doc) == "name: must be a non-empty text"


def test_period_start_after_end_is_refused():
    doc = minimal()
    doc["period"] = {"start": date(2024, 12, 15), "end": date(2024, 12, 14)}

    assert only_error(doc) == "period: start 2024-12-15 is after end 2024-12-14"


def test_a_one_day_period_is_accepted():
    doc = minimal()
    doc["period"] = {"start": date(2024, 12, 15), "end": date(2024, 12, 15)}

    assert parse(doc).period_end == date(2024, 12, 15)


@pytest.mark.parametrize(
    ("period", "message"),
    [
        ("2024", "period: must be a mapping"),
        ({"start": date(2024, 1, 1)}, "period.end: is required"),
        ({"start": "15/12/2023", "end": date(2024, 1, 1)}, "period.start: must be a date YYYY-MM-DD"),
        ({"start": date(2024, 1, 1), "end": 20241231}, "period.end: must be a date YYYY-MM-DD"),
        ({"start": date(2024, 1, 1), "end": date(2024, 2, 1), "until": 1}, "period.until: unknown field"),
    ],
)
def test_period_must_hold_two_dates(period, message):
    doc = minimal()
    doc["period"] = period

    assert only_error(doc).startswith(message)


def test_a_timestamp_is_not_a_date():
    text = dump(minimal()).replace("2024-12-14", "2024-12-14 10:00:00")

    assert only_error(text).startswith("period.end: must be a date YYYY-MM-DD")


@pytest.mark.parametrize("criteria", [[], None, {"code": "1"}])
def test_criteria_must_be_a_non_empty_list(criteria):
    doc = minimal()
    doc["criteria"] = criteria

    assert only_error(doc) == "criteria: must be a non-empty list of criteria"


# --- Refused: codes ------------------------------------------------------------------------------------


def test_duplicate_codes_are_refused_naming_the_code():
    doc = minimal()
    find(doc, "1.5")["code"] = "1.3"

    assert only_error(doc) == "criterion 1.3: the code is used more than once"


def test_a_code_used_three_times_is_reported_once():
    doc = minimal()
    find(doc, "1.4")["code"] = "1.3"
    find(doc, "1.5")["code"] = "1.3"

    assert errors_of(doc) == ["criterion 1.3: the code is used more than once"]


def test_an_unquoted_decimal_code_is_refused_with_advice_to_quote_it():
    doc = minimal()
    find(doc, "1.2")["code"] = 1.2

    error = only_error(doc)
    assert error.startswith("criteria[0].children[1]: code 1.2 is a number")
    assert 'put it in quotes ("1.2")' in error


@pytest.mark.parametrize("code", ["", None, True, ["1.2"]])
def test_a_code_must_be_a_non_empty_text_and_the_error_names_the_position(code):
    doc = minimal()
    find(doc, "1.2")["code"] = code

    assert only_error(doc).startswith("criteria[0].children[1]: code must be a non-empty text")


@pytest.mark.parametrize("code", ["1. 2", "1..2", "1.2.", " 1.2", "1.2/3"])
def test_a_code_must_be_dot_separated_segments(code):
    doc = minimal()
    find(doc, "1.2")["code"] = code

    assert only_error(doc).startswith(f"criteria[0].children[1]: code {code!r} is not valid")


def test_a_missing_code_names_the_position():
    doc = minimal()
    del find(doc, "1.1.2")["code"]

    assert only_error(doc) == "criteria[0].children[0].children[1]: code is required"


@pytest.mark.parametrize("code", ["2.1", "11.1", "1", "1.10", "1.2.1"])
def test_a_child_code_must_start_with_its_parent_code_and_a_dot(code):
    doc = minimal()
    find(doc, "1.1.2")["code"] = code
    errors = errors_of(doc)

    assert f'criterion {code}: the code must start with its parent\'s code and a dot ("1.1.")' in errors


def test_a_grandchild_code_may_skip_a_level_as_long_as_it_starts_with_the_parent():
    doc = minimal()
    find(doc, "1.1.2")["code"] = "1.1.2.9"

    assert parse(doc)


# --- Refused: node shape and maxima --------------------------------------------------------------------


def test_a_node_with_both_children_and_a_rule_is_refused():
    doc = minimal()
    find(doc, "1.1")["rule"] = {"type": "manual"}

    assert only_error(doc) == "criterion 1.1: a criterion has either children or a rule, not both"


def test_a_node_with_neither_children_nor_a_rule_is_refused():
    doc = minimal()
    del find(doc, "1.5")["rule"]

    assert only_error(doc) == "criterion 1.5: a criterion needs either children or a rule"


@pytest.mark.parametrize("children", [[], None, "1.1.1"])
def test_children_must_be_a_non_empty_list(children):
    doc = minimal()
    find(doc, "1.1")["children"] = children

    assert "criterion 1.1: children must be a non-empty list of criteria" in errors_of(doc)


def test_a_criterion_that_is_not_a_mapping_is_refused():
    doc = minimal()
    find(doc, "1.1")["children"][1] = "1.1.2 Thực hiện kế hoạch"

    errors = errors_of(doc)
    assert errors[0].startswith("criteria[0].children[0].children[1]: a criterion must be a mapping")


def test_an_unknown_key_on_a_criterion_is_refused():
    doc = minimal()
    find(doc, "1.3")["weight"] = 2

    assert only_error(doc).startswith("criterion 1.3: unknown field 'weight'")


def test_a_missing_title_is_refused():
    doc = minimal()
    find(doc, "1.3")["title"] = "  "

    assert only_error(doc) == "criterion 1.3: title is required (a non-empty text)"


def test_a_missing_max_is_refused():
    doc = minimal()
    del find(doc, "1.5")["max"]

    assert "criterion 1.5: max is required" in errors_of(doc)


@pytest.mark.parametrize("value", [0, -1, 0.0, 100.01, 1000])
def test_max_must_be_above_zero_and_at_most_100(value):
    doc = minimal()
    find(doc, "1.5")["max"] = value

    assert "criterion 1.5: max must be more than 0 and at most 100" in errors_of(doc)[0]


@pytest.mark.parametrize("value", ["ten", None, True, float("nan"), float("inf"), [10]])
def test_max_must_be_a_number(value):
    doc = minimal()
    find(doc, "1.5")["max"] = value

    assert errors_of(doc)[0].startswith("criterion 1.5: max must be a number")


def test_max_has_at_most_two_decimals():
    doc = minimal()
    find(doc, "1.5")["max"] = 10.005

    assert "criterion 1.5: max 10.005 has more than 2 decimals" in errors_of(doc)


def test_max_with_two_decimals_is_accepted():
    doc = minimal()
    find(doc, "1.2")["max"] = 9.99
    find(doc, "1.5")["max"] = 10.01

    assert parse(doc)


def test_children_maxima_below_the_parent_max_are_refused():
    doc = minimal()
    find(doc, "1.1")["max"] = 20.5
    find(doc, "1.2")["max"] = 9.5

    assert only_error(doc) == "criterion 1.1: its children's maxima add up to 20, less than its max 20.5"


def test_children_maxima_above_the_parent_max_are_accepted():
    doc = minimal()
    find(doc, "1.1.1")["max"] = 15

    assert parse(doc)


@pytest.mark.parametrize(("first", "second"), [(70, 29.5), (70, 30.01), (75, 30)])
def test_top_level_maxima_must_add_up_to_100(first, second):
    doc = minimal()
    doc["criteria"][0]["max"] = first
    doc["criteria"][1]["max"] = second
    # keep each parent's own invariant, so that only the total is wrong
    find(doc, "1.5")["max"] = 10 + max(0, first - 70)
    find(doc, "2.1")["max"] = max(30, second)

    errors = errors_of(doc)
    assert len(errors) == 1, errors
    assert errors[0].startswith("criteria: the top-level maxima add up to ")
    assert errors[0].endswith(", not 100")


# --- Refused: parts ------------------------------------------------------------------------------------


def test_part_on_a_child_is_refused():
    doc = minimal()
    find(doc, "1.1")["part"] = "evidence"

    assert (
        only_error(doc) == "criterion 1.1: part is only allowed on top-level criteria (it is inherited below)"
    )


@pytest.mark.parametrize("part", ["Evidence", "both", None, 1])
def test_part_must_be_evidence_or_survey(part):
    doc = minimal()
    doc["criteria"][0]["part"] = part

    assert only_error(doc).startswith("criterion 1: part must be one of evidence, survey")


def test_a_survey_rule_under_the_evidence_part_is_refused():
    doc = minimal()
    find(doc, "1.5")["rule"] = {"type": "survey"}

    assert only_error(doc) == "criterion 1.5: a survey rule is only allowed under a criterion of part survey"


@pytest.mark.parametrize("rule", [{"type": "task_on_time"}, {"type": "metric_proportional", "target": 10}])
def test_a_survey_part_leaf_needs_a_survey_or_manual_rule(rule):
    doc = minimal()
    find(doc, "2.1")["rule"] = rule

    assert only_error(doc).startswith(
        "criterion 2.1: a criterion of part survey takes a survey or manual rule"
    )


# --- Refused: rules ------------------------------------------------------------------------------------


@pytest.mark.parametrize("rule", ["manual", None, ["manual"]])
def test_a_rule_must_be_a_mapping(rule):
    doc = minimal()
    find(doc, "1.5")["rule"] = rule

    assert only_error(doc) == "criterion 1.5: rule must be a mapping with a type"


@pytest.mark.parametrize("rule", [{"type": "percent"}, {}, {"type": None}, {"late_points": 1}])
def test_a_rule_type_must_be_known(rule):
    doc = minimal()
    find(doc, "1.5")["rule"] = rule

    assert only_error(doc).startswith(
        "criterion 1.5: rule type must be one of task_on_time, task_ratio_bands"
    )


@pytest.mark.parametrize(
    ("code", "field"),
    [
        ("1.1.1", "late_point"),
        ("1.1.2", "late_points"),
        ("1.2", "bands"),
        ("1.3", "target"),
        ("1.4", "bands"),
        ("1.5", "scope"),
        ("2.1", "count"),
    ],
)
def test_an_unknown_rule_field_is_refused_naming_it(code, field):
    doc = minimal()
    find(doc, code)["rule"][field] = 1

    error = only_error(doc)
    assert error.startswith(f"criterion {code}: rule field '{field}' is not known for type ")


@pytest.mark.parametrize("value", [-0.5, 10.5, "half"])
def test_late_points_must_be_within_0_and_max(value):
    doc = minimal()
    find(doc, "1.1.1")["rule"]["late_points"] = value

    assert only_error(doc).startswith("criterion 1.1.1: late_points ")


@pytest.mark.parametrize("value", [0, 10])
def test_late_points_at_0_and_at_max_are_accepted(value):
    doc = minimal()
    find(doc, "1.1.1")["rule"]["late_points"] = value

    rules = {node.code: node.rule for node, *_ in iter_nodes(parse(doc))}
    assert rules["1.1.1"]["late_points"] == str(value)


@pytest.mark.parametrize(("code", "field"), [("1.1.2", "bands"), ("1.3", "bands")])
def test_bands_are_required(code, field):
    doc = minimal()
    del find(doc, code)["rule"][field]

    assert only_error(doc) == f"criterion {code}: rule field bands is required"


@pytest.mark.parametrize("bands", [[], None, "1.0: 10", {"1.0": 10}])
def test_bands_must_be_a_non_empty_list(bands):
    doc = minimal()
    find(doc, "1.1.2")["rule"]["bands"] = bands

    assert only_error(doc) == "criterion 1.1.2: bands must be a non-empty list of [threshold, points] pairs"


@pytest.mark.parametrize("band", [[1.0], [1.0, 10, 5], 1.0, "1.0, 10"])
def test_each_band_must_be_a_pair(band):
    doc = minimal()
    find(doc, "1.1.2")["rule"]["bands"] = [band, [0.5, 5]]

    assert only_error(doc) == "criterion 1.1.2: band 1 must be a pair [threshold, points]"


@pytest.mark.parametrize(
    ("code", "bands", "message"),
    [
        ("1.1.2", [[1.0, 10.5], [0.5, 0]], "criterion 1.1.2: band 1: points 10.5 must be within 0..10"),
        ("1.1.2", [[1.0, -1]], "criterion 1.1.2: band 1: points -1 must be within 0..10"),
        ("1.3", [[100, 20], [95, 20.01]], "criterion 1.3: band 2: points 20.01 must be within 0..20"),
        ("1.3", [[100, 20], [95, -0.5]], "criterion 1.3: band 2: points -0.5 must be within 0..20"),
        ("1.3", [[100, "x"]], "criterion 1.3: band 1: points must be a number, not 'x'"),
    ],
)
def test_band_points_must_be_within_0_and_max(code, bands, message):
    doc = minimal()
    find(doc, code)["rule"]["bands"] = bands

    assert only_error(doc) == message


def test_band_points_at_0_and_at_max_are_accepted():
    doc = minimal()
    find(doc, "1.1.2")["rule"]["bands"] = [[1.0, 10], [0.5, 0]]

    assert parse(doc)


@pytest.mark.parametrize(
    "bands", [[[0.8, 5], [1.0, 10]], [[1.0, 10], [1.0, 5]], [[1.0, 10], [0.9, 5], [0.9, 2]]]
)
def test_band_thresholds_must_strictly_descend(bands):
    doc = minimal()
    find(doc, "1.1.2")["rule"]["bands"] = bands

    assert only_error(doc).startswith("criterion 1.1.2: band thresholds must strictly descend (band ")


def test_metric_band_thresholds_must_strictly_descend():
    doc = minimal()
    find(doc, "1.3")["rule"]["bands"] = [[95, 10], [100, 20]]

    assert only_error(doc) == "criterion 1.3: band thresholds must strictly descend (band 2: 100 after 95)"


@pytest.mark.parametrize("threshold", [1.01, -0.1, 80])
def test_ratio_band_thresholds_are_ratios_between_0_and_1(threshold):
    doc = minimal()
    find(doc, "1.1.2")["rule"]["bands"] = [[threshold, 10]]

    assert only_error(doc).startswith("criterion 1.1.2: band 1: the threshold ")
    assert only_error(doc).endswith("must be a ratio between 0 and 1")


def test_ratio_bands_at_exactly_0_and_1_are_accepted():
    doc = minimal()
    find(doc, "1.1.2")["rule"]["bands"] = [[1, 10], [0, 1]]

    assert parse(doc)


def test_metric_band_thresholds_may_exceed_1_but_not_be_negative():
    doc = minimal()
    find(doc, "1.3")["rule"]["bands"] = [[1000000, 20], [-5, 1]]

    assert only_error(doc) == "criterion 1.3: band 2: the threshold -5 must not be negative"


def test_a_non_numeric_threshold_is_refused():
    doc = minimal()
    find(doc, "1.3")["rule"]["bands"] = [["all", 20]]

    assert only_error(doc) == "criterion 1.3: band 1: the threshold must be a number, not 'all'"


def test_ratio_band_points_must_not_rise_as_the_threshold_falls():
    doc = minimal()
    find(doc, "1.1.2")["rule"]["bands"] = [[1.0, 5], [0.8, 10]]

    assert only_error(doc).startswith(
        "criterion 1.1.2: band 2 gives 10 points, more than the higher threshold"
    )


def test_metric_band_points_may_rise_as_the_threshold_falls():
    # A metric where less is better (e.g. complaints): fewer earn more.
    doc = minimal()
    find(doc, "1.3")["rule"]["bands"] = [[10, 0], [5, 10], [0, 20]]

    assert parse(doc)


@pytest.mark.parametrize(
    ("field", "value"), [("scope", "unit"), ("count", "late"), ("when_no_tasks", "skip")]
)
def test_rule_choices_must_be_known(field, value):
    doc = minimal()
    find(doc, "1.1.2")["rule"][field] = value

    assert only_error(doc).startswith(f"criterion 1.1.2: {field} must be one of ")


@pytest.mark.parametrize("value", ["zero", "full", "exclude"])
def test_every_rule_takes_when_no_tasks(value):
    doc = minimal()
    for code in ("1.1.1", "1.1.2", "1.2", "1.3", "1.4", "1.5", "2.1"):
        find(doc, code)["rule"]["when_no_tasks"] = value

    assert {leaf.rule["when_no_tasks"] for leaf in leaves(parse(doc))} == {value}


@pytest.mark.parametrize(("code", "field"), [("1.2", "per_item"), ("1.4", "target")])
@pytest.mark.parametrize("value", [0, -1, "many", None])
def test_per_item_and_target_must_be_above_zero(code, field, value):
    doc = minimal()
    find(doc, code)["rule"][field] = value

    assert only_error(doc).startswith(f"criterion {code}: {field} must be a number above 0")


@pytest.mark.parametrize(("code", "field"), [("1.2", "per_item"), ("1.4", "target")])
def test_per_item_and_target_are_required(code, field):
    doc = minimal()
    del find(doc, code)["rule"][field]

    assert only_error(doc) == f"criterion {code}: rule field {field} is required"


# --- Many errors at once -------------------------------------------------------------------------------


def test_every_error_is_collected_and_the_file_refused_whole():
    doc = minimal()
    doc["year"] = "2024"
    find(doc, "1.1.2")["rule"]["bands"] = [[0.8, 5], [1.0, 10]]
    find(doc, "1.2")["rule"]["per_item"] = 0
    find(doc, "1.3")["bogus"] = True
    find(doc, "1.5")["code"] = "1.4"
    find(doc, "2.1")["rule"] = {"type": "deduction", "per_item": 1}

    errors = errors_of(doc)
    assert len(errors) == 6, errors
    assert errors[0].startswith("year: ")
    prefixes = [e.split(": ")[0] for e in errors[1:]]
    assert prefixes == ["criterion 1.1.2", "criterion 1.2", "criterion 1.3", "criterion 1.4", "criterion 2.1"]


def test_the_exception_is_a_value_error_whose_text_lists_every_error():
    doc = minimal()
    find(doc, "1.2")["rule"]["per_item"] = 0
    find(doc, "1.3")["rule"]["bands"] = []

    with pytest.raises(ValueError) as info:
        parse(doc)
    assert isinstance(info.value, CriteriaFileError)
    assert str(info.value) == "\n".join(info.value.errors)
    assert len(info.value.errors) == 2


def test_a_huge_number_of_errors_is_cut_short_with_a_count():
    doc = _wide(children=1999)
    for child in doc["criteria"][0]["children"]:
        child["rule"] = {"type": "unknown"}

    errors = errors_of(doc)
    assert len(errors) == 201
    assert errors[-1] == "… and 1799 more errors"


# --- Helpers that build trees --------------------------------------------------------------------------


def only_error_for(call) -> str:
    with pytest.raises(CriteriaFileError) as info:
        call()
    assert len(info.value.errors) == 1, info.value.errors
    return info.value.errors[0]


def _chain(code: str, *, levels: int, max_points: float) -> dict:
    """A chain of `levels` criteria below `code`: code.1, code.1.1, …, the last one a leaf."""
    child_code = code + ".1"
    node = {"code": child_code, "title": f"Tiêu chí {child_code}", "max": max_points}
    if levels == 1:
        node["rule"] = {"type": "survey"}
    else:
        node["children"] = [_chain(child_code, levels=levels - 1, max_points=max_points)]
    return node


def _wide(*, children: int) -> dict:
    """One evidence criterion worth 100 with `children` leaves, their maxima adding up to at least 100."""
    doc = minimal()
    each = Decimal(100) / children
    each = max(each.quantize(Decimal("0.01")), Decimal("0.01"))
    leaves_ = [
        {"code": f"1.{i}", "title": f"Tiêu chí 1.{i}", "max": str(each), "rule": {"type": "manual"}}
        for i in range(1, children + 1)
    ]
    shortfall = Decimal(100) - each * children
    if shortfall > 0:
        leaves_[0]["max"] = str(each + shortfall)
    doc["criteria"] = [{"code": "1", "title": "Tất cả", "max": 100, "children": leaves_}]
    return doc
