"""Station forecasts over the stores: train per city, cache the models in the data directory,
forecast a station's next 96 hours and grade the warning of its AQI forecast.

Training is a batch job (``ecodata analyze forecast-train``): the stations of a city are
forecast by one model trained on all their stored hourly data, saved under
``<data_dir>/models/forecast-<city code>-<target>.joblib``. Serving (CLI, API, web) loads the saved
model (kept in memory while its file is unchanged) and builds the features of the issue time
from the last :data:`LOOKBACK` of stored data, which takes well under a second; nothing is
trained while a request waits.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ecodata import __version__
from ecodata.analysis.forecast import (
    BEIJING_TEST_END,
    BEIJING_TRAIN_END,
    EVALUATION_HORIZONS,
    MODEL_KINDS,
    PATH_HORIZONS,
    Evaluation,
    Forecaster,
    ModelKind,
    Progress,
    evaluate_forecasts,
    train_forecaster,
)
from ecodata.analysis.forecast_features import (
    FORECAST_INPUTS,
    LOOKBACK,
    FeatureSpec,
    build_features,
    panels_on,
)
from ecodata.analysis.frames import unit_of
from ecodata.analysis.hourly_aqi import AQI_INPUTS, hourly_aqi
from ecodata.analysis.store_frames import hourly_series, read_hourly, stations
from ecodata.analysis.warning import WarningDecision, WarningRules, daily_aqi, decide
from ecodata.errors import ConflictError, InputError, NotFoundError
from ecodata.model import CHINA_TZ
from ecodata.store.stores import Stores

TARGETS = ("pm2_5", "aqi")
#: A station takes part in a city model when it holds at least this many hourly values of the
#: target's input (PM2.5): 90 days.
MIN_HOURS = 24 * 90


@dataclass
class ForecastModel:
    """What is cached: the trained forecaster and the facts needed to serve it."""

    city: str
    target: str
    sites: list[str]
    forecaster: Forecaster = field(repr=False)
    data_start: datetime
    data_end: datetime
    trained_at: datetime
    rows: int
    positions: dict[str, tuple[float, float]] = field(default_factory=dict)
    version: str = __version__

    def to_json(self) -> dict[str, Any]:
        return {
            "city": self.city,
            "target": self.target,
            "model": self.forecaster.kind,
            "sites": self.sites,
            "horizons": self.forecaster.horizons,
            "data_start": self.data_start.isoformat(),
            "data_end": self.data_end.isoformat(),
            "trained_at": self.trained_at.isoformat(),
            "training_seconds": round(self.forecaster.seconds, 1),
            "rows": self.rows,
            "version": self.version,
        }


def model_dir(data_dir: Path) -> Path:
    return data_dir / "models"


def city_key(city: str) -> str:
    """A file-name-safe key of a city name (its characters are kept if ASCII, else hashed)."""
    if city.isascii() and city.replace("-", "").replace("_", "").isalnum():
        return city
    return hashlib.sha256(city.encode()).hexdigest()[:12]


def model_path(data_dir: Path, city: str, target: str) -> Path:
    return model_dir(data_dir) / f"forecast-{city_key(city)}-{target}.joblib"


def _check_target(target: str) -> None:
    if target not in TARGETS:
        raise InputError(f"forecast target must be one of {', '.join(TARGETS)}, got {target!r}")


def city_stations(
    stores: Stores, site: str, *, datasets: Collection[int] | None = None
) -> tuple[str, list[str]]:
    """The city of ``site`` and its stations with at least :data:`MIN_HOURS` readable hourly
    PM2.5 values (``site`` first if it qualifies, then by code)."""
    info = stores.registry.site(site)
    city = str(info["city"] or info["code"])
    members = [r["code"] for r in stores.registry.sites(city=city)] if info["city"] else [site]
    series = hourly_series(stores, members, ["pm2_5"], datasets=datasets)
    enough = sorted({str(s["site"]) for s in series if int(s["count"] or 0) >= MIN_HOURS})
    if site not in enough:
        raise NotFoundError(
            f"station {site} has fewer than {MIN_HOURS} readable hourly PM2.5 values: "
            "too few to train a forecast"
        )
    return city, enough


def positions_of(stores: Stores, sites: Sequence[str]) -> dict[str, tuple[float, float]]:
    """Longitude and latitude of the stations that have them (for the north–south features)."""
    table = stations(stores, list(sites)).dropna(subset=["longitude", "latitude"])
    lon, lat = table["longitude"].to_numpy(dtype=float), table["latitude"].to_numpy(dtype=float)
    return {str(s): (float(x), float(y)) for s, x, y in zip(table["site"], lon, lat, strict=True)}


def read_panels(
    stores: Stores,
    sites: Sequence[str],
    target: str,
    *,
    start: datetime | None = None,
    end: datetime | None = None,
    datasets: Collection[int] | None = None,
) -> dict[str, pd.DataFrame]:
    """Hourly panels of ``sites`` (Beijing time) with the forecast inputs, plus the hourly AQI
    (HJ 633) as column ``aqi`` when it is the target."""
    _check_target(target)
    long = read_hourly(
        stores, sites, FORECAST_INPUTS, start=start, end=end, datasets=datasets, tz=CHINA_TZ
    )
    if long.empty:
        raise NotFoundError(f"no hourly data of {', '.join(sites)} in that period")
    first, last = long["time"].min(), long["time"].max()
    if start is not None:
        first = min(first, pd.Timestamp(start).tz_convert(CHINA_TZ).ceil("h"))
    index = pd.date_range(first, last, freq="h", name="time")
    panels = panels_on(long, sites, index, FORECAST_INPUTS)
    if target == "aqi":
        for wide in panels.values():
            wide["aqi"] = hourly_aqi(wide[list(AQI_INPUTS)])["aqi"]
    return panels


def train_city_model(
    stores: Stores,
    site: str,
    *,
    data_dir: Path,
    target: str = "pm2_5",
    kind: ModelKind = "blend",
    horizons: Sequence[int] = PATH_HORIZONS,
    datasets: Collection[int] | None = None,
    n_jobs: int = 2,
    progress: Progress | None = None,
) -> ForecastModel:
    """Train the model of ``site``'s city on all its stored data and save it."""
    _check_target(target)
    if kind not in MODEL_KINDS:
        raise InputError(f"model kind must be one of {', '.join(MODEL_KINDS)}, got {kind!r}")
    city, sites = city_stations(stores, site, datasets=datasets)
    panels = read_panels(stores, sites, target, datasets=datasets)
    spec = FeatureSpec(target=target)
    positions = positions_of(stores, sites)
    features = build_features(panels, spec, positions)
    forecaster = train_forecaster(
        features, kind=kind, spec=spec, horizons=horizons, n_jobs=n_jobs, progress=progress
    )
    index = next(iter(panels.values())).index
    model = ForecastModel(
        city=city,
        target=target,
        sites=list(sites),
        forecaster=forecaster,
        data_start=index[0].to_pydatetime(),
        data_end=index[-1].to_pydatetime(),
        trained_at=datetime.now(UTC),
        rows=len(features),
        positions=positions,
    )
    save_model(model, model_path(data_dir, city, target))
    return model


