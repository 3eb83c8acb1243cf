"""GB 3095 环境空气质量标准 — concentration limits, data validity and exceedance (超标) evaluation.

Editions (``version_for``):

* ``"2012"`` — GB 3095-2012 with its 2018 amendment; in force 2016-01-01 (applied in phases from
  2012). Limits from a reproduction of Tables 1 and 2, not the official text.
* ``"2026-transitional"`` — GB 3095-2026 Table 1 过渡阶段浓度限值 and the Table 2 notes a, b;
  2026-03-01 to 2030-12-31 (§4.4).
* ``"2026"`` — GB 3095-2026 final limits, nationwide from 2031-01-01 (§4.4).

Units: µg/m³, CO mg/m³. Gaseous pollutants at the reference state 298.15 K / 1013.25 hPa,
particulate matter at the actual state (GB 3095-2026 §3.14, §4.3).
"""

from __future__ import annotations

import calendar
import math
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Final, Literal

import numpy as np
import numpy.typing as npt

from ecodata.errors import InputError
from ecodata.standards.editions import Edition, edition_for, edition_named, local_midnight
from ecodata.standards.gbt8170 import round_half_even, round_half_even_array

V2012: Final = "2012"
V2026_TRANSITIONAL: Final = "2026-transitional"
V2026: Final = "2026"

EDITIONS: Final = (
    Edition(
        "GB 3095",
        V2012,
        "环境空气质量标准 GB 3095-2012 (含 2018 年修改单)",
        starts=None,
        in_force=date(2016, 1, 1),
        note="used here for all data before 2026-03-01",
    ),
    Edition(
        "GB 3095",
        V2026_TRANSITIONAL,
        "环境空气质量标准 GB 3095-2026 过渡阶段浓度限值",
        starts=local_midnight(date(2026, 3, 1)),
        in_force=date(2026, 3, 1),
        note="GB 3095-2026 §4.4: transitional limits until 2030-12-31",
    ),
    Edition(
        "GB 3095",
        V2026,
        "环境空气质量标准 GB 3095-2026",
        starts=local_midnight(date(2031, 1, 1)),
        in_force=date(2031, 1, 1),
        note="GB 3095-2026 §4.4: final limits nationwide from 2031-01-01",
    ),
)

Averaging = Literal["annual", "quarterly", "24h", "8h", "1h"]
AVERAGING_NAMES: Final = {
    "annual": "年平均",
    "quarterly": "季平均",
    "24h": "日平均 (24 小时平均)",
    "8h": "日最大 8 小时平均",
    "1h": "1 小时平均",
}

# (pollutant, averaging) → (class-1 limit, class-2 limit)
Limits = dict[tuple[str, str], tuple[float, float]]

#: GB 3095-2012 Table 1 (basic items) and Table 2 (other items) — third-party reproduction.
LIMITS_2012: Final[Limits] = {
    ("so2", "annual"): (20, 60),
    ("so2", "24h"): (50, 150),
    ("so2", "1h"): (150, 500),
    ("no2", "annual"): (40, 40),
    ("no2", "24h"): (80, 80),
    ("no2", "1h"): (200, 200),
    ("co", "24h"): (4, 4),
    ("co", "1h"): (10, 10),
    ("o3", "8h"): (100, 160),
    ("o3", "1h"): (160, 200),
    ("pm10", "annual"): (40, 70),
    ("pm10", "24h"): (50, 150),
    ("pm2_5", "annual"): (15, 35),
    ("pm2_5", "24h"): (35, 75),
    ("tsp", "annual"): (80, 200),
    ("tsp", "24h"): (120, 300),
    ("nox", "annual"): (50, 50),
    ("nox", "24h"): (100, 100),
    ("nox", "1h"): (250, 250),
    ("pb", "annual"): (0.5, 0.5),
    ("pb", "quarterly"): (1, 1),
    ("bap", "annual"): (0.001, 0.001),
    ("bap", "24h"): (0.0025, 0.0025),
}

_TABLE2_2026: Final[Limits] = {
    ("tsp", "annual"): (80, 200),
    ("tsp", "24h"): (120, 300),
    ("nox", "1h"): (250, 250),
    ("pb", "annual"): (0.5, 0.5),
    ("pb", "quarterly"): (1.0, 1.0),
    ("bap", "annual"): (0.001, 0.001),
    ("bap", "24h"): (0.0025, 0.0025),
}

