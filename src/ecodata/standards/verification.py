"""Checking our computations against officially published values.

Pure functions: given computed and published columns, count what was compared and matched, and group
the mismatches by cause. :func:`verify_hourly_aqi` and :func:`verify_water_class` apply them to the
national hourly AQI publication and to published surface-water classes; reading the files is the
caller's business.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final

import numpy as np
import numpy.typing as npt
import pandas as pd

from ecodata.errors import InputError
from ecodata.standards import gb3838
from ecodata.standards.hj633 import AboveScale
from ecodata.standards.hj633_arrays import aqi_arrays, as_float_array

UNEXPLAINED: Final = "unexplained"

#: What each mismatch cause means (shown by reports).
CAUSES: Final = {
    "above_scale_capped": "a concentration is above the IAQI-500 breakpoint, where HJ 633 defines "
    "no IAQI; the publication shows 500",
    "above_scale": "a concentration is above the IAQI-500 breakpoint (undefined by HJ 633)",
    "not_computed": "no value could be computed from the inputs",
    "not_published": "a value was computed but none was published",
    "off_by_one": "differs by 1 (rounding of inputs or of the index)",
    "other_tp_rule": "matches when total phosphorus is judged by the other water-body row "
    "(river vs lake/reservoir) — the sample does not say which the station is",
    "ph_not_counted": "pH outside 6–9 but the published class ignores pH",
    "on_limit": "a value lies exactly on a class limit and the published class is the one across "
    "the limit (GB 3838 puts the limit value in the better class; the publication probably "
    "classified an unrounded value)",
    "one_class": "published class differs by one class",
    UNEXPLAINED: "no rule found that explains the difference",
}


@dataclass(frozen=True, slots=True)
class Comparison:
    """Outcome of a comparison. ``mismatches`` counts mismatched rows per cause; ``examples`` holds
    up to a few row positions per cause (positions in the arrays given)."""

    compared: int
    matched: int
    mismatches: dict[str, int]
    examples: dict[str, list[int]] = field(default_factory=dict)

    @property
    def match_rate(self) -> float:
        return self.matched / self.compared if self.compared else float("nan")

    def to_json(self) -> dict[str, Any]:
        return {
            "compared": self.compared,
            "matched": self.matched,
            "match_rate": self.match_rate,
            "mismatches": self.mismatches,
            "causes": {c: CAUSES.get(c, c) for c in self.mismatches},
            "examples": self.examples,
        }


def compare(
    computed: Any,
    published: Any,
    *,
    causes: npt.ArrayLike | None = None,
    mask: npt.ArrayLike | None = None,
    max_examples: int = 5,
) -> Comparison:
    """Compare two numeric columns row by row (NaN = no value). Rows where ``mask`` is False are not
    compared; rows where both are NaN are not compared either. ``causes`` labels each row's
    mismatch (only mismatched rows are read); unlabelled mismatches count as "unexplained"."""
    c = as_float_array(computed)
    p = as_float_array(published)
    if c.shape != p.shape:
        raise InputError(f"computed and published differ in length: {c.size} vs {p.size}")
    use = ~(np.isnan(c) & np.isnan(p))
    if mask is not None:
        use &= np.asarray(mask, dtype=bool)
    equal = (c == p) & use
    mismatched = use & ~equal
    labels = (
        np.asarray(causes, dtype=object)
        if causes is not None
        else np.full(c.shape, UNEXPLAINED, dtype=object)
    )
    counts: dict[str, int] = {}
    examples: dict[str, list[int]] = {}
    for position in np.flatnonzero(mismatched):
        label = str(labels[position]) if labels[position] else UNEXPLAINED
        counts[label] = counts.get(label, 0) + 1
        bucket = examples.setdefault(label, [])
        if len(bucket) < max_examples:
            bucket.append(int(position))
    return Comparison(int(use.sum()), int(equal.sum()), counts, examples)


def aqi_mismatch_causes(
    computed: Any, published: Any, *, above_scale: npt.ArrayLike
) -> npt.NDArray[np.object_]:
    """Label AQI differences: a value above the table (published 500 or not), nothing computed,
    nothing published, off by one; the rest "unexplained"."""
    c = as_float_array(computed)
    p = as_float_array(published)
    above = np.asarray(above_scale, dtype=bool)
    labels = np.full(c.shape, UNEXPLAINED, dtype=object)
    labels[np.abs(c - p) == 1] = "off_by_one"
    labels[np.isnan(p) & ~np.isnan(c)] = "not_published"
    labels[np.isnan(c) & ~np.isnan(p)] = "not_computed"
    labels[above] = "above_scale"
    labels[above & (p == 500)] = "above_scale_capped"
    return labels


HOURLY_KEYS: Final = ("so2", "no2", "co", "o3", "pm10", "pm2_5")


def verify_hourly_aqi(
    frame: pd.DataFrame,
    *,
    version: str = "2012",
    rule: str = "published",
    above_scale: AboveScale = "undefined",
    complete_only: bool = True,
    published_column: str = "aqi",
) -> Comparison:
    """Recompute hourly AQI for every row of ``frame`` (columns ``so2, no2, co, o3, pm10, pm2_5``
    1-h values and the published AQI) and compare. With ``complete_only`` only rows with all six
    concentrations and a published AQI are compared."""
    missing = [k for k in (*HOURLY_KEYS, published_column) if k not in frame.columns]
    if missing:
        raise InputError(f"hourly AQI frame lacks column(s) {', '.join(missing)}")
    result = aqi_arrays(
        {k: frame[k] for k in HOURLY_KEYS},
        version=version,
        period="hour",
        rule=rule,
        above_scale=above_scale,
    )
    published = as_float_array(frame[published_column])
    mask = ~np.isnan(published)
    if complete_only:
        mask &= frame.loc[:, list(HOURLY_KEYS)].notna().all(axis=1).to_numpy()
    causes = aqi_mismatch_causes(result.aqi, published, above_scale=result.above_scale)
    return compare(result.aqi, published, causes=causes, mask=mask)


WATER_ITEMS: Final = ("ph", "do", "codmn", "nh3_n", "tp")
WATER_BODIES: Final = ("river", "lake")
UNKNOWN_BODY: Final = "unknown"


def water_classes(
    columns: Mapping[str, Any], water_body: str, *, inclusive: bool = True
) -> npt.NDArray[np.float64]:
    """Single-factor class per row (NaN where no item has a value)."""
    klass, _ = gb3838.class_arrays(
        {k: as_float_array(v) for k, v in columns.items()}, water_body, inclusive=inclusive
    )
    return np.where(klass == 0, np.nan, klass).astype(np.float64)


@dataclass(frozen=True)
class _BodyRule:
    """One body's classes of every row: as evaluated, without pH, with limits exclusive, and
    whether a value sits on a limit."""

    klass: npt.NDArray[np.float64]
    without_ph: npt.NDArray[np.float64]
    exclusive: npt.NDArray[np.float64]
    on_limit: npt.NDArray[np.bool_]


def _body_rule(frame: pd.DataFrame, items: tuple[str, ...], body: str) -> _BodyRule:
    columns = {k: frame[k] for k in items}
    on_limit = np.zeros(len(frame), dtype=bool)
    for k in items:
        on_limit |= gb3838.on_limit_array(k, as_float_array(frame[k]), body)
    return _BodyRule(
        klass=water_classes(columns, body),
        without_ph=water_classes({k: v for k, v in columns.items() if k != "ph"}, body),
        exclusive=water_classes(columns, body, inclusive=False),
        on_limit=on_limit,
    )


def _water_causes(
    published: npt.NDArray[np.float64],
    rules: Sequence[_BodyRule],
    ph: npt.NDArray[np.float64],
    other: _BodyRule | None = None,
) -> npt.NDArray[np.object_]:
    """Label class differences, weakest explanation first so that stronger ones overwrite."""
    labels = np.full(published.shape, UNEXPLAINED, dtype=object)
    ph_out = (ph < gb3838.PH_RANGE[0]) | (ph > gb3838.PH_RANGE[1])
    for rule in rules:
        labels[np.abs(rule.klass - published) == 1] = "one_class"
    for rule in rules:
        labels[ph_out & (rule.without_ph == published)] = "ph_not_counted"
    for rule in rules:
        labels[rule.on_limit & (rule.exclusive == published)] = "on_limit"
    if other is not None:
        labels[other.klass == published] = "other_tp_rule"
    return labels


def water_mismatch_causes(
    computed: Any,
    published: Any,
    *,
    other_rule: Any,
    without_ph: Any,
    ph: Any,
    exclusive: Any = None,
    on_limit: Any = None,
) -> npt.NDArray[np.object_]:
    """Label class differences of one rule: explained by the other TP row, by a value on a class
    limit (the class across the limit is the published one), by pH not being counted, or one class
    apart; the rest "unexplained"."""
    c = as_float_array(computed)
    n = c.shape
    rule = _BodyRule(
        c,
        as_float_array(without_ph),
        as_float_array(exclusive) if exclusive is not None else np.full(n, np.nan),
        np.asarray(on_limit, dtype=bool) if on_limit is not None else np.zeros(n, dtype=bool),
    )
    other = _BodyRule(as_float_array(other_rule), *(np.full(n, np.nan),) * 2, np.zeros(n, bool))
    return _water_causes(as_float_array(published), [rule], as_float_array(ph), other)


def _complete_rows(
    frame: pd.DataFrame, items: tuple[str, ...], published_column: str, complete_only: bool
) -> npt.NDArray[np.bool_]:
    missing = [k for k in (*items, published_column) if k not in frame.columns]
    if missing:
        raise InputError(f"water frame lacks column(s) {', '.join(missing)}")
    mask = ~np.isnan(as_float_array(frame[published_column]))
    if complete_only:
        mask &= frame.loc[:, list(items)].notna().all(axis=1).to_numpy()
    return np.asarray(mask)


def verify_water_class(
    frame: pd.DataFrame,
    *,
    water_body: str = "river",
    items: tuple[str, ...] = WATER_ITEMS,
    published_column: str = "class",
    complete_only: bool = True,
) -> Comparison:
    """Recompute the single-factor class of every row under one water-body rule (item columns as
    in :mod:`.gb3838`, published class 1–6 in ``published_column``) and compare. With
    ``complete_only`` only rows with every item and a published class are compared."""
    mask = _complete_rows(frame, items, published_column, complete_only)
    body = gb3838.water_body_of(water_body)
    other_body = "lake" if body == "river" else "river"
    rule, other = _body_rule(frame, items, body), _body_rule(frame, items, other_body)
    published = as_float_array(frame[published_column])
    ph = as_float_array(frame["ph"]) if "ph" in frame.columns else np.full(len(frame), np.nan)
    causes = _water_causes(published, [rule], ph, other)
    return compare(rule.klass, published, causes=causes, mask=mask)


@dataclass(frozen=True)
class WaterVerification:
    """Published classes compared per section type. Readings of known sections are compared under
    their own rule; readings whose section type is unknown are classified under both rules and
    count as matched when either reproduces the published class (``by_section_type`` keeps them
    apart, with how often each rule alone matches)."""

    overall: Comparison
    by_section_type: dict[str, dict[str, int]]

    @property
    def match_rate(self) -> float:
        return self.overall.match_rate

    def to_json(self) -> dict[str, Any]:
        return self.overall.to_json() | {"by_section_type": self.by_section_type}


def verify_water_sections(
    frame: pd.DataFrame,
    section_types: Sequence[str | None],
    *,
    items: tuple[str, ...] = WATER_ITEMS,
    published_column: str = "class",
    complete_only: bool = True,
    max_examples: int = 5,
) -> WaterVerification:
    """Compare published classes with ours, each row under its section type ("river", "lake" —
    reservoirs included — or None/"" for unknown)."""
    if len(section_types) != len(frame):
        raise InputError(f"{len(section_types)} section types for {len(frame)} readings")
    mask = _complete_rows(frame, items, published_column, complete_only)
    kinds = np.array(
        [gb3838.water_body_of(t) if t else UNKNOWN_BODY for t in section_types], dtype=object
    )
    rules = {body: _body_rule(frame, items, body) for body in WATER_BODIES}
    published = as_float_array(frame[published_column])
    ph = as_float_array(frame["ph"]) if "ph" in frame.columns else np.full(len(frame), np.nan)
    unknown = kinds == UNKNOWN_BODY
    computed = np.full(len(frame), np.nan)
    causes = np.full(len(frame), UNEXPLAINED, dtype=object)
    breakdown: dict[str, dict[str, int]] = {}
    for body in WATER_BODIES:
        rows = kinds == body
        other = rules["lake" if body == "river" else "river"]
        computed[rows] = rules[body].klass[rows]
        causes[rows] = _water_causes(published, [rules[body]], ph, other)[rows]
        used = rows & mask
        if used.any():
            matched = int((rules[body].klass[used] == published[used]).sum())
            breakdown[body] = {"compared": int(used.sum()), "matched": matched}
    if unknown.any():
        river, lake = rules["river"].klass, rules["lake"].klass
        either = (river == published) | (lake == published)
        # the published class where one rule reproduces it, else the river class
        computed[unknown] = np.where(either, published, river)[unknown]
        causes[unknown] = _water_causes(published, list(rules.values()), ph)[unknown]
        used = unknown & mask
        breakdown[UNKNOWN_BODY] = {
            "compared": int(used.sum()),
            "matched_river": int((river[used] == published[used]).sum()),
            "matched_lake": int((lake[used] == published[used]).sum()),
            "matched_either": int(either[used].sum()),
            "matched_both": int(((river == published) & (lake == published))[used].sum()),
        }
    overall = compare(computed, published, causes=causes, mask=mask, max_examples=max_examples)
    return WaterVerification(overall, breakdown)