def save_model(model: ForecastModel, path: Path) -> None:
    import joblib

    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(".part")
    joblib.dump(model, partial)
    partial.replace(path)  # readers never see a half-written model


_LOADED: dict[Path, tuple[float, ForecastModel]] = {}
_LOCK = threading.Lock()


def load_model_file(path: Path) -> ForecastModel:
    """A saved model, kept in memory until its file changes."""
    import joblib

    stamp = path.stat().st_mtime
    with _LOCK:
        found = _LOADED.get(path)
        if found is not None and found[0] == stamp:
            return found[1]
    model = joblib.load(path)
    if not isinstance(model, ForecastModel):
        raise ConflictError(f"{path} does not hold a forecast model; train it again")
    with _LOCK:
        _LOADED[path] = (stamp, model)
    return model


def load_model(data_dir: Path, city: str, target: str) -> ForecastModel:
    """The saved model of ``city`` and ``target``; :class:`ConflictError` when none has been
    trained."""
    path = model_path(data_dir, city, target)
    if not path.exists():
        raise ConflictError(
            f"no {target} forecast model for {city}: train one with "
            f"`ecodata analyze forecast-train --site CODE --target {target}`"
        )
    return load_model_file(path)


def saved_models(data_dir: Path) -> list[ForecastModel]:
    """Every saved forecast model of the data directory."""
    return [load_model_file(p) for p in sorted(model_dir(data_dir).glob("forecast-*.joblib"))]


