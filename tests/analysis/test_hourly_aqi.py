"""The hourly AQI of the analyses is the published national one (HJ 633-2012 real-time report)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from ecodata.analysis import datasets
from ecodata.analysis.hourly_aqi import AQI_INPUTS, hourly_aqi, with_hourly_aqi
from ecodata.errors import InputError


def test_equals_the_published_hourly_aqi_of_every_station(shared_data: Path) -> None:
    day = shared_data / "air" / "national_hourly" / "china_sites_20190101.csv"
    types = ["AQI", "PM2.5", "PM10", "SO2", "NO2", "O3", "CO"]
    long = datasets.read_national_hourly([day], types=types)
    table = long.pivot_table(
        index=["site", "time"], columns="parameter", values="value", observed=True
    ).reset_index("site")
    ours = hourly_aqi(table[list(AQI_INPUTS)])
    published = table["aqi"].to_numpy()
    complete = table[list(AQI_INPUTS)].notna().all(axis=1).to_numpy() & ~np.isnan(published)
    assert complete.sum() > 25_000
    assert np.array_equal(ours["aqi"].to_numpy()[complete], published[complete])


def test_beyond_the_table_counts_as_500_and_primary_is_named() -> None:
    index = pd.date_range("2016-12-20 00:00", periods=3, freq="h", tz="Asia/Shanghai")
    wide = pd.DataFrame({"pm2_5": [620.0, 251.0, np.nan], "pm10": [700.0, 300.0, np.nan]}, index)
    out = with_hourly_aqi(wide)
    assert out["aqi"].iloc[0] == 500.0  # HJ 633-2012 Table 1 ends at 500 µg/m³ (24-h PM2.5)
    assert out["aqi"].iloc[1] == 301.0  # (400 − 300)/(350 − 250)·(251 − 250) + 300, rounded up
    assert out["primary"].iloc[1] == "pm2_5"
    assert np.isnan(out["aqi"].iloc[2])
    assert list(out.columns[:2]) == ["pm2_5", "pm10"]
    with pytest.raises(InputError, match="no AQI pollutant"):
        hourly_aqi(wide[[]].assign(temp=1.0))
    with pytest.raises(InputError, match="tz-aware"):
        hourly_aqi(wide.tz_localize(None))
