"""HJ 633 环境空气质量指数（AQI）技术规定 — IAQI and AQI, editions 2012 and 2026 (scalar path).

* eq. (1) linear interpolation between continuous breakpoints; eq. (2) AQI = max IAQI
  (HJ 633-2012 §4.2, §4.4.1; HJ 633-2026 §4.2.4).
* IAQI and AQI are rounded **up** to integers (HJ 633-2012 §6.2; HJ 633-2026 §4.2.6).
* Concentrations are first rounded by GB/T 8170: µg/m³ to integers, CO mg/m³ to one decimal
  (HJ 633-2026 §4.2.2; applied to 2012 data too, which were published with the same precision).
* Special cases: SO₂ 1-h > 800 µg/m³ (2012: sub-index from the 24-h mean; 2026: IAQI 200), O₃ 8-h
  > 800 µg/m³ (2012: sub-index from the 1-h value; 2026: IAQI 300) — Table 1 notes (2), (3) / Table
  3 notes b, c. Any other value above the IAQI-500 breakpoint is undefined by both editions.
* Primary pollutant: AQI > 50, the largest IAQI, ties all listed (2012 §4.4.2; 2026 §4.3.1).
  Non-attainment pollutant (IAQI > 100): 2012 §4.4.2 only, deleted in 2026.
* Missing data: 2026 §5.3.1 — compute from the other pollutants, publish only if AQI > 100; 2012 has
  no rule and the national publication computed the AQI from the pollutants available.

The table data are in :mod:`.hj633_tables`; the array path for whole tables is :mod:`.hj633_arrays`.
"""

from __future__ import annotations

import math
import numbers
from bisect import bisect_left
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Final, Literal

from ecodata.errors import EvaluationError, InputError
from ecodata.model import Period
from ecodata.standards.editions import edition_for, edition_named
from ecodata.standards.gbt8170 import round_half_even
from ecodata.standards.hj633_tables import (
    CATEGORIES,
    DECIMALS,
    EDITIONS,
    IAQI_STEPS,
    LEVEL_UPPER,
    POLLUTANTS,
    RECORD_KEYS,
    RULE_PUBLISHED,
    RULES,
    SCHEMES,
    SENSITIVE_GROUPS_2026,
    SHOWN_ONLY,
    TABLES,
    V2012,
    V2026,
    Category,
    Indicator,
)

AboveScale = Literal["undefined", "cap"]
PeriodName = Literal["hour", "day"]

#: Tolerance of the ceiling: eq. (1) lands exactly on an integer at every breakpoint, and binary
#: noise (e.g. 50.000000000001) must not lift it to the next integer.
_CEIL_TOLERANCE: Final = 1e-7

#: The two over-the-table values that are not undefined (Table 1 notes 2, 3; Table 3 notes b, c).
SO2_1H_CEILING: Final = 800.0
O3_8H_CEILING: Final = 800.0
FIXED_IAQI_2026: Final = {"so2": 200, "o3": 300}

# Sub-index statuses.
OK: Final = "ok"
MISSING: Final = "missing"
ABOVE_SCALE: Final = "above_scale"
CAPPED: Final = "capped"
FIXED: Final = "fixed"
FROM_FALLBACK: Final = "from_fallback"
NEEDS_FALLBACK: Final = "needs_fallback"


def version_for(at: datetime) -> str:
    """The HJ 633 edition for data at the aware instant ``at``: "2012" before 2026-03-01 00:00 CST,
    "2026" from then on."""
    return edition_for(EDITIONS, at).version


def check_version(version: str) -> str:
    return edition_named(EDITIONS, version).version


def period_name(period: str | Period) -> PeriodName:
    """Normalise "hour"/"day" (or :class:`ecodata.model.Period`) to the report period."""
    label = period.label if isinstance(period, Period) else str(period).strip().lower()
    aliases: dict[str, PeriodName] = {
        "hour": "hour",
        "hourly": "hour",
        "realtime": "hour",
        "real-time": "hour",
        "day": "day",
        "daily": "day",
    }
    if label not in aliases:
        raise InputError(f"unknown AQI period {period!r}; use 'hour' (real-time report) or 'day'")
    return aliases[label]


