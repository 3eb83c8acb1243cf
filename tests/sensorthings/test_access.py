"""Reads are limited to the catalog datasets the caller may read, inside the SQL: a series that
falls in a restricted dataset (the catalog's catch-all for unclassified sources) is invisible to
an anonymous caller through every path, filter and expand; public station data stay open."""

from __future__ import annotations

from ecodata.store.stores import Stores
from tests.api.conftest import LiveServer
from tests.sensorthings.conftest import datastream_id, sta

PRIVATE = {
    "name": "plant outlet 3",
    "description": "monitoring point of an enterprise",
    "properties": {"code": "ENT-3", "kind": "other"},
    "Datastreams": [
        {
            "name": "effluent flow",
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
                "name": "effluent flow",
                "definition": "urn:x:flow",
                "description": "flow",
            },
        }
    ],
}


def test_restricted_datastreams_are_invisible_to_anonymous_callers(
    server: LiveServer, beijing: Stores
) -> None:
    pm25 = datastream_id(beijing, "1003A", "pm2_5")
    with sta(server, "steward") as steward, sta(server, None) as anonymous:
        thing = steward.post("/Things", json=PRIVATE).headers["location"].rsplit("/", 1)[1]
        (private,) = steward.get(f"/{thing}/Datastreams").json()["value"]
        steward.post(
            f"/Datastreams({private['@iot.id']})/Observations",
            json={"result": 12.5, "phenomenonTime": "2024-01-01T00:00:00Z"},
        ).raise_for_status()
        assert anonymous.get(f"/{thing}/Datastreams").json()["value"] == []
        assert anonymous.get(f"/Datastreams({private['@iot.id']})").status_code == 404
        assert (
            anonymous.get(
                "/Observations",
                params={"$filter": "result eq 12.5 and Datastream/name eq 'effluent flow'"},
            ).json()["value"]
            == []
        )
        expanded = anonymous.get(f"/{thing}", params={"$expand": "Datastreams"}).json()
        assert expanded["Datastreams"] == []
        counted = anonymous.get("/Datastreams", params={"$count": "true", "$top": 1}).json()
        everything = steward.get("/Datastreams", params={"$count": "true", "$top": 1}).json()
        assert counted["@iot.count"] == everything["@iot.count"] - 1
        # the public data of the national stations stay open
        assert anonymous.get(f"/Datastreams({pm25})/Observations?$top=1").json()["value"]
        assert steward.get(f"/Datastreams({private['@iot.id']})/Observations").json()["value"]
