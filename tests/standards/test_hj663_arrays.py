"""HJ 663 daily statistics on dense site × day × hour arrays agree with the long-frame path."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from ecodata.errors import InputError
from ecodata.standards import hj663, hj663_arrays

POLLUTANTS = {"SO2": "so2", "NO2": "no2", "CO": "co", "O3": "o3", "PM10": "pm10", "PM2.5": "pm2_5"}


@pytest.fixture(scope="module")
def dongsi(shared_data: Path) -> pd.DataFrame:
    """Dongsi 2016 hourly (UCI Beijing data; CO µg/m³ → mg/m³) as a long frame, local times."""
    path = shared_data / "air" / "beijing_multisite" / "PRSA_Data_Dongsi_20130301-20170228.csv"
    raw = pd.read_csv(path, na_values=["NA"])
    raw = raw[raw["year"] == 2016]
    local = pd.to_datetime(raw[["year", "month", "day", "hour"]]).dt.tz_localize("Asia/Shanghai")
    frames = []
    for column, key in POLLUTANTS.items():
        values = raw[column] / (1000 if key == "co" else 1)
        frames.append(pd.DataFrame({"site": "1003A", "time": local.to_numpy(),
                                    "parameter": key, "value": values.to_numpy()}))  # fmt: skip
    return pd.concat(frames, ignore_index=True)


def _dense(frame: pd.DataFrame) -> tuple[dict[str, np.ndarray], pd.DatetimeIndex]:
    local = frame["time"].dt.tz_convert("Asia/Shanghai")
    days = pd.date_range("2016-01-01", "2016-12-31", freq="D")
    grids = {}
    for key in POLLUTANTS.values():
        rows = frame["parameter"] == key
        grid = np.full((len(days), 24), np.nan)
        day = (local[rows].dt.tz_localize(None).dt.normalize() - days[0]).dt.days.to_numpy()
        grid[day, local[rows].dt.hour.to_numpy()] = frame.loc[rows, "value"].to_numpy()
        grids[key] = grid
    return grids, days


def test_dense_daily_values_equal_the_frame_path(dongsi: pd.DataFrame) -> None:
    grids, days = _dense(dongsi)
    dense = hj663_arrays.daily_indicators(grids)
    frame = hj663.daily_indicators(dongsi).set_index("date").reindex(days)
    assert list(dense) == ["so2", "no2", "co", "o3", "o3_8h", "pm10", "pm2_5"]
    for key, values in dense.items():
        expected = frame[key].to_numpy(dtype=np.float64)
        np.testing.assert_allclose(values, expected, rtol=1e-12, equal_nan=True, err_msg=key)
    # the reference figures of docs/standards.md: 2016 PM2.5 annual mean 80.6 µg/m³
    assert round(float(np.nanmean(dense["pm2_5"])), 1) == 80.6
    # days with fewer than 20 hourly PM2.5 values, counted on the raw rows
    rows = dongsi[dongsi["parameter"] == "pm2_5"]
    hours_per_day = rows["value"].notna().groupby(rows["time"].dt.date).sum()
    assert int(np.isnan(dense["pm2_5"]).sum()) == int((hours_per_day < 20).sum()) == 21


def test_validity_thresholds() -> None:
    hours = np.full((3, 24), 40.0)
    hours[1, :5] = np.nan  # 19 hours left: not a valid day
    hours[2, :4] = np.nan  # 20 hours: valid
    mean, n = hj663_arrays.daily_mean(hours)
    assert np.isnan(mean[1]) and mean[2] == 40.0 and n.tolist() == [24, 19, 20]
    top, _ = hj663_arrays.daily_max(hours)
    assert np.isnan(top[1]) and top[0] == 40.0

    o3 = np.arange(24, dtype=np.float64)[None, :].repeat(2, axis=0)
    o3[1, 16:] = np.nan  # windows starting 11 … 16 have < 6 hours: 11 valid windows
    value, windows = hj663_arrays.mda8(o3)
    assert value[0] == pytest.approx(np.mean(np.arange(16, 24)))  # the 16–23 h window
    assert windows.tolist() == [17, 11] and np.isnan(value[1])
    relaxed, _ = hj663_arrays.mda8(o3, exceed_limit=10.0)  # its best window (10–15 h) exceeds 10
    assert relaxed[1] == pytest.approx(np.mean(np.arange(10, 16)))


def test_bad_shapes_and_keys() -> None:
    with pytest.raises(InputError, match="24 hours"):
        hj663_arrays.daily_mean(np.zeros((2, 23)))
    with pytest.raises(InputError, match="no daily statistic"):
        hj663_arrays.daily_indicators({"nox": np.zeros((1, 24))})
