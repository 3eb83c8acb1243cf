"""Station forecasts 1–96 h ahead (PM2.5, AQI or any hourly target) and their evaluation by time.

Direct multi-horizon forecasting: one model per *anchor* horizon, trained on the features of
:mod:`.forecast_features` at issue time *t* against the observed target at *t + h*. Hours between
anchors are interpolated linearly between the neighbouring anchor forecasts, so a forecast path
covers every hour 1 … 96. Models:

- ``blend`` (default) — gradient-boosted trees and ridge regression, averaged with a weight fitted
  per horizon on a validation period carved from the end of the training period;
- ``gbm`` — gradient-boosted trees (LightGBM; Ke et al. 2017), one model for all stations with
  the station as a categorical feature; the number of boosting rounds is chosen by early stopping
  on the same validation period, then the model is refitted on the whole training period;
- ``ridge`` — ridge regression on the same features (standardised, missing values replaced by
  training medians), the linear baseline;
- ``persistence`` — the last observed value.

Training uses rows whose *target time* lies before ``train_end``; the validation period is the
last ``validation_days`` (at most a third) of those, and the rows used to fit before it have
their target before it too. Evaluation scores issue times from ``train_end`` whose target lies
before ``test_end``, so no test observation enters training, early stopping or the blend weight.
Scores are per station and then averaged over the stations (the "12-station mean" of the Beijing
evaluation); every model is scored on the same rows (target observed and a persistence forecast
available).
"""

from __future__ import annotations

import time as clock
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import pandas as pd

from ecodata.analysis.forecast_features import FeatureSpec, build_features, is_level
from ecodata.errors import InputError
from ecodata.model import CHINA_TZ

ModelKind = Literal["blend", "gbm", "ridge", "persistence"]
MODEL_KINDS: tuple[ModelKind, ...] = ("blend", "gbm", "ridge", "persistence")
Progress = Callable[[int, int], None]

#: Anchor horizons of a full 96-hour forecast path.
PATH_HORIZONS = (1, 2, 3, 4, 6, 9, 12, 15, 18, 21, 24, 30, 36, 42, 48, 60, 72, 84, 96)
#: Horizons of the evaluation table.
EVALUATION_HORIZONS = (1, 6, 24, 48, 72, 96)
#: The split of the Beijing evaluation (Beijing time): train before, test until the end of the
#: data (2017-02-28 23:00).
BEIJING_TRAIN_END = pd.Timestamp("2016-03-01", tz=CHINA_TZ)
BEIJING_TEST_END = pd.Timestamp("2017-03-01", tz=CHINA_TZ)

#: LightGBM settings: strong regularisation (large leaves); the number of rounds comes from early
#: stopping (at most ``n_estimators``).
GBM_PARAMS: dict[str, Any] = {
    "n_estimators": 2000,
    "learning_rate": 0.05,
    "num_leaves": 31,
    "min_child_samples": 1000,
    "subsample": 0.7,
    "subsample_freq": 1,
    "colsample_bytree": 0.4,
    "reg_lambda": 10.0,
    "max_bin": 127,
    "random_state": 0,
    "verbose": -1,
}
EARLY_STOPPING_ROUNDS = 100
VALIDATION_DAYS = 365
#: The smallest level a ratio model divides by (µg/m³ or AQI), against division by near zero.
MIN_SCALE = 5.0
_NOT_FEATURES = ("site", "time")
#: Features the boosted trees leave out: from a few years of data the day of the year lets them
#: recall the episodes of particular dates (24 h ahead on the validation year, mean of three
#: seeds: trees 70.7 → 69.1 µg/m³, blend 70.3 → 69.3, with the heating-season flag instead).
TREE_EXCLUDED = ("doy_sin", "doy_cos")
#: Features ridge regression leaves out (it takes neither the scale nor the season flag).
RIDGE_EXCLUDED = ("scale", "heating")


def feature_columns(features: pd.DataFrame) -> list[str]:
    return [c for c in features.columns if c not in _NOT_FEATURES]


