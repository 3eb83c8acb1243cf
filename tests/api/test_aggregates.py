"""The OpenAQ-style aggregates, checked against the official publication and against the
source files, on both backends."""

from __future__ import annotations

from pathlib import Path

import httpx
import numpy as np
import pandas as pd

from tests.api.opendata_server import OpenServer, open_server

__all__ = ["open_server"]

DAY = {"datetime_from": "2019-01-01T00:00:00", "datetime_to": "2019-01-02T00:00:00"}


def _sensor(srv: OpenServer, site: str, parameter: str) -> int:
    found = srv.stores.registry.find_series(sites=[site], parameters=[parameter])
    return int(next(s["id"] for s in found if s["parameter"] == parameter))


def _full_days(shared: Path) -> list[str]:
    table = pd.read_csv(shared / "air" / "national_hourly" / "china_sites_20190101.csv")
    pm = table[table["type"] == "PM2.5"].drop(columns=["date", "hour", "type"])
    return [c for c in pm.columns if pm[c].notna().sum() == 24]


def test_daily_means_equal_the_published_24h_means(
    open_server: OpenServer, shared_data: Path
) -> None:
    """The PM2.5 24-hour moving mean the national network publishes at 23:00 (HJ 633-2012) is
    the mean of that day's 24 hourly values: our day aggregate must equal it to its rounding."""
    srv = open_server
    codes = [c for c in _full_days(shared_data) if c > "1012A"][::20]  # public, 24/24 hours
    assert len(codes) > 30
    with httpx.Client(base_url=srv.url, timeout=60) as http:
        for code in codes:
            day = http.get(f"/api/v1/sensors/{_sensor(srv, code, 'pm2_5')}/days", params=DAY)
            result = day.json()["results"]
            assert len(result) == 1, code
            row = result[0]
            published = http.get(
                f"/api/v1/sensors/{_sensor(srv, code, 'pm2_5_24h')}/measurements",
                params={"datetime_from": "2019-01-01T23:00:00", "datetime_to": DAY["datetime_to"]},
            ).json()["results"][0]["value"]
            assert abs(row["value"] - published) <= 0.5, (code, row["value"], published)
            coverage = row["coverage"]
            assert (coverage["expectedCount"], coverage["observedCount"]) == (24, 24)
            assert coverage["percentComplete"] == 100.0
            assert row["period"]["datetimeFrom"] == {
                "utc": "2018-12-31T16:00:00Z",
                "local": "2019-01-01T00:00:00+08:00",
            }
            assert row["period"]["label"] == "1day" and row["period"]["interval"] == "24:00:00"


def _dongsi(shared: Path) -> pd.Series:
    table = pd.read_csv(
        shared / "air" / "beijing_multisite" / "PRSA_Data_Dongsi_20130301-20170228.csv"
    )
    index = pd.to_datetime(table[["year", "month", "day", "hour"]])
    return pd.Series(table["PM2.5"].to_numpy(), index=index).dropna()


def test_monthly_and_yearly_summaries_match_the_source_file(
    open_server: OpenServer, shared_data: Path
) -> None:
    srv = open_server
    values = _dongsi(shared_data)
    sensor = _sensor(srv, "1003A", "pm2_5")
    key = srv.headers("analyst")  # Beijing is shared with departments in these tests
    with httpx.Client(base_url=srv.url, timeout=60) as http:
        months = http.get(
            f"/api/v1/sensors/{sensor}/months",
            headers=key,
            params={"date_from": "2016-01-01", "date_to": "2017-01-01"},
        ).json()
        years = http.get(f"/api/v1/sensors/{sensor}/years", headers=key).json()
    assert [m["period"]["datetimeFrom"]["local"][:7] for m in months["results"]] == [
        f"2016-{m:02d}" for m in range(1, 13)
    ]
    for row in months["results"]:
        month = values[row["period"]["datetimeFrom"]["local"][:7]].to_numpy()
        _same_summary(row, month)
        days = pd.Period(row["period"]["datetimeFrom"]["local"][:7]).days_in_month
        assert row["coverage"]["expectedCount"] == days * 24
        assert row["coverage"]["observedCount"] == len(month)
    by_year = {r["period"]["datetimeFrom"]["local"][:4]: r for r in years["results"]}
    assert sorted(by_year) == ["2013", "2014", "2015", "2016", "2017", "2019"]
    for year in ("2014", "2015"):
        _same_summary(by_year[year], values[year].to_numpy())
        assert by_year[year]["coverage"]["expectedCount"] == 8760


