"""Creating, updating and deleting SensorThings entities (OGC 18-088 §10, class
``create-update-delete``), as changes of the registry and the observation store.

A Thing is a site (kind from ``properties.kind``, default ``other``; code from
``properties.code`` or generated), an ObservedProperty a parameter, a Datastream a series (one per
Thing, ObservedProperty and averaging period ``properties.period``); Locations, Sensors,
FeaturesOfInterest and HistoricalLocations are ``sta_objects``. One request is one registry
transaction — a failed deep insert leaves nothing behind — and its observations go through the
observation store's one writer after it, in one batch.

Business rules kept (18-088 §10.2): a nested object with ``@iot.id`` is a link and its other
members are ignored (frost-sta-client sends whole entities); a Thing that gets Locations gets a
HistoricalLocation; an Observation without a FeatureOfInterest gets its Datastream's (derived from
the Thing's position); deleting an entity deletes the entities that cannot exist without it.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa

from ecodata.errors import ConflictError, InputError, NotFoundError
from ecodata.model import Period, SiteKind
from ecodata.sensorthings import projection as proj
from ecodata.sensorthings.entities import BY_SET
from ecodata.sensorthings.ids import epoch_seconds, observation_id, split_observation_id
from ecodata.sensorthings.projection import geometry_point
from ecodata.sensorthings.values import (
    check_fields,
    code_from,
    entity_id,
    mapping,
    numeric_result,
    parse_instant,
    period_of,
    text,
)
from ecodata.store import schema

_OBJECT_SETS = {
    "Locations": proj.LOCATION,
    "Sensors": proj.SENSOR,
    "FeaturesOfInterest": proj.FEATURE,
    "HistoricalLocations": proj.HISTORICAL_LOCATION,
}
_DOC_FIELDS = {
    "Locations": ("name", "description", "encodingType", "location", "properties"),
    "Sensors": ("name", "description", "encodingType", "metadata", "properties"),
    "FeaturesOfInterest": ("name", "description", "encodingType", "feature", "properties"),
    "Things": ("name", "description", "properties"),
    "ObservedProperties": ("name", "definition", "description", "properties"),
    "Datastreams": ("name", "description", "unitOfMeasurement", "observationType", "properties"),
}
_OVERRIDE_KIND = {"Things": "Thing", "ObservedProperties": "ObservedProperty",
                  "Datastreams": "Datastream"}  # fmt: skip


@dataclass
class NewObservation:
    """An observation to write once the registry transaction has committed."""

    series_id: int
    time: datetime
    value: float | None
    flag: str | None
    replace: bool = False  # an update of a stored observation's result


@dataclass
class Changes:
    """What one request changed: for the response, the read tables and MQTT."""

    created: list[tuple[str, int]] = field(default_factory=list)
    updated: list[tuple[str, int]] = field(default_factory=list)
    deleted: list[tuple[str, int]] = field(default_factory=list)
    observations: list[NewObservation] = field(default_factory=list)
    deleted_series: list[int] = field(default_factory=list)
    deleted_observations: list[tuple[int, datetime]] = field(default_factory=list)
    registry: bool = False  # anything but observations changed


def _now() -> datetime:
    return datetime.now(UTC)


class Writer:
    """Applies one request's changes inside one registry transaction ``conn``."""

    def __init__(self, conn: sa.Connection) -> None:
        self.conn = conn
        self.changes = Changes()
        self._known: set[tuple[str, int]] = set()  # entities seen to exist in this request
        self._creators: dict[str, Callable[[Mapping[str, Any]], int]] = {
            "Things": self._create_thing,
            "Locations": self._create_location,
            "HistoricalLocations": self._create_historical_location,
            "Sensors": self._create_sensor,
            "ObservedProperties": self._create_observed_property,
            "Datastreams": self._create_datastream,
            "FeaturesOfInterest": self._create_feature,
            "Observations": self._create_observation,
        }

    # -- creating ---------------------------------------------------------------------------------

    def create(self, set_name: str, body: Mapping[str, Any]) -> int:
        """Create one entity (and what it nests); its id."""
        kind = BY_SET[set_name]
        check_fields(kind, body, mandatory=True)
        new_id = self._creators[set_name](body)
        self.changes.created.append((set_name, new_id))
        if set_name != "Observations":
            self.changes.registry = True
        return new_id

    def link_or_create(
        self, set_name: str, item: Any, back: Mapping[str, Any] | None = None
    ) -> int:
        """The id of ``item``: an existing entity when it has ``@iot.id`` (its other members are
        ignored), else a new one (with the ``back`` link to its parent added)."""
        kind = BY_SET[set_name]
        found = entity_id(item, kind.entity)
        if found is not None:
            if not self.exists(set_name, found):
                raise InputError(f"{set_name}({found}) does not exist")
            return found
        return self.create(set_name, {**item, **(back or {})})

    def exists(self, set_name: str, key: int) -> bool:
        if (set_name, key) in self._known:
            return True
        found = self._exists(set_name, key)
        if found and set_name in ("Datastreams", "FeaturesOfInterest"):
            self._known.add((set_name, key))
        return found

    def _exists(self, set_name: str, key: int) -> bool:
        c = self.conn
        if set_name == "Things":
            query = sa.select(schema.sites.c.id).where(schema.sites.c.id == key)
        elif set_name == "Datastreams":
            query = sa.select(schema.series.c.id).where(schema.series.c.id == key)
        elif set_name == "ObservedProperties":
            query = sa.select(schema.parameters.c.id).where(schema.parameters.c.id == key)
        elif set_name == "Observations":
            series_id, _ = split_observation_id(key)
            return self.exists("Datastreams", series_id)
        else:
            o = schema.sta_objects
            query = sa.select(o.c.id).where(o.c.id == key, o.c.kind == _OBJECT_SETS[set_name])
        return c.execute(query).first() is not None

    def _many(self, body: Mapping[str, Any], name: str) -> list[Any]:
        value = body.get(name)
        if value is None:
            return []
        if not isinstance(value, list):
            raise InputError(f"{name} must be a JSON array of entities")
        return value

    def _one(self, body: Mapping[str, Any], name: str, entity: str) -> Any:
        value = body.get(name)
        if value is None:
            raise InputError(f"a {entity} needs its {name} (a new one or {{'@iot.id': …}})")
        return value

    def _object(self, kind: str, doc: Mapping[str, Any], **columns: Any) -> int:
        result = self.conn.execute(
            schema.sta_objects.insert().values(kind=kind, auto=False, doc=dict(doc), **columns)
        )
        return int(result.inserted_primary_key[0])  # type: ignore[index]

    @staticmethod
    def _doc(set_name: str, body: Mapping[str, Any]) -> dict[str, Any]:
        return {k: body[k] for k in _DOC_FIELDS[set_name] if k in body}

    def _override(self, set_name: str, key: int, doc: Mapping[str, Any]) -> None:
        o = schema.sta_overrides
        kind = _OVERRIDE_KIND[set_name]
        self.conn.execute(o.delete().where(o.c.kind == kind, o.c.key == key))
        self.conn.execute(o.insert().values(kind=kind, key=key, doc=dict(doc)))

    def _override_doc(self, set_name: str, key: int) -> dict[str, Any]:
        o = schema.sta_overrides
        found = self.conn.execute(
            sa.select(o.c.doc).where(o.c.kind == _OVERRIDE_KIND[set_name], o.c.key == key)
        ).scalar()
        return dict(found or {})

    def _create_thing(self, body: Mapping[str, Any]) -> int:
        name = text(body, "name", "Thing")
        text(body, "description", "Thing")
        properties = mapping(body, "properties", "Thing") or {}
        code = properties.get("code")
        if code is None:
            code = f"sta-{uuid.uuid4().hex[:12]}"
        if not isinstance(code, str) or not code.strip() or len(code) > 64:
            raise InputError(f"Thing properties.code {code!r} must be a text of 1–64 characters")
        taken = self.conn.execute(
            sa.select(schema.sites.c.id).where(schema.sites.c.code == code)
        ).scalar()
        if taken is not None:
            raise ConflictError(f"a Thing with properties.code {code!r} exists: Things({taken})")
        site_kind = self._site_kind(properties.get("kind", SiteKind.OTHER.value))
        result = self.conn.execute(
            schema.sites.insert().values(
                code=code,
                kind=site_kind,
                name_zh=name[:200],
                name_en="",
                province=str(properties.get("province", ""))[:100],
                city=str(properties.get("city", ""))[:100],
                status="active",
                attributes={},
                updated_at=_now(),
            )
        )
        site_id = int(result.inserted_primary_key[0])  # type: ignore[index]
        self._override("Things", site_id, self._doc("Things", body))
        locations = [
            self.link_or_create("Locations", item) for item in self._many(body, "Locations")
        ]
        if locations:
            self._set_locations(site_id, locations)
        for item in self._many(body, "Datastreams"):
            self._nested_new("Datastreams", item, {"Thing": {"@iot.id": site_id}})
        for item in self._many(body, "HistoricalLocations"):
            self._nested_new("HistoricalLocations", item, {"Thing": {"@iot.id": site_id}})
        return site_id

    def _nested_new(self, set_name: str, item: Any, back: Mapping[str, Any]) -> int:
        """A to-many member nested in a new parent: it must be new (it cannot change parent)."""
        if entity_id(item, BY_SET[set_name].entity) is not None:
            raise InputError(
                f"{set_name}({entity_id(item, set_name)}) belongs to another entity; nest new "
                f"{set_name} only"
            )
        return self.create(set_name, {**item, **back})

    @staticmethod
    def _site_kind(value: Any) -> str:
        try:
            return SiteKind(value).value
        except ValueError:
            kinds = ", ".join(k.value for k in SiteKind)
            raise InputError(f"Thing properties.kind {value!r} is not one of {kinds}") from None

    def _set_locations(self, site_id: int, location_ids: Sequence[int]) -> None:
        """Make ``location_ids`` the Thing's Locations: links, a HistoricalLocation
        (18-088 §10.2.1 historical-location-auto-creation) and the site's position."""
        link = schema.sta_links
        self.conn.execute(
            link.delete().where(link.c.kind == proj.THING_LOCATION, link.c.source_id == site_id)
        )
        unique = list(dict.fromkeys(location_ids))
        if unique:
            self.conn.execute(
                link.insert(),
                [
                    {"kind": proj.THING_LOCATION, "source_id": site_id, "target_id": i}
                    for i in unique
                ],
            )
            historical = self._object(proj.HISTORICAL_LOCATION, {}, site_id=site_id, time=_now())
            self.conn.execute(
                link.insert(),
                [
                    {"kind": proj.HISTORICAL_LOCATION_LINK, "source_id": historical, "target_id": i}
                    for i in unique
                ],
            )
            self.changes.created.append(("HistoricalLocations", historical))
            self._position_site(site_id, unique[0])

    def _position_site(self, site_id: int, location_id: int) -> None:
        o = schema.sta_objects
        row = self.conn.execute(sa.select(o.c.doc, o.c.auto).where(o.c.id == location_id)).first()
        if row is None or row.auto:
            return
        longitude, latitude = geometry_point((row.doc or {}).get("location"))
        if longitude is None:
            return
        self.conn.execute(
            schema.sites.update()
            .where(schema.sites.c.id == site_id)
            .values(longitude=longitude, latitude=latitude, updated_at=_now())
        )

    def _create_location(self, body: Mapping[str, Any]) -> int:
        self._check_texts("Location", body, ("name", "description", "encodingType"))
        if not isinstance(body.get("location"), Mapping):
            raise InputError("Location.location must be a GeoJSON object")
        location_id = self._object(proj.LOCATION, self._doc("Locations", body))
        for item in self._many(body, "Things"):
            site_id = self.link_or_create("Things", item)
            current = self._linked_locations(site_id)
            self._set_locations(site_id, [*current, location_id])
        return location_id

    def _linked_locations(self, site_id: int) -> list[int]:
        link = schema.sta_links
        rows = self.conn.execute(
            sa.select(link.c.target_id).where(
                link.c.kind == proj.THING_LOCATION, link.c.source_id == site_id
            )
        )
        return [int(r[0]) for r in rows]

    @staticmethod
    def _check_texts(entity: str, body: Mapping[str, Any], names: Sequence[str]) -> None:
        for name in names:
            if name in body:
                text(body, name, entity)

    def _create_historical_location(self, body: Mapping[str, Any]) -> int:
        time = parse_instant(body.get("time"), "HistoricalLocation.time")
        site_id = self.link_or_create("Things", self._one(body, "Thing", "HistoricalLocation"))
        historical = self._object(proj.HISTORICAL_LOCATION, {}, site_id=site_id, time=time)
        locations = [
            self.link_or_create("Locations", item) for item in self._many(body, "Locations")
        ]
        if locations:
            self.conn.execute(
                schema.sta_links.insert(),
                [
                    {"kind": proj.HISTORICAL_LOCATION_LINK, "source_id": historical, "target_id": i}
                    for i in dict.fromkeys(locations)
                ],
            )
        return historical

    def _create_sensor(self, body: Mapping[str, Any]) -> int:
        self._check_texts("Sensor", body, ("name", "description", "encodingType"))
        sensor_id = self._object(proj.SENSOR, self._doc("Sensors", body))
        for item in self._many(body, "Datastreams"):
            self._nested_new("Datastreams", item, {"Sensor": {"@iot.id": sensor_id}})
        return sensor_id

    def _create_feature(self, body: Mapping[str, Any]) -> int:
        self._check_texts("FeatureOfInterest", body, ("name", "description", "encodingType"))
        if not isinstance(body.get("feature"), Mapping):
            raise InputError("FeatureOfInterest.feature must be a GeoJSON object")
        feature_id = self._object(proj.FEATURE, self._doc("FeaturesOfInterest", body))
        for item in self._many(body, "Observations"):
            self._nested_new("Observations", item, {"FeatureOfInterest": {"@iot.id": feature_id}})
        return feature_id

    def _create_observed_property(self, body: Mapping[str, Any]) -> int:
        name = text(body, "name", "ObservedProperty")
        self._check_texts("ObservedProperty", body, ("definition", "description"))
        properties = mapping(body, "properties", "ObservedProperty") or {}
        p = schema.parameters
        wanted = properties.get("code")
        code = wanted if isinstance(wanted, str) and wanted else code_from(name, "sta_")
        if wanted:
            taken = self.conn.execute(sa.select(p.c.id).where(p.c.code == code)).scalar()
            if taken is not None:
                raise ConflictError(
                    f"an ObservedProperty with properties.code {code!r} exists: "
                    f"ObservedProperties({taken})"
                )
        else:
            base, n = code, 1
            while self.conn.execute(sa.select(p.c.id).where(p.c.code == code)).first():
                n += 1
                code = f"{base}_{n}"
        result = self.conn.execute(
            p.insert().values(
                code=code[:64],
                name_zh=name[:200],
                name_en=name[:200],
                unit="",
                domain=str(properties.get("domain", "other"))[:32],
                base=code[:64],
                published=False,
                description=str(body.get("description", "")),
            )
        )
        parameter_id = int(result.inserted_primary_key[0])  # type: ignore[index]
        self._override("ObservedProperties", parameter_id, self._doc("ObservedProperties", body))
        for item in self._many(body, "Datastreams"):
            self._nested_new("Datastreams", item, {"ObservedProperty": {"@iot.id": parameter_id}})
        return parameter_id

    def _create_datastream(self, body: Mapping[str, Any]) -> int:
        self._check_texts("Datastream", body, ("name", "description", "observationType"))
        if not isinstance(body.get("unitOfMeasurement"), Mapping):
            raise InputError(
                "Datastream.unitOfMeasurement must be an object {name, symbol, definition}"
            )
        properties = mapping(body, "properties", "Datastream")
        period = period_of(properties)
        site_id = self.link_or_create("Things", self._one(body, "Thing", "Datastream"))
        sensor_id = self.link_or_create("Sensors", self._one(body, "Sensor", "Datastream"))
        parameter_id = self.link_or_create(
            "ObservedProperties", self._one(body, "ObservedProperty", "Datastream")
        )
        s = schema.series
        taken = self.conn.execute(
            sa.select(s.c.id).where(
                s.c.site_id == site_id, s.c.parameter_id == parameter_id, s.c.period == int(period)
            )
        ).scalar()
        if taken is not None:
            raise ConflictError(
                f"Things({site_id}) already has a Datastream of ObservedProperties({parameter_id}) "
                f"with period {period.label}: Datastreams({taken}); ecodata keeps one per Thing, "
                "ObservedProperty and averaging period (set properties.period)"
            )
        result = self.conn.execute(
            s.insert().values(
                site_id=site_id, parameter_id=parameter_id, period=int(period), count=0
            )
        )
        series_id = int(result.inserted_primary_key[0])  # type: ignore[index]
        _file_in_catalog(self.conn, [series_id])
        doc = self._doc("Datastreams", body) | {"sensor": sensor_id}
        self._override("Datastreams", series_id, doc)
        for item in self._many(body, "Observations"):
            self._nested_new("Observations", item, {"Datastream": {"@iot.id": series_id}})
        return series_id

    def _create_observation(self, body: Mapping[str, Any]) -> int:
        if "result" not in body:
            raise InputError("an Observation needs its result (18-088 Table 12)")
        value = numeric_result(body["result"])
        raw_time = body.get("phenomenonTime")
        time = (
            _now().replace(microsecond=0)
            if raw_time is None
            else parse_instant(raw_time, "Observation.phenomenonTime")
        )
        epoch_seconds(time)
        for name in ("validTime", "parameters"):
            if body.get(name) not in (None, {}):
                raise InputError(f"Observation.{name} is not kept by ecodata; leave it out")
        result_time = body.get("resultTime")
        if result_time is not None and parse_instant(result_time, "resultTime") != time:
            raise InputError("Observation.resultTime is not kept by ecodata; leave it out")
        flag = body.get("resultQuality")
        if flag is not None and not (isinstance(flag, str) and len(flag) == 1):
            raise InputError(
                f"Observation.resultQuality {flag!r}: ecodata keeps the HJ 212-2017 Table 8 data "
                "flag there (one letter such as N)"
            )
        series_id = self.link_or_create("Datastreams", self._one(body, "Datastream", "Observation"))
        if body.get("FeatureOfInterest") is not None:
            feature_id = self.link_or_create("FeaturesOfInterest", body["FeatureOfInterest"])
            self._check_feature(series_id, feature_id)
        self.changes.observations.append(NewObservation(series_id, time, value, flag))
        return observation_id(series_id, time)

    def datastream_feature(self, series_id: int) -> int | None:
        """The FeatureOfInterest of a Datastream's observations (set, or derived from its site)."""
        doc = self._override_doc("Datastreams", series_id)
        if doc.get("feature") is not None:
            return int(doc["feature"])
        o, s = schema.sta_objects, schema.series
        found = self.conn.execute(
            sa.select(o.c.id)
            .join(s, s.c.site_id == o.c.site_id)
            .where(s.c.id == series_id, o.c.kind == proj.FEATURE, o.c.auto)
        ).scalar()
        return int(found) if found is not None else None

    def _check_feature(self, series_id: int, feature_id: int) -> None:
        """ecodata keeps one FeatureOfInterest per Datastream: an Observation may name it, or set
        it while the Datastream has no observations."""
        current = self.datastream_feature(series_id)
        if current == feature_id:
            return
        doc = self._override_doc("Datastreams", series_id)
        count = self.conn.execute(
            sa.select(schema.series.c.count).where(schema.series.c.id == series_id)
        ).scalar()
        pending = any(o.series_id == series_id for o in self.changes.observations)
        if doc.get("feature") is None and not count and not pending:
            self._override("Datastreams", series_id, doc | {"feature": feature_id})
            self.changes.registry = True
            return
        raise InputError(
            f"Datastreams({series_id}) has FeaturesOfInterest({current}); ecodata keeps one "
            "FeatureOfInterest per Datastream"
        )

    # -- updating ---------------------------------------------------------------------------------

    def update(self, set_name: str, key: int, body: Mapping[str, Any], *, replace: bool) -> int:
        """PATCH (merge the given members) or PUT (``replace``: members left out are reset)."""
        kind = BY_SET[set_name]
        check_fields(kind, body, mandatory=replace)
        if not self.exists(set_name, key):
            raise NotFoundError(f"{set_name}({key}) does not exist")
        if set_name == "Observations":
            self._update_observation(key, body)
        elif set_name in _OVERRIDE_KIND:
            self._update_override(set_name, key, body, replace)
        elif set_name == "HistoricalLocations":
            self._update_historical_location(key, body)
        else:
            self._update_object(set_name, key, body, replace)
        if set_name != "Observations":
            self.changes.registry = True
        self.changes.updated.append((set_name, key))
        return key

    def _current(self, set_name: str, key: int) -> dict[str, Any]:
        """The STA members of an entity as it is now (derived values made explicit)."""
        c = self.conn
        if set_name == "Things":
            site = (
                c.execute(sa.select(schema.sites).where(schema.sites.c.id == key)).mappings().one()
            )
            override = self._override_row("Things", key)
            row = proj.thing_row(site, override)
            return {k: row[k] for k in ("name", "description", "properties")}
        if set_name == "ObservedProperties":
            p = schema.parameters
            parameter = c.execute(sa.select(p).where(p.c.id == key)).mappings().one()
            row = proj.observed_property_row(parameter, self._override_row(set_name, key))
            return {k: row[k] for k in ("name", "definition", "description", "properties")}
        if set_name == "Datastreams":
            s = schema.series
            series = c.execute(sa.select(s).where(s.c.id == key)).mappings().one()
            site = (
                c.execute(sa.select(schema.sites).where(schema.sites.c.id == series["site_id"]))
                .mappings()
                .one()
            )
            parameter = (
                c.execute(
                    sa.select(schema.parameters).where(
                        schema.parameters.c.id == series["parameter_id"]
                    )
                )
                .mappings()
                .one()
            )
            row = proj.datastream_row(
                series, site, parameter, self._override_row(set_name, key), 0, None
            )
            return {
                "name": row["name"],
                "description": row["description"],
                "unitOfMeasurement": row["unit"],
                "observationType": row["observation_type"],
                "properties": row["properties"],
            }
        o = schema.sta_objects
        obj = c.execute(sa.select(o).where(o.c.id == key)).mappings().one()
        if not obj["auto"]:
            return dict(obj["doc"] or {})
        if set_name == "Sensors":
            owner = (
                c.execute(
                    sa.select(schema.parameters).where(
                        schema.parameters.c.id == obj["parameter_id"]
                    )
                )
                .mappings()
                .first()
            )
            row = proj.sensor_row(obj, owner)
            return {
                "name": row["name"],
                "description": row["description"],
                "encodingType": row["encoding_type"],
                "metadata": row["metadata"],
                "properties": row["properties"],
            }
        place = (
            c.execute(sa.select(schema.sites).where(schema.sites.c.id == obj["site_id"]))
            .mappings()
            .first()
        )
        if set_name == "Locations":
            row = proj.location_row(obj, place)
            return {"name": row["name"], "description": row["description"],
                    "encodingType": row["encoding_type"], "location": row["location"],
                    "properties": row["properties"]}  # fmt: skip
        row = proj.feature_row(obj, place)
        return {"name": row["name"], "description": row["description"],
                "encodingType": row["encoding_type"], "feature": row["feature"],
                "properties": row["properties"]}  # fmt: skip

    def _row(self, table: sa.Table, key: Any, column: str = "id") -> dict[str, Any]:
        found = self.conn.execute(sa.select(table).where(table.c[column] == key)).mappings().first()
        if found is None:
            raise NotFoundError(f"{table.name} row {key} does not exist")
        return dict(found)

    def _override_row(self, set_name: str, key: int) -> dict[str, Any] | None:
        doc = self._override_doc(set_name, key)
        return {"doc": doc} if doc else None

    def _merged(
        self, set_name: str, key: int, body: Mapping[str, Any], replace: bool
    ) -> dict[str, Any]:
        fields = _DOC_FIELDS[set_name]
        current = {} if replace else self._current(set_name, key)
        return {
            k: body[k] if k in body else current.get(k) for k in fields if k in body or k in current
        }

    def _update_override(
        self, set_name: str, key: int, body: Mapping[str, Any], replace: bool
    ) -> None:
        self._check_texts(BY_SET[set_name].entity, body, ("name", "description"))
        doc = self._override_doc(set_name, key)
        merged = self._merged(set_name, key, body, replace)
        if set_name == "Datastreams":
            self._check_datastream_links(key, body)
            if "Sensor" in body:
                doc["sensor"] = self.link_or_create("Sensors", body["Sensor"])
            self._override(
                set_name,
                key,
                {**{k: v for k, v in doc.items() if k in ("sensor", "feature")}, **merged},
            )
            return
        self._override(set_name, key, merged)
        if set_name == "Things":
            values: dict[str, Any] = {"updated_at": _now()}
            if isinstance(body.get("name"), str):
                values["name_zh"] = body["name"][:200]
            properties = body.get("properties")
            if isinstance(properties, Mapping) and "kind" in properties:
                values["kind"] = self._site_kind(properties["kind"])
            self.conn.execute(
                schema.sites.update().where(schema.sites.c.id == key).values(**values)
            )
            if "Locations" in body:
                self._set_locations(
                    key,
                    [self.link_or_create("Locations", i) for i in self._many(body, "Locations")],
                )
            for item in self._many(body, "Datastreams"):
                self._nested_new("Datastreams", item, {"Thing": {"@iot.id": key}})

    def _check_datastream_links(self, key: int, body: Mapping[str, Any]) -> None:
        s = schema.series
        series = self.conn.execute(sa.select(s).where(s.c.id == key)).mappings().one()
        for name, set_name, column in (
            ("Thing", "Things", "site_id"),
            ("ObservedProperty", "ObservedProperties", "parameter_id"),
        ):
            if body.get(name) is None:
                continue
            wanted = self.link_or_create(set_name, body[name])
            if wanted != series[column]:
                raise InputError(
                    f"Datastreams({key}) cannot move to another {name}: its observations belong "
                    f"to {set_name}({series[column]}); create a new Datastream instead"
                )
        properties = body.get("properties")
        if (
            isinstance(properties, Mapping)
            and "period" in properties
            and period_of(properties) != Period(series["period"])
        ):
            raise InputError(
                f"Datastreams({key}) keeps its averaging period {Period(series['period']).label}"
            )

    def _update_object(
        self, set_name: str, key: int, body: Mapping[str, Any], replace: bool
    ) -> None:
        entity = BY_SET[set_name].entity
        self._check_texts(entity, body, ("name", "description", "encodingType"))
        merged = self._merged(set_name, key, body, replace)
        o = schema.sta_objects
        self.conn.execute(o.update().where(o.c.id == key).values(doc=merged, auto=False))
        if set_name == "Locations":
            link = schema.sta_links
            if "Things" in body:
                wanted = [self.link_or_create("Things", i) for i in self._many(body, "Things")]
                current = (
                    self.conn.execute(
                        sa.select(link.c.source_id).where(
                            link.c.kind == proj.THING_LOCATION, link.c.target_id == key
                        )
                    )
                    .scalars()
                    .all()
                )
                for site_id in set(current) - set(wanted):
                    rest = [i for i in self._linked_locations(site_id) if i != key]
                    self._set_locations(site_id, rest)
                for site_id in wanted:
                    if site_id not in current:
                        self._set_locations(site_id, [*self._linked_locations(site_id), key])
            if "location" in body:
                sites = (
                    self.conn.execute(
                        sa.select(link.c.source_id).where(
                            link.c.kind == proj.THING_LOCATION, link.c.target_id == key
                        )
                    )
                    .scalars()
                    .all()
                )
                for site_id in sites:
                    self._position_site(site_id, key)

    def _update_historical_location(self, key: int, body: Mapping[str, Any]) -> None:
        o, link = schema.sta_objects, schema.sta_links
        values: dict[str, Any] = {}
        if "time" in body:
            values["time"] = parse_instant(body["time"], "HistoricalLocation.time")
        if body.get("Thing") is not None:
            values["site_id"] = self.link_or_create("Things", body["Thing"])
        if values:
            self.conn.execute(o.update().where(o.c.id == key).values(**values))
        if "Locations" in body:
            wanted = [self.link_or_create("Locations", i) for i in self._many(body, "Locations")]
            self.conn.execute(
                link.delete().where(
                    link.c.kind == proj.HISTORICAL_LOCATION_LINK, link.c.source_id == key
                )
            )
            if wanted:
                self.conn.execute(
                    link.insert(),
                    [{"kind": proj.HISTORICAL_LOCATION_LINK, "source_id": key, "target_id": i}
                     for i in dict.fromkeys(wanted)],
                )  # fmt: skip

    def _update_observation(self, key: int, body: Mapping[str, Any]) -> None:
        series_id, time = split_observation_id(key)
        if (
            "phenomenonTime" in body
            and parse_instant(body["phenomenonTime"], "phenomenonTime") != time
        ):
            raise InputError(
                "an Observation's phenomenonTime is part of its identity; delete it and create "
                "a new one"
            )
        if (
            body.get("Datastream") is not None
            and self.link_or_create("Datastreams", body["Datastream"]) != series_id
        ):
            raise InputError("an Observation cannot move to another Datastream")
        for name in ("resultTime", "validTime", "parameters", "FeatureOfInterest"):
            if body.get(name) is not None:
                raise InputError(f"Observation.{name} cannot be changed in ecodata")
        if "result" not in body and "resultQuality" not in body:
            return
        self.changes.observations.append(
            NewObservation(
                series_id,
                time,
                numeric_result(body["result"]) if "result" in body else None,
                body.get("resultQuality"),
                replace=True,
            )
        )

    # -- deleting ---------------------------------------------------------------------------------

    def delete(self, set_name: str, key: int) -> int:
        """Delete an entity and what cannot exist without it (18-088 §10.4)."""
        if not self.exists(set_name, key):
            raise NotFoundError(f"{set_name}({key}) does not exist")
        c = self.conn
        o, link, s = schema.sta_objects, schema.sta_links, schema.series
        if set_name == "Observations":
            series_id, time = split_observation_id(key)
            self.changes.deleted_observations.append((series_id, time))
        elif set_name == "Datastreams":
            self._delete_series([key])
        elif set_name == "Things":
            series = c.execute(sa.select(s.c.id).where(s.c.site_id == key)).scalars().all()
            self._delete_series(list(series))
            historical = (
                c.execute(
                    sa.select(o.c.id).where(
                        o.c.kind == proj.HISTORICAL_LOCATION, o.c.site_id == key
                    )
                )
                .scalars()
                .all()
            )
            self._delete_objects(list(historical))
            auto = c.execute(sa.select(o.c.id).where(o.c.site_id == key, o.c.auto)).scalars().all()
            self._delete_objects(list(auto))
            c.execute(
                link.delete().where(link.c.kind == proj.THING_LOCATION, link.c.source_id == key)
            )
            self._delete_override("Things", key)
            c.execute(schema.sites.delete().where(schema.sites.c.id == key))
        elif set_name == "ObservedProperties":
            series = c.execute(sa.select(s.c.id).where(s.c.parameter_id == key)).scalars().all()
            self._delete_series(list(series))
            auto = (
                c.execute(sa.select(o.c.id).where(o.c.parameter_id == key, o.c.auto))
                .scalars()
                .all()
            )
            self._delete_objects(list(auto))
            self._delete_override("ObservedProperties", key)
            c.execute(schema.parameters.delete().where(schema.parameters.c.id == key))
        elif set_name == "Sensors":
            self._delete_series(self._series_of("sensor", key))
            self._delete_objects([key])
        elif set_name == "FeaturesOfInterest":
            for series_id in self._series_of("feature", key):
                self.changes.deleted_series.append(series_id)  # observations only
            self._delete_objects([key])
        else:  # Locations, HistoricalLocations
            self._delete_objects([key])
        if set_name != "Observations":
            self.changes.registry = True
        self.changes.deleted.append((set_name, key))
        return key

    def _series_of(self, member: str, key: int) -> list[int]:
        """Series whose Datastream names Sensor/FeatureOfInterest ``key``, set or derived."""
        o, s, over = schema.sta_objects, schema.series, schema.sta_overrides
        obj = self.conn.execute(sa.select(o).where(o.c.id == key)).mappings().one()
        found: set[int] = set()
        for row in self.conn.execute(
            sa.select(over.c.key, over.c.doc).where(over.c.kind == "Datastream")
        ):
            if (row.doc or {}).get(member) == key:
                found.add(int(row.key))
        if obj["auto"]:
            column = s.c.parameter_id if member == "sensor" else s.c.site_id
            owner = obj["parameter_id"] if member == "sensor" else obj["site_id"]
            for series_id in self.conn.execute(sa.select(s.c.id).where(column == owner)).scalars():
                doc = self._override_doc("Datastreams", int(series_id))
                if doc.get(member) is None:
                    found.add(int(series_id))
        return sorted(found)

    def _delete_series(self, series_ids: Sequence[int]) -> None:
        if not series_ids:
            return
        ids = list(series_ids)
        c = self.conn
        over = schema.sta_overrides
        c.execute(over.delete().where(over.c.kind == "Datastream", over.c.key.in_(ids)))
        membership = schema.metadata.tables.get("dataset_series")
        if membership is not None:
            c.execute(membership.delete().where(membership.c.series_id.in_(ids)))
        c.execute(schema.series.delete().where(schema.series.c.id.in_(ids)))
        self.changes.deleted_series.extend(ids)

    def _delete_objects(self, ids: Sequence[int]) -> None:
        if not ids:
            return
        link, o = schema.sta_links, schema.sta_objects
        self.conn.execute(link.delete().where(link.c.target_id.in_(ids)))
        self.conn.execute(
            link.delete().where(
                link.c.source_id.in_(ids), link.c.kind == proj.HISTORICAL_LOCATION_LINK
            )
        )
        self.conn.execute(o.delete().where(o.c.id.in_(ids)))

    def _delete_override(self, set_name: str, key: int) -> None:
        o = schema.sta_overrides
        self.conn.execute(o.delete().where(o.c.kind == _OVERRIDE_KIND[set_name], o.c.key == key))


def _file_in_catalog(conn: sa.Connection, series_ids: Sequence[int]) -> None:
    """File new series in their catalog dataset (access control joins on it)."""
    from ecodata.store import membership

    membership.assign(conn, list(series_ids))
