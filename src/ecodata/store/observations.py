"""The observation store interface shared by the DuckDB and PostgreSQL backends.

An observation is unique on (series_id, time) — that is on (site, parameter, period, time). Writes
are idempotent: a record whose key is stored with the same value and flag is a *duplicate* and adds
nothing; a record whose key is stored with a *different* value is a *conflict*, returned to the
caller (which quarantines it) so that nothing received is lost and nothing stored is silently
replaced.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ecodata.errors import InputError
from ecodata.model import OBSERVATION_SCHEMA
from ecodata.store.derived import CellQuery, DerivedQuery

#: Columns of a conflict table: the incoming record plus what is stored under its key.
CONFLICT_SCHEMA = OBSERVATION_SCHEMA.append(pa.field("stored_value", pa.float64())).append(
    pa.field("stored_flag", pa.string())
)

STATS_SCHEMA = pa.schema(
    [
        ("series_id", pa.int32()),
        ("first", pa.timestamp("us", tz="UTC")),
        ("last", pa.timestamp("us", tz="UTC")),
        ("count", pa.int64()),
    ]
)


@dataclass(frozen=True, slots=True)
class WriteResult:
    stored: int
    duplicate: int
    conflicts: pa.Table  # CONFLICT_SCHEMA


@dataclass(frozen=True, slots=True)
class ObservationQuery:
    """Which observations to read. Times are half-open: ``start <= time < end``.

    Results are ordered by (series_id, time) — or (series_id, time DESC) with ``descending`` — and
    ``after`` continues a keyset page after the given (series_id, time).
    """

    series_ids: Sequence[int] | None = None
    start: datetime | None = None
    end: datetime | None = None
    after: tuple[int, datetime] | None = None
    limit: int | None = None
    descending: bool = False
    valid_only: bool = False


class ObservationStore(Protocol):
    backend: str

    @property
    def version(self) -> int:
        """Grows after every committed write or delete that may change stored observations (for
        caches of what is read from them); one cheap read."""
        ...

    def write(self, batch: pa.Table | PreparedBatch) -> WriteResult: ...

    def read(self, query: ObservationQuery) -> pa.Table: ...

    def latest(self, series_ids: Sequence[int] | None = None) -> pa.Table:
        """The newest observation of each series (that has one), by series id."""
        ...

    def stats(self, series_ids: Sequence[int] | None = None) -> pa.Table: ...

    def months(self, tz_offset_hours: int = 8) -> list[tuple[int, int]]: ...

    def sql(self, query: str, params: dict[str, Any] | None = None) -> pa.Table: ...

    def count(self) -> int: ...

    def cells(self, query: CellQuery) -> pa.Table: ...

    def write_derived(
        self,
        name: str,
        table: pa.Table,
        *,
        key: Sequence[str],
        replace: DerivedQuery | None = None,
    ) -> int: ...

    def read_derived(self, name: str, query: DerivedQuery) -> pa.Table: ...

    def delete(self, series_ids: Sequence[int], *, time: datetime | None = None) -> int: ...

    def close(self) -> None: ...


def conform(batch: pa.Table) -> pa.Table:
    """Cast a batch to :data:`OBSERVATION_SCHEMA`, refusing missing columns or null keys."""
    missing = [f.name for f in OBSERVATION_SCHEMA if f.name not in batch.column_names]
    if missing:
        raise InputError(f"observation batch lacks columns {missing}")
    for name in ("series_id", "time", "qc", "run_id"):
        if batch.column(name).null_count:
            raise InputError(f"observation batch has null {name}")
    batch = batch.select(OBSERVATION_SCHEMA.names).cast(OBSERVATION_SCHEMA, safe=False)
    flags = batch.column("flag")
    if flags.null_count < len(flags):
        longest = pc.max(pc.utf8_length(flags)).as_py()
        if longest is not None and longest > 1:
            raise InputError("observation flags are single letters (HJ 212-2017 Table 8)")
    return batch


def drop_repeated_keys(batch: pa.Table) -> tuple[pa.Table, int]:
    """Keep the first record of each (series_id, time) in one batch; return (batch, dropped)."""
    if batch.num_rows < 2:
        return batch, 0
    if not _has_repeated_keys(batch):
        return batch, 0
    series = batch.column("series_id").to_numpy()
    times = batch.column("time").cast(pa.int64()).to_numpy()
    order = np.lexsort((np.arange(len(series)), times, series))
    s, t = series[order], times[order]
    repeated = np.zeros(len(order), dtype=bool)
    repeated[1:] = (s[1:] == s[:-1]) & (t[1:] == t[:-1])
    if not repeated.any():
        return batch, 0
    keep = np.sort(order[~repeated])
    return batch.take(pa.array(keep)), int(repeated.sum())


def _has_repeated_keys(batch: pa.Table) -> bool:
    """Whether two records share (series_id, time). Bulk batches hold few distinct times, so the
    key is dense: (series offset × distinct times + time index), counted with ``bincount``."""
    times = batch.column("time")
    distinct = pc.unique(times)
    series = batch.column("series_id").to_numpy()
    low = int(series.min())
    cells = (int(series.max()) - low + 1) * len(distinct)
    if cells > 50_000_000:
        return True  # too sparse to count densely: let the sorting check decide
    index = pc.index_in(times, value_set=distinct).to_numpy()
    key = (series.astype(np.int64) - low) * len(distinct) + index
    return bool((np.bincount(key, minlength=cells) > 1).any())


def newest_per_series(batch: pa.Table) -> pa.Table:
    """The newest record of each series in a batch without repeated keys, by series id: what a
    write may make the series' latest observation."""
    if batch.num_rows == 0:
        return batch
    series = batch.column("series_id").to_numpy()
    times = batch.column("time").cast(pa.int64()).to_numpy()
    low, high = int(series.min()), int(series.max())
    if high - low > 50_000_000:  # too sparse for a dense array: hash-aggregate instead
        top = batch.group_by("series_id").aggregate([("time", "max")])
        keys = pa.table({"series_id": top["series_id"], "time": top["time_max"]})
        newest = batch.join(keys, ["series_id", "time"], join_type="inner")
    else:
        index = series - low
        top_of = np.full(high - low + 1, np.iinfo(np.int64).min)
        np.maximum.at(top_of, index, times)
        newest = batch.filter(pa.array(times == top_of[index]))
    return newest.select(batch.column_names).sort_by("series_id")


