"""Readers of the published layouts, frame checks and the PNG/SVG figures."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from ecodata.analysis import (
    calendar_view,
    correlation,
    datasets,
    figures,
    frames,
    polar,
    profiles,
    smooth_trend,
    trend,
)
from ecodata.errors import FormatError, InputError

PNG = b"\x89PNG\r\n\x1a\n"


def test_openair_reader_keeps_codes_units_and_time(mydata: pd.DataFrame) -> None:
    assert {"o3_ppb", "nox_ppb", "no2_ppb", "pm10", "pm2_5", "ws", "wd"} <= set(mydata.columns)
    assert str(mydata.index.tz) == "UTC"
    assert mydata.index[0] == pd.Timestamp("1998-01-01 00:00", tz="UTC")
    assert len(mydata) == 65533
    assert mydata.loc[pd.Timestamp("1998-01-01 00:00", tz="UTC"), "nox_ppb"] == 285.0
    assert frames.unit_of("o3_ppb") == "ppb"
    assert frames.unit_of("pm2_5") == "µg/m³"


def test_beijing_reader_converts_co_and_wind(beijing: pd.DataFrame) -> None:
    assert beijing["site"].nunique() == 12
    first = beijing[(beijing["site"] == "1011A")].set_index(["time", "parameter"])["value"]
    t0 = pd.Timestamp("2013-03-01 00:00", tz="Asia/Shanghai")
    assert first[(t0, "co")] == pytest.approx(0.3)  # 300 µg/m³ in the file
    assert first[(t0, "wd")] == pytest.approx(337.5)  # NNW
    assert first[(t0, "pm2_5")] == 4.0


def test_national_reader_and_station_list(shared_data: Path) -> None:
    path = shared_data / "air" / "national_hourly" / "china_sites_20190101.csv"
    frame = datasets.read_national_hourly([path], types=["AQI", "PM2.5"])
    assert set(frame["parameter"].unique()) == {"aqi", "pm2_5"}
    value = frame[(frame["site"] == "1001A") & (frame["parameter"] == "aqi")]
    assert value.iloc[0]["value"] == 73.0  # first AQI cell of 1001A in the file
    stations = datasets.read_station_list(shared_data / "air" / "national_stations_2020.csv")
    assert set(frame["site"].unique()) <= set(stations["site"])


def test_haikou_reader(shared_data: Path) -> None:
    frame = datasets.read_haikou(shared_data / "air" / "haikou_1410A_2014_2023.csv")
    wide = frames.to_wide(frame)
    assert sorted(wide.columns) == sorted(["pm2_5", "o3", "no2", "co", "so2"])
    assert wide.index[0] == pd.Timestamp("2014-05-13 00:00", tz="Asia/Shanghai")
    result = trend.theil_sen_trend(wide["pm2_5"], deseason=True, n_boot=99, units="µg/m³")
    assert result.slope < 0  # PM2.5 fell in Haikou over 2014–2023


def test_bad_files_are_named_with_the_line(tmp_path: Path) -> None:
    bad = tmp_path / "mydata.csv"
    bad.write_text(
        "date,ws,wd,nox,no2,o3,pm10,so2,co,pm25\n"
        "1998-01-01 00:00:00,1,2,3,4,5,6,7,8,9\n"
        "1998-13-01 01:00:00,1,2,3,4,5,6,7,8,9\n",
        encoding="utf-8",
    )
    with pytest.raises(FormatError, match="line 3: impossible date"):
        datasets.read_openair_mydata(bad)
    wrong = tmp_path / "other.csv"
    wrong.write_text("a,b\n1,2\n", encoding="utf-8")
    with pytest.raises(FormatError, match="no columns"):
        datasets.read_haikou(wrong)


def test_long_frame_checks_name_the_row() -> None:
    frame = pd.DataFrame(
        {
            "site": ["a", "a"],
            "time": pd.to_datetime(["2020-01-01", "2020-01-02"]).tz_localize("UTC"),
            "parameter": ["x", "x"],
            "value": [1.0, "high"],
        }
    )
    with pytest.raises(InputError, match="row 1"):
        frames.check_long(frame)
    naive = frame.assign(time=pd.to_datetime(["2020-01-01", "2020-01-02"]), value=[1.0, 2.0])
    with pytest.raises(InputError, match="tz-aware"):
        frames.check_long(naive)


def test_every_figure_renders(mydata: pd.DataFrame) -> None:
    o3 = mydata["o3_ppb"]
    images = [
        figures.trend_figure(trend.theil_sen_trend(o3, deseason=True, n_boot=99)),
        figures.smooth_trend_figure(smooth_trend.smooth_trend(o3, n_boot=20)),
        figures.time_variation_figure(profiles.time_variation(mydata, ["nox_ppb"], n_boot=50)),
        figures.correlation_figure(correlation.correlation_matrix(mydata)),
        figures.pollution_rose_figure(polar.pollution_rose(mydata["ws"], mydata["wd"], o3)),
        figures.polar_figure(polar.polar_surface(mydata["ws"], mydata["wd"], o3, resolution=41)),
        figures.calendar_figure(calendar_view.calendar_frame(o3, 2003), title="O3 2003"),
        figures.forecast_figure(o3.iloc[:200], o3.iloc[:200].shift(1)),
    ]
    for image in images:
        assert image.startswith(PNG)
        assert len(image) > 5000
    svg = figures.calendar_figure(calendar_view.calendar_frame(o3 * 30, 2003), aqi=True, fmt="svg")
    assert svg.lstrip().startswith(b"<?xml") and b"<svg" in svg[:600]
    with pytest.raises(InputError, match="png"):
        figures.trend_figure(trend.theil_sen_trend(o3, n_boot=20), fmt="gif")  # type: ignore[arg-type]


def test_time_average_keeps_local_days() -> None:
    index = pd.date_range("2020-01-01 00:00", periods=48, freq="h", tz="Asia/Shanghai")
    series = pd.Series(np.r_[np.ones(24), 3 * np.ones(24)], index=index)
    daily = frames.time_average(series, "D", data_capture=0.8)
    assert daily.tolist() == [1.0, 3.0]
    assert daily.index[0] == pd.Timestamp("2020-01-01", tz="Asia/Shanghai")
