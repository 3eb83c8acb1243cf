"""The pages and their JSON over a real socket (no browser): status codes, languages, sign-in,
who may open the operations pages, and the files the pages load."""

from __future__ import annotations

import csv
import io

import httpx
import pytest
from tests.api.conftest import LiveServer
from tests.web.conftest import DEVICE, PASSWORD


def sign_in(http: httpx.Client, user: str) -> httpx.Response:
    return http.post(
        "/login", data={"username": user, "password": PASSWORD, "next": "/ops/imports"}
    )


@pytest.mark.parametrize(
    "path",
    ["/", "/stations/1003A", "/stations/1001A", "/catalog", "/catalog?q=空气质量",
     "/catalog/air-quality-published", "/catalog/monitoring-stations", "/login"],
)  # fmt: skip
def test_public_pages_render(web_server: LiveServer, path: str) -> None:
    with web_server.client() as http:
        page = http.get(path)
    assert page.status_code == 200, page.text[:500]
    assert page.headers["content-type"].startswith("text/html")
    assert '<html lang="zh-CN">' in page.text


def test_language_from_query_cookie_and_header(web_server: LiveServer) -> None:
    with web_server.client() as http:
        assert "总览" in http.get("/").text
        english = http.get("/", params={"lang": "en"})
        assert '<html lang="en">' in english.text and ">Overview<" in english.text
        assert english.cookies.get("ecodata_lang") == "en"
        assert '<html lang="en">' in http.get("/catalog").text  # the cookie remembers
    with web_server.client() as http:
        asked = http.get("/stations/1003A", headers={"Accept-Language": "en-GB,en;q=0.9"})
        assert '<html lang="en">' in asked.text and "Dongsi" in asked.text


def test_unknown_station_is_a_404_page(web_server: LiveServer) -> None:
    with web_server.client() as http:
        page = http.get("/stations/NOPE")
        data = http.get("/ui/stations/NOPE/series.json", params={"parameter": "pm2_5"})
    assert page.status_code == 404 and "NOPE" in page.text and "<html" in page.text
    assert data.status_code == 404 and "NOPE" in data.json()["error"]["message"]


def test_operations_need_a_signed_in_role(web_server: LiveServer) -> None:
    with web_server.client() as http:
        for path in ("/ops/imports", "/ops/quarantine", "/ops/devices", "/ops/alerts"):
            refused = http.get(path)
            assert refused.status_code == 303, path
            assert refused.headers["location"].startswith("/login?next=%2Fops%2F")
        wrong = sign_in(http, "nobody")
        assert wrong.status_code == 401 and "ecodata_session" not in wrong.cookies
        citizen = sign_in(http, "citizen")
        assert citizen.status_code == 303
        forbidden = http.get("/ops/imports")
        assert forbidden.status_code == 403 and "steward" in forbidden.text
    with web_server.client() as http:
        signed = sign_in(http, "steward")
        assert signed.status_code == 303 and signed.headers["location"] == "/ops/imports"
        cookie = signed.headers["set-cookie"].lower()
        assert "httponly" in cookie and "samesite=lax" in cookie
        runs = http.get("/ops/imports")
        assert runs.status_code == 200 and "national-hourly" in runs.text
        for path in ("/ops/quarantine", "/ops/devices", "/ops/alerts", "/ops/imports/1"):
            assert http.get(path).status_code == 200, path
        devices = http.get("/ops/devices").text
        assert DEVICE in devices and "● 在线" in devices and ">42<" in devices
        quarantine = http.get("/ops/quarantine").text
        assert "national_stations_" in quarantine and 'class="reason"' in quarantine
        assert http.post("/logout").status_code == 303
        assert http.get("/ops/alerts").status_code == 303


def test_sign_in_only_follows_local_paths(web_server: LiveServer) -> None:
    with web_server.client() as http:
        away = http.post("/login", data={"username": "steward", "password": PASSWORD,
                                         "next": "//evil.example/"})  # fmt: skip
    assert away.headers["location"] == "/"


def test_series_json_and_its_csv_agree(web_server: LiveServer) -> None:
    query = {"parameter": "pm2_5", "period": "day", "start": "2016-01-01", "end": "2016-02-01"}
    with web_server.client() as http:
        data = http.get("/ui/stations/1003A/series.json", params=query).json()
        text = http.get("/ui/stations/1003A/series.json", params=query | {"format": "csv"}).text
    rows = list(csv.DictReader(io.StringIO(text)))
    assert data["method"] == "daily mean" and len(data["times"]) == len(rows) == 31
    assert [float(r["value"]) if r["value"] else None for r in rows] == data["values"]
    assert rows[0]["time"] == "2016-01-01T00:00:00+08:00"
    assert data["limit"] == 75  # GB 3095-2012 class 2, PM2.5 24-h


def test_calendar_rose_and_quality_json(web_server: LiveServer) -> None:
    with web_server.client() as http:
        calendar = http.get("/ui/stations/1003A/calendar.json", params={"year": 2016}).json()
        rose = http.get("/ui/stations/1003A/rose.json", params={"year": 2016}).json()
        quality = http.get("/ui/stations/1003A/quality.json").json()
        bad = http.get("/ui/stations/1003A/rose.json", params={"parameter": "ws"})
    assert calendar["days"][0][0] == "2016-01-01" and len(calendar["categories"]) == 6
    assert len(rose["sectors"]) == 16 and len(rose["frequency"]) == 6 and rose["hours"] > 8000
    assert {s["parameter"] for s in quality["series"]} >= {"pm2_5", "ws", "aqi"}
    assert bad.status_code == 400


def test_static_and_region_files(web_server: LiveServer) -> None:
    with web_server.client() as http:
        assert http.get("/static/app.css").headers["content-type"].startswith("text/css")
        assert http.get("/static/page.js").status_code == 200
        assert http.get("/static/../pages.py").status_code == 404
        assert http.get("/static/%2e%2e/pages.py").status_code == 404
        provinces = http.get("/ui/regions/provinces.json").json()
        assert len(provinces["features"]) == 35
        cities = http.get("/ui/regions/cities/130000.json").json()
        assert "石家庄市" in {f["properties"]["name"] for f in cities["features"]}
        assert http.get("/ui/regions/cities/../../etc.json").status_code == 404
        assert http.get("/ui/regions/cities/999999.json").status_code == 404


def test_pages_are_not_in_the_api_document() -> None:
    from fastapi.routing import APIRoute

    from ecodata.web import catalog_pages, files, operations, page_data, pages, signin

    parts = (pages, catalog_pages, operations, signin, page_data, files)
    routes = [r for part in parts for r in part.router.routes if isinstance(r, APIRoute)]
    assert len(routes) > 15
    assert [r.path for r in routes if r.include_in_schema] == []
