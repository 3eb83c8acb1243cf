"""Recompute the officially published hourly AQI of all 1,605 national stations, 2019-01-01..03
(HJ 633-2012), from the published concentrations in the same files."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from ecodata.standards.hj633_arrays import aqi_arrays
from ecodata.standards.verification import verify_hourly_aqi

DAYS = ("20190101", "20190102", "20190103")
TYPES = {
    "AQI": "aqi",
    "SO2": "so2",
    "NO2": "no2",
    "CO": "co",
    "O3": "o3",
    "O3_8h": "o3_8h",
    "PM10": "pm10",
    "PM2.5": "pm2_5",
    "PM10_24h": "pm10_24h",
    "PM2.5_24h": "pm2_5_24h",
    "SO2_24h": "so2_24h",
}


@pytest.fixture(scope="module")
def station_hours(shared_data: Path) -> pd.DataFrame:
    """One row per station-hour with the published AQI and concentrations (quotsoft layout:
    ``date,hour,type,<station>…``, one row per type and hour)."""
    frames = []
    for day in DAYS:
        wide = pd.read_csv(shared_data / "air" / "national_hourly" / f"china_sites_{day}.csv")
        wide = wide[wide["type"].isin(TYPES)]
        long = wide.melt(id_vars=["date", "hour", "type"], var_name="site", value_name="value")
        frames.append(long)
    long = pd.concat(frames, ignore_index=True)
    table = long.pivot_table(
        index=["date", "hour", "site"],
        columns="type",
        values="value",
        aggfunc="first",
        dropna=False,
    )
    return table.rename(columns=TYPES).reset_index()


def test_recomputed_hourly_aqi_matches_the_publication(station_hours: pd.DataFrame) -> None:
    assert len(station_hours) == 1605 * 72
    comparison = verify_hourly_aqi(station_hours, version="2012")
    assert comparison.compared == 83_924  # station-hours with all six 1-h values and an AQI
    assert comparison.match_rate >= 0.995
    assert comparison.match_rate == pytest.approx(1 - 92 / 83_924)
    # every difference: a PM value above the IAQI-500 breakpoint, published as AQI 500
    assert comparison.mismatches == {"above_scale_capped": 92}


def test_publication_caps_values_above_the_table_at_500(station_hours: pd.DataFrame) -> None:
    comparison = verify_hourly_aqi(station_hours, version="2012", above_scale="cap")
    assert comparison.matched == comparison.compared == 83_924


def test_publication_computes_from_the_pollutants_available(station_hours: pd.DataFrame) -> None:
    """HJ 633-2012 sets no completeness rule; the publication took the maximum of the sub-indices
    it had: with any number of missing 1-h values every published AQI is reproduced."""
    comparison = verify_hourly_aqi(
        station_hours, version="2012", above_scale="cap", complete_only=False
    )
    assert comparison.compared == 99_998
    assert comparison.matched == comparison.compared


def _match_rate(frame: pd.DataFrame, columns: dict[str, str], rule: str) -> float:
    result = aqi_arrays(
        {k: frame[c] for k, c in columns.items()},
        version="2012",
        period="hour",
        rule=rule,
        above_scale="cap",
    )
    complete = frame.loc[:, list(columns.values())].notna().all(axis=1) & frame["aqi"].notna()
    return float((result.aqi[complete] == frame.loc[complete, "aqi"].to_numpy()).mean())


def test_which_rule_the_publication_followed(station_hours: pd.DataFrame) -> None:
    """The literal HJ 633-2012 real-time rule (PM sub-index from the 24-h moving means, O3 8-h
    moving mean counted) does not reproduce the publication; 1-h PM on the daily breakpoints with
    the O3 1-h value alone does."""
    hourly = {k: k for k in ("so2", "no2", "co", "o3", "pm10", "pm2_5")}
    strict = {**hourly, "o3_8h": "o3_8h", "pm10_24h": "pm10_24h", "pm2_5_24h": "pm2_5_24h"}
    assert _match_rate(station_hours, hourly, "published") == 1.0
    assert _match_rate(station_hours, strict, "strict") < 0.05
    with_o3_8h = {k: k for k in (*hourly, "o3_8h")}
    result = aqi_arrays(
        {k: station_hours[k] for k in hourly}, version="2012", period="hour", above_scale="cap"
    )
    o3_8h = aqi_arrays({"o3_8h": station_hours["o3_8h"]}, version="2012", period="day").iaqi[
        "o3_8h"
    ]
    counted = np.fmax(result.aqi, o3_8h)
    complete = (
        station_hours.loc[:, list(with_o3_8h)].notna().all(axis=1) & station_hours["aqi"].notna()
    )
    rate = float((counted[complete] == station_hours.loc[complete, "aqi"].to_numpy()).mean())
    assert rate < 0.96
