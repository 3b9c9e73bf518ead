"""The round's pure rules (`scoring.rules.round`, SPEC §3, §3a): a unit's own points, bonus and penalty
applied to its totals, the percent, its class and when an appraisal needs a note. Examples worked by hand,
then properties that must hold for every value."""

from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from scoring.rules import Totals, adjusted, below_own, class_for, needs_note, own_points, percent_of

D = Decimal
# The classes of the seed's city (domain/criteria-format.md), as the import stores them (decimal text).
CLASSES = [["90", "Xuất sắc"], ["80", "Tốt"], ["65", "Khá"], ["50", "Trung bình"], ["0", "Yếu"]]


def totals(evidence, survey, applicable_max="100") -> Totals:
    """A unit's totals before bonus and penalty, as the tree roll-up gives them."""
    evidence, survey, applicable_max = D(str(evidence)), D(str(survey)), D(str(applicable_max))
    total = evidence + survey
    return Totals(
        node_points={"1": evidence, "2": survey},
        node_applicable_max={"1": applicable_max, "2": D(0)},
        evidence_points=evidence,
        survey_points=survey,
        total=total,
        applicable_max=applicable_max,
        percent=percent_of(total, applicable_max),
    )


# --- own_points ----------------------------------------------------------------------------------------


def test_own_points_are_the_self_points_where_given_else_the_automatic_points():
    assert own_points(D("3.5"), None) == D("3.5")
    assert own_points(D("3.5"), D("5")) == D("5")
    # a unit may give itself less than the automatic points, zero included: None alone means "not given"
    assert own_points(D("3.5"), D("0")) == D("0")


# --- percent_of ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("total", "applicable_max", "percent"),
    [
        ("68", "100", "68.0000"),
        ("68", "90", "75.5556"),  # 75.5555… rounds up
        ("2", "3", "66.6667"),
        ("1", "3", "33.3333"),
        ("0.00005", "100", "0.0001"),  # 0.00005 % is half a unit of the 4th decimal: half up
        ("0.000049", "100", "0.0000"),
        ("90", "90", "100.0000"),
        ("0", "100", "0.0000"),
    ],
)
def test_percent_is_exact_and_rounded_once_half_up_to_4_decimals(total, applicable_max, percent):
    result = percent_of(D(total), D(applicable_max))
    assert result == D(percent) and str(result) == percent


def test_percent_is_zero_when_nothing_applies():
    assert percent_of(D("0"), D("0")) == 0
    assert percent_of(D("5"), D("0")) == 0


# --- adjusted ------------------------------------------------------------------------------------------


def test_bonus_and_penalty_move_the_total_and_its_percent():
    base = totals("58.5", "20")
    result = adjusted(base, D("2"), D("0.5"))
    # 58.5 + 20 + 2 - 0.5
    assert result.total == D("80.0")
    assert result.percent == D("80.0000")
    # the parts and the tree stay as they were: bonus and penalty are beside them
    assert (result.evidence_points, result.survey_points) == (D("58.5"), D("20"))
    assert result.node_points == base.node_points and result.applicable_max == D("100")


def test_the_percent_after_adjustment_is_of_the_applicable_max():
    # 10 points of criteria excluded: 60 + 1.5 of 90
    result = adjusted(totals("40", "20", applicable_max="90"), D("1.5"), D("0"))
    assert (result.total, result.percent) == (D("61.5"), D("68.3333"))


def test_no_bonus_and_no_penalty_leave_the_totals_untouched():
    base = totals("58.5", "20")
    assert adjusted(base) == base
    assert adjusted(base, D(0), D(0)) == base


def test_the_total_stays_within_0_and_the_applicable_max():
    assert adjusted(totals("99", "0"), D("3"), D("0")).total == D("100")
    assert adjusted(totals("40", "20", applicable_max="60"), D("5"), D("0")).total == D("60")
    low = adjusted(totals("1", "0.5"), D("0"), D("3"))
    assert (low.total, low.percent) == (D("0"), D("0"))


def test_bonus_and_penalty_are_never_negative():
    with pytest.raises(ValueError):
        adjusted(totals("50", "20"), D("-1"), D("0"))
    with pytest.raises(ValueError):
        adjusted(totals("50", "20"), D("0"), D("-0.01"))


def test_bonus_and_penalty_may_be_given_as_text_or_whole_numbers():
    assert adjusted(totals("50", "20"), "1.25", 2).total == D("69.25")


# --- class_for -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("percent", "label"),
    [
        ("100", "Xuất sắc"),
        ("90", "Xuất sắc"),
        ("89.996", "Xuất sắc"),  # shown as 90.00
        ("89.995", "Xuất sắc"),  # half up: shown as 90.00
        ("89.9949", "Tốt"),  # shown as 89.99
        ("80", "Tốt"),
        ("79.99", "Khá"),
        ("65", "Khá"),
        ("64.9999", "Khá"),  # shown as 65.00
        ("50.0000", "Trung bình"),
        ("49.99", "Yếu"),
        ("0", "Yếu"),
    ],
)
def test_the_class_is_the_first_whose_threshold_is_at_most_the_shown_percent(percent, label):
    assert class_for(CLASSES, D(percent)) == label


def test_a_set_without_classes_labels_nobody():
    assert class_for([], D("95")) == ""


