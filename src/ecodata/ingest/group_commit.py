"""Group commit: many small writes from live feeds become one transaction, and each writer learns
when its records are durable.

Live feeds (the HJ 212 gateway) hand over the readings of a few packets with
:meth:`GroupCommit.submit` and a callback (or await :meth:`GroupCommit.write`). One task appends
what has queued up through the store's single writer in one transaction (in a worker thread:
DuckDB and psycopg release the GIL), and then calls every callback in the order of submission.
Only then may a feed acknowledge (HJ 212 9014). Commits start at most every ``wait_ms``: a
transaction has a fixed cost (on DuckDB about 10 ms for the statements and the log flush, whatever
its size), which a busy gateway thus shares among more packets; after a quiet spell the first
packet goes at once. Series statistics are merged into the registry on their own thread.

Readings travel as columns per packet (one time, the series, values, flags and QC bits of its
readings) and become one Arrow table per commit, without a Python object per row.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from array import array
from collections import deque
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import numpy as np
import pyarrow as pa

from ecodata.store.arrays import from_numpy
from ecodata.store.observations import ObservationStore, WriteResult
from ecodata.store.stored_stats import StoredStats
from ecodata.store.stores import Stores

log = logging.getLogger(__name__)

#: Seconds between merges of the series statistics into the registry.
STATS_EVERY = 1.0

#: The readings of one packet, all at one time: series ids, time (microseconds since
#: 1970-01-01T00:00Z), values, flags and QC bits (one entry per reading in each sequence).
Readings = tuple[Sequence[int], int, Sequence[float | None], Sequence[str | None], Sequence[int]]


@dataclass(frozen=True, slots=True)
class Committed:
    """What one group commit did (shared by everyone whose rows it carried)."""

    rows: int
    stored: int
    duplicate: int
    conflicts: int
    seconds: float


#: Called once the readings are committed (with what the commit did) or could not be (the error).
Done = Callable[[Committed | BaseException], None]


class GroupCommit:
    def __init__(
        self,
        stores: Stores,
        *,
        max_rows: int = 50_000,
        wait_ms: float = 40.0,
        on_conflicts: Callable[[pa.Table], None] | None = None,
    ) -> None:
        self.stores = stores
        self.max_rows = max_rows
        self.wait = wait_ms / 1000
        self.on_conflicts = on_conflicts
        self._pending: deque[tuple[list[Readings], int, Done]] = deque()
        self._pending_rows = 0
        self._wakeup: asyncio.Future[None] | None = None
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="ecodata-writer")
        self._stats_executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="ecodata-stats")
        self._merging: asyncio.Future[None] | None = None
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
            self._executor, readings_to_table, [((0,), 0, (None,), (None,), (0,))]
        )
        self._task = asyncio.create_task(self._run(), name="ecodata-group-commit")

    async def stop(self) -> None:
        """Commit what is still queued (its callbacks run), then stop."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        while self._pending:
            await self._commit_next(asyncio.get_running_loop())
        if self._merging is not None:
            await self._merging
        self._executor.shutdown(wait=True)
        await asyncio.get_running_loop().run_in_executor(self._stats_executor, self._flush_stats)
        self._stats_executor.shutdown(wait=True)

    def _flush_stats(self) -> None:
        self._stats_flushed = time.monotonic()
        if self._stats:
            try:
                self._stats.apply(self.stores)
            except Exception:  # statistics are derived: never fail a feed for them
                log.exception("could not update the series statistics")

    def submit(self, readings: list[Readings], rows: int, done: Done) -> None:
        """Queue the readings of some packets (``rows`` readings in all); ``done`` is called in
        the event loop once they are committed, in the order of submission."""
        self._pending.append((readings, rows, done))
        self._pending_rows += rows
        wakeup = self._wakeup
        if wakeup is not None and not wakeup.done():
            wakeup.set_result(None)

    async def write(self, readings: list[Readings]) -> Committed:
        """Queue readings; return once they are committed (raises if the commit failed)."""
        future: asyncio.Future[Committed] = asyncio.get_running_loop().create_future()

        def done(outcome: Committed | BaseException) -> None:
            if future.done():
                return
            if isinstance(outcome, BaseException):
                future.set_exception(outcome)
            else:
                future.set_result(outcome)

        self.submit(readings, sum(len(r[0]) for r in readings), done)
        return await future

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        started = -self.wait
        while True:
            if not self._pending:
                self._wakeup = loop.create_future()
                await self._wakeup
                self._wakeup = None
            # Commits start at most every ``wait`` seconds, so that the fixed cost of a
            # transaction is shared by more packets as the load grows; after a quiet spell the
            # first packet goes at once.
            delay = started + self.wait - loop.time()
            if delay > 0 and self._pending_rows < self.max_rows:
                await asyncio.sleep(delay)
            started = loop.time()
            await self._commit_next(loop)
            merging = self._merging
            if time.monotonic() - self._stats_flushed >= STATS_EVERY and (
                merging is None or merging.done()
            ):
                # on its own thread: the registry update never holds up a commit
                self._stats_flushed = time.monotonic()
                self._merging = loop.run_in_executor(self._stats_executor, self._flush_stats)

    async def _commit_next(self, loop: asyncio.AbstractEventLoop) -> None:
        """Commit the oldest queued submissions (up to ``max_rows`` readings, at least one)."""
        batch = [self._pending.popleft()]
        count = batch[0][1]
        while self._pending and count + self._pending[0][1] <= self.max_rows:
            batch.append(self._pending.popleft())
            count += batch[-1][1]
        self._pending_rows -= count
        readings = [packet for submitted, _, _ in batch for packet in submitted]
        try:
            committed = await loop.run_in_executor(self._executor, self._commit, readings, count)
        except Exception as exc:  # tell every submitter; they must not acknowledge
            log.exception("group commit of %d rows failed", count)
            _call_all(batch, exc)
            return
        _call_all(batch, committed)

    def _commit(self, readings: list[Readings], rows: int) -> Committed:
        started = time.perf_counter()
        if not rows:
            return Committed(0, 0, 0, 0, 0.0)
        result = write_readings(self.stores.observations, readings)
        self._stats.add(result, _series_of(readings) if result.stats is None else _NO_SERIES)
        if result.conflicts.num_rows and self.on_conflicts is not None:
            self.on_conflicts(result.conflicts)
        self.commits += 1
        self.rows_written += result.stored
        self.seconds += time.perf_counter() - started
        return Committed(
            rows,
            result.stored,
            result.duplicate,
            result.conflicts.num_rows,
            time.perf_counter() - started,
        )