#: GB 3095-2026 Table 1 过渡阶段浓度限值 + Table 2 with notes a, b (NOx 50 / 100 until 2030-12-31).
LIMITS_2026_TRANSITIONAL: Final[Limits] = {
    ("so2", "annual"): (20, 60),
    ("so2", "24h"): (50, 150),
    ("so2", "1h"): (150, 500),
    ("no2", "annual"): (40, 40),
    ("no2", "24h"): (80, 80),
    ("no2", "1h"): (200, 200),
    ("co", "24h"): (4, 4),
    ("co", "1h"): (10, 10),
    ("o3", "8h"): (100, 160),
    ("o3", "1h"): (160, 200),
    ("pm10", "annual"): (40, 60),
    ("pm10", "24h"): (50, 120),
    ("pm2_5", "annual"): (15, 30),
    ("pm2_5", "24h"): (35, 60),
    ("nox", "annual"): (50, 50),
    ("nox", "24h"): (100, 100),
    **_TABLE2_2026,
}

#: GB 3095-2026 Table 1 浓度限值 + Table 2 (NOx 40 / 70) — from 2031-01-01.
LIMITS_2026: Final[Limits] = {
    ("so2", "annual"): (20, 20),
    ("so2", "24h"): (50, 50),
    ("so2", "1h"): (150, 150),
    ("no2", "annual"): (30, 30),
    ("no2", "24h"): (50, 50),
    ("no2", "1h"): (200, 200),
    ("co", "24h"): (4, 4),
    ("co", "1h"): (10, 10),
    ("o3", "8h"): (100, 160),
    ("o3", "1h"): (160, 200),
    ("pm10", "annual"): (20, 50),
    ("pm10", "24h"): (50, 100),
    ("pm2_5", "annual"): (10, 25),
    ("pm2_5", "24h"): (25, 50),
    ("nox", "annual"): (40, 40),
    ("nox", "24h"): (70, 70),
    **_TABLE2_2026,
}

LIMITS: Final = {
    V2012: LIMITS_2012,
    V2026_TRANSITIONAL: LIMITS_2026_TRANSITIONAL,
    V2026: LIMITS_2026,
}

#: Decimals of reported statistics before comparison with a limit (GB/T 8170; CO to 0.1 mg/m³).
DECIMALS: Final = {"co": 1}

# GB 3095-2026 Table 4 (same in substance in GB 3095-2012 Table 4): minimum data for a valid value.
MIN_HOURS_PER_DAY: Final = 20  # SO₂, NO₂, CO, PM10, PM2.5, NOx daily mean
MIN_HOURS_PER_8H: Final = 6  # O₃ 8-h mean
MIN_MINUTES_PER_HOUR: Final = 45  # SO₂, NO₂, CO, O₃, NOx 1-h mean
MIN_DAYS_PER_YEAR: Final = 324  # SO₂, NO₂, PM10, PM2.5, NOx annual mean
MIN_DAYS_PER_MONTH: Final = 27  # … and in every month (February: 25)
MIN_DAYS_PER_FEBRUARY: Final = 25
MIN_DAYS_PER_YEAR_MANUAL: Final = 60  # TSP, BaP, Pb annual: evenly spread daily values
MIN_DAYS_PER_MONTH_MANUAL: Final = 5
MIN_DAYS_PER_QUARTER_PB: Final = 15


def version_for(at: datetime) -> str:
    """The GB 3095 limit set for data at the aware instant ``at``."""
    return edition_for(EDITIONS, at).version


def check_version(version: str) -> str:
    return edition_named(EDITIONS, version).version


def limit(pollutant: str, averaging: str, *, version: str, klass: int = 2) -> float:
    """The concentration limit of a pollutant for an averaging time, zone class 1 or 2
    (§4.1–§4.2)."""
    if klass not in (1, 2):
        raise InputError(f"GB 3095 zone class must be 1 or 2, not {klass!r}")
    table = LIMITS[check_version(version)]
    try:
        return table[(pollutant, averaging)][klass - 1]
    except KeyError:
        items = ", ".join(f"{p}/{a}" for p, a in table)
        raise InputError(
            f"GB 3095-{version}: no limit for {pollutant} {averaging}; defined: {items}"
        ) from None


