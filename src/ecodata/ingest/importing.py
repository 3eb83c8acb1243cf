"""The import pipeline shared by every file importer.

An importer turns one file into :class:`Chunk` s: observations already keyed by series id (or
reference rows it stores itself) plus the records it rejected. This module does the rest: the import
run (provenance), writing through the one writer, quarantining conflicts and rejects, the counts and
the summary. Re-importing a file adds nothing and says so.
"""

from __future__ import annotations

import hashlib
import logging
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from itertools import islice
from pathlib import Path
from typing import Any, Protocol

import numpy as np
import pyarrow as pa

from ecodata.errors import EcodataError, FormatError
from ecodata.model import OBSERVATION_SCHEMA, Period
from ecodata.store.arrays import from_numpy
from ecodata.store.observations import PreparedBatch, prepare
from ecodata.store.provenance import Counts, Rejected
from ecodata.store.stored_stats import StoredStats
from ecodata.store.stores import Stores

log = logging.getLogger(__name__)

Progress = Callable[[int], None]  # advance by this many bytes


@dataclass
class Chunk:
    """What an importer produced from a part of a file.

    ``observations`` has :data:`OBSERVATION_SCHEMA` except ``run_id`` (filled in here).
    Reference-data importers store their rows themselves and report ``stored``/``duplicate``.
    """

    observations: pa.Table | None = None
    rejected: list[Rejected] = field(default_factory=list)
    read: int = 0
    stored: int = 0
    duplicate: int = 0
    bytes_done: int = 0
    unique_keys: bool = False  # the importer guarantees no two observations share a key


class Importer(Protocol):
    def __call__(self, path: Path, ctx: ImportContext) -> Iterator[Chunk]: ...


@dataclass
class ImportContext:
    stores: Stores
    options: dict[str, Any]

    def series_matrix(
        self, site_codes: Sequence[str], parameter_codes: Sequence[str], period: Period
    ) -> np.ndarray:
        """Series ids as a (parameters × sites) int array; -1 where the site is unknown.

        Missing series of known sites are created.
        """
        registry = self.stores.registry
        params = registry.parameter_ids()
        unknown = [p for p in parameter_codes if p not in params]
        if unknown:
            raise FormatError(
                f"parameters {unknown} are not in the registry; run `ecodata init` first"
            )
        return registry.series_matrix(site_codes, [params[p] for p in parameter_codes], period)


@dataclass(frozen=True)
class FileResult:
    path: str
    run_id: int
    counts: Counts
    status: str
    message: str = ""


@dataclass(frozen=True)
class ImportSummary:
    kind: str
    files: list[FileResult]

    @property
    def counts(self) -> Counts:
        total = Counts()
        for f in self.files:
            total = total + f.counts
        return total

    def as_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            **self.counts.as_dict(),
            "files": [
                {"path": f.path, "run_id": f.run_id, "status": f.status, "message": f.message}
                | f.counts.as_dict()
                for f in self.files
            ],
        }


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def run_import(
    stores: Stores,
    kind: str,
    importer: Importer,
    paths: Iterable[Path],
    *,
    user: str = "",
    options: dict[str, Any] | None = None,
    progress: Progress | None = None,
) -> ImportSummary:
    """Import files one by one; each file is one import run with its own counts.

    The next file is hashed and parsed in a second thread while the current one is written, so
    that parsing (Python, numpy, Arrow) overlaps with the database's work; a store that takes
    several writes at once (``concurrent_writes``: PostgreSQL) writes as many files at a time.
    """
    opts = options or {}
    results: list[FileResult] = []
    stats = StoredStats()  # merged into the series at the end (no recount of the store)
    writers = stores.observations.concurrent_writes
    try:
        with (
            ThreadPoolExecutor(max_workers=1, thread_name_prefix="ecodata-parse") as pool,
            ThreadPoolExecutor(max_workers=writers, thread_name_prefix="ecodata-write") as writing,
        ):
            pending: deque[tuple[Path, Future[str], Future[Parsed]]] = deque()
            written: deque[Future[FileResult]] = deque()

            def submit(path: Path) -> None:
                digest = pool.submit(sha256_of, path)
                parsed = pool.submit(_parse_file, importer, path, stores, opts)
                pending.append((path, digest, parsed))

            queue = iter(paths)
            for path in islice(queue, 1 + writers):
                submit(path)
            while pending:
                path, digest, parsed = pending.popleft()
                following = next(queue, None)
                if following is not None:
                    submit(following)
                written.append(
                    writing.submit(
                        _import_file, stores, kind, path, digest, parsed, user, progress, stats
                    )
                )
                while len(written) >= writers:  # results in file order
                    results.append(written.popleft().result())
            results.extend(future.result() for future in written)
    finally:
        stats.apply(stores)
    return ImportSummary(kind, results)