def _ridge_columns(x: pd.DataFrame) -> list[str]:
    """Ridge regression takes the basic features (the extras only add collinear noise to it)."""
    return [c for c in x.columns if not c.startswith("x_") and c not in RIDGE_EXCLUDED]


def _tree_columns(x: pd.DataFrame) -> list[str]:
    return [c for c in x.columns if c not in TREE_EXCLUDED]


def heating_season(times: pd.DatetimeIndex) -> np.ndarray:
    """1.0 from 15 November to 15 March (Beijing's central-heating season; a winter flag
    elsewhere), else 0.0."""
    month_day = times.month * 100 + times.day
    return np.asarray((month_day >= 1115) | (month_day <= 315), dtype=float)


def _scale(x: pd.DataFrame) -> np.ndarray:
    return np.asarray(np.maximum(np.asarray(x["scale"], dtype=float), MIN_SCALE), dtype=float)


def _relative(x: pd.DataFrame) -> pd.DataFrame:
    """The boosted trees' view: every level of the target divided by the city's 30-day mean
    level (``scale``), so that what they learn carries over between cleaner and dirtier
    years; ``scale`` itself stays a feature."""
    out = x.copy()
    levels = [c for c in x.columns if is_level(c)]
    out[levels] = x[levels].div(_scale(x), axis=0)
    return out


def target_at(features: pd.DataFrame, horizon: int) -> np.ndarray:
    """The observed target ``horizon`` hours after each row's issue time (NaN past the end)."""
    return np.asarray(features.groupby("site", sort=False)["y"].shift(-horizon), dtype=float)


def _horizon_frame(features: pd.DataFrame, horizon: int) -> pd.DataFrame:
    """Features plus the calendar of the target hour (known at issue time)."""
    target_time = pd.DatetimeIndex(features["time"]) + pd.Timedelta(hours=horizon)
    out = features[feature_columns(features)].copy()
    out["target_hour"] = target_time.hour.astype(float)
    out["heating"] = heating_season(target_time)
    return out


def _tree_view(x: pd.DataFrame, trees: Any = None) -> pd.DataFrame:
    """The relative view of the columns the trees take: those they were fitted on when given
    (so that a model saved before a change of the feature set still reads its own)."""
    columns = list(trees.feature_name_) if trees is not None else _tree_columns(x)
    return _relative(x[columns])


@dataclass
class HorizonModel:
    """The models of one horizon. ``weight`` is the share of the boosted trees in a blend;
    ``rounds`` their number of boosting rounds; ``validation`` the RMSE of each part on the
    validation period (``gbm``, ``ridge``, ``blend``), for the record."""

    horizon: int
    kind: ModelKind
    gbm: Any = field(default=None, repr=False)
    ridge: Any = field(default=None, repr=False)
    medians: pd.Series | None = field(default=None, repr=False)
    weight: float = 1.0
    rounds: int = 0
    validation: dict[str, float] = field(default_factory=dict)

    def predict(self, features: pd.DataFrame) -> np.ndarray:
        if self.kind == "persistence":
            return persistence(features)
        x = _horizon_frame(features, self.horizon)
        parts = []
        if self.gbm is not None:
            ratio = np.asarray(self.gbm.predict(_tree_view(x, self.gbm)), dtype=float)
            parts.append((self.weight, ratio * _scale(x)))
        if self.ridge is not None:
            assert self.medians is not None
            filled = x[_ridge_columns(x)].fillna(self.medians)
            share = 1.0 - self.weight if self.gbm is not None else 1.0
            parts.append((share, np.asarray(self.ridge.predict(filled), dtype=float)))
        return np.asarray(sum(w * p for w, p in parts), dtype=float)


def persistence(features: pd.DataFrame) -> np.ndarray:
    """The last observed value within the past 24 hours (NaN when there is none)."""
    last = features.groupby("site", sort=False)["y"].ffill(limit=23)
    return np.asarray(last, dtype=float)


