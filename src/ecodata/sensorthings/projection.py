"""Registry rows → SensorThings entities (pure; no I/O).

The registry is the one source of truth: a Thing is a site, an ObservedProperty a parameter, a
Datastream a series, and ``sta_objects``/``sta_links``/``sta_overrides`` keep what STA adds.
:func:`project` turns a :class:`Snapshot` of those rows into the rows of the read tables
(:mod:`ecodata.sensorthings.tables`); :func:`missing_auto_objects` lists the derived Locations,
FeaturesOfInterest and Sensors the registry still lacks (created once, then stable ids).

Imported data get bilingual names and descriptions, ``unitOfMeasurement`` from the parameter unit
and ``ObservedProperty.definition`` from the HJ 212-2017 Appendix B code where one exists.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from ecodata.model import Period
from ecodata.sensorthings.entities import GEOJSON, OM_MEASUREMENT

Row = Mapping[Any, Any]

LOCATION = "Location"
SENSOR = "Sensor"
FEATURE = "FeatureOfInterest"
HISTORICAL_LOCATION = "HistoricalLocation"
THING_LOCATION = "thing_location"
HISTORICAL_LOCATION_LINK = "historical_location"

#: Site kinds (model.SiteKind) in Chinese and English, and what their feature of interest is.
_KINDS: dict[str, tuple[str, str, str, str]] = {
    "air": ("环境空气质量监测站", "ambient air-quality station", "环境空气", "ambient air"),
    "water": ("地表水监测断面", "surface-water monitoring section", "地表水体", "surface water"),
    "source-outlet": ("污染源排放口", "pollution-source outlet", "排放废气/废水", "emissions"),
    "radiation": ("辐射环境监测点", "radiation monitoring site", "环境辐射", "ambient radiation"),
    "soil": ("土壤监测点", "soil monitoring site", "土壤", "soil"),
    "noise": ("声环境监测点", "noise monitoring site", "声环境", "ambient noise"),
    "groundwater": ("地下水监测井", "groundwater monitoring well", "地下水", "groundwater"),
    "other": ("监测点", "monitoring site", "监测对象", "monitored feature"),
}

_PERIODS: dict[int, tuple[str, str]] = {
    Period.REALTIME: ("实时值", "real-time"),
    Period.MINUTE: ("分钟值", "minute"),
    Period.HOUR: ("小时值", "hourly"),
    Period.DAY: ("日值", "daily"),
    Period.MONTH: ("月值", "monthly"),
    Period.YEAR: ("年值", "yearly"),
}

_PERIOD_LABELS: dict[int, str] = {int(p): p.label for p in Period}

_QUDT = "http://qudt.org/vocab/unit/"
#: Unit symbols of the reference parameters → (name, QUDT unit URI).
UNITS: dict[str, tuple[str, str]] = {
    "µg/m³": ("microgram per cubic metre", _QUDT + "MicroGM-PER-M3"),
    "mg/m³": ("milligram per cubic metre", _QUDT + "MilliGM-PER-M3"),
    "°C": ("degree Celsius", _QUDT + "DEG_C"),
    "%": ("percent", _QUDT + "PERCENT"),
    "hPa": ("hectopascal", _QUDT + "HectoPA"),
    "m/s": ("metre per second", _QUDT + "M-PER-SEC"),
    "°": ("degree", _QUDT + "DEG"),
    "mm": ("millimetre", _QUDT + "MilliM"),
    "ppb": ("part per billion", _QUDT + "PPB"),
    "ppm": ("part per million", _QUDT + "PPM"),
    "mg/L": ("milligram per litre", _QUDT + "MilliGM-PER-L"),
    "µS/cm": ("microsiemens per centimetre", _QUDT + "MicroS-PER-CentiM"),
    "NTU": ("nephelometric turbidity unit", _QUDT + "NTU"),
    "": ("dimensionless", _QUDT + "UNITLESS"),
}


def definition_of(parameter: Row) -> str:
    """The ObservedProperty definition URI: the HJ 212-2017 Appendix B code where one exists."""
    if parameter.get("hj212_code"):
        return f"urn:cn:hj212-2017:pollutant:{parameter['hj212_code']}"
    return f"urn:ecodata:parameter:{parameter['code']}"


def unit_of(symbol: str) -> dict[str, str]:
    name, uri = UNITS.get(symbol, (symbol, ""))
    unit = {"name": name, "symbol": symbol}
    if uri:
        unit["definition"] = uri
    return unit


@dataclass(frozen=True)
class Snapshot:
    """The registry rows the projection reads (plain dicts, as SQLAlchemy mappings give them)."""

    sites: Sequence[Row] = ()
    parameters: Sequence[Row] = ()
    series: Sequence[Row] = ()
    objects: Sequence[Row] = ()
    links: Sequence[Row] = ()
    overrides: Sequence[Row] = ()
    datasets: Mapping[int, int] = field(default_factory=dict)  # series id → catalog dataset id


def site_label(site: Row) -> str:
    return str(site.get("name_zh") or site.get("name_en") or site["code"])


def _point(site: Row) -> dict[str, Any] | None:
    if site.get("longitude") is None or site.get("latitude") is None:
        return None
    return {"type": "Point", "coordinates": [site["longitude"], site["latitude"]]}


def _kind(site: Row) -> tuple[str, str, str, str]:
    return _KINDS.get(str(site.get("kind")), _KINDS["other"])


def _clean(values: Mapping[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in values.items() if v not in (None, "")}


def thing_row(site: Row, override: Row | None) -> dict[str, Any]:
    kind_zh, kind_en, _, _ = _kind(site)
    place = f"{site.get('province') or ''}{site.get('city') or ''}"
    name = site_label(site)
    description = (
        f"{kind_zh}{name}（{place or '—'}，编码 {site['code']}）/ {kind_en} "
        + (f"{site['name_en']} " if site.get("name_en") else "")
        + f"({site['code']})"
    )
    properties = _clean(
        {
            "code": site["code"],
            "kind": site.get("kind"),
            "name_zh": site.get("name_zh"),
            "name_en": site.get("name_en"),
            "province": site.get("province"),
            "city": site.get("city"),
            "divisionCode": site.get("division_code"),
            "status": site.get("status"),
        }
    ) | dict(site.get("attributes") or {})
    row = {"id": site["id"], "name": name, "description": description, "properties": properties}
    if override:
        doc = override["doc"]
        row |= {k: doc[k] for k in ("name", "description", "properties") if k in doc}
    return row


def _location_geometry(doc: Mapping[str, Any]) -> tuple[float | None, float | None]:
    """A representative point (longitude, latitude) of a GeoJSON location: the point itself, or
    the mean of the first ring/line's positions (spatial filters treat locations as points)."""
    geometry = doc.get("geometry") if doc.get("type") == "Feature" else doc
    if not isinstance(geometry, Mapping):
        return None, None
    coordinates = geometry.get("coordinates")
    positions: list[Any] = []
    while isinstance(coordinates, list) and coordinates and isinstance(coordinates[0], list):
        positions, coordinates = coordinates, coordinates[0]
    if isinstance(coordinates, list) and len(coordinates) >= 2 and not positions:
        positions = [coordinates]
    try:
        points = [(float(p[0]), float(p[1])) for p in positions]
    except (TypeError, ValueError, IndexError):
        return None, None
    if not points:
        return None, None
    return sum(p[0] for p in points) / len(points), sum(p[1] for p in points) / len(points)


