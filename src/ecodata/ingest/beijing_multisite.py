"""Importer for the UCI "Beijing Multi-Site Air-Quality" files (Zhang et al. 2017, CC BY 4.0).

Layout: ``No,year,month,day,hour,PM2.5,PM10,SO2,NO2,CO,O3,TEMP,PRES,DEWP,RAIN,wd,WSPM,station``,
hourly, Beijing local time, missing = ``NA``. CO is given in µg/m³ and is stored in mg/m³ as
HJ 633-2012 Table 1 expects (QC bit UNIT_CONVERTED). Wind direction is a 16-point compass name,
stored in degrees. Each of the 12 stations is linked to its national station code.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv

from ecodata.errors import FormatError
from ecodata.ingest.importing import Chunk, ImportContext, columns_to_chunk, local_to_utc
from ecodata.model import QC, Period, SiteKind
from ecodata.store.provenance import Rejected

ATTRIBUTION = (
    "Beijing Multi-Site Air-Quality Data, UCI Machine Learning Repository (dataset 501), "
    "S. Zhang, B. Guo, A. Dong, J. He, Z. Xu, S. X. Chen (2017), Proc. R. Soc. A 473: 20170457. "
    "Licence: CC BY 4.0."
)

#: UCI station name → (national code, Chinese name, longitude, latitude) per the 2020 station list.
STATIONS: dict[str, tuple[str, str, float, float]] = {
    "Wanshouxigong": ("1001A", "万寿西宫", 116.366, 39.8673),
    "Dingling": ("1002A", "定陵", 116.17, 40.2865),
    "Dongsi": ("1003A", "东四", 116.434, 39.9522),
    "Tiantan": ("1004A", "天坛", 116.434, 39.8745),
    "Nongzhanguan": ("1005A", "农展馆", 116.473, 39.9716),
    "Guanyuan": ("1006A", "官园", 116.361, 39.9425),
    "Wanliu": ("1007A", "海淀区万柳", 116.315, 39.9934),
    "Shunyi": ("1008A", "顺义新城", 116.72, 40.1438),
    "Huairou": ("1009A", "怀柔镇", 116.644, 40.3937),
    "Changping": ("1010A", "昌平镇", 116.23, 40.1952),
    "Aotizhongxin": ("1011A", "奥体中心", 116.407, 40.0031),
    "Gucheng": ("1012A", "古城", 116.225, 39.9279),
}

#: File column → (parameter code, factor to the registry unit).
COLUMNS: dict[str, tuple[str, float]] = {
    "PM2.5": ("pm2_5", 1.0),
    "PM10": ("pm10", 1.0),
    "SO2": ("so2", 1.0),
    "NO2": ("no2", 1.0),
    "CO": ("co", 0.001),  # µg/m³ → mg/m³
    "O3": ("o3", 1.0),
    "TEMP": ("temp", 1.0),
    "PRES": ("pres", 1.0),
    "DEWP": ("dewp", 1.0),
    "RAIN": ("rain", 1.0),
    "WSPM": ("ws", 1.0),
}

#: 16-point compass → degrees clockwise from north.
_POINTS = "N NNE NE ENE E ESE SE SSE S SSW SW WSW W WNW NW NNW"
COMPASS = {name: i * 22.5 for i, name in enumerate(_POINTS.split(" "))}


def import_beijing(path: Path, ctx: ImportContext) -> Iterator[Chunk]:
    data = path.read_bytes()
    try:
        table = pacsv.read_csv(
            io.BytesIO(data),
            convert_options=pacsv.ConvertOptions(
                null_values=["NA", ""],
                strings_can_be_null=True,
                column_types={c: pa.float64() for c in COLUMNS}
                | {"year": pa.int32(), "month": pa.int32(), "day": pa.int32(), "hour": pa.int32(),
                   "wd": pa.string(), "station": pa.string()},
            ),
        )  # fmt: skip
    except (pa.ArrowInvalid, KeyError) as exc:
        raise FormatError(f"{path}: not a Beijing multi-site file: {exc}") from None
    missing = [c for c in (*COLUMNS, "wd", "station", "year") if c not in table.column_names]
    if missing:
        raise FormatError(f"{path}: not a Beijing multi-site file: no columns {missing}")
    source = str(path)
    rejected: list[Rejected] = []
    n = table.num_rows
    lines = np.arange(2, n + 2)
    names = table.column("station").to_pylist()
    sites = [STATIONS[s][0] if s in STATIONS else (s or "") for s in names]
    _ensure_sites(ctx, {s for s in names if s in STATIONS})

    local, ok = _local_times(table)
    for i in np.flatnonzero(~ok).tolist():
        rejected.append(Rejected(source, f"line {i + 2}", _line(data, i), "impossible date"))
    for i in range(n):
        if ok[i] and names[i] not in STATIONS:
            rejected.append(
                Rejected(source, f"line {i + 2}", _line(data, i),
                         f"unknown station {names[i]!r}; expected one of {', '.join(STATIONS)}")
            )  # fmt: skip
            ok[i] = False
    columns = {
        code: table.column(col).to_numpy(zero_copy_only=False) * factor
        for col, (code, factor) in COLUMNS.items()
    }
    wind = table.column("wd").to_pylist()
    degrees = np.array([COMPASS.get(w, np.nan) if w else np.nan for w in wind])
    for i in np.flatnonzero(np.array([bool(w) and w not in COMPASS for w in wind]) & ok).tolist():
        rejected.append(
            Rejected(source, f"line {i + 2}", f"wd={wind[i]}",
                     f"wind direction {wind[i]!r} is not a 16-point compass name")
        )  # fmt: skip
    columns["wd"] = degrees
    keep = np.flatnonzero(ok)
    chunk = columns_to_chunk(
        ctx,
        source=source,
        sites=[sites[i] for i in keep],
        times=local_to_utc(ctx, local[keep]),
        columns={k: v[keep] for k, v in columns.items()},
        period=Period.HOUR,
        lines=lines[keep],
        qc_extra={"co": int(QC.UNIT_CONVERTED)},
        bytes_done=len(data),
    )
    chunk.rejected[:0] = rejected
    chunk.read += len(rejected)  # each rejected line or cell is one record read
    yield chunk


def _local_times(table: pa.Table) -> tuple[np.ndarray, np.ndarray]:
    y, m, d, h = (
        table.column(c).to_numpy(zero_copy_only=False) for c in ("year", "month", "day", "hour")
    )
    n = len(y)
    times = np.zeros(n, dtype="datetime64[s]")
    ok = np.zeros(n, dtype=bool)
    for i in range(n):
        try:
            day = np.datetime64(f"{int(y[i]):04d}-{int(m[i]):02d}-{int(d[i]):02d}", "D")
        except (ValueError, TypeError):
            continue
        if str(day) != f"{int(y[i]):04d}-{int(m[i]):02d}-{int(d[i]):02d}" or not 0 <= h[i] <= 23:
            continue
        times[i] = day + np.timedelta64(int(h[i]), "h")
        ok[i] = True
    return times, ok


def _line(data: bytes, index: int) -> str:
    lines = data.split(b"\n", index + 2)
    return (
        lines[index + 1].decode("utf-8", "replace").rstrip("\r") if index + 1 < len(lines) else ""
    )


def _ensure_sites(ctx: ImportContext, names: set[str]) -> None:
    """Create the stations that the registry does not know yet; add English names."""
    registry = ctx.stores.registry
    codes = {STATIONS[n][0]: n for n in names}
    existing = {s["code"]: s for s in registry.sites(codes=list(codes))}
    rows = []
    for code, name in codes.items():
        _, zh, lon, lat = STATIONS[name]
        if code in existing:
            if not existing[code]["name_en"]:
                rows.append({**existing[code], "name_en": name})
            continue
        rows.append(
            {"code": code, "kind": SiteKind.AIR.value, "name_zh": zh, "name_en": name,
             "city": "北京", "province": "北京市", "division_code": "110000",
             "longitude": lon, "latitude": lat}
        )  # fmt: skip
    if rows:
        for r in rows:
            r.pop("id", None)
        registry.upsert_sites(rows)