def _gbm(params: Mapping[str, Any], n_jobs: int, rounds: int | None = None) -> Any:
    import lightgbm

    settings = {**GBM_PARAMS, **params, "n_jobs": n_jobs}
    if rounds is not None:
        settings["n_estimators"] = rounds
    return lightgbm.LGBMRegressor(**settings)


def _ridge(x: pd.DataFrame, y: np.ndarray, alpha: float) -> tuple[Any, pd.Series]:
    from sklearn.linear_model import Ridge
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    x = x[_ridge_columns(x)]
    medians = x.median()  # from the training rows only: no later data enter the scaling
    model = make_pipeline(StandardScaler(), Ridge(alpha=alpha))
    model.fit(x.fillna(medians), y)
    return model, medians


def _fit_trees(
    x: pd.DataFrame,
    y: np.ndarray,
    params: Mapping[str, Any],
    n_jobs: int,
    rounds: int | None = None,
    stop_on: tuple[pd.DataFrame, np.ndarray] | None = None,
) -> Any:
    """Boosted trees on the relative view: target ``y / scale`` with weights ``scale²``, so
    that the loss is the squared error in the target's own units."""
    import lightgbm

    s = _scale(x)
    trees = _gbm(params, n_jobs, rounds)
    options: dict[str, Any] = {"sample_weight": s**2, "categorical_feature": ["site_id"]}
    if stop_on is not None:
        xv, yv = stop_on
        sv = _scale(xv)
        options |= {
            "eval_X": _tree_view(xv),
            "eval_y": yv / sv,
            "eval_sample_weight": [sv**2],
            "callbacks": [lightgbm.early_stopping(EARLY_STOPPING_ROUNDS, verbose=False)],
        }
    trees.fit(_tree_view(x), y / s, **options)
    return trees


def _rmse(predicted: np.ndarray, observed: np.ndarray) -> float:
    return float(np.sqrt(np.mean((predicted - observed) ** 2)))


def blend_weight(gbm: np.ndarray, ridge: np.ndarray, observed: np.ndarray) -> float:
    """The share *w* of ``gbm`` in ``w·gbm + (1 − w)·ridge`` with the least squared error,
    within 0 … 1 (closed form of the one-parameter least-squares problem)."""
    d = gbm - ridge
    denominator = float(np.dot(d, d))
    if denominator == 0.0:
        return 0.5
    return float(np.clip(np.dot(d, observed - ridge) / denominator, 0.0, 1.0))


def fit_horizon(
    x: pd.DataFrame,
    y: np.ndarray,
    target_time: pd.DatetimeIndex,
    issue_time: pd.DatetimeIndex,
    *,
    horizon: int,
    kind: ModelKind,
    gbm_params: Mapping[str, Any] | None = None,
    ridge_alpha: float = 10.0,
    validation_days: int = VALIDATION_DAYS,
    n_jobs: int = 2,
) -> HorizonModel:
    """Fit the models of one horizon on training rows (``x``, observed ``y``).

    For ``gbm`` and ``blend`` the last ``validation_days`` of the training rows (at most a third
    of their span) are held out: the boosted trees are fitted before them with early stopping on
    them, the blend weight is fitted on them, then every model is refitted on all rows (the
    trees with the early-stopping rounds scaled by the larger row count)."""
    params = dict(gbm_params or {})
    if kind == "ridge":
        linear, filled_with = _ridge(x, y, ridge_alpha)
        return HorizonModel(horizon, kind, ridge=linear, medians=filled_with, weight=0.0)
    first, last = target_time.min(), target_time.max()
    held = min(pd.Timedelta(days=validation_days), (last - first) / 3)
    split = last - held
    inner = np.asarray(target_time < split)
    outer = np.asarray(issue_time >= split)
    if inner.sum() < 100 or outer.sum() < 100:
        raise InputError(
            f"horizon {horizon} h: too few rows to hold out a validation period "
            f"({int(inner.sum())} before and {int(outer.sum())} after {split})"
        )
    trees = _fit_trees(x[inner], y[inner], params, n_jobs, stop_on=(x[outer], y[outer]))
    best = int(trees.best_iteration_ or trees.n_estimators)
    ratio = np.asarray(trees.predict(_tree_view(x[outer], trees), num_iteration=best), dtype=float)
    g_val = ratio * _scale(x[outer])
    validation = {"gbm": _rmse(g_val, y[outer])}
    weight = 1.0
    ridge: Any = None
    medians: pd.Series | None = None
    if kind == "blend":
        inner_ridge, inner_medians = _ridge(x[inner], y[inner], ridge_alpha)
        filled = x[outer][_ridge_columns(x)].fillna(inner_medians)
        r_val = np.asarray(inner_ridge.predict(filled), dtype=float)
        weight = blend_weight(g_val, r_val, y[outer])
        validation["ridge"] = _rmse(r_val, y[outer])
        validation["blend"] = _rmse(weight * g_val + (1 - weight) * r_val, y[outer])
        ridge, medians = _ridge(x, y, ridge_alpha)
    rounds = max(10, round(best * len(y) / int(inner.sum())))
    trees = _fit_trees(x, y, params, n_jobs, rounds)
    return HorizonModel(
        horizon,
        kind,
        gbm=trees,
        ridge=ridge,
        medians=medians,
        weight=weight,
        rounds=rounds,
        validation=validation,
    )


