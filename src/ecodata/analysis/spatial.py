"""Interpolation of station values to a grid: inverse-distance weighting and ordinary kriging,
with leave-one-out cross-validation.

- IDW (Shepard 1968): weights ``1 / d^power`` (power 2 by default); a grid point on a station
  takes the station's value.
- Ordinary kriging (Matheron 1963; Cressie 1993 §3.2) through PyKrige for single fields, with the
  variogram fitted by PyKrige's least squares on its binned semivariances.
- Many fields (a year of daily maps) share one variogram *shape* fitted to the pooled,
  per-field standardised semivariances; ordinary-kriging weights do not change when the variogram
  is scaled, so the weights are solved once per set of reporting stations and every field is a
  matrix product. The weights are those of PyKrige's solver (same variogram functions, γ(0) = 0
  on stations, exact at stations), which the tests check.

Coordinates are projected to kilometres (:class:`.regions.LocalProjection`); ranges are in km.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import numpy.typing as npt
import pandas as pd
from pykrige import variogram_models
from pykrige.ok import OrdinaryKriging
from scipy.optimize import least_squares

from ecodata.analysis.frames import InsufficientDataError
from ecodata.analysis.regions import GridSpec, LocalProjection, Region, grid_geojson, grid_over
from ecodata.errors import InputError

FloatArray = npt.NDArray[np.float64]
Method = Literal["idw", "kriging"]
Model = Literal["spherical", "exponential", "gaussian", "linear"]
Progress = Callable[[int, int], None]

_MODELS: dict[str, Callable[[Any, FloatArray], FloatArray]] = {
    "spherical": variogram_models.spherical_variogram_model,
    "exponential": variogram_models.exponential_variogram_model,
    "gaussian": variogram_models.gaussian_variogram_model,
}
MIN_STATIONS = 3


@dataclass(frozen=True)
class Variogram:
    """A variogram model in PyKrige's parametrisation (partial sill, range in km, nugget)."""

    model: str
    psill: float
    range_km: float
    nugget: float

    def parameters(self) -> list[float]:
        return [self.psill, self.range_km, self.nugget]

    def __call__(self, distance: FloatArray) -> FloatArray:
        return np.asarray(_MODELS[self.model](self.parameters(), distance), dtype=float)

    def to_json(self) -> dict[str, Any]:
        return {
            "model": self.model,
            "psill": self.psill,
            "range_km": self.range_km,
            "nugget": self.nugget,
        }


def _distances(ax: FloatArray, ay: FloatArray, bx: FloatArray, by: FloatArray) -> FloatArray:
    return np.asarray(np.hypot(ax[:, None] - bx[None, :], ay[:, None] - by[None, :]), float)


def idw_weights(
    xs: FloatArray, ys: FloatArray, xt: FloatArray, yt: FloatArray, power: float = 2.0
) -> FloatArray:
    """IDW weights, ``targets × stations``, rows summing to 1."""
    d = _distances(xt, yt, xs, ys)
    with np.errstate(divide="ignore"):
        w = 1.0 / d**power
    exact = d < 1e-9
    hit = exact.any(axis=1)
    w[hit] = exact[hit].astype(float)
    return np.asarray(w / w.sum(axis=1, keepdims=True), dtype=float)


def kriging_weights(
    xs: FloatArray, ys: FloatArray, xt: FloatArray, yt: FloatArray, variogram: Variogram
) -> FloatArray:
    """Ordinary-kriging weights, ``targets × stations`` (Cressie 1993, eq. 3.2.12)."""
    n = len(xs)
    a = np.zeros((n + 1, n + 1))
    a[:n, :n] = -variogram(_distances(xs, ys, xs, ys))
    np.fill_diagonal(a, 0.0)  # γ(0) = 0, as PyKrige's exact_values
    a[n, :n] = a[:n, n] = 1.0
    d = _distances(xs, ys, xt, yt)  # stations × targets
    b = np.ones((n + 1, len(xt)))
    b[:n] = -variogram(d)
    b[:n][d < 1e-9] = 0.0
    solution = np.linalg.solve(a, b)
    return np.asarray(solution[:n].T, dtype=float)


def fit_variogram(
    xs: FloatArray,
    ys: FloatArray,
    values: FloatArray,
    model: Model = "spherical",
    nlags: int = 6,
) -> Variogram:
    """Variogram of one field, fitted by PyKrige."""
    if model not in _MODELS:
        raise InputError(f"variogram model must be one of {', '.join(_MODELS)}, got {model!r}")
    ok = OrdinaryKriging(xs, ys, values, variogram_model=model, nlags=nlags)
    psill, range_km, nugget = (float(v) for v in ok.variogram_model_parameters)
    return Variogram(model=model, psill=psill, range_km=range_km, nugget=nugget)


