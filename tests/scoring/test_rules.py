"""Scoring rules: each rule type at its edges, projections, the tree roll-up and ranks, plus properties
that must hold for every rule and every count."""

from dataclasses import replace
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction
from pathlib import Path

import pytest
from django.utils import translation
from hypothesis import given, settings
from hypothesis import strategies as st

from criteria.criteria_file import leaves, node_defs, parse_criteria_file
from scoring.rules import (
    CriteriaTree,
    LeafCounts,
    LeafResult,
    NodeDef,
    aggregate,
    competition_ranks,
    final_points,
    points_key,
    round_fraction,
    round_ratio,
    score_leaf,
)

D = Decimal
# The project's copy of shared/domain/criteria-commune-2020.yaml (the demo and load data use it too).
EXAMPLE = Path(__file__).resolve().parents[2] / "criteria" / "data" / "criteria-commune-2020.yaml"


@pytest.fixture(autouse=True, scope="module")
def _vietnamese():
    # Reasons are written in Vietnamese, the interface's default language.
    with translation.override("vi"):
        yield


def rule(rule_type: str, **fields) -> dict:
    return {"type": rule_type, "when_no_tasks": "zero", **fields}


def score(r: dict, max_points, **counts) -> LeafResult:
    return score_leaf(r, D(str(max_points)), LeafCounts(**counts))


def points(r: dict, max_points, **counts) -> tuple[Decimal, Decimal]:
    result = score(r, max_points, **counts)
    assert not result.excluded
    return result.auto_points, result.projected_points


# --- LeafCounts ----------------------------------------------------------------------------------------


def test_n_counts_every_state_and_projection_turns_pending_into_on_time():
    counts = LeafCounts(on_time=1, late=2, overdue=3, pending=4, metric=D("5"))

    assert counts.n == 10
    assert counts.projected() == LeafCounts(on_time=5, late=2, overdue=3, pending=0, metric=D("5"))


@pytest.mark.parametrize("field", ["on_time", "late", "overdue", "pending"])
@pytest.mark.parametrize("value", [-1, 1.5, True])
def test_counts_must_be_non_negative_integers(field, value):
    with pytest.raises(ValueError):
        LeafCounts(**{field: value})


def test_a_metric_given_as_text_or_int_becomes_an_exact_decimal():
    assert LeafCounts(metric="97.5").metric == D("97.5")
    assert LeafCounts(metric=98).metric == D(98)


# --- task_on_time --------------------------------------------------------------------------------------

ON_TIME = rule("task_on_time", late_points="0.5")


def test_task_on_time_all_on_time_scores_max():
    result = score(ON_TIME, 1, on_time=3)

    assert (result.auto_points, result.projected_points) == (1, 1)
    assert result.reason == "3/3 nhiệm vụ đúng hạn"


def test_task_on_time_all_approved_some_late_scores_late_points():
    result = score(ON_TIME, 1, on_time=2, late=1)

    assert (result.auto_points, result.projected_points) == (D("0.5"), D("0.5"))
    assert result.reason == "2/3 nhiệm vụ đúng hạn, 1 trễ hạn"


def test_task_on_time_all_late_scores_late_points():
    assert points(ON_TIME, 1, late=2) == (D("0.5"), D("0.5"))


def test_task_on_time_with_a_pending_task_scores_0_until_it_is_approved():
    result = score(ON_TIME, 1, on_time=2, pending=1)

    assert (result.auto_points, result.projected_points) == (0, 1)
    assert result.reason == "2/3 nhiệm vụ đúng hạn, 1 chưa đến hạn"


def test_task_on_time_late_and_pending_projects_late_points():
    assert points(ON_TIME, 1, late=1, pending=1) == (0, D("0.5"))


def test_task_on_time_an_overdue_task_scores_0_even_projected():
    result = score(ON_TIME, 1, on_time=1, overdue=1, pending=1)

    assert (result.auto_points, result.projected_points) == (0, 0)
    assert result.reason == "1/3 nhiệm vụ đúng hạn, 1 quá hạn, 1 chưa đến hạn"


def test_task_on_time_without_late_points_gives_half_the_max():
    assert points({"type": "task_on_time"}, D("1.5"), late=1) == (D("0.75"), D("0.75"))


def test_task_on_time_late_points_0_is_not_the_default():
    assert points(rule("task_on_time", late_points="0"), 1, late=1) == (0, 0)