Parsed = list[tuple[Chunk, PreparedBatch | None]]


def _parse_file(importer: Importer, path: Path, stores: Stores, options: dict[str, Any]) -> Parsed:
    """Parse a file and prepare its observation batches for the store (this runs in the second
    thread; the writer only attributes them to their run and writes)."""
    out: Parsed = []
    for chunk in importer(path, ImportContext(stores, options)):
        table = chunk.observations
        if table is None or not table.num_rows:
            out.append((chunk, None))
            continue
        runless = table.append_column("run_id", from_numpy(np.zeros(table.num_rows, np.int32)))
        batch = runless.select(OBSERVATION_SCHEMA.names)
        ordered = stores.observations.key_ordered_writes
        out.append((chunk, prepare(batch, unique_keys=chunk.unique_keys, key_order=ordered)))
    return out


def _import_file(
    stores: Stores,
    kind: str,
    path: Path,
    digest: Future[str],
    parsed: Future[Parsed],
    user: str,
    progress: Progress | None,
    stats: StoredStats,
) -> FileResult:
    source = str(path)
    run_id = stores.provenance.start_run(kind, source, sha256=digest.result(), user=user)
    counts = Counts()
    try:
        for chunk, prepared in parsed.result():
            counts = counts + _store_chunk(stores, chunk, prepared, run_id, source, stats)
            if progress is not None and chunk.bytes_done:
                progress(chunk.bytes_done)
    except EcodataError as exc:
        stores.provenance.finish_run(run_id, counts, "failed", str(exc))
        return FileResult(source, run_id, counts, "failed", str(exc))
    except Exception as exc:
        stores.provenance.finish_run(run_id, counts, "failed", f"internal error: {exc!r}")
        raise
    status = "done" if counts.stored or counts.duplicate else "empty"
    message = ""
    if counts.read and not counts.stored:
        message = (
            "nothing new: every record was already stored"
            if counts.duplicate
            else "nothing could be stored; see `ecodata quarantine list --run "
            f"{run_id}` for the reasons"
        )
    stores.provenance.finish_run(run_id, counts, status, message)
    return FileResult(source, run_id, counts, status, message)


def _store_chunk(
    stores: Stores,
    chunk: Chunk,
    prepared: PreparedBatch | None,
    run_id: int,
    source: str,
    stats: StoredStats,
) -> Counts:
    stored, duplicate = chunk.stored, chunk.duplicate
    rejected = list(chunk.rejected)
    if prepared is not None:
        result = stores.observations.write(prepared.with_run(run_id))
        stats.add(result, prepared.stats)
        stored += result.stored
        duplicate += result.duplicate
        rejected.extend(_conflicts_as_rejects(stores, result.conflicts, source))
    quarantined = stores.provenance.quarantine(rejected, channel="import", run_id=run_id)
    return Counts(chunk.read, stored, duplicate, quarantined)


