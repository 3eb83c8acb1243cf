"""Dense site × time grids read from the observation store.

The store selects the observations of the wanted series in a time range and computes each value's
time slot (:meth:`ObservationStore.cells`); here the cells are scattered into one float array
``(columns, sites, slots)`` with NaN for missing values — the per-station-hour table the standards
are applied to, without a Python object per value.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

from ecodata.errors import InputError
from ecodata.model import Period
from ecodata.store.derived import CellQuery
from ecodata.store.observations import ObservationStore

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]


@dataclass(frozen=True)
class SeriesMap:
    """Stored series and the grid cell each fills: ``row`` (site) and ``column`` (parameter);
    ``first``/``last`` are the series' first and last times (NaT when unknown)."""

    series_id: npt.NDArray[np.int32]
    row: npt.NDArray[np.int32]
    column: npt.NDArray[np.int16]
    first: npt.NDArray[np.datetime64]
    last: npt.NDArray[np.datetime64]

    def __len__(self) -> int:
        return int(self.series_id.size)

    def subset(self, keep: BoolArray) -> SeriesMap:
        return SeriesMap(
            self.series_id[keep], self.row[keep], self.column[keep], self.first[keep],
            self.last[keep],
        )  # fmt: skip

    def overlapping(self, start: datetime, end: datetime) -> SeriesMap:
        """The series with data in [start, end) (series without statistics are kept)."""
        lo, hi = utc64(start), utc64(end)
        unknown = np.isnat(self.first) | np.isnat(self.last)
        keep = unknown | ((self.first < hi) & (self.last >= lo))
        return self.subset(keep)

    def span(self) -> tuple[datetime, datetime] | None:
        """First and last stored time over all series (None when nothing is stored)."""
        first, last = self.first[~np.isnat(self.first)], self.last[~np.isnat(self.last)]
        if first.size == 0 or last.size == 0:
            return None
        return _aware(first.min()), _aware(last.max())


def with_stored_span(store: ObservationStore, series: SeriesMap) -> SeriesMap:
    """The series that hold observations, with their first and last time as the store has them
    now (the registry's statistics are refreshed by imports only, not by live feeds)."""
    if len(series) == 0:
        return series
    stats = store.stats(series.series_id.tolist())
    ids = stats.column("series_id").to_numpy().astype(np.int64)
    first = np.full(int(series.series_id.max()) + 1, np.datetime64("NaT"), dtype="datetime64[us]")
    last = first.copy()
    first[ids] = _naive64(stats.column("first"))
    last[ids] = _naive64(stats.column("last"))
    held = series.subset(np.isin(series.series_id, ids))
    return SeriesMap(held.series_id, held.row, held.column, first[held.series_id],
                     last[held.series_id])  # fmt: skip


def series_map(
    frame: pa.Table,
    rows: Sequence[str],
    columns: Sequence[str],
    period: Period,
) -> SeriesMap:
    """The series of the given sites (``rows``) and parameters (``columns``) with ``period``;
    ``frame`` is :meth:`Registry.series_frame`."""
    wanted = pc.and_(
        pc.and_(
            pc.is_in(frame.column("parameter"), pa.array(list(columns), pa.string())),
            pc.is_in(frame.column("site"), pa.array(list(rows), pa.string())),
        ),
        pc.equal(frame.column("period"), int(period)),
    )
    chosen = frame.filter(wanted)
    row_of = {code: i for i, code in enumerate(rows)}
    column_of = {code: i for i, code in enumerate(columns)}
    return SeriesMap(
        series_id=chosen.column("series_id").to_numpy().astype(np.int32),
        row=np.array([row_of[s] for s in chosen.column("site").to_pylist()], dtype=np.int32),
        column=np.array(
            [column_of[p] for p in chosen.column("parameter").to_pylist()], dtype=np.int16
        ),
        first=_naive64(chosen.column("first_time")),
        last=_naive64(chosen.column("last_time")),
    )


@dataclass(frozen=True)
class Grid:
    """Values of ``columns`` for ``n_rows`` sites over ``slots`` time steps from ``start``:
    ``values[c, r, s]``; ``valid`` (when read with ``valid_only=False``) marks valid cells."""

    columns: tuple[str, ...]
    n_rows: int
    start: datetime
    step: timedelta
    slots: int
    values: FloatArray
    valid: BoolArray | None = None

    def column(self, name: str) -> FloatArray:
        try:
            column: FloatArray = self.values[self.columns.index(name)]
        except ValueError:
            raise InputError(f"the grid has no column {name!r}") from None
        return column

    def slot_times(self) -> npt.NDArray[np.datetime64]:
        """Start of every slot as naive UTC ``datetime64[us]``."""
        step = np.timedelta64(self.step // timedelta(microseconds=1), "us")
        return utc64(self.start) + np.arange(self.slots) * step


def read_grid(
    store: ObservationStore,
    series: SeriesMap,
    *,
    columns: Sequence[str],
    n_rows: int,
    start: datetime,
    end: datetime,
    step: timedelta,
    valid_only: bool = True,
) -> Grid:
    """Read the cells of ``series`` in [start, end) and scatter them into a dense grid."""
    slots = int((end - start) // step)
    values = np.full((len(columns), n_rows, slots), np.nan)
    valid = None if valid_only else np.zeros(values.shape, dtype=bool)
    grid = Grid(tuple(columns), n_rows, start, step, slots, values, valid)
    if len(series) == 0 or slots <= 0:
        return grid
    cells = store.cells(
        CellQuery(series.series_id.tolist(), start, end, step, valid_only=valid_only)
    )
    if cells.num_rows == 0:
        return grid
    # one gather and one scatter: the flat cell of (column, row, slot 0) per series id
    base = np.full(int(series.series_id.max()) + 1, -1, dtype=np.int64)
    base[series.series_id] = (series.column.astype(np.int64) * n_rows + series.row) * slots
    flat = base[cells.column("series_id").to_numpy()] + cells.column("slot").to_numpy()
    values.reshape(-1)[flat] = cells.column("value").to_numpy()
    if valid is not None:
        valid.reshape(-1)[flat] = cells.column("valid").to_numpy(zero_copy_only=False)
    return grid


def _naive64(column: pa.ChunkedArray) -> npt.NDArray[np.datetime64]:
    """Timestamps (aware UTC) → naive UTC ``datetime64[us]``, NaT where null."""
    plain = column.cast(pa.timestamp("us"))
    return np.asarray(plain.to_numpy(zero_copy_only=False), dtype="datetime64[us]")


def utc64(moment: datetime) -> np.datetime64:
    """An aware datetime as naive UTC ``datetime64[us]`` (the grids' time axis)."""
    return np.datetime64(moment.astimezone(UTC).replace(tzinfo=None), "us")


def _aware(value: np.datetime64) -> datetime:
    micros = int(value.astype("datetime64[us]").astype(np.int64))
    return datetime(1970, 1, 1, tzinfo=UTC) + timedelta(microseconds=micros)