# --- when_no_tasks (n == 0) ----------------------------------------------------------------------------

TASK_AND_METRIC_RULES = [
    ON_TIME,
    rule("task_ratio_bands", bands=[["1.0", "2"]], scope="leaf", count="on_time"),
    rule("deduction", per_item="0.25"),
    rule("metric_bands", bands=[["100", "2"]]),
    rule("metric_proportional", target="80"),
]


@pytest.mark.parametrize("base", TASK_AND_METRIC_RULES, ids=lambda r: r["type"])
def test_no_tasks_scores_zero_by_default(base):
    result = score(base, 2)

    assert result == LeafResult(D(0), D(0), False, "chưa có nhiệm vụ nào gắn với tiêu chí")


@pytest.mark.parametrize("base", TASK_AND_METRIC_RULES, ids=lambda r: r["type"])
def test_no_tasks_with_full_scores_max(base):
    result = score({**base, "when_no_tasks": "full"}, 2)

    assert (result.auto_points, result.projected_points, result.excluded) == (2, 2, False)
    assert "được điểm tối đa" in result.reason


@pytest.mark.parametrize("base", TASK_AND_METRIC_RULES, ids=lambda r: r["type"])
def test_no_tasks_with_exclude_drops_the_leaf(base):
    result = score({**base, "when_no_tasks": "exclude"}, 2)

    assert (result.auto_points, result.projected_points, result.excluded) == (0, 0, True)
    assert "không tính vào điểm tối đa" in result.reason


@pytest.mark.parametrize("base", TASK_AND_METRIC_RULES, ids=lambda r: r["type"])
def test_when_no_tasks_does_not_apply_once_there_is_a_task(base):
    result = score({**base, "when_no_tasks": "exclude"}, 2, overdue=1)

    assert not result.excluded
    assert result.auto_points == (D("1.75") if base["type"] == "deduction" else 0)


def test_a_missing_when_no_tasks_means_zero():
    assert score({"type": "deduction", "per_item": "1"}, 2).auto_points == 0


def test_an_unknown_when_no_tasks_is_a_bug():
    with pytest.raises(ValueError):
        score({**ON_TIME, "when_no_tasks": "skip"}, 1)


# --- task_ratio_bands ----------------------------------------------------------------------------------

RATIO = rule("task_ratio_bands", bands=[["1.0", "2"], ["0.8", "1"]], scope="leaf", count="on_time")


def test_ratio_bands_all_on_time_scores_the_top_band():
    assert points(RATIO, 2, on_time=5) == (2, 2)


def test_ratio_bands_exactly_at_a_threshold_scores_that_band():
    result = score(RATIO, 2, on_time=4, late=1)

    assert (result.auto_points, result.projected_points) == (1, 1)
    assert result.reason == "4/5 nhiệm vụ đúng hạn, 1 trễ hạn"


def test_ratio_bands_just_below_the_lowest_threshold_scores_0():
    assert points(RATIO, 2, on_time=79, late=21) == (0, 0)


def test_ratio_bands_just_below_the_top_threshold_scores_the_next_band():
    assert points(RATIO, 2, on_time=99, overdue=1) == (1, 1)


def test_ratio_bands_compare_exactly_not_through_a_rounded_quotient():
    # 2/3 = 0.666…: below 0.6667, above 0.6666.
    high = rule("task_ratio_bands", bands=[["0.6667", "2"]], scope="leaf", count="on_time")
    low = rule("task_ratio_bands", bands=[["0.6666", "2"]], scope="leaf", count="on_time")

    assert points(high, 2, on_time=2, late=1) == (0, 0)
    assert points(low, 2, on_time=2, late=1) == (2, 2)


def test_ratio_bands_pending_tasks_count_against_the_ratio_until_done():
    result = score(RATIO, 2, on_time=4, pending=1)

    assert (result.auto_points, result.projected_points) == (1, 2)
    assert result.reason == "4/5 nhiệm vụ đúng hạn, 1 chưa đến hạn"


def test_ratio_bands_counting_approved_tasks_accepts_late_ones():
    approved = {**RATIO, "count": "approved"}

    assert points(approved, 2, on_time=3, late=1) == (2, 2)
    assert points(RATIO, 2, on_time=3, late=1) == (0, 0)
    assert points(approved, 2, on_time=3, late=1, overdue=1) == (1, 1)
    assert points(approved, 2, late=4, pending=1) == (1, 2)