@dataclass(frozen=True)
class SiteForecast:
    """A forecast path of one station: hours 1 … N after ``issue_time``."""

    site: str
    target: str
    units: str
    issue_time: pd.Timestamp
    times: list[pd.Timestamp]
    values: list[float]
    observed: pd.Series = field(repr=False)  # the recent record, up to the issue time
    model: dict[str, Any] = field(default_factory=dict)
    warning: WarningDecision | None = None

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "site": self.site,
            "target": self.target,
            "units": self.units,
            "issue_time": self.issue_time.isoformat(),
            "path": [
                {"horizon_h": h, "time": t.isoformat(), "value": round(v, 1)}
                for h, (t, v) in enumerate(zip(self.times, self.values, strict=True), start=1)
            ],
            "model": self.model,
        }
        if self.warning is not None:
            out["warning"] = self.warning.to_json()
        return out


def forecast_site(
    stores: Stores,
    site: str,
    *,
    data_dir: Path,
    target: str = "pm2_5",
    at: datetime | None = None,
    hours: int = 96,
    rules: WarningRules | None = None,
    datasets: Collection[int] | None = None,
) -> SiteForecast:
    """The forecast of ``site`` issued at ``at`` (default: its newest hour of PM2.5), from the
    saved model of its city. For the AQI target the path carries the warning graded by
    ``rules``."""
    _check_target(target)
    info = stores.registry.site(site)
    city = str(info["city"] or info["code"])
    model = load_model(data_dir, city, target)
    if site not in model.sites:
        raise NotFoundError(f"station {site} is not among the stations of the {city} model")
    issue = _issue_time(stores, [site], at, datasets)
    (found,) = forecast_stations(
        stores, model, [site], issue, hours=hours, rules=rules, datasets=datasets
    )
    return found


def forecast_stations(
    stores: Stores,
    model: ForecastModel,
    sites: Sequence[str],
    issue: pd.Timestamp,
    *,
    hours: int = 96,
    rules: WarningRules | None = None,
    datasets: Collection[int] | None = None,
    skip_missing: bool = False,
) -> list[SiteForecast]:
    """Forecasts of several stations of one model issued at the same hour (one read of the
    stores, one feature build). A station without a target value at ``issue`` is an error, or
    left out with ``skip_missing``."""
    horizon_max = model.forecaster.horizons[-1]
    if not 1 <= hours <= horizon_max:
        raise InputError(f"hours must be within 1..{horizon_max}, got {hours}")
    rules = rules or WarningRules()
    panels = read_panels(
        stores,
        model.sites,
        model.target,
        start=(issue - LOOKBACK).to_pydatetime(),
        end=(issue + pd.Timedelta(hours=1)).to_pydatetime(),
        datasets=datasets,
    )
    features = build_features(panels, model.forecaster.spec, model.positions)
    rows = features[features["site"].isin(sites) & (features["time"] == issue)]
    rows = rows[~np.isnan(rows["y"].to_numpy(dtype=float))]
    lacking = sorted(set(sites) - set(rows["site"]))
    if lacking and not skip_missing:
        raise NotFoundError(
            f"no {model.target} value at {issue.isoformat()} for station(s) {', '.join(lacking)}"
        )
    if rows.empty:
        return []
    paths = model.forecaster.predict_path(rows, hours=hours)
    out = []
    for site in [s for s in sites if s in set(rows["site"])]:
        path = paths[paths["site"] == site].sort_values("horizon_h")
        values = [max(0.0, float(v)) for v in path["predicted"]]
        warning = None
        if model.target == "aqi" and hours >= rules.day_hours:
            warning = decide(daily_aqi(values, rules.day_hours), rules)
        out.append(
            SiteForecast(
                site=site,
                target=model.target,
                units=unit_of(model.target),
                issue_time=issue,
                times=[issue + pd.Timedelta(hours=int(h)) for h in path["horizon_h"]],
                values=values,
                observed=panels[site][model.target].dropna(),
                model=model.to_json(),
                warning=warning,
            )
        )
    return out


