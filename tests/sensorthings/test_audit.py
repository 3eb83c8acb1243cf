"""The audit log of the SensorThings API: every change (POST, PATCH, DELETE, CreateObservations,
``$batch``, MQTT), every refused write and every read of non-public data leave an entry; reads of
public data leave none."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import httpx
import sqlalchemy as sa

from ecodata.catalog.datasets import dataset_of_series
from ecodata.security import audit, principal
from ecodata.security.access import restriction_for
from ecodata.sensorthings.audit import change_detail, read_recorder
from ecodata.sensorthings.mqtt_bridge import MqttBridge
from ecodata.sensorthings.writing import Changes, NewObservation
from ecodata.store import schema
from ecodata.store.provenance import Counts
from ecodata.store.stores import Stores
from tests.api.conftest import LiveServer
from tests.sensorthings.conftest import datastream_id, sta


def private_thing(code: str) -> dict[str, Any]:
    """A Thing of an enterprise with one Datastream: filed in the restricted catch-all dataset."""
    return {
        "name": f"plant outlet {code}",
        "description": "monitoring point of an enterprise",
        "properties": {"code": code, "kind": "other"},
        "Datastreams": [
            {
                "name": f"effluent flow {code}",
                "description": "flow of the outlet",
                "unitOfMeasurement": {"name": "cubic metre per hour", "symbol": "m³/h"},
                "observationType": "OM_Measurement",
                "properties": {"period": "hour"},
                "Sensor": {
                    "name": "meter",
                    "description": "m",
                    "encodingType": "text/plain",
                    "metadata": "m",
                },
                "ObservedProperty": {
                    "name": f"effluent flow {code}",
                    "definition": "urn:x:flow",
                    "description": "flow",
                },
            }
        ],
    }


def last_id(stores: Stores) -> int:
    with stores.registry.engine.connect() as conn:
        return int(conn.execute(sa.select(sa.func.max(schema.audit_log.c.id))).scalar() or 0)


def since(stores: Stores, after: int, **filters: Any) -> list[dict[str, Any]]:
    """Entries written after entry ``after``, oldest first."""
    found = audit.entries(stores.registry.engine, limit=1000, **filters)
    return sorted((e for e in found if e["id"] > after), key=lambda e: e["id"])


def create_private(http: httpx.Client, code: str) -> tuple[int, int]:
    """(Thing id, Datastream id) of a new private Thing, with one observation (the steward's read
    of its Datastream is audited)."""
    response = http.post("/Things", json=private_thing(code))
    assert response.status_code == 201, response.text
    thing = response.json()["@iot.id"]
    (stream,) = http.get(f"/Things({thing})/Datastreams").json()["value"]
    http.post(
        f"/Datastreams({stream['@iot.id']})/Observations",
        json={"result": 12.5, "phenomenonTime": "2024-01-01T00:00:00Z"},
    ).raise_for_status()
    return thing, stream["@iot.id"]


def test_a_stewards_post_patch_and_delete_are_audited(server: LiveServer, beijing: Stores) -> None:
    with sta(server) as steward:
        before = last_id(beijing)
        response = steward.post("/Things", json=private_thing("AUD-1"))
        assert response.status_code == 201, response.text
        thing = response.json()["@iot.id"]
        # one entry: the deep insert (the entity it answers with is not audited as a read)
        (deep,) = since(beijing, before)
        assert (deep["actor"], deep["role"], deep["action"], deep["target"], deep["outcome"]) == (
            "steward",
            "steward",
            "sta.create",
            f"Things({thing})",
            "ok",
        )
        assert deep["detail"]["endpoint"] == "sta"
        assert deep["detail"]["created"] == {
            "Things": 1,
            "Datastreams": 1,
            "Sensors": 1,
            "ObservedProperties": 1,
        }
        (stream,) = [
            d["@iot.id"] for d in steward.get(f"/Things({thing})/Datastreams").json()["value"]
        ]

        mark = last_id(beijing)
        posted = steward.post(
            f"/Datastreams({stream})/Observations",
            json={"result": 12.5, "phenomenonTime": "2024-01-01T00:00:00Z"},
        )
        assert posted.status_code == 201, posted.text
        (entry,) = since(beijing, mark)
        assert (entry["action"], entry["target"]) == (
            "sta.create",
            f"Observations({posted.json()['@iot.id']})",
        )
        assert entry["detail"]["datastreams"] == [stream]
        assert entry["detail"]["observations"] == {
            "received": 1,
            "stored": 1,
            "duplicate": 0,
            "quarantined": 0,
        }

        mark = last_id(beijing)
        steward.patch(f"/Things({thing})", json={"description": "renamed"}).raise_for_status()
        steward.put(
            f"/Datastreams({stream})",
            json={
                "name": "flow",
                "description": "flow",
                "unitOfMeasurement": {"name": "m³/h", "symbol": "m³/h"},
                "observationType": "OM_Measurement",
            },
        ).raise_for_status()
        assert steward.delete(f"/Things({thing})").status_code == 200
    changed = since(beijing, mark)
    assert [(e["action"], e["target"]) for e in changed] == [
        ("sta.update", f"Things({thing})"),
        ("sta.update", f"Datastreams({stream})"),
        ("sta.delete", f"Things({thing})"),
    ]
    assert changed[0]["detail"]["updated"] == {"Things": 1}
    assert changed[2]["detail"]["deleted"] == {"Things": 1}
    assert changed[2]["detail"]["observations_deleted_of"] == [stream]


def test_refused_writes_are_audited_as_refused(server: LiveServer, beijing: Stores) -> None:
    before = last_id(beijing)
    with sta(server, None) as anonymous, sta(server, "analyst") as analyst:
        assert anonymous.post("/Things", json=private_thing("AUD-X")).status_code == 401
        assert analyst.delete("/Things(1)").status_code == 403
    refused = since(beijing, before, action="sta")
    assert [(e["actor"], e["action"], e["target"], e["outcome"]) for e in refused] == [
        ("anonymous", "sta.create", "Things", "denied"),
        ("analyst", "sta.delete", "Things(1)", "denied"),
    ]


def test_create_observations_and_batch_are_audited(server: LiveServer, beijing: Stores) -> None:
    with sta(server) as steward:
        thing, stream = create_private(steward, "AUD-2")
        before = last_id(beijing)
        rows = [["2024-01-01T01:00:00Z", 1.0], ["2024-01-01T02:00:00Z"]]  # one refused
        document = {
            "Datastream": {"@iot.id": stream},
            "components": ["phenomenonTime", "result"],
            "dataArray": rows,
        }
        steward.post("/CreateObservations", json=[document]).raise_for_status()
        (entry,) = since(beijing, before, action="sta")
        assert (entry["action"], entry["target"]) == ("sta.create", "CreateObservations")
        assert entry["detail"]["rows"] == 2
        assert entry["detail"]["observations"]["stored"] == 1

        mark = last_id(beijing)
        batch = {
            "requests": [
                {"id": "1", "method": "PATCH", "url": f"Things({thing})",
                 "body": {"description": "batched"}},
                {"id": "2", "method": "GET", "url": f"Things({thing})"},
                {"id": "3", "method": "DELETE", "url": f"Things({thing})"},
            ]
        }  # fmt: skip
        answers = steward.post("/$batch", json=batch).json()["responses"]
        assert [a["status"] for a in answers] == [200, 200, 200]
    changes = since(beijing, mark, action="sta")
    assert [(e["action"], e["target"]) for e in changes] == [
        ("sta.update", f"Things({thing})"),
        ("sta.delete", f"Things({thing})"),
    ]


def test_observations_published_over_mqtt_are_audited(beijing: Stores) -> None:
    stream = datastream_id(beijing, "1007A", "pm2_5")
    settings = beijing.settings.model_copy(
        update={"sta": beijing.settings.sta.model_copy(update={"mqtt_url": "mqtt://127.0.0.1"})}
    )
    bridge = MqttBridge(beijing, settings)  # not connected: what its worker does with a batch
    before = last_id(beijing)
    messages = [
        (f"v1.1/Datastreams({stream})/Observations",
         json.dumps({"result": 40 + n, "phenomenonTime": f"2024-02-01T0{n}:00:00Z"}).encode())
        for n in range(3)
    ]  # fmt: skip
    assert all(bridge.create_many(messages))
    (entry,) = since(beijing, before)
    assert (entry["actor"], entry["action"], entry["target"]) == (
        "mqtt",
        "sta.create",
        "Observations",
    )
    assert entry["client"] == "mqtt://127.0.0.1:1883"
    assert entry["detail"]["messages"] == 3
    assert entry["detail"]["observations"]["stored"] == 3


def test_reading_restricted_data_is_audited_naming_its_dataset(
    server: LiveServer, beijing: Stores
) -> None:
    with sta(server) as steward:
        thing, stream = create_private(steward, "AUD-3")
        dataset = dataset_of_series(beijing.registry.engine, stream)
        assert dataset["classification"] == "restricted"
        paths = [
            f"/Datastreams({stream})/Observations",
            f"/Datastreams({stream})",
            f"/Things({thing})?$expand=Datastreams($expand=Observations)",
            f"/Observations?$resultFormat=dataArray&$filter=Datastream/id eq {stream}",
        ]
        for path in paths:
            before = last_id(beijing)
            response = steward.get(path)
            assert response.status_code == 200, response.text
            (entry,) = since(beijing, before)
            assert (entry["actor"], entry["action"], entry["target"], entry["outcome"]) == (
                "steward",
                "data.read",
                dataset["name"],
                "ok",
            )
            assert entry["detail"]["endpoint"] == "sta"
            assert entry["detail"]["path"] == path.split("?")[0]
        # the steward's reads of public data, and reads that returned nothing, are not audited
        before = last_id(beijing)
        pm25 = datastream_id(beijing, "1003A", "pm2_5")
        assert steward.get(f"/Datastreams({pm25})/Observations?$top=5").json()["value"]
        assert steward.get(f"/Things({thing})?$expand=Locations").status_code == 200
        empty = steward.get(f"/Datastreams({stream})/Observations?$filter=result gt 1000")
        assert empty.json()["value"] == []
        assert since(beijing, before) == []


def test_anonymous_reads_of_public_national_data_add_no_entry(
    server: LiveServer, beijing: Stores
) -> None:
    pm25 = datastream_id(beijing, "1003A", "pm2_5")
    before = last_id(beijing)
    with sta(server, None) as anonymous:
        assert anonymous.get(f"/Datastreams({pm25})/Observations?$top=5").json()["value"]
        assert anonymous.get(f"/Datastreams({pm25})?$expand=Observations($top=2)").json()
        assert anonymous.get(
            "/Observations", params={"$resultFormat": "dataArray", "$top": 3}
        ).json()["value"]
    assert since(beijing, before) == []
    # nothing is even collected for them: they may read public datasets only
    engine, nobody = beijing.registry.engine, principal.anonymous()
    assert read_recorder(engine, nobody, restriction_for(engine, nobody)) is None


def test_change_detail_counts_by_entity_set() -> None:
    changes = Changes(
        created=[("Things", 1), ("Datastreams", 7), ("Observations", 9)],
        observations=[NewObservation(7, datetime(2024, 1, 1, tzinfo=UTC), 1.0, None)],
    )
    assert change_detail(changes, Counts(1, 1, 0, 0)) == {
        "created": {"Things": 1, "Datastreams": 1, "Observations": 1},
        "datastreams": [7],
        "observations": {"received": 1, "stored": 1, "duplicate": 0, "quarantined": 0},
    }
    assert change_detail(Changes(deleted=[("Things", 1)], deleted_series=[7, 8])) == {
        "deleted": {"Things": 1},
        "observations_deleted_of": [7, 8],
    }