def _call_all(
    batch: list[tuple[list[Readings], int, Done]], outcome: Committed | Exception
) -> None:
    for _, _, done in batch:
        try:
            done(outcome)
        except Exception:
            log.exception("a group-commit callback failed")


def epoch_us(at: datetime) -> int:
    """An aware time as microseconds since the epoch (the Readings time)."""
    return (int(at.timestamp()) * 1_000_000) + at.microsecond


def write_readings(observations: ObservationStore, readings: Sequence[Readings]) -> WriteResult:
    """Store readings: as one table, or handed over as they are to a store that takes them (a
    receiving process's store, :mod:`ecodata.ingest.hj212_receivers`, builds the table in the
    server process)."""
    takes_readings = getattr(observations, "write_readings", None)
    if takes_readings is not None:
        result: WriteResult = takes_readings(readings)
        return result
    return observations.write(readings_to_table(readings))


_NO_SERIES = pa.table({"series_id": pa.array([], pa.int32())})


def _series_of(readings: Sequence[Readings]) -> pa.Table:
    """The series of readings, as the statistics want them from a write that cannot tell."""
    series = array("i")
    for packet in readings:
        series.extend(packet[0])
    return pa.table({"series_id": from_numpy(np.frombuffer(series, np.int32))})


def readings_to_table(readings: Sequence[Readings]) -> pa.Table:
    """One observations table of the readings of many packets (columns joined, not rows built)."""
    series = array("i")
    times = array("q")
    counts = array("q")
    values: list[float | None] = []
    flags: list[str | None] = []
    qcs = array("h")
    for ids, at, packet_values, packet_flags, packet_qcs in readings:
        series.extend(ids)
        times.append(at)
        counts.append(len(ids))
        values.extend(packet_values)
        flags.extend(packet_flags)
        qcs.extend(packet_qcs)
    n = len(series)
    stamps = np.repeat(np.frombuffer(times, np.int64), np.frombuffer(counts, np.int64))
    return pa.table(
        {
            "series_id": from_numpy(np.frombuffer(series, np.int32)),
            "time": from_numpy(stamps, pa.timestamp("us", tz="UTC")),
            "value": pa.array(values, pa.float64()),
            "flag": pa.array(flags, pa.string()),
            "qc": from_numpy(np.frombuffer(qcs, np.int16)),
            "run_id": from_numpy(np.zeros(n, dtype=np.int32)),
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