def pooled_variogram(
    xs: FloatArray,
    ys: FloatArray,
    fields: FloatArray,
    model: Model = "spherical",
    nlags: int = 6,
) -> Variogram:
    """One variogram shape (sill 1) for many fields: each field is standardised, semivariances of
    all fields are binned together into ``nlags`` distance lags and the model is fitted to the
    bin means by least squares (weighted by pair counts)."""
    if model not in _MODELS:
        raise InputError(f"variogram model must be one of {', '.join(_MODELS)}, got {model!r}")
    d = _distances(xs, ys, xs, ys)
    i, j = np.triu_indices(len(xs), 1)
    edges = np.linspace(0.0, float(d[i, j].max()), nlags + 1)
    lag = np.clip(np.digitize(d[i, j], edges[1:-1]), 0, nlags - 1)
    sums, counts = np.zeros(nlags), np.zeros(nlags)
    for row in fields:
        ok = ~np.isnan(row)
        if ok.sum() < MIN_STATIONS or np.nanstd(row) == 0:
            continue
        z = (row - np.nanmean(row)) / np.nanstd(row)
        pair = ok[i] & ok[j]
        semi = 0.5 * (z[i] - z[j]) ** 2
        np.add.at(sums, lag[pair], semi[pair])
        np.add.at(counts, lag[pair], 1.0)
    used = counts > 0
    if used.sum() < 3:
        raise InsufficientDataError("too few station pairs to fit a variogram")
    centres = ((edges[:-1] + edges[1:]) / 2)[used]
    gamma = sums[used] / counts[used]
    weight = np.sqrt(counts[used])

    def residual(p: FloatArray) -> FloatArray:
        return (_MODELS[model](p, centres) - gamma) * weight

    start = [
        max(float(gamma.max()) - float(gamma.min()), 0.1),
        float(centres.max()) / 2,
        max(float(gamma.min()), 0.0),
    ]
    fit = least_squares(residual, start, bounds=([0.0, 1e-3, 0.0], [10.0, 10 * edges[-1], 10.0]))
    psill, range_km, nugget = (float(v) for v in fit.x)
    return Variogram(model=model, psill=psill, range_km=range_km, nugget=nugget)


def interpolate_many(
    xs: FloatArray,
    ys: FloatArray,
    fields: FloatArray,
    xt: FloatArray,
    yt: FloatArray,
    *,
    method: Method = "kriging",
    variogram: Variogram | None = None,
    power: float = 2.0,
    progress: Progress | None = None,
) -> FloatArray:
    """Interpolate ``fields`` (``times × stations``, NaN for missing) to the targets; returns
    ``times × targets``. Weights are solved once per pattern of reporting stations."""
    fields = np.asarray(fields, dtype=float)
    if fields.ndim != 2 or fields.shape[1] != len(xs):
        raise InputError(f"fields must be times × {len(xs)} stations, got {fields.shape}")
    if method == "kriging" and variogram is None:
        variogram = pooled_variogram(xs, ys, fields)
    out = np.full((len(fields), len(xt)), np.nan)
    present = ~np.isnan(fields)
    patterns, inverse = np.unique(present, axis=0, return_inverse=True)
    for k, pattern in enumerate(patterns):
        rows = np.flatnonzero(inverse.ravel() == k)
        if pattern.sum() < MIN_STATIONS:
            continue
        sx, sy = xs[pattern], ys[pattern]
        if method == "idw":
            weights = idw_weights(sx, sy, xt, yt, power)
        else:
            assert variogram is not None
            weights = kriging_weights(sx, sy, xt, yt, variogram)
        out[rows] = fields[np.ix_(rows, np.flatnonzero(pattern))] @ weights.T
        if progress is not None:
            progress(k + 1, len(patterns))
    return out


@dataclass(frozen=True)
class CrossValidation:
    """Leave-one-out scores; ``predictions`` has ``site, observed, predicted``."""

    method: str
    n: int
    rmse: float
    mae: float
    bias: float
    r: float
    predictions: pd.DataFrame = field(repr=False)

    def to_json(self) -> dict[str, Any]:
        return {
            "method": self.method,
            "n": self.n,
            "rmse": self.rmse,
            "mae": self.mae,
            "bias": self.bias,
            "r": self.r,
        }


def _predict_one(
    xs: FloatArray,
    ys: FloatArray,
    values: FloatArray,
    xt: FloatArray,
    yt: FloatArray,
    method: Method,
    model: Model,
    power: float,
    variogram: Variogram | None,
) -> FloatArray:
    if method == "idw":
        return idw_weights(xs, ys, xt, yt, power) @ values
    if variogram is not None:
        return kriging_weights(xs, ys, xt, yt, variogram) @ values
    ok = OrdinaryKriging(xs, ys, values, variogram_model=model)
    z, _ = ok.execute("points", xt, yt)
    return np.asarray(z, dtype=float)


