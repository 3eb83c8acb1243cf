"""Importer for openair's example data layout (``mydata``).

Columns: ``date,ws,wd,nox,no2,o3,pm10,so2,co,pm25``.

Hourly values; gases in ppb and CO in ppm as openair publishes them (stored as the ``*_ppb`` /
``co_ppm`` parameters), particles in µg/m³. ``date`` is local time of the site (GMT for London);
the series is stored under the site code the user gives; the site is created if it is new.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv

from ecodata.errors import FormatError
from ecodata.ingest.importing import Chunk, ImportContext, columns_to_chunk
from ecodata.model import Period, SiteKind
from ecodata.store.provenance import Rejected

COLUMNS: dict[str, str] = {
    "ws": "ws",
    "wd": "wd",
    "nox": "nox_ppb",
    "no2": "no2_ppb",
    "o3": "o3_ppb",
    "pm10": "pm10",
    "so2": "so2_ppb",
    "co": "co_ppm",
    "pm25": "pm2_5",
}


def import_openair(path: Path, ctx: ImportContext) -> Iterator[Chunk]:
    site = ctx.options.get("site")
    if not site:
        raise FormatError("openair files carry no site: give one with --site CODE")
    utc_offset = float(ctx.options.get("utc_offset_hours", 0.0))
    data = path.read_bytes()
    try:
        table = pacsv.read_csv(
            io.BytesIO(data),
            convert_options=pacsv.ConvertOptions(
                column_types={"date": pa.string()} | dict.fromkeys(COLUMNS, pa.float64()),
                null_values=["", "NA"],
            ),
        )
    except pa.ArrowInvalid as exc:
        raise FormatError(f"{path}: not an openair layout file: {exc}") from None
    if "date" not in table.column_names:
        raise FormatError(f"{path}: not an openair layout file: no 'date' column")
    registry = ctx.stores.registry
    if not registry.site_ids([site]):
        registry.upsert_sites(
            [{"code": site, "kind": SiteKind.AIR.value, "name_en": ctx.options.get("name", site)}]
        )
    source = str(path)
    texts = table.column("date").to_pylist()
    local = np.array([_parse(t) for t in texts], dtype="datetime64[s]")
    ok = ~np.isnat(local)
    rejected = [
        Rejected(source, f"line {i + 2}", f"date={texts[i]}",
                 f"impossible date {texts[i]!r}; expected YYYY-MM-DD HH:MM:SS", site_code=site)
        for i in np.flatnonzero(~ok).tolist()
    ]  # fmt: skip
    keep = np.flatnonzero(ok)
    shift = np.timedelta64(int(timedelta(hours=utc_offset).total_seconds()), "s")
    chunk = columns_to_chunk(
        ctx,
        source=source,
        sites=[site] * len(keep),
        times=(local[keep] - shift).astype("datetime64[us]"),
        columns={
            code: table.column(col).to_numpy(zero_copy_only=False)[keep]
            for col, code in COLUMNS.items()
            if col in table.column_names
        },
        period=Period.HOUR,
        lines=np.arange(2, table.num_rows + 2)[keep],
        bytes_done=len(data),
    )
    chunk.rejected[:0] = rejected
    chunk.read += len(rejected)
    yield chunk


def _parse(text: str | None) -> np.datetime64:
    try:
        return np.datetime64((text or "").strip().replace(" ", "T"), "s")
    except ValueError:
        return np.datetime64("NaT")