@dataclass
class Forecaster:
    """Trained models for a set of anchor horizons."""

    kind: ModelKind
    spec: FeatureSpec
    models: dict[int, HorizonModel] = field(repr=False)
    train_end: pd.Timestamp | None = None
    seconds: float = 0.0

    @property
    def horizons(self) -> list[int]:
        return sorted(self.models)

    def predict(
        self, features: pd.DataFrame, horizons: Sequence[int] | None = None
    ) -> pd.DataFrame:
        """Forecasts for every row of ``features``: ``site, issue_time, horizon_h, predicted``.
        Horizons between anchors are interpolated."""
        wanted = list(horizons) if horizons is not None else self.horizons
        anchors = self.horizons
        if min(wanted) < 1 or max(wanted) > anchors[-1]:
            raise InputError(f"horizons must be within 1..{anchors[-1]}, got {wanted}")
        needed = sorted({a for h in wanted for a in _bracket(h, anchors)})
        at = {a: self.models[a].predict(features) for a in needed}
        parts = []
        for h in wanted:
            low, high = _bracket(h, anchors)
            if low == high:
                values = at[low]
            else:
                share = (h - low) / (high - low)
                values = (1 - share) * at[low] + share * at[high]
            parts.append(
                pd.DataFrame(
                    {
                        "site": features["site"].to_numpy(),
                        "issue_time": features["time"].to_numpy(),
                        "horizon_h": h,
                        "predicted": values,
                    }
                )
            )
        return pd.concat(parts, ignore_index=True)

    def predict_path(self, features: pd.DataFrame, hours: int = 96) -> pd.DataFrame:
        """Hourly forecasts 1 … ``hours`` for every row of ``features``."""
        return self.predict(features, range(1, hours + 1))

    def summary(self) -> list[dict[str, Any]]:
        """Per horizon: rounds, blend weight and validation RMSE (what training chose)."""
        return [
            {
                "horizon_h": h,
                "rounds": m.rounds,
                "gbm_weight": round(m.weight, 3),
                "validation_rmse": {k: round(v, 2) for k, v in m.validation.items()},
            }
            for h, m in sorted(self.models.items())
        ]


def _bracket(h: int, anchors: Sequence[int]) -> tuple[int, int]:
    if h in anchors:
        return h, h
    if h < anchors[0]:
        return anchors[0], anchors[0]
    high = min(a for a in anchors if a > h)
    low = max(a for a in anchors if a < h)
    return low, high


