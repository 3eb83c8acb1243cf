"""Interpolation to region grids: PyKrige agreement, cross-validation on the national network,
GeoJSON and images."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from pykrige.ok import OrdinaryKriging

from ecodata.analysis import datasets, figures, regions, spatial
from ecodata.analysis.frames import InsufficientDataError
from ecodata.errors import NotFoundError


@pytest.fixture(scope="module")
def provinces(shared_data: Path) -> Path:
    return shared_data / "regions" / "geojson" / "china_provinces.json"


@pytest.fixture(scope="module")
def snapshot(shared_data: Path) -> pd.DataFrame:
    """The published PM2.5 24-h moving means of every station at 2019-01-01 23:00."""
    hourly = datasets.read_national_hourly(
        [shared_data / "air" / "national_hourly" / "china_sites_20190101.csv"], types=["PM2.5_24h"]
    )
    last = hourly[hourly["time"] == hourly["time"].max()]
    stations = datasets.read_station_list(shared_data / "air" / "national_stations_2020.csv")
    merged = last.merge(stations, on="site")
    return merged[["site", "longitude", "latitude", "value"]]


def test_own_kriging_weights_equal_pykrige() -> None:
    rng = np.random.default_rng(0)
    xs, ys = rng.uniform(0, 100, 15), rng.uniform(0, 100, 15)
    values = rng.normal(50, 10, 15)
    gx, gy = rng.uniform(0, 100, 40), rng.uniform(0, 100, 40)
    for model in ("spherical", "exponential", "gaussian"):
        variogram = spatial.Variogram(model, psill=80.0, range_km=60.0, nugget=10.0)
        ok = OrdinaryKriging(
            xs,
            ys,
            values,
            variogram_model=model,
            variogram_parameters={"psill": 80.0, "range": 60.0, "nugget": 10.0},
        )
        expected, _ = ok.execute("points", gx, gy)
        ours = spatial.kriging_weights(xs, ys, gx, gy, variogram) @ values
        np.testing.assert_allclose(ours, expected, rtol=1e-9, atol=1e-9)


def test_interpolation_is_exact_at_stations() -> None:
    xs, ys = np.array([0.0, 10.0, 0.0, 10.0]), np.array([0.0, 0.0, 10.0, 10.0])
    values = np.array([1.0, 2.0, 3.0, 4.0])
    np.testing.assert_allclose(spatial.idw_weights(xs, ys, xs, ys) @ values, values)
    variogram = spatial.Variogram("spherical", 1.0, 20.0, 0.0)
    np.testing.assert_allclose(spatial.kriging_weights(xs, ys, xs, ys, variogram) @ values, values)
    centre = spatial.idw_weights(xs, ys, np.array([5.0]), np.array([5.0])) @ values
    assert centre[0] == pytest.approx(2.5)


def test_many_fields_with_gaps_match_one_by_one() -> None:
    rng = np.random.default_rng(1)
    xs, ys = rng.uniform(0, 50, 8), rng.uniform(0, 50, 8)
    fields = rng.normal(60, 15, size=(30, 8))
    fields[3, 2] = np.nan
    fields[7, [0, 5]] = np.nan
    gx, gy = rng.uniform(0, 50, 25), rng.uniform(0, 50, 25)
    variogram = spatial.pooled_variogram(xs, ys, fields)
    many = spatial.interpolate_many(xs, ys, fields, gx, gy, variogram=variogram)
    for t in (0, 3, 7):
        ok = ~np.isnan(fields[t])
        one = spatial.kriging_weights(xs[ok], ys[ok], gx, gy, variogram) @ fields[t, ok]
        np.testing.assert_allclose(many[t], one)
    idw = spatial.interpolate_many(xs, ys, fields, gx, gy, method="idw")
    assert np.isfinite(idw).all()


def test_region_outline_holds_its_stations(provinces: Path, shared_data: Path) -> None:
    beijing = regions.read_region(provinces, "110000")
    assert beijing.name == "北京市"
    stations = datasets.beijing_stations()
    assert beijing.contains(stations["longitude"].to_numpy(), stations["latitude"].to_numpy()).all()
    shanghai = regions.read_region(provinces, "上海市")
    assert not shanghai.contains(
        stations["longitude"].to_numpy(), stations["latitude"].to_numpy()
    ).any()
    with pytest.raises(NotFoundError, match="no region"):
        regions.read_region(provinces, "999999")


@pytest.mark.parametrize("method", ["idw", "kriging"])
def test_cross_validation_beats_the_regional_mean(
    provinces: Path, snapshot: pd.DataFrame, method: spatial.Method
) -> None:
    # Beijing and its neighbourhood on the evening of 2019-01-01: leave-one-out predictions must
    # be better than predicting every station by the mean of the others
    region = regions.read_region(provinces, "110000")
    field = spatial.interpolate_field(
        snapshot, region, parameter="pm2_5_24h", units="µg/m³", method=method, step=0.05
    )
    assert field.cv is not None
    values = field.stations["value"].to_numpy()
    n = len(values)
    mean_others = (values.sum() - values) / (n - 1)
    baseline = float(np.sqrt(np.mean((mean_others - values) ** 2)))
    assert field.cv.n == n >= 20
    assert field.cv.rmse < 0.8 * baseline
    assert field.cv.r > 0.6
    inside = field.values[field.grid.inside]
    assert np.isfinite(inside).all()
    assert np.isnan(field.values[~field.grid.inside]).all()
    if method == "idw":  # a weighted mean stays within the station values
        assert values.min() - 1e-6 <= inside.min()
        assert inside.max() <= values.max() + 1e-6


def test_field_geojson_and_images(provinces: Path, snapshot: pd.DataFrame) -> None:
    region = regions.read_region(provinces, "110000")
    field = spatial.interpolate_field(snapshot, region, method="idw", step=0.1)
    collection = json.loads(json.dumps(field.to_geojson()))
    assert collection["type"] == "FeatureCollection"
    cells = [f for f in collection["features"] if f["geometry"]["type"] == "Polygon"]
    points = [f for f in collection["features"] if f["geometry"]["type"] == "Point"]
    assert len(cells) == int(field.grid.inside.sum())
    assert len(points) == len(field.stations)
    ring = cells[0]["geometry"]["coordinates"][0]
    assert ring[0] == ring[-1] and len(ring) == 5
    assert collection["properties"]["cross_validation"]["method"] == "idw"
    png = figures.field_figure(field)
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    svg = figures.field_figure(field, fmt="svg")
    assert b"<svg" in svg[:500]


def test_too_few_stations_is_a_clear_error(provinces: Path, snapshot: pd.DataFrame) -> None:
    region = regions.read_region(provinces, "110000")
    with pytest.raises(InsufficientDataError, match="at least 3 stations"):
        spatial.interpolate_field(snapshot.head(2), region, margin=0.0)