def geometry_point(doc: Any) -> tuple[float | None, float | None]:
    return _location_geometry(doc) if isinstance(doc, Mapping) else (None, None)


def location_row(obj: Row, site: Row | None) -> dict[str, Any]:
    doc = dict(obj["doc"] or {})
    if obj["auto"] and site is not None:
        name = site_label(site)
        doc = {
            "name": name,
            "description": f"{name}的位置 / position of {site['code']}",
            "encodingType": GEOJSON,
            "location": _point(site),
            "properties": {"site": site["code"]},
        }
    location = doc.get("location")
    longitude, latitude = geometry_point(location)
    return {
        "id": obj["id"],
        "name": doc.get("name", ""),
        "description": doc.get("description", ""),
        "encoding_type": doc.get("encodingType", GEOJSON),
        "location": location,
        "longitude": longitude,
        "latitude": latitude,
        "properties": doc.get("properties"),
    }


def feature_row(obj: Row, site: Row | None) -> dict[str, Any]:
    doc = dict(obj["doc"] or {})
    if obj["auto"] and site is not None:
        _, _, feature_zh, feature_en = _kind(site)
        name = site_label(site)
        doc = {
            "name": f"{name}{feature_zh}",
            "description": f"{name}监测点的{feature_zh} / {feature_en} at {site['code']}",
            "encodingType": GEOJSON,
            "feature": _point(site),
            "properties": {"site": site["code"]},
        }
    feature = doc.get("feature")
    longitude, latitude = geometry_point(feature)
    return {
        "id": obj["id"],
        "name": doc.get("name", ""),
        "description": doc.get("description", ""),
        "encoding_type": doc.get("encodingType", GEOJSON),
        "feature": feature,
        "longitude": longitude,
        "latitude": latitude,
        "properties": doc.get("properties"),
    }