def scheme(version: str, period: str | Period, rule: str = RULE_PUBLISHED) -> tuple[Indicator, ...]:
    """The indicators that carry a sub-index for a report (see :data:`.hj633_tables.SCHEMES`)."""
    if rule not in RULES:
        raise InputError(f"unknown HJ 633 rule {rule!r}; use one of {', '.join(RULES)}")
    return SCHEMES[(check_version(version), period_name(period), rule)]


def round_concentration(pollutant: str, value: float) -> float:
    """GB/T 8170 rounding of a concentration (HJ 633-2026 §4.2.2)."""
    return round_half_even(value, DECIMALS[pollutant])


def ceil_index(value: float) -> int:
    """Round an index up to an integer (2012 §6.2, 2026 §4.2.6), guarding against binary noise."""
    return math.ceil(value - _CEIL_TOLERANCE)


def eq1(breakpoints: tuple[float, ...], concentration: float) -> float | None:
    """Eq. (1) on one breakpoint column; ``None`` above the last breakpoint. Not rounded."""
    top = len(breakpoints) - 1
    if concentration > breakpoints[top]:
        return None
    upper = max(1, bisect_left(breakpoints, concentration))
    bp_lo, bp_hi = breakpoints[upper - 1], breakpoints[upper]
    i_lo, i_hi = IAQI_STEPS[upper - 1], IAQI_STEPS[upper]
    return i_lo + (i_hi - i_lo) * (concentration - bp_lo) / (bp_hi - bp_lo)


@dataclass(frozen=True, slots=True)
class SubIndex:
    """The IAQI of one indicator. ``concentration`` is the rounded value used; ``status`` says how
    the value was obtained (ok, missing, above_scale, capped, fixed, from_fallback,
    needs_fallback)."""

    key: str
    pollutant: str
    concentration: float | None
    value: int | None
    status: str
    note: str = ""


def _check_concentration(key: str, value: float | None) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise InputError(f"{key}: concentration {value!r} is not a number")
    number = float(value)
    if math.isnan(number):
        return None
    if math.isinf(number) or number < 0:
        raise InputError(
            f"{key}: concentration {number} is not a valid concentration (must be ≥ 0)"
        )
    return number


def sub_index(
    indicator: Indicator,
    concentration: float | None,
    *,
    version: str,
    above_scale: AboveScale = "undefined",
    fallback: float | None = None,
    round_input: bool = True,
) -> SubIndex:
    """IAQI of one indicator. ``fallback`` is the concentration used by the 2012 special cases: the
    SO₂ 24-h mean for an SO₂ 1-h value above 800, the O₃ 1-h value for an O₃ 8-h value above 800."""
    table = TABLES[check_version(version)]
    key, pollutant = indicator.key, indicator.pollutant
    c = _check_concentration(key, concentration)
    if c is None:
        return SubIndex(key, pollutant, None, None, MISSING)
    if round_input:
        c = round_concentration(pollutant, c)
    breakpoints = table[(pollutant, indicator.basis)]
    special = (pollutant == "so2" and indicator.basis == "1h" and c > SO2_1H_CEILING) or (
        pollutant == "o3" and indicator.basis == "8h" and c > O3_8H_CEILING
    )
    if special:
        if version == V2026:
            value = FIXED_IAQI_2026[pollutant]
            note = f"HJ 633-2026 Table 3 note: {key} above 800 µg/m³ counts as IAQI {value}"
            return SubIndex(key, pollutant, c, value, FIXED, note)
        other_basis = "24h" if pollutant == "so2" else "1h"
        clause = "Table 1 note (2)" if pollutant == "so2" else "Table 1 note (3)"
        substitute = Indicator(key, pollutant, other_basis, "")
        used = sub_index(
            substitute, fallback, version=version, above_scale=above_scale, round_input=round_input
        )
        if used.value is None and used.status == MISSING:
            note = f"HJ 633-2012 {clause}: {key} above 800 µg/m³ needs the {other_basis} value"
            return SubIndex(key, pollutant, c, None, NEEDS_FALLBACK, note)
        note = (
            f"HJ 633-2012 {clause}: {key} above 800 µg/m³, sub-index from the {other_basis} value"
        )
        status = FROM_FALLBACK if used.status in (OK, FROM_FALLBACK) else used.status
        return SubIndex(key, pollutant, c, used.value, status, note)
    raw = eq1(breakpoints, c)
    if raw is None:
        top = breakpoints[-1]
        if above_scale == "cap":
            note = f"{key} {c:g} above the IAQI-500 breakpoint {top:g}: capped at 500"
            return SubIndex(key, pollutant, c, 500, CAPPED, note)
        note = f"{key} {c:g} above the IAQI-500 breakpoint {top:g}: IAQI undefined by HJ 633"
        return SubIndex(key, pollutant, c, None, ABOVE_SCALE, note)
    return SubIndex(key, pollutant, c, ceil_index(raw), OK)


