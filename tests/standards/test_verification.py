"""The comparison core: counts, match rate and mismatches grouped by cause."""

from __future__ import annotations

import numpy as np
import pytest

from ecodata.errors import InputError
from ecodata.standards.verification import aqi_mismatch_causes, compare


def test_compare_counts_and_causes() -> None:
    computed = np.array([50, 73, np.nan, 120, 99, np.nan])
    published = np.array([50, 72, 500, 120, np.nan, np.nan])
    causes = aqi_mismatch_causes(
        computed, published, above_scale=[False, False, True, False, False, False]
    )
    result = compare(computed, published, causes=causes)
    assert (result.compared, result.matched) == (5, 2)
    assert result.match_rate == pytest.approx(0.4)
    assert result.mismatches == {"off_by_one": 1, "above_scale_capped": 1, "not_published": 1}
    assert result.examples["above_scale_capped"] == [2]
    data = result.to_json()
    assert data["causes"]["off_by_one"].startswith("differs by 1")


def test_mask_limits_the_comparison() -> None:
    result = compare([1, 2, 3], [1, 2, 4], mask=[True, True, False])
    assert (result.compared, result.matched, result.mismatches) == (2, 2, {})


def test_unlabelled_mismatches_are_unexplained() -> None:
    assert compare([1.0], [2.0]).mismatches == {"unexplained": 1}
    assert np.isnan(compare([], []).match_rate)


def test_lengths_must_agree() -> None:
    with pytest.raises(InputError, match="differ in length"):
        compare([1.0, 2.0], [1.0])
