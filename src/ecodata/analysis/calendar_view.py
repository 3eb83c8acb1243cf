"""Daily values laid out as a calendar (openair's ``calendarPlot``).

Daily statistics are taken over local days with a data-capture threshold (GB 3095-2012 Table 4
asks for at least 20 hourly means for a valid daily mean, i.e. 20/24 ≈ 0.83, the default here).
Each day gets its position in a month grid: ``week`` (row, 0 = first week of the month) and
``weekday`` (column, 0 = Monday).
"""

from __future__ import annotations

import pandas as pd

from ecodata.analysis.frames import InsufficientDataError, Statistic, time_average
from ecodata.errors import InputError

DAILY_CAPTURE = 20 / 24  # GB 3095-2012 Table 4: a daily mean needs ≥ 20 hourly means


def calendar_frame(
    series: pd.Series,
    year: int,
    *,
    statistic: Statistic = "mean",
    data_capture: float = DAILY_CAPTURE,
) -> pd.DataFrame:
    """One row per day of ``year``: ``date, month, day, weekday, week, value``."""
    if series.index.tz is None:  # type: ignore[attr-defined]
        raise InputError("the index must be tz-aware")
    tz = series.index.tz  # type: ignore[attr-defined]
    start = pd.Timestamp(year=year, month=1, day=1, tz=tz)
    part = series[(series.index >= start) & (series.index < start + pd.DateOffset(years=1))]
    if part.notna().sum() == 0:
        raise InsufficientDataError(f"{series.name or 'series'} has no values in {year}")
    daily = time_average(part, "D", statistic=statistic, data_capture=data_capture)
    days = pd.date_range(start, periods=366 if start.is_leap_year else 365, freq="D")
    daily = daily.reindex(days)
    first = days - pd.to_timedelta(days.day - 1, unit="D")
    offset = first.day_of_week
    return pd.DataFrame(
        {
            "date": days.date,
            "month": days.month,
            "day": days.day,
            "weekday": days.day_of_week,
            "week": (days.day - 1 + offset) // 7,
            "value": daily.to_numpy(dtype=float),
        }
    )
