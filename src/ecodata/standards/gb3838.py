"""GB 3838-2002 地表水环境质量标准 — water-quality class per parameter and per sample.

* Table 1 basic items, classes Ⅰ–Ⅴ (limits from a reproduction; the official text was not at hand).
  A value equal to a class limit belongs to that class (≤, and ≥ for dissolved oxygen); pH 6–9 in
  every class. Worse than class Ⅴ is 劣Ⅴ (class 6 here).
* Total phosphorus has a river row and a lake/reservoir row: ``water_body`` picks it.
* Single-factor evaluation (《地表水环境质量评价办法（试行）》环办〔2011〕22号): the class of a
  sample is the worst class of its evaluated items; the evaluated items are the 21 of Table 1
  without water temperature, total nitrogen and faecal coliform (those are reported separately).
* Main pollutants: items worse than class Ⅲ, up to three, with the exceedance multiple over the
  class-Ⅲ limit (C − C_Ⅲ) / C_Ⅲ (none for pH and DO).
* CWQI (《城市地表水环境质量排名技术规定（试行）》): C / C_Ⅲ per item, C_Ⅲ / C for DO, a linear pH
  term, summed over the evaluated items (lake TP limit for lakes and reservoirs).
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Final, Literal

import numpy as np
import numpy.typing as npt

from ecodata.errors import InputError
from ecodata.standards.editions import Edition, edition_for

EDITIONS: Final = (
    Edition(
        "GB 3838",
        "2002",
        "地表水环境质量标准 GB 3838-2002",
        starts=None,
        in_force=date(2002, 6, 1),
        note="used for all data",
    ),
)

WaterBody = Literal["river", "lake"]

CLASS_LABELS: Final = ("Ⅰ", "Ⅱ", "Ⅲ", "Ⅳ", "Ⅴ", "劣Ⅴ")
INFERIOR_V: Final = 6


@dataclass(frozen=True, slots=True)
class Item:
    """One GB 3838 Table 1 item: limits of classes Ⅰ–Ⅴ and whether larger values are better."""

    key: str
    name_zh: str
    name_en: str
    unit: str
    limits: tuple[float, float, float, float, float]
    higher_is_better: bool = False
    evaluated: bool = True
    hj212: str = ""


def _item(
    key: str,
    zh: str,
    en: str,
    limits: tuple[float, float, float, float, float],
    hj212: str = "",
    unit: str = "mg/L",
    **kw: Any,
) -> Item:
    return Item(key, zh, en, unit, limits, hj212=hj212, **kw)


# GB 3838-2002 Table 1 (items 2–24; item 1, water temperature, has no class limits).
ITEMS: Final = {
    i.key: i
    for i in (
        # pH: 6–9 in every class (PH_RANGE); the limits column holds the upper bound only.
        _item("ph", "pH值", "pH", (9, 9, 9, 9, 9), "w01001", unit="dimensionless"),
        _item(
            "do", "溶解氧", "dissolved oxygen", (7.5, 6, 5, 3, 2), "w01009", higher_is_better=True
        ),
        _item("codmn", "高锰酸盐指数", "permanganate index", (2, 4, 6, 10, 15), "w01019"),
        _item("cod", "化学需氧量", "chemical oxygen demand", (15, 15, 20, 30, 40), "w01018"),
        _item("bod5", "五日生化需氧量", "BOD5", (3, 3, 4, 6, 10), "w01017"),
        _item("nh3_n", "氨氮", "ammonia nitrogen", (0.15, 0.5, 1.0, 1.5, 2.0), "w21003"),
        _item(
            "tp", "总磷（河流）", "total phosphorus (rivers)", (0.02, 0.1, 0.2, 0.3, 0.4), "w21011"
        ),
        _item(
            "tn",
            "总氮（湖、库）",
            "total nitrogen (lakes, reservoirs)",
            (0.2, 0.5, 1.0, 1.5, 2.0),
            "w21001",
            evaluated=False,
        ),
        _item("cu", "铜", "copper", (0.01, 1.0, 1.0, 1.0, 1.0), "w20122"),
        _item("zn", "锌", "zinc", (0.05, 1.0, 1.0, 2.0, 2.0), "w20123"),
        _item("fluoride", "氟化物（以F⁻计）", "fluoride", (1.0, 1.0, 1.0, 1.5, 1.5), "w21017"),
        _item("se", "硒", "selenium", (0.01, 0.01, 0.01, 0.02, 0.02)),
        _item("as", "砷", "arsenic", (0.05, 0.05, 0.05, 0.1, 0.1), "w20119"),
        _item("hg", "汞", "mercury", (0.00005, 0.00005, 0.0001, 0.001, 0.001), "w20111"),
        _item("cd", "镉", "cadmium", (0.001, 0.005, 0.005, 0.005, 0.01), "w20115"),
        _item("cr6", "铬（六价）", "chromium (VI)", (0.01, 0.05, 0.05, 0.05, 0.1), "w20117"),
        _item("pb", "铅", "lead", (0.01, 0.01, 0.05, 0.05, 0.1), "w20120"),
        _item("cyanide", "氰化物", "cyanide", (0.005, 0.05, 0.2, 0.2, 0.2), "w21016"),
        _item(
            "volatile_phenol",
            "挥发酚",
            "volatile phenol",
            (0.002, 0.002, 0.005, 0.01, 0.1),
            "w23002",
        ),
        _item("petroleum", "石油类", "petroleum", (0.05, 0.05, 0.05, 0.5, 1.0), "w22001"),
        _item("las", "阴离子表面活性剂", "anionic surfactant", (0.2, 0.2, 0.2, 0.3, 0.3)),
        _item("sulfide", "硫化物", "sulfide", (0.05, 0.1, 0.2, 0.5, 1.0), "w21019"),
        _item(
            "fecal_coliform",
            "粪大肠菌群",
            "faecal coliform",
            (200, 2000, 10000, 20000, 40000),
            unit="个/L",
            evaluated=False,
        ),
    )
}

#: GB 3838-2002 Table 1 item 8, lakes and reservoirs row.
TP_LAKE: Final = (0.01, 0.025, 0.05, 0.1, 0.2)
PH_RANGE: Final = (6.0, 9.0)

#: Qualitative grade and colour per class (环办〔2011〕22号; colours other than 劣Ⅴ red unverified).
GRADES: Final = {
    1: ("优", "excellent", "blue"),
    2: ("优", "excellent", "blue"),
    3: ("良好", "good", "green"),
    4: ("轻度污染", "lightly polluted", "yellow"),
    5: ("中度污染", "moderately polluted", "orange"),
    6: ("重度污染", "heavily polluted", "red"),
}


def version_for(at: datetime) -> str:
    return edition_for(EDITIONS, at).version


def water_body_of(text: str) -> WaterBody:
    """Normalise a water-body type: river (河流) or lake (湖泊/水库, reservoirs included)."""
    t = str(text).strip().lower()
    if t in ("river", "河流", "河", "stream"):
        return "river"
    if t in ("lake", "reservoir", "lake/reservoir", "湖泊", "水库", "湖库", "湖", "库"):
        return "lake"
    raise InputError(f"unknown water body {text!r}; use 'river' or 'lake' (lakes and reservoirs)")


def limits_of(key: str, water_body: WaterBody = "river") -> tuple[float, ...]:
    item = _get_item(key)
    if key == "tp" and water_body == "lake":
        return TP_LAKE
    return item.limits


def _get_item(key: str) -> Item:
    try:
        return ITEMS[key]
    except KeyError:
        raise InputError(f"GB 3838: unknown item {key!r}; items: {', '.join(ITEMS)}") from None


def class_label(klass: int) -> str:
    if not 1 <= klass <= 6:
        raise InputError(f"water class {klass} is not 1–6")
    return CLASS_LABELS[klass - 1]


_ROMAN: Final = {"Ⅰ": 1, "Ⅱ": 2, "Ⅲ": 3, "Ⅳ": 4, "Ⅴ": 5, "I": 1, "II": 2, "III": 3, "IV": 4, "V": 5}


def parse_class(text: str) -> int:
    """Read a published class: "Ⅲ", "III", "3", "Ⅲ类", "劣Ⅴ", "劣V", "劣5" → 1–6."""
    t = str(text).strip().upper().removesuffix("类").strip()
    inferior = t.startswith("劣")
    core = t.removeprefix("劣").strip()
    value = int(core) if core.isdigit() else _ROMAN.get(core)
    if value is None or not 1 <= value <= 5 or (inferior and value != 5):
        raise InputError(f"not a water-quality class: {text!r}")
    return INFERIOR_V if inferior else value


def _check_value(key: str, value: float | None) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise InputError(f"{key}: value {value!r} is not a number")
    v = float(value)
    if math.isnan(v):
        return None
    if v < 0 or v == float("inf"):
        raise InputError(f"{key}: value {v} is not a valid measurement")
    if key == "ph" and v > 14:
        raise InputError(f"ph: value {v} is outside 0–14")
    return v


def classify(key: str, value: float, water_body: WaterBody = "river") -> int:
    """Class 1–6 (6 = 劣Ⅴ) of one measured value."""
    v = _check_value(key, value)
    if v is None:
        raise InputError(f"{key}: no value to classify")
    if key == "ph":
        return 1 if PH_RANGE[0] <= v <= PH_RANGE[1] else INFERIOR_V
    limits = limits_of(key, water_body)
    better = ITEMS[key].higher_is_better
    for klass, lim in enumerate(limits, start=1):
        if (v >= lim) if better else (v <= lim):
            return klass
    return INFERIOR_V


def exceedance_multiple(key: str, value: float, water_body: WaterBody = "river") -> float | None:
    """(C − C_Ⅲ) / C_Ⅲ; ``None`` for pH and DO, for which no multiple is reported."""
    if key in ("ph", "do"):
        return None
    limit3 = limits_of(key, water_body)[2]
    return (value - limit3) / limit3


@dataclass(frozen=True, slots=True)
class ItemResult:
    key: str
    value: float
    klass: int
    multiple: float | None


@dataclass(frozen=True, slots=True)
class WaterEvaluation:
    """Single-factor evaluation of one sample."""

    water_body: WaterBody
    klass: int | None
    items: tuple[ItemResult, ...]
    reference_items: tuple[ItemResult, ...]
    missing: tuple[str, ...]

    @property
    def label(self) -> str | None:
        return class_label(self.klass) if self.klass else None

    @property
    def main_pollutants(self) -> tuple[ItemResult, ...]:
        """Items worse than class Ⅲ, worst first (class, then multiple), at most three."""
        worse = [i for i in self.items if i.klass > 3]
        worse.sort(
            key=lambda i: (i.klass, i.multiple if i.multiple is not None else -1.0), reverse=True
        )
        return tuple(worse[:3])

    @property
    def grade(self) -> tuple[str, str, str] | None:
        return GRADES[self.klass] if self.klass else None

    def to_json(self) -> dict[str, object]:
        return {
            "standard": "GB 3838-2002",
            "water_body": self.water_body,
            "class": self.klass,
            "label": self.label,
            "grade": list(self.grade) if self.grade else None,
            "items": {
                i.key: {
                    "value": i.value,
                    "class": i.klass,
                    "label": class_label(i.klass),
                    "multiple": i.multiple,
                }
                for i in self.items
            },
            "reference_items": {
                i.key: {"value": i.value, "class": i.klass} for i in self.reference_items
            },
            "main_pollutants": [
                {"key": i.key, "multiple": i.multiple} for i in self.main_pollutants
            ],
            "missing": list(self.missing),
        }


def evaluate(
    values: Mapping[str, float | None],
    *,
    water_body: WaterBody | str = "river",
    items: Iterable[str] | None = None,
) -> WaterEvaluation:
    """Single-factor class of one sample. ``items`` restricts the evaluated items (default: every
    evaluated item present in ``values``); missing items are listed, not counted."""
    body = water_body_of(water_body)
    unknown = sorted(k for k in values if k not in ITEMS and k != "water_temperature")
    if unknown:
        raise InputError(f"GB 3838: unknown item(s) {', '.join(unknown)}")
    wanted = list(items) if items is not None else [k for k, i in ITEMS.items() if i.evaluated]
    for key in wanted:
        _get_item(key)
    results: list[ItemResult] = []
    missing: list[str] = []
    for key in wanted:
        v = _check_value(key, values.get(key))
        if v is None:
            if items is not None or key in values:
                missing.append(key)
            continue
        klass = classify(key, v, body)
        results.append(ItemResult(key, v, klass, exceedance_multiple(key, v, body)))
    reference: list[ItemResult] = []
    for key in ("tn", "fecal_coliform"):
        v = _check_value(key, values.get(key))
        if v is not None and key not in wanted and (key != "tn" or body == "lake"):
            reference.append(
                ItemResult(key, v, classify(key, v, body), exceedance_multiple(key, v, body))
            )
    worst = max((r.klass for r in results), default=None)
    return WaterEvaluation(body, worst, tuple(results), tuple(reference), tuple(missing))


def classify_array(
    key: str,
    values: npt.ArrayLike,
    water_body: WaterBody | str = "river",
    *,
    inclusive: bool = True,
) -> npt.NDArray[np.int8]:
    """Vectorised :func:`classify`: class 1–6 per value, 0 where missing (NaN) or invalid (< 0).

    ``inclusive=False`` puts a value equal to a limit in the next worse class (and pH 6 or 9
    outside the range): the reading of a limit that is *not* the standard's (see
    :func:`on_limit_array`); it exists to explain published classes, not to evaluate."""
    body = water_body_of(water_body)
    v = np.asarray(values, dtype=np.float64)
    ok = np.isfinite(v) & (v >= 0)
    if key == "ph":
        low, high = PH_RANGE
        inside = (v >= low) & (v <= high) if inclusive else (v > low) & (v < high)
        return np.where(ok, np.where(inside, 1, INFERIOR_V), 0).astype(np.int8)
    limits = limits_of(key, body)
    better = _get_item(key).higher_is_better
    out = np.full(v.shape, INFERIOR_V, dtype=np.int8)
    for klass in range(5, 0, -1):
        limit = limits[klass - 1]
        if inclusive:
            meets = v >= limit if better else v <= limit
        else:
            meets = v > limit if better else v < limit
        out = np.where(meets, klass, out).astype(np.int8)
    return np.where(ok, out, 0).astype(np.int8)


def on_limit_array(
    key: str, values: npt.ArrayLike, water_body: WaterBody | str = "river"
) -> npt.NDArray[np.bool_]:
    """Values exactly equal (to 1e-9) to one of the item's class limits (pH: 6 or 9)."""
    body = water_body_of(water_body)
    v = np.asarray(values, dtype=np.float64)
    limits = PH_RANGE if key == "ph" else limits_of(key, body)
    hit = np.zeros(v.shape, dtype=bool)
    for limit in set(limits):
        hit |= np.abs(v - limit) <= 1e-9
    return hit


