"""Profiles, correlations, roses, polar plots and calendars on openair's Marylebone Road data."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from ecodata.analysis import calendar_view, correlation, polar, profiles
from ecodata.errors import InputError


def test_time_variation_shapes_and_intervals(mydata: pd.DataFrame) -> None:
    result = profiles.time_variation(mydata, ["nox_ppb", "no2_ppb"], n_boot=100)
    assert len(result.hour) == 2 * 24
    assert len(result.weekday) == 2 * 7
    assert len(result.month) == 2 * 12
    assert len(result.hour_weekday) == 2 * 168
    for frame in (result.hour, result.weekday, result.month, result.hour_weekday):
        assert (frame["lower"] <= frame["value"]).all()
        assert (frame["value"] <= frame["upper"]).all()
    # the overall mean is reproduced by the n-weighted hourly means
    hour = result.hour[result.hour["parameter"] == "nox_ppb"]
    weighted = (hour["value"] * hour["n"]).sum() / hour["n"].sum()
    assert weighted == pytest.approx(mydata["nox_ppb"].mean())


def test_traffic_site_has_a_weekday_and_rush_hour_signal(mydata: pd.DataFrame) -> None:
    result = profiles.time_variation(mydata, ["nox_ppb"], n_boot=100)
    weekday = result.weekday.set_index("weekday")
    # Sunday (6) is cleaner than any working day, with non-overlapping intervals
    assert weekday.loc[6, "upper"] < weekday.loc[0:4, "lower"].min()
    hour = result.hour.set_index("hour")
    assert hour.loc[8, "value"] > 1.5 * hour.loc[3, "value"]


def test_median_profile_uses_quartiles(mydata: pd.DataFrame) -> None:
    frame = profiles.profile(mydata["o3_ppb"], ["month"], statistic="median")
    july = mydata["o3_ppb"][mydata.index.month == 7].dropna()
    row = frame.set_index("month").loc[7]
    assert row["value"] == pytest.approx(july.median())
    assert row["lower"] == pytest.approx(july.quantile(0.25))


def test_correlation_matrix_matches_pandas_and_clusters(mydata: pd.DataFrame) -> None:
    result = correlation.correlation_matrix(mydata, ["nox_ppb", "no2_ppb", "o3_ppb", "ws", "pm10"])
    assert result.matrix.loc["nox_ppb", "no2_ppb"] == pytest.approx(
        mydata["nox_ppb"].corr(mydata["no2_ppb"])
    )
    assert result.matrix.loc["nox_ppb", "o3_ppb"] < -0.4  # titration of O3 by NO
    order = result.order
    assert abs(order.index("nox_ppb") - order.index("no2_ppb")) == 1
    assert result.counts.loc["ws", "ws"] == mydata["ws"].notna().sum()
    spearman = correlation.correlation_matrix(mydata, ["nox_ppb", "o3_ppb"], method="spearman")
    assert spearman.matrix.iloc[0, 1] == pytest.approx(
        mydata["nox_ppb"].corr(mydata["o3_ppb"], method="spearman")
    )


def test_pollution_rose_frequencies_add_up(mydata: pd.DataFrame) -> None:
    rose = polar.pollution_rose(mydata["ws"], mydata["wd"], mydata["nox_ppb"], angle=30)
    assert rose.table.shape == (12, 4)
    assert rose.table.to_numpy().sum() + rose.calm == pytest.approx(100.0)
    # Marylebone Road: the highest NOx comes with south-westerly winds (openair manual)
    assert 180 <= rose.mean.idxmax() <= 240
    fixed = polar.pollution_rose(
        mydata["ws"], mydata["wd"], mydata["nox_ppb"], breaks=[0, 100, 200, 2000], calm_below=0.5
    )
    assert list(fixed.table.columns) == ["0–100", "100–200", "200–2000"]
    assert fixed.calm > 0


def test_sector_of_wraps_north() -> None:
    assert polar.sector_of(np.array([350.0, 5.0, 14.9, 15.0, 360.0]), 30).tolist() == [
        0.0,
        0.0,
        0.0,
        30.0,
        0.0,
    ]


def test_polar_surface_peaks_where_the_data_do(mydata: pd.DataFrame) -> None:
    surface = polar.polar_surface(mydata["ws"], mydata["wd"], mydata["nox_ppb"])
    assert surface.z.shape == (101, 101)
    finite = surface.z[~np.isnan(surface.z)]
    assert finite.min() >= surface.bins["value"].min()
    assert finite.max() <= surface.bins["value"].max()
    row, col = np.unravel_index(np.nanargmax(surface.z), surface.z.shape)
    direction = np.degrees(np.arctan2(surface.x[col], surface.y[row])) % 360
    assert 150 <= direction <= 270  # southerly to westerly, as the rose
    # nothing is drawn outside the highest wind speed
    gx, gy = np.meshgrid(surface.x, surface.y)
    assert np.isnan(surface.z[np.hypot(gx, gy) > surface.ws_max]).all()


def test_polar_rejects_impossible_wind(mydata: pd.DataFrame) -> None:
    wd = mydata["wd"].copy()
    wd.iloc[5] = 400.0
    with pytest.raises(InputError, match="direction"):
        polar.pollution_rose(mydata["ws"], wd, mydata["nox_ppb"])


def test_calendar_frame_lays_out_a_year(mydata: pd.DataFrame) -> None:
    frame = calendar_view.calendar_frame(mydata["o3_ppb"], 2003)
    assert len(frame) == 365
    first = frame.iloc[0]
    assert (first["month"], first["day"], first["weekday"], first["week"]) == (1, 1, 2, 0)
    # 2003-03-31 is a Monday in the sixth row of March (March 1 was a Saturday)
    row = frame[(frame["month"] == 3) & (frame["day"] == 31)].iloc[0]
    assert (row["weekday"], row["week"]) == (0, 5)
    hours = mydata["o3_ppb"]["2003-06-15"]
    assert frame[(frame["month"] == 6) & (frame["day"] == 15)]["value"].iloc[0] == pytest.approx(
        hours.mean()
    )
