"""The real ``frost-sta-client`` against a live server, with HTTP Basic (its ``AuthHandler``):
deep insert (it reads new ids from the ``Location`` header), links sent as whole entities,
CreateObservations, queries built with ``+`` for spaces, nextLink paging and JSON Patch. The last
test runs ``ecodata serve`` as a process, with the MQTT extension on."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import frost_sta_client as fsc
import httpx
import pytest
from frost_sta_client.model.ext.data_array_document import DataArrayDocument
from frost_sta_client.model.ext.data_array_value import DataArrayValue
from geojson import Point

from ecodata.sensorthings.entities import OM_MEASUREMENT
from ecodata.store.stores import Stores
from tests.api.conftest import LiveServer, free_port
from tests.sensorthings.conftest import PASSWORD, open_backend
from tests.sensorthings.test_mqtt import BROKER, Subscriber, broker_running

# frost-sta-client 1.1.53 itself calls furl's deprecated ``pathstr`` when it builds query URLs
pytestmark = pytest.mark.filterwarnings("ignore:furl.pathstr is deprecated:DeprecationWarning")


def client(url: str, user: str = "steward") -> fsc.SensorThingsService:
    return fsc.SensorThingsService(
        url, auth_handler=fsc.AuthHandler(username=user, password=PASSWORD)
    )


def build_station(service: fsc.SensorThingsService) -> tuple[fsc.Thing, fsc.Datastream]:
    thing = fsc.Thing(
        name="AQ station A",
        description="national site",
        properties={"code": "9101A", "kind": "air"},
    )
    thing.locations = [
        fsc.Location(name="A", description="Dongsi", encoding_type="application/geo+json",
                     location=Point((116.417, 39.929)))
    ]  # fmt: skip
    service.create(thing)
    datastream = fsc.Datastream(
        name="PM2.5 A",
        description="hourly PM2.5",
        observation_type=OM_MEASUREMENT,
        unit_of_measurement=fsc.UnitOfMeasurement(
            name="microgram per cubic meter",
            symbol="ug/m3",
            definition="http://qudt.org/vocab/unit/MicroGM-PER-M3",
        ),
        properties={"period": "hour"},
    )
    datastream.thing = thing  # sent whole, Locations included: must be taken as a link
    datastream.sensor = fsc.Sensor(name="BAM-1020", description="beta attenuation",
                                   encoding_type="application/pdf", metadata="http://x/bam.pdf")  # fmt: skip
    datastream.observed_property = fsc.ObservedProperty(
        name="PM2.5 (client)", definition="urn:cn:hj212-2017:pollutant:a34004", description="fine"
    )
    service.create(datastream)
    return thing, datastream


def test_frost_client_round_trip(fresh_server: LiveServer, fresh: Stores) -> None:
    service = client(f"{fresh_server.url}/sta/v1.1")
    thing, datastream = build_station(service)
    assert isinstance(thing.id, int) and isinstance(datastream.id, int)
    observation = fsc.Observation(
        result=35.2, phenomenon_time="2024-01-01T00:00:00+00:00", datastream=datastream
    )
    service.create(observation)
    values = DataArrayValue()
    values.datastream = datastream
    values.components = {DataArrayValue.Property.PHENOMENON_TIME, DataArrayValue.Property.RESULT}
    hours = [f"2024-01-{1 + h // 24:02d}T{h % 24:02d}:00:00Z" for h in range(1, 250)]
    for h, when in enumerate(hours, start=1):
        values.add_observation(
            fsc.Observation(result=30.0 + h % 7, phenomenon_time=when, datastream=datastream)
        )
    document = DataArrayDocument()
    document.add_data_array_value(values)
    created = service.observations().create(document)
    assert len(created) == len(hours)
    found = service.datastreams().find(datastream.id)
    assert found.name == "PM2.5 A" and found.unit_of_measurement.symbol == "ug/m3"
    listed = (
        found.get_observations().query().filter("result gt 33").orderby("phenomenonTime", "asc")
        .top(20).count().list()
    )  # fmt: skip
    results = [o.result for o in listed]  # follows @iot.nextLink across 7 pages
    expected = [30.0 + h % 7 for h in range(1, 250) if 30.0 + h % 7 > 33] + [35.2]
    assert sorted(results) == sorted(expected) and listed.count == len(expected)
    service.patch(datastream, [{"op": "replace", "path": "/description", "value": "patched"}])
    assert service.datastreams().find(datastream.id).description == "patched"
    things = service.things().query().expand("Locations").list()
    assert [(t.name, [loc.name for loc in t.locations]) for t in things] == [
        ("AQ station A", ["A"])
    ]
    assert fresh.observations.count() == 250
    service.delete(thing)
    assert fresh.observations.count() == 0


def test_frost_client_without_rights_is_refused(fresh_server: LiveServer) -> None:
    with pytest.raises(Exception, match="403"):
        build_station(client(f"{fresh_server.url}/sta/v1.1", user="analyst"))


@pytest.mark.slow
def test_ecodata_serve_with_the_mqtt_extension(tmp_path: Path) -> None:
    """frost-sta-client over HTTP and paho over MQTT against a real ``ecodata serve``."""
    if not broker_running():
        pytest.skip("no MQTT broker on 127.0.0.1:1883")
    data = tmp_path / "data"
    stores, _ = open_backend("embedded", data)
    stores.close()
    port = free_port()
    env = {
        **os.environ,
        "ECODATA_DATA_DIR": str(data),
        "ECODATA_SECURITY__SECRET_KEY": "a-test-secret-of-sufficient-length",
        "ECODATA_STA__MQTT_URL": BROKER,
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "ecodata", "serve", "--port", str(port)],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}/sta/v1.1"
    try:
        deadline = time.monotonic() + 60
        while True:
            assert process.poll() is None, process.stdout.read() if process.stdout else ""
            try:
                if httpx.get(url, timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, "ecodata serve did not come up"
            time.sleep(0.3)
        service = client(url)
        _, datastream = build_station(service)
        topic = f"v1.1/Datastreams({datastream.id})/Observations"
        listener = Subscriber(topic)
        try:
            time.sleep(0.5)
            listener.publish(topic, {"result": 12.0, "phenomenonTime": "2024-06-01T00:00:00Z"})
            deadline = time.monotonic() + 15
            while True:
                _, message = listener.next(timeout=15)
                if "@iot.id" in message or time.monotonic() > deadline:
                    break
        finally:
            listener.close()
        assert message["result"] == 12.0 and message["@iot.selfLink"].startswith("http://")
        stored = service.datastreams().find(datastream.id).get_observations().query().list()
        assert [o.result for o in stored] == [12.0]
        assert json.loads(httpx.get(url).text)["serverSettings"][
            "http://www.opengis.net/spec/iot_sensing/1.1/req/receive-updates-via-mqtt/receive-updates"
        ] == {"endpoints": [BROKER]}
    finally:
        process.terminate()
        output, _ = process.communicate(timeout=30)
    assert "SensorThings MQTT extension on mqtt://127.0.0.1:1883" in output
