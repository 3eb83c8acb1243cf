"""Stored rows → SensorThings JSON (pure; OGC 18-088 §9.2 entity representation, §14.3
dataArray).

Every entity carries ``@iot.id``, ``@iot.selfLink`` and a ``<Nav>@iot.navigationLink`` per
navigation property; ``$select`` keeps only the named properties (``id`` for ``@iot.id``,
``selfLink`` for ``@iot.selfLink``) and JSON sub-paths (``properties/owner``).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from functools import cache
from typing import Any

from ecodata.sensorthings.entities import (
    CONFORMANCE,
    KINDS,
    MQTT_CREATE,
    MQTT_RECEIVE,
    EntityKind,
    Prop,
    Render,
)

Select = Sequence[tuple[str, ...]]

#: Default components of ``$resultFormat=dataArray`` (18-088 §14.3.1 example).
DATA_ARRAY_COMPONENTS = ("id", "phenomenonTime", "result", "resultTime")


def iso(value: datetime | None) -> str | None:
    """A UTC instant in ISO 8601 with ``Z`` (fractions only when present)."""
    if value is None:
        return None
    if value.tzinfo is not None:
        value = value.astimezone(UTC).replace(tzinfo=None)
    text = value.isoformat()
    if value.microsecond:
        text = text.rstrip("0")
    return text + "Z"


def json_value(value: Any) -> Any:
    """A stored JSON document as JSON (text parsed; a value that is not JSON text as is)."""
    if isinstance(value, str | bytes):
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


def prop_value(prop: Prop, row: Mapping[Any, Any]) -> Any:
    """The JSON value of one property of a stored row."""
    if prop.render is Render.NULL:
        return None
    if prop.render is Render.INTERVAL:
        assert isinstance(prop.column, tuple)
        start_col, end_col = prop.column
        start, end = iso(row.get(start_col)), iso(row.get(end_col))
        if start is None:
            return None
        return f"{start}/{end or start}"
    if prop.render is Render.PARAMETERS:
        assert isinstance(prop.column, tuple)
        qc_col, run_col = prop.column
        return {"qc": row.get(qc_col), "importRun": row.get(run_col)}
    assert isinstance(prop.column, str)
    value = row.get(prop.column)
    if prop.render is Render.INSTANT:
        return iso(value)
    if prop.render is Render.JSON:
        return json_value(value)
    return value


Getter = Callable[[Mapping[Any, Any]], Any]


def _getter(prop: Prop) -> Getter:
    """A function reading one property from a row (the hot path of collection pages)."""
    column = prop.column
    if prop.render is Render.PLAIN and isinstance(column, str):
        return lambda row: row[column]
    if prop.render is Render.INSTANT and isinstance(column, str):
        return lambda row: iso(row[column])
    if prop.render is Render.NULL:
        return lambda _row: None
    return lambda row: prop_value(prop, row)


@cache
def _getters(set_name: str) -> tuple[tuple[str, Getter], ...]:
    kind = next(k for k in KINDS if k.set == set_name)
    return tuple((prop.name, _getter(prop)) for prop in kind.props)


def self_link(base: str, kind: EntityKind, entity_id: Any) -> str:
    key = f"'{entity_id}'" if isinstance(entity_id, str) else str(entity_id)
    return f"{base}/{kind.set}({key})"


def _selected(select: Select) -> dict[str, list[tuple[str, ...]]]:
    """``$select`` paths by their first segment (sub-paths of JSON properties kept)."""
    chosen: dict[str, list[tuple[str, ...]]] = {}
    for path in select:
        chosen.setdefault(path[0], [])
        if len(path) > 1:
            chosen[path[0]].append(path[1:])
    return chosen


def _pick(value: Any, paths: list[tuple[str, ...]]) -> Any:
    """Only the JSON members named by ``paths`` (``properties/owner``)."""
    if not paths or not isinstance(value, Mapping):
        return value
    out: dict[str, Any] = {}
    for path in paths:
        if path[0] in value:
            inner = _pick(value[path[0]], [path[1:]] if len(path) > 1 else [])
            out[path[0]] = inner
    return out


def render_entity(
    kind: EntityKind,
    row: Mapping[Any, Any],
    base: str,
    *,
    select: Select = (),
    expanded: Mapping[Any, Any] | None = None,
) -> dict[str, Any]:
    """One entity; ``expanded`` maps navigation names to already rendered related entities."""
    entity_id = row["id"]
    link = self_link(base, kind, entity_id)
    chosen = _selected(select) if select and ("*",) not in select else None
    expanded = expanded or {}
    if chosen is None:  # the common case, kept short
        out: dict[str, Any] = {"@iot.id": entity_id, "@iot.selfLink": link}
        for name, getter in _getters(kind.set):
            out[name] = getter(row)
        for nav in kind.navs:
            out[nav.link_name] = link + nav.link_suffix
            if nav.name in expanded:
                _put_expanded(out, nav.name, expanded[nav.name])
        return out
    out = {}
    if "id" in chosen:
        out["@iot.id"] = entity_id
    if "selfLink" in chosen or "@iot.selfLink" in chosen:
        out["@iot.selfLink"] = link
    for prop in kind.props:
        if prop.name in chosen:
            out[prop.name] = _pick(prop_value(prop, row), chosen[prop.name])
    for nav in kind.navs:
        if nav.name in chosen or nav.name in expanded:
            out[nav.link_name] = link + nav.link_suffix
        if nav.name in expanded:
            _put_expanded(out, nav.name, expanded[nav.name])
    return out


def _put_expanded(out: dict[str, Any], name: str, value: Any) -> None:
    if isinstance(value, ExpandedCollection):
        out[name] = value.items
        if value.count is not None:
            out[f"{name}@iot.count"] = value.count
        if value.next_link is not None:
            out[f"{name}@iot.nextLink"] = value.next_link
    else:
        out[name] = value


class ExpandedCollection:
    """Rendered members of an expanded to-many navigation, with its count and continuation."""

    __slots__ = ("count", "items", "next_link")

    def __init__(
        self, items: list[dict[str, Any]], count: int | None = None, next_link: str | None = None
    ) -> None:
        self.items = items
        self.count = count
        self.next_link = next_link


def data_array(
    rows: Sequence[Mapping[Any, Any]], base: str, select: Select = ()
) -> list[dict[str, Any]]:
    """Observations grouped by Datastream as 18-088 §14.3 dataArray documents."""
    observations = next(k for k in KINDS if k.set == "Observations")
    components = [p[0] for p in select] if select else list(DATA_ARRAY_COMPONENTS)
    for name in components:
        if name != "id" and observations.prop(name) is None:
            raise ValueError(name)
    groups: dict[int, list[list[Any]]] = {}
    for row in rows:
        values = []
        for name in components:
            prop = observations.prop(name)
            values.append(row["id"] if prop is None else prop_value(prop, row))
        groups.setdefault(int(row["series_id"]), []).append(values)
    return [
        {
            "Datastream@iot.navigationLink": f"{base}/Datastreams({series_id})",
            "components": components,
            "dataArray@iot.count": len(values),
            "dataArray": values,
        }
        for series_id, values in groups.items()
    ]


def landing_page(base: str, mqtt_endpoints: Sequence[str] = ()) -> dict[str, Any]:
    """The 18-088 §9.2.1 service root with ``serverSettings.conformance`` (v1.1)."""
    conformance = list(CONFORMANCE)
    settings: dict[str, Any] = {"conformance": conformance}
    if mqtt_endpoints:
        conformance.extend([MQTT_CREATE, MQTT_RECEIVE])
        settings[MQTT_CREATE] = {"endpoints": list(mqtt_endpoints)}
        settings[MQTT_RECEIVE] = {"endpoints": list(mqtt_endpoints)}
    return {
        "value": [{"name": k.set, "url": f"{base}/{k.set}"} for k in KINDS],
        "serverSettings": settings,
    }
