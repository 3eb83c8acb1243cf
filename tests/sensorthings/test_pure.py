"""The pure parts: observation ids, the registry → entity projection, JSON Patch (RFC 6902
Appendix A examples) and the MQTT topics."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from ecodata.errors import InputError
from ecodata.parameters import reference_parameters
from ecodata.sensorthings.events import topics_for
from ecodata.sensorthings.ids import SHIFT, observation_id, split_observation_id
from ecodata.sensorthings.json_patch import apply_patch
from ecodata.sensorthings.projection import (
    Snapshot,
    definition_of,
    missing_auto_objects,
    project,
    unit_of,
)


def test_observation_ids_are_derived_from_series_and_time() -> None:
    t = datetime(2013, 3, 1, 0, tzinfo=timezone(timedelta(hours=8)))
    key = observation_id(7, t)
    assert key == 7 * SHIFT + 1362067200  # 2013-02-28T16:00:00Z in Unix seconds
    assert split_observation_id(key) == (7, t.astimezone(UTC))
    assert observation_id(2_097_151, datetime(2106, 2, 7, tzinfo=UTC)) < 2**53
    with pytest.raises(InputError, match="fractional seconds"):
        observation_id(1, datetime(2024, 1, 1, 0, 0, 0, 500_000, tzinfo=UTC))
    with pytest.raises(InputError, match="1970"):
        observation_id(1, datetime(1969, 12, 31, tzinfo=UTC))
    with pytest.raises(InputError):
        split_observation_id("abc")


def test_definitions_and_units_of_the_reference_parameters() -> None:
    by_code = {p["code"]: p for p in reference_parameters()}
    # HJ 212-2017 Appendix B codes
    assert definition_of(by_code["pm2_5"]) == "urn:cn:hj212-2017:pollutant:a34004"
    assert definition_of(by_code["so2"]) == "urn:cn:hj212-2017:pollutant:a21026"
    assert definition_of(by_code["aqi"]) == "urn:ecodata:parameter:aqi"
    for parameter in by_code.values():
        unit = unit_of(parameter["unit"])
        assert unit["symbol"] == parameter["unit"] and unit["definition"].startswith(
            "http://qudt.org/vocab/unit/"
        ), parameter["code"]


def test_projection_of_a_registry_snapshot() -> None:
    site = {"id": 3, "code": "1003A", "kind": "air", "name_zh": "东四", "name_en": "Dongsi",
            "province": "北京市", "city": "北京", "division_code": "110101", "status": "active",
            "longitude": 116.434, "latitude": 39.9522, "attributes": {"control_site": False}}  # fmt: skip
    bare = {"id": 4, "code": "X1", "kind": "water", "name_zh": "", "name_en": "", "status": "active",
            "longitude": None, "latitude": None, "attributes": {}}  # fmt: skip
    parameter = {"id": 9, "code": "no2", "name_zh": "二氧化氮", "name_en": "Nitrogen dioxide",
                 "unit": "µg/m³", "domain": "air", "hj212_code": "a21004", "published": False}  # fmt: skip
    series = {"id": 11, "site_id": 3, "parameter_id": 9, "period": 2,
              "first_time": datetime(2013, 2, 28, 16, tzinfo=UTC),
              "last_time": datetime(2017, 2, 28, 15, tzinfo=UTC)}  # fmt: skip
    snapshot = Snapshot(sites=[site, bare], parameters=[parameter], series=[series])
    missing = missing_auto_objects(snapshot)
    assert [(m["kind"], m["site_id"], m["parameter_id"]) for m in missing] == [
        ("Location", 3, None),
        ("FeatureOfInterest", 3, None),
        ("Sensor", None, 9),
    ]
    objects = [{**m, "id": 100 + i} for i, m in enumerate(missing)]
    links = [{"kind": "thing_location", "source_id": 3, "target_id": 100}]
    rows = project(Snapshot(snapshot.sites, snapshot.parameters, snapshot.series, objects, links))
    thing = next(t for t in rows["sta_things"] if t["id"] == 3)
    assert thing["name"] == "东四" and thing["properties"]["control_site"] is False
    assert next(t for t in rows["sta_things"] if t["id"] == 4)["name"] == "X1"
    (datastream,) = rows["sta_datastreams"]
    assert datastream["name"] == "东四 Nitrogen dioxide (hourly)"
    assert datastream["description"] == "东四二氧化氮小时值 / hourly Nitrogen dioxide at 1003A"
    assert (datastream["sensor_id"], datastream["feature_id"]) == (102, 101)
    assert rows["sta_thing_locations"] == [{"thing_id": 3, "location_id": 100}]
    (location,) = rows["sta_locations"]
    assert (location["longitude"], location["latitude"]) == (116.434, 39.9522)
    overridden = project(
        Snapshot(
            snapshot.sites, snapshot.parameters, snapshot.series, objects, links,
            overrides=[{"kind": "Thing", "key": 3, "doc": {"name": "renamed", "properties": {}}}],
        )
    )  # fmt: skip
    thing = next(t for t in overridden["sta_things"] if t["id"] == 3)
    assert (thing["name"], thing["properties"]) == ("renamed", {})


@pytest.mark.parametrize(
    ("document", "patch", "expected"),
    [  # RFC 6902 Appendix A.1, A.2, A.3, A.4, A.6, A.7, A.10, A.16
        ({"foo": "bar"}, [{"op": "add", "path": "/baz", "value": "qux"}],
         {"baz": "qux", "foo": "bar"}),
        ({"foo": ["bar", "baz"]}, [{"op": "add", "path": "/foo/1", "value": "qux"}],
         {"foo": ["bar", "qux", "baz"]}),
        ({"baz": "qux", "foo": "bar"}, [{"op": "remove", "path": "/baz"}], {"foo": "bar"}),
        ({"foo": ["bar", "qux", "baz"]}, [{"op": "remove", "path": "/foo/1"}],
         {"foo": ["bar", "baz"]}),
        ({"foo": {"bar": "baz", "waldo": "fred"}, "qux": {"corge": "grault"}},
         [{"op": "move", "from": "/foo/waldo", "path": "/qux/thud"}],
         {"foo": {"bar": "baz"}, "qux": {"corge": "grault", "thud": "fred"}}),
        ({"foo": ["all", "grass", "cows", "eat"]},
         [{"op": "move", "from": "/foo/1", "path": "/foo/3"}],
         {"foo": ["all", "cows", "eat", "grass"]}),
        ({"foo": "bar"}, [{"op": "add", "path": "/child", "value": {"grandchild": {}}}],
         {"foo": "bar", "child": {"grandchild": {}}}),
        ({"foo": ["bar"]}, [{"op": "add", "path": "/foo/-", "value": ["abc", "def"]}],
         {"foo": ["bar", ["abc", "def"]]}),
    ],
)  # fmt: skip
def test_json_patch_rfc6902_examples(
    document: object, patch: list[object], expected: object
) -> None:
    assert apply_patch(document, patch) == expected


def test_json_patch_errors_name_the_operation() -> None:
    # RFC 6902 A.9 (failed test) and A.12 (adding to a nonexistent target)
    with pytest.raises(InputError, match="operation 0: test of '/baz' failed"):
        apply_patch({"baz": "qux"}, [{"op": "test", "path": "/baz", "value": "bar"}])
    with pytest.raises(InputError, match="operation 0: member 'baz' does not exist"):
        apply_patch({"foo": "bar"}, [{"op": "add", "path": "/baz/bat", "value": "qux"}])
    with pytest.raises(InputError, match="array of operations"):
        apply_patch({}, {"op": "add"})  # type: ignore[arg-type]


def test_topics_of_an_observation() -> None:
    assert topics_for("Observations", 5, {"Datastreams": 1, "FeaturesOfInterest": 2}) == (
        "Observations",
        "Observations(5)",
        "Datastreams(1)/Observations",
        "FeaturesOfInterest(2)/Observations",
    )
