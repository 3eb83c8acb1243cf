"""The read functions behind the pages, checked against the published files themselves."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from tests.api.conftest import load
from tests.web.conftest import DONGSI, NATIONAL_DAY

from ecodata.errors import InputError, NotFoundError
from ecodata.exceedances import limit_of, recent_exceedances
from ecodata.model import CHINA_TZ
from ecodata.overview import freshness, national_overview
from ecodata.pollution_rose import class_bounds, rose, station_rose
from ecodata.standards.hj633 import calc_record
from ecodata.station_series import busiest_year, daily_aqi, data_years, series_values, year_bounds
from ecodata.station_summary import data_quality, station_latest
from ecodata.store.stores import Stores

POLLUTANT_ROWS = {"PM2.5": "pm2_5", "PM10": "pm10", "SO2": "so2", "NO2": "no2", "CO": "co",
                  "O3": "o3"}  # fmt: skip
LAST_HOUR = datetime(2019, 1, 3, 23, tzinfo=CHINA_TZ)


def national_hour(shared: Path, hour: int) -> pd.DataFrame:
    """The published file's rows of one hour: type × station."""
    frame = pd.read_csv(shared / "air" / "national_hourly" / NATIONAL_DAY)
    return frame[frame["hour"] == hour].set_index("type").drop(columns=["date", "hour"])


def dongsi(shared: Path) -> pd.DataFrame:
    frame = pd.read_csv(shared / "air" / "beijing_multisite" / DONGSI, na_values=["NA"])
    frame["local"] = pd.to_datetime(frame[["year", "month", "day", "hour"]])
    return frame


# -- overview ------------------------------------------------------------------------------------


def test_overview_counts_the_stations_of_the_published_hour(
    web_stores: Stores, shared_data: Path
) -> None:
    overview = national_overview(web_stores)
    assert overview.data_time == LAST_HOUR and overview.version == "2012"
    hour = national_hour(shared_data, 23)
    published = hour.loc["AQI"].dropna()
    concentrations = hour.loc[list(POLLUTANT_ROWS)]
    computed_only = [c for c in concentrations.columns
                     if c not in published.index and concentrations[c].notna().any()]  # fmt: skip
    by_code = {s.code: s for s in overview.stations}
    # Every station with a published AQI reports it, unchanged.
    assert all(by_code[code].aqi == round(value) for code, value in published.items())
    assert {s.code for s in overview.stations if s.aqi_source == "published"} == set(
        published.index
    )
    assert overview.reporting == len(published) + len(computed_only)
    assert overview.missing == len(overview.stations) - overview.reporting
    assert by_code["1003A"].aqi == 190 and by_code["1003A"].level == 4  # 中度污染
    assert by_code["1003A"].primary == ("pm2_5",)


def test_city_aqi_is_the_aqi_of_the_mean_concentrations(
    web_stores: Stores, shared_data: Path
) -> None:
    overview = national_overview(web_stores)
    hour = national_hour(shared_data, 23)
    beijing = [s for s in overview.stations if s.city == "北京" and s.aqi is not None]
    assert beijing and not any(s.control_site for s in beijing if s.code == "1003A")
    codes = [s.code for s in beijing if not s.control_site]
    means = {key: float(hour.loc[row, codes].astype(float).mean())
             for row, key in POLLUTANT_ROWS.items()}  # fmt: skip
    expected = calc_record(means, version="2012", period="hour", above_scale="cap")
    city = next(c for c in overview.cities if c.city == "北京")
    assert city.stations == len(codes)
    assert city.aqi == expected.aqi and city.primary == expected.primary
    # ranked best first
    ranked = [c.aqi for c in overview.cities if c.aqi is not None]
    assert ranked == sorted(ranked)


def test_overview_on_each_backend(stores: Stores, shared_data: Path) -> None:
    air = shared_data / "air"
    load(stores, "stations", air / "national_stations_2020.csv")
    load(stores, "national-hourly", air / "national_hourly" / NATIONAL_DAY)
    overview = national_overview(stores)
    published = national_hour(shared_data, 23).loc["AQI"].dropna()
    assert overview.data_time == LAST_HOUR
    assert {s.code for s in overview.stations if s.aqi_source == "published"} == set(
        published.index
    )
    earlier = national_overview(stores, at=LAST_HOUR - timedelta(hours=23))
    assert {s.code: s.aqi for s in earlier.stations if s.aqi_source == "published"} == {
        code: round(v) for code, v in national_hour(shared_data, 0).loc["AQI"].dropna().items()
    }


