"""GB/T 8170 rounding: ties to even on the decimal value, identical scalar and array paths."""

from __future__ import annotations

from decimal import ROUND_HALF_EVEN, Decimal

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from ecodata.standards.gbt8170 import round_half_even, round_half_even_array


@pytest.mark.parametrize(
    ("value", "digits", "expected"),
    [
        (0.5, 0, 0.0),
        (1.5, 0, 2.0),
        (2.5, 0, 2.0),
        (3.5, 0, 4.0),
        (2.51, 0, 3.0),
        (2.49, 0, 2.0),
        (35.5, 0, 36.0),
        (500.5, 0, 500.0),
        (1.15, 1, 1.2),  # binary 1.1499999… is still the printed half
        (1.25, 1, 1.2),
        (1.35, 1, 1.4),
        (2.05, 1, 2.0),
        (0.45, 1, 0.4),
        (12.344, 2, 12.34),
        (-2.5, 0, -2.0),
    ],
)
def test_examples(value: float, digits: int, expected: float) -> None:
    assert round_half_even(value, digits) == expected
    assert round_half_even_array([value], digits)[0] == expected


def test_nan_and_inf_pass_through() -> None:
    assert np.isnan(round_half_even(float("nan")))
    assert round_half_even(float("inf")) == float("inf")
    out = round_half_even_array([np.nan, 1.5])
    assert np.isnan(out[0]) and out[1] == 2.0


@given(
    st.decimals(min_value=0, max_value=100000, places=3, allow_nan=False), st.sampled_from([0, 1])
)
def test_matches_decimal_rounding_of_printed_values(value: Decimal, digits: int) -> None:
    """For values written with a few decimals (as monitoring data are), the result equals decimal
    ROUND_HALF_EVEN on the printed value."""
    expected = float(value.quantize(Decimal(1).scaleb(-digits), rounding=ROUND_HALF_EVEN))
    assert round_half_even(float(value), digits) == expected


@given(
    st.lists(st.floats(min_value=0, max_value=1e6, allow_nan=False), max_size=50),
    st.sampled_from([0, 1, 2]),
)
def test_array_equals_scalar(values: list[float], digits: int) -> None:
    array = round_half_even_array(values, digits)
    assert [round_half_even(v, digits) for v in values] == array.tolist()
