"""/api/v1/analysis over HTTP on real data and both backends: trends, profiles, roses, fields,
forecasts with warnings, the haze case base, figures, and reads limited to what the caller may
read (the Beijing data are shared with departments, not public, in this server)."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from ecodata.analysis.station_forecast import model_path, train_city_model
from tests.api.opendata_server import OpenServer, audit_after, audit_mark, open_server

__all__ = ["open_server"]

PNG = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(scope="module")
def http(open_server: OpenServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=open_server.url, timeout=120) as client:
        yield client


def test_trend_for_an_analyst_and_not_for_the_public(
    open_server: OpenServer, http: httpx.Client
) -> None:
    params = {"site": "1003A", "parameter": "pm2_5", "deseason": "true", "change_points": "true",
              "end": "2017-03-01"}  # fmt: skip
    mark = audit_mark(open_server.stores)
    got = http.get("/api/v1/analysis/trend", params=params, headers=open_server.headers("analyst"))
    assert got.status_code == 200, got.text
    body = got.json()
    assert {"slope", "lower", "upper", "p", "units"} <= set(body)
    assert body["units"] == "µg/m³/year" and body["lower"] < body["slope"] < body["upper"]
    assert body["n"] == 48 and body["deseasonalised"] and "change_points" in body
    reads = audit_after(open_server.stores, mark, action="data.read")
    assert any(e["target"] == "beijing-multisite" for e in reads)
    # the station's hourly PM2.5 belongs to the Beijing dataset, which the public may not read
    public = http.get("/api/v1/analysis/trend", params=params)
    assert public.status_code == 404
    assert "no readable hourly series" in public.json()["error"]["message"]


def test_figures_are_png_or_svg(open_server: OpenServer, http: httpx.Client) -> None:
    key = open_server.headers("analyst")
    png = http.get(
        "/api/v1/analysis/trend",
        params={"site": "1003A", "parameter": "no2", "format": "png"},
        headers=key,
    )
    assert png.headers["content-type"] == "image/png" and png.content.startswith(PNG)
    svg = http.get(
        "/api/v1/analysis/rose",
        params={"site": "1003A", "parameter": "pm2_5", "format": "svg"},
        headers=key,
    )
    assert svg.headers["content-type"].startswith("image/svg+xml") and b"<svg" in svg.content


def test_profile_and_rose(open_server: OpenServer, http: httpx.Client) -> None:
    key = open_server.headers("analyst")
    profile = http.get(
        "/api/v1/analysis/profile", params={"site": "1003A", "parameter": "no2,o3"}, headers=key
    ).json()
    hours = [r for r in profile["hour"] if r["parameter"] == "no2"]
    assert len(hours) == 24 and all(r["lower"] <= r["value"] <= r["upper"] for r in hours)
    rose = http.get(
        "/api/v1/analysis/rose", params={"site": "1003A", "angle": 45}, headers=key
    ).json()
    assert len(rose["sectors"]) == 8
    total = sum(map(sum, rose["percent"])) + rose["calm_percent"]
    assert total == pytest.approx(100.0, abs=1e-6)


def test_grid_over_beijing_as_geojson(open_server: OpenServer, http: httpx.Client) -> None:
    # the published national hour 2019-01-01 08:00: every Beijing station and its neighbours
    got = http.get(
        "/api/v1/analysis/grid",
        params={"region": "110000", "parameter": "pm2_5", "date": "2019-01-01T08:00",
                "method": "idw", "step": 0.1},
    )  # fmt: skip
    assert got.status_code == 200, got.text
    assert got.headers["content-type"] == "application/geo+json"
    collection = got.json()
    cells = [f for f in collection["features"] if f["geometry"]["type"] == "Polygon"]
    points = [f for f in collection["features"] if f["geometry"]["type"] == "Point"]
    assert len(cells) > 100 and len(points) >= 12
    assert collection["properties"]["cross_validation"]["n"] == len(points)
    bad = http.get("/api/v1/analysis/grid", params={"region": "Atlantis", "date": "2019-01-01"})
    assert bad.status_code == 404


def test_forecast_needs_a_trained_model_then_warns(
    open_server: OpenServer, http: httpx.Client
) -> None:
    key = open_server.headers("analyst")
    data_dir = open_server.stores.settings.data_dir
    params = {"site": "1003A", "target": "aqi", "at": "2016-12-16T20:00"}
    missing = http.get("/api/v1/analysis/forecast", params=params, headers=key)
    assert missing.status_code == 409
    assert "ecodata analyze forecast-train" in missing.json()["error"]["message"]
    model = train_city_model(
        open_server.stores, "1003A", data_dir=data_dir, target="aqi", kind="ridge",
        horizons=(1, 24, 48, 72, 96),
    )  # fmt: skip
    try:
        got = http.get("/api/v1/analysis/forecast", params=params, headers=key)
        assert got.status_code == 200, got.text
        body = got.json()
        assert body["issue_time"] == "2016-12-16T20:00:00+08:00"
        assert [p["horizon_h"] for p in body["path"]] == list(range(1, 97))
        assert body["model"]["sites"] == ["1003A"]
        warning = body["warning"]
        assert warning["level"] in ("none", "blue", "yellow", "orange", "red")
        assert len(warning["daily_aqi"]) == 4 and warning["rule"].startswith(
            ("daily AQI", "no day")
        )
        image = http.get(
            "/api/v1/analysis/forecast", params={**params, "format": "png"}, headers=key
        )
        assert image.content.startswith(PNG)
        current = http.get("/api/v1/analysis/warnings", headers=key).json()
        assert current["count"] == 1 and current["results"][0]["site"] == "1003A"
    finally:
        model_path(data_dir, model.city, "aqi").unlink()
    assert http.get("/api/v1/analysis/warnings", headers=key).json()["count"] == 0


def test_haze_case_base_of_dongsi(open_server: OpenServer, http: httpx.Client) -> None:
    got = http.get(
        "/api/v1/analysis/haze-episodes",
        params={"site": "1003A", "start": "2016-12-01", "end": "2017-01-01"},
        headers=open_server.headers("analyst"),
    )
    body = got.json()
    assert body["count"] == len(body["results"]) > 0
    # Beijing's red alert of 16–21 December 2016
    red = [e for e in body["results"] if e["start"] <= "2016-12-19" <= e["end"]]
    assert red and red[0]["primary_pollutant"] == "pm2_5" and red[0]["peak_daily_aqi"] > 300
    assert red[0]["meteorology"]["rh"] > 50
    nothing = http.get("/api/v1/analysis/haze-episodes", params={"site": "nope"})
    assert nothing.status_code == 404
