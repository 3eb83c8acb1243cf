"""A page of entities fetched and rendered column by column (the hot path of collection reads).

A page of 1,000 Observations rendered row by row spends most of its time converting stored
instants to Python datetimes and back to ISO 8601 text. Here the statement's result is taken as
columns — from DuckDB as numpy arrays, from other drivers as rows transposed once — and every
instant column is formatted in one vectorised step with the rule of :func:`render.iso`; the
entities are then assembled from ready JSON values. Used for pages without ``$select`` and
``$expand`` in the default result format; the row renderer remains the reference (the tests
compare the two on every entity set).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import numpy as np
import sqlalchemy as sa

from ecodata.sensorthings.entities import EntityKind, Prop, Render
from ecodata.sensorthings.render import iso, json_value, prop_value, self_link


@dataclass(frozen=True, slots=True)
class Columns:
    """``values``: each column's stored values; ``instants``: the ISO 8601 text of the date-time
    columns, computed once; ``times``: those columns as UTC ``datetime64[us]`` (NaT for NULL),
    turned into datetimes only for the rows asked for by :meth:`row`."""

    length: int
    values: dict[str, list[Any]]
    instants: dict[str, list[str | None]]
    times: dict[str, np.ndarray]

    def row(self, index: int) -> dict[str, Any]:
        out = {name: column[index] for name, column in self.values.items()}
        for name, stamps in self.times.items():
            stamp = stamps[index]
            out[name] = None if np.isnat(stamp) else stamp.item().replace(tzinfo=UTC)
        return out

    def head(self, n: int) -> Columns:
        return Columns(
            min(n, self.length),
            {k: v[:n] for k, v in self.values.items()},
            {k: v[:n] for k, v in self.instants.items()},
            {k: v[:n] for k, v in self.times.items()},
        )


def fetch_columns(conn: sa.Connection, statement: sa.Select[Any]) -> Columns:
    """Run ``statement`` and return its result by column."""
    result = conn.execute(statement)
    try:
        names = list(result.keys())
        fetch_numpy = getattr(result.cursor, "fetchnumpy", None) if result.cursor else None
        if fetch_numpy is not None:  # DuckDB: the columns as numpy arrays
            return _from_numpy(fetch_numpy(), names)
        rows = result.fetchall()
    finally:
        result.close()
    transposed = list(zip(*rows, strict=True)) if rows else [() for _ in names]
    values: dict[str, list[Any]] = {}
    instants: dict[str, list[str | None]] = {}
    for name, column in zip(names, transposed, strict=True):
        values[name] = list(column)
        if any(isinstance(v, datetime) for v in column):
            instants[name] = [iso(v) for v in column]
    return Columns(len(rows), values, instants, {})


def _from_numpy(arrays: dict[str, Any], names: Sequence[str]) -> Columns:
    values: dict[str, list[Any]] = {}
    instants: dict[str, list[str | None]] = {}
    times: dict[str, np.ndarray] = {}
    length = 0
    for name in names:
        array = arrays[name]
        length = len(array)
        data, mask = np.ma.getdata(array), np.ma.getmaskarray(array)
        if data.dtype.kind == "M":
            stamps = data.astype("datetime64[us]")
            stamps[mask] = np.datetime64("NaT")
            times[name] = stamps
            instants[name] = iso_texts(stamps)
            continue
        column = data.tolist()
        if mask.any():
            for i in np.flatnonzero(mask).tolist():
                column[i] = None
        values[name] = column
    return Columns(length, values, instants, times)


def iso_texts(stamps: np.ndarray) -> list[str | None]:
    """:func:`render.iso` of UTC ``datetime64[us]`` values (``Z``; fractions only when present,
    without trailing zeros; NaT → None)."""
    null = np.isnat(stamps)
    whole = stamps.astype("datetime64[s]")
    fraction = ~null & (stamps != whole)
    texts = np.datetime_as_string(whole, unit="s").astype(object) + "Z"
    if fraction.any():
        precise = np.datetime_as_string(stamps[fraction], unit="us")
        texts[fraction] = [t.rstrip("0") + "Z" for t in precise]
    texts[null] = None
    return list(texts)


def _prop_column(prop: Prop, columns: Columns) -> list[Any]:
    """The JSON values of one property for every row."""
    n = columns.length
    if prop.render is Render.NULL:
        return [None] * n
    if prop.render is Render.INSTANT and isinstance(prop.column, str):
        return columns.instants.get(prop.column) or [None] * n
    if prop.render is Render.PLAIN and isinstance(prop.column, str):
        return columns.values[prop.column]
    if prop.render is Render.INTERVAL and isinstance(prop.column, tuple):
        starts = columns.instants.get(prop.column[0]) or [None] * n
        ends = columns.instants.get(prop.column[1]) or [None] * n
        return [None if s is None else f"{s}/{e or s}" for s, e in zip(starts, ends, strict=True)]
    if prop.render is Render.PARAMETERS and isinstance(prop.column, tuple):
        qcs, runs = columns.values[prop.column[0]], columns.values[prop.column[1]]
        return [{"qc": q, "importRun": r} for q, r in zip(qcs, runs, strict=True)]
    if prop.render is Render.JSON and isinstance(prop.column, str):
        return [json_value(v) for v in columns.values[prop.column]]
    return [prop_value(prop, columns.row(i)) for i in range(n)]


def render_columns(kind: EntityKind, columns: Columns, base: str) -> list[dict[str, Any]]:
    """The entities of a page, as :func:`render.render_entity` renders them without ``$select``
    and ``$expand``."""
    ids = columns.values["id"]
    links = [self_link(base, kind, i) for i in ids]
    names = ["@iot.id", "@iot.selfLink", *(p.name for p in kind.props)]
    names += [nav.link_name for nav in kind.navs]
    fields: list[list[Any]] = [ids, links, *(_prop_column(p, columns) for p in kind.props)]
    fields += [[link + nav.link_suffix for link in links] for nav in kind.navs]
    return [dict(zip(names, row, strict=True)) for row in zip(*fields, strict=True)]
