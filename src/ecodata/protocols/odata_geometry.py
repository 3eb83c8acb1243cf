"""Planar geometry for SensorThings ``$filter`` literals: WKT parsing and point-versus-geometry
relations.

Locations in ecodata are points (longitude, latitude). The spatial functions of OGC 18-088 Table 23
(``st_*``, ``geo.intersects``, ``geo.distance``) are therefore evaluated between a point and a
literal geometry. This module is the exact test behind the SQL function ``ecodata_st(op, lon,
lat, wkt)`` (see :func:`ecodata_st`), evaluated in planar coordinates (degrees), as PostGIS does
on ``geometry``.

Relations follow the DE-9IM of OGC 06-103r4 (Simple Features Access 1.2.1) §6.1.15: the point is the
first geometry ``A``; its interior is the point itself and its boundary is empty.
"""

from __future__ import annotations

import itertools
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import TypeAlias

Coord: TypeAlias = tuple[float, float]
Ring: TypeAlias = tuple[Coord, ...]

KINDS = ("POINT", "LINESTRING", "POLYGON", "MULTIPOINT", "MULTILINESTRING", "MULTIPOLYGON")

#: Named spatial predicates of 18-088 Table 23 (``st_<name>``).
PREDICATES = (
    "equals",
    "disjoint",
    "touches",
    "within",
    "overlaps",
    "crosses",
    "intersects",
    "contains",
)


@dataclass(frozen=True, slots=True)
class Geometry:
    """A WKT geometry. ``points`` holds the parts as tuples of coordinates:

    * POINT: one part of one coordinate; MULTIPOINT: one part per point;
    * LINESTRING: one part; MULTILINESTRING: one part per line;
    * POLYGON: one part per ring (shell first); MULTIPOLYGON: ``polygons`` lists each polygon's
    rings.
    """

    kind: str
    parts: tuple[Ring, ...]
    polygons: tuple[tuple[Ring, ...], ...] = ()
    srid: int | None = None

    @property
    def dimension(self) -> int:
        return {"POINT": 0, "MULTIPOINT": 0, "LINESTRING": 1, "MULTILINESTRING": 1}.get(
            self.kind, 2
        )

    def rings(self) -> tuple[tuple[Ring, ...], ...]:
        """The polygons of a (multi)polygon, each as its rings."""
        if self.kind == "POLYGON":
            return (self.parts,)
        return self.polygons

    def coordinates(self) -> tuple[Coord, ...]:
        if self.kind == "MULTIPOLYGON":
            return tuple(c for poly in self.polygons for ring in poly for c in ring)
        return tuple(c for part in self.parts for c in part)

    def bbox(self) -> tuple[float, float, float, float]:
        xs = [c[0] for c in self.coordinates()]
        ys = [c[1] for c in self.coordinates()]
        return min(xs), min(ys), max(xs), max(ys)

    def wkt(self) -> str:
        """Canonical WKT (no SRID), the form passed to ``ecodata_st``."""

        def seq(ring: Ring) -> str:
            return "(" + ", ".join(f"{_num(x)} {_num(y)}" for x, y in ring) + ")"

        if self.kind == "POINT":
            return f"POINT {seq(self.parts[0])}"
        if self.kind in ("LINESTRING",):
            return f"LINESTRING {seq(self.parts[0])}"
        if self.kind == "POLYGON":
            return "POLYGON (" + ", ".join(seq(r) for r in self.parts) + ")"
        if self.kind == "MULTIPOINT":
            return "MULTIPOINT (" + ", ".join(seq(p) for p in self.parts) + ")"
        if self.kind == "MULTILINESTRING":
            return "MULTILINESTRING (" + ", ".join(seq(p) for p in self.parts) + ")"
        polys = ("(" + ", ".join(seq(r) for r in poly) + ")" for poly in self.polygons)
        return "MULTIPOLYGON (" + ", ".join(polys) + ")"

    def length(self) -> float:
        """Planar length (``geo.length``): sum of segment lengths of lines and polygon rings."""
        if self.dimension == 0:
            return 0.0
        rings = [r for poly in self.rings() for r in poly] if self.dimension == 2 else self.parts
        return sum(math.dist(a, b) for ring in rings for a, b in itertools.pairwise(ring))


