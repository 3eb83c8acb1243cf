"""HJ 633 on whole tables: numpy/Arrow columns in, columns out.

Same rules and the same floating-point operations as the scalar path in :mod:`.hj633`, so both give
identical IAQI, AQI, level and primary pollutants. Differences in behaviour are deliberate and few:
a negative or infinite concentration is an error in the scalar path but a missing value here (one
bad cell must not stop a national month), and statuses are arrays of codes instead of texts.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass
from typing import Any, Final

import numpy as np
import numpy.typing as npt
import pandas as pd
import pyarrow as pa

from ecodata.errors import InputError
from ecodata.model import Period
from ecodata.standards.editions import editions_for_times
from ecodata.standards.gbt8170 import round_half_even_array
from ecodata.standards.hj633 import (
    _CEIL_TOLERANCE,
    _FALLBACK_KEY,
    FIXED_IAQI_2026,
    O3_8H_CEILING,
    SO2_1H_CEILING,
    AboveScale,
    check_version,
    period_name,
    scheme,
)
from ecodata.standards.hj633_tables import (
    DECIMALS,
    EDITIONS,
    IAQI_STEPS,
    LEVEL_UPPER,
    POLLUTANTS,
    RECORD_KEYS,
    RULE_PUBLISHED,
    TABLES,
    V2012,
    V2026,
    Indicator,
)

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]

_STEPS: Final = np.asarray(IAQI_STEPS, dtype=np.float64)
_LEVEL_UPPER: Final = np.asarray(LEVEL_UPPER, dtype=np.float64)

#: ``AqiArrays.status`` codes (the scalar path's ``aqi_status`` texts).
STATUS_CODES: Final = ("ok", "partial", "na_incomplete", "above_scale", "no_data")


def as_float_array(values: Any) -> FloatArray:
    """A float64 numpy view (or copy) of a numpy/pandas/Arrow column; nulls become NaN."""
    if isinstance(values, pd.Series | pd.Index):
        return np.asarray(values.to_numpy(dtype="float64", na_value=np.nan), dtype=np.float64)
    if isinstance(values, pa.Array | pa.ChunkedArray):
        return np.asarray(
            values.cast(pa.float64()).to_numpy(zero_copy_only=False), dtype=np.float64
        )
    try:
        return np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise InputError(f"concentrations are not numeric: {exc}") from None


def _interpolate(breakpoints: tuple[float, ...], c: FloatArray) -> tuple[FloatArray, BoolArray]:
    """Eq. (1) and the ceiling on a column; returns (IAQI with NaN, above-the-table mask)."""
    bp = np.asarray(breakpoints, dtype=np.float64)
    last = bp.size - 1
    above = c > bp[last]
    # NaN and values above the table sort past the end: clip, compute, then blank them
    upper = np.clip(np.searchsorted(bp, c, side="left"), 1, last)
    i_lo, i_hi = _STEPS[upper - 1], _STEPS[upper]
    bp_lo, bp_hi = bp[upper - 1], bp[upper]
    raw = i_lo + (i_hi - i_lo) * (c - bp_lo) / (bp_hi - bp_lo)
    out = np.ceil(raw - _CEIL_TOLERANCE)
    out[above] = np.nan
    return out, above


def _clean(c: FloatArray, pollutant: str, round_inputs: bool) -> FloatArray:
    c = np.where((c >= 0) & (c < np.inf), c, np.nan)
    return round_half_even_array(c, DECIMALS[pollutant]) if round_inputs else c


def sub_index_array(
    indicator: Indicator,
    concentrations: Any,
    *,
    version: str,
    above_scale: AboveScale = "undefined",
    fallback: Any = None,
    round_inputs: bool = True,
) -> tuple[FloatArray, BoolArray]:
    """IAQI column of one indicator and the mask of values above the table (undefined)."""
    version = check_version(version)
    pollutant = indicator.pollutant
    c = _clean(as_float_array(concentrations), pollutant, round_inputs)
    values, above = _interpolate(TABLES[version][(pollutant, indicator.basis)], c)
    special_kind = (pollutant == "so2" and indicator.basis == "1h") or (
        pollutant == "o3" and indicator.basis == "8h"
    )
    if special_kind:
        ceiling = SO2_1H_CEILING if pollutant == "so2" else O3_8H_CEILING
        special = c > ceiling
        if version == V2026:
            values[special] = FIXED_IAQI_2026[pollutant]
        else:
            other = Indicator(indicator.key, pollutant, "24h" if pollutant == "so2" else "1h", "")
            if fallback is None:
                fb_values, fb_above = np.full(c.shape, np.nan), np.zeros(c.shape, dtype=bool)
            else:
                fb_values, fb_above = sub_index_array(
                    other,
                    fallback,
                    version=version,
                    above_scale=above_scale,
                    round_inputs=round_inputs,
                )
            values[special] = fb_values[special]
            above = np.where(special, fb_above, above)
            return values, above
        above = above & ~special
    if above_scale == "cap":
        values[above] = 500.0
        above = np.zeros(c.shape, dtype=bool)
    return values, above


def iaqi_array(
    key: str,
    concentrations: Any,
    *,
    version: str,
    period: str | Period,
    rule: str = RULE_PUBLISHED,
    above_scale: AboveScale = "undefined",
    fallback: Any = None,
    round_inputs: bool = True,
) -> FloatArray:
    """IAQI of one record key over a column; NaN where missing or undefined (above the table)."""
    for indicator in scheme(version, period, rule):
        if indicator.key == key:
            values, _ = sub_index_array(
                indicator,
                concentrations,
                version=version,
                above_scale=above_scale,
                fallback=fallback,
                round_inputs=round_inputs,
            )
            return values
    keys = ", ".join(i.key for i in scheme(version, period, rule))
    raise InputError(f"{key!r} has no sub-index in this report; indicators: {keys}")


@dataclass(frozen=True, slots=True)
class AqiArrays:
    """Per-row results. ``aqi`` NaN where undefined or not publishable; ``level`` 0 where none;
    ``primary`` and ``exceeding`` are bit masks over :data:`POLLUTANTS` (bit i = POLLUTANTS[i]);
    ``status`` indexes :data:`STATUS_CODES`; ``version`` is the edition used per row."""

    iaqi: dict[str, FloatArray]
    aqi: FloatArray
    aqi_from_available: FloatArray
    level: npt.NDArray[np.int8]
    primary: npt.NDArray[np.uint8]
    exceeding: npt.NDArray[np.uint8]
    missing: npt.NDArray[np.int8]
    above_scale: BoolArray
    status: npt.NDArray[np.int8]
    version: npt.NDArray[np.str_]

    def __len__(self) -> int:
        return int(self.aqi.shape[0])

    def primary_labels(self, sep: str = ",") -> npt.NDArray[np.object_]:
        """Primary pollutants per row as text ("pm2_5", "pm10,pm2_5", "" when none)."""
        return mask_labels(self.primary, sep)

    def status_labels(self) -> npt.NDArray[np.object_]:
        return np.asarray(STATUS_CODES, dtype=object)[self.status]

    def to_frame(self) -> pd.DataFrame:
        columns: dict[str, Any] = {f"iaqi_{k}": v for k, v in self.iaqi.items()}
        columns.update(
            aqi=self.aqi,
            level=self.level,
            primary=self.primary_labels(),
            aqi_status=self.status_labels(),
            aqi_from_available=self.aqi_from_available,
            n_missing=self.missing,
            version=self.version,
        )
        return pd.DataFrame(columns)


def mask_labels(masks: npt.NDArray[np.uint8], sep: str = ",") -> npt.NDArray[np.object_]:
    """Turn pollutant bit masks into texts, computing each distinct mask once."""
    unique, inverse = np.unique(masks, return_inverse=True)
    texts = np.asarray(
        [sep.join(p for i, p in enumerate(POLLUTANTS) if int(m) >> i & 1) for m in unique],
        dtype=object,
    )
    return texts[inverse.reshape(masks.shape)]


def _level(aqi: FloatArray) -> npt.NDArray[np.int8]:
    level = np.searchsorted(_LEVEL_UPPER, np.nan_to_num(aqi, nan=0.0), side="left") + 1
    return np.where(np.isnan(aqi), 0, level).astype(np.int8)


def _one_version(
    columns: Mapping[str, FloatArray],
    n: int,
    *,
    version: str,
    period: str,
    rule: str,
    above_scale: AboveScale,
    round_inputs: bool,
    not_monitored: Collection[str],
) -> AqiArrays:
    indicators = scheme(version, period, rule)
    empty = np.full(n, np.nan)
    iaqi: dict[str, FloatArray] = {}
    above_by: dict[str, BoolArray] = {}
    for indicator in indicators:
        fb_key = _FALLBACK_KEY.get((indicator.pollutant, indicator.basis))
        values, above = sub_index_array(
            indicator,
            columns.get(indicator.key, empty),
            version=version,
            above_scale=above_scale,
            fallback=columns.get(fb_key) if fb_key else None,
            round_inputs=round_inputs,
        )
        iaqi[indicator.key], above_by[indicator.key] = values, above

    # Eq. (2) and the counts, one indicator at a time (no n × k temporaries).
    available = np.full(n, -np.inf)
    missing = np.zeros(n, dtype=np.int8)
    above_any: BoolArray = np.zeros(n, dtype=bool)
    for indicator in indicators:
        values, above = iaqi[indicator.key], above_by[indicator.key]
        np.fmax(available, values, out=available)
        above_any |= above
        if indicator.pollutant not in not_monitored:
            missing += np.isnan(values) & ~above
    available[available == -np.inf] = np.nan

    aqi = available.copy()
    status = np.where(np.isnan(available), 4, np.where(missing > 0, 1, 0)).astype(np.int8)
    if version == V2026:
        # HJ 633-2026 §5.3.1: with a missing pollutant the AQI is published only above 100
        na = (missing > 0) & (available <= 100) & ~above_any
        aqi[na] = np.nan
        status[na] = 2
    aqi[above_any] = np.nan
    status[above_any] = 3

    level = _level(aqi)
    level[above_any] = 6
    primary = np.zeros(n, dtype=np.uint8)
    exceeding = np.zeros(n, dtype=np.uint8)
    has_primary = aqi > 50
    for indicator in indicators:
        bit = np.uint8(1 << POLLUTANTS.index(indicator.pollutant))
        values, above = iaqi[indicator.key], above_by[indicator.key]
        top = np.where(above_any, above, (values == aqi) & has_primary)
        primary[top] |= bit
        if version == V2012:  # HJ 633-2012 §3.4: IAQI > 100
            exceeding[(values > 100) | above] |= bit
    return AqiArrays(
        iaqi=iaqi,
        aqi=aqi,
        aqi_from_available=available,
        level=level,
        primary=primary,
        exceeding=exceeding,
        missing=missing,
        above_scale=above_any,
        status=status,
        version=np.full(n, version),
    )


def aqi_arrays(
    columns: Mapping[str, Any],
    *,
    period: str | Period,
    version: str | None = None,
    times: Any = None,
    rule: str = RULE_PUBLISHED,
    above_scale: AboveScale = "undefined",
    round_inputs: bool = True,
    not_monitored: Collection[str] = (),
) -> AqiArrays:
    """AQI, level and primary pollutants for every row of a table.

    ``columns`` maps record keys (as in :func:`.hj633.calc_record`) to equal-length columns (numpy,
    pandas or Arrow; null/NaN = missing). Give ``version``, or ``times`` (one per row; aware pandas
    times, or naive times taken as UTC) to pick the edition per row by its date of force.
    """
    unknown = sorted(set(columns) - set(RECORD_KEYS))
    if unknown:
        raise InputError(f"unknown pollutant column(s) {', '.join(unknown)}")
    arrays = {k: as_float_array(v) for k, v in columns.items()}
    lengths = {len(v) for v in arrays.values()}
    if times is not None:
        lengths.add(len(times))
    if len(lengths) > 1:
        raise InputError(f"columns have different lengths: {sorted(lengths)}")
    n = lengths.pop() if lengths else 0
    period_label = period_name(period)
    options: dict[str, Any] = {
        "period": period_label,
        "rule": rule,
        "above_scale": above_scale,
        "round_inputs": round_inputs,
        "not_monitored": set(not_monitored),
    }
    if version is not None:
        return _one_version(arrays, n, version=check_version(version), **options)
    if times is None:
        raise InputError("give the HJ 633 version or the time of every row (times=…)")
    versions = editions_for_times(EDITIONS, times)
    distinct = np.unique(versions)
    if distinct.size == 1:  # one edition for every row: no split and scatter
        return _one_version(arrays, n, version=str(distinct[0]), **options)
    parts = {
        v: _one_version(
            {k: a[versions == v] for k, a in arrays.items()},
            int((versions == v).sum()),
            version=v,
            **options,
        )
        for v in distinct
    }
    return _scatter(parts, versions, n)


def _scatter(parts: Mapping[str, AqiArrays], versions: npt.NDArray[np.str_], n: int) -> AqiArrays:
    """Reassemble per-edition results in the original row order."""
    keys = sorted({k for p in parts.values() for k in p.iaqi})
    iaqi = {k: np.full(n, np.nan) for k in keys}
    out: dict[str, Any] = {
        "aqi": np.full(n, np.nan),
        "aqi_from_available": np.full(n, np.nan),
        "level": np.zeros(n, np.int8),
        "primary": np.zeros(n, np.uint8),
        "exceeding": np.zeros(n, np.uint8),
        "missing": np.zeros(n, np.int8),
        "above_scale": np.zeros(n, bool),
        "status": np.zeros(n, np.int8),
        "version": np.asarray(versions),
    }
    for v, part in parts.items():
        rows = versions == v
        for k, col in part.iaqi.items():
            iaqi[k][rows] = col
        for name in (
            "aqi",
            "aqi_from_available",
            "level",
            "primary",
            "exceeding",
            "missing",
            "above_scale",
            "status",
        ):
            out[name][rows] = getattr(part, name)
    return AqiArrays(iaqi=iaqi, **out)
