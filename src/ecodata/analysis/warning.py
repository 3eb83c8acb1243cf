"""Heavy-pollution warnings from AQI forecasts (重污染天气预警分级).

National grading of the Ministry of Environmental Protection (2017, 《关于推进重污染天气应急预案
修订工作的指导意见》, 重污染天气预警分级标准): the daily AQI is the mean of 24 consecutive hourly
AQI values (the 24 hours may cross midnight), and

- blue (蓝色): forecast daily AQI > 200 for 1 day;
- yellow (黄色): daily AQI > 200 for 2 days (48 h) or more;
- orange (橙色): daily AQI > 200 for 3 days (72 h) or more, with daily AQI > 300 on at least 1 day;
- red (红色): daily AQI > 200 for 4 days (96 h) or more with daily AQI > 300 for 2 days (48 h) or
  more, or daily AQI ≥ 500 for 1 day;

each level only where the higher one is not reached. Regions may set stricter thresholds: every
number is a field of :class:`WarningRules`, whose defaults are the national ones.
"""

from __future__ import annotations

import enum
import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
import pandas as pd

from ecodata.errors import InputError


class WarningLevel(enum.IntEnum):
    NONE = 0
    BLUE = 1
    YELLOW = 2
    ORANGE = 3
    RED = 4

    @property
    def label_zh(self) -> str:
        return {0: "无预警", 1: "蓝色预警", 2: "黄色预警", 3: "橙色预警", 4: "红色预警"}[self.value]

    @property
    def label(self) -> str:
        return self.name.lower()


@dataclass(frozen=True)
class WarningRules:
    """Thresholds of the warning levels (national defaults; a region may set stricter ones)."""

    heavy: float = 200.0  # a day counts as heavily polluted when its daily AQI is above this
    severe: float = 300.0  # … as severely polluted above this
    extreme: float = 500.0  # … as extreme at or above this
    blue_days: int = 1
    yellow_days: int = 2
    orange_days: int = 3
    orange_severe_days: int = 1
    red_days: int = 4
    red_severe_days: int = 2
    red_extreme_days: int = 1
    day_hours: int = 24

    def __post_init__(self) -> None:
        if not self.heavy < self.severe <= self.extreme:
            raise InputError(
                f"warning thresholds must rise: heavy {self.heavy} < severe "
                f"{self.severe} ≤ extreme {self.extreme}"
            )
        days = (self.blue_days, self.yellow_days, self.orange_days, self.red_days)
        if min(days) < 1 or list(days) != sorted(days):
            raise InputError(f"warning day counts must be ≥ 1 and rise from blue to red: {days}")
        if self.day_hours < 1:
            raise InputError(f"day_hours must be ≥ 1, got {self.day_hours}")

    def describe(self, level: WarningLevel) -> str:
        """The rule of a level in words."""
        if level is WarningLevel.RED:
            return (
                f"daily AQI > {self.heavy:g} for ≥ {self.red_days} days with > {self.severe:g} "
                f"on ≥ {self.red_severe_days} days, or ≥ {self.extreme:g} on "
                f"≥ {self.red_extreme_days} day(s)"
            )
        if level is WarningLevel.ORANGE:
            return (
                f"daily AQI > {self.heavy:g} for ≥ {self.orange_days} days with "
                f"> {self.severe:g} on ≥ {self.orange_severe_days} day(s)"
            )
        if level is WarningLevel.YELLOW:
            return f"daily AQI > {self.heavy:g} for ≥ {self.yellow_days} days"
        if level is WarningLevel.BLUE:
            return f"daily AQI > {self.heavy:g} for ≥ {self.blue_days} day(s)"
        return f"no day with daily AQI > {self.heavy:g} for ≥ {self.blue_days} day(s)"

    def describe_zh(self, level: WarningLevel) -> str:
        """The rule of a level in Chinese, in the words of the grading."""
        if level is WarningLevel.RED:
            return (
                f"预测日AQI>{self.heavy:g}持续{self.red_days}天及以上，且日AQI>{self.severe:g}"
                f"持续{self.red_severe_days}天及以上；或日AQI≥{self.extreme:g}"
                f"持续{self.red_extreme_days}天及以上"
            )
        if level is WarningLevel.ORANGE:
            return (
                f"预测日AQI>{self.heavy:g}持续{self.orange_days}天及以上，且日AQI>"
                f"{self.severe:g}持续{self.orange_severe_days}天及以上"
            )
        if level is WarningLevel.YELLOW:
            return f"预测日AQI>{self.heavy:g}持续{self.yellow_days}天及以上"
        if level is WarningLevel.BLUE:
            return f"预测日AQI>{self.heavy:g}持续{self.blue_days}天"
        return f"预测日AQI均不超过{self.heavy:g}"