def train_forecaster(
    features: pd.DataFrame,
    *,
    kind: ModelKind = "blend",
    spec: FeatureSpec | None = None,
    horizons: Sequence[int] = PATH_HORIZONS,
    train_end: pd.Timestamp | None = None,
    gbm_params: Mapping[str, Any] | None = None,
    ridge_alpha: float = 10.0,
    validation_days: int = VALIDATION_DAYS,
    n_jobs: int = 2,
    progress: Progress | None = None,
) -> Forecaster:
    """Train one model per horizon on rows whose target time is before ``train_end`` (all rows
    when None) and whose target is observed."""
    if kind not in MODEL_KINDS:
        raise InputError(f"model kind must be one of {', '.join(MODEL_KINDS)}, got {kind!r}")
    if not horizons or min(horizons) < 1:
        raise InputError(f"horizons must be ≥ 1, got {list(horizons)}")
    started = clock.perf_counter()
    times = pd.DatetimeIndex(features["time"])
    models: dict[int, HorizonModel] = {}
    chosen = sorted(set(horizons))
    for k, h in enumerate(chosen):
        if kind == "persistence":
            models[h] = HorizonModel(h, kind)
            continue
        y = target_at(features, h)
        target_time = times + pd.Timedelta(hours=h)
        rows = ~np.isnan(y)
        if train_end is not None:
            rows &= np.asarray(target_time < train_end)
        if rows.sum() < 100:
            raise InputError(f"horizon {h} h: only {int(rows.sum())} training rows")
        models[h] = fit_horizon(
            _horizon_frame(features.loc[rows], h),
            y[rows],
            target_time[rows],
            times[rows],
            horizon=h,
            kind=kind,
            gbm_params=gbm_params,
            ridge_alpha=ridge_alpha,
            validation_days=validation_days,
            n_jobs=n_jobs,
        )
        if progress is not None:
            progress(k + 1, len(chosen))
    return Forecaster(
        kind=kind,
        spec=spec or FeatureSpec(),
        models=models,
        train_end=train_end,
        seconds=clock.perf_counter() - started,
    )


@dataclass(frozen=True)
class Evaluation:
    """``table``: one row per model and horizon with ``model, horizon_h, rmse, mae, n,
    rmse_pooled`` (rmse and mae are means over stations of per-station scores)."""

    target: str
    train_end: pd.Timestamp
    test_end: pd.Timestamp
    table: pd.DataFrame
    per_site: pd.DataFrame = field(repr=False)
    seconds: dict[str, float] = field(default_factory=dict)
    choices: dict[str, list[dict[str, Any]]] = field(default_factory=dict, repr=False)

    def to_json(self) -> dict[str, Any]:
        rows = [
            {
                "model": m,
                "horizon_h": int(h),
                "rmse": round(float(r), 3),
                "mae": round(float(a), 3),
                "n": int(n),
            }
            for m, h, r, a, n in self.table[["model", "horizon_h", "rmse", "mae", "n"]].itertuples(
                index=False, name=None
            )
        ]
        return {
            "target": self.target,
            "train_end": self.train_end.isoformat(),
            "test_end": self.test_end.isoformat(),
            "rows": rows,
            "training_seconds": self.seconds,
            "choices": self.choices,
        }


def score(frame: pd.DataFrame) -> pd.DataFrame:
    """Per-site RMSE/MAE of ``site, observed, predicted`` rows."""
    error = frame["predicted"] - frame["observed"]
    grouped = error.groupby(frame["site"], sort=True)
    return pd.DataFrame(
        {
            "rmse": np.sqrt((error**2).groupby(frame["site"]).mean()),
            "mae": error.abs().groupby(frame["site"]).mean(),
            "n": grouped.size(),
        }
    )


def trees_of(blend: Forecaster) -> Forecaster:
    """The boosted trees of a blend as a ``gbm`` forecaster (they are fitted exactly as the
    ``gbm`` kind fits them, so evaluating both needs one training)."""
    models = {
        h: HorizonModel(
            h,
            "gbm",
            gbm=m.gbm,
            rounds=m.rounds,
            validation={"gbm": m.validation["gbm"]} if "gbm" in m.validation else {},
        )
        for h, m in blend.models.items()
    }
    return Forecaster("gbm", blend.spec, models, blend.train_end, blend.seconds)


