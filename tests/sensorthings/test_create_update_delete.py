"""Conformance class 3, Create-Update-Delete (OGC 18-088 §10): POST with deep insert and links,
PATCH (merge and JSON Patch), PUT, DELETE with cascades, HistoricalLocation auto-creation, and
ecodata's rules on top (registry codes, one writer, quarantine, permissions)."""

from __future__ import annotations

from typing import Any

import httpx
import sqlalchemy as sa

from ecodata.store import schema
from ecodata.store.stores import Stores
from tests.api.conftest import LiveServer
from tests.sensorthings.conftest import sta

POINT = {"type": "Point", "coordinates": [116.417, 39.929]}


def station(code: str = "9001A", **extra: Any) -> dict[str, Any]:
    return {
        "name": "Dongcheng test station",
        "description": "a station created through the API",
        "properties": {"code": code, "kind": "air", "operator": "city bureau"},
        "Locations": [
            {
                "name": "roof",
                "description": "roof of the bureau",
                "encodingType": "application/geo+json",
                "location": POINT,
            }
        ],
        **extra,
    }


def datastream(**links: Any) -> dict[str, Any]:
    return {
        "name": "NO2 raw",
        "description": "1-minute NO2 of the analyser",
        "unitOfMeasurement": {"name": "microgram per cubic metre", "symbol": "µg/m³"},
        "observationType": "http://www.opengis.net/def/observationType/OGC-OM/2.0/OM_Measurement",
        "properties": {"period": "minute"},
        **links,
    }


SENSOR = {"name": "T200", "description": "chemiluminescence", "encodingType": "application/pdf",
          "metadata": "https://example.org/t200.pdf"}  # fmt: skip


def created(response: httpx.Response) -> int:
    assert response.status_code == 201, response.text
    location = response.headers["location"]
    return int(location[location.index("(") + 1 : location.index(")")])


def count(stores: Stores, table: sa.Table) -> int:
    with stores.registry.engine.connect() as conn:
        return int(conn.execute(sa.select(sa.func.count()).select_from(table)).scalar_one())


def test_deep_insert_creates_site_location_history_and_datastream(
    fresh_server: LiveServer, fresh: Stores
) -> None:
    no2 = fresh.registry.parameter("no2")["id"]
    body = station(Datastreams=[datastream(Sensor=SENSOR, ObservedProperty={"@iot.id": no2})])
    with sta(fresh_server) as http:
        thing_id = created(http.post("/Things", json=body))
        thing = http.get(
            f"/Things({thing_id})", params={"$expand": "Locations,HistoricalLocations,Datastreams"}
        ).json()
    assert thing["properties"] == body["properties"]  # kept exactly
    assert thing["Locations"][0]["location"] == POINT
    assert len(thing["HistoricalLocations"]) == 1  # historical-location-auto-creation
    (ds,) = thing["Datastreams"]
    assert ds["properties"] == {"period": "minute"} and ds["unitOfMeasurement"]["symbol"] == "µg/m³"
    site = fresh.registry.site("9001A")
    assert site["kind"] == "air" and site["name_zh"] == "Dongcheng test station"
    assert (site["longitude"], site["latitude"]) == (116.417, 39.929)
    (series,) = fresh.registry.find_series(sites=["9001A"])
    assert series["id"] == ds["@iot.id"] and series["parameter"] == "no2" and series["period"] == 1


def test_links_ignore_the_other_members_of_a_linked_entity(
    fresh_server: LiveServer, fresh: Stores
) -> None:
    with sta(fresh_server) as http:
        thing_id = created(http.post("/Things", json=station()))
        locations = http.get("/Locations", params={"$count": "true"}).json()["@iot.count"]
        # frost-sta-client sends the whole linked Thing, Locations included
        linked = {"@iot.id": thing_id, **station()}
        series = created(
            http.post(
                "/Datastreams",
                json=datastream(
                    Thing=linked,
                    Sensor=SENSOR,
                    ObservedProperty={"name": "PM1", "definition": "urn:x:pm1", "description": "d"},
                ),
            )
        )
        after = http.get("/Locations", params={"$count": "true"}).json()["@iot.count"]
        assert after == locations == 1  # no Location copied from the linked Thing
        assert http.get(f"/Datastreams({series})/Thing").json()["@iot.id"] == thing_id
        op = http.get(f"/Datastreams({series})/ObservedProperty").json()
        assert op["definition"] == "urn:x:pm1"
        assert fresh.registry.parameter("sta_pm1")["name_en"] == "PM1"
        # under a parent: POST /Things(id)/Datastreams links the parent
        sensor = http.get(f"/Datastreams({series})/Sensor").json()["@iot.id"]
        other = created(
            http.post(
                f"/Things({thing_id})/Datastreams",
                json=datastream(
                    Sensor={"@iot.id": sensor},
                    ObservedProperty={"@iot.id": op["@iot.id"]},
                    properties={"period": "hour"},
                ),
            )
        )
        assert http.get(f"/Datastreams({other})/Thing").json()["@iot.id"] == thing_id
        again = http.post(
            f"/Things({thing_id})/Datastreams",
            json=datastream(
                Sensor={"@iot.id": sensor}, ObservedProperty={"@iot.id": op["@iot.id"]}
            ),
        )
        assert again.status_code == 409 and "averaging period" in again.json()["message"]
        assert http.post("/Datastreams", json=datastream(Thing={"@iot.id": 999})).status_code == 400


