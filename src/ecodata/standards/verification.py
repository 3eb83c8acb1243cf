"""Checking our computations against officially published values.

Pure functions: given computed and published columns, count what was compared and matched, and group
the mismatches by cause. :func:`verify_hourly_aqi` and :func:`verify_water_class` apply them to the
national hourly AQI publication and to published surface-water classes; reading the files is the
caller's business.
"""

from __future__ import annotations

from collections.abc import Mapping
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


def water_mismatch_causes(
    computed: Any,
    published: Any,
    *,
    other_rule: Any,
    without_ph: Any,
    ph: Any,
) -> npt.NDArray[np.object_]:
    """Label class differences: explained by the other TP row, by pH not being counted, or one
    class apart; the rest "unexplained"."""
    c, p = as_float_array(computed), as_float_array(published)
    other, no_ph = as_float_array(other_rule), as_float_array(without_ph)
    ph_values = as_float_array(ph)
    labels = np.full(c.shape, UNEXPLAINED, dtype=object)
    labels[np.abs(c - p) == 1] = "one_class"
    ph_out = (ph_values < gb3838.PH_RANGE[0]) | (ph_values > gb3838.PH_RANGE[1])
    labels[ph_out & (no_ph == p)] = "ph_not_counted"
    labels[other == p] = "other_tp_rule"
    return labels


def verify_water_class(
    frame: pd.DataFrame,
    *,
    water_body: str = "river",
    items: tuple[str, ...] = WATER_ITEMS,
    published_column: str = "class",
    complete_only: bool = True,
) -> Comparison:
    """Recompute the single-factor class of every row (item columns as in :mod:`.gb3838`, published
    class 1–6 in ``published_column``) and compare. With ``complete_only`` only rows with every item
    and a published class are compared."""
    missing = [k for k in (*items, published_column) if k not in frame.columns]
    if missing:
        raise InputError(f"water frame lacks column(s) {', '.join(missing)}")
    body = gb3838.water_body_of(water_body)
    other_body = "lake" if body == "river" else "river"

    def classes(subset: tuple[str, ...], wb: str) -> npt.NDArray[np.float64]:
        cols: Mapping[str, Any] = {k: as_float_array(frame[k]) for k in subset}
        klass, _ = gb3838.class_arrays(cols, wb)
        return np.where(klass == 0, np.nan, klass).astype(np.float64)

    computed = classes(items, body)
    published = as_float_array(frame[published_column])
    mask = ~np.isnan(published)
    if complete_only:
        mask &= frame.loc[:, list(items)].notna().all(axis=1).to_numpy()
    causes = water_mismatch_causes(
        computed,
        published,
        other_rule=classes(items, other_body),
        without_ph=classes(tuple(k for k in items if k != "ph"), body),
        ph=frame["ph"] if "ph" in frame.columns else np.full(len(frame), np.nan),
    )
    return compare(computed, published, causes=causes, mask=mask)
