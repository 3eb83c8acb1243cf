"""Conformance class 4, Batch Request (OGC 18-088 §12; OData 4.0 Part 1 §11.7): multipart/mixed
with change sets and Content-ID references, the OData 4.01 JSON batch, and all-or-nothing
change sets."""

from __future__ import annotations

import json
import re

from ecodata.sensorthings.batch import parse_multipart, relative
from ecodata.store.stores import Stores
from tests.api.conftest import LiveServer
from tests.sensorthings.conftest import sta

THING = {"name": "buoy 7", "description": "water-quality buoy",
         "properties": {"code": "W007", "kind": "water"}}  # fmt: skip


def multipart(boundary: str, parts: list[str]) -> str:
    return "".join(f"--{boundary}\r\n{p}" for p in parts) + f"--{boundary}--\r\n"


def request(method: str, url: str, body: object = None, content_id: str | None = None) -> str:
    head = "Content-Type: application/http\r\nContent-Transfer-Encoding: binary\r\n"
    if content_id:
        head += f"Content-ID: {content_id}\r\n"
    text = f"{method} {url} HTTP/1.1\r\n"
    if body is not None:
        text += "Content-Type: application/json\r\n\r\n" + json.dumps(body, ensure_ascii=False)
    else:
        text += "\r\n"
    return head + "\r\n" + text + "\r\n"


def changeset(boundary: str, parts: list[str]) -> str:
    return f"Content-Type: multipart/mixed; boundary={boundary}\r\n\r\n" + multipart(
        boundary, parts
    )


def datastream(thing_ref: str) -> dict[str, object]:
    return {
        "name": "DO", "description": "dissolved oxygen",
        "unitOfMeasurement": {"name": "milligram per litre", "symbol": "mg/L"},
        "observationType": "OM_Measurement", "Thing": {"@iot.id": thing_ref},
        "Sensor": {"name": "optode", "description": "o", "encodingType": "text/plain",
                   "metadata": "m"},
        "ObservedProperty": {"@iot.id": 1},
    }  # fmt: skip


def test_multipart_batch_with_a_changeset_and_references(
    fresh_server: LiveServer, fresh: Stores
) -> None:
    body = multipart(
        "batch_36522ad7",
        [
            request("GET", "ObservedProperties(1)"),
            changeset(
                "changeset_77162fcd",
                [
                    request("POST", "/sta/v1.1/Things", THING, content_id="1"),
                    request("POST", "Datastreams", datastream("$1"), content_id="2"),
                    request(
                        "POST",
                        "$2/Observations",
                        {"result": 8.1, "phenomenonTime": "2024-05-01T00:00:00Z"},
                        content_id="3",
                    ),
                ],
            ),
            request("GET", "Things?$filter=properties/code%20eq%20'W007'&$expand=Datastreams"),
        ],
    )
    with sta(fresh_server) as http:
        response = http.post(
            "/$batch",
            content=body.encode(),
            headers={"content-type": "multipart/mixed; boundary=batch_36522ad7"},
        )
    assert response.status_code == 200
    kind = response.headers["content-type"]
    assert kind.startswith("multipart/mixed; boundary=batchresponse_")
    statuses = re.findall(r"HTTP/1.1 (\d{3})", response.text)
    assert statuses == ["200", "201", "201", "201", "200"]
    assert re.findall(r"Content-ID: (\d)", response.text) == ["1", "2", "3"]
    last = response.text.rsplit("HTTP/1.1 200 OK", 1)[1]
    found = json.loads(last[last.index("{") : last.rindex("}") + 1])
    (thing,) = found["value"]
    assert thing["Datastreams"][0]["name"] == "DO"
    assert fresh.observations.count() == 1


def test_a_failing_changeset_is_undone(fresh_server: LiveServer, fresh: Stores) -> None:
    broken = datastream("$1")
    del broken["unitOfMeasurement"]
    body = multipart(
        "b1",
        [
            changeset(
                "c1",
                [
                    request("POST", "Things", THING, content_id="1"),
                    request("POST", "Datastreams", broken, content_id="2"),
                ],
            )
        ],
    )
    with sta(fresh_server) as http:
        response = http.post(
            "/$batch",
            content=body.encode(),
            headers={"content-type": "multipart/mixed; boundary=b1"},
        )
        assert response.status_code == 200
        assert re.findall(r"HTTP/1.1 (\d{3})", response.text) == ["400", "400"]
        assert http.get("/Things").json()["value"] == []
    assert fresh.registry.sites() == []


def test_json_batch(fresh_server: LiveServer) -> None:
    batch = {
        "requests": [
            {"id": "t", "atomicityGroup": "g", "method": "post", "url": "Things", "body": THING},
            {
                "id": "d",
                "atomicityGroup": "g",
                "method": "post",
                "url": "Datastreams",
                "body": datastream("$t"),
            },
            {"id": "q", "method": "get", "url": "Things?$select=name"},
        ]
    }
    with sta(fresh_server) as http:
        response = http.post("/$batch", json=batch).json()
    assert [r["status"] for r in response["responses"]] == [201, 201, 200]
    assert response["responses"][0]["headers"]["Location"].endswith("/Things(1)")
    assert response["responses"][2]["body"]["value"] == [{"name": "buoy 7"}]


def test_parsing_of_parts_and_urls() -> None:
    text = multipart("x", [request("GET", "http://h/sta/v1.1/Things(1)?$select=name")])
    (part,) = parse_multipart(text.encode(), 'multipart/mixed; boundary="x"')
    assert (part.method, part.changeset) == ("GET", None)
    assert relative(part.url, {}) == ("/Things(1)", "$select=name")
    assert relative("$5/Observations", {"5": "/Datastreams(9)"}) == (
        "/Datastreams(9)/Observations",
        "",
    )
