"""Conformance class 2, Filtering Extension — request-data (OGC 18-088 §9.3): every answer is
checked against values read straight from the UCI Beijing CSV files and the national station
list."""

from __future__ import annotations

import csv
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import quote

from ecodata.store.stores import Stores
from tests.api.conftest import LiveServer
from tests.sensorthings.conftest import datastream_id, oracle, site_id, sta


def _number(text: str) -> float | None:
    try:
        return float(text)
    except ValueError:
        return None  # the list writes '-' or nothing for an unknown position


def iso(t: datetime) -> str:
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


def test_filter_and_count_match_the_csv(
    server: LiveServer, beijing: Stores, shared_data: Path
) -> None:
    series = datastream_id(beijing, "1003A", "pm2_5")
    expected = [r for r in oracle(shared_data, "Dongsi", "PM2.5") if r.value > 300]
    with sta(server) as http:
        page = http.get(
            f"/Datastreams({series})/Observations",
            params={"$filter": "result gt 300", "$count": "true", "$top": 5},
        ).json()
    assert page["@iot.count"] == len(expected) > 100
    assert [o["result"] for o in page["value"]] == [r.value for r in expected[:5]]
    assert [o["phenomenonTime"] for o in page["value"]] == [iso(r.time) for r in expected[:5]]


def test_next_links_page_through_a_year_without_gaps_or_repeats(
    server: LiveServer, beijing: Stores, shared_data: Path
) -> None:
    series = datastream_id(beijing, "1007A", "no2")
    expected = [r for r in oracle(shared_data, "Wanliu", "NO2") if r.time.year == 2014]
    seen: list[dict[str, object]] = []
    with sta(server) as http:
        url: str | None = (
            f"/Datastreams({series})/Observations?$filter=year(phenomenonTime)+eq+2014"
            "&$top=1000&$select=phenomenonTime,result"
        )
        pages = 0
        while url:
            body = http.get(url).json()
            seen.extend(body["value"])
            url = body.get("@iot.nextLink")
            pages += 1
            if url:
                assert "$skiptoken=" in url and "$skip=" not in url
    assert pages == len(expected) // 1000 + 1
    assert [o["phenomenonTime"] for o in seen] == [iso(r.time) for r in expected]
    assert [o["result"] for o in seen] == [r.value for r in expected]
    assert set(seen[0]) == {"phenomenonTime", "result"}


def test_orderby_skip_top_and_the_order_of_options(
    server: LiveServer, beijing: Stores, shared_data: Path
) -> None:
    series = datastream_id(beijing, "1003A", "o3")
    readings = oracle(shared_data, "Dongsi", "O3")
    top = sorted(readings, key=lambda r: (-r.value, r.time))[:3]
    with sta(server) as http:
        body = http.get(
            f"/Datastreams({series})/Observations",
            params={"$orderby": "result desc,phenomenonTime", "$top": 3},
        ).json()
        assert [(o["result"], o["phenomenonTime"]) for o in body["value"]] == [
            (r.value, iso(r.time)) for r in top
        ]
        # request-data/order (the ets-sta10 example): filter, count, orderby, skip, top
        body = http.get(
            f"/Datastreams({series})/Observations?$count=true&$top=1&$skip=2"
            "&$orderby=phenomenonTime%20asc&$filter=result%20gt%20'3'"
        ).json()
    above = [r for r in readings if r.value > 3]
    assert body["@iot.count"] == len(above)
    assert [o["phenomenonTime"] for o in body["value"]] == [iso(above[2].time)]


def test_filters_across_entities_and_nested_expand(
    server: LiveServer, beijing: Stores, shared_data: Path
) -> None:
    day = [
        r
        for r in oracle(shared_data, "Wanliu", "PM2.5")
        if datetime(2016, 1, 1, tzinfo=UTC) <= r.time < datetime(2016, 1, 2, tzinfo=UTC)
    ]
    latest = oracle(shared_data, "Dongsi", "PM2.5")[-2:]
    with sta(server) as http:
        body = http.get(
            "/Observations",
            params={
                "$filter": "Datastream/Thing/properties/code eq '1007A' and "
                "Datastream/ObservedProperty/name eq 'PM2.5' and "
                "phenomenonTime ge 2016-01-01T00:00:00Z and phenomenonTime lt 2016-01-02T00:00:00Z",
                "$count": "true",
            },
        ).json()
        assert body["@iot.count"] == len(day) == 24
        assert [o["result"] for o in body["value"]] == [r.value for r in day]
        things = http.get(
            "/Things",
            params={
                "$filter": "properties/code eq '1003A'",
                "$select": "name",
                "$expand": "Datastreams($filter=properties/parameter eq 'pm2_5';$select=name;"
                "$expand=Observations($top=2;$orderby=phenomenonTime desc;$count=true))",
            },
        ).json()["value"]
    (thing,) = things
    assert set(thing) == {"name", "Datastreams", "Datastreams@iot.navigationLink"}
    (ds,) = thing["Datastreams"]
    assert [o["result"] for o in ds["Observations"]] == [r.value for r in reversed(latest)]
    assert ds["Observations@iot.count"] == len(oracle(shared_data, "Dongsi", "PM2.5"))


def test_string_and_spatial_functions(
    server: LiveServer, beijing: Stores, shared_data: Path
) -> None:
    with (shared_data / "air" / "national_stations_2020.csv").open(encoding="utf-8") as f:
        stations = list(csv.DictReader(f))
    box = (116.2, 39.8, 116.5, 40.0)
    inside = sorted(
        s["监测点编码"]
        for s in stations
        if _number(s["经度"]) is not None
        and box[0] < float(s["经度"]) < box[2]
        and box[1] < float(s["纬度"]) < box[3]
    )
    polygon = (
        f"POLYGON(({box[0]} {box[1]}, {box[2]} {box[1]}, {box[2]} {box[3]}, "
        f"{box[0]} {box[3]}, {box[0]} {box[1]}))"
    )
    with sta(server) as http:
        found = http.get(
            "/Things",
            params={
                "$filter": f"st_within(Locations/location, geography'{polygon}')",
                "$top": 100,
                "$select": "properties/code",
            },
        ).json()["value"]
        assert sorted(t["properties"]["code"] for t in found) == inside
        assert len(inside) > 5
        named = http.get(
            "/Things",
            params={"$filter": "substringof('万柳', name) and startswith(properties/code, '100')"},
        ).json()["value"]
        assert [t["properties"]["code"] for t in named] == ["1007A"]
        near = http.get(
            "/Locations",
            params={
                "$filter": "geo.distance(location, geography'POINT(116.434 39.9522)') lt 0.001"
            },
        ).json()["value"]
        assert [n["properties"]["site"] for n in near] == ["1003A"]


def test_plus_means_space_and_errors_say_where(server: LiveServer, beijing: Stores) -> None:
    thing = site_id(beijing, "1003A")
    with sta(server) as http:
        # frost-sta-client writes spaces as '+'
        body = http.get(
            f"/Things({thing})/Datastreams?$filter=properties/parameter+eq+'no2'"
        ).json()
        assert [d["properties"]["parameter"] for d in body["value"]] == ["no2"]
        bad = http.get("/Things?$filter=" + quote("name eq 'unterminated"))
        assert bad.status_code == 400
        assert bad.json()["message"].startswith("$filter:8: unterminated string")
        assert http.get("/Observations?$top=10001").status_code == 400
        assert http.get("/Things?$resultFormat=dataArray").status_code == 400