def test_a_failed_deep_insert_leaves_nothing(fresh_server: LiveServer, fresh: Stores) -> None:
    before = [count(fresh, t) for t in (schema.sites, schema.sta_objects, schema.series)]
    broken = datastream(Sensor=SENSOR, ObservedProperty={"@iot.id": 1})
    del broken["unitOfMeasurement"]
    with sta(fresh_server) as http:
        response = http.post("/Things", json=station(Datastreams=[broken]))
        assert response.status_code == 400
        assert "unitOfMeasurement" in response.json()["message"]
        assert http.post("/Things", json={"name": "x"}).status_code == 400
        assert http.post("/Things", json={**station(), "colour": "red"}).status_code == 400
    assert [count(fresh, t) for t in (schema.sites, schema.sta_objects, schema.series)] == before


def test_patch_json_patch_and_put(fresh_server: LiveServer, fresh: Stores) -> None:
    with sta(fresh_server) as http:
        thing_id = created(http.post("/Things", json=station()))
        patched = http.patch(f"/Things({thing_id})", json={"name": "renamed"})
        assert patched.status_code == 200 and patched.json()["name"] == "renamed"
        assert patched.json()["properties"]["operator"] == "city bureau"
        assert fresh.registry.site("9001A")["name_zh"] == "renamed"
        ops = [
            {"op": "replace", "path": "/description", "value": "patched"},
            {"op": "add", "path": "/properties/height", "value": 12},
        ]
        response = http.patch(
            f"/Things({thing_id})",
            content=httpx.Request("PATCH", "/", json=ops).content,
            headers={"content-type": "application/json-patch+json"},
        )
        assert response.status_code == 200, response.text
        assert response.json()["description"] == "patched"
        assert response.json()["properties"]["height"] == 12
        failing = [{"op": "test", "path": "/name", "value": "other"}]
        response = http.patch(
            f"/Things({thing_id})",
            content=httpx.Request("PATCH", "/", json=failing).content,
            headers={"content-type": "application/json-patch+json"},
        )
        assert response.status_code == 400 and "test of '/name' failed" in response.text
        assert http.put(f"/Things({thing_id})", json={"name": "only"}).status_code == 400
        put = http.put(f"/Things({thing_id})", json={"name": "put", "description": "all new"})
        assert put.status_code == 200
        assert put.json()["properties"]["code"] == "9001A"  # derived again from the site
        assert "operator" not in put.json()["properties"]
        assert http.patch("/Things(424242)", json={"name": "x"}).status_code == 404


def test_changing_locations_records_history(fresh_server: LiveServer) -> None:
    with sta(fresh_server) as http:
        thing_id = created(http.post("/Things", json=station()))
        moved = {"name": "new roof", "description": "after the move",
                 "encodingType": "application/geo+json",
                 "location": {"type": "Point", "coordinates": [116.5, 39.95]}}  # fmt: skip
        http.patch(f"/Things({thing_id})", json={"Locations": [moved]}).raise_for_status()
        history = http.get(
            f"/Things({thing_id})/HistoricalLocations",
            params={"$expand": "Locations", "$orderby": "time"},
        ).json()["value"]
        assert [h["Locations"][0]["name"] for h in history] == ["roof", "new roof"]
        (current,) = http.get(f"/Things({thing_id})/Locations").json()["value"]
        assert current["name"] == "new roof"


