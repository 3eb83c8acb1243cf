"""Resource downloads: a dataset's observations (or sites) for a time range as CSV, JSON or
Parquet, streamed in keyset-paged chunks so that any range can be downloaded in bounded memory.

:func:`open_download` checks access (401/403, audited) and returns a :class:`Download` whose
``chunks`` iterator yields the encoded bytes. The series read are the dataset's own — the store
query is restricted to them, never filtered afterwards.
"""

from __future__ import annotations

import enum
import io
import json
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta, tzinfo
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from ecodata.catalog import selectors
from ecodata.catalog.datasets import dataset
from ecodata.errors import InputError
from ecodata.security import access, audit
from ecodata.security.principal import Principal
from ecodata.security.roles import Classification
from ecodata.store.observations import ObservationQuery
from ecodata.store.queries import attach_codes
from ecodata.store.stores import Stores

CHUNK_ROWS = 200_000
COLUMNS = ["site", "parameter", "period", "time", "value", "unit", "flag", "qc"]
SITE_COLUMNS = [
    "code",
    "kind",
    "name_zh",
    "name_en",
    "division_code",
    "province",
    "city",
    "longitude",
    "latitude",
    "status",
]


class Format(enum.StrEnum):
    CSV = "csv"
    JSON = "json"
    PARQUET = "parquet"

    @property
    def media_type(self) -> str:
        return {
            "csv": "text/csv; charset=utf-8",
            "json": "application/json",
            "parquet": "application/vnd.apache.parquet",
        }[self.value]


@dataclass(frozen=True)
class Download:
    filename: str
    media_type: str
    chunks: Iterator[bytes]


def open_download(
    stores: Stores,
    principal: Principal,
    name: str,
    fmt: Format,
    *,
    start: datetime | None = None,
    end: datetime | None = None,
    tz: tzinfo,
) -> Download:
    """The download of dataset ``name`` between ``start`` (inclusive) and ``end`` (exclusive)."""
    if start is not None and end is not None and start >= end:
        raise InputError(f"download {name}: start {start.isoformat()} is not before end")
    engine = stores.registry.engine
    facts = access.check_dataset(engine, principal, name)
    entry = dataset(engine, name)
    meta = {
        "dataset": entry["name"],
        "title": entry["title_zh"],
        "licence": entry["licence"],
        "attribution": entry["attribution"],
        "start": start.isoformat() if start else None,
        "end": end.isoformat() if end else None,
    }
    if facts.classification is not Classification.PUBLIC:
        audit.record(
            engine,
            principal,
            "data.download",
            name,
            detail={"format": fmt.value, "start": meta["start"], "end": meta["end"]},
        )
    tables = (
        _site_tables(stores, entry["selector"])
        if entry["source"] == "sites"
        else _observation_tables(stores, int(entry["id"]), start, end, tz)
    )
    span = "".join(f"_{t:%Y%m%d}" for t in (start, end) if t is not None)
    if fmt is not Format.PARQUET:  # Parquet keeps real (UTC) timestamps
        tables = (_texts(t, tz) for t in tables)
    encoders: dict[Format, Callable[[Iterator[pa.Table], dict[str, Any]], Iterator[bytes]]] = {
        Format.CSV: _csv,
        Format.JSON: _json,
        Format.PARQUET: _parquet,
    }
    return Download(f"{name}{span}.{fmt.value}", fmt.media_type, encoders[fmt](tables, meta))


def _observation_tables(
    stores: Stores, dataset_id: int, start: datetime | None, end: datetime | None, tz: tzinfo
) -> Iterator[pa.Table]:
    series = stores.registry.find_series(datasets=[dataset_id])
    if not series:
        yield _EMPTY
        return
    ids = [s["id"] for s in series]
    for lo, hi in time_windows(series, start, end, CHUNK_ROWS):
        table = stores.observations.read(ObservationQuery(series_ids=ids, start=lo, end=hi))
        if table.num_rows:
            yield attach_codes(table, series).select(COLUMNS).cast(_EMPTY.schema)
    yield _EMPTY  # so that an empty range still has a header


def time_windows(
    series: Sequence[Mapping[str, Any]],
    start: datetime | None,
    end: datetime | None,
    rows: int,
) -> Iterator[tuple[datetime, datetime]]:
    """Consecutive [lo, hi) windows covering the series' data within [start, end), each sized to
    hold about ``rows`` values at the series' average rate (between one hour and one year).

    Reading window by window keeps every query small (the store prunes by time), where keyset
    paging over a whole large dataset would sort most of it again for each page."""
    firsts = [s["first_time"] for s in series if s["first_time"] is not None]
    lasts = [s["last_time"] for s in series if s["last_time"] is not None]
    if not firsts or not lasts:
        return
    lo = max(min(firsts), start) if start else min(firsts)
    stop = (
        min(max(lasts) + timedelta(microseconds=1), end)
        if end
        else max(lasts) + timedelta(microseconds=1)
    )
    span = (max(lasts) - min(firsts)).total_seconds() or 1.0
    rate = max(1, sum(int(s["count"] or 0) for s in series)) / span
    width = timedelta(seconds=min(max(rows / rate, 3600.0), 366 * 86400.0))
    while lo < stop:
        hi = min(lo + width, stop)
        yield lo, hi
        lo = hi