def _same_summary(row: dict[str, object], values: np.ndarray) -> None:
    summary = row["summary"]
    assert isinstance(summary, dict)
    expected = {
        "min": values.min(),
        "max": values.max(),
        "avg": values.mean(),
        "sd": values.std(ddof=1),
        "median": np.percentile(values, 50),
        "q02": np.percentile(values, 2),
        "q25": np.percentile(values, 25),
        "q75": np.percentile(values, 75),
        "q98": np.percentile(values, 98),
    }
    for name, value in expected.items():
        assert abs(summary[name] - value) < 1e-9 * max(1.0, abs(value)), (name, row["period"])
    assert row["value"] == summary["avg"]


def test_measurements_hours_latest_and_locations(
    open_server: OpenServer, shared_data: Path
) -> None:
    srv = open_server
    values = _dongsi(shared_data)
    sensor = _sensor(srv, "1003A", "pm2_5")
    key = srv.headers("analyst")
    window = {"datetime_from": "2016-01-01T00:00:00", "datetime_to": "2016-01-01T06:00:00"}
    with httpx.Client(base_url=srv.url, timeout=60) as http:
        raw = http.get(f"/api/v1/sensors/{sensor}/measurements", params=window, headers=key)
        hours = http.get(f"/api/v1/sensors/{sensor}/hours", params=window, headers=key).json()
        page2 = http.get(
            f"/api/v1/sensors/{sensor}/measurements",
            params={**window, "limit": 4, "page": 2},
            headers=key,
        ).json()
        expected = values["2016-01-01 00:00":"2016-01-01 05:00"].tolist()
        assert [m["value"] for m in raw.json()["results"]] == expected
        assert [h["value"] for h in hours["results"]] == expected
        assert [m["value"] for m in page2["results"]] == expected[4:]
        assert raw.json()["results"][0]["period"]["label"] == "raw"
        assert hours["results"][0]["coverage"]["expectedCount"] == 1

        location = srv.stores.registry.site("1003A")["id"]
        mine = http.get(f"/api/v1/locations/{location}/sensors", headers=key).json()["results"]
        public = http.get(f"/api/v1/locations/{location}/sensors").json()["results"]
        assert {"pm2_5", "temp", "aqi"} <= {s["parameter"]["name"] for s in mine}
        assert {s["parameter"]["name"] for s in public} == {  # only the public publication
            "aqi",
            "pm2_5_24h",
            "pm10_24h",
            "so2_24h",
            "no2_24h",
            "co_24h",
            "o3_24h",
            "o3_8h",
            "o3_8h_24h",
        }
        latest = http.get(f"/api/v1/locations/{location}/latest", headers=key).json()["results"]
        newest = {r["sensorsId"]: r for r in latest}[sensor]
        assert newest["datetime"]["local"].startswith("2019-01-01T23:00")  # national release
        tianjin = http.get(
            "/api/v1/locations",
            params={"bbox": "116.8,38.5,118.1,40.3", "kind": "air", "limit": 1000},
        ).json()
        assert tianjin["meta"]["found"] == len(tianjin["results"]) > 10
        assert all(r["locality"] == "天津" for r in tianjin["results"])
        assert http.get("/api/v1/locations", params={"bbox": "1,2,3"}).status_code == 400
        assert (
            http.get(f"/api/v1/locations/{location}", headers=key).json()["results"][0]["code"]
            == "1003A"
        )
