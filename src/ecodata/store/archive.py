"""Parquet archive of closed months: the open bulk download and the input of Spark jobs.

Layout (Hive partitioning): ``<archive>/domain=<domain>/year=<YYYY>/month=<MM>/part-0.parquet`` with
the columns ``site, parameter, period, time, value, flag, qc, run_id``. Months are local-time
calendar months; a month is *closed* when it lies before the current one (or before ``--before``).
A manifest records what each partition holds, so exporting again rewrites only changed months.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta, tzinfo
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from ecodata.model import Period
from ecodata.store.observations import ObservationQuery
from ecodata.store.stores import Stores

MANIFEST = "_manifest.json"
ARCHIVE_SCHEMA = pa.schema(
    [
        ("site", pa.string()),
        ("parameter", pa.string()),
        ("period", pa.string()),
        ("time", pa.timestamp("us", tz="UTC")),
        ("value", pa.float64()),
        ("flag", pa.string()),
        ("qc", pa.int16()),
        ("run_id", pa.int32()),
    ]
)


@dataclass(frozen=True)
class Partition:
    domain: str
    year: int
    month: int
    rows: int
    path: str
    written: bool


def month_bounds(year: int, month: int, tz: tzinfo) -> tuple[datetime, datetime]:
    start = datetime(year, month, 1, tzinfo=tz)
    end = (start + timedelta(days=32)).replace(day=1)
    return start, end


def closed_months(
    stores: Stores, before: tuple[int, int] | None = None, now: datetime | None = None
) -> list[tuple[int, int]]:
    tz = stores.settings.tz
    offset = tz.utcoffset(None)
    hours = int(offset.total_seconds() // 3600) if offset else 0
    current = (now or datetime.now(tz)).astimezone(tz)
    limit = before or (current.year, current.month)
    return [m for m in stores.observations.months(hours) if m < limit]


def export(
    stores: Stores,
    *,
    before: tuple[int, int] | None = None,
    destination: Path | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> list[Partition]:
    """Write every closed month to the archive; return the partitions (written or unchanged)."""
    root = destination or stores.settings.archive_path
    root.mkdir(parents=True, exist_ok=True)
    manifest_path = root / MANIFEST
    manifest: dict[str, dict[str, int]] = (
        json.loads(manifest_path.read_text()) if manifest_path.exists() else {}
    )
    series = stores.registry.series_frame()
    months = closed_months(stores, before)
    out: list[Partition] = []
    for done, (year, month) in enumerate(months, start=1):
        start, end = month_bounds(year, month, stores.settings.tz)
        table = stores.observations.read(ObservationQuery(start=start, end=end))
        out.extend(_write_month(root, table, series, year, month, manifest))
        manifest_path.write_text(json.dumps(manifest, indent=1, sort_keys=True))
        if progress is not None:
            progress(done, len(months))
    return out


def _write_month(
    root: Path,
    table: pa.Table,
    series: pa.Table,
    year: int,
    month: int,
    manifest: dict[str, dict[str, int]],
) -> list[Partition]:
    joined = table.join(series.select(["series_id", "site", "parameter", "period", "domain"]),
                        "series_id", join_type="inner")  # fmt: skip
    labels = {int(p): p.label for p in Period}
    period_labels = pa.array(
        [labels.get(p, str(p)) for p in joined.column("period").to_pylist()], pa.string()
    )
    joined = joined.set_column(joined.column_names.index("period"), "period", period_labels)
    partitions: list[Partition] = []
    for domain in sorted(set(joined.column("domain").to_pylist())):
        part = joined.filter(pc.equal(joined.column("domain"), domain))
        part = part.select(ARCHIVE_SCHEMA.names).cast(ARCHIVE_SCHEMA)
        part = part.sort_by([("site", "ascending"), ("parameter", "ascending"),
                             ("time", "ascending")])  # fmt: skip
        folder = root / f"domain={domain}" / f"year={year:04d}" / f"month={month:02d}"
        key = f"{domain}/{year:04d}-{month:02d}"
        max_run = pc.max(part.column("run_id")).as_py() or 0
        fingerprint = {"rows": part.num_rows, "max_run": int(max_run)}
        path = folder / "part-0.parquet"
        written = manifest.get(key) != fingerprint or not path.exists()
        if written:
            folder.mkdir(parents=True, exist_ok=True)
            temp = path.with_suffix(".tmp")
            pq.write_table(part, temp, compression="zstd")
            temp.replace(path)
            manifest[key] = fingerprint
        partitions.append(Partition(domain, year, month, part.num_rows, str(path), written))
    return partitions


def partition_dicts(partitions: list[Partition]) -> list[dict[str, object]]:
    return [asdict(p) for p in partitions]
