"""Read models behind the native API and the CLI: filtered, keyset-paged observation reads with
site and parameter codes attached."""

from __future__ import annotations

import base64
import json
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime, tzinfo
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from ecodata.errors import InputError, NotFoundError
from ecodata.model import Period
from ecodata.store.observations import ObservationQuery
from ecodata.store.stores import Stores

OUTPUT_COLUMNS = ["site", "parameter", "period", "time", "value", "unit", "flag", "qc", "run_id"]


@dataclass(frozen=True)
class ObservationFilter:
    sites: Sequence[str] | None = None
    parameters: Sequence[str] | None = None
    period: Period | None = None
    start: datetime | None = None
    end: datetime | None = None
    valid_only: bool = False
    published: bool | None = None
    #: Readable datasets (``Restriction.dataset_ids`` of :mod:`ecodata.security.access`); the
    #: series query itself is limited to them. ``None``: no restriction.
    datasets: Collection[int] | None = None


@dataclass(frozen=True)
class Page:
    table: pa.Table  # OUTPUT_COLUMNS
    next_cursor: str | None
    datasets: frozenset[int] = frozenset()  # datasets the rows of this page came from


def encode_cursor(series_id: int, time: datetime) -> str:
    raw = json.dumps([series_id, time.isoformat()]).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[int, datetime]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        series_id, text = json.loads(raw)
        return int(series_id), datetime.fromisoformat(text)
    except (ValueError, TypeError) as exc:
        raise InputError(f"cursor {cursor!r} is not one this server issued: {exc}") from None


def observation_page(
    stores: Stores, flt: ObservationFilter, *, limit: int, cursor: str | None = None
) -> Page:
    """One page of observations ordered by series then time; ``next_cursor`` continues it."""
    series = stores.registry.find_series(
        sites=flt.sites,
        parameters=flt.parameters,
        period=flt.period,
        published=flt.published,
        datasets=flt.datasets,
    )
    if flt.sites is not None and not series:
        known = stores.registry.site_ids(flt.sites)
        unknown = sorted(set(flt.sites) - set(known))
        if unknown:
            raise NotFoundError(f"unknown site code(s): {', '.join(unknown)}")
    if flt.parameters is not None and not series:
        known_params = stores.registry.parameter_ids()
        bases = {p["base"] for p in stores.registry.parameters()}
        unknown = sorted(p for p in flt.parameters if p not in known_params and p not in bases)
        if unknown:
            raise NotFoundError(f"unknown parameter code(s): {', '.join(unknown)}")
    if not series:
        return Page(_empty_output(), None)
    query = ObservationQuery(
        series_ids=[s["id"] for s in series],
        start=flt.start,
        end=flt.end,
        after=decode_cursor(cursor) if cursor else None,
        limit=limit + 1,
        valid_only=flt.valid_only,
    )
    table = stores.observations.read(query)
    next_cursor = None
    if table.num_rows > limit:
        table = table.slice(0, limit)
        last = table.slice(limit - 1, 1).to_pylist()[0]
        next_cursor = encode_cursor(last["series_id"], last["time"])
    read_ids = set(table.column("series_id").to_pylist())
    touched = frozenset(s["dataset_id"] for s in series if s["id"] in read_ids and s["dataset_id"])
    return Page(attach_codes(table, series), next_cursor, touched)


def attach_codes(table: pa.Table, series: Sequence[dict[str, Any]]) -> pa.Table:
    """Observation rows (series_id …) → rows with site, parameter, period label and unit."""
    meta = pa.table(
        {
            "series_id": pa.array([s["id"] for s in series], pa.int32()),
            "site": [s["site"] for s in series],
            "parameter": [s["parameter"] for s in series],
            "period": [Period(s["period"]).label for s in series],
            "unit": [s["unit"] for s in series],
        }
    )
    order = pa.array(range(table.num_rows), pa.int64())
    joined = table.append_column("_order", order).join(meta, "series_id", join_type="left outer")
    joined = joined.sort_by("_order")
    return joined.select(OUTPUT_COLUMNS)


def _empty_output() -> pa.Table:
    return pa.table(
        {
            "site": pa.array([], pa.string()),
            "parameter": pa.array([], pa.string()),
            "period": pa.array([], pa.string()),
            "time": pa.array([], pa.timestamp("us", tz="UTC")),
            "value": pa.array([], pa.float64()),
            "unit": pa.array([], pa.string()),
            "flag": pa.array([], pa.string()),
            "qc": pa.array([], pa.int16()),
            "run_id": pa.array([], pa.int32()),
        }
    )


def rows_for_json(table: pa.Table, tz: tzinfo) -> list[dict[str, Any]]:
    """Arrow rows → JSON-ready dicts with ISO local times."""
    out: list[dict[str, Any]] = table.to_pylist()
    for row in out:
        for key, value in row.items():
            if isinstance(value, datetime):
                row[key] = value.astimezone(tz).isoformat()
    return out


def to_local_strings(column: pa.ChunkedArray | pa.Array, tz: tzinfo) -> list[str | None]:
    return [v.astimezone(tz).isoformat() if v is not None else None for v in column.to_pylist()]


def count_valid(table: pa.Table) -> int:
    ok = pc.and_(
        pc.equal(table.column("qc"), 0),
        pc.or_kleene(pc.is_null(table.column("flag")), pc.equal(table.column("flag"), "N")),
    )
    return int(pc.sum(pc.cast(ok, pa.int64())).as_py() or 0)
