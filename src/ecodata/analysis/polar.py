"""Pollution roses and polar plots: concentration by wind speed and direction (openair's
``pollutionRose`` and ``polarPlot``).

Wind direction is where the wind comes *from*, degrees clockwise from north. A polar plot places
each observation at ``x = ws · sin(wd)``, ``y = ws · cos(wd)`` (north up, as openair), averages
the concentration in wind-speed × 10° bins, smooths the bin means with a thin-plate spline
(openair fits a GAM of the same surface; Carslaw et al. 2006) and masks the grid beyond the
highest wind speed and away from bins with data.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd
from scipy.interpolate import RBFInterpolator
from scipy.spatial import cKDTree

from ecodata.analysis.frames import InsufficientDataError
from ecodata.errors import InputError

FloatArray = npt.NDArray[np.float64]


def _valid(ws: pd.Series, wd: pd.Series, values: pd.Series | None) -> pd.DataFrame:
    frame = pd.DataFrame({"ws": ws.astype(float), "wd": wd.astype(float)})
    if values is not None:
        frame["value"] = values.astype(float)
    bad = (frame["ws"] < 0) | (frame["wd"] < 0) | (frame["wd"] > 360)
    if bad.any():
        where = frame.index[np.flatnonzero(bad.to_numpy())[0]]
        raise InputError(
            f"record at {where}: wind speed must be ≥ 0 and direction within "
            f"0..360, got ws={frame.loc[where, 'ws']}, wd={frame.loc[where, 'wd']}"
        )
    return frame.dropna()


@dataclass(frozen=True)
class PollutionRose:
    """``table``: percent of all valid records by direction sector (rows, sector centres in
    degrees) and value interval (columns, labelled ``lo–hi``); ``calm`` is the percent of
    records with wind speed below ``calm_below``; ``mean`` the mean value per sector."""

    parameter: str
    angle: float
    breaks: list[float]
    calm: float
    n: int
    table: pd.DataFrame = field(repr=False)
    mean: pd.Series = field(repr=False)

    def to_json(self) -> dict[str, Any]:
        return {
            "parameter": self.parameter,
            "angle": self.angle,
            "breaks": self.breaks,
            "calm_percent": self.calm,
            "n": self.n,
            "sectors": [float(s) for s in self.table.index],
            "intervals": [str(c) for c in self.table.columns],
            "percent": self.table.to_numpy().round(4).tolist(),
            "mean": [None if np.isnan(v) else float(v) for v in self.mean.to_numpy()],
        }


def sector_of(wd: FloatArray, angle: float) -> FloatArray:
    """Centre of the direction sector of each direction: sector *c* covers
    [c − angle/2, c + angle/2), centres 0, angle, 2·angle …"""
    sectors = np.floor((np.mod(wd, 360.0) + angle / 2) / angle) * angle
    return np.asarray(np.mod(sectors, 360.0), dtype=float)


def pollution_rose(
    ws: pd.Series,
    wd: pd.Series,
    values: pd.Series,
    *,
    parameter: str = "value",
    angle: float = 30.0,
    breaks: Sequence[float] | None = None,
    calm_below: float = 0.0,
) -> PollutionRose:
    """Frequency of value intervals by wind-direction sector (default 30° sectors and four
    intervals at the quartiles, as openair's default ``breaks = 4``)."""
    if not 0 < angle <= 90 or 360 % angle:
        raise InputError(f"angle must divide 360 and be within (0, 90], got {angle}")
    frame = _valid(ws, wd, values)
    if frame.empty:
        raise InsufficientDataError(f"{parameter}: no records with wind speed, direction and value")
    calm = frame["ws"] < calm_below
    windy = frame[~calm]
    edges = list(breaks) if breaks is not None else _quartile_breaks(windy["value"].to_numpy())
    if sorted(edges) != edges or len(edges) < 2:
        raise InputError(f"breaks must be at least two increasing values, got {edges}")
    bins = pd.cut(windy["value"], edges, include_lowest=True, right=False)
    labels = [f"{a:g}–{b:g}" for a, b in itertools.pairwise(edges)]
    sector = sector_of(windy["wd"].to_numpy(), angle)
    counts = pd.crosstab(sector, bins.cat.rename_categories(labels), dropna=False)
    centres = np.arange(0.0, 360.0, angle)
    table = counts.reindex(index=centres, columns=labels, fill_value=0).astype(float)
    table.index.name = "sector"
    table.columns.name = "interval"
    table = 100.0 * table / len(frame)
    mean = windy.groupby(sector)["value"].mean().reindex(centres)
    return PollutionRose(
        parameter=parameter,
        angle=angle,
        breaks=[float(e) for e in edges],
        calm=float(100.0 * calm.mean()),
        n=len(frame),
        table=table,
        mean=mean,
    )


def _quartile_breaks(values: FloatArray) -> list[float]:
    if len(values) == 0:
        raise InsufficientDataError("no values to set breaks")
    q = np.quantile(values, [0.25, 0.5, 0.75])
    top = float(values.max())
    edges = [float(min(0.0, values.min())), *[float(v) for v in np.round(q, 1)], top + 1e-9]
    return sorted(set(edges))


@dataclass(frozen=True)
class PolarSurface:
    """Smoothed concentration surface on a square grid: ``x`` and ``y`` (wind-speed
    components, m/s, east and north) and ``z`` (``len(y) × len(x)``, NaN outside the data);
    ``bins`` has the raw bin means (``ws, wd, value, n``)."""

    parameter: str
    statistic: str
    ws_max: float
    x: FloatArray = field(repr=False)
    y: FloatArray = field(repr=False)
    z: FloatArray = field(repr=False)
    bins: pd.DataFrame = field(repr=False)

    def to_json(self) -> dict[str, Any]:
        return {
            "parameter": self.parameter,
            "statistic": self.statistic,
            "ws_max": self.ws_max,
            "x": self.x.round(4).tolist(),
            "y": self.y.round(4).tolist(),
            "z": [[None if np.isnan(v) else round(float(v), 4) for v in row] for row in self.z],
        }


def polar_surface(
    ws: pd.Series,
    wd: pd.Series,
    values: pd.Series,
    *,
    parameter: str = "value",
    statistic: str = "mean",
    ws_bins: int = 30,
    wd_bin: float = 10.0,
    min_bin: int = 1,
    resolution: int = 101,
    smoothing: float = 1.0,
    ws_max: float | None = None,
) -> PolarSurface:
    """Polar plot surface of ``values`` by wind speed and direction.

    Bin statistics (``mean``, ``median`` or ``max``) in ``ws_bins`` speed bins up to ``ws_max``
    (default: the 99.9th percentile) and ``wd_bin`` degree sectors; bins with fewer than
    ``min_bin`` records are dropped. The bin values are smoothed with a thin-plate spline
    (``smoothing`` scales its penalty; 0 interpolates) and evaluated on a ``resolution``²
    grid; grid points more than one speed-bin width and 10° from any used bin are masked.
    """
    if statistic not in ("mean", "median", "max"):
        raise InputError(f"statistic must be mean, median or max, got {statistic!r}")
    frame = _valid(ws, wd, values)
    if len(frame) < 10:
        raise InsufficientDataError(
            f"{parameter}: a polar plot needs at least 10 records, got {len(frame)}"
        )
    top = float(ws_max) if ws_max is not None else float(np.quantile(frame["ws"], 0.999))
    frame = frame[frame["ws"] <= top]
    width = top / ws_bins
    frame = frame.assign(
        ws_bin=np.minimum((frame["ws"] / width).astype(int), ws_bins - 1),
        wd_bin=sector_of(frame["wd"].to_numpy(), wd_bin),
    )
    grouped = frame.groupby(["ws_bin", "wd_bin"])["value"]
    bins = grouped.agg(statistic).rename("value").to_frame()
    bins["n"] = grouped.size()
    bins = bins[bins["n"] >= min_bin].reset_index()
    bins["ws"] = (bins["ws_bin"] + 0.5) * width
    bins["wd"] = bins["wd_bin"]
    rad = np.deg2rad(bins["wd"].to_numpy())
    points = np.column_stack([bins["ws"] * np.sin(rad), bins["ws"] * np.cos(rad)])
    z_bins = bins["value"].to_numpy(dtype=float)
    scale = float(np.std(z_bins)) or 1.0
    centre = float(np.mean(z_bins))
    spline = RBFInterpolator(
        points / top,
        (z_bins - centre) / scale,
        kernel="thin_plate_spline",
        smoothing=smoothing * len(z_bins) / 100,
    )
    axis = np.linspace(-top, top, resolution)
    gx, gy = np.meshgrid(axis, axis)
    grid = np.column_stack([gx.ravel(), gy.ravel()])
    # the spline may overshoot between bins; keep it within the range of the bin values
    z = np.clip(spline(grid / top) * scale + centre, z_bins.min(), z_bins.max())
    radius = np.hypot(grid[:, 0], grid[:, 1])
    reach = max(width, 2 * np.pi * top * wd_bin / 360.0)
    distance, _ = cKDTree(points).query(grid)
    z[(radius > top) | (distance > reach)] = np.nan
    return PolarSurface(
        parameter=parameter,
        statistic=statistic,
        ws_max=top,
        x=axis,
        y=axis,
        z=z.reshape(resolution, resolution),
        bins=bins[["ws", "wd", "value", "n"]],
    )
