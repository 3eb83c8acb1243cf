"""Station forecasts on the Beijing data: no look-ahead, evaluation by time, the baselines."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from ecodata.analysis import datasets, forecast
from ecodata.analysis.forecast_features import FeatureSpec, build_features, hourly_panels
from ecodata.errors import InputError
from ecodata.model import CHINA_TZ

SPLIT = pd.Timestamp("2016-03-01", tz=CHINA_TZ)
END = pd.Timestamp("2017-03-01", tz=CHINA_TZ)


@pytest.fixture(scope="module")
def panels(beijing: pd.DataFrame) -> dict[str, pd.DataFrame]:
    return hourly_panels(beijing)


def _subset(
    panels: dict[str, pd.DataFrame], sites: list[str], start: str, end: str
) -> dict[str, pd.DataFrame]:
    a, b = pd.Timestamp(start, tz=CHINA_TZ), pd.Timestamp(end, tz=CHINA_TZ)
    return {s: panels[s][(panels[s].index >= a) & (panels[s].index < b)] for s in sites}


def test_features_use_no_future_data(panels: dict[str, pd.DataFrame]) -> None:
    sites = ["1001A", "1003A", "1009A", "1010A"]
    small = _subset(panels, sites, "2015-10-01", "2016-01-01")
    cut = pd.Timestamp("2015-12-01 07:00", tz=CHINA_TZ)
    table = datasets.beijing_stations().set_index("site")
    positions = {s: (table.loc[s, "longitude"], table.loc[s, "latitude"]) for s in sites}
    original = build_features(small, FeatureSpec(), positions)
    assert {"x_north", "x_ns_grad", "x_st_1009A", "x_cv_run24", "scale"} <= set(original)
    rng = np.random.default_rng(0)
    changed = {}
    for site, wide in small.items():
        future = wide.copy()
        later = future.index > cut
        future.loc[later] = rng.uniform(0, 500, size=(int(later.sum()), future.shape[1]))
        changed[site] = future
    perturbed = build_features(changed, FeatureSpec(), positions)
    past = original["time"] <= cut
    columns = forecast.feature_columns(original)
    np.testing.assert_array_equal(
        original.loc[past, columns].to_numpy(), perturbed.loc[past, columns].to_numpy()
    )
    # the check can fail: right after the cut the features do change
    after = original["time"] == cut + pd.Timedelta(hours=1)
    assert not np.array_equal(
        original.loc[after, columns].to_numpy(), perturbed.loc[after, columns].to_numpy()
    )


def test_training_never_sees_the_test_period(panels: dict[str, pd.DataFrame]) -> None:
    small = _subset(panels, ["1001A", "1006A"], "2015-09-01", "2016-05-01")
    split = pd.Timestamp("2016-02-01", tz=CHINA_TZ)
    features = build_features(small, FeatureSpec())
    trained = forecast.train_forecaster(features, kind="ridge", horizons=[1, 24], train_end=split)
    spoiled = features.copy()
    late = spoiled["time"] >= split
    spoiled.loc[late, "y"] = 9999.0  # what the test period would teach, were it used
    again = forecast.train_forecaster(spoiled, kind="ridge", horizons=[1, 24], train_end=split)
    for h in (1, 24):
        first = trained.models[h].ridge[-1].coef_
        second = again.models[h].ridge[-1].coef_
        np.testing.assert_array_equal(first, second)


def test_early_stopping_and_blend_weight_use_the_training_period_only(
    panels: dict[str, pd.DataFrame],
) -> None:
    small = _subset(panels, ["1003A", "1010A"], "2015-06-01", "2016-04-01")
    split = pd.Timestamp("2016-02-01", tz=CHINA_TZ)
    features = build_features(small, FeatureSpec())
    options = {"kind": "blend", "horizons": [24], "train_end": split, "n_jobs": 1}
    params = {"min_child_samples": 50}
    trained = forecast.train_forecaster(features, gbm_params=params, **options)
    spoiled = features.copy()
    spoiled.loc[spoiled["time"] >= split, "y"] = 9999.0  # what the test period would teach
    again = forecast.train_forecaster(spoiled, gbm_params=params, **options)
    first, second = trained.models[24], again.models[24]
    assert (first.rounds, first.weight, first.validation) == (
        second.rounds,
        second.weight,
        second.validation,
    )
    rows = features[features["time"] >= split]
    np.testing.assert_array_equal(first.predict(rows), second.predict(rows))
    # the check can fail: spoiling one hour earlier reaches the last training target
    spoiled.loc[spoiled["time"] >= split - pd.Timedelta(hours=1), "y"] = 9999.0
    third = forecast.train_forecaster(spoiled, gbm_params=params, **options)
    assert not np.array_equal(first.predict(rows), third.models[24].predict(rows))
    assert 0.0 <= first.weight <= 1.0 and first.rounds >= 10
    assert set(first.validation) == {"gbm", "ridge", "blend"}
    assert first.validation["blend"] <= min(first.validation["gbm"], first.validation["ridge"])


def test_paths_interpolate_between_anchor_horizons(panels: dict[str, pd.DataFrame]) -> None:
    small = _subset(panels, ["1002A"], "2015-06-01", "2015-09-01")
    features = build_features(small, FeatureSpec())
    model = forecast.train_forecaster(features, kind="ridge", horizons=[1, 24, 48])
    rows = features.tail(3)
    path = model.predict_path(rows, hours=48)
    assert sorted(path["horizon_h"].unique()) == list(range(1, 49))
    at = path.pivot_table(index="issue_time", columns="horizon_h", values="predicted")
    np.testing.assert_allclose(at[12], at[1] + (at[24] - at[1]) * 11 / 23)
    with pytest.raises(InputError, match=r"within 1\.\.48"):
        model.predict(rows, [72])


def test_small_gbm_beats_persistence(panels: dict[str, pd.DataFrame]) -> None:
    small = _subset(panels, ["1003A", "1010A"], "2014-09-01", "2015-03-01")
    result = forecast.evaluate_forecasts(
        small,
        train_end=pd.Timestamp("2015-01-01", tz=CHINA_TZ),
        test_end=pd.Timestamp("2015-03-01", tz=CHINA_TZ),
        horizons=[6],
        gbm_params={"min_child_samples": 50},
        n_jobs=1,
    )
    table = result.table.set_index("model")
    assert list(table.index) == ["blend", "gbm", "ridge", "persistence"]
    assert table.loc["gbm", "rmse"] < table.loc["persistence", "rmse"]
    assert table.loc["blend", "rmse"] < table.loc["persistence", "rmse"]
    assert table["n"].nunique() == 1  # every model is scored on the same rows
    assert {"horizon_h", "rmse", "mae"} <= set(result.to_json()["rows"][0])


def test_trees_take_the_heating_season_instead_of_the_day_of_year(
    panels: dict[str, pd.DataFrame],
) -> None:
    times = pd.DatetimeIndex(
        ["2015-11-14 23:00", "2015-11-15 00:00", "2016-03-15 23:00", "2016-03-16 00:00"],
        tz=CHINA_TZ,
    )
    assert list(forecast.heating_season(times)) == [0.0, 1.0, 1.0, 0.0]
    small = _subset(panels, ["1003A", "1010A"], "2014-09-01", "2015-03-01")
    features = build_features(small, FeatureSpec())
    model = forecast.train_forecaster(
        features, horizons=[6], gbm_params={"min_child_samples": 50}, n_jobs=1
    ).models[6]
    taken = set(model.gbm.feature_name_)
    assert "heating" in taken and not {"doy_sin", "doy_cos"} & taken
    assert "heating" not in set(model.medians.index) and "doy_sin" in set(model.medians.index)
    assert np.isfinite(model.predict(features.tail(5))).all()


@pytest.mark.slow
def test_beijing_forecast_beats_the_baselines(panels: dict[str, pd.DataFrame]) -> None:
    # train before 2016-03-01, test 2016-03-01 … 2017-02-28, mean of the 12 station scores
    result = forecast.evaluate_forecasts(panels, train_end=SPLIT, test_end=END, horizons=[1, 24])
    rmse = result.table.set_index(["model", "horizon_h"])["rmse"]
    assert rmse["persistence", 24] == pytest.approx(88, abs=1.5)
    assert rmse["gbm", 1] <= 17.5
    assert rmse["gbm", 1] < rmse["ridge", 1] < rmse["persistence", 1]
    assert rmse["gbm", 24] < rmse["ridge", 24] < rmse["persistence", 24]
    assert rmse["gbm", 24] <= 70.0
