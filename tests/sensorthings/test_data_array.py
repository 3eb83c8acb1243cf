"""Conformance class 6, Data Array (OGC 18-088 §14.3, §14.4): ``$resultFormat=dataArray`` and
``POST /CreateObservations`` with a per-row result (``error…`` for a refused row)."""

from __future__ import annotations

from pathlib import Path

from ecodata.store.stores import Stores
from tests.api.conftest import LiveServer
from tests.sensorthings.conftest import datastream_id, oracle, sta


def test_data_array_groups_by_datastream(
    server: LiveServer, beijing: Stores, shared_data: Path
) -> None:
    so2 = {code: datastream_id(beijing, code, "so2") for code in ("1003A", "1007A")}
    first = {s: oracle(shared_data, s, "SO2")[0] for s in ("Dongsi", "Wanliu")}
    with sta(server) as http:
        body = http.get(
            "/Observations",
            params={
                "$resultFormat": "dataArray",
                "$select": "phenomenonTime,result",
                "$filter": "Datastream/ObservedProperty/name eq 'Sulphur dioxide' and "
                "phenomenonTime eq 2013-02-28T16:00:00Z",
                "$count": "true",
            },
        ).json()
    assert body["@iot.count"] == 2
    by_link = {v["Datastream@iot.navigationLink"]: v for v in body["value"]}
    for code, station in (("1003A", "Dongsi"), ("1007A", "Wanliu")):
        value = by_link[f"{server.url}/sta/v1.1/Datastreams({so2[code]})"]
        assert value["components"] == ["phenomenonTime", "result"]
        assert value["dataArray@iot.count"] == len(value["dataArray"]) == 1
        assert value["dataArray"] == [["2013-02-28T16:00:00Z", first[station].value]]


def test_create_observations_answers_row_by_row(fresh_server: LiveServer, fresh: Stores) -> None:
    with sta(fresh_server) as http:
        thing = http.post(
            "/Things",
            json={
                "name": "outlet 1", "description": "stack of a power plant",
                "properties": {"kind": "source-outlet"},
                "Locations": [{"name": "stack", "description": "s",
                               "encodingType": "application/geo+json",
                               "location": {"type": "Point", "coordinates": [106.2, 38.5]}}],
                "Datastreams": [{
                    "name": "SO2", "description": "stack SO2",
                    "unitOfMeasurement": {"name": "milligram per cubic metre", "symbol": "mg/m³"},
                    "observationType": "OM_Measurement", "properties": {"period": "hour"},
                    "Sensor": {"name": "CEMS", "description": "d", "encodingType": "text/plain",
                               "metadata": "m"},
                    "ObservedProperty": {"name": "SO2 stack", "definition": "urn:x", "description": "d"},
                }],
            },
        )  # fmt: skip
        thing_url = thing.headers["location"]
        ds = http.get(thing_url + "/Datastreams").json()["value"][0]
        feature = http.get(thing_url + "/Datastreams").json()["value"][0]["@iot.id"]
        foi = http.get("/FeaturesOfInterest").json()["value"][0]["@iot.id"]
        del feature
        body = [
            {
                "Datastream": {"@iot.id": ds["@iot.id"]},
                "components": ["phenomenonTime", "result", "FeatureOfInterest/id"],
                "dataArray": [
                    ["2024-01-01T00:00:00Z", 35.0, foi],
                    ["2024-01-01T01:00:00Z", 36.5, 999999],
                    ["2024-01-01T02:00:00.5Z", 37.0, foi],
                    ["2024-01-01T03:00:00Z", 38.0],
                    ["2024-01-01T04:00:00Z", 39.0, foi],
                ],
            }
        ]
        response = http.post("/CreateObservations", json=body)
        assert response.status_code == 201
        links = response.json()
        assert links[0].startswith(f"{fresh_server.url}/sta/v1.1/Observations(")
        assert links[1].startswith("error") and "FeaturesOfInterest(999999)" in links[1]
        assert links[2].startswith("error") and "fractional seconds" in links[2]
        assert links[3].startswith("error")
        assert links[4].startswith(f"{fresh_server.url}/sta/v1.1/Observations(")
        stored = http.get(
            f"/Datastreams({ds['@iot.id']})/Observations",
            params={"$resultFormat": "dataArray", "$select": "id,result"},
        ).json()["value"][0]
    assert [row[1] for row in stored["dataArray"]] == [35.0, 39.0]
    assert [
        f"{fresh_server.url}/sta/v1.1/Observations({row[0]})" for row in stored["dataArray"]
    ] == [
        links[0],
        links[4],
    ]
    (run,) = [r for r in fresh.provenance.runs() if r["kind"] == "sta"]
    assert run["stored"] == 2 and run["user"] == "steward"