def class_arrays(
    columns: Mapping[str, npt.ArrayLike],
    water_body: WaterBody | str = "river",
    *,
    inclusive: bool = True,
) -> tuple[npt.NDArray[np.int8], npt.NDArray[np.int8]]:
    """Single-factor class per row over the given item columns: (class 0–6, number of items
    missing); class 0 when no item has a value."""
    per_item = [classify_array(k, v, water_body, inclusive=inclusive) for k, v in columns.items()]
    if not per_item:
        raise InputError("no item columns given")
    stack = np.vstack(per_item)
    return stack.max(axis=0).astype(np.int8), (stack == 0).sum(axis=0).astype(np.int8)


def cwqi_item(key: str, value: float, water_body: WaterBody | str = "river") -> float:
    """CWQI of one item: C / C_Ⅲ; DO C_Ⅲ / C; pH (7 − pH) / 1 below 7, (pH − 7) / 2 above."""
    body = water_body_of(water_body)
    v = _check_value(key, value)
    if v is None:
        raise InputError(f"{key}: no value for the CWQI")
    if key == "ph":
        return (7.0 - v) / (7.0 - PH_RANGE[0]) if v <= 7.0 else (v - 7.0) / (PH_RANGE[1] - 7.0)
    limit3 = limits_of(key, body)[2]
    if ITEMS[key].higher_is_better:
        if v == 0:
            raise InputError(f"{key}: CWQI undefined for a value of 0")
        return limit3 / v
    return v / limit3


