"""Keeping ``series.first_time/last_time/count`` up to date from what writes stored.

A write reports the statistics of the records it stored (or that it cannot tell, when it stored
part of its batch); they are collected here and merged into the registry in one transaction,
and only the series of writes that could not tell are counted again from the store.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

import pyarrow as pa

from ecodata.store.observations import WriteResult, merge_stats
from ecodata.store.stores import Stores


@dataclass
class StoredStats:
    parts: list[pa.Table] = field(default_factory=list)
    unknown: set[int] = field(default_factory=set)
    _lock: threading.Lock = field(default_factory=threading.Lock)  # writers may run at once

    def add(self, result: WriteResult, batch: pa.Table) -> None:
        """Collect the statistics of a write of ``batch`` (or of any table with the series_id
        column of the batch)."""
        with self._lock:
            if result.stats is not None:
                self.parts.append(result.stats)
            elif result.stored:
                self.unknown.update(batch.column("series_id").to_pylist())

    def __bool__(self) -> bool:
        return bool(self.parts or self.unknown)

    def apply(self, stores: Stores) -> None:
        """Merge what was collected into the registry and start again."""
        with self._lock:
            parts, unknown = self.parts, self.unknown
            self.parts, self.unknown = [], set()
        stores.registry.merge_series_stats(merge_stats(parts))
        if unknown:
            stores.registry.update_series_stats(stores.observations.stats(sorted(unknown)))
