"""Importer for the official hourly release of all national air stations.

Files: ``china_sites_YYYYMMDD.csv``.

Layout: ``date,hour,type,<station code>…``; one row per (hour, type), one column per station; µg/m³
except CO in mg/m³; an empty cell is a missing value; times are China Standard Time. The hour is
stored as labelled in the release (``hour`` 0–23 of ``date``); the option ``shift_hours`` moves it
(e.g. -1 to store the start of the hour if the labels are taken to mark its end).

The reader is purpose-built for the wide layout: Python splits off the three key fields of each
line, Arrow parses all the cells in C++ as one numeric column, numpy lays them out by station and
keys them with a (type × station) matrix of series ids, so no Python runs per value. A file
that is not plain (quoted fields, ragged lines) takes Arrow's typed columns instead, and a file
with a cell that is not a number a slower path that sends exactly those cells to the
quarantine.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv

from ecodata.errors import FormatError
from ecodata.ingest.importing import Chunk, ImportContext
from ecodata.ingest.quality import bounds_for, reject_reason, screen
from ecodata.model import Period
from ecodata.store.arrays import from_numpy, to_numpy
from ecodata.store.provenance import Rejected

#: `type` row → parameter code. Measured 1-h values first, then the published series.
TYPES: dict[str, str] = {
    "PM2.5": "pm2_5",
    "PM10": "pm10",
    "SO2": "so2",
    "NO2": "no2",
    "O3": "o3",
    "CO": "co",
    "AQI": "aqi",
    "PM2.5_24h": "pm2_5_24h",
    "PM10_24h": "pm10_24h",
    "SO2_24h": "so2_24h",
    "NO2_24h": "no2_24h",
    "CO_24h": "co_24h",
    "O3_24h": "o3_24h",
    "O3_8h": "o3_8h",
    "O3_8h_24h": "o3_8h_24h",
}
_KEY_COLUMNS = ("date", "hour", "type")
_PARAMETERS = list(TYPES.values())


def import_national_hourly(path: Path, ctx: ImportContext) -> Iterator[Chunk]:
    data = path.read_bytes()
    yield parse(data, str(path), ctx, shift_hours=int(ctx.options.get("shift_hours", 0)))


def parse(data: bytes, source: str, ctx: ImportContext, *, shift_hours: int = 0) -> Chunk:
    """One file → one chunk of observations and rejects."""
    header = data.split(b"\n", 1)[0].decode("utf-8-sig").strip().split(",")
    if tuple(h.strip() for h in header[:3]) != _KEY_COLUMNS:
        raise FormatError(
            f"{source}: not a national hourly file: the header must start with date,hour,type "
            f"(found {','.join(header[:3])!r})"
        )
    stations = [h.strip() for h in header[3:]]
    wide, rejected = _read_wide(data, source, stations)
    not_numbers = len(rejected)
    values, kinds = wide.values, wide.kinds  # values: stations × rows

    # Row keys: date, hour, type → (valid row mask, time, parameter index).
    times, row_ok, param_index = _row_keys(wide, source, data, rejected, shift_hours, ctx)
    present = ~np.isnan(values)
    # A rejected line is one record; so is a cell that is not a number.
    read = int(present[:, row_ok].sum()) + int((~row_ok).sum()) + not_numbers

    series = ctx.series_matrix(stations, _PARAMETERS, Period.HOUR)  # (parameters × stations)
    known = series[0] >= 0
    for j in map(int, np.flatnonzero(~known)):
        for i in np.flatnonzero(present[j] & row_ok).tolist():
            rejected.append(
                Rejected(
                    source,
                    f"line {i + 2}, column {stations[j]}",
                    f"{kinds[i]}={values[j, i]:g}",
                    f"unknown station {stations[j]!r}; import the station list first "
                    "(`ecodata import stations …`)",
                    site_code=stations[j],
                )
            )
    params = {p["code"]: p for p in ctx.stores.registry.parameters(codes=_PARAMETERS)}
    bounds = bounds_for(_PARAMETERS, params)
    low, high = bounds.low[param_index], bounds.high[param_index]
    negative, qc = screen(values, low, high)
    negative &= present & row_ok & known[:, None]
    for j, i in zip(*np.nonzero(negative), strict=True):
        rejected.append(
            Rejected(
                source,
                f"line {i + 2}, column {stations[j]}",
                f"{kinds[i]}={values[j, i]:g}",
                reject_reason(values[j, i], low[i]),
                site_code=stations[j],
                parameter_code=_PARAMETERS[param_index[i]],
            )
        )

    keep = present & row_ok & ~negative & known[:, None]
    n_kept = int(keep.sum())
    observations = pa.table(
        {
            "series_id": from_numpy(series.T[:, param_index][keep]),
            "time": from_numpy(
                np.broadcast_to(times, keep.shape)[keep], pa.timestamp("us", tz="UTC")
            ),
            "value": from_numpy(values[keep]),
            "flag": pa.nulls(n_kept, pa.string()),
            "qc": from_numpy(qc[keep]),
        }
    )
    # (date, hour, type) rows are unique (repeats are rejected above), so keys are unique
    # whenever the header names every station once.
    unique = len(set(stations)) == len(stations)
    return Chunk(observations, rejected, read=read, bytes_done=len(data), unique_keys=unique)


@dataclass(frozen=True, slots=True)
class _Wide:
    """A day file read: the key columns of every row and the values, stations × rows."""

    dates: list[str]
    hours: list[str]
    kinds: list[str]
    values: np.ndarray


def _read_wide(data: bytes, source: str, stations: list[str]) -> tuple[_Wide, list[Rejected]]:
    fast = _read_as_one_column(data, len(stations))
    if fast is not None:
        return fast, []
    table, rejected = _read_values(data, source, stations)
    dates, hours, kinds = ([v or "" for v in table.column(k).to_pylist()] for k in _KEY_COLUMNS)
    return _Wide(dates, hours, kinds, _station_matrix(table, len(stations))), rejected


def _read_as_one_column(data: bytes, n_stations: int) -> _Wide | None:
    """The common case, fast: a plain file (no quotes, every line as wide as the header) whose
    cells are numbers or empty. Arrow converts 1,600 columns of 360 rows at about 30 µs a column;
    as one column of all the cells it parses them about five times faster. None when the file
    needs the general reader."""
    if b'"' in data or n_stations == 0:
        return None
    lines = [line for line in data.replace(b"\r", b"").split(b"\n")[1:] if line]
    if not lines:
        return None
    keys: list[list[bytes]] = []
    cells: list[bytes] = []
    for line in lines:
        parts = line.split(b",", 3)
        if len(parts) != 4 or parts[3].count(b",") != n_stations - 1:
            return None
        keys.append(parts[:3])
        cells.append(parts[3])
    one_column = b"v\n" + b"\n".join(cells).replace(b",", b"\n") + b"\n"
    try:
        column = pacsv.read_csv(
            io.BytesIO(one_column),
            read_options=pacsv.ReadOptions(block_size=len(one_column) + 1, use_threads=False),
            parse_options=pacsv.ParseOptions(ignore_empty_lines=False),
            convert_options=pacsv.ConvertOptions(column_types={"v": pa.float64()}),
        ).column(0)
    except pa.ArrowInvalid:
        return None  # a cell that is not a number: the general reader says which
    flat = to_numpy(column, np.float64, nulls_as_nan=True)
    if len(flat) != len(lines) * n_stations:
        return None
    dates, hours, kinds = ([k[i].decode("utf-8", "replace") for k in keys] for i in range(3))
    values = np.ascontiguousarray(flat.reshape(len(lines), n_stations).T)
    return _Wide(dates, hours, kinds, values)


def _station_matrix(table: pa.Table, n_stations: int) -> np.ndarray:
    """The float columns after the three key columns as one (stations × rows) array, NaN where
    empty."""
    if n_stations == 0:
        return np.empty((0, table.num_rows))
    if table.num_rows == 0:
        return np.empty((n_stations, 0))
    batches = table.to_batches()  # one, as the file is read as one block
    whole = batches[0] if len(batches) == 1 else table.combine_chunks().to_batches()[0]
    stations = whole.select(range(3, whole.num_columns))
    by_column = stations.to_tensor(null_to_nan=True, row_major=False)  # (rows × stations)
    return np.asarray(by_column).T


def _read_values(data: bytes, source: str, stations: list[str]) -> tuple[pa.Table, list[Rejected]]:
    """Parse with typed columns; on a cell that is not a number, re-read and quarantine it."""
    types: dict[str, pa.DataType] = {"date": pa.string(), "hour": pa.string(), "type": pa.string()}
    # One block for the whole file (a day is under 2 MB): every column then is one contiguous
    # chunk, and turning 1,500 station columns into the value matrix costs a fifth of the time.
    whole = pacsv.ReadOptions(block_size=max(len(data), 1 << 20) + 1, use_threads=False)
    try:
        table = pacsv.read_csv(
            io.BytesIO(data),
            read_options=whole,
            convert_options=pacsv.ConvertOptions(
                column_types=types | dict.fromkeys(stations, pa.float64()),
                strings_can_be_null=False,
            ),
        )
        return table, []
    except pa.ArrowInvalid as exc:
        if "conversion error" not in str(exc):
            raise FormatError(f"{source}: cannot be read as CSV: {exc}") from None
    table = pacsv.read_csv(
        io.BytesIO(data),
        read_options=whole,
        convert_options=pacsv.ConvertOptions(
            column_types=types | dict.fromkeys(stations, pa.string())
        ),
    )
    rejected: list[Rejected] = []
    columns = [table.column(i) for i in range(3)]
    for j, name in enumerate(stations):
        raw = table.column(3 + j).to_pylist()
        numbers = np.full(len(raw), np.nan)
        for i, text in enumerate(raw):
            if text is None or not text.strip():
                continue
            try:
                numbers[i] = float(text)
            except ValueError:
                rejected.append(
                    Rejected(
                        source,
                        f"line {i + 2}, column {name}",
                        f"{table.column('type')[i].as_py()}={text}",
                        f"not a number: {text!r}",
                        site_code=name,
                    )
                )
            else:
                if not np.isfinite(numbers[i]):
                    numbers[i] = np.nan
                    rejected.append(
                        Rejected(
                            source,
                            f"line {i + 2}, column {name}",
                            text,
                            "not a finite number",
                            site_code=name,
                        )
                    )
        columns.append(pa.array(numbers))
    return pa.table(columns, names=[*_KEY_COLUMNS, *stations]), rejected


def _row_keys(
    wide: _Wide,
    source: str,
    data: bytes,
    rejected: list[Rejected],
    shift_hours: int,
    ctx: ImportContext,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per row: UTC time (datetime64[us]), whether the row is usable, parameter index."""
    dates, hours, kinds = wide.dates, wide.hours, wide.kinds
    n = len(dates)
    times = np.zeros(n, dtype="datetime64[us]")
    ok = np.ones(n, dtype=bool)
    param_index = np.zeros(n, dtype=np.int64)
    index_of = {t: i for i, t in enumerate(TYPES)}
    offset = ctx.stores.settings.tz.utcoffset(None) or timedelta(0)
    shift = np.timedelta64(int((timedelta(hours=shift_hours) - offset).total_seconds()), "s")
    seen: dict[tuple[str, str, str], int] = {}
    lines: list[bytes] | None = None

    def reject(i: int, reason: str) -> None:
        nonlocal lines
        if lines is None:
            lines = data.split(b"\n")
        raw = lines[i + 1].decode("utf-8", "replace").rstrip("\r") if i + 1 < len(lines) else ""
        rejected.append(Rejected(source, f"line {i + 2}", raw[:2000], reason))
        ok[i] = False

    for i in range(n):
        date, hour, kind = dates[i].strip(), hours[i].strip(), kinds[i]
        if kind not in index_of:
            reject(i, f"unknown type {kind!r}; expected one of {', '.join(TYPES)}")
            continue
        try:
            day = np.datetime64(f"{date[:4]}-{date[4:6]}-{date[6:8]}", "D")
            if len(date) != 8 or not date.isdigit():
                raise ValueError
        except ValueError:
            reject(i, f"impossible date {date!r}; expected YYYYMMDD")
            continue
        if not hour.isdigit() or not 0 <= int(hour) <= 23:
            reject(i, f"impossible hour {hour!r}; expected 0–23")
            continue
        key = (date, hour, kind)
        if key in seen:
            reject(i, f"repeats line {seen[key] + 2} (same date, hour and type)")
            continue
        seen[key] = i
        times[i] = day + np.timedelta64(int(hour), "h") + shift
        param_index[i] = index_of[kind]
    return times, ok, param_index
