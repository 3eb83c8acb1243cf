"""Conformance classes 7 and 8, the MQTT extension (OGC 18-088 §14.2): create Observations by
publishing them, and receive new entities by subscribing — with paho-mqtt against the running
Mosquitto on 127.0.0.1:1883 (CI starts it)."""

from __future__ import annotations

import json
import queue
import socket
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import paho.mqtt.client as mqtt
import pytest
from paho.mqtt.enums import CallbackAPIVersion

from ecodata.sensorthings.entities import MQTT_CREATE, MQTT_RECEIVE
from ecodata.sensorthings.mqtt_bridge import MqttBridge, broker_address
from ecodata.store.stores import Stores
from tests.api.conftest import LiveServer
from tests.sensorthings.conftest import BACKENDS, ON_CI, drop_database, open_backend, sta

BROKER = "mqtt://127.0.0.1:1883"


def broker_running() -> bool:
    try:
        with socket.create_connection(("127.0.0.1", 1883), timeout=1):
            return True
    except OSError:
        return False


@pytest.fixture(params=BACKENDS)
def mqtt_stores(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Stores]:
    if not broker_running():
        if ON_CI:
            pytest.fail("Mosquitto is not running on 127.0.0.1:1883 (.ci/run starts it)")
        pytest.skip("no MQTT broker on 127.0.0.1:1883")
    stores, url = open_backend(request.param, tmp_path / "mqtt", sta={"mqtt_url": BROKER})
    try:
        yield stores
    finally:
        stores.close()
        if url:
            drop_database(url)


class Subscriber:
    """A plain paho client collecting the messages of some topics."""

    def __init__(self, *topics: str) -> None:
        self.messages: queue.Queue[tuple[str, Any]] = queue.Queue()
        self.client = mqtt.Client(CallbackAPIVersion.VERSION2, protocol=mqtt.MQTTv5)
        self.client.on_message = lambda _c, _u, m: self.messages.put(
            (m.topic, json.loads(m.payload))
        )
        subscribed: queue.Queue[bool] = queue.Queue()
        self.client.on_subscribe = lambda *_args: subscribed.put(True)
        self.client.connect("127.0.0.1", 1883)
        self.client.loop_start()
        self.client.subscribe([(t, 1) for t in topics])
        subscribed.get(timeout=10)

    def next(self, timeout: float = 10.0) -> tuple[str, Any]:
        return self.messages.get(timeout=timeout)

    def publish(self, topic: str, payload: Any) -> None:
        self.client.publish(topic, json.dumps(payload), qos=1).wait_for_publish(10)

    def close(self) -> None:
        self.client.loop_stop()
        self.client.disconnect()


def station(http: Any) -> int:
    """A Thing with one Datastream; the Datastream's id."""
    response = http.post(
        "/Things",
        json={
            "name": "mqtt station", "description": "d", "properties": {"kind": "air"},
            "Locations": [{"name": "l", "description": "l", "encodingType": "application/geo+json",
                           "location": {"type": "Point", "coordinates": [113.3, 23.1]}}],
            "Datastreams": [{
                "name": "PM10", "description": "d", "observationType": "OM_Measurement",
                "unitOfMeasurement": {"name": "microgram per cubic metre", "symbol": "µg/m³"},
                "properties": {"period": "hour"},
                "Sensor": {"name": "s", "description": "s", "encodingType": "text/plain",
                           "metadata": "m"},
                "ObservedProperty": {"@iot.id": 2},
            }],
        },
    )  # fmt: skip
    response.raise_for_status()
    thing = response.headers["location"]
    return int(http.get(thing + "/Datastreams").json()["value"][0]["@iot.id"])


def test_landing_page_names_the_broker(mqtt_stores: Stores) -> None:
    with LiveServer(mqtt_stores) as server, sta(server) as http:
        settings = http.get("").json()["serverSettings"]
    assert MQTT_CREATE in settings["conformance"] and MQTT_RECEIVE in settings["conformance"]
    assert settings[MQTT_RECEIVE] == {"endpoints": [BROKER]}
    assert broker_address(BROKER) == ("127.0.0.1", 1883, False)


def test_receive_updates_of_observations_created_over_http(mqtt_stores: Stores) -> None:
    with LiveServer(mqtt_stores) as server, sta(server) as http, MqttBridge(mqtt_stores):
        series = station(http)
        listener = Subscriber(f"v1.1/Datastreams({series})/Observations", "v1.1/Observations")
        try:
            created = http.post(
                f"/Datastreams({series})/Observations",
                json={"result": 41.0, "phenomenonTime": "2024-02-01T00:00:00Z"},
            )
            created.raise_for_status()
            got = dict(listener.next() for _ in range(2))
        finally:
            listener.close()
    expected = http_entity = got[f"v1.1/Datastreams({series})/Observations"]
    assert expected["result"] == 41.0 and expected["phenomenonTime"] == "2024-02-01T00:00:00Z"
    assert created.headers["location"].endswith(f"Observations({http_entity['@iot.id']})")
    assert got["v1.1/Observations"]["@iot.id"] == http_entity["@iot.id"]


def test_create_observations_by_publishing_them(mqtt_stores: Stores) -> None:
    with LiveServer(mqtt_stores) as server, sta(server) as http:
        series = station(http)
        with MqttBridge(mqtt_stores) as bridge:
            listener = Subscriber(f"v1.1/Datastreams({series})/Observations")
            try:
                listener.publish(
                    f"v1.1/Datastreams({series})/Observations",
                    {"result": 55.5, "phenomenonTime": "2024-02-01T01:00:00Z"},
                )
                listener.publish(
                    "v1.1/Observations",
                    {
                        "result": 56.5,
                        "phenomenonTime": "2024-02-01T02:00:00Z",
                        "Datastream": {"@iot.id": series},
                    },
                )
                listener.publish(f"v1.1/Datastreams({series})/Observations", {"result": "n/a"})
                notified = []
                deadline = time.monotonic() + 15
                while len(notified) < 2 and time.monotonic() < deadline:
                    _, message = listener.next()
                    if "@iot.id" in message:  # the created entities (the raw requests too arrive)
                        notified.append(message["result"])
                assert bridge.drain()
            finally:
                listener.close()
        stored = http.get(f"/Datastreams({series})/Observations").json()["value"]
    assert sorted(notified) == [55.5, 56.5]
    assert [(o["phenomenonTime"], o["result"]) for o in stored] == [
        ("2024-02-01T01:00:00Z", 55.5),
        ("2024-02-01T02:00:00Z", 56.5),
    ]
    refused = mqtt_stores.provenance.quarantined(channel="api")
    assert any("not a number" in q["reason"] and '"n/a"' in q["raw"] for q in refused)
    runs = [
        r
        for r in mqtt_stores.provenance.runs()
        if r["source"].startswith("SensorThings API (mqtt)")
    ]
    assert runs and runs[0]["stored"] == 2
