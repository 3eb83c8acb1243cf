"""The CKAN Action API with the real ``ckanapi`` client, as library and command line."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import ckanapi
import httpx
import pandas as pd
import pytest

from ecodata.catalog import datasets as catalog
from ecodata.ingest.beijing_multisite import STATIONS
from tests.api.opendata_server import OpenServer, open_server

__all__ = ["open_server"]

CKANAPI = [str(Path(sys.executable).with_name("ckanapi"))]  # the command ckanapi installs


def _remote(srv: OpenServer, key: str | None = None, **options: object) -> ckanapi.RemoteCKAN:
    return ckanapi.RemoteCKAN(srv.url, apikey=key, **options)  # type: ignore[arg-type]


def _public_names(srv: OpenServer) -> list[str]:
    rows = catalog.datasets(srv.stores.registry.engine)
    return sorted(r["name"] for r in rows if r["classification"] != "restricted")


def test_lists_and_shows(open_server: OpenServer, shared_data: Path) -> None:
    srv, shared = open_server, shared_data
    with _remote(srv) as ck:
        assert ck.action.package_list() == _public_names(srv)
        assert ck.action.package_list(limit=2, offset=1) == _public_names(srv)[1:3]
        beijing = ck.action.package_show(id="beijing-multisite")
        assert beijing["license_id"] == "CC-BY-4.0" and beijing["isopen"] is True
        assert beijing["organization"]["name"] == "uci" and beijing["num_resources"] == 3
        assert {e["key"] for e in beijing["extras"]} >= {
            "resource_code",
            "sharing_type",
            "open_type",
            "update_cycle",
        }
        assert int(beijing["observations"]) == _dongsi_cells(shared)
        assert ck.action.package_show(id=beijing["id"])["name"] == "beijing-multisite"
        resource = ck.action.resource_show(id=beijing["resources"][2]["id"])
        assert resource["format"] == "Parquet" and resource["package_id"] == beijing["id"]
        assert "uci" in ck.action.organization_list()
        orgs = ck.action.organization_list(all_fields=True)
        cnemc = next(o for o in orgs if o["name"] == "cnemc")
        assert cnemc["title"] == "中国环境监测总站" and cnemc["package_count"] == 3
        shown = ck.action.organization_show(id="cnemc", include_datasets=True)
        assert sorted(p["name"] for p in shown["packages"]) == [
            "air-quality-hourly",
            "air-quality-published",
            "monitoring-stations",
        ]
        assert set(ck.action.group_list()) == {
            "air",
            "water",
            "meteorology",
            "pollution-sources",
            "reference",
        }
        water = ck.action.group_show(id="water", include_datasets=True)
        assert "water-quality-auto" in [p["name"] for p in water["packages"]]
        assert "AQI" in ck.action.tag_list() and ck.action.tag_list(query="pm") == ["PM10", "PM2.5"]
        assert ck.action.status_show()["ckan_version"].startswith("2.")
        assert "fq" in ck.action.help_show(name="package_search")
        assert ck.action.site_read() is True
        assert {lic["id"] for lic in ck.action.license_list()} == {"CC-BY-4.0", "notspecified"}
        recent = ck.action.current_package_list_with_resources(limit=3)
        assert len(recent) == 3 and all(p["resources"] for p in recent)


def _dongsi_cells(shared: Path) -> int:
    """Values of the Beijing dataset, counted in the source files: the non-empty cells of the
    Dongsi file, plus the measured values of the national release of 2019-01-01 at the 12 UCI
    stations, whose series are the same (a series is site × parameter × period)."""
    uci = pd.read_csv(
        shared / "air" / "beijing_multisite" / "PRSA_Data_Dongsi_20130301-20170228.csv"
    )
    columns = [
        "PM2.5",
        "PM10",
        "SO2",
        "NO2",
        "CO",
        "O3",
        "TEMP",
        "PRES",
        "DEWP",
        "RAIN",
        "WSPM",
        "wd",
    ]
    national = pd.read_csv(shared / "air" / "national_hourly" / "china_sites_20190101.csv")
    measured = national[national["type"].isin(["PM2.5", "PM10", "SO2", "NO2", "O3", "CO"])]
    codes = [code for code, *_ in STATIONS.values()]
    return int(uci[columns].notna().sum().sum() + measured[codes].notna().sum().sum())


def test_search_q_fq_sort_facets(open_server: OpenServer) -> None:
    srv = open_server
    with _remote(srv) as ck:
        air = ck.action.package_search(q="空气质量", rows=100)
        names = [p["name"] for p in air["results"]]
        assert {"air-quality-hourly", "air-quality-published", "beijing-multisite"} <= set(names)
        assert "water-quality-auto" not in names
        assert ck.action.package_search(q="water quality")["count"] == 1  # class is restricted
        by_org = ck.action.package_search(fq="organization:cnemc", sort="name asc")
        assert [p["name"] for p in by_org["results"]] == [
            "air-quality-hourly",
            "air-quality-published",
            "monitoring-stations",
        ]
        either = ck.action.package_search(fq="organization:uci OR organization:meteorology")
        assert either["count"] == 2
        others = ck.action.package_search(fq="-organization:cnemc", rows=1000)
        assert others["count"] == len(_public_names(srv)) - 3
        assert ck.action.package_search(fq="tags:AQI")["count"] == 1
        water = ck.action.package_search(fq="groups:water res_format:Parquet", sort="name asc")
        assert [p["name"] for p in water["results"]] == [
            "monitoring-stations",
            "source-water",
            "water-quality-auto",
        ]
        since = ck.action.package_search(fq="metadata_modified:[2000-01-01T00:00:00Z TO *]")
        assert since["count"] == len(_public_names(srv))
        assert ck.action.package_search(fq="metadata_modified:[* TO 2000-01-01]")["count"] == 0
        ordered = ck.action.package_search(sort="id asc", rows=1000)["results"]
        assert [p["id"] for p in ordered] == sorted(p["id"] for p in ordered)
        facets = ck.action.package_search(
            **{"facet.field": '["organization", "groups"]', "facet.limit": 2}
        )
        assert facets["facets"]["organization"] == {"cnemc": 3, "enforcement": 2}
        items = facets["search_facets"]["organization"]["items"]
        assert items[0] == {"name": "cnemc", "display_name": "中国环境监测总站", "count": 3}
        private = ck.action.package_search(include_private=True, rows=100)
        assert private["count"] == len(_public_names(srv))  # anonymous: nothing more
    with _remote(srv, srv.keys["analyst"]) as ck:
        private = ck.action.package_search(include_private=True, rows=100, q="水质")
        assert "water-quality-class" in [p["name"] for p in private["results"]]


def test_get_mode_sends_strings(open_server: OpenServer) -> None:
    """``ckanapi -g`` / ``get_only`` puts every parameter in the query string."""
    with _remote(open_server, get_only=True) as ck:
        page = ck.action.package_search(rows=2, start=1, sort="name asc")
        assert page["count"] >= 3 and len(page["results"]) == 2
        assert ck.action.package_show(id="air-quality-hourly", include_tracking=True)["name"]


def test_errors_map_to_ckanapi_exceptions(open_server: OpenServer) -> None:
    srv = open_server
    with _remote(srv) as ck:
        with pytest.raises(ckanapi.NotFound):
            ck.action.package_show(id="no-such-dataset")
        with pytest.raises(ckanapi.NotAuthorized):
            ck.action.package_show(id="water-quality-class")
        with pytest.raises(ckanapi.ValidationError) as invalid:
            ck.action.package_search(rows="many")
        assert invalid.value.error_dict["rows"] == ["Invalid integer"]
        with pytest.raises(ckanapi.SearchQueryError):
            ck.action.package_search(fq="colour:blue")
        with pytest.raises(ckanapi.NotAuthorized):
            ck.action.package_patch(id="meteorology", title="x")
    with _remote(srv, srv.keys["analyst"]) as ck:
        assert ck.action.package_show(id="water-quality-class")["private"] is True
        with pytest.raises(ckanapi.NotAuthorized):
            ck.action.package_patch(id="meteorology", title="x")
    with _remote(srv, srv.keys["steward"]) as ck:
        with pytest.raises(ckanapi.ValidationError):
            ck.action.package_patch(id="meteorology", update_cycle="sometimes")
        before = ck.action.package_show(id="meteorology")
        patched = ck.action.package_patch(
            id="meteorology",
            title="气象观测数据（共享）",
            tags=[{"name": "气象"}, {"name": "wind"}],
        )
        assert patched["title"] == "气象观测数据（共享）" and patched["num_tags"] == 2
        ck.action.package_patch(
            id="meteorology",
            title=before["title"],
            tags=[{"name": t["name"]} for t in before["tags"]],
        )


def test_wire_format(open_server: OpenServer) -> None:
    srv = open_server
    with httpx.Client(base_url=srv.url, timeout=30) as http:
        unknown = http.get("/api/3/action/nothing_here")
        assert unknown.status_code == 400
        assert unknown.json() == "Bad request: Action name not known: nothing_here"
        patch = http.get("/api/3/action/package_patch", params={"id": "meteorology"})
        assert patch.status_code == 400 and "Please use POST" in patch.json()
        ok = http.get(
            "/api/3/action/package_search",
            params={
                "rows": "100",
                "start": "0",
                "sort": "id asc",
                "fq": "metadata_modified:[2020-01-01T00:00:00Z TO *]",
            },
        )
        body = ok.json()
        assert body["success"] is True and body["help"].endswith(
            "/api/3/action/help_show?name=package_search"
        )
        missing = http.post("/api/action/package_show", json={"id": "nope"})
        assert missing.status_code == 404
        assert missing.json()["error"] == {
            "__type": "Not Found Error",
            "message": "Not found: Dataset not found: nope",
        }
        denied = http.post(
            "/api/action/package_show",
            json={"id": "water-quality-class"},
            headers={"Authorization": srv.keys["citizen"]},
        )
        assert denied.status_code == 403
        assert denied.json()["error"]["__type"] == "Authorization Error"
        allowed = http.post(
            "/api/action/package_show",
            json={"id": "water-quality-class"},
            headers={"X-CKAN-API-Key": srv.keys["analyst"]},
        )
        assert allowed.json()["result"]["name"] == "water-quality-class"
        jsonp = http.get("/api/3/action/site_read", params={"callback": "cb"})
        assert jsonp.text.startswith('cb({"help"') and jsonp.text.endswith(");")
        bad_json = http.post(
            "/api/action/package_list",
            content=b"[1,2]",
            headers={"Content-Type": "application/json"},
        )
        assert bad_json.status_code == 400 and "non-dict" in bad_json.json()


def test_ckanapi_command_line(open_server: OpenServer, tmp_path: Path) -> None:
    srv = open_server
    # `ckanapi dump` starts its workers as `ckanapi` from the PATH
    path = f"{Path(CKANAPI[0]).parent}{os.pathsep}{os.environ.get('PATH', '')}"
    env = {**os.environ, "PATH": path, "PYTHONWARNINGS": "ignore"}
    found = subprocess.run(
        [*CKANAPI, "search", "datasets", "q=air", "-r", srv.url],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
        check=True,
    )
    names = [json.loads(line)["name"] for line in found.stdout.splitlines() if line.strip()]
    assert "air-quality-hourly" in names and "water-quality-auto" not in names
    out = tmp_path / "datasets.jsonl"
    subprocess.run(
        [*CKANAPI, "dump", "datasets", "--all", "-O", str(out), "-r", srv.url, "-q"],
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
        check=True,
    )
    dumped = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert sorted(d["name"] for d in dumped) == _public_names(srv)
    assert all(d["resources"] and d["organization"] for d in dumped)
