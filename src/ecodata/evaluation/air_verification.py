"""Verify our hourly AQI against the officially published one, from what the stores hold.

The national hourly importer keeps the published AQI as the published series ``aqi`` beside the
measured 1-h concentrations. For every station-hour with a published AQI the AQI is recomputed from
the stored concentrations (the real-time report of :mod:`ecodata.standards.hj633`, edition by the
hour's date, values above the IAQI-500 breakpoint left undefined) and compared. The headline figure
counts the station-hours with all six concentrations (complete inputs); station-hours with a
missing concentration are compared separately (AQI from the pollutants present).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, tzinfo
from typing import Any, Final

import numpy as np
import numpy.typing as npt

from ecodata.errors import NotFoundError
from ecodata.evaluation.air_network import POLLUTANTS, air_network
from ecodata.evaluation.aqi_compute import read_month
from ecodata.evaluation.periods import HOUR, check_span, month_spans
from ecodata.model import CHINA_TZ
from ecodata.standards.hj633_arrays import aqi_arrays
from ecodata.standards.verification import CAUSES, Comparison, aqi_mismatch_causes, compare
from ecodata.store.stores import Stores

PUBLISHED: Final = "aqi"
MAX_EXAMPLES: Final = 5
RULE: Final = "published"


@dataclass
class Tally:
    """A comparison summed over months, with examples described by site and time."""

    compared: int = 0
    matched: int = 0
    mismatches: dict[str, int] = field(default_factory=dict)
    examples: dict[str, list[dict[str, Any]]] = field(default_factory=dict)

    @property
    def match_rate(self) -> float:
        return self.matched / self.compared if self.compared else float("nan")

    def add(self, part: Comparison, describe: Callable[[int], dict[str, Any]]) -> None:
        self.compared += part.compared
        self.matched += part.matched
        for cause, n in part.mismatches.items():
            self.mismatches[cause] = self.mismatches.get(cause, 0) + n
        for cause, positions in part.examples.items():
            bucket = self.examples.setdefault(cause, [])
            for position in positions[: MAX_EXAMPLES - len(bucket)]:
                bucket.append(describe(position))

    def to_json(self) -> dict[str, Any]:
        rate = self.match_rate
        return {
            "compared": self.compared,
            "matched": self.matched,
            "match_rate": None if np.isnan(rate) else rate,
            "mismatches": dict(sorted(self.mismatches.items(), key=lambda kv: -kv[1])),
            "causes": {c: CAUSES.get(c, c) for c in self.mismatches},
            "examples": self.examples,
        }


@dataclass
class AqiVerification:
    start: datetime | None
    end: datetime | None
    complete: Tally = field(default_factory=Tally)
    incomplete: Tally = field(default_factory=Tally)
    editions: dict[str, int] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        out = {
            "check": "hourly AQI recomputed from stored concentrations vs the published AQI",
            "rule": "HJ 633 real-time report as published nationally (rule 'published'); values "
            "above the IAQI-500 breakpoint undefined",
            "start": self.start.isoformat() if self.start else None,
            "end": self.end.isoformat() if self.end else None,
            "editions": self.editions,
        }
        out |= self.complete.to_json()
        out["incomplete_inputs"] = self.incomplete.to_json()
        return out


def verify_aqi(
    stores: Stores,
    *,
    start: datetime | None = None,
    end: datetime | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> AqiVerification:
    """Compare the recomputed hourly AQI with the stored published AQI in [start, end)."""
    check_span(start, end)
    network = air_network(
        stores.registry, parameters=(*POLLUTANTS, PUBLISHED), store=stores.observations
    )
    published_column = network.columns.index(PUBLISHED)
    with_published = network.series.column == published_column
    if not with_published.any():
        raise NotFoundError(
            "no published AQI is stored to verify against; import the national hourly release "
            "(`ecodata import national-hourly china_sites_YYYYMMDD.csv`)"
        )
    report = AqiVerification(start, end)
    span = network.series.subset(with_published).span()
    if span is None:
        return report
    lo = start if start is not None else span[0]
    hi = end if end is not None else span[1] + HOUR
    spans = list(month_spans(lo, hi))
    if spans:
        report.start, report.end = spans[0][0], spans[-1][1]
    tz = stores.settings.tz
    for done, (m_start, m_end) in enumerate(spans, start=1):
        month = read_month(stores, network, m_start, m_end)
        grid = month.grid
        published = grid.column(PUBLISHED)
        site_i, slot_i = np.nonzero(~np.isnan(published))
        inputs = {p: grid.column(p)[site_i, slot_i] for p in POLLUTANTS}
        times = grid.slot_times()[slot_i]
        result = aqi_arrays(inputs, period="hour", times=times, rule=RULE)
        expected = published[site_i, slot_i]
        complete = np.all([~np.isnan(v) for v in inputs.values()], axis=0)
        causes = aqi_mismatch_causes(result.aqi, expected, above_scale=result.above_scale)
        versions, counts = np.unique(result.version[complete], return_counts=True)
        for version, n in zip(versions.tolist(), counts.tolist(), strict=True):
            report.editions[f"HJ 633-{version}"] = report.editions.get(f"HJ 633-{version}", 0) + n

        rows = _Rows([month.sites[i].code for i in site_i.tolist()], times, result.aqi,
                     expected, inputs, tz)  # fmt: skip
        for tally, mask in ((report.complete, complete), (report.incomplete, ~complete)):
            part = compare(
                result.aqi, expected, causes=causes, mask=mask, max_examples=MAX_EXAMPLES
            )
            tally.add(part, rows.describe)
        if progress is not None:
            progress(done, len(spans))
    return report


@dataclass(frozen=True)
class _Rows:
    """The compared station-hours of one month, to describe examples by site and time."""

    sites: list[str]
    times: npt.NDArray[np.datetime64]
    computed: npt.NDArray[np.float64]
    published: npt.NDArray[np.float64]
    inputs: dict[str, npt.NDArray[np.float64]]
    tz: tzinfo

    def describe(self, position: int) -> dict[str, Any]:
        return {
            "site": self.sites[position],
            "time": local_iso(self.times[position], self.tz),
            "computed": _number(self.computed[position]),
            "published": _number(self.published[position]),
            "concentrations": {k: _number(v[position]) for k, v in self.inputs.items()},
        }


def local_iso(value: np.datetime64, tz: tzinfo = CHINA_TZ) -> str:
    """A naive-UTC ``datetime64`` as an ISO time with the local offset."""
    micros = int(value.astype("datetime64[us]").astype(np.int64))
    moment = datetime(1970, 1, 1, tzinfo=UTC) + timedelta(microseconds=micros)
    return moment.astimezone(tz).isoformat()


def _number(value: float | npt.NDArray[Any]) -> float | None:
    number = float(value)
    return None if np.isnan(number) else number
