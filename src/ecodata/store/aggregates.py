"""Aggregates of one series per hour, day, month or year, computed in the observation store.

One SQL statement per backend (DuckDB ``quantile_cont``, PostgreSQL ``percentile_cont … WITHIN
GROUP``) groups the series' valid values (QC passed and flag N or none, HJ 212-2017 Table 8) into
local-time buckets and returns count, mean, standard deviation, minimum, the 2/25/50/75/98 %
quantiles and maximum — the ``summary`` of the OpenAQ v3 aggregates — plus the first and last
valid time and whether invalid values were present. :func:`expected_count` says how many values a
complete bucket holds (the ``coverage`` of OpenAQ, and the data-validity counts of HJ 663-2013).
:func:`parameter_latest` gives the newest value of one parameter at every location.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import sqlalchemy as sa

from ecodata.errors import NotFoundError
from ecodata.model import Period
from ecodata.security.access import Restriction
from ecodata.store import schema
from ecodata.store.observations import ObservationStore

QUANTILES = (0.02, 0.25, 0.5, 0.75, 0.98)

AGGREGATE_SCHEMA = pa.schema(
    [
        ("bucket", pa.timestamp("us")),  # local wall time of the bucket start
        ("count", pa.int64()),  # valid values
        ("total", pa.int64()),  # all values, valid or not
        ("avg", pa.float64()),
        ("sd", pa.float64()),
        ("min", pa.float64()),
        ("q02", pa.float64()),
        ("q25", pa.float64()),
        ("median", pa.float64()),
        ("q75", pa.float64()),
        ("q98", pa.float64()),
        ("max", pa.float64()),
        ("first", pa.timestamp("us", tz="UTC")),
        ("last", pa.timestamp("us", tz="UTC")),
    ]
)


class Span(enum.StrEnum):
    HOUR = "hour"
    DAY = "day"
    MONTH = "month"
    YEAR = "year"


@dataclass(frozen=True, slots=True)
class AggregateQuery:
    series_id: int
    span: Span
    start: datetime | None = None  # aware; half-open [start, end)
    end: datetime | None = None
    offset_hours: int = 8  # local time of the buckets (China Standard Time)
    limit: int = 100
    offset: int = 0


_VALID = "(qc = 0 AND (flag IS NULL OR flag = 'N'))"

_DUCKDB = f"""
WITH base AS (
    SELECT date_trunc('{{span}}', time::TIMESTAMP + to_hours($h)) AS bucket, time, value,
           {_VALID} AND value IS NOT NULL AS ok
    FROM observations WHERE series_id = $sid{{range}}
)
SELECT bucket,
       count(*) FILTER (WHERE ok) AS count, count(*) AS total,
       avg(value) FILTER (WHERE ok) AS avg, stddev_samp(value) FILTER (WHERE ok) AS sd,
       min(value) FILTER (WHERE ok) AS min,
       quantile_cont(value, [{", ".join(map(str, QUANTILES))}]) FILTER (WHERE ok) AS q,
       max(value) FILTER (WHERE ok) AS max,
       min(time) FILTER (WHERE ok) AS first, max(time) FILTER (WHERE ok) AS last
FROM base GROUP BY bucket ORDER BY bucket LIMIT $limit OFFSET $offset
"""

_POSTGRES = f"""
WITH base AS (
    SELECT date_trunc('{{span}}', (time AT TIME ZONE 'UTC') + make_interval(hours => %(h)s))
               AS bucket, time, value, {_VALID} AND value IS NOT NULL AS ok
    FROM observations WHERE series_id = %(sid)s{{range}}
)
SELECT bucket,
       count(*) FILTER (WHERE ok) AS count, count(*) AS total,
       avg(value) FILTER (WHERE ok) AS avg, stddev_samp(value) FILTER (WHERE ok) AS sd,
       min(value) FILTER (WHERE ok) AS min,
       percentile_cont(ARRAY[{", ".join(map(str, QUANTILES))}]) WITHIN GROUP (ORDER BY value)
           FILTER (WHERE ok) AS q,
       max(value) FILTER (WHERE ok) AS max,
       min(time) FILTER (WHERE ok) AS first, max(time) FILTER (WHERE ok) AS last
FROM base GROUP BY bucket ORDER BY bucket LIMIT %(limit)s OFFSET %(offset)s
"""


def aggregate(store: ObservationStore, query: AggregateQuery) -> pa.Table:
    """Buckets of one series as :data:`AGGREGATE_SCHEMA` rows, oldest first, one page."""
    duck = store.backend == "duckdb"

    def mark(name: str) -> str:
        return f"${name}" if duck else f"%({name})s"

    params: dict[str, Any] = {
        "sid": int(query.series_id),
        "h": int(query.offset_hours),
        "limit": int(query.limit),
        "offset": int(query.offset),
    }
    where = ""
    if query.start is not None:
        where += f" AND time >= {mark('start')}"
        params["start"] = query.start
    if query.end is not None:
        where += f" AND time < {mark('end')}"
        params["end"] = query.end
    sql = (_DUCKDB if duck else _POSTGRES).format(span=query.span.value, range=where)
    return _shape(store.sql(sql, params))


def _shape(raw: pa.Table) -> pa.Table:
    rows = raw.to_pylist()
    columns: dict[str, list[Any]] = {name: [] for name in AGGREGATE_SCHEMA.names}
    for row in rows:
        quantiles = row.pop("q") or [None] * len(QUANTILES)
        row.update(zip(("q02", "q25", "median", "q75", "q98"), quantiles, strict=True))
        for name in AGGREGATE_SCHEMA.names:
            value = row[name]
            if name == "bucket" and isinstance(value, datetime) and value.tzinfo is not None:
                value = value.replace(tzinfo=None)
            columns[name].append(value)
    return pa.table(columns, schema=AGGREGATE_SCHEMA)


def bucket_end(start: datetime, span: Span) -> datetime:
    """The (exclusive) end of the bucket that begins at ``start``."""
    if span is Span.HOUR:
        return start + timedelta(hours=1)
    if span is Span.DAY:
        return start + timedelta(days=1)
    if span is Span.MONTH:
        year, month = divmod(start.month, 12)
        return start.replace(year=start.year + year, month=month + 1)
    return start.replace(year=start.year + 1)


_STEP = {
    Period.MINUTE: timedelta(minutes=1),
    Period.HOUR: timedelta(hours=1),
    Period.DAY: timedelta(days=1),
}


def step_of(period: Period) -> timedelta | None:
    """The spacing of a series' values; ``None`` for irregular (real-time) or longer periods."""
    if period is Period.MONTH:
        return None
    return _STEP.get(period)


