"""Editions are chosen by the instant of the data; China's standards switch at 00:00 UTC+8."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from ecodata.errors import InputError
from ecodata.model import CHINA_TZ
from ecodata.standards import gb3095, hj633, hj633_tables
from ecodata.standards.editions import editions_for_times

SWITCH = datetime(2026, 3, 1, tzinfo=CHINA_TZ)  # = 2026-02-28T16:00Z


def test_hj633_switches_at_local_midnight() -> None:
    assert hj633.version_for(SWITCH - timedelta(microseconds=1)) == "2012"
    assert hj633.version_for(SWITCH) == "2026"
    assert hj633.version_for(datetime(2026, 2, 28, 15, 59, tzinfo=UTC)) == "2012"
    assert hj633.version_for(datetime(2026, 2, 28, 16, 0, tzinfo=UTC)) == "2026"
    assert hj633.version_for(datetime(2013, 1, 1, tzinfo=CHINA_TZ)) == "2012"


def test_gb3095_has_transitional_and_final_limits() -> None:
    assert gb3095.version_for(SWITCH - timedelta(seconds=1)) == "2012"
    assert gb3095.version_for(SWITCH) == "2026-transitional"
    assert (
        gb3095.version_for(datetime(2030, 12, 31, 23, 59, tzinfo=CHINA_TZ)) == "2026-transitional"
    )
    assert gb3095.version_for(datetime(2031, 1, 1, tzinfo=CHINA_TZ)) == "2026"


def test_naive_datetime_is_refused() -> None:
    with pytest.raises(InputError, match="no time zone"):
        hj633.version_for(datetime(2026, 3, 1))


@given(
    st.datetimes(min_value=datetime(2020, 1, 1), max_value=datetime(2032, 1, 1)),
    st.integers(min_value=-12 * 60, max_value=14 * 60),
)
def test_version_depends_only_on_the_instant(local: datetime, offset_minutes: int) -> None:
    """The same instant written in any time zone gets the same edition, and that edition is
    2026 exactly when the instant is at or after 2026-03-01 00:00 UTC+8."""
    tz = timezone(timedelta(minutes=offset_minutes))
    at = local.replace(tzinfo=tz)
    expected = "2026" if at >= SWITCH else "2012"
    assert hj633.version_for(at) == expected
    assert hj633.version_for(at.astimezone(CHINA_TZ)) == expected
    assert hj633.version_for(at.astimezone(UTC)) == expected


@given(
    st.lists(
        st.datetimes(min_value=datetime(2025, 12, 1), max_value=datetime(2026, 6, 1)),
        min_size=1,
        max_size=30,
    )
)
def test_vectorised_selection_equals_scalar(naive_utc: list[datetime]) -> None:
    """Naive numpy/pandas times are UTC (the store convention)."""
    times = pd.DatetimeIndex(naive_utc)
    got = editions_for_times(hj633_tables.EDITIONS, times)
    expected = [hj633.version_for(t.replace(tzinfo=UTC)) for t in naive_utc]
    assert got.tolist() == expected
    aware = times.tz_localize("UTC").tz_convert(CHINA_TZ)
    assert editions_for_times(hj633_tables.EDITIONS, aware).tolist() == expected
    as_numpy = np.asarray(times.to_numpy())
    assert editions_for_times(hj633_tables.EDITIONS, as_numpy).tolist() == expected
