"""Region outlines, regular grids over them and GeoJSON output for maps.

Outlines come from the GeoJSON in ``../shared/data/regions/geojson`` (DataV GeoAtlas layout:
``properties.adcode`` and ``properties.name``). Distances are computed in a local equirectangular
projection around the region's centre (kilometres), accurate to well under 1 % over a province.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
from matplotlib.path import Path as MplPath

from ecodata.errors import InputError, NotFoundError

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]
EARTH_RADIUS_KM = 6371.0088

Ring = list[tuple[float, float]]


@dataclass(frozen=True)
class Region:
    """A named area: polygons, each a list of rings (first the outer ring, then holes)."""

    code: str
    name: str
    polygons: list[list[Ring]] = field(repr=False)

    @property
    def bounds(self) -> tuple[float, float, float, float]:
        """(min lon, min lat, max lon, max lat)."""
        points = np.array([p for poly in self.polygons for p in poly[0]], dtype=float)
        return (
            float(points[:, 0].min()),
            float(points[:, 1].min()),
            float(points[:, 0].max()),
            float(points[:, 1].max()),
        )

    def contains(self, lon: FloatArray, lat: FloatArray) -> BoolArray:
        """Which points fall inside the region (inside an outer ring and outside its holes)."""
        points = np.column_stack([np.asarray(lon, float).ravel(), np.asarray(lat, float).ravel()])
        inside = np.zeros(len(points), dtype=bool)
        for polygon in self.polygons:
            hit = MplPath(np.asarray(polygon[0])).contains_points(points)
            for hole in polygon[1:]:
                hit &= ~MplPath(np.asarray(hole)).contains_points(points)
            inside |= hit
        return inside.reshape(np.shape(lon))

    def to_geojson(self) -> dict[str, Any]:
        return {
            "type": "Feature",
            "properties": {"adcode": self.code, "name": self.name},
            "geometry": {
                "type": "MultiPolygon",
                "coordinates": [
                    [[list(p) for p in ring] for ring in poly] for poly in self.polygons
                ],
            },
        }


def _polygons(geometry: dict[str, Any]) -> list[list[Ring]]:
    kind = geometry.get("type")
    coordinates = geometry.get("coordinates", [])
    if kind == "Polygon":
        coordinates = [coordinates]
    elif kind != "MultiPolygon":
        raise InputError(f"region geometry must be Polygon or MultiPolygon, got {kind!r}")
    return [[[(float(x), float(y)) for x, y, *_ in ring] for ring in poly] for poly in coordinates]


def read_region(path: Path, key: str) -> Region:
    """The feature of a GeoJSON FeatureCollection whose ``adcode`` or ``name`` is ``key``."""
    try:
        collection = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise InputError(f"{path}: not a readable GeoJSON file: {exc}") from None
    names = []
    for feature in collection.get("features", []):
        props = feature.get("properties") or {}
        code, name = str(props.get("adcode", "")), str(props.get("name", ""))
        names.append(name)
        if key in (code, name) and feature.get("geometry"):
            return Region(code=code, name=name, polygons=_polygons(feature["geometry"]))
    raise NotFoundError(f"{path}: no region {key!r}; regions are {', '.join(names[:40])}")


@dataclass(frozen=True)
class LocalProjection:
    """Equirectangular projection to kilometres around (lon0, lat0)."""

    lon0: float
    lat0: float

    def forward(self, lon: FloatArray, lat: FloatArray) -> tuple[FloatArray, FloatArray]:
        k = np.pi / 180.0 * EARTH_RADIUS_KM
        x = (np.asarray(lon, float) - self.lon0) * k * np.cos(np.deg2rad(self.lat0))
        y = (np.asarray(lat, float) - self.lat0) * k
        return x, y


@dataclass(frozen=True)
class GridSpec:
    """Cell centres of a regular lon/lat grid and the mask of cells inside a region."""

    lon: FloatArray = field(repr=False)
    lat: FloatArray = field(repr=False)
    step: float
    inside: BoolArray = field(repr=False)

    @property
    def shape(self) -> tuple[int, int]:
        return len(self.lat), len(self.lon)


def grid_over(region: Region, step: float) -> GridSpec:
    """A grid of ``step`` degrees covering the region's bounds, with its inside mask."""
    if not 0 < step <= 5:
        raise InputError(f"grid step must be within (0, 5] degrees, got {step}")
    x0, y0, x1, y1 = region.bounds
    lon = np.arange(x0 + step / 2, x1, step)
    lat = np.arange(y0 + step / 2, y1, step)
    gx, gy = np.meshgrid(lon, lat)
    return GridSpec(lon=lon, lat=lat, step=step, inside=region.contains(gx, gy))


def grid_geojson(
    spec: GridSpec,
    values: FloatArray,
    *,
    properties: dict[str, Any] | None = None,
    stations: list[dict[str, Any]] | None = None,
    decimals: int = 2,
) -> dict[str, Any]:
    """A FeatureCollection of the grid cells inside the region (square polygons with property
    ``value``), plus optional station points (dicts with ``longitude``, ``latitude`` and any
    other properties)."""
    if values.shape != spec.shape:
        raise InputError(f"values have shape {values.shape}, grid has {spec.shape}")
    half = spec.step / 2
    features: list[dict[str, Any]] = []
    rows, cols = np.nonzero(spec.inside & ~np.isnan(values))
    for r, c in zip(rows.tolist(), cols.tolist(), strict=True):
        x, y = float(spec.lon[c]), float(spec.lat[r])
        ring = [
            [round(x - half, 6), round(y - half, 6)],
            [round(x + half, 6), round(y - half, 6)],
            [round(x + half, 6), round(y + half, 6)],
            [round(x - half, 6), round(y + half, 6)],
            [round(x - half, 6), round(y - half, 6)],
        ]
        features.append(
            {
                "type": "Feature",
                "properties": {"value": round(float(values[r, c]), decimals)},
                "geometry": {"type": "Polygon", "coordinates": [ring]},
            }
        )
    for station in stations or []:
        props = {k: v for k, v in station.items() if k not in ("longitude", "latitude")}
        props["kind"] = "station"
        features.append(
            {
                "type": "Feature",
                "properties": props,
                "geometry": {
                    "type": "Point",
                    "coordinates": [station["longitude"], station["latitude"]],
                },
            }
        )
    return {"type": "FeatureCollection", "properties": properties or {}, "features": features}


def find_region(regions_dir: Path, key: str) -> Region:
    """A province, city or (in Beijing, Tianjin, Shanghai, Chongqing) district by 6-digit
    adcode or name, from ``<regions_dir>/geojson``: ``china_provinces.json`` for provinces,
    ``province_cities/<province adcode>.json`` below them."""
    folder = regions_dir / "geojson"
    provinces = folder / "china_provinces.json"
    key = key.strip()
    if key.isdigit():
        if len(key) != 6:
            raise InputError(f"region code {key!r}: an adcode has 6 digits (e.g. 110000)")
        if key.endswith("0000"):
            return read_region(provinces, key)
        return read_region(folder / "province_cities" / f"{key[:2]}0000.json", key)
    try:
        return read_region(provinces, key)
    except NotFoundError:
        pass
    for path in sorted((folder / "province_cities").glob("*.json")):
        try:
            return read_region(path, key)
        except NotFoundError:
            continue
    raise NotFoundError(f"no region named {key!r} under {folder}")
