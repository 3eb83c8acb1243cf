"""Checking the JSON of SensorThings create and update requests (pure)."""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from ecodata.errors import InputError
from ecodata.model import Period
from ecodata.sensorthings.entities import EntityKind

_CODE = re.compile(r"[^a-z0-9]+")


def parse_instant(value: Any, field: str) -> datetime:
    """An ISO 8601 date-time with offset (``Z`` allowed) → aware UTC; an interval ``a/b`` gives
    its start."""
    if not isinstance(value, str) or not value:
        raise InputError(f"{field} must be an ISO 8601 date-time string, got {value!r}")
    text = value.split("/", 1)[0].strip()
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        raise InputError(f"{field} {value!r} is not an ISO 8601 date-time") from None
    if parsed.tzinfo is None:
        raise InputError(f"{field} {value!r} needs a UTC offset (e.g. Z or +08:00)")
    return parsed.astimezone(UTC)


def check_fields(kind: EntityKind, body: Mapping[str, Any], *, mandatory: bool) -> None:
    """Refuse unknown members and, for a create (or PUT), missing mandatory ones."""
    if not isinstance(body, Mapping):
        raise InputError(f"a {kind.entity} must be a JSON object, got {type(body).__name__}")
    known = {p.name for p in kind.props} | {n.name for n in kind.navs}
    for key in body:
        if key.startswith("@iot.") or key.endswith("@iot.navigationLink") or key in known:
            continue
        if key.endswith(("@iot.count", "@iot.nextLink")):
            continue
        raise InputError(
            f"{kind.entity} has no property '{key}'; known: {', '.join(sorted(known))}"
        )
    if mandatory:
        missing = [name for name in kind.mandatory if body.get(name) is None]
        if missing:
            raise InputError(f"{kind.entity} lacks mandatory {', '.join(missing)} (18-088 §8.2)")


def text(body: Mapping[str, Any], name: str, entity: str) -> str:
    value = body.get(name)
    if not isinstance(value, str):
        raise InputError(f"{entity}.{name} must be a string, got {value!r}")
    return value


def mapping(body: Mapping[str, Any], name: str, entity: str) -> dict[str, Any] | None:
    value = body.get(name)
    if value is None:
        return None
    if not isinstance(value, Mapping):
        raise InputError(f"{entity}.{name} must be a JSON object, got {value!r}")
    return dict(value)


def numeric_result(value: Any) -> float | None:
    """The result of an observation as stored (a number, or null)."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise InputError(
            f"result {value!r} is not a number; ecodata stores numeric results (OM_Measurement)"
        )
    number = float(value)
    if not math.isfinite(number):
        raise InputError(f"result {value!r} is not a finite number")
    return number


def period_of(properties: Mapping[str, Any] | None) -> Period:
    """The averaging period of a new Datastream: ``properties.period`` (hour, day, …)."""
    raw = (properties or {}).get("period", Period.REALTIME.label)
    try:
        return Period.parse(raw)
    except (ValueError, TypeError):
        raise InputError(
            f"properties.period {raw!r} is not a period; use one of "
            + ", ".join(p.label for p in Period)
        ) from None


def code_from(name: str, prefix: str) -> str:
    """A registry code from a free name (``PM2.5 (raw)`` → ``sta_pm2_5_raw``)."""
    slug = _CODE.sub("_", name.lower()).strip("_")[:48]
    return f"{prefix}{slug or 'x'}"


def entity_id(item: Any, entity: str) -> int | None:
    """``@iot.id`` of a reference ``{"@iot.id": 5}`` (also ``id``); ``None`` for a new entity."""
    if not isinstance(item, Mapping):
        raise InputError(f"{entity} must be a JSON object, got {item!r}")
    raw = item.get("@iot.id", item.get("id"))
    if raw is None:
        return None
    if isinstance(raw, bool) or not isinstance(raw, int | str):
        raise InputError(f"{entity} @iot.id {raw!r} is not an id")
    try:
        return int(raw)
    except ValueError:
        raise InputError(f"{entity} @iot.id {raw!r} is not an integer id") from None