_EMPTY = pa.schema(
    [
        ("site", pa.string()),
        ("parameter", pa.string()),
        ("period", pa.string()),
        ("time", pa.timestamp("us", tz="UTC")),
        ("value", pa.float64()),
        ("unit", pa.string()),
        ("flag", pa.string()),
        ("qc", pa.int16()),
    ]
).empty_table()


def local_iso(column: pa.ChunkedArray | pa.Array, tz: tzinfo) -> pa.Array:
    """UTC timestamps as ISO 8601 local times with offset (``2016-01-01T00:00:00+08:00``),
    computed column-wise (whole seconds, as monitoring data are)."""
    offset = tz.utcoffset(None) or timedelta(0)
    minutes = int(offset.total_seconds() // 60)
    suffix = f"{'+' if minutes >= 0 else '-'}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"
    micros = pc.cast(column, pa.int64())
    shifted = pc.add(micros, minutes * 60_000_000).cast(pa.timestamp("us"))
    seconds = pc.cast(shifted, pa.timestamp("s"), safe=False)
    text = pc.replace_substring(pc.cast(seconds, pa.string()), " ", "T")
    return pc.binary_join_element_wise(text, pa.scalar(suffix), "")


def _texts(table: pa.Table, tz: tzinfo) -> pa.Table:
    """The table with its ``time`` column as local ISO text (CSV and JSON)."""
    if "time" not in table.column_names or pa.types.is_string(table.schema.field("time").type):
        return table
    index = table.column_names.index("time")
    return table.set_column(index, "time", local_iso(table.column("time"), tz))


def _site_tables(stores: Stores, selector: dict[str, Any]) -> Iterator[pa.Table]:
    rows = [
        {k: site[k] for k in SITE_COLUMNS}
        for site in stores.registry.sites()
        if selectors.matches(selector, selectors.SeriesFacts(site["code"], site["kind"]))
    ]
    types = [pa.string()] * 7 + [pa.float64(), pa.float64(), pa.string()]
    schema = pa.schema(list(zip(SITE_COLUMNS, types, strict=True)))
    yield pa.Table.from_pylist(rows, schema=schema)


def _csv(tables: Iterator[pa.Table], _meta: dict[str, Any]) -> Iterator[bytes]:
    """RFC 4180 CSV, written by Arrow's CSV writer chunk by chunk (header once)."""
    options = pacsv.WriteOptions(include_header=False, quoting_style="needed")
    first = True
    for table in tables:
        out = io.BytesIO()
        if first:  # plain names (Arrow would quote them)
            out.write((",".join(table.column_names) + "\n").encode())
            first = False
        pacsv.write_csv(table, out, write_options=options)
        yield out.getvalue()


def _json(tables: Iterator[pa.Table], meta: dict[str, Any]) -> Iterator[bytes]:
    head = json.dumps(meta, ensure_ascii=False)[:-1]
    yield (head + ', "rows": [').encode()
    first = True
    for table in tables:
        if table.num_rows:
            body = json.dumps(table.to_pylist(), ensure_ascii=False)[1:-1]
            yield (("" if first else ",") + body).encode()
            first = False
    yield b"]}\n"


class _Sink(io.RawIOBase):
    """A write-only file that hands what was written to the caller chunk by chunk."""

    def __init__(self) -> None:
        self.parts: list[bytes] = []

    def writable(self) -> bool:
        return True

    def write(self, data: Any) -> int:
        self.parts.append(bytes(data))
        return len(data)

    def take(self) -> bytes:
        out, self.parts = b"".join(self.parts), []
        return out


def _parquet(tables: Iterator[pa.Table], meta: dict[str, Any]) -> Iterator[bytes]:
    sink = _Sink()
    writer: pq.ParquetWriter | None = None
    for table in tables:
        if writer is None:
            schema = table.schema.with_metadata({"ecodata": json.dumps(meta, ensure_ascii=False)})
            writer = pq.ParquetWriter(pa.PythonFile(sink, mode="w"), schema)
        writer.write_table(table)
        chunk = sink.take()
        if chunk:
            yield chunk
    if writer is not None:
        writer.close()
    yield sink.take()
