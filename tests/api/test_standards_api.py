"""/api/v1/aqi, /api/v1/rankings and /api/v1/water-quality through a real server (both
backends), over the real national release and the surface-water sample."""

from __future__ import annotations

from pathlib import Path

from ecodata.evaluation.aqi_compute import compute_aqi
from ecodata.store.stores import Stores
from tests.api.conftest import LiveServer, load


def _load(stores: Stores, shared: Path) -> None:
    regions, air = shared / "regions" / "divisions", shared / "air"
    load(stores, "divisions", *(regions / f for f in ("province.csv", "city.csv", "area.csv")))
    load(stores, "stations", air / "national_stations_2020.csv", air / "national_stations_2024.csv")
    load(stores, "national-hourly", *sorted((air / "national_hourly").glob("*.csv")))
    load(stores, "water-excel", shared / "water" / "surface_water_sample_2024.xlsx")


def test_results_are_served(stores: Stores, shared_data: Path) -> None:
    _load(stores, shared_data)
    with LiveServer(stores) as server, server.client() as http:
        missing = http.get("/api/v1/aqi")
        assert missing.status_code == 404
        assert "ecodata aqi compute" in missing.json()["error"]["message"]
        compute_aqi(stores)

        page = http.get("/api/v1/aqi", params={"code": "1001A", "limit": 2}).json()
        first = page["results"][0]
        assert (first["time"], first["aqi"], first["category"]) == (
            "2019-01-01T00:00:00+08:00", 73, "良",
        )  # fmt: skip
        assert first["iaqi"]["pm2_5"] == 73 and first["colour"] == "#FFFF00"
        assert first["standard"] == "HJ 633-2012" and first["primary"] == ["pm2_5"]
        following = http.get(page["next"]).json()["results"]
        assert following[0]["time"] == "2019-01-01T02:00:00+08:00"

        one_day = {"start": "2019-01-02", "end": "2019-01-03"}
        city = http.get("/api/v1/aqi", params={"scope": "city", "code": "北京", "period": "day",
                                               **one_day})  # fmt: skip
        (day,) = city.json()["results"]
        assert day["time"] == "2019-01-02T00:00:00+08:00"
        assert 0 < day["n_sites"] <= 11  # 12 stations in 2019, one a control station
        assert set(day["concentrations"]) == {"so2", "no2", "co", "o3", "o3_8h", "pm10", "pm2_5"}

        latest = http.get("/api/v1/aqi", params={"scope": "city", "province": "河北省",
                                                 "latest": "true"}).json()  # fmt: skip
        assert latest["count"] >= 11
        assert {r["time"] for r in latest["results"]} == {"2019-01-03T23:00:00+08:00"}
        provinces = http.get("/api/v1/aqi", params={"scope": "province", "period": "day",
                                                    "code": "110000"}).json()  # fmt: skip
        assert [r["time"][:10] for r in provinces["results"]] == [
            "2019-01-01", "2019-01-02", "2019-01-03",
        ]  # fmt: skip

        ranking = http.get("/api/v1/rankings", params={"period": "2019-01", "limit": 3}).json()
        assert [r["rank"] for r in ranking["results"]] == [1, 2, 3]
        assert ranking["count"] > 300 and ranking["by"] == "composite"
        indices = [r["composite_index"] for r in ranking["results"]]
        assert indices == sorted(indices)
        weighted = http.get("/api/v1/rankings", params={"period": "2019-01-01/2019-01-03",
                                                        "by": "weighted"}).json()  # fmt: skip
        assert weighted["count"] == ranking["count"]

        water = http.get("/api/v1/water-quality", params={"site": "WQ-00003"}).json()
        (reading,) = water["results"]
        assert reading["classes"]["river"]["class"] == 3
        assert reading["classes"]["lake"]["class"] == 4
        assert reading["published_class"] == 3 and reading["matches_published"] is True
        paged = http.get("/api/v1/water-quality", params={"limit": 10}).json()
        assert paged["count"] == 10 and paged["next"]

        assert http.get("/api/v1/rankings", params={"period": "2019-13"}).status_code == 400
        assert http.get("/api/v1/aqi", params={"scope": "town"}).status_code == 422
        bad = http.get("/api/v1/aqi", params={"cursor": "x"})
        assert bad.status_code == 400 and "cursor" in bad.json()["error"]["message"]
        unknown = http.get("/api/v1/water-quality", params={"site": "nowhere"})
        assert unknown.status_code == 404
