"""Benchmark: the analysis library against straightforward baselines, on the real data.

Three tasks, each contender in its own process so that its peak memory (max RSS, including
reading the data) is its own:

1. ``trend`` — Theil–Sen with 599 bootstrap resamples on 8 years of monthly means (Haikou 1410A
   PM2.5, 2015–2022, deseasonalised). ``ecodata``: ``analysis.trend.theil_sen_trend``;
   baseline: the same resamples with a Python loop over pairs (``statistics.median``) and
   pymannkendall for the test and the point estimate.
2. ``kriging`` — a year (2016, 366 daily means) of PM2.5 fields over Beijing (province-level
   municipality, 12 stations, 0.01° grid). ``ecodata``: ``analysis.spatial.interpolate_many``
   (one pooled variogram, weights solved once per set of reporting stations); baseline: a PyKrige
   ``OrdinaryKriging`` per day with the same variogram. Also leave-one-out scores of IDW and
   kriging over the year.
3. ``forecast`` — training and evaluating the station forecasts on the Beijing data (train before
   2016-03-01, test 2016-03-01 … 2017-02-28, 12-station mean of per-station RMSE/MAE) for
   1, 6, 24, 48, 72 and 96 h: gradient boosting against ridge regression and persistence.

Usage: ``python benchmarks/analysis.py [--shared ../shared/data] [--only trend,kriging,forecast]``.
Prints the results and writes ``benchmarks/results/analysis.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results"
REPO = HERE.parent


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


# --- 1. trend --------------------------------------------------------------------------------


def _haikou_monthly(shared: Path) -> Any:
    from ecodata.analysis import datasets, frames, trend

    wide = frames.to_wide(datasets.read_haikou(shared / "air" / "haikou_1410A_2014_2023.csv"))
    pm = wide["pm2_5"]["2015-01-01":"2022-12-31"]
    return trend, pm


def trend_ecodata(shared: Path) -> dict[str, Any]:
    trend, pm = _haikou_monthly(shared)
    started = time.perf_counter()
    result = trend.theil_sen_trend(pm, deseason=True, n_boot=599, units="µg/m³")
    seconds = time.perf_counter() - started
    return {"seconds": seconds, "n_months": result.n, **_trend_numbers(result.to_json())}


def _trend_numbers(data: dict[str, Any]) -> dict[str, Any]:
    return {k: data[k] for k in ("slope", "lower", "upper", "p", "units")}


def trend_baseline(shared: Path) -> dict[str, Any]:
    import statistics

    import numpy as np
    import pymannkendall

    trend, pm = _haikou_monthly(shared)
    monthly = trend.time_average(pm, "MS")
    values = trend.deseasonalise(monthly)
    x = trend._days(values.index).tolist()
    y = values.to_numpy().tolist()
    n = len(y)
    started = time.perf_counter()
    test = pymannkendall.original_test(y)

    def slope(xs: list[float], ys: list[float]) -> float:
        pairs = [
            (ys[j] - ys[i]) / (xs[j] - xs[i])
            for i in range(len(xs))
            for j in range(i + 1, len(xs))
            if xs[j] != xs[i]
        ]
        return statistics.median(pairs)

    point = slope(x, y)
    indices = trend.bootstrap_indices(n, 599, 1, np.random.default_rng(2)).tolist()
    boots = sorted(slope([x[k] for k in idx], [y[k] for k in idx]) for idx in indices)
    seconds = time.perf_counter() - started
    low = round(0.025 * 599)
    return {
        "seconds": seconds,
        "n_months": n,
        "slope": point * 365,
        "lower": boots[low] * 365,
        "upper": boots[599 - low - 1] * 365,
        "p": float(test.p),
        "units": "µg/m³/year",
    }


# --- 2. kriging ------------------------------------------------------------------------------


def _beijing_year(shared: Path) -> tuple[Any, ...]:
    import numpy as np

    from ecodata.analysis import datasets, regions, spatial
    from ecodata.analysis.frames import site_matrix, time_average

    paths = sorted((shared / "air" / "beijing_multisite").glob("PRSA_Data_*.csv"))
    long = datasets.read_beijing_multisite(paths)
    hourly = site_matrix(long, "pm2_5")
    daily = hourly.apply(lambda s: time_average(s, "D", data_capture=20 / 24))
    daily = daily["2016-01-01":"2016-12-31"]
    stations = datasets.beijing_stations().set_index("site").loc[daily.columns]
    region = regions.read_region(shared / "regions" / "geojson" / "china_provinces.json", "110000")
    grid = regions.grid_over(region, 0.01)
    x0, y0, x1, y1 = region.bounds
    projection = regions.LocalProjection((x0 + x1) / 2, (y0 + y1) / 2)
    xs, ys = projection.forward(stations["longitude"].to_numpy(), stations["latitude"].to_numpy())
    glon, glat = np.meshgrid(grid.lon, grid.lat)
    inside = grid.inside.ravel()
    gx, gy = projection.forward(glon.ravel()[inside], glat.ravel()[inside])
    return spatial, daily.to_numpy(), xs, ys, gx, gy


def kriging_ecodata(shared: Path) -> dict[str, Any]:
    import numpy as np

    spatial, fields, xs, ys, gx, gy = _beijing_year(shared)
    started = time.perf_counter()
    variogram = spatial.pooled_variogram(xs, ys, fields)
    out = spatial.interpolate_many(xs, ys, fields, gx, gy, variogram=variogram)
    seconds = time.perf_counter() - started
    np.save(RESULTS / ".kriging_ecodata.npy", out)
    scores = {}
    for method in ("idw", "kriging"):
        errors = []
        for k in range(len(xs)):
            keep = np.arange(len(xs)) != k
            predicted = spatial.interpolate_many(
                xs[keep],
                ys[keep],
                fields[:, keep],
                xs[k : k + 1],
                ys[k : k + 1],
                method=method,
                variogram=variogram,
            )[:, 0]
            errors.append(predicted - fields[:, k])
        error = np.concatenate(errors)
        error = error[~np.isnan(error)]
        scores[method] = {
            "loo_rmse": float(np.sqrt(np.mean(error**2))),
            "loo_mae": float(np.mean(np.abs(error))),
        }
    return {
        "seconds": seconds,
        "days": len(fields),
        "grid_points": len(gx),
        "stations": len(xs),
        "variogram": variogram.to_json(),
        "cross_validation": scores,
    }


def kriging_baseline(shared: Path) -> dict[str, Any]:
    import numpy as np
    from pykrige.ok import OrdinaryKriging

    spatial, fields, xs, ys, gx, gy = _beijing_year(shared)
    variogram = spatial.pooled_variogram(xs, ys, fields)
    started = time.perf_counter()
    out = np.full((len(fields), len(gx)), np.nan)
    for t, row in enumerate(fields):
        ok = ~np.isnan(row)
        if ok.sum() < 3:
            continue
        model = OrdinaryKriging(
            xs[ok],
            ys[ok],
            row[ok],
            variogram_model=variogram.model,
            variogram_parameters={
                "psill": variogram.psill,
                "range": variogram.range_km,
                "nugget": variogram.nugget,
            },
        )
        z, _ = model.execute("points", gx, gy)
        out[t] = np.asarray(z)
    seconds = time.perf_counter() - started
    ours = np.load(RESULTS / ".kriging_ecodata.npy")
    both = ~np.isnan(ours) & ~np.isnan(out)
    return {
        "seconds": seconds,
        "days": len(fields),
        "grid_points": len(gx),
        "max_abs_difference_to_ecodata": float(np.abs(ours[both] - out[both]).max()),
    }


# --- 3. forecast -----------------------------------------------------------------------------


def forecast_all(shared: Path) -> dict[str, Any]:
    import pandas as pd

    from ecodata.analysis import datasets, forecast
    from ecodata.analysis.forecast_features import hourly_panels
    from ecodata.model import CHINA_TZ

    paths = sorted((shared / "air" / "beijing_multisite").glob("PRSA_Data_*.csv"))
    panels = hourly_panels(datasets.read_beijing_multisite(paths))
    stations = datasets.beijing_stations().set_index("site")
    positions = {s: (float(r.longitude), float(r.latitude)) for s, r in stations.iterrows()}
    started = time.perf_counter()
    result = forecast.evaluate_forecasts(
        panels,
        train_end=pd.Timestamp("2016-03-01", tz=CHINA_TZ),
        test_end=pd.Timestamp("2017-03-01", tz=CHINA_TZ),
        horizons=forecast.EVALUATION_HORIZONS,
        models=("blend", "gbm", "ridge", "persistence"),
        positions=positions,
        progress=lambda done, total: print(f"  forecast {done}/{total}", file=sys.stderr),
    )
    data = result.to_json()
    data["seconds"] = time.perf_counter() - started
    return data


TASKS = {
    "trend": {"ecodata": trend_ecodata, "baseline": trend_baseline},
    "kriging": {"ecodata": kriging_ecodata, "baseline": kriging_baseline},
    "forecast": {"ecodata": forecast_all},
}


def child(task: str, contender: str, shared: Path) -> None:
    result = TASKS[task][contender](shared)
    result["peak_rss_mb"] = round(_peak_mb(), 1)
    print(json.dumps(result))


def run(task: str, contender: str, shared: Path) -> dict[str, Any]:
    env = {**os.environ, "PYTHONPATH": str(REPO / "src")}
    started = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, __file__, "--child", task, contender, "--shared", str(shared)],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    if proc.returncode != 0:
        raise SystemExit(f"{task}/{contender} failed:\n{proc.stderr}")
    result: dict[str, Any] = json.loads(proc.stdout.strip().splitlines()[-1])
    result["process_seconds"] = round(time.perf_counter() - started, 2)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--shared", type=Path, default=REPO.parent / "shared" / "data")
    parser.add_argument("--only", default="trend,kriging,forecast")
    parser.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    RESULTS.mkdir(exist_ok=True)
    if args.child:
        child(args.child[0], args.child[1], args.shared)
        return
    out: dict[str, Any] = {
        "benchmark": "analysis",
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version()},
    }
    for task in args.only.split(","):
        out[task] = {}
        for contender in TASKS[task]:
            print(f"{task}: {contender} …", file=sys.stderr)
            out[task][contender] = run(task, contender, args.shared)
    (RESULTS / ".kriging_ecodata.npy").unlink(missing_ok=True)
    _report(out)
    path = RESULTS / "analysis.json"
    previous = json.loads(path.read_text()) if path.exists() else {}
    path.write_text(json.dumps({**previous, **out}, indent=1, ensure_ascii=False) + "\n")
    print(f"written {path.relative_to(REPO)}")


def _report(out: dict[str, Any]) -> None:
    for task in ("trend", "kriging"):
        if task not in out:
            continue
        print(f"\n{task}")
        for name, r in out[task].items():
            extra = ""
            if task == "trend":
                extra = f"  slope {r['slope']:.3f} [{r['lower']:.3f}, {r['upper']:.3f}]"
            print(f"  {name:9} {r['seconds']:9.3f} s  peak {r['peak_rss_mb']:8.1f} MB{extra}")
        if task == "kriging" and "ecodata" in out[task]:
            for method, s in out[task]["ecodata"]["cross_validation"].items():
                print(f"  LOO {method:8} RMSE {s['loo_rmse']:.1f}  MAE {s['loo_mae']:.1f}")
    if "forecast" in out:
        f = out["forecast"]["ecodata"]
        print(f"\nforecast ({f['seconds']:.0f} s, peak {f['peak_rss_mb']:.0f} MB)")
        print(f"  {'model':12}{'h':>4}{'RMSE':>9}{'MAE':>9}")
        for row in f["rows"]:
            print(f"  {row['model']:12}{row['horizon_h']:>4}{row['rmse']:>9.2f}{row['mae']:>9.2f}")


if __name__ == "__main__":
    main()