@dataclass(frozen=True)
class WarningDecision:
    level: WarningLevel
    rule: str
    rule_zh: str
    daily_aqi: list[float]
    heavy_days: int  # longest run of consecutive days above ``heavy``
    severe_days: int  # days above ``severe`` within that run
    extreme_days: int  # days at or above ``extreme``

    def to_json(self) -> dict[str, Any]:
        out = asdict(self)
        out["level"] = self.level.label
        out["label_zh"] = self.level.label_zh
        out["daily_aqi"] = [None if math.isnan(v) else round(v, 1) for v in self.daily_aqi]
        return out


def daily_aqi(hourly: Sequence[float] | np.ndarray, day_hours: int = 24) -> list[float]:
    """Means of consecutive blocks of ``day_hours`` forecast hours (hour 1–24, 25–48, …), the
    daily AQI of the grading (it may cross midnight). A block with a missing hour is NaN; a
    trailing partial block is dropped."""
    values = np.asarray(hourly, dtype=float)
    days = len(values) // day_hours
    blocks = values[: days * day_hours].reshape(days, day_hours)
    return [float(v) for v in blocks.mean(axis=1)]


def _longest_run(flags: list[bool]) -> tuple[int, int]:
    """Length and start of the longest run of True."""
    best, best_start, run, start = 0, 0, 0, 0
    for i, flag in enumerate(flags):
        if flag:
            if run == 0:
                start = i
            run += 1
            if run > best:
                best, best_start = run, start
        else:
            run = 0
    return best, best_start


def decide(daily: Sequence[float], rules: WarningRules | None = None) -> WarningDecision:
    """The warning level that a sequence of forecast daily AQI values calls for."""
    rules = rules or WarningRules()
    values = [float(v) for v in daily]
    heavy_run, start = _longest_run([v > rules.heavy for v in values])
    severe = sum(v > rules.severe for v in values[start : start + heavy_run])
    extreme = sum(v >= rules.extreme for v in values)
    if (heavy_run >= rules.red_days and severe >= rules.red_severe_days) or (
        extreme >= rules.red_extreme_days
    ):
        level = WarningLevel.RED
    elif heavy_run >= rules.orange_days and severe >= rules.orange_severe_days:
        level = WarningLevel.ORANGE
    elif heavy_run >= rules.yellow_days:
        level = WarningLevel.YELLOW
    elif heavy_run >= rules.blue_days:
        level = WarningLevel.BLUE
    else:
        level = WarningLevel.NONE
    return WarningDecision(
        level=level,
        rule=rules.describe(level),
        rule_zh=rules.describe_zh(level),
        daily_aqi=values,
        heavy_days=heavy_run,
        severe_days=severe,
        extreme_days=extreme,
    )


def forecast_warnings(forecast: pd.DataFrame, rules: WarningRules | None = None) -> pd.DataFrame:
    """Warnings for hourly AQI forecasts with columns ``site, issue_time, horizon_h, aqi``
    (horizons 1 … N): one row per site and issue time with ``level``, ``label_zh``, ``rule``,
    ``heavy_days``, ``severe_days``, ``extreme_days`` and ``daily_aqi``."""
    rules = rules or WarningRules()
    need = {"site", "issue_time", "horizon_h", "aqi"}
    if not need <= set(forecast.columns):
        raise InputError(f"forecast needs columns {sorted(need)}, got {list(forecast.columns)}")
    rows = []
    for (site, issued), part in forecast.groupby(["site", "issue_time"], sort=True):
        ordered = part.sort_values("horizon_h")
        horizons = ordered["horizon_h"].to_numpy()
        expected = np.arange(1, len(horizons) + 1)
        if not np.array_equal(horizons, expected):
            raise InputError(
                f"forecast for {site} issued {issued}: horizons must be 1…N without "
                f"gaps, got {horizons[:5].tolist()}…"
            )
        decision = decide(daily_aqi(ordered["aqi"].to_numpy(), rules.day_hours), rules)
        rows.append(
            {
                "site": site,
                "issue_time": issued,
                "level": decision.level.label,
                "label_zh": decision.level.label_zh,
                "rule": decision.rule,
                "rule_zh": decision.rule_zh,
                "heavy_days": decision.heavy_days,
                "severe_days": decision.severe_days,
                "extreme_days": decision.extreme_days,
                "daily_aqi": decision.daily_aqi,
            }
        )
    return pd.DataFrame(rows)