def test_observations_feature_conflicts_and_quarantine(
    fresh_server: LiveServer, fresh: Stores
) -> None:
    pm25 = fresh.registry.parameter("pm2_5")["id"]
    with sta(fresh_server) as http:
        thing_id = created(http.post("/Things", json=station()))
        series = created(
            http.post(
                f"/Things({thing_id})/Datastreams",
                json=datastream(
                    Sensor=SENSOR, ObservedProperty={"@iot.id": pm25}, properties={"period": "hour"}
                ),
            )
        )
        first = {"result": 35, "phenomenonTime": "2024-01-01T08:00:00+08:00"}
        obs = created(http.post(f"/Datastreams({series})/Observations", json=first))
        body = http.get(f"/Observations({obs})", params={"$expand": "FeatureOfInterest"}).json()
        assert body["phenomenonTime"] == "2024-01-01T00:00:00Z" and body["result"] == 35
        assert body["FeatureOfInterest"]["feature"] == POINT  # from the Thing's position
        # the same value again is a duplicate: accepted, nothing new stored
        assert created(http.post(f"/Datastreams({series})/Observations", json=first)) == obs
        changed = http.post(f"/Datastreams({series})/Observations", json={**first, "result": 36})
        assert changed.status_code == 409 and "never silently replaced" in changed.text
        negative = http.post(
            "/Observations",
            json={
                "result": -5,
                "phenomenonTime": "2024-01-01T01:00:00Z",
                "Datastream": {"@iot.id": series},
            },
        )
        assert negative.status_code == 400 and "cannot be below 0" in negative.text
        other_feature = {"name": "f", "description": "f", "encodingType": "application/geo+json",
                         "feature": POINT}  # fmt: skip
        refused = http.post(
            f"/Datastreams({series})/Observations",
            json={
                "result": 1,
                "phenomenonTime": "2024-01-01T02:00:00Z",
                "FeatureOfInterest": other_feature,
            },
        )
        assert refused.status_code == 400 and "one FeatureOfInterest" in refused.text
        assert (
            http.post(f"/Datastreams({series})/Observations", json={"result": "high"}).status_code
            == 400
        )
        datastream_now = http.get(f"/Datastreams({series})").json()
        assert datastream_now["phenomenonTime"] == "2024-01-01T00:00:00Z/2024-01-01T00:00:00Z"
    reasons = [q["reason"] for q in fresh.provenance.quarantined(channel="api")]
    assert any("never silently replaced" in r for r in reasons)
    assert any("cannot be below 0" in r for r in reasons)


def test_patch_of_a_result_and_deletes_cascade(fresh_server: LiveServer, fresh: Stores) -> None:
    co = fresh.registry.parameter("co")["id"]
    with sta(fresh_server) as http:
        thing_id = created(http.post("/Things", json=station()))
        series = created(
            http.post(
                f"/Things({thing_id})/Datastreams",
                json=datastream(Sensor=SENSOR, ObservedProperty={"@iot.id": co}),
            )
        )
        ids = [
            created(
                http.post(
                    f"/Datastreams({series})/Observations",
                    json={"result": 0.5 + h, "phenomenonTime": f"2024-03-01T0{h}:00:00Z"},
                )
            )
            for h in range(3)
        ]
        updated = http.patch(f"/Observations({ids[0]})", json={"result": 0.9})
        assert updated.status_code == 200 and updated.json()["result"] == 0.9
        moved = http.patch(
            f"/Observations({ids[0]})", json={"phenomenonTime": "2024-03-02T00:00:00Z"}
        )
        assert moved.status_code == 400
        assert http.delete(f"/Observations({ids[1]})").status_code == 200
        assert http.get(f"/Observations({ids[1]})").status_code == 404
        assert http.get(f"/Datastreams({series})/Observations").json()["value"][-1]["result"] == 2.5
        assert http.delete(f"/Things({thing_id})").status_code == 200
        assert http.get(f"/Things({thing_id})").status_code == 404
        assert http.get(f"/Datastreams({series})").status_code == 404
        assert http.get(f"/Observations({ids[2]})").status_code == 404
        assert http.delete(f"/Things({thing_id})").status_code == 404
    assert fresh.observations.count() == 0
    assert fresh.registry.find_series(sites=["9001A"]) == []


def test_writes_need_a_writer_role(fresh_server: LiveServer, fresh: Stores) -> None:
    with sta(fresh_server, None) as anonymous:
        refused = anonymous.post("/Things", json=station())
        assert refused.status_code == 401
        assert refused.headers["www-authenticate"].startswith("Basic")
        assert anonymous.get("/Things").status_code == 200
    with sta(fresh_server, "analyst") as analyst:
        assert analyst.post("/Things", json=station()).status_code == 403
    with httpx.Client(base_url=f"{fresh_server.url}/sta/v1.1", auth=("steward", "wrong")) as bad:
        assert bad.get("/Things").status_code == 401
    assert count(fresh, schema.sites) == 0