def test_freshness() -> None:
    now = datetime(2026, 1, 1, 12, tzinfo=UTC)
    assert freshness(now - timedelta(minutes=50), now) == ("current", 3000.0)
    assert freshness(now - timedelta(hours=5), now)[0] == "delayed"
    assert freshness(now - timedelta(days=3), now)[0] == "stale"
    assert freshness(None, now) == ("none", None)


# -- station -------------------------------------------------------------------------------------


def test_station_latest_readings_carry_their_iaqi(web_stores: Stores, shared_data: Path) -> None:
    latest = station_latest(web_stores, "1003A")
    assert latest.time == LAST_HOUR and latest.aqi == 190 and latest.aqi_source == "published"
    hour = national_hour(shared_data, 23)["1003A"]
    readings = {r.parameter: r for r in latest.readings}
    expected = calc_record({k: float(hour[row]) for row, k in POLLUTANT_ROWS.items()},
                           version="2012", period="hour", above_scale="cap")  # fmt: skip
    for key in POLLUTANT_ROWS.values():
        assert readings[key].value == pytest.approx(float(hour[_row_of(key)]))
        assert readings[key].iaqi == expected.iaqi[key]
    assert readings["pm2_5"].iaqi == 190 and readings["pm2_5"].level == 4
    # meteorology ends with the Beijing file (2017-02-28 23:00) and has no IAQI
    assert readings["ws"].time == datetime(2017, 2, 28, 23, tzinfo=CHINA_TZ)
    assert readings["ws"].iaqi is None
    with pytest.raises(NotFoundError):
        station_latest(web_stores, "NOPE")


def _row_of(key: str) -> str:
    return next(row for row, k in POLLUTANT_ROWS.items() if k == key)


def test_hourly_and_daily_series_follow_the_file(web_stores: Stores, shared_data: Path) -> None:
    frame = dongsi(shared_data)
    day = frame[frame["local"].dt.date == pd.Timestamp("2016-01-02").date()]
    start = datetime(2016, 1, 2, tzinfo=CHINA_TZ)
    hourly = series_values(web_stores, "1003A", "pm2_5", "hour", start=start,
                           end=start + timedelta(days=1))  # fmt: skip
    assert len(hourly.times) == day["PM2.5"].notna().sum()
    assert hourly.values == [float(v) for v in day["PM2.5"].dropna()]
    daily = series_values(web_stores, "1003A", "pm2_5", "day", start=start,
                          end=start + timedelta(days=1))  # fmt: skip
    assert daily.method == "daily mean" and daily.times == [start]
    assert daily.values[0] == pytest.approx(day["PM2.5"].mean())
    rain = series_values(web_stores, "1003A", "rain", "day", start=datetime(2016, 7, 20, tzinfo=CHINA_TZ),
                         end=datetime(2016, 7, 21, tzinfo=CHINA_TZ))  # fmt: skip
    storm = frame[frame["local"].dt.date == pd.Timestamp("2016-07-20").date()]["RAIN"]
    assert rain.method == "daily sum" and rain.values[0] == pytest.approx(storm.sum())
    with pytest.raises(InputError, match="wind direction"):
        series_values(web_stores, "1003A", "wd", "day")
    with pytest.raises(InputError, match="published"):
        series_values(web_stores, "1003A", "aqi", "day")
    with pytest.raises(NotFoundError):
        series_values(web_stores, "1003A", "tp", "hour")


def test_daily_aqi_calendar_matches_an_independent_computation(
    web_stores: Stores, shared_data: Path
) -> None:
    frame = dongsi(shared_data)
    days = daily_aqi(web_stores, "1003A", 2016)
    assert 330 <= len(days) <= 366
    by_day = {d.day: d for d in days}
    one = frame[frame["local"].dt.date == pd.Timestamp("2016-01-02").date()]
    assert one["PM2.5"].notna().sum() >= 20
    o3 = one["O3"].to_numpy(float)
    windows = [
        np.nanmean(o3[h : h + 8]) for h in range(17) if np.isfinite(o3[h : h + 8]).sum() >= 6
    ]
    values = {"so2": one["SO2"].mean(), "no2": one["NO2"].mean(), "co": one["CO"].mean() / 1000,
              "pm10": one["PM10"].mean(), "pm2_5": one["PM2.5"].mean(), "o3": one["O3"].max(),
              "o3_8h": max(windows)}  # fmt: skip
    expected = calc_record(values, version="2012", period="day", above_scale="cap")
    got = by_day[pd.Timestamp("2016-01-02").date()]
    assert got.aqi == expected.aqi and got.primary == expected.primary and got.level == 6
    years = data_years(web_stores, "1003A")
    assert set(years) == {2013, 2014, 2015, 2016, 2017, 2019}
    assert years[2016] == frame[frame["year"] == 2016]["PM10"].notna().sum()  # the fullest series
    assert busiest_year(years) in (2014, 2015)