def test_ratio_bands_all_late_score_0_when_counting_on_time():
    assert points(RATIO, 2, late=3) == (0, 0)


def test_ratio_bands_a_zero_threshold_band_always_scores():
    floor = rule("task_ratio_bands", bands=[["1.0", "2"], ["0", "0.5"]], scope="leaf", count="on_time")

    assert points(floor, 2, overdue=3) == (D("0.5"), D("0.5"))


def test_ratio_bands_without_count_means_on_time():
    assert points({"type": "task_ratio_bands", "bands": [["1", "2"]]}, 2, on_time=1, late=1) == (0, 0)


def test_ratio_bands_read_raw_numbers_too():
    raw = {"type": "task_ratio_bands", "bands": [[1.0, 2], [0.8, 1]]}

    assert points(raw, 2, on_time=4, late=1) == (1, 1)


# --- deduction -----------------------------------------------------------------------------------------

DEDUCTION = rule("deduction", per_item="0.25")


def test_deduction_all_on_time_scores_max():
    assert points(DEDUCTION, 1, on_time=4) == (1, 1)


def test_deduction_takes_per_item_for_each_late_overdue_or_pending_task():
    result = score(DEDUCTION, 1, on_time=1, late=1, overdue=1, pending=1)

    assert (result.auto_points, result.projected_points) == (D("0.25"), D("0.5"))
    assert result.reason == "1/4 nhiệm vụ đúng hạn, 1 trễ hạn, 1 quá hạn, 1 chưa đến hạn"


def test_deduction_down_to_exactly_0():
    assert points(DEDUCTION, 1, late=4) == (0, 0)


def test_deduction_never_goes_below_0():
    assert points(DEDUCTION, 1, late=5, overdue=3) == (0, 0)
    assert points(rule("deduction", per_item="1.5"), 3, overdue=3) == (0, 0)


# --- metric_bands --------------------------------------------------------------------------------------

METRIC = rule("metric_bands", bands=[["100", "5"], ["98", "3"], ["95", "1.5"]])


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("120", "5"),
        ("100", "5"),
        ("99.99", "3"),
        ("98", "3"),
        ("97.99", "1.5"),
        ("95", "1.5"),
        ("94.99", "0"),
        ("0", "0"),
    ],
)
def test_metric_bands_read_the_value_through_the_bands(value, expected):
    result = score(METRIC, 5, on_time=1, metric=D(value))

    assert (result.auto_points, result.projected_points) == (D(expected), D(expected))
    assert result.reason == f"giá trị số liệu được duyệt: {value}"


def test_metric_bands_without_an_approved_value_score_0_and_say_so():
    result = score(METRIC, 5, pending=1)

    assert (result.auto_points, result.projected_points) == (0, 0)
    assert result.reason == "chưa có giá trị số liệu được duyệt (0/1 nhiệm vụ đúng hạn, 1 chưa đến hạn)"


def test_metric_bands_pending_tasks_do_not_change_the_approved_value():
    assert points(METRIC, 5, on_time=1, pending=2, metric=D("98.5")) == (3, 3)


def test_metric_bands_where_less_is_better():
    fewer_is_better = rule("metric_bands", bands=[["10", "0"], ["5", "1"], ["0", "2"]])

    assert points(fewer_is_better, 2, on_time=1, metric=D(0)) == (2, 2)
    assert points(fewer_is_better, 2, on_time=1, metric=D(7)) == (1, 1)
    assert points(fewer_is_better, 2, on_time=1, metric=D(12)) == (0, 0)


# --- metric_proportional -------------------------------------------------------------------------------

PROPORTIONAL = rule("metric_proportional", target="80")


@pytest.mark.parametrize(
    ("value", "expected"),
    [("0", "0"), ("40", "1.5"), ("79.2", "2.97"), ("80", "3"), ("100", "3"), ("-5", "0")],
)
def test_metric_proportional_is_max_times_value_over_target_capped_at_max(value, expected):
    assert points(PROPORTIONAL, 3, on_time=1, metric=D(value)) == (D(expected), D(expected))


def test_metric_proportional_rounds_a_repeating_quotient_half_up_to_4_decimals():
    thirds = rule("metric_proportional", target="30")

    assert points(thirds, 2, late=1, metric=D(10)) == (D("0.6667"), D("0.6667"))
    assert points(thirds, 1, late=1, metric=D(10)) == (D("0.3333"), D("0.3333"))