def test_thresholds_may_be_numbers_or_text_and_the_percent_a_float():
    classes = [(90, "Xuất sắc"), (D("50.5"), "Đạt"), ("0", "Chưa đạt")]
    assert class_for(classes, 89.996) == "Xuất sắc"
    assert class_for(classes, D("50.5")) == "Đạt"
    assert class_for(classes, D("50.49")) == "Chưa đạt"


# --- needs_note, below_own -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("appraised", "own", "expected"),
    [
        (None, D("5"), False),  # not appraised
        (D("5"), D("5"), False),
        (D("6"), D("5"), False),
        (D("4.99"), D("5"), True),
        (D("0"), D("0.01"), True),
        (D("0"), D("0"), False),
    ],
)
def test_an_appraisal_below_the_units_own_points_needs_a_note_and_may_be_answered(appraised, own, expected):
    assert needs_note(appraised, own) is expected
    assert below_own(appraised, own) is expected


# --- Properties ----------------------------------------------------------------------------------------

cents = st.decimals(min_value=0, max_value=100, places=2, allow_nan=False, allow_infinity=False)
points_st = st.decimals(min_value=0, max_value=200, places=4, allow_nan=False, allow_infinity=False)


@st.composite
def unit_totals(draw) -> Totals:
    """Totals as the roll-up gives them: evidence + survey within 0..applicable max (0..100)."""
    applicable_max = draw(cents)
    evidence = draw(st.decimals(min_value=0, max_value=applicable_max, places=2))
    survey = draw(st.decimals(min_value=0, max_value=applicable_max - evidence, places=2))
    return totals(evidence, survey, applicable_max)


def half_up(value: Fraction, places: int) -> Decimal:
    """The oracle: a non-negative fraction rounded half up to `places` decimals."""
    scaled = value * 10**places
    units = scaled.numerator // scaled.denominator
    if scaled - units >= Fraction(1, 2):
        units += 1
    return Decimal(units).scaleb(-places)


@settings(max_examples=400)
@given(unit_totals(), points_st, points_st)
def test_the_adjusted_total_is_never_below_0_nor_above_the_applicable_max(base, bonus, penalty):
    result = adjusted(base, bonus, penalty)

    assert D(0) <= result.total <= base.applicable_max
    raw = base.evidence_points + base.survey_points + bonus - penalty
    if D(0) <= raw <= base.applicable_max:
        assert result.total == raw  # exact: nothing is rounded
    else:
        assert result.total == (D(0) if raw < 0 else base.applicable_max)
    assert result.percent == percent_of(result.total, base.applicable_max)
    assert D(0) <= result.percent <= D(100)
    assert (result.evidence_points, result.survey_points) == (base.evidence_points, base.survey_points)


@settings(max_examples=300)
@given(unit_totals(), points_st, points_st, points_st)
def test_more_bonus_never_lowers_and_more_penalty_never_raises_the_total(base, bonus, penalty, more):
    result = adjusted(base, bonus, penalty)
    assert adjusted(base, bonus + more, penalty).total >= result.total
    assert adjusted(base, bonus, penalty + more).total <= result.total


@settings(max_examples=400)
@given(
    st.decimals(min_value=0, max_value=1000, places=6),
    st.decimals(min_value=D("0.01"), max_value=100, places=2),
)
def test_percent_of_is_the_exact_ratio_rounded_half_up(total, applicable_max):
    expected = half_up(Fraction(total) / Fraction(applicable_max) * 100, 4)
    assert percent_of(total, applicable_max) == expected


@st.composite
def class_lists(draw) -> list[list[str]]:
    """Classes as the import accepts them: thresholds 0..100 (2 decimals) strictly descending, the last 0,
    unique labels."""
    thresholds = draw(st.lists(cents.filter(lambda t: t > 0), unique=True, max_size=8))
    ordered = sorted(thresholds, reverse=True) + [D(0)]
    return [[format(t, "f"), f"Loại {i}"] for i, t in enumerate(ordered)]


percents = st.decimals(min_value=0, max_value=100, places=4)


@settings(max_examples=400)
@given(class_lists(), percents)
def test_the_class_is_the_label_of_the_first_threshold_at_most_the_shown_percent(classes, percent):
    shown = percent.quantize(D("0.01"), rounding=ROUND_HALF_UP)
    label = class_for(classes, percent)

    position = [lbl for _t, lbl in classes].index(label)  # always some class: the last threshold is 0
    assert D(classes[position][0]) <= shown
    assert all(D(t) > shown for t, _lbl in classes[:position])


@settings(max_examples=400)
@given(class_lists(), percents, percents)
def test_the_class_never_falls_as_the_percent_rises(classes, first, second):
    low, high = sorted([first, second])
    labels = [lbl for _t, lbl in classes]
    # classes are listed best first: a higher percent has a position no further down the list
    assert labels.index(class_for(classes, high)) <= labels.index(class_for(classes, low))


@settings(max_examples=200)
@given(unit_totals(), points_st, points_st, class_lists())
def test_a_total_kept_at_the_applicable_max_is_in_the_best_class(base, bonus, penalty, classes):
    result = adjusted(base, bonus, penalty)
    if result.total == base.applicable_max and base.applicable_max > 0:
        assert class_for(classes, result.percent) == classes[0][1]


@given(points_st, st.none() | points_st)
def test_own_points_are_the_self_points_when_given(auto, given_points):
    assert own_points(auto, given_points) == (auto if given_points is None else given_points)
