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
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ecodata.errors import InputError
from ecodata.model import OBSERVATION_SCHEMA
from ecodata.store.arrays import from_numpy, to_numpy
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
    # first/last time and count per series of the records this write stored (STATS_SCHEMA);
    # None when the store could not tell (a write that stored part of its batch)
    stats: pa.Table | None = None


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
    key_ordered_writes: bool  # whether batches sorted by (series_id, time) write faster
    concurrent_writes: int  # how many writes may usefully run at once (from as many threads)

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


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


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
    series = to_numpy(batch.column("series_id"), np.int32)
    times = to_numpy(batch.column("time"), np.int64)
    order = np.lexsort((np.arange(len(series)), times, series))
    s, t = series[order], times[order]
    repeated = np.zeros(len(order), dtype=bool)
    repeated[1:] = (s[1:] == s[:-1]) & (t[1:] == t[:-1])
    if not repeated.any():
        return batch, 0
    keep = np.sort(order[~repeated])
    return batch.take(from_numpy(keep)), int(repeated.sum())


_DENSE_SPAN = 50_000_000  # cells up to this are counted or grouped with dense numpy arrays


def _has_repeated_keys(batch: pa.Table) -> bool:
    """Whether two records share (series_id, time). Bulk batches hold few distinct times, so the
    key is dense: (series offset × distinct times + time index), counted with ``bincount``."""
    times = batch.column("time")
    distinct = pc.unique(times)
    series = to_numpy(batch.column("series_id"), np.int32)
    low = int(series.min())
    cells = (int(series.max()) - low + 1) * len(distinct)
    if cells > _DENSE_SPAN:
        return True  # too sparse to count densely: let the sorting check decide
    index = to_numpy(pc.index_in(times, value_set=distinct), np.int32)
    key = (series.astype(np.int64) - low) * len(distinct) + index
    return bool((np.bincount(key, minlength=cells) > 1).any())


def _stats_table(ids: np.ndarray, first: np.ndarray, last: np.ndarray, n: np.ndarray) -> pa.Table:
    instant = pa.timestamp("us", tz="UTC")
    return pa.table(
        {
            "series_id": from_numpy(ids.astype(np.int32)),
            "first": from_numpy(first.astype(np.int64), instant),
            "last": from_numpy(last.astype(np.int64), instant),
            "count": from_numpy(n.astype(np.int64)),
        }
    )


def _grouped_stats(
    series: np.ndarray, first: np.ndarray, last: np.ndarray, n: np.ndarray | None
) -> pa.Table:
    """Statistics by series of records (``n`` None: each counts once) or of partial statistics
    (in numpy: Arrow's grouping would load its dataset module, and with it pandas)."""
    low, high = int(series.min()), int(series.max())
    dense = high - low <= _DENSE_SPAN
    if dense:  # one slot per id in the span
        group, slots = series - low, high - low + 1
    else:
        ids, group = np.unique(series, return_inverse=True)
        slots = len(ids)
    lowest = np.full(slots, np.iinfo(np.int64).max)
    highest = np.full(slots, np.iinfo(np.int64).min)
    np.minimum.at(lowest, group, first)
    np.maximum.at(highest, group, last)
    counts = np.bincount(group, n, slots)
    if dense:
        present = np.flatnonzero(counts)
        ids, lowest, highest, counts = (
            present + low,
            lowest[present],
            highest[present],
            counts[present],
        )
    return _stats_table(ids, lowest, highest, counts)


def batch_stats(batch: pa.Table) -> pa.Table:
    """Per series of a batch without repeated keys: first and last time and the number of
    records (:data:`STATS_SCHEMA`), by series id."""
    if batch.num_rows == 0:
        return pa.Table.from_batches([], schema=STATS_SCHEMA)
    series = to_numpy(batch.column("series_id"), np.int32)
    times = to_numpy(batch.column("time"), np.int64)
    return _grouped_stats(series, times, times, None)  # each record counts once


def merge_stats(parts: Sequence[pa.Table]) -> pa.Table:
    """Several :data:`STATS_SCHEMA` tables as one: earliest first, latest last, counts added."""
    tables = [t for t in parts if t.num_rows]
    if not tables:
        return pa.Table.from_batches([], schema=STATS_SCHEMA)
    if len(tables) == 1:
        return tables[0]

    def column(name: str, dtype: type) -> np.ndarray:
        return np.concatenate([to_numpy(t.column(name), dtype) for t in tables])

    return _grouped_stats(
        column("series_id", np.int32),
        column("first", np.int64),
        column("last", np.int64),
        column("count", np.int64),
    )


