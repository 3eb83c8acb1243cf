"""Surface-water quality of stored readings: the GB 3838-2002 class of every reading, and the
verification of published classes.

A reading is one site and time with the automatic-station items (pH, DO, CODMn, NH₃-N, TP; TN
as a reference item for lakes). The class rule depends on the section type, a site attribute in
the registry (``attributes.section_type``: river, or lake/reservoir — TP has a different row);
where it is unknown (the anonymous sample sites) the reading is classified under both rules and
reported with both.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, tzinfo
from typing import Any, Final

import numpy as np
import numpy.typing as npt
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from ecodata.errors import InputError, NotFoundError
from ecodata.evaluation.air_verification import local_iso
from ecodata.evaluation.grid import SeriesMap, read_grid, series_map, utc64, with_stored_span
from ecodata.evaluation.periods import DAY, HOUR, check_span, month_spans
from ecodata.model import Period
from ecodata.standards import gb3838
from ecodata.standards.verification import (
    CAUSES,
    UNKNOWN_BODY,
    WATER_BODIES,
    WATER_ITEMS,
    verify_water_sections,
)
from ecodata.store.stores import Stores

PUBLISHED: Final = "water_class"
REFERENCE_ITEMS: Final = ("tn",)
COLUMNS: Final = (*WATER_ITEMS, *REFERENCE_ITEMS, PUBLISHED)
MAX_EXAMPLES: Final = 5


@dataclass(frozen=True)
class WaterSites:
    codes: list[str]
    section_types: list[str | None]  # "river", "lake" or None (unknown)
    series: SeriesMap


def section_type_of(site: dict[str, Any]) -> str | None:
    """The GB 3838 water body of a site from ``attributes.section_type`` (None when unknown)."""
    attributes = site.get("attributes") or {}
    value = attributes.get("section_type") if isinstance(attributes, dict) else None
    if value in (None, ""):
        return None
    try:
        return gb3838.water_body_of(str(value))
    except InputError:
        raise InputError(
            f"site {site['code']}: attributes.section_type {value!r} is neither a river nor a "
            "lake/reservoir; correct it in the registry"
        ) from None


def water_sites(stores: Stores, period: Period, codes: Sequence[str] | None = None) -> WaterSites:
    """Sites with stored water items or published classes of ``period``."""
    frame = stores.registry.series_frame()
    chosen = frame.filter(
        pc.and_(
            pc.is_in(frame.column("parameter"), pa.array(list(COLUMNS), pa.string())),
            pc.equal(frame.column("period"), int(period)),
        )
    )
    present = set(chosen.column("site").to_pylist())
    if codes is not None:
        unknown = sorted(set(codes) - present)
        if unknown:
            raise NotFoundError(f"no water readings for site(s) {', '.join(unknown)}")
        present = set(codes)
    rows = stores.registry.sites(codes=sorted(present)) if present else []
    site_codes = [r["code"] for r in rows]
    series = series_map(chosen, site_codes, COLUMNS, period)
    return WaterSites(
        site_codes,
        [section_type_of(r) for r in rows],
        with_stored_span(stores.observations, series),
    )


def water_readings(
    stores: Stores,
    *,
    sites: Sequence[str] | None = None,
    start: datetime | None = None,
    end: datetime | None = None,
    period: Period = Period.DAY,
) -> pd.DataFrame:
    """One row per site and time with any item or class: ``site, section_type, time`` (naive
    UTC), the item columns, ``published`` (class 1–6) and ``flagged`` (a value is not valid data:
    QC failed or a data flag other than N, e.g. M for maintenance)."""
    check_span(start, end)
    found = water_sites(stores, period, sites)
    step = DAY if period == Period.DAY else HOUR
    columns = [*COLUMNS]
    empty = pd.DataFrame(
        {"site": [], "section_type": [], "time": pd.Series([], dtype="datetime64[us]")}
        | {c: [] for c in (*WATER_ITEMS, *REFERENCE_ITEMS)}
        | {"published": [], "flagged": pd.Series([], dtype=bool)}
    )
    span = found.series.span()
    if span is None:
        return empty
    parts = []
    lo = start if start is not None else span[0]
    hi = end if end is not None else span[1] + step
    for m_start, m_end in month_spans(lo, hi):
        grid = read_grid(
            stores.observations, found.series.overlapping(m_start, m_end), columns=columns,
            n_rows=len(found.codes), start=m_start, end=m_end, step=step, valid_only=False,
        )  # fmt: skip
        present = ~np.isnan(grid.values)
        site_i, slot_i = np.nonzero(present.any(axis=0))
        if site_i.size == 0:
            continue
        data: dict[str, Any] = {
            "site": np.asarray(found.codes, dtype=object)[site_i],
            "section_type": np.asarray(found.section_types, dtype=object)[site_i],
            "time": grid.slot_times()[slot_i],
        }
        for i, name in enumerate(columns):
            data["published" if name == PUBLISHED else name] = grid.values[i][site_i, slot_i]
        valid = grid.valid if grid.valid is not None else present
        invalid: npt.NDArray[np.bool_] = np.any(present & ~valid, axis=0)
        data["flagged"] = invalid[site_i, slot_i]
        parts.append(pd.DataFrame(data))
    if not parts:
        return empty
    frame = pd.concat(parts, ignore_index=True)
    if start is not None or end is not None:
        times = frame["time"].to_numpy()
        keep = np.ones(len(frame), dtype=bool)
        if start is not None:
            keep &= times >= utc64(start)
        if end is not None:
            keep &= times < utc64(end)
        frame = frame[keep]
    return frame.sort_values(["site", "time"], kind="stable").reset_index(drop=True)


# -- the class of readings ------------------------------------------------------------------------


def evaluate_reading(row: dict[str, Any], section_type: str | None) -> dict[str, Any]:
    """Classes of one reading: under its section type, or under both when it is unknown."""
    values = {k: row[k] for k in (*WATER_ITEMS, *REFERENCE_ITEMS) if _present(row.get(k))}
    evaluated = [k for k in WATER_ITEMS if k in values]
    bodies = [section_type] if section_type else list(WATER_BODIES)
    classes: dict[str, Any] = {}
    for body in bodies:
        if not evaluated:
            classes[body] = None
            continue
        result = gb3838.evaluate(values, water_body=body, items=evaluated)
        classes[body] = {
            "class": result.klass,
            "label": result.label,
            "grade": result.grade[0] if result.grade else None,
            "main_pollutants": [
                {"item": i.key, "class": i.klass, "multiple": _round(i.multiple)}
                for i in result.main_pollutants
            ],
            "items": {i.key: i.klass for i in result.items},
            "reference_items": {i.key: i.klass for i in result.reference_items},
        }
    published = row.get("published")
    published_class = int(published) if published is not None and _present(published) else None
    own = classes.get(section_type) if section_type else None
    candidates = [c["class"] for c in classes.values() if c]
    matches = None
    if published_class is not None and len(evaluated) == len(WATER_ITEMS) and candidates:
        matches = published_class in candidates
    return {
        "section_type": section_type or UNKNOWN_BODY,
        "class": own["class"] if own else None,
        "label": own["label"] if own else None,
        "classes": classes,
        "published_class": published_class,
        "published_label": gb3838.class_label(published_class) if published_class else None,
        "matches_published": matches,
        "missing_items": [k for k in WATER_ITEMS if k not in values],
    }


@dataclass(frozen=True)
class WaterPage:
    rows: list[dict[str, Any]]
    next_cursor: str | None


def water_quality_page(
    stores: Stores,
    *,
    sites: Sequence[str] | None = None,
    start: datetime | None = None,
    end: datetime | None = None,
    limit: int = 100,
    cursor: str | None = None,
) -> WaterPage:
    """Readings ordered by site and time with their classes, keyset-paged."""
    frame = water_readings(stores, sites=sites, start=start, end=end)
    if cursor:
        after_site, after_time = _decode(cursor)
    if frame.empty:
        return WaterPage([], None)
    if cursor:
        later = (frame["site"] > after_site) | (
            (frame["site"] == after_site) & (frame["time"] > np.datetime64(after_time, "us"))
        )
        frame = frame[later.to_numpy()]
    page = frame.iloc[: limit + 1]
    tz = stores.settings.tz
    rows = [_reading_json(_record(r), tz) for r in page.iloc[:limit].to_dict("records")]
    next_cursor = None
    if len(page) > limit:
        last = page.iloc[limit - 1]
        next_cursor = _encode(str(last["site"]), pd.Timestamp(last["time"]).isoformat())
    return WaterPage(rows, next_cursor)


def _reading_json(row: dict[str, Any], tz: tzinfo) -> dict[str, Any]:
    out: dict[str, Any] = {
        "site": row["site"],
        "time": local_iso(np.datetime64(row["time"], "us"), tz),
        "values": {
            k: float(row[k]) if _present(row[k]) else None for k in (*WATER_ITEMS, *REFERENCE_ITEMS)
        },
        "flagged": bool(row["flagged"]),
    }
    return out | evaluate_reading(row, _section(row["section_type"]))


def _section(value: Any) -> str | None:
    """A section type from a frame cell (pandas turns None into NaN in mixed columns)."""
    return value if isinstance(value, str) and value else None


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 4)


def _record(row: dict[Any, Any]) -> dict[str, Any]:
    return {str(k): v for k, v in row.items()}


def _present(value: Any) -> bool:
    return value is not None and not (isinstance(value, float) and np.isnan(value))


def _encode(site: str, time: str) -> str:
    return base64.urlsafe_b64encode(json.dumps([site, time]).encode()).decode().rstrip("=")


def _decode(cursor: str) -> tuple[str, str]:
    try:
        site, time = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        if not isinstance(site, str) or not isinstance(time, str):
            raise TypeError("a water-quality cursor holds a site code and a time")
        np.datetime64(time, "us")
        return str(site), str(time)
    except (ValueError, TypeError) as exc:
        raise InputError(f"cursor {cursor!r} is not one this server issued: {exc}") from None


# -- verification ---------------------------------------------------------------------------------


def verify_water(
    stores: Stores, *, start: datetime | None = None, end: datetime | None = None
) -> dict[str, Any]:
    """Recompute the class of every stored reading with a published class and compare: readings
    with all five items count; those of sections of unknown type are judged under both rules and
    reported apart. Also given: the same figures over valid data only (no flagged value)."""
    frame = water_readings(stores, start=start, end=end)
    if not bool((~frame["published"].isna()).any()):
        raise NotFoundError(
            "no published water-quality classes are stored to verify against; import readings "
            "with their class first (`ecodata import water-excel …`)"
        )
    types = [_section(t) for t in frame["section_type"].tolist()]
    result = verify_water_sections(
        frame, types, published_column="published", max_examples=MAX_EXAMPLES
    )
    valid = ~frame["flagged"].to_numpy()
    valid_result = verify_water_sections(
        frame[valid].reset_index(drop=True),
        [t for t, ok in zip(types, valid.tolist(), strict=True) if ok],
        published_column="published",
    )
    tz = stores.settings.tz
    examples = {
        cause: [_example(_record(frame.iloc[p].to_dict()), tz) for p in positions]
        for cause, positions in result.overall.examples.items()
    }
    rate = result.match_rate
    return {
        "check": "GB 3838-2002 single-factor class recomputed from pH, DO, CODMn, NH3-N, TP vs "
        "the published class",
        "compared": result.overall.compared,
        "matched": result.overall.matched,
        "match_rate": None if np.isnan(rate) else rate,
        "by_section_type": result.by_section_type,
        "mismatches": dict(sorted(result.overall.mismatches.items(), key=lambda kv: -kv[1])),
        "causes": {c: CAUSES.get(c, c) for c in result.overall.mismatches},
        "examples": examples,
        "valid_data_only": {
            "compared": valid_result.overall.compared,
            "matched": valid_result.overall.matched,
            "match_rate": _rate(valid_result.match_rate),
            "by_section_type": valid_result.by_section_type,
        },
    }


def _example(row: dict[str, Any], tz: tzinfo) -> dict[str, Any]:
    evaluated = evaluate_reading(row, _section(row["section_type"]))
    return {
        "site": row["site"],
        "time": local_iso(np.datetime64(row["time"], "us"), tz),
        "section_type": evaluated["section_type"],
        "published": evaluated["published_class"],
        "computed": {b: (c["class"] if c else None) for b, c in evaluated["classes"].items()},
        "values": {k: float(row[k]) if _present(row[k]) else None for k in WATER_ITEMS},
    }


def _rate(value: float) -> float | None:
    return None if np.isnan(value) else value