def _issue_time(
    stores: Stores, sites: Sequence[str], at: datetime | None, datasets: Collection[int] | None
) -> pd.Timestamp:
    """``at`` to the hour, or the newest stored hour of PM2.5 at any of ``sites``."""
    if at is not None:
        moment = pd.Timestamp(at)
        if moment.tzinfo is None:
            moment = moment.tz_localize(CHINA_TZ)
        return moment.tz_convert(CHINA_TZ).floor("h")
    series = hourly_series(stores, sites, ["pm2_5"], datasets=datasets)
    lasts = [s["last_time"] for s in series if s["last_time"] is not None]
    if not lasts:
        raise NotFoundError(f"no readable hourly PM2.5 at {', '.join(sites)}")
    return pd.Timestamp(max(lasts)).tz_convert(CHINA_TZ).floor("h")


def current_warnings(
    stores: Stores,
    *,
    data_dir: Path,
    rules: WarningRules | None = None,
    datasets: Collection[int] | None = None,
) -> list[dict[str, Any]]:
    """The warning of the newest AQI forecast of every station with a saved AQI model (issued
    at the newest hour of PM2.5 of its city's stations)."""
    out = []
    for model in saved_models(data_dir):
        if model.target != "aqi":
            continue
        try:
            issue = _issue_time(stores, model.sites, None, datasets)
        except NotFoundError:
            continue
        found = forecast_stations(
            stores, model, model.sites, issue, rules=rules, datasets=datasets, skip_missing=True
        )
        for result in found:
            assert result.warning is not None
            out.append(
                {
                    "site": result.site,
                    "city": model.city,
                    "issue_time": result.issue_time.isoformat(),
                    **result.warning.to_json(),
                }
            )
    return out


def evaluate_city(
    stores: Stores,
    site: str,
    *,
    target: str = "pm2_5",
    train_end: pd.Timestamp = BEIJING_TRAIN_END,
    test_end: pd.Timestamp = BEIJING_TEST_END,
    horizons: Sequence[int] = EVALUATION_HORIZONS,
    models: Sequence[ModelKind] = ("blend", "gbm", "ridge", "persistence"),
    sites: Sequence[str] | None = None,
    datasets: Collection[int] | None = None,
    n_jobs: int = 2,
    progress: Progress | None = None,
) -> Evaluation:
    """Evaluate the forecasts of ``site``'s city (or of ``sites``) by time: train before
    ``train_end``, score ``train_end`` … ``test_end`` (defaults: the Beijing evaluation)."""
    chosen = list(sites) if sites else city_stations(stores, site, datasets=datasets)[1]
    panels = read_panels(stores, chosen, target, end=test_end.to_pydatetime(), datasets=datasets)
    return evaluate_forecasts(
        panels,
        spec=FeatureSpec(target=target),
        train_end=train_end,
        test_end=test_end,
        horizons=horizons,
        models=models,
        positions=positions_of(stores, chosen),
        n_jobs=n_jobs,
        progress=progress,
    )