def _indicator(key: str, version: str, period: str | Period, rule: str) -> Indicator:
    for candidate in scheme(version, period, rule):
        if candidate.key == key:
            return candidate
    keys = ", ".join(i.key for i in scheme(version, period, rule))
    raise InputError(
        f"{key!r} has no sub-index in the HJ 633-{version} {period_name(period)} report "
        f"(rule {rule!r}); indicators: {keys}"
    )


def iaqi(
    key: str,
    concentration: float | None,
    *,
    version: str,
    period: str | Period,
    rule: str = RULE_PUBLISHED,
    above_scale: AboveScale = "undefined",
    fallback: float | None = None,
    round_input: bool = True,
) -> int | None:
    """IAQI of one record key (``so2``, ``o3_8h``, ``pm2_5`` …); ``None`` when missing or
    undefined."""
    indicator = _indicator(key, version, period, rule)
    return sub_index(
        indicator,
        concentration,
        version=version,
        above_scale=above_scale,
        fallback=fallback,
        round_input=round_input,
    ).value


def level_of(aqi: int) -> int:
    """AQI level 1–6 (HJ 633-2012 Table 2; HJ 633-2026 Table 1)."""
    for level, upper in enumerate(LEVEL_UPPER, start=1):
        if aqi <= upper:
            return level
    return 6


def category_of(aqi: int, version: str) -> Category:
    return CATEGORIES[check_version(version)][level_of(aqi) - 1]


_FALLBACK_KEY: Final = {("so2", "1h"): "so2_24h", ("o3", "8h"): "o3"}


@dataclass(frozen=True, slots=True)
class AqiResult:
    """The AQI of one record. ``aqi`` is ``None`` when it is not defined or must not be published
    (``aqi_status`` says why); ``aqi_from_available`` is the maximum of the sub-indices present."""

    version: str
    period: PeriodName
    rule: str
    sub_indices: tuple[SubIndex, ...]
    aqi: int | None
    aqi_status: str
    aqi_from_available: int | None
    level: int | None
    category: Category | None
    primary: tuple[str, ...]
    primary_indicators: tuple[str, ...]
    exceeding: tuple[str, ...]
    missing: tuple[str, ...]
    above_scale: tuple[str, ...]
    shown: dict[str, float | None] = field(default_factory=dict)
    notes: tuple[str, ...] = ()

    @property
    def iaqi(self) -> dict[str, int | None]:
        return {s.key: s.value for s in self.sub_indices}

    @property
    def concentrations(self) -> dict[str, float | None]:
        return {s.key: s.concentration for s in self.sub_indices}

    @property
    def sensitive_groups(self) -> dict[str, str]:
        """HJ 633-2026 Table 2: groups to act for pollutants with IAQI > 100 (2026 only)."""
        if self.version != V2026:
            return {}
        over = sorted(
            {s.pollutant for s in self.sub_indices if s.value is not None and s.value > 100}
            | {s.pollutant for s in self.sub_indices if s.status == ABOVE_SCALE},
            key=POLLUTANTS.index,
        )
        return {p: SENSITIVE_GROUPS_2026[p] for p in over}

    def to_json(self) -> dict[str, object]:
        return {
            "standard": f"HJ 633-{self.version}",
            "version": self.version,
            "period": self.period,
            "rule": self.rule,
            "concentrations": self.concentrations,
            "iaqi": self.iaqi,
            "aqi": self.aqi,
            "aqi_status": self.aqi_status,
            "aqi_from_available": self.aqi_from_available,
            "level": self.level,
            "category": self.category.to_json() if self.category else None,
            "primary": list(self.primary),
            "primary_indicators": list(self.primary_indicators),
            "exceeding": list(self.exceeding) if self.version == V2012 else None,
            "sensitive_groups": self.sensitive_groups,
            "missing": list(self.missing),
            "above_scale": list(self.above_scale),
            "shown": self.shown,
            "notes": list(self.notes),
        }