@dataclass(frozen=True, slots=True)
class PreparedBatch:
    """An observation batch made ready for a write by :func:`prepare`, in any thread: what a
    store does before it touches the database, so that an import prepares the next file's batch
    while the writer stores the current one."""

    batch: pa.Table  # conformed, without repeated keys
    repeated: int  # records dropped as repeats of a key within the batch
    lo: datetime | None  # smallest and largest time (None when empty)
    hi: datetime | None
    newest: pa.Table  # the newest record of each series, by series id

    def with_run(self, run_id: int) -> PreparedBatch:
        """The same batch attributed to import run ``run_id``."""

        def attributed(table: pa.Table) -> pa.Table:
            runs = pa.array(np.full(table.num_rows, run_id, dtype=np.int32))
            return table.set_column(table.schema.get_field_index("run_id"), "run_id", runs)

        return PreparedBatch(
            attributed(self.batch), self.repeated, self.lo, self.hi, attributed(self.newest)
        )


def prepare(batch: pa.Table | PreparedBatch) -> PreparedBatch:
    """Conform a batch, drop repeated keys, find its time bounds and newest rows (pure)."""
    if isinstance(batch, PreparedBatch):
        return batch
    table, repeated = drop_repeated_keys(conform(batch))
    if table.num_rows == 0:
        return PreparedBatch(table, repeated, None, None, table)
    lo, hi = time_bounds(table)
    return PreparedBatch(table, repeated, lo, hi, newest_per_series(table))


def time_bounds(batch: pa.Table) -> tuple[datetime, datetime]:
    """Smallest and largest time in a non-empty batch."""
    bounds = pc.min_max(batch.column("time"))
    return bounds["min"].as_py(), bounds["max"].as_py()


def empty_conflicts() -> pa.Table:
    return CONFLICT_SCHEMA.empty_table()