def expected_count(period: Period, span: Span, start: datetime) -> int | None:
    """Values a complete bucket of ``span`` starting at ``start`` holds for a series of
    ``period`` (e.g. 24 hourly values a day, HJ 663-2013 §4); ``None`` if not fixed."""
    if period is Period.MONTH and span is Span.YEAR:
        return 12
    if period is Period.MONTH and span is Span.MONTH:
        return 1
    step = step_of(period)
    if step is None:
        return None
    length = bucket_end(start, span) - start
    if length < step:
        return None
    return int(length / step)


_MEASUREMENTS = """SELECT time, value, flag, qc FROM observations WHERE series_id = {sid}{range}
ORDER BY time LIMIT {limit} OFFSET {offset}"""


def measurements(
    store: ObservationStore,
    series_id: int,
    *,
    start: datetime | None = None,
    end: datetime | None = None,
    limit: int = 100,
    offset: int = 0,
) -> pa.Table:
    """One page of the raw values of a series (time, value, flag, qc), oldest first."""
    duck = store.backend == "duckdb"

    def mark(name: str) -> str:
        return f"${name}" if duck else f"%({name})s"

    params: dict[str, Any] = {"sid": int(series_id), "limit": int(limit), "offset": int(offset)}
    where = ""
    if start is not None:
        where += f" AND time >= {mark('start')}"
        params["start"] = start
    if end is not None:
        where += f" AND time < {mark('end')}"
        params["end"] = end
    sql = _MEASUREMENTS.format(
        sid=mark("sid"), range=where, limit=mark("limit"), offset=mark("offset")
    )
    return store.sql(sql, params)


@dataclass(frozen=True, slots=True)
class LatestPage:
    rows: list[dict[str, Any]]  # sensor, location and newest observation, by location and sensor
    found: int  # readable sensors of the parameter with a value


def parameter_latest(
    engine: sa.Engine,
    store: ObservationStore,
    restriction: Restriction,
    parameter: str,
    *,
    limit: int | None = None,
    offset: int = 0,
) -> LatestPage:
    """The newest observation of every readable series of ``parameter`` (id or code) with its
    location; series without observations are left out. :class:`NotFoundError` for an unknown
    parameter."""
    p, s, site, m = schema.parameters, schema.series, schema.sites, schema.dataset_series
    key = p.c.id == int(parameter) if parameter.isdigit() else p.c.code == parameter
    with engine.connect() as conn:
        found = conn.execute(sa.select(p.c.id).where(key)).first()
        if found is None:
            raise NotFoundError(f"no parameter {parameter!r}")
        query = (
            sa.select(
                s.c.id,
                s.c.site_id,
                site.c.code,
                site.c.name_zh,
                site.c.name_en,
                site.c.longitude,
                site.c.latitude,
                m.c.dataset_id,
            )
            .join(site, site.c.id == s.c.site_id)
            .outerjoin(m, m.c.series_id == s.c.id)
            .where(s.c.parameter_id == found[0])
            .order_by(s.c.site_id, s.c.id)
        )
        if restriction.dataset_ids is not None:  # the series' one membership, already joined
            query = query.where(m.c.dataset_id.in_(sorted(restriction.dataset_ids)))
        result = conn.execute(query)
        names = list(result.keys())
        sensors = [dict(zip(names, row, strict=True)) for row in result.all()]
    newest = _records(store.latest([r["id"] for r in sensors])) if sensors else []
    by_series = {r["series_id"]: r for r in newest}
    rows = [{**r, **by_series[r["id"]]} for r in sensors if r["id"] in by_series]
    end = None if limit is None else offset + limit
    return LatestPage(rows[offset:end], len(rows))


def _records(table: pa.Table) -> list[dict[str, Any]]:
    """``table.to_pylist()``, converting each distinct time once (aware times are slow to
    convert one by one, and the newest values of a network share a few times)."""
    times = table.column("time")
    distinct = pc.unique(times)
    converted = distinct.to_pylist()
    rows: list[dict[str, Any]] = table.drop_columns(["time"]).to_pylist()
    for row, i in zip(rows, pc.index_in(times, value_set=distinct).to_pylist(), strict=True):
        row["time"] = converted[i]
    return rows
