"""The :class:`~ecodata.protocols.odata.EntityModel` of ecodata's SensorThings service: the read
tables of :mod:`ecodata.sensorthings.tables` plus the observation table, described for the query
compiler.

Access control is part of the model: with a set of readable series, the Datastreams and the
Observations entity sets *are* the readable rows (their selectables carry the condition), so every
path, ``$filter`` hop and ``$expand`` is restricted inside the SQL, never by filtering results.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from functools import cache
from typing import Any

from sqlalchemy import ColumnElement, FromClause, and_, cast, false, literal, null, select
from sqlalchemy import DateTime as SaDateTime

from ecodata.protocols.odata import (
    EntityModel,
    EntitySet,
    Interval,
    Json,
    Navigation,
    Point,
    Scalar,
    ValueType,
    many_to_many,
    to_many,
    to_one,
)
from ecodata.sensorthings import tables as t
from ecodata.sensorthings.ids import SHIFT, split_observation_id


def observation_id_expr(table: FromClause) -> ColumnElement[Any]:
    return table.c.series_id * literal(SHIFT) + t.EpochSeconds(table.c.time)


def _observation_keys(table: FromClause, ids: Sequence[Any]) -> ColumnElement[bool]:
    """``id IN ids`` as (series_id, time) conditions the (series_id, time) index serves."""
    keys = []
    for value in ids:
        if not isinstance(value, int) or value <= 0:
            return false()
        keys.append(split_observation_id(value))
    if not keys:
        return false()
    series = sorted({s for s, _ in keys})
    times = [time for _, time in keys]
    return and_(
        table.c.series_id.in_(series),
        table.c.time >= min(times),
        table.c.time <= max(times),
        observation_id_expr(table).in_([literal(i) for i in ids]),
    )


def _observation_feature(observations: FromClause, link: FromClause) -> ColumnElement[bool]:
    return link.c.id == observations.c.series_id


def _feature_observations(feature: FromClause, link: FromClause) -> ColumnElement[bool]:
    return link.c.feature_id == feature.c.id


def _null_time(_table: FromClause) -> ColumnElement[Any]:
    return cast(null(), SaDateTime(timezone=True))


def build_model(datasets: Collection[int] | None = None) -> EntityModel:
    """The entity model; ``datasets`` (catalog dataset ids) restricts Datastreams and
    Observations to the series of those datasets."""
    datastreams: FromClause = t.datastreams
    observations: FromClause = t.observations
    if datasets is not None:
        allowed = t.datastreams.c.dataset_id.in_(sorted(datasets))
        datastreams = select(t.datastreams).where(allowed).subquery("ds")
        readable = select(t.datastreams.c.id).where(allowed)
        observations = (
            select(t.observations).where(t.observations.c.series_id.in_(readable)).subquery("obs")
        )
    string = ValueType.STRING
    return EntityModel(
        {
            "Things": EntitySet(
                "Things",
                "Thing",
                t.things,
                {
                    "name": Scalar("name", string),
                    "description": Scalar("description", string),
                    "properties": Json("properties"),
                },
                {
                    "Locations": many_to_many(
                        "Locations", t.thing_locations, "thing_id", "location_id"
                    ),
                    "HistoricalLocations": to_many("HistoricalLocations", "thing_id"),
                    "Datastreams": to_many("Datastreams", "thing_id"),
                },
            ),
            "Locations": EntitySet(
                "Locations",
                "Location",
                t.locations,
                {
                    "name": Scalar("name", string),
                    "description": Scalar("description", string),
                    "encodingType": Scalar("encoding_type", string),
                    "location": Point("longitude", "latitude"),
                    "properties": Json("properties"),
                },
                {
                    "Things": many_to_many("Things", t.thing_locations, "location_id", "thing_id"),
                    "HistoricalLocations": many_to_many(
                        "HistoricalLocations",
                        t.historical_location_locations,
                        "location_id",
                        "historical_location_id",
                    ),
                },
            ),
            "HistoricalLocations": EntitySet(
                "HistoricalLocations",
                "HistoricalLocation",
                t.historical_locations,
                {"time": Scalar("time", ValueType.DATETIME)},
                {
                    "Thing": to_one("Things", "thing_id"),
                    "Locations": many_to_many(
                        "Locations",
                        t.historical_location_locations,
                        "historical_location_id",
                        "location_id",
                    ),
                },
            ),
            "Datastreams": EntitySet(
                "Datastreams",
                "Datastream",
                datastreams,
                {
                    "name": Scalar("name", string),
                    "description": Scalar("description", string),
                    "unitOfMeasurement": Json("unit"),
                    "observationType": Scalar("observation_type", string),
                    "phenomenonTime": Interval("phenomenon_start", "phenomenon_end"),
                    "resultTime": Scalar(_null_time, ValueType.DATETIME),
                    "properties": Json("properties"),
                },
                {
                    "Thing": to_one("Things", "thing_id"),
                    "Sensor": to_one("Sensors", "sensor_id"),
                    "ObservedProperty": to_one("ObservedProperties", "observed_property_id"),
                    "Observations": to_many("Observations", "series_id"),
                },
            ),
            "Sensors": EntitySet(
                "Sensors",
                "Sensor",
                t.sensors,
                {
                    "name": Scalar("name", string),
                    "description": Scalar("description", string),
                    "encodingType": Scalar("encoding_type", string),
                    "metadata": Scalar("metadata", string),
                    "properties": Json("properties"),
                },
                {"Datastreams": to_many("Datastreams", "sensor_id")},
            ),
            "ObservedProperties": EntitySet(
                "ObservedProperties",
                "ObservedProperty",
                t.observed_properties,
                {
                    "name": Scalar("name", string),
                    "definition": Scalar("definition", string),
                    "description": Scalar("description", string),
                    "properties": Json("properties"),
                },
                {"Datastreams": to_many("Datastreams", "observed_property_id")},
            ),
            "Observations": EntitySet(
                "Observations",
                "Observation",
                observations,
                {
                    "phenomenonTime": Scalar("time", ValueType.DATETIME),
                    "resultTime": Scalar(_null_time, ValueType.DATETIME),
                    "validTime": Scalar(_null_time, ValueType.DATETIME),
                    "result": Scalar("value", ValueType.NUMBER),
                    "resultQuality": Scalar("flag", string),
                },
                {
                    "Datastream": to_one("Datastreams", "series_id"),
                    "FeatureOfInterest": Navigation(
                        "FeaturesOfInterest",
                        False,
                        _observation_feature,
                        through=datastreams,
                        through_join=lambda link, feature: link.c.feature_id == feature.c.id,
                    ),
                },
                id=observation_id_expr,
                order_key=("series_id", "time"),
                key_filter=_observation_keys,
            ),
            "FeaturesOfInterest": EntitySet(
                "FeaturesOfInterest",
                "FeatureOfInterest",
                t.features,
                {
                    "name": Scalar("name", string),
                    "description": Scalar("description", string),
                    "encodingType": Scalar("encoding_type", string),
                    "feature": Point("longitude", "latitude"),
                    "properties": Json("properties"),
                },
                {
                    "Observations": Navigation(
                        "Observations",
                        True,
                        _feature_observations,
                        through=datastreams,
                        through_join=lambda link, obs: obs.c.series_id == link.c.id,
                    )
                },
            ),
        }
    )


@cache
def open_model() -> EntityModel:
    """The unrestricted model (built once)."""
    return build_model(None)
