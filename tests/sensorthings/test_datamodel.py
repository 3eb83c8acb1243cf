"""Conformance class 1, Sensing Core — datamodel (OGC 18-088 §8, Annex A.1): the landing page,
the entity sets and their mandatory properties, and how imported data appear as entities."""

from __future__ import annotations

from ecodata.sensorthings.entities import CONFORMANCE, KINDS, OM_MEASUREMENT
from ecodata.store.stores import Stores
from tests.api.conftest import LiveServer
from tests.sensorthings.conftest import datastream_id, site_id, sta

SPEC = "http://www.opengis.net/spec/iot_sensing/1.1/req/"


def test_landing_page_lists_every_set_and_the_claimed_conformance(server: LiveServer) -> None:
    with sta(server) as http:
        body = http.get("").json()
    root = f"{server.url}/sta/v1.1"
    assert body["value"] == [{"name": k.set, "url": f"{root}/{k.set}"} for k in KINDS]
    claimed = body["serverSettings"]["conformance"]
    assert claimed == list(CONFORMANCE)
    for name in ("datamodel", "request-data", "create-update-delete", "data-array/data-array"):
        assert SPEC + name in claimed
    assert not any("multi-datastream" in c for c in claimed)


def test_every_entity_has_its_mandatory_properties_and_links(
    server: LiveServer, beijing: Stores
) -> None:
    with sta(server) as http:
        for kind in KINDS:
            page = http.get(f"/{kind.set}", params={"$top": 2}).json()
            # imported stations have a position but no history of positions
            assert page["value"] or kind.set == "HistoricalLocations", kind.set
            for entity in page["value"]:
                assert isinstance(entity["@iot.id"], int)
                assert (
                    entity["@iot.selfLink"]
                    == f"{server.url}/sta/v1.1/{kind.set}({entity['@iot.id']})"
                )
                for name in kind.mandatory:
                    assert entity[name] is not None, (kind.set, name)
                for nav in kind.navs:
                    assert entity[f"{nav.name}@iot.navigationLink"].endswith(f"/{nav.name}")


def test_an_imported_station_is_a_thing_with_its_location(
    server: LiveServer, beijing: Stores
) -> None:
    thing_id = site_id(beijing, "1003A")
    with sta(server) as http:
        thing = http.get(f"/Things({thing_id})", params={"$expand": "Locations"}).json()
    # national_stations_2020.csv: 1003A 东四, 北京, 116.434 E, 39.9522 N
    assert thing["name"] == "东四"
    assert thing["properties"]["code"] == "1003A" and thing["properties"]["kind"] == "air"
    assert (
        "环境空气质量监测站" in thing["description"]
        and "air-quality station" in thing["description"]
    )
    (location,) = thing["Locations"]
    assert location["encodingType"] == "application/geo+json"
    assert location["location"] == {"type": "Point", "coordinates": [116.434, 39.9522]}


def test_an_imported_series_is_a_datastream_with_unit_and_hj212_definition(
    server: LiveServer, beijing: Stores
) -> None:
    series = datastream_id(beijing, "1003A", "no2")
    with sta(server) as http:
        ds = http.get(
            f"/Datastreams({series})", params={"$expand": "ObservedProperty,Sensor,Thing"}
        ).json()
    assert ds["unitOfMeasurement"]["symbol"] == "µg/m³"
    assert ds["unitOfMeasurement"]["definition"].endswith("MicroGM-PER-M3")
    assert ds["observationType"] == OM_MEASUREMENT
    assert ds["properties"] == {"site": "1003A", "parameter": "no2", "period": "hour"}
    # HJ 212-2017 Appendix B: NO2 is a21004
    assert ds["ObservedProperty"]["definition"] == "urn:cn:hj212-2017:pollutant:a21004"
    assert ds["ObservedProperty"]["name"] == "Nitrogen dioxide"
    assert ds["Thing"]["properties"]["code"] == "1003A"
    assert ds["Sensor"]["name"] == "Nitrogen dioxide analyser"
    # the Dongsi file starts 2013-03-01 00:00 and ends 2017-02-28 23:00, Beijing time
    assert ds["phenomenonTime"] == "2013-02-28T16:00:00Z/2017-02-28T15:00:00Z"


def test_observations_carry_their_provenance(server: LiveServer, beijing: Stores) -> None:
    series = datastream_id(beijing, "1003A", "pm2_5")
    with sta(server) as http:
        (first,) = http.get(f"/Datastreams({series})/Observations", params={"$top": 1}).json()[
            "value"
        ]
    # PRSA_Data_Dongsi row 1: 2013-03-01 00:00 (+08:00), PM2.5 = 9
    assert first["phenomenonTime"] == "2013-02-28T16:00:00Z" and first["result"] == 9.0
    assert first["parameters"]["qc"] == 0
    run = beijing.provenance.run(first["parameters"]["importRun"])
    assert run["source"].endswith("PRSA_Data_Dongsi_20130301-20170228.csv")
