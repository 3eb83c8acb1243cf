"""Hourly AQI columns of a station's wide frame, computed with the national standard module.

The real-time (hourly) AQI of HJ 633 as published by the national network: the six 1-h means,
PM2.5 and PM10 on the breakpoints of their 24-h means (``standards.hj633_arrays``, rule
"published"); the edition follows each hour's date (HJ 633-2012 before 2026-03-01). A
concentration beyond the top of Table 1 gives the AQI 500 (``above_scale="cap"``): the haze case
base and the warning grading count such hours as the most polluted, not as missing ones.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ecodata.errors import InputError
from ecodata.standards.hj633_arrays import aqi_arrays

#: Wide-frame columns (registry codes) that enter the hourly AQI.
AQI_INPUTS = ("so2", "no2", "co", "o3", "pm10", "pm2_5")


def hourly_aqi(wide: pd.DataFrame) -> pd.DataFrame:
    """``aqi``, ``iaqi_<pollutant>`` and ``primary`` of every hour of a wide frame (tz-aware
    index; µg/m³, CO mg/m³). Pollutants absent from the frame count as missing; an hour whose
    pollutants are all missing gets a NaN AQI."""
    index = wide.index
    if not isinstance(index, pd.DatetimeIndex) or index.tz is None:
        raise InputError("hourly AQI needs a tz-aware DatetimeIndex")
    present = [p for p in AQI_INPUTS if p in wide.columns]
    if not present:
        raise InputError(f"no AQI pollutant in the data; need some of {', '.join(AQI_INPUTS)}")
    columns = {p: wide[p].to_numpy(dtype=float) for p in present}
    result = aqi_arrays(columns, period="hour", times=index, above_scale="cap")
    out = pd.DataFrame(index=index)
    for key, values in result.iaqi.items():
        out[f"iaqi_{key}"] = values
    out["aqi"] = np.asarray(result.aqi, dtype=float)
    out["primary"] = result.primary_labels()
    return out


def with_hourly_aqi(wide: pd.DataFrame) -> pd.DataFrame:
    """The wide frame with the columns of :func:`hourly_aqi` added (replacing any already there)."""
    added = hourly_aqi(wide)
    kept = wide.drop(columns=[c for c in added.columns if c in wide.columns])
    return pd.concat([kept, added], axis=1)
