"""Importer for the surface-water automatic-station sample layout (Excel).

Columns: ``监测时间`` (an Excel serial date), ``水质类别`` (the published GB 3838-2002
class), water temperature, pH, DO, conductivity, turbidity, CODMn, NH3-N, TP, TN (headers
such as ``氨氮（mg/L）``) and ``站点情况`` (正常 / 维护 / 不具备运行条件). ``--`` is missing.

The layout names no station, so every row is its own anonymous sampling point (site code
``<prefix><row>``, section type unknown). Readings are daily (the file gives dates only). The
published class is kept as the published series ``water_class`` (1–5 = I–V, 6 = 劣V); ``*`` (not
assessed) is not a class and is not stored. Readings of a station under maintenance carry the
HJ 212 data flag M.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa

from ecodata.errors import FormatError
from ecodata.ingest.importing import Chunk, ImportContext, columns_to_chunk, local_to_utc
from ecodata.model import DataFlag, Period, SiteKind
from ecodata.store.provenance import Rejected

#: Header keyword → parameter code (headers carry units in full-width brackets).
COLUMNS: dict[str, str] = {
    "水温": "water_temp",
    "pH": "ph",
    "溶氧量": "do",
    "电导率": "conductivity",
    "浊度": "turbidity",
    "高锰酸盐指数": "codmn",
    "氨氮": "nh3_n",
    "总磷": "tp",
    "总氮": "tn",
}
CLASSES = {"Ⅰ": 1, "Ⅱ": 2, "Ⅲ": 3, "Ⅳ": 4, "Ⅴ": 5, "劣Ⅴ": 6, "I": 1, "II": 2, "III": 3,
           "IV": 4, "V": 5, "劣V": 6}  # fmt: skip
NOT_ASSESSED = {"*", "--", ""}
MISSING = {"--", "-", "—", ""}
_EXCEL_EPOCH = date(1899, 12, 30)  # serial 1 = 1900-01-01 in Excel's 1900 date system


def import_water_excel(path: Path, ctx: ImportContext) -> Iterator[Chunk]:
    from openpyxl import load_workbook

    prefix = str(ctx.options.get("site_prefix") or "WQ-")
    source = str(path)
    try:
        book = load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:
        raise FormatError(f"{path}: not an Excel workbook: {exc}") from None
    sheet = book.worksheets[0]
    rows = sheet.iter_rows(values_only=True)
    header = [str(h or "").strip() for h in next(rows, ())]
    positions = _positions(header, source)
    records = list(rows)
    book.close()

    rejected: list[Rejected] = []
    site_rows: list[dict[str, Any]] = []
    sites: list[str] = []
    days: list[np.datetime64] = []
    lines: list[int] = []
    flags: list[str | None] = []
    values: dict[str, list[float]] = {code: [] for code in [*COLUMNS.values(), "water_class"]}
    extra_read = 0
    for number, record in enumerate(records, start=2):
        cells = {code: record[i] if i < len(record) else None for code, i in positions.items()}
        site = f"{prefix}{number:05d}"
        status = str(cells.get("status") or "").strip()
        numbers: dict[str, float] = {}
        for code in COLUMNS.values():
            number_or_reason = _number(cells.get(code))
            if isinstance(number_or_reason, str):
                rejected.append(
                    Rejected(
                        source,
                        f"row {number}",
                        f"{code}={cells.get(code)}",
                        number_or_reason,
                        site_code=site,
                        parameter_code=code,
                    )
                )
                extra_read += 1
            elif not np.isnan(number_or_reason):
                numbers[code] = number_or_reason
        klass = str(cells.get("class") or "").strip()
        if klass and klass not in NOT_ASSESSED:
            if klass in CLASSES:
                numbers["water_class"] = float(CLASSES[klass])
            else:
                rejected.append(
                    Rejected(
                        source,
                        f"row {number}",
                        f"水质类别={klass}",
                        f"unknown water class {klass!r}",
                        site_code=site,
                    )
                )
                extra_read += 1
        if not numbers:
            continue
        day = _excel_date(cells.get("time"))
        if day is None:
            rejected.append(
                Rejected(source, f"row {number}", _raw(record),
                         f"missing or impossible 监测时间 {cells.get('time')!r}", site_code=site)
            )  # fmt: skip
            extra_read += 1
            continue
        site_rows.append(
            {"code": site, "kind": SiteKind.WATER.value, "name_zh": f"水质采样点（第{number}行）",
             "name_en": f"Water sampling point (row {number})",
             "attributes": {"anonymous": True, "source": path.name, "row": number,
                            "section_type": None, "station_status": status}}
        )  # fmt: skip
        sites.append(site)
        days.append(np.datetime64(day, "D"))
        lines.append(number)
        flags.append(DataFlag.MAINTENANCE.value if status == "维护" else None)
        for code, column in values.items():
            column.append(numbers.get(code, np.nan))
    if site_rows:
        ctx.stores.registry.upsert_sites(site_rows)
    chunk = columns_to_chunk(
        ctx,
        source=source,
        sites=sites,
        times=local_to_utc(ctx, np.array(days, dtype="datetime64[us]")),
        columns={code: np.array(column) for code, column in values.items()},
        period=Period.DAY,
        lines=np.array(lines),
        bytes_done=path.stat().st_size,
    )
    if chunk.observations is not None:
        chunk.observations = _with_flags(chunk.observations, sites, flags, ctx)
    chunk.rejected[:0] = rejected
    chunk.read += extra_read
    yield chunk


def _positions(header: list[str], source: str) -> dict[str, int]:
    found: dict[str, int] = {}
    for i, name in enumerate(header):
        if name.startswith("监测时间"):
            found["time"] = i
        elif name.startswith("水质类别"):
            found["class"] = i
        elif name.startswith("站点情况"):
            found["status"] = i
        else:
            for keyword, code in COLUMNS.items():
                if name.startswith(keyword):
                    found[code] = i
    missing = [k for k in ("time", "class", *COLUMNS.values()) if k not in found]
    if missing:
        raise FormatError(
            f"{source}: not the surface-water sample layout: no columns for {missing}"
        )
    return found


def _number(cell: object) -> float | str:
    if cell is None:
        return np.nan
    if isinstance(cell, int | float):
        return float(cell)
    text = str(cell).strip()
    if text in MISSING:
        return np.nan
    try:
        return float(text)
    except ValueError:
        return f"not a number: {text!r}"


def _excel_date(cell: object) -> date | None:
    if isinstance(cell, date):
        return cell
    if isinstance(cell, int | float) and 1 <= cell < 2958466:  # up to 9999-12-31
        return _EXCEL_EPOCH + timedelta(days=int(cell))
    return None


def _raw(record: tuple[object, ...]) -> str:
    return ",".join("" if c is None else str(c) for c in record)


def _with_flags(
    observations: pa.Table, sites: list[str], flags: list[str | None], ctx: ImportContext
) -> pa.Table:
    """Set the data flag of every observation from its row's station status."""
    flagged = {s for s, f in zip(sites, flags, strict=True) if f}
    if not flagged:
        return observations
    ids = ctx.stores.registry.site_ids(flagged)
    series = ctx.stores.registry.find_series(sites=list(ids))
    maintenance = {s["id"] for s in series}
    column = observations.column("series_id").to_numpy()
    hit = np.isin(column, list(maintenance)).tolist()
    flag = [DataFlag.MAINTENANCE.value if h else None for h in hit]
    return observations.set_column(
        observations.column_names.index("flag"), "flag", pa.array(flag, pa.string())
    )