def test_metric_proportional_says_value_and_target():
    result = score(PROPORTIONAL, 3, on_time=1, metric=D("40.50"))

    assert result.reason == "giá trị số liệu được duyệt: 40.5 / chỉ tiêu 80"


def test_metric_proportional_without_an_approved_value_scores_0():
    result = score(PROPORTIONAL, 3, overdue=1)

    assert result.auto_points == 0
    assert result.reason.startswith("chưa có giá trị số liệu được duyệt")


# --- survey and manual ---------------------------------------------------------------------------------


def test_survey_scores_0_until_imported():
    result = score_leaf(rule("survey"), D(20), LeafCounts())

    assert result == LeafResult(D(0), D(0), False, "chưa nhập kết quả điều tra")


@pytest.mark.parametrize(
    ("imported", "expected"), [("8.5", "8.5"), ("0", "0"), ("20", "20"), ("25", "20"), ("-1", "0")]
)
def test_survey_takes_the_imported_points_clamped_to_0_and_max(imported, expected):
    result = score_leaf(rule("survey"), D(20), LeafCounts(), survey_points=D(imported))

    assert (result.auto_points, result.projected_points) == (D(expected), D(expected))
    assert result.reason == f"điểm điều tra đã nhập: {imported}"


def test_survey_and_manual_ignore_when_no_tasks():
    for r in ({"type": "survey", "when_no_tasks": "exclude"}, {"type": "manual", "when_no_tasks": "full"}):
        result = score_leaf(r, D(2), LeafCounts())
        assert (result.auto_points, result.excluded) == (0, False)


def test_manual_scores_0_until_appraised():
    result = score(rule("manual"), 2, on_time=3)

    assert result == LeafResult(D(0), D(0), False, "chờ thẩm định")


def test_an_unknown_rule_type_is_a_bug():
    with pytest.raises(ValueError):
        score({"type": "percent"}, 1, on_time=1)


# --- final_points --------------------------------------------------------------------------------------


def test_final_points_prefer_the_appraisal_even_when_it_is_0():
    assert final_points(D("0.75"), None) == D("0.75")
    assert final_points(D("0.75"), D(0)) == 0
    assert final_points(D(0), D("1.5")) == D("1.5")


# --- Every rule of the example set ---------------------------------------------------------------------


def test_every_rule_of_the_example_set_scores_within_0_and_max():
    spec = parse_criteria_file(EXAMPLE.read_bytes())
    samples = [
        LeafCounts(),
        LeafCounts(on_time=3),
        LeafCounts(on_time=1, late=1, overdue=1, pending=1, metric=D("96")),
        LeafCounts(late=2, metric=D("150")),
    ]
    for leaf in leaves(spec):
        for counts in samples:
            result = score_leaf(leaf.rule, leaf.max_points, counts, survey_points=D("7"))
            assert 0 <= result.auto_points <= result.projected_points <= leaf.max_points, leaf.code


def test_a_full_score_in_the_example_set_when_everything_is_on_time():
    spec = parse_criteria_file(EXAMPLE.read_bytes())
    leaf_points = {}
    for leaf in leaves(spec):
        result = score_leaf(
            leaf.rule, leaf.max_points, LeafCounts(on_time=2, metric=D(100)), survey_points=D(20)
        )
        leaf_points[leaf.code] = final_points(
            result.auto_points, leaf.max_points if leaf.rule["type"] == "manual" else None
        )

    totals = aggregate(node_defs(spec), leaf_points, set())
    assert (totals.evidence_points, totals.survey_points) == (70, D(10) + D(20))
    assert totals.percent == D("100.0000")


# --- aggregate -----------------------------------------------------------------------------------------


def tree() -> list[NodeDef]:
    """1 (evidence, 10): 1.1 (3) = 1.1.1 (2) + 1.1.2 (2); 1.2 (7). 2 (survey, 5): 2.1 (5)."""
    return [
        NodeDef("1", D(10), "evidence"),
        NodeDef("1.1", D(3), "evidence", "1"),
        NodeDef("1.1.1", D(2), "evidence", "1.1"),
        NodeDef("1.1.2", D(2), "evidence", "1.1"),
        NodeDef("1.2", D(7), "evidence", "1"),
        NodeDef("2", D(5), "survey"),
        NodeDef("2.1", D(5), "survey", "2"),
    ]


