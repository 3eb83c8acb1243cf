"""Periods of an evaluation: local days, months, user bounds."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from ecodata.errors import InputError
from ecodata.evaluation.periods import month_spans, parse_bound, parse_period
from ecodata.model import CHINA_TZ


def test_bounds_are_local_days() -> None:
    assert parse_bound("2019-01-31") == datetime(2019, 1, 31, tzinfo=CHINA_TZ)
    assert parse_bound("2019-01-31", end=True) == datetime(2019, 2, 1, tzinfo=CHINA_TZ)
    assert parse_bound("2019-01-31T06:00") == datetime(2019, 1, 31, 6, tzinfo=CHINA_TZ)
    assert parse_bound("2019-01-31T06:00+00:00") == datetime(2019, 1, 31, 6, tzinfo=UTC)
    with pytest.raises(InputError, match="neither a date"):
        parse_bound("31/01/2019")


def test_months_are_cut_at_local_midnights() -> None:
    start = datetime(2019, 1, 30, 20, tzinfo=UTC)  # 2019-01-31 04:00 CST
    end = datetime(2019, 3, 1, 1, tzinfo=CHINA_TZ)
    spans = list(month_spans(start, end))
    assert [(a.isoformat(), b.isoformat()) for a, b in spans] == [
        ("2019-01-31T00:00:00+08:00", "2019-02-01T00:00:00+08:00"),
        ("2019-02-01T00:00:00+08:00", "2019-03-01T00:00:00+08:00"),
        ("2019-03-01T00:00:00+08:00", "2019-03-02T00:00:00+08:00"),
    ]
    assert list(month_spans(end, start)) == []


def test_reporting_periods() -> None:
    assert parse_period("2019-02") == (
        datetime(2019, 2, 1, tzinfo=CHINA_TZ),
        datetime(2019, 3, 1, tzinfo=CHINA_TZ),
    )
    assert parse_period("2019")[1] == datetime(2020, 1, 1, tzinfo=CHINA_TZ)
    assert parse_period("2019-01-01/2019-01-03")[1] == datetime(2019, 1, 4, tzinfo=CHINA_TZ)
    for bad in ("2019-13", "last month", "2019-01-05/2019-01-01"):
        with pytest.raises(InputError):
            parse_period(bad)
