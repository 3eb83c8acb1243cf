"""The SensorThings API 1.1 entity vocabulary (OGC 18-088 §8.2), as data.

Every entity set is one :class:`EntityKind` row: its properties (how each is rendered), its
navigation properties, the mandatory properties of a create (18-088 Tables 4–14) and the navigation
that points back to a parent when an entity is created under ``/Parent(id)/Nav``. The read model,
the renderer, the writer and the MQTT topics all work from this one table (no per-set code).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from types import MappingProxyType


class Render(enum.StrEnum):
    """How a stored column becomes JSON."""

    PLAIN = "plain"  # str, number, bool as is
    JSON = "json"  # a JSON document (object, array)
    INSTANT = "instant"  # a UTC date-time → ISO 8601 with Z
    INTERVAL = "interval"  # (start, end) columns → "start/end" (or the instant when equal)
    NULL = "null"  # always null in ecodata (resultTime, validTime of stored observations)
    PARAMETERS = "parameters"  # (qc, run_id) → {"qc": …, "importRun": …} (provenance)


@dataclass(frozen=True, slots=True)
class Prop:
    """One STA property: its ``name``, the ``column`` (or ``(start, end)`` columns) it is read
    from, how it is rendered."""

    name: str
    column: str | tuple[str, str]
    render: Render = Render.PLAIN


@dataclass(frozen=True, slots=True)
class Nav:
    """A navigation property to entity set ``target``; ``many`` for collections."""

    name: str
    target: str
    many: bool

    @property
    def link_name(self) -> str:
        return f"{self.name}@iot.navigationLink"

    @property
    def link_suffix(self) -> str:
        return f"/{self.name}"


@dataclass(frozen=True, slots=True)
class EntityKind:
    set: str
    entity: str
    props: tuple[Prop, ...]
    navs: tuple[Nav, ...]
    mandatory: tuple[str, ...]
    inverse: MappingProxyType[str, str] = field(default_factory=lambda: MappingProxyType({}))

    def prop(self, name: str) -> Prop | None:
        return next((p for p in self.props if p.name == name), None)

    def nav(self, name: str) -> Nav | None:
        return next((n for n in self.navs if n.name == name), None)


def _inverse(**names: str) -> MappingProxyType[str, str]:
    return MappingProxyType(names)


KINDS: tuple[EntityKind, ...] = (
    EntityKind(
        "Things",
        "Thing",
        (
            Prop("name", "name"),
            Prop("description", "description"),
            Prop("properties", "properties", Render.JSON),
        ),
        (
            Nav("Locations", "Locations", True),
            Nav("HistoricalLocations", "HistoricalLocations", True),
            Nav("Datastreams", "Datastreams", True),
        ),
        ("name", "description"),
        _inverse(Locations="Things", HistoricalLocations="Thing", Datastreams="Thing"),
    ),
    EntityKind(
        "Locations",
        "Location",
        (
            Prop("name", "name"),
            Prop("description", "description"),
            Prop("encodingType", "encoding_type"),
            Prop("location", "location", Render.JSON),
            Prop("properties", "properties", Render.JSON),
        ),
        (
            Nav("Things", "Things", True),
            Nav("HistoricalLocations", "HistoricalLocations", True),
        ),
        ("name", "description", "encodingType", "location"),
        _inverse(Things="Locations", HistoricalLocations="Locations"),
    ),
    EntityKind(
        "HistoricalLocations",
        "HistoricalLocation",
        (Prop("time", "time", Render.INSTANT),),
        (Nav("Thing", "Things", False), Nav("Locations", "Locations", True)),
        ("time",),
        _inverse(Locations="HistoricalLocations"),
    ),
    EntityKind(
        "Datastreams",
        "Datastream",
        (
            Prop("name", "name"),
            Prop("description", "description"),
            Prop("unitOfMeasurement", "unit", Render.JSON),
            Prop("observationType", "observation_type"),
            Prop("observedArea", "observed_area", Render.JSON),
            Prop("phenomenonTime", ("phenomenon_start", "phenomenon_end"), Render.INTERVAL),
            Prop("resultTime", "phenomenon_start", Render.NULL),
            Prop("properties", "properties", Render.JSON),
        ),
        (
            Nav("Thing", "Things", False),
            Nav("Sensor", "Sensors", False),
            Nav("ObservedProperty", "ObservedProperties", False),
            Nav("Observations", "Observations", True),
        ),
        ("name", "description", "unitOfMeasurement", "observationType"),
        _inverse(Observations="Datastream"),
    ),
    EntityKind(
        "Sensors",
        "Sensor",
        (
            Prop("name", "name"),
            Prop("description", "description"),
            Prop("encodingType", "encoding_type"),
            Prop("metadata", "metadata"),
            Prop("properties", "properties", Render.JSON),
        ),
        (Nav("Datastreams", "Datastreams", True),),
        ("name", "description", "encodingType", "metadata"),
        _inverse(Datastreams="Sensor"),
    ),
    EntityKind(
        "ObservedProperties",
        "ObservedProperty",
        (
            Prop("name", "name"),
            Prop("definition", "definition"),
            Prop("description", "description"),
            Prop("properties", "properties", Render.JSON),
        ),
        (Nav("Datastreams", "Datastreams", True),),
        ("name", "definition", "description"),
        _inverse(Datastreams="ObservedProperty"),
    ),
    EntityKind(
        "Observations",
        "Observation",
        (
            Prop("phenomenonTime", "time", Render.INSTANT),
            Prop("resultTime", "time", Render.NULL),
            Prop("result", "value"),
            Prop("resultQuality", "flag"),
            Prop("validTime", "time", Render.NULL),
            Prop("parameters", ("qc", "run_id"), Render.PARAMETERS),
        ),
        (
            Nav("Datastream", "Datastreams", False),
            Nav("FeatureOfInterest", "FeaturesOfInterest", False),
        ),
        ("result",),
    ),
    EntityKind(
        "FeaturesOfInterest",
        "FeatureOfInterest",
        (
            Prop("name", "name"),
            Prop("description", "description"),
            Prop("encodingType", "encoding_type"),
            Prop("feature", "feature", Render.JSON),
            Prop("properties", "properties", Render.JSON),
        ),
        (Nav("Observations", "Observations", True),),
        ("name", "description", "encodingType", "feature"),
        _inverse(Observations="FeatureOfInterest"),
    ),
)

BY_SET: MappingProxyType[str, EntityKind] = MappingProxyType({k.set: k for k in KINDS})
BY_ENTITY: MappingProxyType[str, EntityKind] = MappingProxyType({k.entity: k for k in KINDS})

_SPEC = "http://www.opengis.net/spec/iot_sensing/1.1/req/"
MQTT_CREATE = _SPEC + "create-observations-via-mqtt/observations-creation"
MQTT_RECEIVE = _SPEC + "receive-updates-via-mqtt/receive-updates"

#: 18-088 conformance classes ecodata claims (Annex A; class 5, MultiDatastream, is not offered).
CONFORMANCE: tuple[str, ...] = (
    _SPEC + "datamodel",
    _SPEC + "resource-path/resource-path-to-entities",
    _SPEC + "request-data",
    _SPEC + "create-update-delete",
    _SPEC + "batch-request/batch-request",
    _SPEC + "data-array/data-array",
)

OM_MEASUREMENT = "http://www.opengis.net/def/observationType/OGC-OM/2.0/OM_Measurement"
GEOJSON = "application/geo+json"


def kind_of(set_name: str) -> EntityKind:
    return BY_SET[set_name]