def test_aggregate_sums_children_and_splits_evidence_and_survey():
    totals = aggregate(tree(), {"1.1.1": D("1.5"), "1.1.2": D("0.25"), "1.2": D(5), "2.1": D("2.5")}, set())

    assert totals.node_points["1.1"] == D("1.75")
    assert totals.node_points["1"] == D("6.75")
    assert (totals.evidence_points, totals.survey_points, totals.total) == (D("6.75"), D("2.5"), D("9.25"))
    assert totals.applicable_max == 15
    assert totals.percent == D("61.6667")


def test_aggregate_caps_a_parent_at_its_own_max():
    totals = aggregate(tree(), {"1.1.1": D(2), "1.1.2": D(2)}, set())

    assert totals.node_points["1.1"] == 3
    assert totals.node_applicable_max["1.1"] == 3
    assert totals.node_points["1"] == 3


def test_aggregate_scores_missing_leaves_as_0():
    totals = aggregate(tree(), {}, set())

    assert (totals.total, totals.applicable_max, totals.percent) == (0, 15, D("0.0000"))


def test_an_excluded_leaf_drops_its_points_and_its_max():
    totals = aggregate(tree(), {"1.2": D(7), "1.1.1": D(2), "1.1.2": D(2)}, {"1.2"})

    assert totals.node_points["1.2"] == 0
    assert totals.node_applicable_max["1.2"] == 0
    assert totals.node_applicable_max["1"] == 3
    assert totals.applicable_max == 8
    assert totals.total == 3
    assert totals.percent == D("37.5000")


def test_a_parent_stays_capped_at_its_max_when_one_child_is_excluded():
    # 1.1 (3) offers 2 + 2; without 1.1.2 its applicable max is 2, not 3.
    totals = aggregate(tree(), {"1.1.1": D(2)}, {"1.1.2"})

    assert totals.node_applicable_max["1.1"] == 2
    assert totals.node_points["1.1"] == 2
    assert totals.applicable_max == 2 + 7 + 5


def test_a_parent_whose_children_are_all_excluded_drops_out():
    totals = aggregate(tree(), {}, {"1.1.1", "1.1.2"})

    assert totals.node_applicable_max["1.1"] == 0
    assert totals.applicable_max == 12


def test_everything_excluded_gives_a_percent_of_0():
    totals = aggregate(tree(), {}, {"1.1.1", "1.1.2", "1.2", "2.1"})

    assert (totals.total, totals.applicable_max, totals.percent) == (0, 0, 0)


def test_the_percent_rounds_half_up_at_4_decimals():
    nodes = [NodeDef("1", D(32), "evidence"), NodeDef("1.1", D(32), "evidence", "1")]

    # 0.01 / 32 x 100 = 0.03125
    assert aggregate(nodes, {"1.1": D("0.01")}, set()).percent == D("0.0313")
    # 1 / 3 x 100 = 33.3333…
    nodes = [NodeDef("1", D(3), "evidence"), NodeDef("1.1", D(3), "evidence", "1")]
    assert aggregate(nodes, {"1.1": D(1)}, set()).percent == D("33.3333")


def test_aggregate_does_not_depend_on_the_order_of_nodes():
    leaf_points = {"1.1.1": D("1.5"), "1.2": D(5), "2.1": D("2.5")}

    assert aggregate(list(reversed(tree())), leaf_points, set()) == aggregate(tree(), leaf_points, set())


def test_aggregate_handles_a_deep_chain_without_recursion():
    nodes = [NodeDef("1", D(1), "evidence")]
    code = "1"
    for _ in range(3000):
        nodes.append(NodeDef(code + ".1", D(1), "evidence", code))
        code += ".1"

    assert aggregate(nodes, {code: D("0.5")}, set()).total == D("0.5")


@pytest.mark.parametrize(
    ("nodes", "leaf_points", "excluded"),
    [
        (tree() + [NodeDef("1.2", D(1), "evidence", "1")], {}, set()),  # duplicate code
        (tree() + [NodeDef("3.1", D(1), "evidence", "3")], {}, set()),  # unknown parent
        (tree() + [NodeDef("4", D(1), "both")], {}, set()),  # unknown part
        (
            tree() + [NodeDef("8", D(1), "evidence", "9"), NodeDef("9", D(1), "evidence", "8")],
            {},
            set(),
        ),  # cycle
        (tree(), {"1.2": D("7.01")}, set()),  # above max
        (tree(), {"1.2": D("-0.01")}, set()),  # below 0
        (tree(), {"9.9": D(1)}, set()),  # unknown leaf
        (tree(), {"1.1": D(1)}, set()),  # points on a parent
        (tree(), {}, {"1"}),  # excluding a parent
    ],
)
def test_aggregate_refuses_inconsistent_input(nodes, leaf_points, excluded):
    with pytest.raises(ValueError):
        aggregate(nodes, leaf_points, excluded)