def calc_record(
    values: Mapping[str, float | None],
    *,
    version: str | None = None,
    period: str | Period = "hour",
    at: datetime | None = None,
    rule: str = RULE_PUBLISHED,
    above_scale: AboveScale = "undefined",
    round_inputs: bool = True,
    not_monitored: Collection[str] = (),
) -> AqiResult:
    """Compute the AQI of one record.

    ``values`` maps record keys to concentrations (µg/m³, CO mg/m³): ``so2``, ``no2``, ``co``,
    ``o3``, ``o3_8h``, ``pm10``, ``pm2_5``; with ``period="hour"`` the 1-h means (``o3_8h`` the 8-h
    moving mean), with ``period="day"`` the daily values (``o3`` the daily maximum 1-h mean,
    ``o3_8h`` the daily maximum 8-h mean). Optional: ``so2_24h`` (2012 SO₂ fallback),
    ``pm10_24h``/``pm2_5_24h`` (2012 rule "strict"). ``None``, NaN or an absent key is a missing
    value.

    The edition is ``version`` or, if ``None``, the one in force at ``at``. ``rule`` only matters
    for HJ 633-2012 real-time reports ("published": as the national publication computed it;
    "strict": Table 4 read literally). ``above_scale="cap"`` reports 500 for values above the
    table, as the national publication does; by default those sub-indices (and the AQI) are
    undefined.
    ``not_monitored`` lists pollutants outside the monitoring plan (HJ 633-2026 §5.3.2); the caller
    vouches that they were never primary at 轻度污染 or worse over the past three years.
    """
    early_notes: list[str] = []
    if version is None:
        if at is None:
            raise InputError("give the HJ 633 version or the time of the data (at=…)")
        version = version_for(at)
    version = check_version(version)
    if at is not None and version_for(at) != version:
        early_notes.append(
            f"HJ 633-{version} chosen explicitly; data of {at.isoformat()} fall under "
            f"HJ 633-{version_for(at)}"
        )
    period_label = period_name(period)
    indicators = scheme(version, period_label, rule)
    shown_only = SHOWN_ONLY[(version, period_label, rule)]
    known = {i.key for i in indicators} | set(shown_only)
    unknown = sorted(set(values) - set(RECORD_KEYS))
    if unknown:
        raise InputError(
            f"unknown pollutant key(s) {', '.join(unknown)}; use {', '.join(RECORD_KEYS)}"
        )
    unusable = sorted(k for k in values if k not in known and values[k] is not None)
    notes = early_notes + [f"{k} ignored: not an indicator of this report" for k in unusable]
    not_monitored_set = set(not_monitored) - set(POLLUTANTS)
    if not_monitored_set:
        raise InputError(
            f"not_monitored: unknown pollutant(s) {', '.join(sorted(not_monitored_set))}"
        )

    subs: list[SubIndex] = []
    for indicator in indicators:
        fallback_key = _FALLBACK_KEY.get((indicator.pollutant, indicator.basis))
        fallback = values.get(fallback_key) if fallback_key else None
        if fallback_key is not None:
            fallback = _check_concentration(fallback_key, fallback)
        subs.append(
            sub_index(
                indicator,
                _check_concentration(indicator.key, values.get(indicator.key)),
                version=version,
                above_scale=above_scale,
                fallback=fallback,
                round_input=round_inputs,
            )
        )
    shown = {
        k: _check_concentration(k, values.get(k)) for k in shown_only if values.get(k) is not None
    }
    notes.extend(f"{k} shown without a sub-index: {shown_only[k]}" for k in shown)
    notes.extend(s.note for s in subs if s.note)
    return _combine(version, period_label, rule, tuple(subs), shown, notes, set(not_monitored))


