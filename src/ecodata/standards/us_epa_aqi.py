"""US EPA Air Quality Index — Technical Assistance Document, May 2024 (EPA-454/B-24-002).

A second scale for international users; it is *not* China's AQI (different breakpoints, discrete
segments, rounding to nearest, a different purple). Units: O₃ and CO ppm, SO₂ and NO₂ ppb, PM µg/m³.

* Truncate the concentration: O₃ 3 decimals, PM2.5 1, PM10 integer, CO 1, SO₂ and NO₂ integers.
* Equation 1 on Table 6, then round the index to the nearest integer (halves up).
* O₃: the 8-h index is required; a 1-h value ≥ 0.125 ppm may be used too and the higher index wins;
  8-h values above 0.200 ppm do not define the AQI (use the 1-h value).
* SO₂: the 1-h table up to 304 ppb; a 24-h mean ≥ 305 ppb uses the 24-h rows; a 1-h value ≥ 305 ppb
  with a lower 24-h mean gives exactly 200.
* Above the AQI-500 breakpoint: equation 1 on the last segment (Table 6 note 4).
* PM NowCast over 12 hours (§IV).
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Final

from ecodata.errors import InputError
from ecodata.standards.editions import Edition, edition_for, edition_named

EDITIONS: Final = (
    Edition(
        "US EPA AQI",
        "2024",
        "Technical Assistance Document for the Reporting of Daily Air Quality "
        "(EPA-454/B-24-002, May 2024)",
        starts=None,
        in_force=date(2024, 5, 6),
        note="PM2.5 breakpoints of the 2024 PM NAAQS revision; earlier EPA tables not implemented",
    ),
)

# Table 6: (C_lo, C_hi, I_lo, I_hi) segments per pollutant/averaging.
Segment = tuple[float, float, int, int]
TABLE6: Final[dict[str, tuple[Segment, ...]]] = {
    "o3_8h": (
        (0.000, 0.054, 0, 50),
        (0.055, 0.070, 51, 100),
        (0.071, 0.085, 101, 150),
        (0.086, 0.105, 151, 200),
        (0.106, 0.200, 201, 300),
    ),
    "o3_1h": (
        (0.125, 0.164, 101, 150),
        (0.165, 0.204, 151, 200),
        (0.205, 0.404, 201, 300),
        (0.405, 0.604, 301, 500),
    ),
    "pm2_5": (
        (0.0, 9.0, 0, 50),
        (9.1, 35.4, 51, 100),
        (35.5, 55.4, 101, 150),
        (55.5, 125.4, 151, 200),
        (125.5, 225.4, 201, 300),
        (225.5, 325.4, 301, 500),
    ),
    "pm10": (
        (0, 54, 0, 50),
        (55, 154, 51, 100),
        (155, 254, 101, 150),
        (255, 354, 151, 200),
        (355, 424, 201, 300),
        (425, 604, 301, 500),
    ),
    "co": (
        (0.0, 4.4, 0, 50),
        (4.5, 9.4, 51, 100),
        (9.5, 12.4, 101, 150),
        (12.5, 15.4, 151, 200),
        (15.5, 30.4, 201, 300),
        (30.5, 50.4, 301, 500),
    ),
    "so2_1h": ((0, 35, 0, 50), (36, 75, 51, 100), (76, 185, 101, 150), (186, 304, 151, 200)),
    "so2_24h": ((305, 604, 201, 300), (605, 1004, 301, 500)),
    "no2": (
        (0, 53, 0, 50),
        (54, 100, 51, 100),
        (101, 360, 101, 150),
        (361, 649, 151, 200),
        (650, 1249, 201, 300),
        (1250, 2049, 301, 500),
    ),
}
#: Truncation decimals (§IV step 1).
TRUNCATE: Final = {
    "o3_8h": 3,
    "o3_1h": 3,
    "pm2_5": 1,
    "pm10": 0,
    "co": 1,
    "so2_1h": 0,
    "so2_24h": 0,
    "no2": 0,
}
UNITS: Final = {
    "o3_8h": "ppm",
    "o3_1h": "ppm",
    "pm2_5": "µg/m³",
    "pm10": "µg/m³",
    "co": "ppm",
    "so2_1h": "ppb",
    "so2_24h": "ppb",
    "no2": "ppb",
}

#: Molar masses (g/mol) for µg/m³ ↔ ppb at 25 °C and 1 atm (molar volume 24.45 L).
MOLAR_MASS: Final = {"so2": 64.066, "no2": 46.0055, "o3": 47.997, "co": 28.010}
MOLAR_VOLUME_25C: Final = 24.45


@dataclass(frozen=True, slots=True)
class EpaCategory:
    name: str
    low: int
    high: int
    rgb: tuple[int, int, int]

    @property
    def hex(self) -> str:
        return "#{:02X}{:02X}{:02X}".format(*self.rgb)


CATEGORIES: Final = (
    EpaCategory("Good", 0, 50, (0, 228, 0)),
    EpaCategory("Moderate", 51, 100, (255, 255, 0)),
    EpaCategory("Unhealthy for Sensitive Groups", 101, 150, (255, 126, 0)),
    EpaCategory("Unhealthy", 151, 200, (255, 0, 0)),
    EpaCategory("Very Unhealthy", 201, 300, (143, 63, 151)),
    EpaCategory("Hazardous", 301, 500, (126, 0, 35)),
)


def version_for(at: datetime) -> str:
    return edition_for(EDITIONS, at).version


def truncate(value: float, decimals: int) -> float:
    """Truncate toward zero to ``decimals`` places, deciding on the decimal value (0.07853333 →
    0.078; 35.9 stays 35.9 despite binary 35.899999…)."""
    scale = 10.0**decimals
    return math.floor(round(value * scale, 6)) / scale


def round_index(value: float) -> int:
    """Round to the nearest integer, halves up (125.5 → 126)."""
    return math.floor(value + 0.5 + 1e-9)


def category_of(aqi: int) -> EpaCategory:
    for category in CATEGORIES[:-1]:
        if aqi <= category.high:
            return category
    return CATEGORIES[-1]


def ugm3_to_ppb(pollutant: str, value: float) -> float:
    """Convert µg/m³ to ppb at 25 °C, 1 atm (divide by 1000 more for ppm)."""
    return value * MOLAR_VOLUME_25C / MOLAR_MASS[pollutant]


def _check(key: str, value: float | None) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise InputError(f"{key}: concentration {value!r} is not a number")
    v = float(value)
    if math.isnan(v):
        return None
    if v < 0 or math.isinf(v):
        raise InputError(f"{key}: concentration {v} is not valid (must be ≥ 0)")
    return v


def index_of(key: str, concentration: float) -> int | None:
    """Index of one truncated concentration on Table 6; ``None`` below the first segment (O₃ 1-h
    below 0.125 ppm) or for O₃ 8-h above 0.200 ppm; extrapolated above the AQI-500 breakpoint."""
    if key not in TABLE6:
        raise InputError(f"EPA AQI: unknown item {key!r}; use {', '.join(TABLE6)}")
    c = truncate(concentration, TRUNCATE[key])
    segments = TABLE6[key]
    if c < segments[0][0]:
        return None
    for c_lo, c_hi, i_lo, i_hi in segments:
        if c <= c_hi:
            return round_index((i_hi - i_lo) / (c_hi - c_lo) * (c - c_lo) + i_lo)
    if key == "o3_8h":
        return None  # Table 6 note 2: 8-h O₃ does not define AQI ≥ 301
    c_lo, c_hi, i_lo, i_hi = segments[-1]
    return round_index((i_hi - i_lo) / (c_hi - c_lo) * (c - c_lo) + i_lo)


@dataclass(frozen=True, slots=True)
class EpaResult:
    indices: dict[str, int | None]
    aqi: int | None
    category: EpaCategory | None
    main: tuple[str, ...]
    notes: tuple[str, ...]

    def to_json(self) -> dict[str, object]:
        return {
            "scale": "US EPA AQI (TAD May 2024)",
            "indices": self.indices,
            "aqi": self.aqi,
            "category": self.category.name if self.category else None,
            "colour": self.category.hex if self.category else None,
            "main": list(self.main),
            "notes": list(self.notes),
        }


def calc(values: Mapping[str, float | None], *, version: str = "2024") -> EpaResult:
    """The EPA AQI of one record. Keys: ``o3_8h``, ``o3_1h`` (ppm), ``pm2_5``, ``pm10`` (µg/m³),
    ``co`` (8-h, ppm), ``so2_1h`` (daily max 1-h, ppb), ``so2_24h`` (ppb), ``no2`` (1-h, ppb)."""
    edition_named(EDITIONS, version)
    unknown = sorted(set(values) - set(TABLE6))
    if unknown:
        raise InputError(f"EPA AQI: unknown item(s) {', '.join(unknown)}; use {', '.join(TABLE6)}")
    v = {k: _check(k, values.get(k)) for k in TABLE6}
    indices: dict[str, int | None] = {}
    notes: list[str] = []

    o3_8h = v["o3_8h"]
    o3_1h = v["o3_1h"]
    if o3_8h is not None:
        indices["o3_8h"] = index_of("o3_8h", o3_8h)
        if indices["o3_8h"] is None:
            notes.append("8-h O₃ above 0.200 ppm does not define the AQI; the 1-h value is used")
    if o3_1h is not None:
        indices["o3_1h"] = index_of("o3_1h", o3_1h)
        if indices["o3_1h"] is None:
            notes.append("1-h O₃ below 0.125 ppm is disregarded (Table 6 blank)")

    for key in ("pm2_5", "pm10", "co", "no2"):
        value = v[key]
        if value is not None:
            indices[key] = index_of(key, value)

    so2_1h, so2_24h = v["so2_1h"], v["so2_24h"]
    if so2_24h is not None and truncate(so2_24h, 0) >= 305:
        indices["so2"] = index_of("so2_24h", so2_24h)
    elif so2_1h is not None and truncate(so2_1h, 0) >= 305:
        indices["so2"] = 200
        notes.append("1-h SO₂ ≥ 305 ppb with a lower 24-h mean: AQI fixed at 200")
    elif so2_1h is not None:
        indices["so2"] = index_of("so2_1h", so2_1h)

    defined = {k: i for k, i in indices.items() if i is not None}
    aqi = max(defined.values(), default=None)
    main: tuple[str, ...] = ()
    if aqi is not None:
        main = tuple(
            dict.fromkeys("o3" if k.startswith("o3") else k for k, i in defined.items() if i == aqi)
        )
    return EpaResult(
        indices, aqi, category_of(aqi) if aqi is not None else None, main, tuple(notes)
    )


def nowcast(hours: Sequence[float | None]) -> float | None:
    """PM NowCast from the last 12 hourly values, most recent first (``None`` = missing).

    Weight ``w = 1 − (max − min)/max`` floored at 0.5; ``Σ wⁱ cᵢ / Σ wⁱ`` over valid hours (i =
    hours ago); needs 2 of the 3 most recent hours."""
    window = [None if h is None or math.isnan(h) else float(h) for h in list(hours)[:12]]
    if sum(1 for h in window[:3] if h is not None) < 2:
        return None
    valid = [(i, c) for i, c in enumerate(window) if c is not None]
    high = max(c for _, c in valid)
    low = min(c for _, c in valid)
    weight = 1.0 if high == 0 else max(0.5, 1 - (high - low) / high)
    num = sum(weight**i * c for i, c in valid)
    den = sum(weight**i for i, _ in valid)
    return num / den