# --- competition_ranks ---------------------------------------------------------------------------------


def test_equal_percents_share_a_rank_and_the_next_rank_is_skipped():
    assert competition_ranks([D("90"), D("80"), D("90")]) == [1, 3, 1]
    assert competition_ranks([D(50), D(50), D(40), D(30), D(30)]) == [1, 1, 3, 4, 4]


def test_ranks_compare_percents_as_shown_at_2_decimals():
    assert competition_ranks([D("87.5049"), D("87.5000"), D("87.4950")]) == [1, 1, 1]
    assert competition_ranks([D("87.5050"), D("87.5049")]) == [1, 2]


def test_ranks_of_nobody_and_of_one():
    assert competition_ranks([]) == []
    assert competition_ranks([D(0)]) == [1]


# --- Properties ----------------------------------------------------------------------------------------

maxima = st.decimals(min_value=D("0.01"), max_value=D(100), places=2)
counts_st = st.builds(
    LeafCounts,
    on_time=st.integers(0, 30),
    late=st.integers(0, 30),
    overdue=st.integers(0, 30),
    pending=st.integers(0, 30),
    metric=st.none() | st.decimals(min_value=D(-50), max_value=D(500), places=2),
)
when_no_tasks = st.sampled_from(["zero", "full", "exclude"])


@st.composite
def bands(draw, max_points: Decimal, *, ratio: bool):
    size = draw(st.integers(1, 5))
    limit = D(1) if ratio else D(300)
    thresholds = draw(
        st.lists(
            st.decimals(min_value=D(0), max_value=limit, places=3), min_size=size, max_size=size, unique=True
        )
    )
    band_points = draw(
        st.lists(st.decimals(min_value=D(0), max_value=max_points, places=2), min_size=size, max_size=size)
    )
    thresholds.sort(reverse=True)
    if ratio:  # the reader refuses ratio bands whose points rise as the threshold falls
        band_points.sort(reverse=True)
    return [[format(t, "f"), format(p, "f")] for t, p in zip(thresholds, band_points, strict=True)]


@st.composite
def rules_and_max(draw):
    max_points = draw(maxima)
    kind = draw(
        st.sampled_from(
            [
                "task_on_time",
                "task_ratio_bands",
                "deduction",
                "metric_bands",
                "metric_proportional",
                "survey",
                "manual",
            ]
        )
    )
    r = {"type": kind, "when_no_tasks": draw(when_no_tasks)}
    if kind == "task_on_time":
        r["late_points"] = format(draw(st.decimals(min_value=D(0), max_value=max_points, places=2)), "f")
    elif kind == "task_ratio_bands":
        r.update(
            bands=draw(bands(max_points, ratio=True)),
            scope="leaf",
            count=draw(st.sampled_from(["on_time", "approved"])),
        )
    elif kind == "deduction":
        r["per_item"] = format(draw(st.decimals(min_value=D("0.01"), max_value=D(50), places=2)), "f")
    elif kind == "metric_bands":
        r["bands"] = draw(bands(max_points, ratio=False))
    elif kind == "metric_proportional":
        r["target"] = format(draw(st.decimals(min_value=D("0.01"), max_value=D(1000), places=2)), "f")
    return r, max_points


survey_st = st.none() | st.decimals(min_value=D(-10), max_value=D(200), places=2)


@settings(max_examples=400)
@given(rules_and_max(), counts_st, survey_st)
def test_points_are_always_within_0_and_max_and_projected_is_never_below_auto(rule_max, counts, survey):
    r, max_points = rule_max
    result = score_leaf(r, max_points, counts, survey_points=survey)

    assert 0 <= result.auto_points <= result.projected_points <= max_points
    if result.excluded:
        assert result.auto_points == result.projected_points == 0
        assert counts.n == 0
    assert result.reason