def cwqi(values: Mapping[str, float | None], water_body: WaterBody | str = "river") -> float:
    """Section CWQI: the sum of the item CWQIs over the evaluated items present."""
    total = 0.0
    used = 0
    for key, item in ITEMS.items():
        v = values.get(key)
        if not item.evaluated or v is None or math.isnan(v):
            continue
        total += cwqi_item(key, float(v), water_body)
        used += 1
    if used == 0:
        raise InputError("CWQI: none of the evaluated items has a value")
    return total


def basin_grade(classes: Iterable[int]) -> tuple[str, float, float]:
    """Grade of a river or basin with ≥ 5 sections by the class-proportion method:
    (grade, share of Ⅰ–Ⅲ in %, share of 劣Ⅴ in %)."""
    cs = [int(c) for c in classes]
    if len(cs) < 5:
        raise InputError(
            "class-proportion grading needs ≥ 5 sections; average concentrations "
            "over the sections and use evaluate() instead"
        )
    good = 100.0 * sum(1 for c in cs if c <= 3) / len(cs)
    bad = 100.0 * sum(1 for c in cs if c == INFERIOR_V) / len(cs)
    if good >= 90:
        grade = "优"
    elif good >= 75:
        grade = "良好"
    elif bad >= 40:
        grade = "重度污染"
    elif bad >= 20:
        grade = "中度污染"
    else:
        grade = "轻度污染"
    return grade, good, bad
