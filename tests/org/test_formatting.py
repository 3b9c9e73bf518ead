"""Points as users read them (org.formatting.points): at most two decimals, no trailing zeros, the active
language's decimal separator."""

from decimal import Decimal

import pytest
from django.utils import translation
from hypothesis import given
from hypothesis import strategies as st

from org.formatting import points


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        (Decimal("10.00"), "10"),
        (Decimal("8.5000"), "8,5"),
        (Decimal("2.125"), "2,13"),
        (0, "0"),
        ("0.25", "0,25"),
    ],
)
def test_points_in_vietnamese(value, shown):
    with translation.override("vi"):
        assert points(value) == shown


@given(st.decimals(min_value=0, max_value=1000, places=4, allow_nan=False))
def test_points_read_back_to_the_value_rounded_to_cents(value):
    with translation.override("vi"):
        text = points(value)
    assert Decimal(text.replace(".", "").replace(",", ".")) == value.quantize(
        Decimal("0.01"), rounding="ROUND_HALF_UP"
    )
