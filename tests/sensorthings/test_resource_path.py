"""Conformance class 1, Sensing Core — resource paths (OGC 18-088 §9.2,
``req/resource-path/resource-path-to-entities``)."""

from __future__ import annotations

from ecodata.store.stores import Stores
from tests.api.conftest import LiveServer
from tests.sensorthings.conftest import datastream_id, site_id, sta


def test_entity_property_value_and_navigation(server: LiveServer, beijing: Stores) -> None:
    thing = site_id(beijing, "1007A")
    series = datastream_id(beijing, "1007A", "so2")
    with sta(server) as http:
        assert http.get(f"/Things({thing})/name").json() == {"name": "海淀区万柳"}
        raw = http.get(f"/Things({thing})/name/$value")
        assert raw.text == "海淀区万柳" and raw.headers["content-type"].startswith("text/plain")
        assert http.get(f"/Things({thing})/properties/code").json() == {"code": "1007A"}
        assert http.get(f"/Datastreams({series})/Thing").json()["@iot.id"] == thing
        located = http.get(f"/Datastreams({series})/Thing/Locations").json()["value"]
        assert located[0]["location"]["coordinates"] == [116.315, 39.9934]
        names = {d["name"] for d in http.get(f"/Things({thing})/Datastreams").json()["value"]}
        assert "海淀区万柳 Sulphur dioxide (hourly)" in names and len(names) == 12
        op = http.get(f"/Datastreams({series})/ObservedProperty/Datastreams").json()
        assert {d["properties"]["site"] for d in op["value"]} == {"1003A", "1007A"}


def test_observation_ids_address_one_observation(server: LiveServer, beijing: Stores) -> None:
    series = datastream_id(beijing, "1007A", "pm10")
    with sta(server) as http:
        second = http.get(f"/Datastreams({series})/Observations", params={"$top": 2}).json()[
            "value"
        ][1]
        again = http.get(f"/Observations({second['@iot.id']})").json()
        assert again == second
        assert (
            http.get(f"/Observations({second['@iot.id']})/Datastream").json()["@iot.id"] == series
        )
        feature = http.get(f"/Observations({second['@iot.id']})/FeatureOfInterest").json()
        assert feature["feature"]["coordinates"] == [116.315, 39.9934]
        assert http.get(f"/Observations({second['@iot.id']})/result/$value").text == str(
            second["result"]
        )


def test_association_links(server: LiveServer, beijing: Stores) -> None:
    thing = site_id(beijing, "1003A")
    with sta(server) as http:
        refs = http.get(f"/Things({thing})/Datastreams/$ref").json()["value"]
        assert len(refs) == 12
        assert all(set(r) == {"@iot.selfLink"} for r in refs)
        assert refs[0]["@iot.selfLink"].startswith(f"{server.url}/sta/v1.1/Datastreams(")


def test_missing_entities_are_404_and_bad_paths_400(server: LiveServer) -> None:
    with sta(server) as http:
        assert http.get("/Things(999999)").status_code == 404
        assert http.get("/Observations(4294967296)").status_code == 404
        missing = http.get("/Things(999999)/Datastreams").json()
        assert missing["value"] == []
        bad = http.get("/Thingz")
        assert bad.status_code == 400 and "unknown entity set 'Thingz'" in bad.json()["message"]
        assert http.get("/Things(1)/Sensors").status_code == 400
        assert http.get("/Things('x')").status_code == 404
        assert http.get("/Things(1)/nosuch").status_code == 400


def test_v1_0_root_is_served_too(server: LiveServer) -> None:
    import httpx

    with httpx.Client(base_url=server.url, timeout=30) as http:
        body = http.get("/sta/v1.0").json()
        assert body["value"][0] == {"name": "Things", "url": f"{server.url}/sta/v1.0/Things"}
        assert http.get("/sta/v2.0/Things").status_code == 404
