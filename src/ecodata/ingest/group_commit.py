"""Group commit: many small writes from live feeds become one transaction, and each writer learns
when its records are durable.

Live feeds (the HJ 212 gateway, MQTT) call :meth:`GroupCommit.write` with a few rows and await it.
One task collects what arrives within ``wait_ms`` (or until ``max_rows``), appends it through the
store's single writer in one transaction (in a worker thread: DuckDB and psycopg release the GIL),
and then releases every waiter together. Only after that may a feed acknowledge (HJ 212 9014).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import numpy as np
import pyarrow as pa

from ecodata.store.observations import WriteResult
from ecodata.store.stored_stats import StoredStats
from ecodata.store.stores import Stores

log = logging.getLogger(__name__)

#: Seconds between merges of the series statistics into the registry.
STATS_EVERY = 1.0

#: One row: series_id, time (microseconds since 1970-01-01T00:00Z), value, flag, qc.
Row = tuple[int, int, float | None, str | None, int]


@dataclass(frozen=True, slots=True)
class Committed:
    """What one group commit did (shared by everyone whose rows it carried)."""

    rows: int
    stored: int
    duplicate: int
    conflicts: int
    seconds: float


class GroupCommit:
    def __init__(
        self,
        stores: Stores,
        *,
        max_rows: int = 5000,
        wait_ms: float = 5.0,
        on_conflicts: Callable[[pa.Table], None] | None = None,
    ) -> None:
        self.stores = stores
        self.max_rows = max_rows
        self.wait = wait_ms / 1000
        self.on_conflicts = on_conflicts
        self._queue: asyncio.Queue[tuple[Sequence[Row], asyncio.Future[Committed]]] = (
            asyncio.Queue()
        )
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="ecodata-writer")
        self._task: asyncio.Task[None] | None = None
        self.commits = 0
        self.rows_written = 0
        self.seconds = 0.0
        # series statistics of what was committed, merged into the registry at most every
        # STATS_EVERY seconds (off the acknowledgement path) and when stopping
        self._stats = StoredStats()
        self._stats_flushed = time.monotonic()

    async def start(self) -> None:
        # Arrow imports pandas lazily on its first conversion from Python objects (about a
        # second): do it now rather than inside the first device's acknowledgement.
        await asyncio.get_running_loop().run_in_executor(
            self._executor, rows_to_table, [(0, 0, None, None, 0)]
        )
        self._task = asyncio.create_task(self._run(), name="ecodata-group-commit")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        await asyncio.get_running_loop().run_in_executor(self._executor, self._flush_stats)
        self._executor.shutdown(wait=True)

    def _flush_stats(self) -> None:
        self._stats_flushed = time.monotonic()
        if self._stats:
            try:
                self._stats.apply(self.stores)
            except Exception:  # statistics are derived: never fail a feed for them
                log.exception("could not update the series statistics")

    async def write(self, rows: Sequence[Row]) -> Committed:
        """Queue rows; return once they are committed (raises if the commit failed)."""
        future: asyncio.Future[Committed] = asyncio.get_running_loop().create_future()
        await self._queue.put((rows, future))
        return await future

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            batch = [await self._queue.get()]
            count = len(batch[0][0])
            deadline = loop.time() + self.wait
            while count < self.max_rows:
                timeout = deadline - loop.time()
                if timeout <= 0:
                    while not self._queue.empty() and count < self.max_rows:
                        item = self._queue.get_nowait()
                        batch.append(item)
                        count += len(item[0])
                    break
                try:
                    item = await asyncio.wait_for(self._queue.get(), timeout)
                except TimeoutError:
                    break
                batch.append(item)
                count += len(item[0])
            rows = [row for item, _ in batch for row in item]
            try:
                committed = await loop.run_in_executor(self._executor, self._commit, rows)
            except Exception as exc:  # tell every waiter; they must not acknowledge
                log.exception("group commit of %d rows failed", len(rows))
                for _, future in batch:
                    if not future.done():
                        future.set_exception(exc)
                continue
            for _, future in batch:
                if not future.done():
                    future.set_result(committed)
            if time.monotonic() - self._stats_flushed >= STATS_EVERY:
                await loop.run_in_executor(self._executor, self._flush_stats)

    def _commit(self, rows: list[Row]) -> Committed:
        started = time.perf_counter()
        if not rows:
            return Committed(0, 0, 0, 0, 0.0)
        table = rows_to_table(rows)
        result: WriteResult = self.stores.observations.write(table)
        self._stats.add(result, table)
        if result.conflicts.num_rows and self.on_conflicts is not None:
            self.on_conflicts(result.conflicts)
        self.commits += 1
        self.rows_written += result.stored
        self.seconds += time.perf_counter() - started
        return Committed(
            len(rows),
            result.stored,
            result.duplicate,
            result.conflicts.num_rows,
            time.perf_counter() - started,
        )


def epoch_us(at: datetime) -> int:
    """An aware time as microseconds since the epoch (the Row time)."""
    return (int(at.timestamp()) * 1_000_000) + at.microsecond


def rows_to_table(rows: Sequence[Row]) -> pa.Table:
    series, times, values, flags, qcs = zip(*rows, strict=True)
    n = len(rows)
    return pa.table(
        {
            "series_id": pa.array(series, pa.int32()),
            "time": pa.array(times, pa.int64()).cast(pa.timestamp("us", tz="UTC")),
            "value": pa.array(values, pa.float64()),
            "flag": pa.array(flags, pa.string()),
            "qc": pa.array(qcs, pa.int16()),
            "run_id": pa.array(np.zeros(n, dtype=np.int32)),
        }
    )


def describe(committed: Committed) -> dict[str, Any]:
    return {
        "rows": committed.rows,
        "stored": committed.stored,
        "duplicate": committed.duplicate,
        "conflicts": committed.conflicts,
        "seconds": committed.seconds,
    }
