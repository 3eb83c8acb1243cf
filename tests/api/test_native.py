"""The native read API over a real socket, on both backends."""

from __future__ import annotations

import csv
import io

from tests.api.conftest import LiveServer


def test_health_and_openapi(beijing_server: LiveServer) -> None:
    with beijing_server.client() as http:
        health = http.get("/api/v1/health").json()
        assert health["status"] == "ok" and health["observations"] > 400_000
        spec = http.get("/openapi.json").json()
    paths = set(spec["paths"])
    assert {"/api/v1/sites", "/api/v1/parameters", "/api/v1/observations",
            "/api/v1/import-runs", "/api/v1/health"} <= paths  # fmt: skip


def test_sites_and_parameters(beijing_server: LiveServer) -> None:
    with beijing_server.client() as http:
        sites = http.get("/api/v1/sites", params={"kind": "air"}).json()
        assert [s["code"] for s in sites["results"]] == ["1003A"]
        assert http.get("/api/v1/sites/1003A").json()["name_en"] == "Dongsi"
        missing = http.get("/api/v1/sites/NOPE")
        assert missing.status_code == 404
        assert "NOPE" in missing.json()["error"]["message"]
        params = http.get("/api/v1/parameters", params={"domain": "air"}).json()["results"]
        co = next(p for p in params if p["code"] == "co")
        assert co["unit"] == "mg/m³" and co["hj212_code"] == "a21005"


def test_observations_filter_page_and_csv(beijing_server: LiveServer) -> None:
    query = {"site": "1003A", "parameter": "pm2_5", "period": "hour",
             "start": "2016-01-01T00:00:00+08:00", "end": "2016-01-02T00:00:00+08:00"}  # fmt: skip
    with beijing_server.client() as http:
        whole = http.get("/api/v1/observations", params=query).json()
        assert whole["count"] == 24 and whole["next"] is None
        assert whole["results"][0]["time"] == "2016-01-01T00:00:00+08:00"
        assert whole["results"][0]["value"] == 200.0  # the file's row for 2016-01-01 00:00

        pages, url = [], "/api/v1/observations"
        params: dict[str, object] | None = {**query, "limit": 10}
        while url:
            page = http.get(url, params=params).json()
            pages.append(page["results"])
            url, params = page["next"], None
        assert [len(p) for p in pages] == [10, 10, 4]
        assert [r for p in pages for r in p] == whole["results"]

        text = http.get("/api/v1/observations", params={**query, "format": "csv"})
        assert text.headers["content-type"].startswith("text/csv")
        rows = list(csv.DictReader(io.StringIO(text.text)))
        assert [float(r["value"]) for r in rows] == [r["value"] for r in whole["results"]]

        naive = http.get("/api/v1/observations",
                         params={**query, "start": "2016-01-01T00:00:00"}).json()  # fmt: skip
        assert naive["count"] == 24  # naive times are local time


def test_errors_are_json_with_a_message(beijing_server: LiveServer) -> None:
    with beijing_server.client() as http:
        bad_time = http.get("/api/v1/observations", params={"start": "yesterday"})
        assert bad_time.status_code == 422 and "start" in bad_time.json()["message"]
        bad_cursor = http.get("/api/v1/observations", params={"cursor": "!!"})
        assert bad_cursor.status_code == 400
        assert "cursor" in bad_cursor.json()["error"]["message"]
        unknown = http.get("/api/v1/observations", params={"parameter": "unobtainium"})
        assert unknown.status_code == 404


def test_import_runs_and_quarantine_are_for_operators(beijing_server: LiveServer) -> None:
    from ecodata.security import accounts
    from ecodata.security.principal import operator
    from ecodata.security.roles import Role

    engine = beijing_server.stores.registry.engine
    accounts.add_user(engine, operator(), "steward1", Role.STEWARD, "correct horse battery")
    accounts.add_user(engine, operator(), "analyst1", Role.ANALYST, "correct horse battery")
    steward, _ = accounts.create_key(engine, operator(), "steward1")
    analyst, _ = accounts.create_key(engine, operator(), "analyst1")
    with beijing_server.client() as http:
        for path in ("/api/v1/import-runs", "/api/v1/quarantine"):
            assert http.get(path).status_code == 401
            refused = http.get(path, headers={"X-API-Key": analyst})
            assert refused.status_code == 403 and "steward" in refused.json()["error"]["message"]
        auth = {"Authorization": f"Bearer {steward}"}
        runs = http.get("/api/v1/import-runs", headers=auth).json()["results"]
        assert runs[0]["kind"] == "beijing-multisite" and runs[0]["stored"] > 400_000
        one = http.get(f"/api/v1/import-runs/{runs[0]['id']}", headers=auth).json()
        assert one["sha256"] == runs[0]["sha256"]
        assert http.get("/api/v1/quarantine", headers=auth).json()["count"] == 0