def test_data_quality_counts_values_per_year(web_stores: Stores, shared_data: Path) -> None:
    frame = dongsi(shared_data)
    quality = data_quality(web_stores, "1003A")
    rows = {(s.parameter, s.period): s for s in quality.series}
    wind = rows[("ws", "hour")]
    per_year = frame.groupby("year")["WSPM"].count()
    assert wind.count == int(per_year.sum())
    hours_2016 = 366 * 24
    assert wind.coverage[2016] == pytest.approx(per_year[2016] / hours_2016)
    co = rows[("co", "hour")]
    # the Beijing file gives CO in µg/m³: each of its values was converted, none of the national
    assert co.qc.get("UNIT_CONVERTED") == frame["CO"].notna().sum() < co.count
    assert quality.quarantined == 0 and 2019 in quality.years


# -- pollution rose ------------------------------------------------------------------------------


def test_rose_sectors_classes_and_calm() -> None:
    bounds = class_bounds("pm2_5", "2012")
    assert bounds == [35, 75, 115, 150, 250]  # HJ 633-2012 Table 1, PM2.5 24-h column
    ws = np.array([3.0, 3.0, 3.0, 0.2, 0.1, 4.0, np.nan])
    wd = np.array([90.0, 101.0, 348.75, 0.0, np.nan, 180.0, 90.0])
    conc = np.array([35.0, 35.5, 500.0, 80.0, 20.0, np.nan, 10.0])
    out = rose(ws, wd, conc, pollutant="pm2_5", version="2012")
    assert out.hours == 5 and out.calm == pytest.approx(40.0)
    east, north = out.sectors.index("E"), out.sectors.index("N")
    assert out.frequency[0][east] == pytest.approx(20.0)  # 35 µg/m³ is still 优 (IAQI 50)
    assert out.frequency[1][east] == pytest.approx(20.0)  # 101° is within E (78.75°–101.25°)
    assert out.frequency[5][north] == pytest.approx(20.0)  # 348.75° starts the N sector
    assert out.mean[east] == pytest.approx(35.25)
    with pytest.raises(InputError, match="differ in length"):
        rose(ws[:2], wd, conc, pollutant="pm2_5", version="2012")
    with pytest.raises(InputError, match="pollution rose"):
        class_bounds("ws", "2012")


def test_station_rose_of_beijing(web_stores: Stores, shared_data: Path) -> None:
    start, end = year_bounds(2016)
    out = station_rose(web_stores, "1003A", "pm2_5", start=start, end=end, version="2012")
    frame = dongsi(shared_data)
    year = frame[(frame["year"] == 2016) & frame["PM2.5"].notna() & frame["WSPM"].notna()]
    usable = year[(year["WSPM"] <= 0.2) | year["wd"].notna()]
    assert out.hours == len(usable)
    assert sum(map(sum, out.frequency)) + out.calm == pytest.approx(100.0, abs=0.01)
    means = dict(zip(out.sectors, out.mean, strict=True))
    # Winter haze comes on southerly winds; the north-west wind clears it (Beijing's climatology).
    assert means["S"] > 2 * means["NW"]


# -- exceedances ---------------------------------------------------------------------------------


def test_exceedances_of_the_last_day(web_stores: Stores, shared_data: Path) -> None:
    found = recent_exceedances(web_stores, hours=1)
    assert found.data_time == LAST_HOUR and found.start == LAST_HOUR
    hour = national_hour(shared_data, 23)
    pm = hour.loc["PM2.5"].dropna()
    over = set(pm[pm > 75].index)  # HJ 633-2012: PM2.5 IAQI > 100 above 75 µg/m³
    listed = {s.code: s for s in found.stations}
    assert over <= set(listed)
    station = listed["1003A"]
    pm25 = next(p for p in station.pollutants if p.pollutant == "pm2_5")
    assert pm25.max_concentration == 143.0
    assert pm25.max_multiple == pytest.approx((143 - 75) / 75)
    assert limit_of("pm2_5", "2012") == 75 and limit_of("no2", "2012") == 200
    assert station.heavy_hours == 0  # AQI 190 is not above 200