def _combine(
    version: str,
    period: PeriodName,
    rule: str,
    subs: tuple[SubIndex, ...],
    shown: dict[str, float | None],
    notes: list[str],
    not_monitored: set[str],
) -> AqiResult:
    """Eq. (2), primary pollutant, level and the missing-data rules for a set of sub-indices."""
    defined = [s for s in subs if s.value is not None]
    above = tuple(s.key for s in subs if s.status == ABOVE_SCALE)
    missing = tuple(
        s.key
        for s in subs
        if s.status in (MISSING, NEEDS_FALLBACK) and s.pollutant not in not_monitored
    )
    available = max((s.value for s in defined if s.value is not None), default=None)
    aqi: int | None = available
    status = "ok"
    if above:
        aqi, status = None, ABOVE_SCALE
        notes.append("AQI undefined: a concentration is above the IAQI-500 breakpoint (AQI > 500)")
    elif available is None:
        status = "no_data"
    elif missing and version == V2026 and available <= 100:
        # HJ 633-2026 §5.3.1: with a missing pollutant, publish the AQI only if it exceeds 100.
        aqi, status = None, "na_incomplete"
        notes.append("HJ 633-2026 §5.3.1: indicator(s) missing and AQI ≤ 100, AQI reported as NA")
    elif missing:
        status = "partial"

    if status == ABOVE_SCALE:
        level: int | None = 6
        top = [s for s in subs if s.status == ABOVE_SCALE]
    elif aqi is not None:
        level = level_of(aqi)
        top = [s for s in defined if s.value == aqi] if aqi > 50 else []
    else:
        level, top = None, []
    primary = tuple(sorted({s.pollutant for s in top}, key=POLLUTANTS.index))
    exceeding: tuple[str, ...] = ()
    if version == V2012:
        # HJ 633-2012 §3.4: 超标污染物 = IAQI > 100.
        over = {s.pollutant for s in subs if (s.value is not None and s.value > 100)}
        over |= {s.pollutant for s in subs if s.status == ABOVE_SCALE}
        exceeding = tuple(sorted(over, key=POLLUTANTS.index))
    return AqiResult(
        version=version,
        period=period,
        rule=rule,
        sub_indices=subs,
        aqi=aqi,
        aqi_status=status,
        aqi_from_available=available,
        level=level,
        category=CATEGORIES[version][level - 1] if level is not None else None,
        primary=primary,
        primary_indicators=tuple(s.key for s in top),
        exceeding=exceeding,
        missing=missing,
        above_scale=above,
        shown=shown,
        notes=tuple(notes),
    )


def aqi_of(
    values: Mapping[str, float | None],
    *,
    version: str,
    period: str | Period,
    rule: str = RULE_PUBLISHED,
) -> int | None:
    """Shortcut: the AQI only (``None`` when undefined or not publishable)."""
    return calc_record(values, version=version, period=period, rule=rule).aqi


def require_aqi(result: AqiResult) -> int:
    """The AQI of a result, or an :class:`EvaluationError` that says why there is none."""
    if result.aqi is None:
        raise EvaluationError(f"no AQI ({result.aqi_status}): {'; '.join(result.notes)}")
    return result.aqi