def newest_per_series(batch: pa.Table, stats: pa.Table | None = None) -> pa.Table:
    """The newest record of each series in a batch without repeated keys, by series id: what a
    write may make the series' latest observation. ``stats`` is the batch's
    :func:`batch_stats`, when known."""
    if batch.num_rows == 0:
        return batch
    stats = batch_stats(batch) if stats is None else stats
    ids = to_numpy(stats.column("series_id"), np.int32)
    last = to_numpy(stats.column("last"), np.int64)
    series = to_numpy(batch.column("series_id"), np.int32)
    times = to_numpy(batch.column("time"), np.int64)
    low, high = int(ids[0]), int(ids[-1])
    if high - low <= _DENSE_SPAN:
        last_of = np.zeros(high - low + 1, dtype=np.int64)
        last_of[ids - low] = last
        newest_time = last_of[series - low]
    else:
        newest_time = last[np.searchsorted(ids, series)]
    newest = batch.filter(from_numpy(times == newest_time))
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
    stats: pa.Table  # first and last time and count of each series (STATS_SCHEMA)

    def with_run(self, run_id: int) -> PreparedBatch:
        """The same batch attributed to import run ``run_id``."""

        def attributed(table: pa.Table) -> pa.Table:
            runs = from_numpy(np.full(table.num_rows, run_id, dtype=np.int32))
            return table.set_column(table.schema.get_field_index("run_id"), "run_id", runs)

        return PreparedBatch(
            attributed(self.batch),
            self.repeated,
            self.lo,
            self.hi,
            attributed(self.newest),
            self.stats,
        )


def prepare(
    batch: pa.Table | PreparedBatch, *, unique_keys: bool = False, key_order: bool = False
) -> PreparedBatch:
    """Conform a batch, drop repeated keys, find its time bounds and newest rows (pure).

    ``unique_keys`` says that the producer guarantees distinct (series_id, time) keys, which
    skips the search for repeats; ``key_order`` sorts the batch by them (for a store whose
    ``key_ordered_writes`` says so).
    """
    if isinstance(batch, PreparedBatch):
        return batch
    table, repeated = conform(batch), 0
    if not unique_keys:
        table, repeated = drop_repeated_keys(table)
    if key_order and not in_key_order(table):
        table = table.sort_by([("series_id", "ascending"), ("time", "ascending")])
    stats = batch_stats(table)
    if table.num_rows == 0:
        return PreparedBatch(table, repeated, None, None, table, stats)
    lo, hi = time_bounds(stats)
    return PreparedBatch(table, repeated, lo, hi, newest_per_series(table, stats), stats)


def in_key_order(batch: pa.Table) -> bool:
    """Whether a batch's rows are in strictly increasing (series_id, time) order."""
    if batch.num_rows < 2:
        return True
    series = np.diff(to_numpy(batch.column("series_id"), np.int32))
    times = np.diff(to_numpy(batch.column("time"), np.int64))
    return bool(((series > 0) | ((series == 0) & (times > 0))).all())


def stored_stats(prepared: PreparedBatch, stored: int) -> pa.Table | None:
    """The statistics of what a write of ``prepared`` stored, when it stored all or nothing."""
    if stored == prepared.batch.num_rows:
        return prepared.stats
    if stored == 0:
        return pa.Table.from_batches([], schema=STATS_SCHEMA)
    return None


def time_bounds(stats: pa.Table) -> tuple[datetime, datetime]:
    """Smallest and largest time of a non-empty batch, from its :func:`batch_stats`."""
    # Microseconds since the epoch (the schema's unit), turned into datetimes without Arrow's
    # scalar conversion, which imports pandas on its first call.
    first = int(to_numpy(stats.column("first"), np.int64).min())
    last = int(to_numpy(stats.column("last"), np.int64).max())
    return _EPOCH + timedelta(microseconds=first), _EPOCH + timedelta(microseconds=last)


def empty_conflicts() -> pa.Table:
    return pa.Table.from_batches([], schema=CONFLICT_SCHEMA)  # (empty_table() imports pandas)