def min_days_in_month(year: int, month: int) -> int:
    """Table 4: daily means needed for a valid month of an annual statistic (27, February 25)."""
    if not 1 <= month <= 12:
        raise InputError(f"month {month} is not 1–12")
    return MIN_DAYS_PER_FEBRUARY if month == 2 else MIN_DAYS_PER_MONTH


def days_in_year(year: int) -> int:
    return 366 if calendar.isleap(year) else 365


def round_statistic(pollutant: str, value: float) -> float:
    """GB/T 8170 rounding of a statistic before it is compared with a limit (integers; CO 0.1)."""
    return round_half_even(value, DECIMALS.get(pollutant, 0))


def exceedance_multiple(value: float, limit_value: float) -> float:
    """超标倍数 (C − S) / S; negative when below the limit."""
    return (value - limit_value) / limit_value


@dataclass(frozen=True, slots=True)
class Exceedance:
    pollutant: str
    averaging: str
    value: float
    limit: float
    exceeds: bool
    multiple: float


def evaluate(
    pollutant: str, averaging: str, value: float, *, version: str, klass: int = 2
) -> Exceedance:
    """Compare one (rounded) statistic with its limit; a value equal to the limit meets it."""
    limit_value = limit(pollutant, averaging, version=version, klass=klass)
    rounded = round_statistic(pollutant, value)
    return Exceedance(
        pollutant,
        averaging,
        rounded,
        limit_value,
        rounded > limit_value,
        exceedance_multiple(rounded, limit_value),
    )


def exceedance_array(
    pollutant: str,
    averaging: str,
    values: npt.ArrayLike,
    *,
    version: str,
    klass: int = 2,
) -> tuple[npt.NDArray[np.bool_], npt.NDArray[np.float64]]:
    """Vectorised :func:`evaluate`: (exceeds, multiple) per value; NaN values never exceed."""
    limit_value = limit(pollutant, averaging, version=version, klass=klass)
    rounded = round_half_even_array(values, DECIMALS.get(pollutant, 0))
    with np.errstate(invalid="ignore"):
        exceeds = np.asarray(rounded > limit_value)
    return exceeds, (rounded - limit_value) / limit_value


#: HJ 663 annual evaluation items: (annual mean?, percentile of daily values, limit averaging).
ANNUAL_ITEMS: Final = {
    "so2": (True, 98.0, "24h"),
    "no2": (True, 98.0, "24h"),
    "pm10": (True, 95.0, "24h"),
    "pm2_5": (True, 95.0, "24h"),
    "co": (False, 95.0, "24h"),
    "o3": (False, 90.0, "8h"),
}


@dataclass(frozen=True, slots=True)
class AnnualEvaluation:
    items: tuple[Exceedance, ...]
    missing: tuple[str, ...]

    @property
    def attains(self) -> bool | None:
        """True if every evaluated item meets its limit; None if an item is missing."""
        if self.missing:
            return None
        return not any(i.exceeds for i in self.items)

    @property
    def exceeding(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(i.pollutant for i in self.items if i.exceeds))


def evaluate_annual(
    statistics: Mapping[str, float | None], *, version: str, klass: int = 2
) -> AnnualEvaluation:
    """Annual attainment: each pollutant's annual mean against the annual limit and its daily
    percentile against the daily limit (HJ 663). ``statistics`` keys: ``"so2"`` (annual mean),
    ``"so2_p98"``, ``"no2"``, ``"no2_p98"``, ``"pm10"``, ``"pm10_p95"``, ``"pm2_5"``,
    ``"pm2_5_p95"``, ``"co_p95"``, ``"o3_8h_p90"`` — as produced by
    :func:`.hj663.annual_statistics`."""
    items: list[Exceedance] = []
    missing: list[str] = []
    for pollutant, (has_mean, p, averaging) in ANNUAL_ITEMS.items():
        keys = [] if not has_mean else [(pollutant, "annual")]
        base = "o3_8h" if pollutant == "o3" else pollutant
        keys.append((f"{base}_p{p:g}", averaging))
        for key, avg in keys:
            value = statistics.get(key)
            if value is None or math.isnan(value):
                missing.append(key)
                continue
            items.append(evaluate(pollutant, avg, float(value), version=version, klass=klass))
    return AnnualEvaluation(tuple(items), tuple(missing))