def evaluate_forecasts(
    panels: Mapping[str, pd.DataFrame],
    *,
    spec: FeatureSpec | None = None,
    train_end: pd.Timestamp,
    test_end: pd.Timestamp,
    horizons: Sequence[int] = EVALUATION_HORIZONS,
    models: Sequence[ModelKind] = ("blend", "gbm", "ridge", "persistence"),
    gbm_params: Mapping[str, Any] | None = None,
    validation_days: int = VALIDATION_DAYS,
    positions: Mapping[str, tuple[float, float]] | None = None,
    n_jobs: int = 2,
    progress: Progress | None = None,
) -> Evaluation:
    """Train each model on data before ``train_end`` and score it on ``train_end``–``test_end``.

    ``positions`` (site → longitude, latitude) as for :func:`.build_features`;
    ``progress(done, total)`` is called after each horizon of each trained model."""
    spec = spec or FeatureSpec()
    if train_end >= test_end:
        raise InputError(f"train_end {train_end} must precede test_end {test_end}")
    unknown = [m for m in models if m not in MODEL_KINDS]
    if unknown:
        raise InputError(f"unknown model kind(s) {unknown}; use {', '.join(MODEL_KINDS)}")
    features = build_features(panels, spec, positions)
    times = pd.DatetimeIndex(features["time"])
    base = persistence(features)
    trained: dict[str, Forecaster] = {}
    seconds: dict[str, float] = {}
    fitting = [
        k for k in models if k not in ("persistence",) and not (k == "gbm" and "blend" in models)
    ]
    total = max(1, len(fitting) * len(horizons))
    for n, kind in enumerate(fitting):
        started = clock.perf_counter()

        def step(done: int, _total: int, offset: int = n * len(horizons)) -> None:
            if progress is not None:
                progress(offset + done, total)

        trained[kind] = train_forecaster(
            features,
            kind=kind,
            spec=spec,
            horizons=horizons,
            train_end=train_end,
            gbm_params=gbm_params,
            validation_days=validation_days,
            n_jobs=n_jobs,
            progress=step,
        )
        seconds[kind] = clock.perf_counter() - started
    if "gbm" in models and "gbm" not in trained:
        trained["gbm"] = trees_of(trained["blend"])
        seconds["gbm"] = seconds["blend"]
    if "persistence" in models:
        trained["persistence"] = train_forecaster(
            features, kind="persistence", spec=spec, horizons=horizons
        )
        seconds["persistence"] = 0.0
    rows: list[dict[str, Any]] = []
    per_site: list[pd.DataFrame] = []
    for h in horizons:
        observed = target_at(features, h)
        test = (
            np.asarray(times >= train_end)
            & np.asarray(times + pd.Timedelta(hours=h) < test_end)
            & ~np.isnan(observed)
            & ~np.isnan(base)
        )
        part = features.loc[test]
        for kind in models:
            predicted = trained[kind].models[h].predict(part)
            frame = pd.DataFrame(
                {
                    "site": part["site"].to_numpy(),
                    "observed": observed[test],
                    "predicted": predicted,
                }
            )
            scores = score(frame)
            error = frame["predicted"] - frame["observed"]
            rows.append(
                {
                    "model": kind,
                    "horizon_h": h,
                    "rmse": float(scores["rmse"].mean()),
                    "mae": float(scores["mae"].mean()),
                    "n": len(frame),
                    "rmse_pooled": float(np.sqrt((error**2).mean())),
                }
            )
            per_site.append(scores.reset_index().assign(model=kind, horizon_h=h))
    if progress is not None:
        progress(total, total)
    return Evaluation(
        target=spec.target,
        train_end=train_end,
        test_end=test_end,
        table=pd.DataFrame(rows),
        per_site=pd.concat(per_site, ignore_index=True),
        seconds=seconds,
        choices={k: f.summary() for k, f in trained.items() if k in ("blend", "gbm")},
    )