@settings(max_examples=400)
@given(rules_and_max(), counts_st, survey_st)
def test_completing_a_pending_task_on_time_never_lowers_the_score(rule_max, counts, survey):
    r, max_points = rule_max
    if counts.pending == 0:
        counts = LeafCounts(counts.on_time, counts.late, counts.overdue, 1, counts.metric)
    done = LeafCounts(counts.on_time + 1, counts.late, counts.overdue, counts.pending - 1, counts.metric)

    before = score_leaf(r, max_points, counts, survey_points=survey)
    after = score_leaf(r, max_points, done, survey_points=survey)
    assert after.auto_points >= before.auto_points
    assert after.projected_points == before.projected_points


@settings(max_examples=200)
@given(rules_and_max(), counts_st)
def test_the_projection_equals_scoring_the_projected_counts(rule_max, counts):
    r, max_points = rule_max

    projected = score_leaf(r, max_points, counts).projected_points
    assert projected == score_leaf(r, max_points, counts.projected()).auto_points


@st.composite
def scored_trees(draw):
    """A random tree of up to 3 levels, random maxima (children may offer less or more than the parent
    only where the reader allows it: at least the parent's max), leaf points within 0..max."""
    nodes: list[NodeDef] = []
    leaf_points: dict[str, Decimal] = {}
    excluded: set[str] = set()

    def grow(code: str, max_points: Decimal, part: str, parent: str | None, depth: int) -> None:
        nodes.append(NodeDef(code, max_points, part, parent))
        if depth < 2 and draw(st.booleans()):
            width = draw(st.integers(1, 4))
            for i in range(1, width + 1):
                child_max = draw(st.decimals(min_value=D("0.01"), max_value=max_points, places=2))
                if i == width:  # make the children add up to at least the parent
                    child_max = max(child_max, max_points)
                grow(f"{code}.{i}", child_max, part, code, depth + 1)
        else:
            leaf_points[code] = draw(st.decimals(min_value=D(0), max_value=max_points, places=4))
            if draw(st.integers(0, 3)) == 0:
                excluded.add(code)

    for i in range(1, draw(st.integers(1, 4)) + 1):
        grow(str(i), draw(maxima), draw(st.sampled_from(["evidence", "survey"])), None, 0)
    return nodes, leaf_points, excluded


@settings(max_examples=300)
@given(scored_trees())
def test_a_total_never_exceeds_its_applicable_max(tree_input):
    nodes, leaf_points, excluded = tree_input
    totals = aggregate(nodes, leaf_points, excluded)

    for node in nodes:
        assert 0 <= totals.node_points[node.code] <= totals.node_applicable_max[node.code] <= node.max_points
    assert 0 <= totals.total <= totals.applicable_max
    assert totals.total == totals.evidence_points + totals.survey_points
    assert 0 <= totals.percent <= 100
    if totals.applicable_max and totals.total == totals.applicable_max:
        assert totals.percent == 100


@settings(max_examples=300)
@given(scored_trees())
def test_excluding_a_leaf_never_raises_the_applicable_max(tree_input):
    nodes, leaf_points, excluded = tree_input
    candidates = sorted(set(leaf_points) - excluded)
    if not candidates:
        return
    more = excluded | {candidates[0]}

    assert (
        aggregate(nodes, leaf_points, more).applicable_max
        <= aggregate(nodes, leaf_points, excluded).applicable_max
    )


@given(st.lists(st.decimals(min_value=D(0), max_value=D(100), places=4), max_size=12))
def test_ranks_follow_the_shown_percent(percents):
    ranks = competition_ranks(percents)
    shown = [p.quantize(D("0.01"), rounding=ROUND_HALF_UP) for p in percents]

    assert len(ranks) == len(percents)
    for i in range(len(percents)):
        assert ranks[i] == 1 + sum(1 for j in range(len(percents)) if shown[j] > shown[i])


@settings(max_examples=300)
@given(rules_and_max(), counts_st, survey_st)
def test_scoring_without_the_reason_gives_the_same_points_and_no_words(rule_max, counts, survey):
    r, max_points = rule_max
    worded = score_leaf(r, max_points, counts, survey_points=survey)
    bare = score_leaf(r, max_points, counts, survey_points=survey, with_reason=False)

    assert (bare.auto_points, bare.projected_points, bare.excluded) == (
        worded.auto_points,
        worded.projected_points,
        worded.excluded,
    )
    assert worded.reason and bare.reason == ""