def leave_one_out(
    sites: list[str],
    xs: FloatArray,
    ys: FloatArray,
    values: FloatArray,
    *,
    method: Method = "kriging",
    model: Model = "spherical",
    power: float = 2.0,
    variogram: Variogram | None = None,
) -> CrossValidation:
    """Predict each station from all the others (the variogram is refitted each time unless
    one is given) and score the predictions."""
    n = len(values)
    if n < MIN_STATIONS + 1:
        raise InsufficientDataError(
            f"cross-validation needs at least {MIN_STATIONS + 1} stations, got {n}"
        )
    predicted = np.empty(n)
    for k in range(n):
        keep = np.arange(n) != k
        predicted[k] = _predict_one(
            xs[keep],
            ys[keep],
            values[keep],
            xs[k : k + 1],
            ys[k : k + 1],
            method,
            model,
            power,
            variogram,
        )[0]
    error = predicted - values
    r = float(np.corrcoef(values, predicted)[0, 1]) if np.std(predicted) > 0 else math.nan
    return CrossValidation(
        method=method,
        n=n,
        rmse=float(np.sqrt(np.mean(error**2))),
        mae=float(np.mean(np.abs(error))),
        bias=float(np.mean(error)),
        r=r,
        predictions=pd.DataFrame({"site": sites, "observed": values, "predicted": predicted}),
    )


@dataclass(frozen=True)
class SpatialField:
    """An interpolated field over a region: ``values`` on ``grid`` (NaN outside the region)."""

    parameter: str
    units: str
    method: str
    region: Region = field(repr=False)
    grid: GridSpec = field(repr=False)
    values: FloatArray = field(repr=False)
    stations: pd.DataFrame = field(repr=False)
    variogram: Variogram | None = None
    cv: CrossValidation | None = None

    def to_geojson(self, decimals: int = 2) -> dict[str, Any]:
        props: dict[str, Any] = {
            "parameter": self.parameter,
            "units": self.units,
            "method": self.method,
            "region": self.region.name,
            "adcode": self.region.code,
            "step_deg": self.grid.step,
        }
        if self.variogram is not None:
            props["variogram"] = self.variogram.to_json()
        if self.cv is not None:
            props["cross_validation"] = self.cv.to_json()
        stations = [
            {"site": s, "value": float(v), "longitude": float(lon), "latitude": float(lat)}
            for s, v, lon, lat in self.stations[
                ["site", "value", "longitude", "latitude"]
            ].itertuples(index=False, name=None)
        ]
        return grid_geojson(
            self.grid, self.values, properties=props, stations=stations, decimals=decimals
        )


def _stations_in_use(stations: pd.DataFrame, region: Region, margin: float) -> pd.DataFrame:
    need = {"site", "longitude", "latitude", "value"}
    if not need <= set(stations.columns):
        raise InputError(f"stations need columns {sorted(need)}, got {list(stations.columns)}")
    frame = stations.dropna(subset=["longitude", "latitude", "value"])
    x0, y0, x1, y1 = region.bounds
    near = frame["longitude"].between(x0 - margin, x1 + margin) & frame["latitude"].between(
        y0 - margin, y1 + margin
    )
    return frame[near].reset_index(drop=True)


def interpolate_field(
    stations: pd.DataFrame,
    region: Region,
    *,
    parameter: str = "value",
    units: str = "",
    step: float = 0.05,
    method: Method = "kriging",
    model: Model = "spherical",
    power: float = 2.0,
    margin: float = 0.5,
    cross_validate: bool = True,
) -> SpatialField:
    """Interpolate station values (``site, longitude, latitude, value``) over ``region``.

    Stations within ``margin`` degrees of the region's bounds take part (neighbours across the
    border steady the edges). The grid has cells of ``step`` degrees; cells outside the region
    are NaN.
    """
    if method not in ("idw", "kriging"):
        raise InputError(f"method must be 'idw' or 'kriging', got {method!r}")
    used = _stations_in_use(stations, region, margin)
    if len(used) < MIN_STATIONS:
        raise InsufficientDataError(
            f"{region.name}: interpolation needs at least {MIN_STATIONS} "
            f"stations with values, got {len(used)}"
        )
    x0, y0, x1, y1 = region.bounds
    projection = LocalProjection((x0 + x1) / 2, (y0 + y1) / 2)
    xs, ys = projection.forward(used["longitude"].to_numpy(), used["latitude"].to_numpy())
    values = used["value"].to_numpy(dtype=float)
    grid = grid_over(region, step)
    glon, glat = np.meshgrid(grid.lon, grid.lat)
    inside = grid.inside.ravel()
    gx, gy = projection.forward(glon.ravel()[inside], glat.ravel()[inside])
    variogram = fit_variogram(xs, ys, values, model) if method == "kriging" else None
    predicted = _predict_one(xs, ys, values, gx, gy, method, model, power, variogram)
    out = np.full(grid.shape, np.nan).ravel()
    out[inside] = predicted
    cv = None
    if cross_validate and len(used) > MIN_STATIONS:
        cv = leave_one_out(
            used["site"].astype(str).tolist(),
            xs,
            ys,
            values,
            method=method,
            model=model,
            power=power,
        )
    return SpatialField(
        parameter=parameter,
        units=units,
        method=method,
        region=region,
        grid=grid,
        values=out.reshape(grid.shape),
        stations=used,
        variogram=variogram,
        cv=cv,
    )
