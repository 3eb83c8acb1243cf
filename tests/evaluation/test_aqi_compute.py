"""`aqi compute`: hourly and daily AQI of stations, cities and provinces from the stores (both
backends), checked against the publication and against the independent long-frame path."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from ecodata.errors import InputError, NotFoundError
from ecodata.evaluation.aqi_compute import AqiComputeSummary, compute_aqi
from ecodata.evaluation.aqi_results import AqiFilter, aqi_page, city_rankings
from ecodata.evaluation.periods import local_midnight
from ecodata.model import Period
from ecodata.standards import hj663
from ecodata.standards.gbt8170 import round_half_even_array
from ecodata.standards.hj633 import calc_record
from ecodata.store.observations import ObservationQuery
from ecodata.store.stores import Stores
from tests.evaluation.conftest import BACKENDS

pytestmark = BACKENDS

JAN_1 = local_midnight(date(2019, 1, 1))
JAN_4 = local_midnight(date(2019, 1, 4))
POLLUTANTS = ("so2", "no2", "co", "o3", "pm10", "pm2_5")


@pytest.fixture(scope="module")
def computed(national: Stores) -> Iterator[AqiComputeSummary]:
    yield compute_aqi(national)


def _hourly(stores: Stores, sites: list[str]) -> pd.DataFrame:
    """Stored valid hourly values of the sites: columns site, time, parameter, value."""
    series = stores.registry.find_series(sites=sites, parameters=list(POLLUTANTS),
                                         period=Period.HOUR)  # fmt: skip
    series = [s for s in series if s["parameter"] in POLLUTANTS]
    table = stores.observations.read(
        ObservationQuery(series_ids=[s["id"] for s in series], valid_only=True)
    ).to_pandas()
    meta = pd.DataFrame(series).rename(columns={"id": "series_id"})
    return table.merge(meta[["series_id", "site", "parameter"]], on="series_id")


def _rows(stores: Stores, **filters: object) -> list[dict[str, object]]:
    return aqi_page(stores, AqiFilter(**filters), limit=100_000).rows  # type: ignore[arg-type]


def _station_hours_in_files(shared: Path) -> int:
    """Station-hours with at least one of the six 1-h values, counted on the release files."""
    total = 0
    for path in sorted((shared / "air" / "national_hourly").glob("china_sites_*.csv")):
        wide = pd.read_csv(path)
        wide = wide[wide["type"].isin(["SO2", "NO2", "CO", "O3", "PM10", "PM2.5"])]
        present = wide.drop(columns=["type"]).groupby(["date", "hour"]).count()
        total += int((present > 0).to_numpy().sum())
    return total


def test_counts_and_idempotent_recomputation(
    national: Stores, computed: AqiComputeSummary, shared_data: Path
) -> None:
    assert computed.months == 1
    assert computed.start == JAN_1 and computed.end == JAN_4
    assert computed.hour_rows["site"] == _station_hours_in_files(shared_data)
    assert 0.8 * 1605 * 3 < computed.day_rows["site"] <= 1605 * 3  # days with a valid value
    assert 350 < computed.day_rows["city"] / 3 <= 368
    assert computed.day_rows["province"] == 31 * 3
    again = compute_aqi(national, start=JAN_1, end=JAN_4)
    assert again.hour_rows == computed.hour_rows and again.day_rows == computed.day_rows
    assert len(_rows(national, period="day", scope="province")) == 31 * 3


def test_station_hours_reproduce_the_published_aqi(national: Stores, computed: object) -> None:
    rows = _rows(national, period="hour", scope="site", codes=["1001A"])
    first = rows[0]
    # the first row of china_sites_20190101.csv: 1001A, hour 0, published AQI 73, PM2.5 53
    assert first["time"] == "2019-01-01T00:00:00+08:00"
    assert (first["aqi"], first["category"], first["primary"]) == (73, "良", ["pm2_5"])
    assert first["concentrations"]["pm2_5"] == 53 and first["standard"] == "HJ 633-2012"
    assert len(rows) == _hourly(national, ["1001A"])["time"].nunique() == 68


def test_daily_aqi_equals_the_long_frame_path(national: Stores, computed: object) -> None:
    sites = ["1001A", "1002A", "2686A", "1619A", "3001A"]
    frame = _hourly(national, sites)
    daily = hj663.daily_indicators(frame).set_index(["site", "date"]).dropna(how="all")
    stored = {
        (r["code"], r["time"][:10]): r
        for r in _rows(national, period="day", scope="site", codes=sites)
    }
    assert len(stored) == len(daily)
    checked = 0
    for (site, day), values in daily.iterrows():
        record = {k: (None if np.isnan(v) else float(v)) for k, v in values.items()}
        expected = calc_record(record, version="2012", period="day")
        row = stored[(site, f"{day:%Y-%m-%d}")]
        assert row["aqi"] == expected.aqi, (site, day)
        assert row["primary"] == list(expected.primary)
        assert row["iaqi"] == expected.iaqi
        checked += 1
    assert checked == 10  # 2686A has no valid daily value on two days (< 20 hours)


def test_city_values_are_means_of_assessment_stations(national: Stores, computed: object) -> None:
    beijing = national.registry.sites(city="北京")
    control = [s["code"] for s in beijing if s["attributes"].get("control_site")]
    assert control == ["1002A"]  # 定陵, a control station in the 2024 list
    frame = _hourly(national, [s["code"] for s in beijing])
    hour = frame[(frame["time"] == JAN_1) & ~frame["site"].isin(control)]
    row = _rows(national, period="hour", scope="city", codes=["北京"], start=JAN_1,
                end=JAN_1 + timedelta(hours=1))[0]  # fmt: skip
    assert row["n_sites"] == hour["site"].nunique() == 5  # stations with a value at 00:00
    for pollutant in POLLUTANTS:  # each pollutant: the mean of the stations that measured it
        values = hour.loc[hour["parameter"] == pollutant, "value"]
        assert row["concentrations"][pollutant] == pytest.approx(values.mean()), pollutant
    assert row["division_code"] == "110000" and row["province"] == "北京市"
    # the province value is the mean of its cities' values
    hebei = _rows(national, period="day", scope="city", provinces=["河北省"], start=JAN_1,
                  end=JAN_1 + timedelta(days=1))  # fmt: skip
    province = _rows(national, period="day", scope="province", codes=["130000"], start=JAN_1,
                     end=JAN_1 + timedelta(days=1))[0]  # fmt: skip
    means = [r["concentrations"]["pm2_5"] for r in hebei if r["concentrations"]["pm2_5"]]
    assert province["concentrations"]["pm2_5"] == pytest.approx(np.mean(means))
    assert province["n_sites"] == len(means) == len(hebei)
    by_code = _rows(national, period="day", scope="city", provinces=["13"], start=JAN_1,
                    end=JAN_1 + timedelta(days=1))  # fmt: skip
    assert [r["code"] for r in by_code] == [r["code"] for r in hebei]


def test_pages_and_latest_values(national: Stores, computed: object) -> None:
    first = aqi_page(national, AqiFilter(period="hour", cities=["北京"]), limit=100)
    assert first.next_cursor and len(first.rows) == 100
    second = aqi_page(national, AqiFilter(period="hour", cities=["北京"]), limit=100,
                      cursor=first.next_cursor)  # fmt: skip
    assert (second.rows[0]["code"], second.rows[0]["time"]) > (
        first.rows[-1]["code"],
        first.rows[-1]["time"],
    )
    latest = aqi_page(national, AqiFilter(cities=["北京"], latest=True), limit=100).rows
    assert len(latest) == 12
    assert {r["time"] for r in latest} == {"2019-01-03T23:00:00+08:00"}
    with pytest.raises(InputError, match="cursor"):
        aqi_page(national, AqiFilter(), limit=1, cursor="nonsense")
    with pytest.raises(InputError, match="province results"):
        aqi_page(national, AqiFilter(scope="province", cities=["北京"]), limit=1)
    with pytest.raises(NotFoundError, match="province"):
        aqi_page(national, AqiFilter(provinces=["99"]), limit=1)


def test_city_ranking_by_composite_index(national: Stores, computed: object) -> None:
    ranking = city_rankings(national, start=JAN_1, end=JAN_4)
    results = ranking["results"]
    assert ranking["limits"] == "GB 3095-2012 class 2" and ranking["by"] == "composite"
    assert ranking["count"] == len(results) > 300
    indices = [r["composite_index"] for r in results]
    assert indices == sorted(indices) and results[0]["rank"] == 1
    # recompute one city's index from its stored daily values, independently
    beijing = next(r for r in results if r["city"] == "北京")
    days = _rows(national, period="day", scope="city", codes=["北京"])
    values = {k: np.array([d["concentrations"][k] for d in days], dtype=float)
              for k in ("so2", "no2", "co", "o3_8h", "pm10", "pm2_5")}  # fmt: skip
    co = round_half_even_array(values["co"], 1)
    rounded = {k: round_half_even_array(v, 0) for k, v in values.items() if k != "co"}
    expected = (
        rounded["so2"].mean() / 60 + rounded["no2"].mean() / 40 + rounded["pm10"].mean() / 70
        + rounded["pm2_5"].mean() / 35 + hj663.percentile(co, 95) / 4
        + hj663.percentile(rounded["o3_8h"], 90) / 160
    )  # fmt: skip
    assert beijing["composite_index"] == pytest.approx(expected, abs=1e-4)
    weighted = city_rankings(national, start=JAN_1, end=JAN_4, by="weighted", limit=5)
    assert [r["rank"] for r in weighted["results"]] == [1, 2, 3, 4, 5]
    keys = [r["weighted_index"] for r in weighted["results"]]
    assert keys == sorted(keys)
    with pytest.raises(InputError, match="rank by"):
        city_rankings(national, start=JAN_1, end=JAN_4, by="pm2_5")