@settings(max_examples=500)
@given(rules_and_max(), counts_st, counts_st, survey_st, survey_st)
def test_inputs_with_equal_points_keys_score_the_same_points(rule_max, counts, noise, survey, other_survey):
    """What a bulk recompute relies on to score each distinct key once: change every input the key leaves
    out (taken from `noise`), and the key and the points stay the same."""
    r, max_points = rule_max
    kind = r["type"]
    if kind == "survey":  # reads only the survey points
        other, other_survey = noise, survey
    elif kind == "manual":  # reads nothing
        other = noise
    elif counts.n == 0:  # no tasks: neither a metric nor a survey matters
        other = LeafCounts(metric=noise.metric)
    elif kind in ("metric_bands", "metric_proportional"):  # any tasks, the same latest value
        other = LeafCounts(noise.on_time + 1, noise.late, noise.overdue, noise.pending, counts.metric)
    else:  # task rules: the same counts, whatever the metric and the survey
        other = LeafCounts(counts.on_time, counts.late, counts.overdue, counts.pending, noise.metric)

    def key(c: LeafCounts, s):
        return points_key(kind, c.on_time, c.late, c.overdue, c.pending, c.metric, s)

    def points(c: LeafCounts, s):
        result = score_leaf(r, max_points, c, survey_points=s, with_reason=False)
        return result.auto_points, result.projected_points, result.excluded

    assert key(other, other_survey) == key(counts, survey)
    assert points(other, other_survey) == points(counts, survey)


@settings(max_examples=500)
@given(
    rules_and_max(),
    counts_st,
    survey_st,
    st.sampled_from(["on_time", "late", "overdue", "pending", "metric"]),
    st.integers(0, 3),
)
def test_a_points_key_never_hides_an_input_that_changes_the_points(
    rule_max, counts, survey, field_name, value
):
    """The converse: move one count (or the metric) and, wherever the points change, so does the key."""
    r, max_points = rule_max
    if field_name == "metric":
        other = replace(counts, metric=counts.metric + value if counts.metric is not None else D(value))
    else:
        other = replace(counts, **{field_name: value})

    def key(c: LeafCounts):
        return points_key(r["type"], c.on_time, c.late, c.overdue, c.pending, c.metric, survey)

    def points(c: LeafCounts):
        result = score_leaf(r, max_points, c, survey_points=survey, with_reason=False)
        return result.auto_points, result.projected_points, result.excluded

    if points(other) != points(counts):
        assert key(other) != key(counts)


@given(st.integers(-(10**9), 10**9), st.integers(1, 10**6), st.integers(0, 6))
def test_round_ratio_is_exact_half_up_away_from_zero(numerator, denominator, places):
    got = round_ratio(numerator, denominator, places)
    want = (Decimal(numerator) / Decimal(denominator)).quantize(
        Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP
    )
    assert got == want
    assert round_fraction(Fraction(numerator, denominator), places) == got


def test_round_ratio_at_exact_halves():
    assert round_ratio(1, 8, 2) == D("0.13")  # 0.125
    assert round_ratio(-1, 8, 2) == D("-0.13")
    assert round_ratio(1, 3, 4) == D("0.3333")
    with pytest.raises(ValueError):
        round_ratio(1, 0)


def test_a_tree_built_once_rolls_up_unit_after_unit_with_nothing_carried_over():
    built = CriteriaTree(tree())
    first = built.aggregate({"1.1.1": D("1.5"), "1.2": D(5)}, set())
    assert (first.total, first.applicable_max, first.percent) == (D("6.5"), D(15), D("43.3333"))
    # 1.2 excluded: the evidence part is capped by 1.1 (3), the max falls to 3 + 5.
    second = built.aggregate({"1.1.1": D(2), "1.1.2": D(2), "2.1": D("2.5")}, {"1.2"})
    assert (second.evidence_points, second.survey_points, second.applicable_max) == (D(3), D("2.5"), D(8))
    assert second.percent == D("68.7500")
    nothing = built.aggregate({}, {"1.1.1", "1.1.2", "1.2", "2.1"})
    assert (nothing.total, nothing.applicable_max, nothing.percent) == (D(0), D(0), D(0))
    assert built.aggregate({"1.1.1": D("1.5"), "1.2": D(5)}, set()) == first
    with pytest.raises(ValueError):
        built.aggregate({"1.1": D(1)})  # not a leaf
    with pytest.raises(ValueError):
        built.aggregate({"9.9": D(1)})  # unknown
