"""``GET /api/v1/parameters/{parameter}/latest``: the newest value of a parameter at every
location, checked against the source file and the stored observations, limited to what the caller
may read, and fresh after every write (its response cache follows the observation store's
version), on both backends."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pandas as pd
import pyarrow as pa

from ecodata.ingest.beijing_multisite import STATIONS
from ecodata.model import OBSERVATION_SCHEMA
from ecodata.store.duckdb_observations import DuckDBObservations
from ecodata.store.observations import ObservationQuery, newest_per_series
from ecodata.store.postgres_observations import PostgresObservations
from tests.api.opendata_server import OpenServer, audit_after, audit_mark, open_server

__all__ = ["open_server"]

BEIJING = {code for code, *_ in STATIONS.values()}  # their series are in the shared dataset


def _latest(http: httpx.Client, parameter: str, **params: Any) -> httpx.Response:
    response = http.get(f"/api/v1/parameters/{parameter}/latest", params=params)
    assert response.status_code in (200, 304), response.text
    return response


def _published(shared: Path) -> dict[str, tuple[int, float]]:
    """Station code → (hour, value) of its last PM2.5 value on 2019-01-01."""
    table = pd.read_csv(shared / "air" / "national_hourly" / "china_sites_20190101.csv")
    pm = table[table["type"] == "PM2.5"].set_index("hour").drop(columns=["date", "type"])
    out = {}
    for code in pm.columns:
        values = pm[code].dropna()
        if len(values):
            out[code] = (int(values.index[-1]), float(values.iloc[-1]))
    return out


def test_values_equal_the_source_file_and_the_store(
    open_server: OpenServer, shared_data: Path
) -> None:
    srv = open_server
    with httpx.Client(base_url=srv.url, timeout=60) as http:
        body = _latest(http, "pm2_5").json()
        by_id = _latest(http, str(srv.stores.registry.parameter_ids()["pm2_5"])).json()
    results = body["results"]
    assert body["meta"]["found"] == len(results) == body["meta"]["limit"]
    assert by_id["results"] == results  # the parameter by id or by code

    published = {c: v for c, v in _published(shared_data).items() if c not in BEIJING}
    got = {r["locationCode"]: r for r in results}
    assert set(got) == set(published)  # anonymous: no Beijing station (shared dataset)
    for code, (hour, value) in published.items():
        row = got[code]
        assert row["value"] == value, code
        assert row["datetime"]["local"] == f"2019-01-01T{hour:02d}:00:00+08:00", code
    for code in sorted(published)[::100]:
        site = srv.stores.registry.site(code)
        assert got[code]["coordinates"] == {
            "latitude": site["latitude"],
            "longitude": site["longitude"],
        }
        assert (got[code]["locationsId"], got[code]["locationName"]) == (
            site["id"],
            site["name_zh"],
        )

    # the store's latest equals the newest stored row of each series
    ids = [r["sensorsId"] for r in results]
    stored = srv.stores.observations.read(ObservationQuery(series_ids=ids)).to_pylist()
    newest: dict[int, dict[str, Any]] = {}
    for row in stored:
        newest[row["series_id"]] = row  # ordered by (series, time): the last one wins
    latest = srv.stores.observations.latest(ids).to_pylist()
    assert latest == [newest[i] for i in sorted(newest)]
    assert {r["sensorsId"]: r["value"] for r in results} == {
        i: r["value"] for i, r in newest.items()
    }


def test_paging_and_unknown_parameters(open_server: OpenServer) -> None:
    with httpx.Client(base_url=open_server.url, timeout=60) as http:
        everything = _latest(http, "pm2_5").json()["results"]
        page2 = _latest(http, "pm2_5", limit=100, page=2).json()
        assert page2["results"] == everything[100:200]
        assert (page2["meta"]["page"], page2["meta"]["limit"]) == (2, 100)
        assert page2["meta"]["found"] == len(everything)
        assert _latest(http, "pm2_5", page=2).json()["results"] == []  # no limit: one page
        assert http.get("/api/v1/parameters/no_such/latest").status_code == 404
        assert http.get("/api/v1/parameters/999999/latest").status_code == 404
        assert http.get("/api/v1/parameters/pm2_5/latest", params={"limit": 0}).status_code == 422


def test_only_readable_series_and_reads_audited(open_server: OpenServer) -> None:
    srv = open_server
    mark = audit_mark(srv.stores)
    with httpx.Client(base_url=srv.url, timeout=60) as http:
        public = _latest(http, "pm2_5").json()["results"]
        mine = http.get("/api/v1/parameters/pm2_5/latest", headers=srv.headers("analyst")).json()[
            "results"
        ]
        again = _latest(http, "pm2_5").json()["results"]  # the cache keeps callers apart
        assert again == public
        extra = {r["locationCode"] for r in mine} - {r["locationCode"] for r in public}
        assert "1003A" in extra and extra <= BEIJING
        dongsi = next(r for r in mine if r["locationCode"] == "1003A")
        assert dongsi["datetime"]["local"] == "2019-01-01T23:00:00+08:00"  # national release
        entries = audit_after(srv.stores, mark, action="data.read")
        assert [(e["actor"], e["target"]) for e in entries] == [("analyst", "beijing-multisite")]
        assert entries[0]["detail"] == {"endpoint": "latest", "parameter": "pm2_5"}

        # the published water class is restricted to the monitoring division
        for name in (None, "consumer", "enforcer"):
            refused = http.get(
                "/api/v1/parameters/water_class/latest", headers=srv.headers(name)
            ).json()
            assert (refused["meta"]["found"], refused["results"]) == (0, []), name
        allowed = http.get(
            "/api/v1/parameters/water_class/latest", headers=srv.headers("analyst")
        ).json()
        assert allowed["meta"]["found"] > 0
        assert all(1 <= r["value"] <= 6 for r in allowed["results"])
    entries = sorted(audit_after(srv.stores, mark, action="data.read"), key=lambda e: e["id"])
    assert [e["target"] for e in entries] == ["beijing-multisite", "water-quality-class"]


def _observation(series_id: int, time: datetime, value: float, run_id: int) -> pa.Table:
    return pa.table(
        {
            "series_id": [series_id],
            "time": [time],
            "value": [value],
            "flag": pa.array([None], pa.string()),
            "qc": [0],
            "run_id": [run_id],
        }
    ).cast(OBSERVATION_SCHEMA)


def test_a_write_refreshes_the_cached_response(open_server: OpenServer) -> None:
    srv = open_server
    store = srv.stores.observations
    run = srv.stores.provenance.start_run("test", "test_latest")
    new_hour = datetime(2019, 1, 1, 16, tzinfo=UTC)  # 2019-01-02 00:00 local
    with httpx.Client(base_url=srv.url, timeout=60) as http:
        first = _latest(http, "pm2_5")
        etag = first.headers["etag"]
        before = first.json()["results"][0]
        sid = before["sensorsId"]
        assert _latest(http, "pm2_5").content == first.content
        unchanged = http.get("/api/v1/parameters/pm2_5/latest", headers={"If-None-Match": etag})
        assert (unchanged.status_code, unchanged.content) == (304, b"")

        version = store.version
        assert store.write(_observation(sid, new_hour, 777.0, run)).stored == 1
        assert store.version > version
        fresh = http.get("/api/v1/parameters/pm2_5/latest", headers={"If-None-Match": etag})
        assert fresh.status_code == 200 and fresh.headers["etag"] != etag
        row = {r["sensorsId"]: r for r in fresh.json()["results"]}[sid]
        assert (row["value"], row["datetime"]["local"]) == (777.0, "2019-01-02T00:00:00+08:00")

        # an older value, or a known key, does not replace the newest one
        older = store.write(_observation(sid, new_hour - timedelta(days=3), 1.0, run))
        conflict = store.write(_observation(sid, new_hour, 778.0, run))
        assert (older.stored, conflict.conflicts.num_rows) == (1, 1)
        assert store.latest([sid]).column("value").to_pylist() == [777.0]

        if store.backend == "postgresql":  # a write by another process
            url = srv.stores.settings.database_url
            assert url is not None
            other = PostgresObservations(url.get_secret_value())
            try:
                other.write(_observation(sid, new_hour + timedelta(hours=1), 779.0, run))
            finally:
                other.close()
            row = {r["sensorsId"]: r for r in _latest(http, "pm2_5").json()["results"]}[sid]
            assert row["value"] == 779.0
            store.delete([sid], time=new_hour + timedelta(hours=1))

        store.delete([sid], time=new_hour)
        store.delete([sid], time=new_hour - timedelta(days=3))
        restored = {r["sensorsId"]: r for r in _latest(http, "pm2_5").json()["results"]}[sid]
        assert restored == before


def test_newest_per_series() -> None:
    t0 = datetime(2019, 1, 1, tzinfo=UTC)
    batch = pa.concat_tables(
        [
            _observation(7, t0 + timedelta(hours=2), 2.0, 1),
            _observation(3, t0, 0.0, 1),
            _observation(7, t0 + timedelta(hours=5), 5.0, 1),
            _observation(7, t0 + timedelta(hours=1), 1.0, 1),
        ]
    )
    newest = newest_per_series(batch)
    assert [(r["series_id"], r["value"]) for r in newest.to_pylist()] == [(3, 0.0), (7, 5.0)]
    sparse = pa.concat_tables([batch, _observation(90_000_000, t0, 9.0, 1)])
    assert newest_per_series(sparse).column("value").to_pylist() == [0.0, 5.0, 9.0]


def test_a_store_of_an_earlier_release_gets_its_latest_table(tmp_path: Path) -> None:
    path = tmp_path / "observations.duckdb"
    t0 = datetime(2019, 1, 1, tzinfo=UTC)
    store = DuckDBObservations(path)
    store.write(pa.concat_tables([_observation(1, t0 + timedelta(hours=h), h, 1) for h in (0, 3)]))
    store._con.execute("DROP TABLE observations_latest")  # as written by an earlier release
    store.close()
    reopened = DuckDBObservations(path)
    try:
        assert reopened.latest().column("value").to_pylist() == [3.0]
    finally:
        reopened.close()


def test_clients_that_accept_gzip_get_the_same_body_compressed(open_server: OpenServer) -> None:
    with httpx.Client(base_url=open_server.url, timeout=60) as http:
        path = "/api/v1/parameters/pm2_5/latest"
        plain = http.get(path, headers={"Accept-Encoding": "identity"})
        packed = http.get(path, headers={"Accept-Encoding": "gzip"})
        refused = http.get(path, headers={"Accept-Encoding": "gzip;q=0, identity"})
    assert "content-encoding" not in plain.headers and "content-encoding" not in refused.headers
    assert packed.headers["content-encoding"] == "gzip"
    assert packed.headers["vary"] == "Accept-Encoding"
    assert int(packed.headers["content-length"]) < len(plain.content) / 4
    assert packed.json() == plain.json()  # httpx decodes the gzip coding
    assert packed.headers["etag"] != plain.headers["etag"]  # one tag per representation
    assert refused.headers["etag"] == plain.headers["etag"]