def _num(value: float) -> str:
    return repr(int(value)) if value == int(value) and abs(value) < 1e15 else repr(value)


# --- WKT (OGC 06-103r4 §7.2) ----------------------------------------------------------------------

_WKT_HEAD = re.compile(r"\s*(?:SRID=(\d+)\s*;)?\s*([A-Za-z]+)\s*", re.ASCII)
_NUMBER = re.compile(r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?")


class WktError(ValueError):
    """Malformed WKT; ``offset`` is the position inside the WKT text."""

    def __init__(self, reason: str, offset: int) -> None:
        super().__init__(reason)
        self.offset = offset


class _WktReader:
    def __init__(self, text: str, pos: int) -> None:
        self.text = text
        self.pos = pos

    def skip(self) -> None:
        while self.pos < len(self.text) and self.text[self.pos].isspace():
            self.pos += 1

    def expect(self, char: str) -> None:
        self.skip()
        if not self.text.startswith(char, self.pos):
            found = self.text[self.pos : self.pos + 1] or "end of text"
            raise WktError(f"expected '{char}' but found '{found}'", self.pos)
        self.pos += 1

    def peek(self, char: str) -> bool:
        self.skip()
        return self.text.startswith(char, self.pos)

    def number(self) -> float:
        self.skip()
        match = _NUMBER.match(self.text, self.pos)
        if not match:
            raise WktError("expected a coordinate number", self.pos)
        self.pos = match.end()
        value = float(match.group())
        if not math.isfinite(value):
            raise WktError("coordinates must be finite", match.start())
        return value

    def coord(self) -> Coord:
        x = self.number()
        y = self.number()
        self.skip()
        if self.pos < len(self.text) and (
            self.text[self.pos].isdigit() or self.text[self.pos] in "+-."
        ):
            raise WktError("only 2-D coordinates (x y) are supported", self.pos)
        return (x, y)

    def sequence(self) -> Ring:
        """``(x y, x y, ...)``"""
        self.expect("(")
        coords = [self.coord()]
        while self.peek(","):
            self.pos += 1
            coords.append(self.coord())
        self.expect(")")
        return tuple(coords)

    def rings(self) -> tuple[Ring, ...]:
        """``((...), (...))``"""
        self.expect("(")
        rings = [self.sequence()]
        while self.peek(","):
            self.pos += 1
            rings.append(self.sequence())
        self.expect(")")
        return tuple(rings)

    def points(self) -> tuple[Ring, ...]:
        """MULTIPOINT body: ``((1 2), (3 4))`` or ``(1 2, 3 4)``."""
        self.expect("(")
        points: list[Ring] = []
        while True:
            if self.peek("("):
                part = self.sequence()
                if len(part) != 1:
                    raise WktError("a MULTIPOINT member holds one coordinate", self.pos)
                points.append(part)
            else:
                points.append((self.coord(),))
            if not self.peek(","):
                break
            self.pos += 1
        self.expect(")")
        return tuple(points)


def parse_wkt(text: str) -> Geometry:
    """Parse 2-D WKT (optionally prefixed by ``SRID=n;``) into a :class:`Geometry`."""
    head = _WKT_HEAD.match(text)
    if not head:
        raise WktError("expected a WKT geometry such as POINT (116.4 39.9)", 0)
    srid = int(head.group(1)) if head.group(1) else None
    kind = head.group(2).upper()
    if kind not in KINDS:
        raise WktError(
            f"unsupported geometry type '{head.group(2)}'; use one of {', '.join(KINDS)}",
            head.start(2),
        )
    reader = _WktReader(text, head.end())
    if text[head.end() :].strip().upper() == "EMPTY":
        raise WktError("empty geometries are not supported", head.end())
    polygons: tuple[tuple[Ring, ...], ...] = ()
    if kind == "POINT":
        point = reader.sequence()
        if len(point) != 1:
            raise WktError("a POINT holds exactly one coordinate", head.end())
        parts: tuple[Ring, ...] = (point,)
    elif kind == "LINESTRING":
        parts = (reader.sequence(),)
    elif kind in ("POLYGON", "MULTILINESTRING"):
        parts = reader.rings()
    elif kind == "MULTIPOINT":
        parts = reader.points()
    else:
        reader.expect("(")
        polys = [reader.rings()]
        while reader.peek(","):
            reader.pos += 1
            polys.append(reader.rings())
        reader.expect(")")
        polygons = tuple(polys)
        parts = ()
    reader.skip()
    if reader.pos != len(text):
        raise WktError("unexpected text after the geometry", reader.pos)
    geometry = Geometry(kind, parts, polygons, srid)
    _validate(geometry)
    return geometry


def _validate(geometry: Geometry) -> None:
    if geometry.dimension == 1:
        for line in geometry.parts:
            if len(line) < 2:
                raise WktError(f"a {geometry.kind} line needs at least 2 coordinates", 0)
    if geometry.dimension == 2:
        for poly in geometry.rings():
            for ring in poly:
                if len(ring) < 4 or ring[0] != ring[-1]:
                    raise WktError(
                        "a polygon ring needs at least 4 coordinates and must be closed "
                        "(last coordinate equal to the first)",
                        0,
                    )


# --- point location and DE-9IM --------------------------------------------------------------------

INTERIOR, BOUNDARY, EXTERIOR = "interior", "boundary", "exterior"


def _on_segment(p: Coord, a: Coord, b: Coord) -> bool:
    cross = (b[0] - a[0]) * (p[1] - a[1]) - (b[1] - a[1]) * (p[0] - a[0])
    if cross != 0.0:
        return False
    return min(a[0], b[0]) <= p[0] <= max(a[0], b[0]) and min(a[1], b[1]) <= p[1] <= max(a[1], b[1])


def _on_ring(p: Coord, ring: Sequence[Coord]) -> bool:
    return any(_on_segment(p, a, b) for a, b in itertools.pairwise(ring))


def _inside_ring(p: Coord, ring: Sequence[Coord]) -> bool:
    """Even-odd ray casting; the caller has already excluded points on the ring."""
    x, y = p
    inside = False
    for (x1, y1), (x2, y2) in itertools.pairwise(ring):
        if (y1 > y) != (y2 > y):
            x_cross = x1 + (y - y1) * (x2 - x1) / (y2 - y1)
            if x < x_cross:
                inside = not inside
    return inside


def _line_boundary(lines: Sequence[Ring]) -> set[Coord]:
    """Mod-2 rule (06-103r4 §6.1.6.2): endpoints shared by an even number of lines are interior."""
    counts: dict[Coord, int] = {}
    for line in lines:
        if line[0] != line[-1]:
            for end in (line[0], line[-1]):
                counts[end] = counts.get(end, 0) + 1
    return {c for c, n in counts.items() if n % 2 == 1}


def locate(point: Coord, geometry: Geometry) -> str:
    """Where ``point`` lies relative to ``geometry``: interior, boundary or exterior."""
    if geometry.dimension == 0:
        return INTERIOR if any(part[0] == point for part in geometry.parts) else EXTERIOR
    if geometry.dimension == 1:
        if point in _line_boundary(geometry.parts):
            return BOUNDARY
        return INTERIOR if any(_on_ring(point, line) for line in geometry.parts) else EXTERIOR
    where = EXTERIOR
    for poly in geometry.rings():
        if any(_on_ring(point, ring) for ring in poly):
            return BOUNDARY
        shell, holes = poly[0], poly[1:]
        if _inside_ring(point, shell) and not any(_inside_ring(point, h) for h in holes):
            where = INTERIOR
    return where


def point_matrix(point: Coord, geometry: Geometry) -> str:
    """The DE-9IM matrix of (point, geometry) as 9 characters, rows I, B, E of the point."""
    where = locate(point, geometry)
    ii = "0" if where == INTERIOR else "F"
    ib = "0" if where == BOUNDARY else "F"
    ie = "0" if where == EXTERIOR else "F"
    if geometry.dimension == 0:
        others = [part[0] for part in geometry.parts if part[0] != point]
        ei = "0" if others else "F"
        eb = "F"
    elif geometry.dimension == 1:
        ei = "1"
        boundary = _line_boundary(geometry.parts)
        eb = "0" if boundary - {point} else "F"
    else:
        ei, eb = "2", "1"
    return f"{ii}{ib}{ie}FFF{ei}{eb}2"


def transpose(matrix: str) -> str:
    """The matrix (or pattern) of the swapped pair: row i, column j becomes row j, column i."""
    return "".join(matrix[3 * (k % 3) + k // 3] for k in range(9))


_PATTERN = re.compile(r"[TF*012]{9}")


def valid_pattern(pattern: str) -> bool:
    return bool(_PATTERN.fullmatch(pattern.upper()))


def matches(matrix: str, pattern: str) -> bool:
    """``st_relate`` pattern test (06-103r4 §6.1.15.2): T = non-empty, F = empty, * = any, 0/1/2."""
    for have, want in zip(matrix, pattern.upper(), strict=True):
        if want == "*":
            continue
        if want == "T" and have == "F":
            return False
        if want == "F" and have != "F":
            return False
        if want in "012" and have != want:
            return False
    return True


def point_relation(op: str, point: Coord, geometry: Geometry) -> bool:
    """Named predicate ``op`` between a point (first argument) and ``geometry`` (06-103r4
    §6.1.15.3)."""
    m = point_matrix(point, geometry)
    if op == "equals":
        return matches(m, "T*F**FFF*")
    if op == "disjoint":
        return matches(m, "FF*FF****")
    if op == "intersects":
        return not matches(m, "FF*FF****")
    if op == "touches":
        return m[0] == "F" and (m[1] != "F" or m[3] != "F" or m[4] != "F")
    if op == "within":
        return matches(m, "T*F**F***")
    if op == "contains":
        return matches(m, "T*****FF*")
    if op == "overlaps":
        return geometry.dimension == 0 and matches(m, "T*T***T**")
    if op == "crosses":
        return geometry.dimension > 0 and matches(m, "T*T******")
    raise ValueError(f"unknown spatial predicate {op!r}")


def point_distance(point: Coord, geometry: Geometry) -> float:
    """Planar distance from the point to the geometry (0 inside a polygon)."""
    if geometry.dimension == 2 and locate(point, geometry) != EXTERIOR:
        return 0.0
    if geometry.dimension == 0:
        return min(math.dist(point, part[0]) for part in geometry.parts)
    rings = [r for poly in geometry.rings() for r in poly] if geometry.dimension == 2 else []
    lines = rings or list(geometry.parts)
    return min(
        _segment_distance(point, a, b) for line in lines for a, b in itertools.pairwise(line)
    )


def _segment_distance(p: Coord, a: Coord, b: Coord) -> float:
    dx, dy = b[0] - a[0], b[1] - a[1]
    length2 = dx * dx + dy * dy
    if length2 == 0.0:
        return math.dist(p, a)
    t = max(0.0, min(1.0, ((p[0] - a[0]) * dx + (p[1] - a[1]) * dy) / length2))
    return math.dist(p, (a[0] + t * dx, a[1] + t * dy))


@lru_cache(maxsize=256)
def _cached(wkt: str) -> Geometry:
    return parse_wkt(wkt)


def ecodata_st(
    op: str | None, lon: float | None, lat: float | None, wkt: str | None
) -> float | None:
    """The SQL function ``ecodata_st(op, lon, lat, wkt)`` every database must provide.

    ``op`` is a predicate name of :data:`PREDICATES` (result 1.0 or 0.0), ``relate:<DE-9IM
    pattern>``
    (1.0 or 0.0) or ``distance`` (planar distance in degrees). The point is the first geometry.
    Returns NULL (``None``) when any argument is NULL. Register it in SQLite with
    ``conn.create_function("ecodata_st", 4, ecodata_st, deterministic=True)`` and in DuckDB with
    ``con.create_function("ecodata_st", ecodata_st, [VARCHAR, DOUBLE, DOUBLE, VARCHAR], DOUBLE,
    null_handling="special")``; PostgreSQL gets
    :data:`ecodata.protocols.odata_spatial_sql.POSTGRES_ECODATA_ST`.
    """
    if op is None or lon is None or lat is None or wkt is None:
        return None
    geometry = _cached(wkt)
    point = (float(lon), float(lat))
    if op == "distance":
        return point_distance(point, geometry)
    if op.startswith("relate:"):
        return 1.0 if matches(point_matrix(point, geometry), op[7:]) else 0.0
    return 1.0 if point_relation(op, point, geometry) else 0.0