def sensor_row(obj: Row, parameter: Row | None) -> dict[str, Any]:
    doc = dict(obj["doc"] or {})
    if obj["auto"] and parameter is not None:
        en = parameter.get("name_en") or parameter["code"]
        zh = parameter.get("name_zh") or en
        doc = {
            "name": f"{en} analyser",
            "description": f"{zh}自动监测仪器 / automatic analyser of {en}",
            "encodingType": "text/plain",
            "metadata": f"method and instrument as reported with each {parameter['code']} value",
            "properties": {"parameter": parameter["code"]},
        }
    return {
        "id": obj["id"],
        "name": doc.get("name", ""),
        "description": doc.get("description", ""),
        "encoding_type": doc.get("encodingType", ""),
        "metadata": doc.get("metadata", ""),
        "properties": doc.get("properties"),
    }


def observed_property_row(parameter: Row, override: Row | None) -> dict[str, Any]:
    en = parameter.get("name_en") or parameter["code"]
    zh = parameter.get("name_zh") or en
    unit = parameter.get("unit") or ""
    text = f"{zh} / {en}" + (f"，单位 unit {unit}" if unit else "")
    if parameter.get("description"):
        text += f". {parameter['description']}"
    row = {
        "id": parameter["id"],
        "name": en,
        "definition": definition_of(parameter),
        "description": text,
        "properties": _clean(
            {
                "code": parameter["code"],
                "name_zh": parameter.get("name_zh"),
                "domain": parameter.get("domain"),
                "unit": unit,
                "hj212Code": parameter.get("hj212_code"),
                "published": bool(parameter.get("published")),
            }
        ),
    }
    if override:
        doc = override["doc"]
        row |= {k: doc[k] for k in ("name", "definition", "description", "properties") if k in doc}
    return row


def datastream_row(
    series: Row,
    site: Row,
    parameter: Row,
    override: Row | None,
    sensor_id: int,
    feature_id: int | None,
    dataset_id: int | None = None,
    *,
    shared: dict[Any, Any] | None = None,
) -> dict[str, Any]:
    """One Datastream; ``shared`` (optional) lets rows of one projection share the site's point
    and the parameter's unit document instead of building them again."""
    period = int(series["period"])
    period_zh, period_en = _PERIODS.get(period, ("", str(period)))
    en = parameter.get("name_en") or parameter["code"]
    zh = parameter.get("name_zh") or en
    label = site_label(site)
    doc = dict(override["doc"]) if override else {}
    memo = {} if shared is None else shared
    point_key, unit_key = ("point", site["id"]), ("unit", parameter["id"])
    if point_key not in memo:
        memo[point_key] = _point(site)
    if unit_key not in memo:
        memo[unit_key] = unit_of(str(parameter.get("unit") or ""))
    start: datetime | None = series.get("first_time")
    end: datetime | None = series.get("last_time")
    return {
        "id": series["id"],
        "name": doc.get("name", f"{label} {en} ({period_en})"),
        "description": doc.get(
            "description",
            f"{label}{zh}{period_zh} / {period_en} {en} at {site['code']}",
        ),
        "unit": doc.get("unitOfMeasurement", memo[unit_key]),
        "observation_type": doc.get("observationType", OM_MEASUREMENT),
        "observed_area": memo[point_key],
        "phenomenon_start": start,
        "phenomenon_end": end,
        "properties": doc.get(
            "properties",
            {
                "site": site["code"],
                "parameter": parameter["code"],
                "period": _PERIOD_LABELS.get(period, period),
            },
        ),
        "thing_id": site["id"],
        "sensor_id": int(doc.get("sensor", sensor_id)),
        "observed_property_id": parameter["id"],
        "feature_id": doc.get("feature", feature_id),
        "dataset_id": dataset_id,
    }


def _auto(objects: Sequence[Row], kind: str, key: str) -> dict[int, Row]:
    return {o[key]: o for o in objects if o["kind"] == kind and o["auto"] and o[key] is not None}


