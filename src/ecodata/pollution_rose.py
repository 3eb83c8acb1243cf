"""Pollution rose: how often the wind blew from each direction while a pollutant stood at each AQI
level — a wind rose whose stacks are concentration classes instead of wind-speed classes.

* Directions: 16 sectors of 22.5°, the first centred on north (0°), clockwise.
* Calm (静风): mean wind speed ≤ 0.2 m/s (GB/T 35227-2017 地面气象观测规范 风向和风速) has no
  direction; calm hours are counted apart and not drawn.
* Concentration classes: the pollutant's IAQI breakpoints (HJ 633-2012 Table 1 / HJ 633-2026
  Table 3; 1-h columns for SO₂, NO₂, CO and O₃, 24-h columns for PM10 and PM2.5 as the real-time
  report uses them), so each class is drawn in its AQI category colour.

The pure function :func:`rose` works on arrays; :func:`station_rose` reads a station's hourly
series.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime
from typing import Final

import numpy as np
import numpy.typing as npt

from ecodata.errors import InputError, NotFoundError
from ecodata.model import Period
from ecodata.standards.hj633 import check_version
from ecodata.standards.hj633_tables import TABLES
from ecodata.store.observations import ObservationQuery
from ecodata.store.stores import Stores

SECTORS: Final = 16
CALM_MS: Final = 0.2
SECTOR_NAMES: Final = (
    "N", "NNE", "NE", "ENE", "E", "ESE", "SE", "SSE",
    "S", "SSW", "SW", "WSW", "W", "WNW", "NW", "NNW",
)  # fmt: skip
#: Which breakpoint column classes each pollutant (the basis of the real-time report).
_BASIS: Final = {
    "so2": "1h", "no2": "1h", "co": "1h", "o3": "1h", "pm10": "24h", "pm2_5": "24h",
}  # fmt: skip
#: IAQI steps 50, 100, 150, 200, 300 bound AQI levels 1–5 (HJ 633-2012 Table 2).
_LEVEL_STEPS: Final = 5


@dataclass(frozen=True, slots=True)
class Rose:
    """``frequency[k][j]``: percent of all hours (calm included) with the wind from sector ``j``
    and the concentration in class ``k`` (AQI level ``k + 1``); ``mean[j]`` the mean
    concentration per sector."""

    pollutant: str
    version: str
    class_bounds: list[float]  # upper bounds of classes 1–5; class 6 is above the last
    sectors: list[str]
    frequency: list[list[float]]
    mean: list[float | None]
    hours: int
    calm: float  # percent of hours that were calm


def class_bounds(pollutant: str, version: str) -> list[float]:
    """Upper concentration bounds of AQI levels 1–5 for a pollutant."""
    if pollutant not in _BASIS:
        raise InputError(f"pollution rose of {pollutant!r}: use one of {', '.join(sorted(_BASIS))}")
    table = TABLES[check_version(version)][(pollutant, _BASIS[pollutant])]
    return [float(b) for b in table[1 : _LEVEL_STEPS + 1]]


def rose(
    ws: npt.ArrayLike,
    wd: npt.ArrayLike,
    concentration: npt.ArrayLike,
    *,
    pollutant: str,
    version: str,
) -> Rose:
    """Pollution rose of aligned hourly arrays (NaN = missing; hours missing any of the three are
    left out, calm hours need only speed and concentration)."""
    speed = np.asarray(ws, dtype=np.float64)
    direction = np.asarray(wd, dtype=np.float64)
    conc = np.asarray(concentration, dtype=np.float64)
    if not speed.shape == direction.shape == conc.shape:
        raise InputError(
            f"wind speed, direction and concentration differ in length: "
            f"{speed.size}, {direction.size}, {conc.size}"
        )
    bounds = class_bounds(pollutant, version)
    calm = (speed <= CALM_MS) & ~np.isnan(conc)
    windy = (speed > CALM_MS) & ~np.isnan(direction) & ~np.isnan(conc)
    hours = int(calm.sum() + windy.sum())
    sector = np.floor(((direction[windy] % 360.0) + 360.0 / SECTORS / 2) / (360.0 / SECTORS))
    sector = sector.astype(np.int64) % SECTORS
    klass = np.searchsorted(np.asarray(bounds), conc[windy], side="left")
    counts = np.zeros((len(bounds) + 1, SECTORS), dtype=np.int64)
    np.add.at(counts, (klass, sector), 1)
    sums = np.bincount(sector, weights=conc[windy], minlength=SECTORS)
    per_sector = np.bincount(sector, minlength=SECTORS)
    scale = 100.0 / hours if hours else 0.0
    return Rose(
        pollutant=pollutant,
        version=version,
        class_bounds=bounds,
        sectors=list(SECTOR_NAMES),
        frequency=[[round(float(c) * scale, 3) for c in row] for row in counts],
        mean=[
            round(float(sums[j] / per_sector[j]), 2) if per_sector[j] else None
            for j in range(SECTORS)
        ],
        hours=hours,
        calm=round(float(calm.sum()) * scale, 3),
    )


def station_rose(
    stores: Stores,
    site: str,
    pollutant: str,
    *,
    start: datetime | None = None,
    end: datetime | None = None,
    version: str,
    datasets: Collection[int] | None = None,
) -> Rose:
    """Pollution rose of a station's hourly ``ws``, ``wd`` and ``pollutant`` in ``[start, end)``."""
    wanted = ("ws", "wd", pollutant)
    series = {
        s["parameter"]: s
        for s in stores.registry.find_series(
            sites=[site], parameters=list(wanted), period=Period.HOUR, datasets=datasets
        )
        if s["parameter"] in wanted
    }
    lacking = [p for p in wanted if p not in series]
    if lacking:
        raise NotFoundError(f"station {site} has no hourly {', '.join(lacking)} for a rose")
    table = stores.observations.read(
        ObservationQuery(series_ids=[s["id"] for s in series.values()], start=start, end=end)
    )
    param_of = {s["id"]: p for p, s in series.items()}
    times = table.column("time").cast("int64").to_numpy()
    values = table.column("value").to_numpy(zero_copy_only=False).astype(np.float64)
    params = np.array([param_of[i] for i in table.column("series_id").to_pylist()], dtype=object)
    axis, index = np.unique(times, return_inverse=True)
    grid = {p: np.full(axis.size, np.nan) for p in wanted}
    for p in wanted:
        mask = params == p
        grid[p][index[mask]] = values[mask]
    return rose(grid["ws"], grid["wd"], grid[pollutant], pollutant=pollutant, version=version)