def _conflicts_as_rejects(stores: Stores, conflicts: pa.Table, source: str) -> list[Rejected]:
    if conflicts.num_rows == 0:
        return []
    ids = sorted(set(conflicts.column("series_id").to_pylist()))
    names = {
        r["series_id"]: (r["site"], r["parameter"])
        for r in stores.registry.series_frame(ids)
        .select(["series_id", "site", "parameter"])
        .to_pylist()
    }
    out = []
    for row in conflicts.to_pylist():
        site, parameter = names.get(row["series_id"], ("?", "?"))
        out.append(
            Rejected(
                source=source,
                position=f"site {site} parameter {parameter} time {row['time'].isoformat()}",
                raw=f"value={row['value']} flag={row['flag']}",
                reason=f"differs from the stored value {row['stored_value']} "
                f"(flag {row['stored_flag']}); stored data are never silently replaced",
                site_code=site,
                parameter_code=parameter,
            )
        )
    return out


def columns_to_chunk(
    ctx: ImportContext,
    *,
    source: str,
    sites: Sequence[str],
    times: np.ndarray,
    columns: dict[str, np.ndarray],
    period: Period,
    lines: np.ndarray,
    qc_extra: dict[str, int] | None = None,
    bytes_done: int = 0,
) -> Chunk:
    """Rows of a per-site table (one column per parameter) → observations and rejects.

    ``sites`` gives the site code of every row, ``times`` their UTC times (datetime64[us]),
    ``lines`` their line numbers in the source file; NaN is a missing value. Values are screened
    with :mod:`ecodata.ingest.quality`; ``qc_extra`` adds QC bits to whole columns (e.g. a unit
    conversion).
    """
    from ecodata.ingest.quality import bounds_for, reject_reason, screen

    codes = list(columns)
    site_list = sorted(set(sites))
    matrix = ctx.series_matrix(site_list, codes, period)  # (parameters × sites)
    site_index = np.array([site_list.index(s) for s in sites]) if len(sites) else np.array([])
    known = matrix[0, site_index] >= 0 if len(sites) else np.zeros(0, dtype=bool)
    params = {p["code"]: p for p in ctx.stores.registry.parameters(codes=codes)}
    bounds = bounds_for(codes, params)
    parts: list[pa.Table] = []
    rejected: list[Rejected] = []
    read = 0
    instant = pa.timestamp("us", tz="UTC")
    for k, code in enumerate(codes):
        values = np.asarray(columns[code], dtype=np.float64)
        present = ~np.isnan(values)
        read += int(present.sum())
        bad, qc = screen(values, bounds.low[k], bounds.high[k])
        if qc_extra and code in qc_extra:
            qc = qc | np.int16(qc_extra[code])
        for i in np.flatnonzero(present & ~known).tolist():
            rejected.append(
                Rejected(source, f"line {lines[i]}", f"{code}={values[i]:g}",
                         f"unknown site {sites[i]!r}", site_code=sites[i], parameter_code=code)
            )  # fmt: skip
        for i in np.flatnonzero(present & known & bad).tolist():
            rejected.append(
                Rejected(source, f"line {lines[i]}", f"{code}={values[i]:g}",
                         reject_reason(values[i], bounds.low[k]), site_code=sites[i],
                         parameter_code=code)
            )  # fmt: skip
        keep = np.flatnonzero(present & known & ~bad)
        parts.append(
            pa.table(
                {
                    "series_id": from_numpy(matrix[k, site_index[keep]].astype(np.int32)),
                    "time": from_numpy(times[keep].astype("datetime64[us]"), instant),
                    "value": from_numpy(values[keep]),
                    "flag": pa.nulls(len(keep), pa.string()),
                    "qc": from_numpy(qc[keep].astype(np.int16)),
                }
            )
        )
    observations = pa.concat_tables(parts) if parts else None
    return Chunk(observations, rejected, read=read, bytes_done=bytes_done)


def local_to_utc(ctx: ImportContext, local: np.ndarray) -> np.ndarray:
    """Naive local times (datetime64) → UTC datetime64[us], using the configured offset."""
    offset = ctx.stores.settings.tz.utcoffset(None)
    seconds = int(offset.total_seconds()) if offset else 0
    return local.astype("datetime64[us]") - np.timedelta64(seconds, "s")