def _auto_object(
    kind: str, *, site_id: int | None = None, parameter_id: int | None = None
) -> dict[str, Any]:
    return {
        "kind": kind,
        "site_id": site_id,
        "parameter_id": parameter_id,
        "auto": True,
        "time": None,
        "doc": {},
    }


def missing_auto_objects(snapshot: Snapshot) -> list[dict[str, Any]]:
    """``sta_objects`` rows still to create: a Location (linked to its site) for every site with
    coordinates and no Location yet, a FeatureOfInterest for every site with coordinates, a Sensor
    for every parameter with series."""
    objects = snapshot.objects
    auto_locations = _auto(objects, LOCATION, "site_id")
    auto_features = _auto(objects, FEATURE, "site_id")
    auto_sensors = _auto(objects, SENSOR, "parameter_id")
    located = {link["source_id"] for link in snapshot.links if link["kind"] == THING_LOCATION}
    out: list[dict[str, Any]] = []
    for site in snapshot.sites:
        if _point(site) is None:
            continue
        if site["id"] not in auto_locations and site["id"] not in located:
            out.append(_auto_object(LOCATION, site_id=site["id"]))
        if site["id"] not in auto_features:
            out.append(_auto_object(FEATURE, site_id=site["id"]))
    for parameter_id in sorted({s["parameter_id"] for s in snapshot.series}):
        if parameter_id not in auto_sensors:
            out.append(_auto_object(SENSOR, parameter_id=parameter_id))
    return out


def project(snapshot: Snapshot) -> dict[str, list[dict[str, Any]]]:
    """Rows of every read table (keyed by table name) for the registry in ``snapshot``."""
    sites = {s["id"]: s for s in snapshot.sites}
    parameters = {p["id"]: p for p in snapshot.parameters}
    overrides = {(o["kind"], o["key"]): o for o in snapshot.overrides}
    objects = snapshot.objects
    auto_sensors = _auto(objects, SENSOR, "parameter_id")
    auto_features = _auto(objects, FEATURE, "site_id")
    out: dict[str, list[dict[str, Any]]] = {
        "sta_things": [thing_row(s, overrides.get(("Thing", s["id"]))) for s in snapshot.sites],
        "sta_observed_properties": [
            observed_property_row(p, overrides.get(("ObservedProperty", p["id"])))
            for p in snapshot.parameters
        ],
        "sta_locations": [],
        "sta_features": [],
        "sta_sensors": [],
        "sta_historical_locations": [],
        "sta_datastreams": [],
    }
    for obj in objects:
        if obj["kind"] == LOCATION:
            out["sta_locations"].append(location_row(obj, sites.get(obj["site_id"])))
        elif obj["kind"] == FEATURE:
            out["sta_features"].append(feature_row(obj, sites.get(obj["site_id"])))
        elif obj["kind"] == SENSOR:
            out["sta_sensors"].append(sensor_row(obj, parameters.get(obj["parameter_id"])))
        elif obj["kind"] == HISTORICAL_LOCATION and obj["site_id"] in sites:
            out["sta_historical_locations"].append(
                {"id": obj["id"], "thing_id": obj["site_id"], "time": obj["time"]}
            )
    kinds = {o["id"]: o["kind"] for o in objects}
    out["sta_thing_locations"] = [
        {"thing_id": link["source_id"], "location_id": link["target_id"]}
        for link in snapshot.links
        if link["kind"] == THING_LOCATION
        and link["source_id"] in sites
        and kinds.get(link["target_id"]) == LOCATION
    ]
    out["sta_historical_location_locations"] = [
        {"historical_location_id": link["source_id"], "location_id": link["target_id"]}
        for link in snapshot.links
        if link["kind"] == HISTORICAL_LOCATION_LINK
        and kinds.get(link["source_id"]) == HISTORICAL_LOCATION
        and kinds.get(link["target_id"]) == LOCATION
    ]
    shared: dict[Any, Any] = {}
    for series in snapshot.series:
        site = sites.get(series["site_id"])
        parameter = parameters.get(series["parameter_id"])
        sensor = auto_sensors.get(series["parameter_id"])
        if site is None or parameter is None or sensor is None:
            continue  # created concurrently; the next projection has it
        feature = auto_features.get(site["id"])
        out["sta_datastreams"].append(
            datastream_row(
                series,
                site,
                parameter,
                overrides.get(("Datastream", series["id"])),
                sensor["id"],
                feature["id"] if feature else None,
                snapshot.datasets.get(series["id"]),
                shared=shared,
            )
        )
    return out
